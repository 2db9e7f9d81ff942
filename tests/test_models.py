"""Every named database constraint refuses what it should."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from elections.models import Shift
from notifications.models import Message
from polling_stations.models import PollingStation
from staffing.fill import fill_of, fill_of_shift, with_fill
from staffing.models import Assignment, PersonalLink
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def refused(constraint: str, make, *, or_also: str = "") -> None:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        make()
    error = str(excinfo.value)
    # PostgreSQL names every constraint; SQLite names CHECK constraints but gives
    # the columns for UNIQUE ones.
    assert constraint in error or (or_also and or_also in error) or "UNIQUE" in error


def test_shift_capacity_must_be_positive():
    e = f.election()
    s = f.station()
    r = f.role()
    refused(
        "shift_capacity_positive",
        lambda: Shift.objects.create(
            election=e,
            station=s,
            role=r,
            starts_at=f.at(e.election_date, 8),
            ends_at=f.at(e.election_date, 20),
            capacity=0,
        ),
    )


def test_shift_must_end_after_it_starts():
    e = f.election()
    refused(
        "shift_ends_after_start",
        lambda: Shift.objects.create(
            election=e,
            station=f.station(),
            role=f.role(),
            starts_at=f.at(e.election_date, 20),
            ends_at=f.at(e.election_date, 8),
            capacity=2,
        ),
    )


def test_overnight_shift_is_allowed():
    e = f.election()
    start = f.at(e.election_date, 20)
    shift = Shift.objects.create(
        election=e,
        station=f.station(),
        role=f.role(),
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
        capacity=2,
    )
    assert shift.ends_at.date() > shift.starts_at.date()


def test_one_live_assignment_per_shift_and_volunteer():
    shift = f.shift()
    v = f.volunteer()
    Assignment.objects.create(shift=shift, volunteer=v, status="invited")
    refused(
        "assignment_one_live_per_shift_volunteer",
        lambda: Assignment.objects.create(shift=shift, volunteer=v, status="invited"),
    )


def test_finished_assignments_do_not_block_a_new_one():
    shift = f.shift()
    v = f.volunteer()
    Assignment.objects.create(shift=shift, volunteer=v, status="expired")
    Assignment.objects.create(
        shift=shift, volunteer=v, status="withdrawn", responded_at=timezone.now()
    )
    assert Assignment.objects.create(shift=shift, volunteer=v, status="invited").pk


def test_an_answer_needs_its_time():
    refused(
        "assignment_answer_has_time",
        lambda: Assignment.objects.create(
            shift=f.shift(), volunteer=f.volunteer(), status="accepted"
        ),
    )


def test_check_in_needs_its_time():
    refused(
        "assignment_checkin_has_time",
        lambda: Assignment.objects.create(
            shift=f.shift(), volunteer=f.volunteer(), status="checked_in"
        ),
    )


def test_volunteer_needs_email_or_phone():
    # Without any address the channel constraint fails too; either may be reported.
    refused(
        "volunteer_has_email_or_phone",
        lambda: Volunteer.objects.create(
            first_name="A", last_name="B", birth_date=date(1990, 1, 1), preferred_channel="sms"
        ),
        or_also="volunteer_channel_has_address",
    )


def test_volunteer_channel_needs_its_address():
    refused(
        "volunteer_channel_has_address",
        lambda: Volunteer.objects.create(
            first_name="A",
            last_name="B",
            birth_date=date(1990, 1, 1),
            email="a@b.dk",
            preferred_channel="sms",
        ),
    )


@pytest.mark.parametrize("phone", ["20123456", "+45 20 12 34 56"])
def test_volunteer_phone_is_stored_in_e164(phone):
    refused(
        "volunteer_phone_e164",
        lambda: Volunteer.objects.create(
            first_name="A",
            last_name="B",
            birth_date=date(1990, 1, 1),
            phone=phone,
            preferred_channel="sms",
        ),
    )


def test_message_idempotency_key_is_unique():
    def make():
        Message.objects.create(
            channel="email", to="a@b.dk", kind="x", language="da", body="b", idempotency_key="same"
        )

    make()
    refused("message_unique_idempotency_key", make)


def test_message_needs_a_recipient():
    refused(
        "message_has_recipient",
        lambda: Message.objects.create(
            channel="email", to="", kind="x", language="da", body="b", idempotency_key="k1"
        ),
    )


def test_personal_link_hash_is_unique():
    v = f.volunteer()
    e = f.election()
    PersonalLink.objects.create(
        volunteer=v, election=e, token_hash="a" * 64, expires_at=timezone.now()
    )
    refused(
        "personallink_unique_token_hash",
        lambda: PersonalLink.objects.create(
            volunteer=v, election=e, token_hash="a" * 64, expires_at=timezone.now()
        ),
    )


def test_station_names_are_unique_within_an_area():
    s = f.station(name="Rådhuset")
    refused(
        "station_unique_name_per_area",
        lambda: PollingStation.objects.create(
            area=s.area, name="Rådhuset", address="x", postal_code="1", city="y"
        ),
    )
    assert f.station(name="Rådhuset").pk  # another area may use the name


def test_fill_counts_count_what_holds_a_seat():
    shift = f.shift(capacity=5)
    now = timezone.now()
    for status in ["invited", "accepted", "declined", "expired", "checked_in"]:
        Assignment.objects.create(
            shift=shift,
            volunteer=f.volunteer(),
            status=status,
            responded_at=now if status in ("accepted", "declined") else None,
            checked_in_at=now if status == "checked_in" else None,
        )
    fill = fill_of_shift(shift)
    assert (fill.invited, fill.accepted, fill.held, fill.vacant) == (1, 2, 3, 2)
    annotated = fill_of(with_fill(Shift.objects.filter(pk=shift.pk)).get())
    assert annotated == fill


def test_danish_sort_order():
    from pollcrew.collation import danish_sorted

    names = ["Østerbro", "Aabenraa", "Ærø", "Zealand", "Odense", "Åby", "Ballerup"]
    assert danish_sorted(names, key=str) == [
        "Ballerup",
        "Odense",
        "Zealand",
        "Ærø",
        "Østerbro",
        "Aabenraa",
        "Åby",
    ]


def test_a_shift_is_named_with_the_pages_date_format_not_iso(settings):
    """Wherever a shift is printed (the Django admin, an assignment), its date is
    written as the pages write it, in the current language."""
    start = datetime(2027, 3, 9, 7, 30, tzinfo=timezone.get_current_timezone())
    shift = f.shift(f.election(election_date=start.date()), start=7, end=20)
    shift.starts_at = start
    shift.ends_at = start.replace(hour=20, minute=0)
    with translation.override("en"):
        assert str(shift).endswith(" · 09/03/2027 07:30\u201320:00")
    with translation.override("da"):
        assert str(shift).endswith(" · 09.03.2027 07:30\u201320:00")
    assert "2027-03-09" not in str(shift)
