"""Property tests (hypothesis): on random small elections — stations, shifts at
overlapping times, party reservations, young people, existing seats, earlier
declines, wishes and refusals — every proposal passes the staffing services'
own checks (each proposed seat is invited through ``staffing.services.invite``
and none is refused), keeps every preference that is a hard rule, is optimal on
seats, and never fills fewer seats than the greedy baseline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoassign import job
from autoassign.problem import Scope
from polling_stations.models import PostalCode
from staffing import services
from staffing.models import Assignment, Preference
from tests import factories as f
from volunteers.models import Team, Volunteer

pytestmark = pytest.mark.django_db

shifts_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),  # station
        st.sampled_from([7, 8, 12, 16]),  # start hour
        st.sampled_from([3, 4, 9]),  # hours
        st.integers(1, 3),  # seats
        st.sampled_from([None, 0, 1]),  # team reservation
        st.integers(0, 1),  # role (1: minimum age 21)
    ),
    min_size=1,
    max_size=6,
)
people_strategy = st.lists(
    st.tuples(
        st.integers(16, 70),  # age
        st.sets(st.integers(0, 1), max_size=2),  # teams
        st.sampled_from([None, "pref", "unavailable", "refuse0", "max2"]),
        st.integers(0, 2),  # a preferred station
    ),
    min_size=1,
    max_size=9,
)
history_strategy = st.lists(
    st.tuples(st.integers(0, 8), st.integers(0, 5), st.sampled_from(["accepted", "declined"])),
    max_size=4,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shifts=shifts_strategy, people=people_strategy, history=history_strategy)
def test_every_proposal_passes_the_services_checks_and_beats_greedy(db, shifts, people, history):
    with transaction.atomic():
        _check(shifts, people, history)
        transaction.set_rollback(True)


def _check(shifts, people, history) -> None:
    PostalCode.objects.get_or_create(
        code="9990", defaults={"name": "Sønderå", "latitude": 55.0, "longitude": 10.0}
    )
    election = f.election()
    day = election.election_date
    stations = [f.station(postal_code="9990") for _ in range(3)]
    teams = [f.team(kind=Team.Kind.PARTY) for _ in range(2)]
    roles = [f.role(min_age=18), f.role(min_age=21)]
    made = []
    for station_i, start, hours, seats, team_i, role_i in shifts:
        shift = f.shift(
            election,
            capacity=seats,
            station_=stations[station_i],
            role_=roles[role_i],
            team=None if team_i is None else teams[team_i],
        )
        shift.starts_at = f.at(day, start)
        shift.ends_at = shift.starts_at + timedelta(hours=hours)
        shift.save()
        made.append(shift)
    volunteers = []
    for age, team_set, kind, station_i in people:
        born = day.replace(year=day.year - age) - timedelta(days=1)
        v = f.volunteer(born=born, postal_code="9990")
        v.teams.set([teams[t] for t in team_set])
        if kind is not None:
            pref = Preference.objects.create(
                volunteer=v,
                election=election,
                available=kind != "unavailable",
                max_shifts=2 if kind == "max2" else None,
            )
            pref.preferred_stations.set([stations[station_i]])
            if kind == "refuse0":
                pref.refused_roles.set([roles[0]])
        volunteers.append(v)
    for person_i, shift_i, status in history:
        if person_i < len(volunteers) and shift_i < len(made):
            shift = made[shift_i]
            if status == "accepted" and shift.assignments.holding_seat().count() >= shift.capacity:
                continue
            Assignment.objects.get_or_create(
                shift=shift,
                volunteer=volunteers[person_i],
                defaults={"status": status, "responded_at": shift.starts_at},
            )

    outcome = job.compute(election, Scope(), time_limit=10)
    result, greedy = outcome.result, outcome.greedy
    assert result.filled >= greedy.filled
    assert result.filled == result.seat_bound
    seats = outcome.loaded.seats(result)
    # Preferences that are hard rules.
    for seat in seats:
        pref = Preference.objects.filter(volunteer_id=seat.volunteer_id, election=election).first()
        if pref is None:
            continue
        assert pref.available
        shift = next(s for s in made if s.pk == seat.shift_id)
        assert shift.role_id not in set(pref.refused_roles.values_list("pk", flat=True))
    for v in volunteers:
        pref = Preference.objects.filter(volunteer=v, election=election).first()
        most = (pref.max_shifts if pref and pref.max_shifts else None) or 1
        held = Assignment.objects.holding_seat().filter(volunteer=v, shift__election=election)
        new = sum(1 for s in seats if s.volunteer_id == v.pk)
        assert new == 0 or held.count() + new <= most
    # The staffing services accept every proposed seat.
    by_shift: dict[int, list[int]] = {}
    for seat in seats:
        by_shift.setdefault(seat.shift_id, []).append(seat.volunteer_id)
    for shift in made:
        wanted = by_shift.get(shift.pk, [])
        if not wanted:
            continue
        invited = services.invite(shift, Volunteer.objects.filter(pk__in=wanted), by=None)
        assert [(v.pk, r.code) for v, r in invited.refused] == []
        assert len(invited.invited) == len(wanted)
