"""A shift falls in its election's window: from SHIFT_WINDOW_DAYS_BEFORE days before
election day until noon the day after; a shift dated years away is refused with a
message that says what the window is."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from staffing import services
from tests import factories as f

pytestmark = pytest.mark.django_db

DAY = date(2027, 6, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone()
    )


def create(election, starts_at: datetime, ends_at: datetime):
    return services.create_shift(
        election,
        station=f.station(),
        role=f.role(),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=2,
        by=None,
    )


def test_shifts_inside_the_window_are_created(settings):
    settings.SHIFT_WINDOW_DAYS_BEFORE = 60
    e = f.election(election_date=DAY)
    create(e, at(DAY - timedelta(days=60), 0), at(DAY - timedelta(days=60), 16))  # postal votes
    create(e, at(DAY, 20), at(DAY + timedelta(days=1), 1))  # the count, overnight
    create(e, at(DAY + timedelta(days=1), 8), at(DAY + timedelta(days=1), 12))  # recount morning
    assert e.shifts.count() == 3


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (at(date(2030, 6, 1), 8), at(date(2030, 6, 1), 20)),  # years away: a typo
        (at(DAY - timedelta(days=61), 23), at(DAY - timedelta(days=60), 2)),  # starts too early
        (at(DAY + timedelta(days=1), 8), at(DAY + timedelta(days=1), 12, 30)),  # past noon after
    ],
)
def test_a_shift_outside_the_window_is_refused_with_the_window(settings, starts, ends):
    settings.SHIFT_WINDOW_DAYS_BEFORE = 60
    e = f.election(election_date=DAY)
    with pytest.raises(ValidationError) as refused:
        create(e, starts, ends)
    [message] = refused.value.message_dict["starts_at"]
    assert "60 days before election day until noon the day after" in message
    assert "2027" in message and not re.search(r"\d{4}-\d\d-\d\d", message)  # localised
    assert not e.shifts.exists()


def test_moving_a_shift_out_of_the_window_is_refused():
    e = f.election(election_date=DAY)
    shift = f.shift(e)
    with pytest.raises(ValidationError):
        services.reschedule_shift(
            shift, starts_at=at(date(2029, 1, 1), 8), ends_at=at(date(2029, 1, 1), 9), by=None
        )
    shift.refresh_from_db()
    assert timezone.localtime(shift.starts_at).date() == DAY
