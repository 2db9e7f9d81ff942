"""Adversarial review of auto-assign (issue 12): hard rules at the edges (birthdays,
Feb 29, overnight shifts across elections, started shifts, seats held by people
who are no longer "willing"), the reasons given, the waves after things changed,
swaps onto rows that are dropped, scopes and escaping on the pages, bad input."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from autoassign import explain, job, review, waves
from autoassign.models import OpenSeat, Proposal, ProposalRow, SeatRule
from autoassign.problem import Scope
from elections.models import Election
from pollcrew.refusals import Refused
from staffing import services
from staffing.models import Assignment, Preference
from staffing.services.preferences import set_preference
from tests import factories as f
from volunteers.models import Team

pytestmark = pytest.mark.django_db
Status = Proposal.Status
State = ProposalRow.State


def compute(election, **scope):
    return job.compute(election, Scope(**scope), time_limit=5)


def proposed(outcome) -> set[tuple[int, int]]:
    return {(s.shift_id, s.volunteer_id) for s in outcome.loaded.seats(outcome.result)}


def proposal_with(election, rows, status=Status.READY) -> Proposal:
    proposal = Proposal.objects.create(election=election, status=status, filled=len(rows))
    for shift, volunteer in rows:
        ProposalRow.objects.create(proposal=proposal, shift=shift, volunteer=volunteer)
    return proposal


def accepted(shift, volunteer) -> Assignment:
    return Assignment.objects.create(
        shift=shift, volunteer=volunteer, status="accepted", responded_at=timezone.now()
    )


# --- hard rules in the loader ----------------------------------------------------------------


def test_minimum_age_on_the_birthday_and_on_feb_29_matches_the_services():
    """Born 29 Feb: a year older on 1 March of a common year, not on 28 Feb (as
    Volunteer.age_on, which the invitation's check uses)."""
    role = f.role(min_age=19)
    leap = f.volunteer(born=date(2008, 2, 29))
    exact = f.volunteer(born=date(2008, 3, 1))
    young = f.volunteer(born=date(2008, 3, 2))
    first = f.election(election_date=date(2027, 3, 1), days_ahead=0)
    f.shift(first, role_=role, capacity=5)
    assert {v for _s, v in proposed(compute(first))} == {leap.pk, exact.pk}
    eve = f.election(election_date=date(2027, 2, 28), days_ahead=0)
    f.shift(eve, role_=role, capacity=5)
    assert {v for _s, v in proposed(compute(eve))} == set()
    assert [p.age_on(date(2027, 3, 1)) for p in (leap, exact, young)] == [19, 19, 18]
    assert leap.age_on(date(2027, 2, 28)) == 18


def test_an_overnight_seat_in_another_election_blocks_an_early_morning_shift():
    election = f.election()
    early = f.shift(election, capacity=1, start=5, end=9)
    other = f.election()
    night = f.shift(other, capacity=1)
    night.starts_at = early.starts_at - timedelta(hours=8)  # 21:00 the evening before
    night.ends_at = early.starts_at + timedelta(hours=1)  # until 06:00
    night.save()
    owl = f.volunteer()
    accepted(night, owl)
    outcome = compute(election)
    assert (early.pk, owl.pk) not in proposed(outcome)
    [why] = outcome.open_seats
    assert why.code == "overlap"


def test_a_shift_that_has_started_gets_no_proposal():
    election = f.election(days_ahead=0)
    started = f.shift(election, capacity=1)
    started.starts_at = timezone.now() - timedelta(minutes=1)
    started.ends_at = timezone.now() + timedelta(hours=3)
    started.save()
    f.volunteer()
    assert proposed(compute(election)) == set()


def test_a_person_in_two_parties_counts_for_both_party_limits():
    election = f.election()
    role = f.role()
    station = f.station()
    shift = f.shift(election, station_=station, role_=role, capacity=3)
    venstre = f.team("Venstre", kind=Team.Kind.PARTY)
    radikale = f.team("Radikale", kind=Team.Kind.PARTY)
    SeatRule.objects.create(
        election=election, kind=SeatRule.Kind.AT_MOST_PER_PARTY, count=1, role=role
    )
    both = f.volunteer()
    both.teams.add(venstre, radikale)
    v_only, r_only = f.volunteer(), f.volunteer()
    v_only.teams.add(venstre)
    r_only.teams.add(radikale)
    chosen = proposed(compute(election))
    # Whoever is chosen, no party has two: "both" rules out either of the others.
    assert len(chosen) == 2
    assert {v for _s, v in chosen} == {v_only.pk, r_only.pk}
    assert all(s == shift.pk for s, _v in chosen)


# Was a bug: a seat held by a party member who is no longer "willing" (unreachable, do not
# contact, unavailable) is not counted against "at most K from one party".
def test_party_limit_counts_seats_held_by_people_who_are_not_willing_any_more():
    election = f.election()
    role = f.role("Valgstyrer")
    shift = f.shift(election, role_=role, capacity=2)
    venstre = f.team("Venstre", kind=Team.Kind.PARTY)
    SeatRule.objects.create(
        election=election, kind=SeatRule.Kind.AT_MOST_PER_PARTY, count=1, role=role
    )
    seated = f.volunteer(first_name="Siddende")
    seated.teams.add(venstre)
    accepted(shift, seated)
    seated.unreachable = True  # their seat stays; messages to them bounced
    seated.save()
    candidate = f.volunteer(first_name="Kandidat")
    candidate.teams.add(venstre)
    # The swap check (review._seat_requirements) refuses a second Venstre chair here…
    other = f.volunteer()
    proposal = proposal_with(election, [(shift, other)])
    refusal = review.swap_refusals(proposal, shift, [candidate], by=None).get(candidate.pk)
    assert refusal is not None and refusal.code == "party_limit"
    # …and so must the optimiser.
    assert (shift.pk, candidate.pk) not in proposed(compute(election))


# --- reasons ---------------------------------------------------------------------------------


# Was a bug: a seat nobody can take because the only person near has their most shifts
# already is explained as "nobody lives within 25 km / asked for this station".
def test_the_reason_is_not_distance_when_the_neighbour_has_their_most_shifts():
    election = f.election()
    station = f.station()
    morning = f.shift(election, station_=station, capacity=1, start=8, end=12)
    evening = f.shift(election, station_=station, capacity=1, start=14, end=20)
    neighbour = f.volunteer()
    accepted(morning, neighbour)  # default most shifts: 1
    outcome = compute(election)
    [why] = [o for o in outcome.open_seats if o.shift_id == evening.pk]
    text = explain.open_seat_text(why.code, why.params)
    assert why.code != "near", text
    assert "lives within" not in text


# Was a bug: a reserved seat whose only team member is under the role's minimum age is
# explained as "no free member is available on <day>" (code "team"), not by the age.
def test_a_team_seat_whose_member_is_too_young_is_explained_by_the_age():
    election = f.election()
    role = f.role("Valgstyrer", min_age=18)
    venstre = f.team("Venstre", kind=Team.Kind.PARTY)
    shift = f.shift(election, role_=role, capacity=1, team=venstre)
    day = election.election_date
    member = f.volunteer(born=day.replace(year=day.year - 17))
    member.teams.add(venstre)
    f.volunteer()  # an adult, not a member
    outcome = compute(election)
    [why] = [o for o in outcome.open_seats if o.shift_id == shift.pk]
    text = explain.open_seat_text(why.code, why.params)
    assert why.code == "age", text


def test_reason_texts_do_not_inject_markup_into_the_station_page(coordinator):
    election = f.election()
    role = f.role("<script>alert(1)</script>")
    station = f.station(name="<img src=x onerror=alert(2)>")
    team = f.team("<b>Parti</b>", kind=Team.Kind.PARTY)
    shift = f.shift(election, station_=station, role_=role, capacity=1, team=team)
    f.volunteer(first_name="<i>Eve</i>")
    run = job.start_proposal(election, by=coordinator, dispatch=False)
    proposal = job.run(run.pk)
    assert proposal.status == Status.READY
    assert OpenSeat.objects.get(proposal=proposal, shift=shift).code == "team"
    c = Client()
    c.force_login(coordinator)
    page = c.get(
        reverse("autoassign:station", args=[election.pk, proposal.pk, station.pk])
    ).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page and "<b>Parti</b>" not in page
    assert "&lt;b&gt;Parti&lt;/b&gt;" in page


# --- swap, lock, drop ------------------------------------------------------------------------


# Was a bug: swapping a person onto a seat of a shift where their own row is dropped breaks
# the unique (proposal, shift, volunteer) constraint: IntegrityError, a 500 on the page.
def test_swap_onto_the_shift_of_ones_own_dropped_row_is_refused_or_works():
    election = f.election()
    coordinator = f.user(coordinator=True)
    shift = f.shift(election, capacity=2)
    karen, soren = f.volunteer(), f.volunteer()
    proposal = proposal_with(election, [(shift, karen), (shift, soren)])
    review.drop_row(ProposalRow.objects.get(proposal=proposal, volunteer=soren), True, by=None)
    row = ProposalRow.objects.get(proposal=proposal, volunteer=karen)
    with contextlib.suppress(Refused):
        review.swap_row(row, soren, by=coordinator)
    assert ProposalRow.objects.filter(proposal=proposal, volunteer=soren).count() == 1


# Was a bug: taking back a dropped row re-checks nothing: after the person was swapped onto
# a seat at the same time, they end up proposed for two overlapping seats.
def test_taking_back_a_dropped_row_is_refused_when_it_clashes_with_a_swap():
    election = f.election()
    coordinator = f.user(coordinator=True)
    role = f.role()
    here, there = f.shift(election, role_=role), f.shift(election, role_=role)
    karen, soren = f.volunteer(), f.volunteer()
    proposal = proposal_with(election, [(here, karen), (there, soren)])
    soren_row = ProposalRow.objects.get(proposal=proposal, volunteer=soren)
    review.drop_row(soren_row, True, by=coordinator)
    review.swap_row(ProposalRow.objects.get(proposal=proposal, shift=here), soren, by=coordinator)
    with contextlib.suppress(Refused):
        review.drop_row(soren_row, False, by=coordinator)
    live = ProposalRow.objects.filter(proposal=proposal, volunteer=soren, dropped=False)
    assert live.count() == 1


# Was a bug: after a swap the people-left-out list is stale: the person put on the seat by
# hand is still "left out" (others fit better), the person taken off is not listed.
def test_the_left_out_list_follows_a_swap(coordinator):
    election = f.election()
    shift = f.shift(election, capacity=1)
    star, plain = f.volunteer(first_name="Stjerne"), f.volunteer(first_name="Almindelig")
    wishes = Preference.objects.create(volunteer=star, election=election)
    wishes.preferred_stations.add(shift.station)
    proposal = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    assert list(proposal.left_out.values_list("volunteer_id", flat=True)) == [plain.pk]
    review.swap_row(proposal.rows.get(), plain, by=coordinator)
    c = Client()
    c.force_login(coordinator)
    page = c.get(reverse("autoassign:left_out", args=[election.pk, proposal.pk])).content.decode()
    assert "Almindelig" not in page


def test_rows_of_another_proposal_or_election_are_404_on_every_row_url(coordinator):
    election = f.election()
    shift = f.shift(election)
    mine = proposal_with(election, [(shift, f.volunteer())])
    other_election = f.election()
    theirs = proposal_with(other_election, [(f.shift(other_election), f.volunteer())])
    their_row = theirs.rows.get()
    c = Client()
    c.force_login(coordinator)
    for name in ("row_lock", "row_drop", "row_swap"):
        for args in (
            [election.pk, mine.pk, their_row.pk],
            [other_election.pk, mine.pk, mine.rows.get().pk],
        ):
            assert (
                c.post(reverse(f"autoassign:{name}", args=args), {"locked": "1"}).status_code == 404
            )
    their_row.refresh_from_db()
    assert not their_row.locked and not their_row.dropped


def test_station_managers_and_team_leaders_get_404_on_every_autoassign_url():
    election = f.election()
    station = f.station()
    party = f.team(kind=Team.Kind.PARTY)
    shift = f.shift(election, station_=station, team=party)
    proposal = proposal_with(election, [(shift, f.volunteer())])
    row = proposal.rows.get()
    e, p = election.pk, proposal.pk
    gets = [
        reverse("autoassign:home", args=[e]),
        reverse("autoassign:proposal", args=[e, p]),
        reverse("autoassign:station", args=[e, p, station.pk]),
        reverse("autoassign:left_out", args=[e, p]),
        reverse("autoassign:row_swap", args=[e, p, row.pk]),
        reverse("autoassign:settings", args=[e]),
    ]
    posts = [
        reverse("autoassign:run", args=[e]),
        reverse("autoassign:accept", args=[e, p]),
        reverse("autoassign:wave", args=[e, p]),
        reverse("autoassign:discard", args=[e, p]),
        reverse("autoassign:row_lock", args=[e, p, row.pk]),
        reverse("autoassign:row_drop", args=[e, p, row.pk]),
        reverse("autoassign:settings_rule_add", args=[e]),
    ]
    rule = SeatRule.objects.create(election=election, kind=SeatRule.Kind.AT_MOST_PER_PARTY, count=1)
    posts.append(reverse("autoassign:settings_rule_delete", args=[e, rule.pk]))
    for user in (
        f.user(role="station_manager", stations=[station]),
        f.user(role="team_leader", teams=[party]),
        f.user(coordinator=True, elections=[f.election()]),
    ):
        c = Client()
        c.force_login(user)
        for url in gets:
            assert c.get(url).status_code == 404, url
        for url in posts:
            assert c.post(url, {"size": "1"}).status_code == 404, url
    proposal.refresh_from_db()
    assert proposal.status == Status.READY
    assert SeatRule.objects.filter(pk=rule.pk).exists()
    assert not Proposal.objects.exclude(pk=proposal.pk).exists()


def test_a_seat_rule_of_another_election_cannot_be_deleted_through_ones_own(coordinator):
    mine, theirs = f.election(), f.election()
    rule = SeatRule.objects.create(election=theirs, kind=SeatRule.Kind.AT_MOST_PER_PARTY, count=1)
    c = Client()
    c.force_login(coordinator)
    url = reverse("autoassign:settings_rule_delete", args=[mine.pk, rule.pk])
    assert c.post(url).status_code == 404
    assert SeatRule.objects.filter(pk=rule.pk).exists()


def test_every_autoassign_post_needs_the_csrf_token(coordinator):
    election = f.election()
    shift = f.shift(election)
    proposal = proposal_with(election, [(shift, f.volunteer())])
    row = proposal.rows.get()
    e, p = election.pk, proposal.pk
    c = Client(enforce_csrf_checks=True)
    c.force_login(coordinator)
    for url in (
        reverse("autoassign:run", args=[e]),
        reverse("autoassign:accept", args=[e, p]),
        reverse("autoassign:wave", args=[e, p]),
        reverse("autoassign:discard", args=[e, p]),
        reverse("autoassign:row_lock", args=[e, p, row.pk]),
        reverse("autoassign:row_drop", args=[e, p, row.pk]),
        reverse("autoassign:row_swap", args=[e, p, row.pk]),
        reverse("autoassign:settings", args=[e]),
        reverse("autoassign:settings_rule_add", args=[e]),
    ):
        assert c.post(url, {"locked": "1", "dropped": "1"}).status_code == 403, url
    row.refresh_from_db()
    assert not row.locked and not row.dropped


def test_names_are_escaped_on_the_overview_left_out_and_swap_pages(coordinator):
    from autoassign.models import LeftOut

    election = f.election()
    area = f.area("<u>Nord</u>")
    station = f.station(area, name="<script>s()</script>")
    shift = f.shift(election, station_=station, role_=f.role("<em>Rolle</em>"))
    proposal = proposal_with(election, [(shift, f.volunteer(first_name="<script>p()</script>"))])
    proposal.open_seats = 1
    proposal.save()
    LeftOut.objects.create(
        proposal=proposal,
        volunteer=f.volunteer(last_name="<img src=x onerror=y()>"),
        code="near",
        params={"km": 25},
    )
    c = Client()
    c.force_login(coordinator)
    row = proposal.rows.get()
    for url in (
        reverse("autoassign:proposal", args=[election.pk, proposal.pk]),
        reverse("autoassign:left_out", args=[election.pk, proposal.pk]),
        reverse("autoassign:row_swap", args=[election.pk, proposal.pk, row.pk]),
        reverse("autoassign:station", args=[election.pk, proposal.pk, station.pk]),
    ):
        page = c.get(url).content.decode()
        for raw in ("<script>s()", "<script>p()", "<u>Nord", "<em>Rolle", "<img src=x"):
            assert raw not in page, (url, raw)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "max_party", "count": "99999999999999999999"},
        {"kind": "max_party", "count": "0"},
        {"kind": "min_skill", "count": "1", "skill": "abc"},
        {"kind": "min_skill", "count": "1", "skill": "999999"},
        {"kind": "min_skill", "count": "1"},
        {"kind": "nonsense", "count": "1"},
        {"kind": "max_party", "count": "1", "station": "999999"},
        {"kind": "max_party", "count": "1", "role": "x"},
    ],
)
def test_bad_seat_rules_are_field_errors(coordinator, data):
    election = f.election()
    f.shift(election)
    c = Client()
    c.force_login(coordinator)
    response = c.post(reverse("autoassign:settings_rule_add", args=[election.pk]), data)
    assert response.status_code == 200
    assert not SeatRule.objects.exists()


# --- waves after things changed --------------------------------------------------------------


# Was a bug: a wave invites a person who said on their wishes page, after the proposal, that
# they cannot help in this election (only staffing's invitation rules are re-checked).
def test_a_wave_does_not_invite_someone_who_since_said_they_cannot_help(
    django_capture_on_commit_callbacks,
):
    election = f.election()
    coordinator = f.user(coordinator=True)
    shift = f.shift(election, capacity=2)
    karen = f.volunteer()
    proposal = proposal_with(election, [(shift, karen)])
    set_preference(karen, election, by=None, available=False)
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator)
    assert not Assignment.objects.filter(volunteer=karen).exists()
    assert proposal.rows.get().state == State.REFUSED


# Was a bug: a wave gives a person more seats than their most shifts when they got a seat by
# hand after the proposal was made.
def test_a_wave_keeps_the_most_shifts_per_person(django_capture_on_commit_callbacks):
    election = f.election()
    coordinator = f.user(coordinator=True)
    station = f.station()
    morning = f.shift(election, station_=station, capacity=1, start=8, end=12)
    evening = f.shift(election, station_=station, capacity=1, start=14, end=20)
    karen = f.volunteer()
    outcome = compute(election)
    assert len(proposed(outcome)) == 1  # default most shifts: 1
    proposal = proposal_with(election, [(evening, karen)])
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(morning, [karen], by=coordinator)  # by hand, meanwhile
        waves.accept_proposal(proposal, by=coordinator)
    assert Assignment.objects.holding_seat().filter(volunteer=karen).count() == 1


# Was a bug: "send the next wave" in an election no longer active marks the whole wave
# refused for good, instead of refusing to send it (as accepting does).
def test_the_next_wave_in_an_election_not_active_is_refused_and_rows_stay(
    django_capture_on_commit_callbacks,
):
    election = f.election()
    coordinator = f.user(coordinator=True)
    shift = f.shift(election, capacity=3)
    people = [f.volunteer() for _ in range(2)]
    proposal = proposal_with(election, [(shift, p) for p in people])
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator, wave_size=1)
    Election.objects.filter(pk=election.pk).update(status=Election.Status.DRAFT)
    with pytest.raises(Refused), django_capture_on_commit_callbacks(execute=True):
        waves.send_wave(proposal, by=coordinator, size=1)
    assert proposal.rows.filter(state=State.REFUSED).count() == 0


def test_a_wave_refuses_a_row_whose_shift_was_made_smaller(django_capture_on_commit_callbacks):
    election = f.election()
    coordinator = f.user(coordinator=True)
    shift = f.shift(election, capacity=3)
    people = [f.volunteer() for _ in range(3)]
    proposal = proposal_with(election, [(shift, p) for p in people])
    shift.capacity = 1
    shift.save()
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator)
    assert Assignment.objects.holding_seat().filter(shift=shift).count() == 1
    assert proposal.rows.filter(state=State.REFUSED).count() == 2


def test_a_deleted_shift_or_person_between_proposal_and_accept(django_capture_on_commit_callbacks):
    election = f.election()
    coordinator = f.user(coordinator=True)
    gone_shift, kept_shift = f.shift(election), f.shift(election)
    gone_person, karen = f.volunteer(), f.volunteer()
    proposal = proposal_with(
        election, [(gone_shift, f.volunteer()), (kept_shift, gone_person), (kept_shift, karen)]
    )
    gone_shift.delete()
    gone_person.delete()
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator)
    assert list(proposal.rows.values_list("volunteer_id", "state")) == [(karen.pk, State.INVITED)]


def test_a_locked_row_carried_into_a_rerun_is_not_proposed_twice(coordinator):
    election = f.election()
    shift = f.shift(election, capacity=2)
    karen = f.volunteer()
    f.volunteer()
    first = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    row = first.rows.get(volunteer=karen)
    review.lock_row(row, True, by=coordinator)
    second = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    assert second.status == Status.READY
    assert second.rows.filter(volunteer=karen).count() == 1
    assert second.rows.count() <= shift.capacity
    first.refresh_from_db()
    assert first.status == Status.DISCARDED


# Was a bug: a locked row is carried into a re-run even when its shift has filled up by hand
# meanwhile: the new proposal over-books the shift and counts the seat as filled.
def test_a_rerun_does_not_carry_a_locked_row_onto_a_shift_that_filled_up(coordinator):
    election = f.election()
    shift = f.shift(election, capacity=1)
    karen = f.volunteer()
    first = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    review.lock_row(first.rows.get(volunteer=karen), True, by=coordinator)
    accepted(shift, f.volunteer())  # the seat went to someone by phone
    second = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    held = Assignment.objects.holding_seat().filter(shift=shift).count()
    live = second.rows.filter(dropped=False).exclude(state=State.REFUSED).count()
    assert held + live <= shift.capacity


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"time_limit": "-5"},
        {"time_limit": "99999999999999999999"},
        {"time_limit": "abc"},
        {"day": "2026-02-30"},
        {"day": "<script>"},
        {"area": "999999999"},
        {"station": "x"},
        {"role": "-1"},
    ],
)
def test_the_run_form_rejects_bad_input_without_a_run(coordinator, data):
    election = f.election()
    f.shift(election)
    c = Client()
    c.force_login(coordinator)
    response = c.post(reverse("autoassign:run", args=[election.pk]), data)
    assert response.status_code == 200
    assert not Proposal.objects.filter(election=election).exists()


@pytest.mark.parametrize("size", ["0", "-1", "100001", "1e3", "abc"])
def test_the_wave_form_rejects_bad_sizes(coordinator, size):
    election = f.election()
    proposal = proposal_with(election, [(f.shift(election), f.volunteer())])
    c = Client()
    c.force_login(coordinator)
    response = c.post(reverse("autoassign:accept", args=[election.pk, proposal.pk]), {"size": size})
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert proposal.status == Status.READY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("preferred_station", "1001"),
        ("preferred_station", "-1"),
        ("max_km", "0"),
        ("wave_size", "100001"),
        ("nearest_stations", "99999999999999"),
    ],
)
def test_weights_out_of_range_are_field_errors(coordinator, field, value):
    from autoassign.settings_services import LIMITS

    election = f.election()
    data = {name: str(least) for name, (least, _most) in LIMITS.items()}
    data[field] = value
    c = Client()
    c.force_login(coordinator)
    response = c.post(reverse("autoassign:settings", args=[election.pk]), data)
    assert response.status_code == 200
    from autoassign.models import Weights

    assert not Weights.objects.filter(election=election).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--time-limit", "-5"],
        ["--time-limit", "0"],
        ["--area", "999999"],
        ["--station", "999999"],
        ["--role", "999999"],
    ],
)
def test_the_command_refuses_odd_arguments(args):
    election = f.election()
    with pytest.raises(CommandError):
        call_command("auto_assign", "--election", str(election.pk), *args, stdout=StringIO())
    assert not Proposal.objects.exists()


def test_the_command_refuses_an_unknown_election_and_a_bad_day():
    with pytest.raises(CommandError):
        call_command("auto_assign", "--election", "999999", stdout=StringIO())
    election = f.election()
    with pytest.raises(CommandError):
        call_command(
            "auto_assign", "--election", str(election.pk), "--day", "2026-02-30", stdout=StringIO()
        )


def test_the_command_on_a_closed_election_saves_nothing():
    election = f.election(status=Election.Status.CLOSED)
    f.shift(election)
    f.volunteer()
    with pytest.raises(CommandError):
        call_command("auto_assign", "--election", str(election.pk), stdout=StringIO())
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("token", ["x", "A" * 200, "..", "abc<script>"])
def test_the_wishes_page_with_bad_tokens_is_the_uniform_404(client, token):
    assert client.get(f"/v/{token}/wishes/").status_code == 404
    assert client.post(f"/v/{token}/wishes/", {"available": "on"}).status_code == 404


def test_a_rerun_after_accepting_proposes_only_what_is_still_open(
    coordinator, django_capture_on_commit_callbacks
):
    election = f.election()
    shift = f.shift(election, capacity=2)
    people = [f.volunteer() for _ in range(3)]
    first = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    assert first.rows.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(first, by=coordinator)
    second = job.run(job.start_proposal(election, by=coordinator, dispatch=False).pk)
    assert second.status == Status.READY
    assert second.rows.count() == 0 and second.open_seats == 0
    first.refresh_from_db()
    assert first.status == Status.ACCEPTED
    assert Assignment.objects.holding_seat().filter(shift=shift).count() == 2
    assert len(people) == 3


def test_pages_of_an_accepted_proposal_cost_the_same_for_2_or_12_stations(
    coordinator, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build(n: int) -> tuple[str, str]:
        election = f.election()
        role = f.role()
        rows = []
        for _ in range(n):
            shift = f.shift(election, role_=role, capacity=2)
            rows += [(shift, f.volunteer()), (shift, f.volunteer())]
        proposal = proposal_with(election, rows)
        with django_capture_on_commit_callbacks(execute=True):
            waves.accept_proposal(proposal, by=coordinator, wave_size=n)
        station_id = rows[0][0].station_id
        return (
            reverse("autoassign:proposal", args=[election.pk, proposal.pk]),
            reverse("autoassign:station", args=[election.pk, proposal.pk, station_id]),
        )

    small, large = build(2), build(12)
    c = Client()
    c.force_login(coordinator)
    for a, b in zip(small, large, strict=True):
        c.get(a)
        with CaptureQueriesContext(connection) as few:
            assert c.get(a).status_code == 200
        with CaptureQueriesContext(connection) as many:
            assert c.get(b).status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries), b
