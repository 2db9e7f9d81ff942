"""Secrets in message bodies (a volunteer's personal link) are needed only until
the message has gone out. Once it is sent, failed or cancelled, the stored copy
keeps its text but not the secret, and the admin never shows a live one.

What counts as a secret is configured (settings.MESSAGE_SECRET_PATTERNS): the
outbox knows channels and recipients, not the URLs of the domain around it.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import unquote

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


def _masked_number(country_code: int | str, national: str) -> str:
    hidden = max(len(national) - 2, 0)
    groups = " ".join([MASK] * max(hidden // 2, 1))
    return f"+{country_code} {groups} {national[-2:]}"


def _mask_phone(match: re.Match[str]) -> str:
    import phonenumbers

    digits = re.sub(r"\D", "", match.group(0))
    try:
        code = str(phonenumbers.parse("+" + digits, None).country_code)
    except phonenumbers.NumberParseException:
        code = digits[:2]
    return _masked_number(code, digits[len(code) :])


# A run of at least seven digits, maybe spaced: worth asking phonenumbers about.
_DIGITS = re.compile(r"\d(?:[ \-.]?\d){6,}")


def _mask_national_numbers(text: str) -> str:
    """Numbers written without "+" ("20 12 34 56", "004520123456") that are valid
    in SMS_DEFAULT_REGION. An 8-digit id may be masked too: in a log, better a
    masked id than a readable phone number."""
    if not _DIGITS.search(text):
        return text
    import phonenumbers

    region = getattr(settings, "SMS_DEFAULT_REGION", "DK")
    found = list(
        phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    )
    for match in reversed(found):
        number = match.number
        masked = _masked_number(number.country_code, str(number.national_number))
        text = text[: match.start] + masked + text[match.end :]
    return text


def mask(text: str) -> str:
    """Phone numbers and email addresses masked: "+45 •• •• •• 78", "s•••@example.org"."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", text)
    return _mask_national_numbers(_PHONE.sub(_mask_phone, text))


def scrub(text: str) -> str:
    """What may be written to a log or an error column: no link tokens, no phone
    numbers or email addresses, also when they are percent-encoded in a URL
    ("?to=%2B4520123456", "karen%40example.org")."""
    if "%" in text:
        text = unquote(text)
    return mask(redact(text))
