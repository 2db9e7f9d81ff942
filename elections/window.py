"""When an election's shifts may be: from ``SHIFT_WINDOW_DAYS_BEFORE`` days before
election day (postal votes are received weeks ahead) until noon the day after
(the count goes on into the night). A shift dated years away is a typo, refused
with a message that says what the window is."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

LATEST = time(12, 0)  # noon the day after election day


FIRST_YEAR = 2000  # no election in Pollcrew is older than this
YEARS_AHEAD = 10  # nor planned further ahead


def check_election_date(value: date) -> None:
    """An election day Pollcrew can plan for: from FIRST_YEAR until YEARS_AHEAD
    years from now (a typo like 9999 would put every shift beyond the calendar)."""
    last_year = timezone.localdate().year + YEARS_AHEAD
    if not FIRST_YEAR <= value.year <= last_year:
        raise ValidationError(
            _("Choose an election day between %(first)s and %(last)s.")
            % {
                "first": date_format(date(FIRST_YEAR, 1, 1), "DATE_FORMAT"),
                "last": date_format(date(last_year, 12, 31), "DATE_FORMAT"),
            },
            code="election_date_out_of_range",
        )


def bounds(election_date: date) -> tuple[datetime, datetime]:
    """The earliest start and the latest end of a shift of an election on this day."""
    tz = timezone.get_current_timezone()
    first_day = election_date - timedelta(days=settings.SHIFT_WINDOW_DAYS_BEFORE)
    earliest = datetime.combine(first_day, time.min, tzinfo=tz)
    latest = datetime.combine(election_date + timedelta(days=1), LATEST, tzinfo=tz)
    return earliest, latest


def check(election_date: date, starts_at: datetime, ends_at: datetime) -> None:
    """Raise a ValidationError (on ``starts_at``) for a shift outside the window."""
    earliest, latest = bounds(election_date)
    if starts_at < earliest or ends_at > latest:
        raise ValidationError(
            {
                "starts_at": _(
                    "A shift of this election must be between %(first)s and %(last)s "
                    "(from %(days)d days before election day until noon the day after)."
                )
                % {
                    "first": date_format(timezone.localtime(earliest), "SHORT_DATE_FORMAT"),
                    "last": date_format(timezone.localtime(latest), "SHORT_DATETIME_FORMAT"),
                    "days": settings.SHIFT_WINDOW_DAYS_BEFORE,
                }
            },
            code="outside_window",
        )
