"""Phone numbers are stored in E.164 (+4520123456) and shown grouped."""

from __future__ import annotations

import phonenumbers


def display_phone(phone: str) -> str:
    """+4520123456 → "+45 20 12 34 56"; anything unparsable is shown as stored."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
