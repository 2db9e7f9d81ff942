"""Gunicorn's own log lines go through the same filter as Django's.

Gunicorn logs every request line itself ("GET /v/<token>/ HTTP/1.1" in the access
log) and worker errors, through its own loggers and handlers, outside Django's
LOGGING. ``ScrubbedLogger`` puts ``RedactPersonalData`` on those loggers, so
personal-link tokens, reset keys, phone numbers and addresses never reach
gunicorn's logs either. It is switched on by the top-level ``gunicorn.conf.py``,
which gunicorn reads from the directory it is started in."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from pollcrew.logs import RedactPersonalData

# The filter reads Django settings (the secret patterns, the phone region): in
# gunicorn's master too, which has not loaded the application.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollcrew.settings")


class ScrubbedLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactPersonalData) for f in log.filters):
                log.addFilter(RedactPersonalData())
