"""Auto-assign on the database: every hard rule holds even against the person
with the most wishes, the proposal passes the staffing services' own checks,
locked rows and accepted seats survive a re-run, the reasons for what is left
open, scopes, one run at a time, the job and the command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autoassign import explain, job
from autoassign.models import OpenSeat, Proposal, ProposalRow, SeatRule, Weights
from autoassign.problem import Scope
from pollcrew.refusals import Refused
from polling_stations.models import PostalCode
from staffing import services
from staffing.models import Assignment, Preference
from tests import factories as f
from volunteers.models import Skill, Team

pytestmark = pytest.mark.django_db


def compute(election, **scope):
    return job.compute(election, Scope(**scope), time_limit=10)


def proposed(outcome) -> set[tuple[int, int]]:
    return {(s.shift_id, s.volunteer_id) for s in outcome.loaded.seats(outcome.result)}


def wish(volunteer, election, **kw):
    stations = kw.pop("stations", ())
    refused = kw.pop("refused", ())
    wanted = kw.pop("wanted", ())
    pref = Preference.objects.create(volunteer=volunteer, election=election, **kw)
    pref.preferred_stations.set(stations)
    pref.refused_roles.set(refused)
    pref.wanted_roles.set(wanted)
    return pref


@pytest.fixture
def town():
    """One station with one open seat; Star wishes for it (station and role),
    Plain has no wishes. Both live next door."""
    PostalCode.objects.create(code="9990", name="Sønderå", latitude=55.0, longitude=10.0)
    election = f.election()
    station = f.station(postal_code="9990", latitude=55.0, longitude=10.0)
    role = f.role(min_age=18)
    shift = f.shift(election, capacity=1, station_=station, role_=role)
    star = f.volunteer(postal_code="9990", first_name="Star")
    plain = f.volunteer(postal_code="9990", first_name="Plain")
    return {
        "election": election,
        "station": station,
        "role": role,
        "shift": shift,
        "star": star,
        "plain": plain,
    }


def _break(rule: str, t: dict) -> None:
    """Make Star break ``rule`` (and keep their wishes)."""
    election, shift, star = t["election"], t["shift"], t["star"]
    other_day = election.election_date + timedelta(days=1)
    if rule == "do_not_contact":
        star.do_not_contact = True
        star.save()
    elif rule == "unreachable":
        star.unreachable = True
        star.save()
    elif rule == "too_young":
        star.birth_date = election.election_date.replace(year=election.election_date.year - 17)
        star.save()
    elif rule == "team":
        party = f.team(kind=Team.Kind.PARTY)
        shift.team = party
        shift.save()
        t["plain"].teams.add(party)
    elif rule == "declined_before":
        Assignment.objects.create(
            shift=shift,
            volunteer=star,
            status=Assignment.Status.DECLINED,
            responded_at=shift.starts_at,
        )
    elif rule == "overlap":
        elsewhere = f.shift(f.election(), capacity=1, start=12, end=14)
        elsewhere.starts_at = shift.starts_at + timedelta(hours=2)
        elsewhere.ends_at = shift.starts_at + timedelta(hours=4)
        elsewhere.save()
        Assignment.objects.create(
            shift=elsewhere, volunteer=star, status="accepted", responded_at=shift.starts_at
        )
    elif rule == "most_shifts":
        evening = f.shift(election, capacity=1, station_=f.station(), start=21, end=23)
        Assignment.objects.create(shift=evening, volunteer=star, status="invited")
    elif rule == "skill":
        training = Skill.objects.create(name="Chair training", kind=Skill.Kind.TRAINING)
        t["role"].required_skills.add(training)
        t["plain"].skills.add(training)
    elif rule in ("unavailable", "day", "refused_role"):
        Preference.objects.filter(volunteer=star).update(
            available=rule != "unavailable",
            available_days=[other_day.isoformat()] if rule == "day" else [],
        )
        if rule == "refused_role":
            pref = Preference.objects.get(volunteer=star)
            pref.wanted_roles.clear()
            pref.refused_roles.add(t["role"])
    else:  # pragma: no cover
        raise AssertionError(rule)


RULES = [
    "do_not_contact",
    "unreachable",
    "too_young",
    "team",
    "declined_before",
    "overlap",
    "most_shifts",
    "skill",
    "unavailable",
    "day",
    "refused_role",
]


def test_without_a_broken_rule_the_person_with_wishes_gets_the_seat(town):
    wish(town["star"], town["election"], stations=[town["station"]], wanted=[town["role"]])
    outcome = compute(town["election"])
    assert proposed(outcome) == {(town["shift"].pk, town["star"].pk)}
    assert outcome.greedy.filled == 1


@pytest.mark.parametrize("rule", RULES)
def test_a_hard_rule_beats_every_wish(town, rule):
    wish(town["star"], town["election"], stations=[town["station"]], wanted=[town["role"]])
    _break(rule, town)
    outcome = compute(town["election"])
    assert proposed(outcome) == {(town["shift"].pk, town["plain"].pk)}


def test_the_proposal_passes_the_staffing_services_checks(town):
    """Every proposed seat can be invited through staffing.services.invite."""
    for rule in ("team", "overlap", "declined_before"):
        _break(rule, town)
    extra = [f.volunteer(postal_code="9990") for _ in range(4)]
    for v in extra[:2]:
        v.teams.add(town["shift"].team)
    second = f.shift(town["election"], capacity=3, station_=town["station"], start=8, end=20)
    outcome = compute(town["election"])
    assert outcome.result.filled == 4
    by_shift: dict[int, list[int]] = {}
    for shift_id, volunteer_id in proposed(outcome):
        by_shift.setdefault(shift_id, []).append(volunteer_id)
    for shift in (town["shift"], second):
        result = services.invite(shift, list(_people(by_shift.get(shift.pk, []))), by=None)
        assert result.refused == []
        assert len(result.invited) == len(by_shift.get(shift.pk, []))


def _people(ids):
    from volunteers.models import Volunteer

    return Volunteer.objects.filter(pk__in=ids)


def test_far_away_people_are_not_proposed_unless_they_asked(town):
    PostalCode.objects.create(code="1000", name="Far", latitude=56.0, longitude=12.0)
    far = f.volunteer(postal_code="1000")
    town["plain"].do_not_contact = True
    town["plain"].save()
    town["star"].do_not_contact = True
    town["star"].save()
    outcome = compute(town["election"])
    assert outcome.result.filled == 0
    (why,) = outcome.open_seats
    assert why.code == "near"
    assert "nobody can come here" in explain.open_seat_text(why.code, why.params)
    wish(far, town["election"], stations=[town["station"]])
    assert proposed(compute(town["election"])) == {(town["shift"].pk, far.pk)}


def test_reasons_for_a_team_seat_nobody_can_take(town):
    party = f.team(name="Venstre", kind=Team.Kind.PARTY)
    town["shift"].team = party
    town["shift"].save()
    outcome = compute(town["election"])
    (why,) = outcome.open_seats
    assert why.code == "team"
    text = explain.open_seat_text(why.code, why.params)
    assert "Venstre" in text and "no free member" in text
    codes = {o.volunteer_id: o.code for o in outcome.left_out}
    assert codes == {town["star"].pk: "team", town["plain"].pk: "team"}
    assert "reserved for teams" in explain.left_out_text("team", {})


def test_people_left_over_are_told_others_fit_better(town):
    wish(town["star"], town["election"], stations=[town["station"]])
    outcome = compute(town["election"])
    assert [(o.volunteer_id, o.code) for o in outcome.left_out] == [
        (town["plain"].pk, "others_fit_better")
    ]


def test_party_limit_per_station(town):
    town["shift"].capacity = 3
    town["shift"].save()
    party = f.team(kind=Team.Kind.PARTY)
    members = [f.volunteer(postal_code="9990") for _ in range(3)]
    for m in members:
        m.teams.add(party)
        wish(m, town["election"], stations=[town["station"]])
    town["star"].do_not_contact = True
    town["star"].save()
    SeatRule.objects.create(
        election=town["election"], kind=SeatRule.Kind.AT_MOST_PER_PARTY, count=1
    )
    outcome = compute(town["election"])
    chosen = {v for _s, v in proposed(outcome)}
    assert len(chosen & {m.pk for m in members}) == 1
    assert town["plain"].pk in chosen
    (why,) = outcome.open_seats
    assert why.code == "party_limit"
    assert "at most 1 from one party" in explain.open_seat_text(why.code, why.params)


def test_language_minimum_is_met_and_reported_when_it_cannot_be(town):
    arabic = Skill.objects.create(name="Arabic", kind=Skill.Kind.LANGUAGE)
    town["plain"].skills.add(arabic)
    wish(town["star"], town["election"], stations=[town["station"]])
    SeatRule.objects.create(
        election=town["election"], kind=SeatRule.Kind.AT_LEAST_SKILL, count=1, skill=arabic
    )
    outcome = compute(town["election"])
    assert proposed(outcome) == {(town["shift"].pk, town["plain"].pk)}
    assert outcome.unmet == []
    town["plain"].skills.clear()
    outcome = compute(town["election"])
    assert outcome.result.filled == 1  # the seat is still filled
    assert outcome.unmet == [
        {"station": town["station"].name, "skill": "Arabic", "role": "", "missing": 1}
    ]
    assert "1 more person with Arabic" in explain.unmet_rule_text(outcome.unmet[0])


def test_last_election_and_experience_count_as_wishes(town):
    earlier = f.election(days_ahead=-300, status="closed")
    old = f.shift(earlier, capacity=1, station_=town["station"], role_=town["role"])
    Assignment.objects.create(
        shift=old, volunteer=town["plain"], status="accepted", responded_at=old.starts_at
    )
    town["election"].copied_from = earlier
    town["election"].save()
    outcome = compute(town["election"])
    (seat,) = outcome.loaded.seats(outcome.result)
    assert seat.volunteer_id == town["plain"].pk
    assert set(seat.wishes) >= {"last", "experience"}


def test_scope_limits_the_run_to_an_area_station_role_or_day(town):
    PostalCode.objects.create(code="9991", name="Nord", latitude=55.01, longitude=10.0)
    other = f.shift(
        town["election"], capacity=1, station_=f.station(postal_code="9991"), role_=f.role()
    )
    f.volunteer(postal_code="9990")
    everything = {s for s, _v in proposed(compute(town["election"]))}
    assert everything == {town["shift"].pk, other.pk}
    only = {town["shift"].pk: {"station_id": town["station"].pk}}
    for scope in (
        {"station_id": other.station_id},
        {"area_id": other.station.area_id},
        {"role_id": other.role_id},
    ):
        assert {s for s, _v in proposed(compute(town["election"], **scope))} == {other.pk}
    assert {s for s, _v in proposed(compute(town["election"], **only[town["shift"].pk]))} == {
        town["shift"].pk
    }
    day = town["election"].election_date
    assert compute(town["election"], day=day).loaded.problem.n_slots == 2
    assert compute(town["election"], day=day + timedelta(days=3)).loaded.problem.n_slots == 0


def test_loading_takes_the_same_queries_for_more_people_and_seats(town):
    party = f.team(kind=Team.Kind.PARTY)
    f.shift(town["election"], capacity=1, station_=town["station"], team=party)
    town["plain"].teams.add(party)
    wish(town["star"], town["election"], stations=[town["station"]], wanted=[town["role"]])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            compute(town["election"])
        return len(queries)

    small = count()
    for _ in range(15):
        v = f.volunteer(postal_code="9990")
        v.teams.add(party)
        wish(v, town["election"], stations=[town["station"]], wanted=[town["role"]])
    for _ in range(5):
        f.shift(town["election"], capacity=2, station_=f.station(postal_code="9990"), team=party)
    assert count() == small


def run_job(election, **kw) -> Proposal:
    proposal = job.start_proposal(election, by=None, dispatch=False, **kw)
    job.run(proposal.pk)
    proposal.refresh_from_db()
    return proposal


def test_the_job_saves_a_proposal_with_figures_and_reasons(town):
    party = f.team(kind=Team.Kind.PARTY)
    f.shift(town["election"], capacity=2, station_=town["station"], team=party)
    proposal = run_job(town["election"])
    assert proposal.status == Proposal.Status.READY
    assert (proposal.open_seats, proposal.filled, proposal.seat_bound) == (3, 1, 1)
    assert proposal.gap == 0
    assert proposal.rows.count() == 1
    (gap,) = OpenSeat.objects.filter(proposal=proposal)
    assert (gap.seats, gap.code) == (2, "team")
    assert proposal.left_out.count() == 1


def test_one_run_at_a_time_per_election(town):
    job.start_proposal(town["election"], by=None, dispatch=False)
    with pytest.raises(Refused) as refused:
        job.start_proposal(town["election"], by=None, dispatch=False)
    assert refused.value.code == "running"


def test_closed_elections_get_no_proposal(town):
    town["election"].status = "closed"
    town["election"].save()
    with pytest.raises(Refused):
        job.start_proposal(town["election"], by=None)


def test_a_rerun_keeps_locked_rows_and_accepted_seats(town):
    town["shift"].capacity = 3
    town["shift"].save()
    people = [f.volunteer(postal_code="9990") for _ in range(4)]
    Assignment.objects.create(
        shift=town["shift"],
        volunteer=people[0],
        status="accepted",
        responded_at=town["shift"].starts_at,
    )
    first = run_job(town["election"])
    assert first.rows.count() == 2
    row = first.rows.exclude(volunteer=town["star"]).first()
    ProposalRow.objects.filter(pk=row.pk).update(locked=True)
    # Star now wishes for the seat very much: only the unlocked seat may change.
    wish(town["star"], town["election"], stations=[town["station"]], wanted=[town["role"]])
    second = run_job(town["election"])
    rows = {(r.volunteer_id, r.locked) for r in second.rows.all()}
    assert (row.volunteer_id, True) in rows
    assert (town["star"].pk, False) in rows
    assert len(rows) == 2
    assert Assignment.objects.get(volunteer=people[0]).status == "accepted"
    assert people[0].pk not in {v for v, _l in rows}
    first.refresh_from_db()
    assert first.status == Proposal.Status.DISCARDED


def test_the_celery_task_runs_the_job_on_commit(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = job.start_proposal(town["election"], by=None)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.READY
    assert proposal.rows.count() == 1


def test_weights_change_the_proposal(town):
    wish(town["star"], town["election"], wanted=[town["role"]])
    wish(town["plain"], town["election"], stations=[town["station"]])
    w = Weights.objects.create(election=town["election"], wanted_role=50, preferred_station=10)
    assert {v for _s, v in proposed(compute(town["election"]))} == {town["star"].pk}
    w.wanted_role, w.preferred_station = 10, 50
    w.save()
    assert {v for _s, v in proposed(compute(town["election"]))} == {town["plain"].pk}


def test_the_command_prints_the_figures_and_saves_only_without_dry_run(town):
    out = StringIO()
    call_command("auto_assign", "--election", str(town["election"].pk), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Seats filled:      1 of at most 1 possible" in text
    assert "greedy" in text and "Peak memory" in text
    assert not Proposal.objects.exists()
    out = StringIO()
    call_command("auto_assign", "--election", str(town["election"].pk), stdout=out)
    assert "saved for review" in out.getvalue()
    assert Proposal.objects.get().status == Proposal.Status.READY


def test_the_command_refuses_bad_input(town):
    with pytest.raises(CommandError, match="No election"):
        call_command("auto_assign", "--election", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match="No area"):
        call_command("auto_assign", "--election", str(town["election"].pk), "--area", "999999")
    with pytest.raises(CommandError, match="time-limit"):
        call_command("auto_assign", "--election", str(town["election"].pk), "--time-limit", "0")


@pytest.mark.parametrize("rule", ["team", "too_young", "skill"])
def test_where_a_hard_rule_makes_greedy_choose_wrong_the_optimum_fills_both(town, rule):
    """Star fits both seats and wishes for the first; Plain fits only the first
    because of ``rule``. Greedy gives Star the first seat and leaves the second
    empty; the optimum seats Plain first and Star second."""
    first, star, plain = town["shift"], town["star"], town["plain"]
    wish(star, town["election"], stations=[town["station"]], wanted=[town["role"]])
    later = f.station(postal_code="9990", sort_order=999)
    second_role = f.role(min_age=18)
    second = f.shift(town["election"], capacity=1, station_=later, role_=second_role)
    if rule == "team":
        party = f.team(kind=Team.Kind.PARTY)
        second.team = party
        second.save()
        star.teams.add(party)
    elif rule == "too_young":
        second_role.min_age = 25
        second_role.save()
        plain.birth_date = town["election"].election_date.replace(
            year=town["election"].election_date.year - 20
        )
        plain.save()
    else:
        training = Skill.objects.create(name="Fintæller-kursus", kind=Skill.Kind.TRAINING)
        second_role.required_skills.add(training)
        star.skills.add(training)
    outcome = compute(town["election"])
    assert outcome.greedy.filled == 1
    assert outcome.result.filled == 2
    assert proposed(outcome) == {(first.pk, plain.pk), (second.pk, star.pk)}


def test_the_page_names_unmet_rules_and_locked_seats_not_kept(town, client):
    from django.urls import reverse

    coordinator = f.user(coordinator=True)
    client.force_login(coordinator)
    proposal = Proposal.objects.create(
        election=town["election"],
        status=Proposal.Status.READY,
        stats={
            "unmet_rules": [
                {"station": "Øster <b>Skole</b>", "skill": "Arabic", "role": "", "missing": 2}
            ],
            "locked_not_kept": [
                {"name": "Karen <i>J</i>", "shift_label": "Valgstyrer · Øster", "why": "Full."}
            ],
        },
    )
    url = reverse(
        "autoassign:proposal",
        kwargs={"election_id": town["election"].pk, "proposal_id": proposal.pk},
    )
    page = client.get(url).content.decode()
    assert "Seat rules the proposal cannot meet" in page
    assert "Øster &lt;b&gt;Skole&lt;/b&gt;: 2 more people with Arabic are needed." in page
    assert "Locked seats that no longer fit" in page
    assert "Karen &lt;i&gt;J&lt;/i&gt; · Valgstyrer · Øster: Full." in page
