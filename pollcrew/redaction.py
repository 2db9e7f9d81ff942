"""Secrets in message bodies (a volunteer's personal link) are needed only until
the message has gone out. Once it is sent, failed or cancelled, the stored copy
keeps its text but not the secret, and the admin never shows a live one.

What counts as a secret is configured (settings.MESSAGE_SECRET_PATTERNS): the
outbox knows channels and recipients, not the URLs of the domain around it.
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings

REDACTED = "[redacted]"


@cache
def _patterns(sources: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(source) for source in sources]


def redact(text: str) -> str:
    for pattern in _patterns(tuple(settings.MESSAGE_SECRET_PATTERNS)):
        text = pattern.sub(REDACTED, text)
    return text


def redacted_fields(body: str, body_html: str) -> dict[str, str]:
    """The update that strips secrets from a message's stored bodies."""
    return {"body": redact(body), "body_html": redact(body_html)}
