"""Secrets in URLs (personal-link tokens, password reset keys) must not end up in
logs: Django logs the path of every 4xx/5xx response ("Not Found: /v/<token>/…"),
runserver every request. The patterns are the outbox's (MESSAGE_SECRET_PATTERNS)."""

from __future__ import annotations

import logging

from pollcrew.redaction import redact


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True
