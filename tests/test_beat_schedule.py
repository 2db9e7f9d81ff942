"""Every periodic task in the beat schedule is one a worker knows: a task whose
module Celery's autodiscovery never imports would be dropped by the worker, and
its job would never run (the full data export's purge lives in exchange.exit_tasks)."""

from __future__ import annotations

from django.conf import settings

from pollcrew.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()  # what a worker imports when it starts
    registered = set(app.tasks)
    missing = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in registered
    }
    assert not missing
    assert "exchange.exit_tasks.run_full_export" in registered
