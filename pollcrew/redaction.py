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


# A run of at least seven digits, maybe spaced, that is not part of a word or an
# id ("c221e297-8378-4f64"): worth asking phonenumbers about.
_DIGITS = re.compile(r"(?<![\w.-])\d(?:[ \-.]?\d){6,}(?![\w-])")


# "2026-12-02", "02-12-2026", "02.12.2026": dates, not phone numbers.
_DATE = re.compile(r"\d{4}-\d\d-\d\d|\d\d[-.]\d\d[-.]\d{4}")


def _valid_number(text: str, region: str):
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _mask_candidate(match: re.Match[str], region: str) -> str:
    """A run of digits: masked if it is a valid number in the region, or else
    each space-separated part of it that is ("200 20123456": a status code, then
    a phone number)."""
    text = match.group(0)
    number = None if _DATE.search(text) else _valid_number(text, region)
    if number is not None:
        return _masked_number(number.country_code, str(number.national_number))
    parts = re.split(r"( +)", text)
    if len(parts) == 1:
        return text
    for i, part in enumerate(parts):
        if len(re.sub(r"\D", "", part)) >= 7 and not _DATE.search(part):
            number = _valid_number(part, region)
            if number is not None:
                parts[i] = _masked_number(number.country_code, str(number.national_number))
    return "".join(parts)


def _mask_national_numbers(text: str) -> str:
    """Numbers written without "+" ("20 12 34 56", "004520123456") that are valid
    in SMS_DEFAULT_REGION. An 8-digit id may be masked too: in a log, better a
    masked id than a readable phone number."""
    region = getattr(settings, "SMS_DEFAULT_REGION", "DK")
    return _DIGITS.sub(lambda match: _mask_candidate(match, region), text)


def mask(text: str) -> str:
    """Phone numbers and email addresses masked: "+45 •• •• •• 78", "s•••@example.org"."""
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", text)
    if "+" in text:
        text = _PHONE.sub(_mask_phone, text)
    return _mask_national_numbers(text)


def scrub(text: str) -> str:
    """What may be written to a log or an error column: no link tokens, no phone
    numbers or email addresses, also when they are percent-encoded in a URL
    ("?to=%2B4520123456", "karen%40example.org")."""
    if "%" in text:
        text = unquote(text)
    return mask(redact(text))
