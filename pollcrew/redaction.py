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


# --- masking personal data in log lines and stored errors --------------------------

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@((?:[\w-]+\.)+[A-Za-z]{2,})")
# "+4520123456", "+45 20 12 34 56", "+46 70-123 45 67": a plus, then 7 to 15 digits.
_PHONE = re.compile(r"\+\d(?:[ \-]?\d){6,14}")
MASK = "••"


def _mask_phone(match: re.Match[str]) -> str:
    import phonenumbers

    digits = re.sub(r"\D", "", match.group(0))
    try:
        code = str(phonenumbers.parse("+" + digits, None).country_code)
    except phonenumbers.NumberParseException:
        code = digits[:2]
    rest = digits[len(code) :]
    hidden = max(len(rest) - 2, 0)
    groups = " ".join([MASK] * max(hidden // 2, 1))
    return f"+{code} {groups} {rest[-2:]}"


def mask(text: str) -> str:
    """Phone numbers and email addresses masked: "+45 •• •• •• 78", "s•••@example.org"."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", text)
    return _PHONE.sub(_mask_phone, text)


def scrub(text: str) -> str:
    """What may be written to a log or an error column: no link tokens, no phone
    numbers or email addresses."""
    return mask(redact(text))
