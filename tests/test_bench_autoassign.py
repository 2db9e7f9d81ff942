"""The auto-assign benchmark's data builder (bench.autoassign), at town scale:
what it adds is what auto-assign reads, and a dry run on it is optimal on the
seat count and fills at least as many seats as the greedy baseline."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from autoassign import job
from autoassign.models import SeatRule
from autoassign.problem import Scope
from autoassign.wishes import previous_election
from bench import autoassign as bench
from bench import datagen
from elections.models import Election, Role, Shift
from polling_stations.models import PollingStation, PostalCode
from staffing.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Assignment, Preference
from volunteers.models import Skill, Volunteer


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    mean = math.radians((a[0] + b[0]) / 2)
    return 111.2 * math.hypot((b[1] - a[1]) * math.cos(mean), b[0] - a[0])


@pytest.fixture
def built(db):
    result = datagen.generate(
        "town",
        election_date=timezone.localdate() + timedelta(days=30),
        fill=bench.KEEP_FILL,
        analyze=False,
    )
    counts = bench.add_autoassign_data(result.election)
    return result.election, counts


def test_positions_for_every_postal_code_and_station_with_areas_apart(built):
    election, counts = built
    codes = set(Volunteer.objects.values_list("postal_code", flat=True)) | set(
        PollingStation.objects.values_list("postal_code", flat=True)
    )
    rows = PostalCode.objects.values_list("code", "latitude", "longitude")
    known = {c: (lat, lon) for c, lat, lon in rows}
    assert codes <= set(known)
    stations = list(PollingStation.objects.filter(shifts__election=election).distinct())
    assert stations and all(s.latitude is not None and s.longitude is not None for s in stations)
    assert counts["stations_placed"] == len(stations)
    for a in stations:
        # Near its postal code's centre (or its area's), far from other areas.
        assert km((a.latitude, a.longitude), known[a.postal_code]) < 15
        for b in stations:
            d = km((a.latitude, a.longitude), (b.latitude, b.longitude))
            if a.area_id == b.area_id:
                assert d < 2 * (bench.POSTAL_RADIUS_KM + bench.STATION_RADIUS_KM)
            else:
                assert d > 25  # auto-assign's default farthest distance


def test_skills_training_required_of_chairs_and_languages(built):
    _election, counts = built
    chair = Role.objects.get(name=bench.CHAIR_ROLE)
    assert list(chair.required_skills.values_list("name", flat=True)) == [bench.CHAIR_TRAINING]
    languages = set(Skill.objects.filter(kind=Skill.Kind.LANGUAGE).values_list("name", flat=True))
    assert set(bench.LANGUAGES) <= languages
    people = Volunteer.objects.count()
    english = Volunteer.objects.filter(skills__name="Engelsk").count()
    assert 0.1 * people < english < 0.4 * people
    trained = Volunteer.objects.filter(skills__name=bench.CHAIR_TRAINING)
    party = Volunteer.objects.filter(teams__kind="party").distinct()
    assert trained.count() == counts["trained"] > 0
    # Most party members (the chairs' seats are party seats) have the training.
    assert trained.filter(pk__in=party).count() > 0.4 * party.count()


def test_preferences_for_about_half_with_wishes_near_them(built):
    election, counts = built
    willing = Volunteer.objects.filter(do_not_contact=False).count()
    prefs = Preference.objects.filter(election=election)
    assert 0.35 * willing < prefs.count() < 0.65 * willing
    assert prefs.filter(near_home=True).exists()
    assert prefs.exclude(available_days=[]).exists()  # the election has two days
    days = {d.isoformat() for d in Shift.objects.filter(election=election).local_days()}
    assert len(days) == 2
    for p in prefs.exclude(available_days=[]):
        assert set(p.available_days) <= days and len(p.available_days) == 1
    assert prefs.filter(refused_roles__isnull=False).exists()
    assert prefs.filter(wanted_roles__isnull=False).exists()
    assert prefs.filter(max_shifts=2).count() == counts.get("two_shifts", 0)
    with_station = prefs.filter(preferred_stations__isnull=False).distinct()
    assert with_station.count() > 0.2 * prefs.count()
    for p in with_station.select_related("volunteer").prefetch_related("preferred_stations"):
        areas = {
            s.area_id for s in PollingStation.objects.filter(postal_code=p.volunteer.postal_code)
        }
        assert {s.area_id for s in p.preferred_stations.all()} <= areas
    assert prefs.filter(preferred_areas__isnull=False).exists()


def test_a_previous_election_where_about_a_third_held_a_seat_near_them(built):
    election, counts = built
    previous = previous_election(election)
    assert previous is not None and previous.election_date < election.election_date
    assert previous.status == Election.Status.CLOSED
    held = Assignment.objects.filter(shift__election=previous, status__in=FILLED_STATUSES)
    assert held.count() == counts["previous_seats_held"]
    people = Volunteer.objects.filter(do_not_contact=False).count()
    assert 0.2 * people < held.values("volunteer").distinct().count() <= 0.31 * people
    for a in held.select_related("shift__station", "volunteer", "shift__team"):
        same_area = PollingStation.objects.filter(
            postal_code=a.volunteer.postal_code, area_id=a.shift.station.area_id
        )
        assert same_area.exists()
        if a.shift.team_id:
            assert a.volunteer.teams.filter(pk=a.shift.team_id).exists()
    # Within capacity, on seats like this election's.
    for shift in Shift.objects.filter(election=previous):
        assert held.filter(shift=shift).count() <= shift.capacity


def test_rules_and_most_seats_open(built):
    election, _counts = built
    rules = {(r.kind, r.count, r.skill and r.skill.name, r.role and r.role.name)
             for r in SeatRule.objects.filter(election=election)}  # fmt: skip
    assert rules == {
        (SeatRule.Kind.AT_LEAST_SKILL, 1, "Engelsk", None),
        (SeatRule.Kind.AT_MOST_PER_PARTY, 2, None, bench.CHAIR_ROLE),
    }
    seats = Shift.objects.filter(election=election).aggregate(n=Sum("capacity"))["n"]
    held = Assignment.objects.filter(shift__election=election, status__in=SEAT_HOLDING_STATUSES)
    assert 0 < held.count() < 0.12 * seats


def test_a_dry_run_is_optimal_on_seats_and_beats_or_equals_greedy(built):
    election, _counts = built
    f = job.compute(election, Scope(), time_limit=10).figures
    assert f["open_seats"] > 200
    assert f["filled"] == f["seat_bound"]
    assert f["filled"] >= f["greedy_filled"]
    assert f["gap"] <= 0.01
    assert sum(f["wishes"].values()) > 0
    assert f["wishes"]["last"] > 0 and f["wishes"]["station"] > 0
