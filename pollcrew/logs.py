"""Personal-link tokens must not end up in logs: Django logs the path of every
4xx/5xx response ("Not Found: /v/<token>/…"), runserver logs every request."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/v/[^/\s\"'?]+")


def redact(text: str) -> str:
    return _TOKEN_PATH.sub("/v/[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/v/" in message:
            record.msg = redact(message)
            record.args = ()
        return True
