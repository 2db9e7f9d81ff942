"""Personal-link tokens must not end up in logs: Django logs the path of every
4xx/5xx response ("Not Found: /v/<token>/…"), runserver logs every request."""

from __future__ import annotations

import logging
import re

_TOKEN_PATHS = [
    (re.compile(r"/v/[^/\s\"'?]+"), "/v/[redacted]"),
    (re.compile(r"/password/reset/key/[^/\s\"'?]+"), "/password/reset/key/[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _TOKEN_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/v/" in message or "/reset/key/" in message:
            record.msg = redact(message)
            record.args = ()
        return True
