"""The benchmark data generator keeps the rules the services enforce.

Generated data is written with bulk_create, past staffing.services, so these
tests check the invariants directly in the database, independently of the
generator's own bookkeeping.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from io import StringIO
from itertools import pairwise

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from bench import datagen
from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from staffing.fill import fills_by
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from volunteers.models import Team, Volunteer

Status = Assignment.Status


@pytest.fixture
def town(db) -> datagen.Result:
    return datagen.generate("town", election_date=timezone.localdate() + timedelta(days=30))


def test_town_has_the_designed_size(town):
    election = town.election
    assert election.status == Election.Status.ACTIVE
    assert Area.objects.count() == 3
    assert PollingStation.objects.count() == 12
    assert Volunteer.objects.count() == 400
    assert Role.objects.count() == 5
    assert election.shifts.aggregate(seats=Sum("capacity"))["seats"] == 250
    assert Team.objects.filter(kind=Team.Kind.PARTY).count() >= 5
    assert Shift.objects.filter(team__kind=Team.Kind.PARTY).exists()
    statuses = set(Assignment.objects.values_list("status", flat=True))
    assert statuses == {Status.INVITED, Status.ACCEPTED, Status.DECLINED}
    accepted = Assignment.objects.filter(status=Status.ACCEPTED).count()
    assert 0.6 <= accepted / 250 <= 0.8
    assert town.counts["accepted"] == accepted


def test_shift_times_are_election_day_and_the_overnight_count(town):
    day = town.election.election_date
    spans = {
        (s.role.name, timezone.localtime(s.starts_at), timezone.localtime(s.ends_at))
        for s in Shift.objects.select_related("role")
    }
    for role, starts, ends in spans:
        assert ends > starts
        if role == "Fintæller":
            assert (starts.date(), starts.hour) == (day, 20)
            assert (ends.date(), ends.hour) == (day + timedelta(days=1), 1)
        elif role == "Brevstemmemodtager":
            assert starts.date() < day
        else:
            assert starts.date() == ends.date() == day
    assert Role.objects.get(name="Valgstyrer").invite_only


def test_no_volunteer_has_two_live_overlapping_shifts(town):
    live = defaultdict(list)
    for volunteer_id, starts, ends in Assignment.objects.filter(
        status__in=SEAT_HOLDING_STATUSES
    ).values_list("volunteer_id", "shift__starts_at", "shift__ends_at"):
        live[volunteer_id].append((starts, ends))
    for spans in live.values():
        spans.sort()
        for (_, first_end), (second_start, _) in pairwise(spans):
            assert second_start >= first_end
    assert any(len(spans) > 1 for spans in live.values())  # some work day and evening


def test_one_assignment_per_shift_and_volunteer(town):
    assert not (
        Assignment.objects.values("shift_id", "volunteer_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )


def test_capacity_is_never_exceeded(town):
    fills = fills_by(Shift.objects.all())
    assert fills and all(fill.held <= fill.needed for fill in fills.values())


def test_everyone_is_old_enough_on_the_day_of_the_shift(town):
    assignments = Assignment.objects.select_related("volunteer", "shift__role")
    for a in assignments:
        day = timezone.localtime(a.shift.starts_at).date()
        assert a.volunteer.age_on(day) >= a.shift.role.min_age, a
    ages = [v.age_on(town.election.election_date) for v in Volunteer.objects.all()]
    assert min(ages) >= 16
    assert max(ages) <= 80
    assert any(age < 18 for age in ages)  # a few 16 and 17 year olds


def test_reserved_seats_go_to_team_members(town):
    on_team_shifts = Assignment.objects.filter(shift__team__isnull=False)
    assert on_team_shifts.exists()
    assert not on_team_shifts.exclude(volunteer__teams=F("shift__team")).exists()


def test_answers_have_times_and_open_invitations_do_not(town):
    now = timezone.now()
    for a in Assignment.objects.all():
        if a.status == Status.INVITED:
            assert a.responded_at is None
            # Not so old that the expiry sweep would expire it at once.
            assert a.invited_at > now - timedelta(days=town.election.response_days)
        else:
            assert a.invited_at < a.responded_at <= now
    assert not Assignment.objects.filter(volunteer__do_not_contact=True).exists()


def test_contact_details_fit_the_channel(town):
    volunteers = list(Volunteer.objects.all())
    phones = [v.phone for v in volunteers if v.phone]
    assert len(phones) == len(set(phones))
    for v in volunteers:
        assert v.email or v.phone
        assert v.contact_address, v
        if v.phone:
            number = phonenumbers.parse(v.phone)
            assert number.country_code == 45
            assert phonenumbers.is_valid_number(number), v.phone
            assert v.phone == phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )
    channels = {v.preferred_channel for v in volunteers}
    assert channels == {"sms", "email"}
    assert {v.language for v in volunteers} == {"da", "en"}
    names = " ".join(f"{v.first_name} {v.last_name}" for v in volunteers)
    assert any(letter in names for letter in "æøå")
    assert any(letter in names for letter in "ÆØÅ")


def test_database_constraints_hold(town):
    connection.check_constraints()  # foreign keys
    for model in (Volunteer, Shift, Assignment, PollingStation):
        for obj in model.objects.all():
            obj.validate_constraints()


def test_the_same_seed_gives_the_same_data(town):
    def snapshot() -> list[tuple]:
        return list(
            Assignment.objects.order_by(
                "shift__station__name", "shift__starts_at", "pk"
            ).values_list(
                "shift__station__name",
                "shift__role__name",
                "volunteer__first_name",
                "volunteer__last_name",
                "volunteer__birth_date",
                "status",
            )
        )

    first = snapshot()
    datagen.flush_domain()
    assert not Volunteer.objects.exists()
    datagen.generate("town", election_date=town.election.election_date)
    assert snapshot() == first


def test_refuses_to_generate_a_scale_twice(town):
    with pytest.raises(datagen.DataExists):
        datagen.generate("town")


def test_generate_data_command(db):
    def run(*args: str) -> str:
        out = StringIO()
        call_command("generate_data", "--scale", "town", *args, stdout=out)
        return out.getvalue()

    output = run("--election-name", "Testvalg")
    assert "12 stations" in output
    assert "400 volunteers" in output
    assert "already exists" in run("--election-name", "Testvalg")
    run("--election-name", "Testvalg", "--flush")
    assert Election.objects.count() == 1
    assert Volunteer.objects.count() == 400
    assert Election.objects.get().name == "Testvalg"
    assert not Shift.objects.filter(~Q(election__name="Testvalg")).exists()


def test_scales_are_sized_as_designed():
    expected = {"town": (12, 250, 400), "city": (50, 3_000, 6_000)}
    expected["national"] = (1_400, 60_000, 100_000)
    for name, (stations, seats, volunteers) in expected.items():
        scale = datagen.SCALES[name]
        assert (scale.stations, scale.seats, scale.volunteers) == (stations, seats, volunteers)
    assert len(datagen.SCALES["town"].areas) == 3
    assert len(datagen.SCALES["national"].areas) == 92
    assert len({name for name, _ in datagen.SCALES["national"].areas}) == 92
