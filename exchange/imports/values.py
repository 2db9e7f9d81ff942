"""Cells to values, the way Danish offices write them. Each parser returns the
value or raises ValidationError with the message the forms give (phone numbers
through ``pollcrew.phones``, the same words as the volunteer pages)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.imports.readers import Cell, cell_text
from pollcrew.phones import normalize_mobile

_DATE = re.compile(r"(\d{1,2})[-./ ](\d{1,2})[-./ ](\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_EXCEL_EPOCH = date(1899, 12, 30)


def text(value: Cell) -> str:
    if value.__class__ is str:  # every CSV cell: the quick way
        return value.strip()
    return cell_text(value).strip()


def parse_date(value: Cell) -> date | None:
    """17-05-1980, 17.05.1980, 17/05/1980, 17-5-80, 1980-05-17, an Excel date
    cell (or its serial number); None if empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 80000:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise _bad_date(value)
    raw = str(value).strip()
    if not raw:
        return None
    found = _ISO.fullmatch(raw)
    try:
        if found:
            return date(int(found[1]), int(found[2]), int(found[3]))
        found = _DATE.fullmatch(raw)
        if found:
            year = int(found[3])
            if len(found[3]) == 2:  # 80 → 1980, 05 → 2005: whichever is not in the future
                year += 2000 if 2000 + year <= timezone.localdate().year else 1900
            return date(year, int(found[2]), int(found[1]))
    except ValueError:
        pass
    raise _bad_date(value)


def _bad_date(value: Cell) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not a date (write it as 17-05-1980)."),
        code="invalid_date",
        params={"value": cell_text(value)},
    )


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?")


def parse_time(value: Cell) -> time | None:
    """07:00, 7.00, 7, an Excel time cell (or a fraction of a day); None if empty."""
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    if isinstance(value, float) and 0 <= value < 1:
        seconds = round(value * 86400)
        return time(seconds // 3600 % 24, seconds // 60 % 60)
    raw = text(value)
    if not raw:
        return None
    found = _TIME.fullmatch(raw)
    if found and int(found[1]) < 24 and int(found[2] or 0) < 60:
        return time(int(found[1]), int(found[2] or 0))
    raise ValidationError(
        _("“%(value)s” is not a time of day (write it as 07:30)."),
        code="invalid_time",
        params={"value": raw},
    )


def parse_int(value: Cell) -> int | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and float(value).is_integer():
        return int(value)
    raw = text(value).replace(" ", "").replace("\u00a0", "")
    if not raw:
        return None
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    raise ValidationError(
        _("“%(value)s” is not a whole number."), code="invalid_number", params={"value": raw}
    )


_THOUSANDS = re.compile(r"-?\d{1,3}(?:\.\d{3})+")


def parse_decimal(value: Cell) -> Decimal | None:
    """150, 150,50, 1.250,50 and 1.250 (Danish: a thousand and…), 150.50; None if
    empty."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    raw = text(value).replace(" ", "").replace("\u00a0", "").removesuffix("kr.").strip()
    if not raw:
        return None
    if "," in raw or _THOUSANDS.fullmatch(raw):  # 1.250,50 and 1.250: Danish
        raw = raw.replace(".", "").replace(",", ".")
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValidationError(
            _("“%(value)s” is not an amount."), code="invalid_amount", params={"value": raw}
        ) from None


_YES = {"ja", "j", "yes", "y", "x", "1", "true", "sand"}
_NO = {"nej", "n", "no", "0", "false", "falsk", "-"}


def parse_bool(value: Cell) -> bool | None:
    """ja/nej, yes/no, x, 1/0; None if empty."""
    if isinstance(value, bool):
        return value
    raw = text(value).casefold()
    if not raw:
        return None
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise ValidationError(
        _("“%(value)s” is neither yes nor no."), code="invalid_bool", params={"value": raw}
    )


_SMS_CAPABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
_DANISH = re.compile(r"(?:\+45|0045)?([2-9]\d{7})")


def _danish_fast(raw: str) -> str | None:
    """A Danish number as typed ("20 12 34 56", "+45 20…", "0045…"), accepted the
    way ``normalize_mobile`` accepts it but without parsing the text (a third of
    the time, which counts at 100,000 rows); None to go the long way (anything
    else, and every number it would refuse: its message comes from there)."""
    compact = raw.replace(" ", "").replace("-", "").replace("\u00a0", "")
    found = _DANISH.fullmatch(compact)
    if found is None:
        return None
    if not compact.startswith(("+", "00")) and settings.SMS_DEFAULT_REGION != "DK":
        return None
    number = phonenumbers.PhoneNumber(country_code=45, national_number=int(found[1]))
    if phonenumbers.number_type(number) in _SMS_CAPABLE:  # valid, and an SMS reaches it
        return f"+45{found[1]}"
    return None


@lru_cache(maxsize=65536)
def _mobile(raw: str) -> str | ValidationError:
    try:
        return _danish_fast(raw) or normalize_mobile(raw)
    except ValidationError as error:
        return error


def parse_phone(value: Cell) -> str:
    """E.164 (``pollcrew.phones.normalize_mobile``: "20 12 34 56", "+45 20…",
    "0045…"); "" if empty. A number typed as a number cell comes as digits."""
    raw = text(value)
    if not raw:
        return ""
    found = _mobile(raw)
    if isinstance(found, ValidationError):
        raise found
    return found


def first_message(error: ValidationError) -> str:
    """The error's (first) message, with its parameters filled in."""
    return next(iter(error), "") if not hasattr(error, "error_dict") else str(error)
