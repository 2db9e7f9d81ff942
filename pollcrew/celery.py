"""The Celery application. Settings come from Django settings prefixed CELERY_."""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollcrew.settings")

app = Celery("pollcrew")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(weak=False)
def _django_logging_only(**_kwargs: Any) -> None:
    """The worker logs through Django's LOGGING alone, whose handlers cut tokens
    out and mask phone numbers and addresses (pollcrew.logs). Without this,
    Celery gives the task loggers a handler of its own, without that filter."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
