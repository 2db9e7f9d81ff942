"""What a coordinator does with an auto-assign proposal (autoassign.review): lock,
drop and swap rows while it is ready for review (a swap refused for each rule it
must pass, like an invitation), accept it (only in an active election), and send
it in waves: exactly N invitations, then the next N, locked seats first, and a
redelivered wave invites nobody twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from autoassign import review, waves
from autoassign.models import Proposal, ProposalRow, SeatRule, Weights
from autoassign.tasks_waves import send_wave_task
from elections.models import Election
from notifications.models import Message
from pollcrew.refusals import Refused
from staffing.models import Assignment, Preference
from tests import factories as f
from volunteers.models import Skill, Team

pytestmark = pytest.mark.django_db
Status = Proposal.Status
State = ProposalRow.State


@pytest.fixture
def world():
    election = f.election()
    role = f.role("Valgstyrer", sort_order=1)
    stations = [f.station(name=name) for name in ("Bakkeskolen", "Aarhus Rådhus", "Øster Skole")]
    shifts = [f.shift(election, station_=s, role_=role, capacity=4) for s in stations]
    coordinator = f.user(coordinator=True)
    return election, role, shifts, coordinator


def proposal_with(election, rows: list[tuple], status=Status.READY) -> Proposal:
    """A proposal as the job saves one: ``rows`` are (shift, volunteer[, locked])."""
    proposal = Proposal.objects.create(election=election, status=status, filled=len(rows))
    for shift, volunteer, *locked in rows:
        ProposalRow.objects.create(
            proposal=proposal,
            shift=shift,
            volunteer=volunteer,
            score=10,
            wishes=["station"],
            locked=bool(locked and locked[0]),
        )
    return proposal


def seat(shift, volunteer, status: str) -> Assignment:
    answered = None if status == "invited" else timezone.now()
    return Assignment.objects.create(
        shift=shift, volunteer=volunteer, status=status, responded_at=answered
    )


def row_of(proposal, volunteer) -> ProposalRow:
    return ProposalRow.objects.get(proposal=proposal, volunteer=volunteer)


# --- lock and drop ---------------------------------------------------------------------------


def test_lock_and_drop_a_row_while_ready_with_an_audit_entry(world):
    election, _role, shifts, coordinator = world
    karen = f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen)])
    row = row_of(proposal, karen)

    assert review.lock_row(row, True, by=coordinator).locked
    assert review.drop_row(row, True, by=coordinator).dropped
    assert review.drop_row(row, False, by=coordinator).dropped is False
    row.refresh_from_db()
    assert row.locked and not row.dropped
    actions = list(
        AuditEntry.objects.filter(object_id=row.pk, action__startswith="autoassign.")
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("autoassign.lock", coordinator.pk),
        ("autoassign.drop", coordinator.pk),
        ("autoassign.drop", coordinator.pk),
    ]


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.DISCARDED, Status.FAILED])
def test_rows_of_a_proposal_not_ready_cannot_be_changed(world, status):
    election, _role, shifts, coordinator = world
    karen = f.volunteer()
    row = row_of(proposal_with(election, [(shifts[0], karen)], status=status), karen)
    for change in (review.lock_row, review.drop_row):
        with pytest.raises(Refused) as refused:
            change(row, True, by=coordinator)
        assert refused.value.code == "not_ready"
    row.refresh_from_db()
    assert not row.locked and not row.dropped


def test_a_row_already_invited_cannot_be_locked(world):
    election, _role, shifts, coordinator = world
    karen = f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen)])
    ProposalRow.objects.filter(proposal=proposal).update(state=State.INVITED)
    with pytest.raises(Refused, match="sent as an invitation already"):
        review.lock_row(row_of(proposal, karen), True, by=coordinator)


# --- swap --------------------------------------------------------------------------------------


def test_swap_puts_someone_else_on_the_seat_by_hand(world):
    election, _role, shifts, coordinator = world
    karen, bodil = f.volunteer(), f.volunteer(first_name="Bodil")
    proposal = proposal_with(election, [(shifts[0], karen, True)])
    row = review.swap_row(row_of(proposal, karen), bodil, by=coordinator)
    row.refresh_from_db()
    assert row.volunteer == bodil and row.by_hand and row.locked
    assert row.wishes == [] and row.score == 0  # Bodil wished for nothing
    entry = AuditEntry.objects.get(action="autoassign.swap")
    assert entry.changes == {"volunteer": [karen.pk, bodil.pk]}
    assert entry.actor == coordinator


def test_a_swapped_seat_is_weighed_for_the_person_now_on_it(world):
    from staffing.models import Preference

    election, _role, shifts, coordinator = world
    karen, bodil = f.volunteer(), f.volunteer(first_name="Bodil")
    wishes = Preference.objects.create(volunteer=bodil, election=election)
    wishes.preferred_stations.add(shifts[0].station)
    wishes.wanted_roles.add(shifts[0].role)
    proposal = proposal_with(election, [(shifts[0], karen)])
    row = review.swap_row(row_of(proposal, karen), bodil, by=coordinator)
    row.refresh_from_db()
    assert row.wishes == ["station", "role"]
    assert row.score == 40 + 20  # the default points for both


def _swap_refusal(world, prepare) -> Refused:
    """Swap Karen's seat for the person ``prepare(world, proposal)`` returns; the refusal."""
    election, _role, shifts, coordinator = world
    karen = f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen)])
    other = prepare(world, proposal)
    with pytest.raises(Refused) as refused:
        review.swap_row(row_of(proposal, karen), other, by=coordinator)
    assert row_of(proposal, karen).volunteer_id == karen.pk  # nothing changed
    return refused.value


def test_swap_refused_for_do_not_contact(world):
    refusal = _swap_refusal(world, lambda w, p: f.volunteer(do_not_contact=True))
    assert refusal.code == "do_not_contact"
    assert "do not contact" in refusal.message


def test_swap_refused_for_someone_too_young(world):
    def young(w, p):
        return f.volunteer(born=w[0].election_date - timedelta(days=365 * 17))

    refusal = _swap_refusal(world, young)
    assert refusal.code == "too_young"


def test_swap_refused_for_someone_declined_before(world):
    def declined(w, p):
        person = f.volunteer()
        seat(w[2][0], person, "declined")
        return person

    assert _swap_refusal(world, declined).code == "declined_before"


def test_swap_refused_for_someone_on_the_shift_already(world):
    def seated(w, p):
        person = f.volunteer()
        seat(w[2][0], person, "accepted")
        return person

    assert _swap_refusal(world, seated).code == "already_on_shift"


def test_swap_refused_for_a_seat_held_at_the_same_time(world):
    def busy(w, p):
        person = f.volunteer()
        seat(w[2][1], person, "invited")
        return person

    refusal = _swap_refusal(world, busy)
    assert refusal.code == "overlap"
    assert "Aarhus Rådhus" in refusal.message


def test_swap_refused_outside_the_team_the_seats_are_reserved_for(world):
    election, role, _shifts, coordinator = world
    venstre = f.team("Venstre")
    shift = f.shift(election, role_=role, team=venstre)
    member, outsider = f.volunteer(), f.volunteer(first_name="Ole")
    member.teams.add(venstre)
    proposal = proposal_with(election, [(shift, member)])
    with pytest.raises(Refused) as refused:
        review.swap_row(row_of(proposal, member), outsider, by=coordinator)
    assert refused.value.code == "team_reserved"
    assert "Venstre" in refused.value.message


def test_swap_refused_for_someone_proposed_at_the_same_time(world):
    def proposed(w, p):
        person = f.volunteer(first_name="Søren")
        ProposalRow.objects.create(proposal=p, shift=w[2][1], volunteer=person)
        return person

    refusal = _swap_refusal(world, proposed)
    assert refusal.code == "proposed_overlap"
    assert "Søren" in refusal.message and "Aarhus Rådhus" in refusal.message


def test_a_dropped_row_of_the_same_time_does_not_stand_in_the_way(world):
    election, _role, shifts, coordinator = world
    karen, soren = f.volunteer(), f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen), (shifts[1], soren)])
    review.drop_row(row_of(proposal, soren), True, by=coordinator)
    assert review.swap_row(row_of(proposal, karen), soren, by=coordinator).volunteer == soren


def _preferring(**fields):
    def make(w, p):
        person = f.volunteer()
        refused_roles = fields.pop("refused_roles", None)
        preference = Preference.objects.create(election=w[0], volunteer=person, **fields)
        if refused_roles:
            preference.refused_roles.set([w[1]])
        return person

    return make


def test_swap_refused_for_someone_not_available_in_the_election(world):
    assert _swap_refusal(world, _preferring(available=False)).code == "not_available"


def test_swap_refused_for_someone_not_available_that_day(world):
    refusal = _swap_refusal(world, _preferring(available_days=["2001-01-01"]))
    assert refusal.code == "not_that_day"


def test_swap_refused_for_someone_refusing_the_role(world):
    refusal = _swap_refusal(world, _preferring(refused_roles=True))
    assert refusal.code == "refused_role"
    assert "Valgstyrer" in refusal.message


def test_swap_refused_past_the_most_shifts_counting_seats_and_the_proposal(world):
    election, role, shifts, coordinator = world
    later = f.shift(election, role_=role, start=21, end=23)
    karen, bodil = f.volunteer(), f.volunteer()
    Preference.objects.create(election=election, volunteer=bodil, max_shifts=2)
    seat(later, bodil, "accepted")
    evening = f.shift(election, role_=role, start=5, end=7)
    proposal = proposal_with(election, [(shifts[0], karen), (evening, bodil)])
    with pytest.raises(Refused) as refused:
        review.swap_row(row_of(proposal, karen), bodil, by=coordinator)
    assert refused.value.code == "max_shifts"


def test_the_elections_default_most_shifts_holds_without_preferences(world):
    election, role, shifts, coordinator = world
    Weights.objects.create(election=election, default_max_shifts=1)
    karen, bodil = f.volunteer(), f.volunteer()
    Assignment.objects.create(
        shift=f.shift(election, role_=role, start=21, end=23), volunteer=bodil, status="invited"
    )
    proposal = proposal_with(election, [(shifts[0], karen)])
    with pytest.raises(Refused) as refused:
        review.swap_row(row_of(proposal, karen), bodil, by=coordinator)
    assert refused.value.code == "max_shifts"


def test_swap_refused_for_someone_without_the_roles_required_skill(world):
    def untrained(w, p):
        w[1].required_skills.add(Skill.objects.create(name="Valgstyrerkursus"))
        return f.volunteer()

    refusal = _swap_refusal(world, untrained)
    assert refusal.code == "missing_skill"
    assert "Valgstyrerkursus" in refusal.message


def test_swap_with_the_required_skill_is_allowed(world):
    election, role, shifts, coordinator = world
    course = Skill.objects.create(name="Valgstyrerkursus")
    role.required_skills.add(course)
    karen, trained = f.volunteer(), f.volunteer()
    trained.skills.add(course)
    proposal = proposal_with(election, [(shifts[0], karen)])
    assert review.swap_row(row_of(proposal, karen), trained, by=coordinator).volunteer == trained


def test_swap_refused_past_at_most_k_from_one_party(world):
    election, role, shifts, coordinator = world
    venstre = f.team("Venstre", kind=Team.Kind.PARTY)
    SeatRule.objects.create(
        election=election, kind=SeatRule.Kind.AT_MOST_PER_PARTY, count=1, role=role
    )
    seated, karen, member = f.volunteer(), f.volunteer(), f.volunteer(first_name="Villads")
    seated.teams.add(venstre)
    member.teams.add(venstre)
    seat(shifts[0], seated, "accepted")  # one from Venstre at the station already
    proposal = proposal_with(election, [(shifts[0], karen)])
    with pytest.raises(Refused) as refused:
        review.swap_row(row_of(proposal, karen), member, by=coordinator)
    assert refused.value.code == "party_limit"
    assert "Villads" in refused.value.message and "Venstre" in refused.value.message
    # At another station, there is room for Venstre.
    row = ProposalRow.objects.create(proposal=proposal, shift=shifts[1], volunteer=f.volunteer())
    assert review.swap_row(row, member, by=coordinator).volunteer == member


def test_swap_refused_for_the_same_person_and_a_dropped_row(world):
    election, _role, shifts, coordinator = world
    karen = f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen)])
    with pytest.raises(Refused):
        review.swap_row(row_of(proposal, karen), karen, by=coordinator)
    review.drop_row(row_of(proposal, karen), True, by=coordinator)
    with pytest.raises(Refused, match="dropped"):
        review.swap_row(row_of(proposal, karen), f.volunteer(), by=coordinator)


# --- accept and waves --------------------------------------------------------------------------


def test_accept_needs_an_active_election(world):
    election, _role, shifts, coordinator = world
    Election.objects.filter(pk=election.pk).update(status=Election.Status.DRAFT)
    proposal = proposal_with(election, [(shifts[0], f.volunteer())])
    with pytest.raises(Refused) as refused:
        waves.accept_proposal(proposal, by=coordinator)
    assert refused.value.code == "election_not_active"
    proposal.refresh_from_db()
    assert proposal.status == Status.READY and proposal.accepted_at is None
    assert not Assignment.objects.exists()


def test_accept_sends_the_first_wave_of_n_then_the_next_n(
    world, django_capture_on_commit_callbacks
):
    election, _role, shifts, coordinator = world
    people = [f.volunteer() for _ in range(9)]
    proposal = proposal_with(election, [(shifts[i % 3], p) for i, p in enumerate(people)])

    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator, wave_size=4)
    proposal.refresh_from_db()
    assert proposal.status == Status.ACCEPTED and proposal.accepted_at is not None
    assert proposal.waves_sent == 1 and not proposal.wave_running
    assert Assignment.objects.filter(status="invited").count() == 4
    invited = ProposalRow.objects.filter(proposal=proposal, state=State.INVITED)
    assert invited.count() == 4 and set(invited.values_list("wave", flat=True)) == {1}
    assert all(r.assignment.volunteer_id == r.volunteer_id for r in invited)
    # Each invitation is a message in the outbox.
    assert Message.objects.filter(kind="invitation").count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        waves.send_wave(proposal, by=coordinator, size=4)
    assert Assignment.objects.filter(status="invited").count() == 8
    assert ProposalRow.objects.filter(proposal=proposal, wave=2, state=State.INVITED).count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        waves.send_wave(proposal, by=coordinator)  # the default size takes the rest
    assert Assignment.objects.filter(status="invited").count() == 9
    with pytest.raises(Refused) as refused:
        waves.send_wave(proposal, by=coordinator)
    assert refused.value.code == "nothing_left"
    answers = waves.answers(proposal)
    assert (answers.invited, answers.waiting, answers.pending) == (9, 9, 0)


def test_the_first_wave_takes_locked_rows_first_then_station_order(
    world, django_capture_on_commit_callbacks
):
    election, _role, shifts, coordinator = world  # Bakkeskolen, Aarhus Rådhus, Øster Skole
    øster, bakke, aarhus, locked = (f.volunteer() for _ in range(4))
    proposal = proposal_with(
        election,
        [(shifts[2], øster), (shifts[0], bakke), (shifts[1], aarhus), (shifts[2], locked, True)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator, wave_size=2)
    invited = set(
        ProposalRow.objects.filter(proposal=proposal, state=State.INVITED).values_list(
            "volunteer_id", flat=True
        )
    )
    # The locked seat first, then the first station by name (areas are named apart
    # by the factory: area order first, then station).
    first = ProposalRow.objects.filter(proposal=proposal).order_by(
        "shift__station__area__name", "shift__station__name"
    )[0]
    assert invited == {locked.pk, first.volunteer_id}


def test_dropped_rows_are_not_sent(world, django_capture_on_commit_callbacks):
    election, _role, shifts, coordinator = world
    karen, bodil = f.volunteer(), f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen), (shifts[1], bodil)])
    review.drop_row(row_of(proposal, bodil), True, by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator, wave_size=10)
    assert list(Assignment.objects.values_list("volunteer_id", flat=True)) == [karen.pk]
    assert row_of(proposal, bodil).state == State.PROPOSED


def test_a_redelivered_wave_invites_nobody_twice(world, django_capture_on_commit_callbacks):
    election, _role, shifts, coordinator = world
    people = [f.volunteer() for _ in range(6)]
    proposal = proposal_with(election, [(shifts[i % 3], p) for i, p in enumerate(people)])
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator, wave_size=6)
    messages = Message.objects.count()
    assert Assignment.objects.count() == 6

    # The broker delivers the same task again (the worker died before acking it).
    with django_capture_on_commit_callbacks(execute=True):
        assert send_wave_task.delay(proposal.pk, 1, coordinator.pk).get() == 0
    assert Assignment.objects.count() == 6
    assert Message.objects.count() == messages


def test_a_wave_interrupted_half_way_goes_on_where_it_stopped(
    world, django_capture_on_commit_callbacks
):
    """The first shift was sent, then the worker was lost: a second delivery
    sends the rest, and the first shift's people are not invited twice."""
    election, _role, shifts, coordinator = world
    people = [f.volunteer() for _ in range(6)]
    proposal = proposal_with(election, [(shifts[i % 3], p) for i, p in enumerate(people)])
    Proposal.objects.filter(pk=proposal.pk).update(
        status=Status.ACCEPTED, waves_sent=1, wave_running=True
    )
    ProposalRow.objects.filter(proposal=proposal).update(wave=1)
    from staffing.services import invite

    first = ProposalRow.objects.filter(proposal=proposal, shift=shifts[0])
    with django_capture_on_commit_callbacks(execute=True):
        result = invite(shifts[0], [r.volunteer for r in first], by=coordinator)
        for row in first:
            row.state = State.INVITED
            row.assignment = next(a for a in result.invited if a.volunteer_id == row.volunteer_id)
            row.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert waves.run_wave(proposal.pk, 1, coordinator.pk) == 4
    assert Assignment.objects.count() == 6
    proposal.refresh_from_db()
    assert not proposal.wave_running


def test_one_wave_at_a_time(world):
    election, _role, shifts, coordinator = world
    proposal = proposal_with(election, [(shifts[0], f.volunteer()), (shifts[1], f.volunteer())])
    # Without on-commit callbacks run, the first wave stays "being sent".
    waves.accept_proposal(proposal, by=coordinator, wave_size=1)
    with pytest.raises(Refused) as refused:
        waves.send_wave(proposal, by=coordinator)
    assert refused.value.code == "wave_running"
    with pytest.raises(Refused):
        waves.discard_proposal(proposal, by=coordinator)


def test_seats_that_cannot_be_invited_any_more_are_marked_with_why(
    world, django_capture_on_commit_callbacks
):
    election, _role, shifts, coordinator = world
    karen, bodil = f.volunteer(), f.volunteer()
    proposal = proposal_with(election, [(shifts[0], karen), (shifts[1], bodil)])
    # Since the proposal, Bodil said "do not contact", and Karen's shift filled up.
    bodil.do_not_contact = True
    bodil.save()
    shifts[0].capacity = 1
    shifts[0].save()
    seat(shifts[0], f.volunteer(), "accepted")
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator)
    assert not Assignment.objects.filter(volunteer__in=[karen, bodil]).exists()
    assert row_of(proposal, karen).state == State.REFUSED
    assert "taken" in row_of(proposal, karen).refusal
    assert "do not contact" in row_of(proposal, bodil).refusal
    assert waves.answers(proposal).refused == 2


def test_accepting_a_new_proposal_stops_the_waves_of_the_earlier_one(
    world, django_capture_on_commit_callbacks
):
    election, _role, shifts, coordinator = world
    first = proposal_with(election, [(shifts[0], f.volunteer()), (shifts[1], f.volunteer())])
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(first, by=coordinator, wave_size=1)
    second = proposal_with(election, [(shifts[2], f.volunteer())])
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(second, by=coordinator)
    first.refresh_from_db()
    assert first.status == Status.DISCARDED
    assert Assignment.objects.count() == 2


def test_discard(world):
    election, _role, shifts, coordinator = world
    proposal = proposal_with(election, [(shifts[0], f.volunteer())])
    waves.discard_proposal(proposal, by=coordinator)
    proposal.refresh_from_db()
    assert proposal.status == Status.DISCARDED
    assert AuditEntry.objects.filter(action="autoassign.discard", actor=coordinator).exists()
    with pytest.raises(Refused):
        waves.discard_proposal(proposal, by=coordinator)
    with pytest.raises(Refused):
        waves.accept_proposal(proposal, by=coordinator)


def test_answers_count_what_the_invited_said(world, django_capture_on_commit_callbacks):
    election, _role, shifts, coordinator = world
    people = [f.volunteer() for _ in range(3)]
    proposal = proposal_with(election, [(shifts[0], p) for p in people])
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=coordinator)
    now = timezone.now()
    Assignment.objects.filter(volunteer=people[0]).update(status="accepted", responded_at=now)
    Assignment.objects.filter(volunteer=people[1]).update(status="declined", responded_at=now)
    answers = waves.answers(proposal)
    assert (answers.invited, answers.accepted, answers.declined, answers.waiting) == (3, 1, 1, 1)


def test_a_lost_wave_can_be_handed_to_the_worker_again(world, django_capture_on_commit_callbacks):
    election, _role, shifts, coordinator = world
    people = [f.volunteer() for _ in range(3)]
    proposal = proposal_with(election, [(shifts[0], p) for p in people])
    waves.accept_proposal(proposal, by=coordinator)  # its task never reached a worker
    assert not Assignment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert waves.redispatch_wave(proposal, by=coordinator) == 1
    assert Assignment.objects.count() == 3
    proposal.refresh_from_db()
    assert not proposal.wave_running
    # Nothing is being sent now: nothing to hand over.
    assert waves.redispatch_wave(proposal, by=coordinator) is None
