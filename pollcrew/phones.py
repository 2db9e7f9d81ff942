"""Phone numbers are stored in E.164 (+4520123456) and shown grouped.

Input is parsed with phonenumbers in the configured default region
(``SMS_DEFAULT_REGION``, DK): "20 12 34 56", "+45 20 12 34 56" and
"0045 20123456" all become +4520123456. Only numbers that can receive an SMS
(mobile, or "fixed line or mobile" where a country does not tell them apart)
are accepted, with a message in the user's language otherwise.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SMS_CAPABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def display_phone(phone: str) -> str:
    """+4520123456 → "+45 20 12 34 56"; anything unparsable is shown as stored."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_mobile(raw: str, region: str | None = None) -> str:
    """The number in E.164, or ValidationError (code "invalid_phone" or "not_mobile")."""
    text = (raw or "").strip()
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": raw}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."),
            code="invalid_phone",
            params={"value": raw},
        )
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise ValidationError(
            _("“%(value)s” is not a mobile number; SMS cannot reach it."),
            code="not_mobile",
            params={"value": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
