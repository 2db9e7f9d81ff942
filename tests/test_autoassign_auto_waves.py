"""The next wave by itself: an election may send an accepted proposal's next wave
once a share of the last wave has answered (``Weights.next_wave_at``), checked
by beat (``autoassign.tasks.send_due_waves``)."""

from __future__ import annotations

import pytest

from autoassign import waves
from autoassign.models import Proposal, ProposalRow, Weights
from autoassign.tasks import send_due_waves
from staffing import services
from staffing.models import Assignment
from tests import factories as f

pytestmark = pytest.mark.django_db
State = ProposalRow.State


@pytest.fixture
def accepted(django_capture_on_commit_callbacks):
    """An accepted proposal of four seats whose first wave (two) went out."""
    election = f.election()
    shift = f.shift(election, capacity=4)
    people = [f.volunteer() for _ in range(4)]
    proposal = Proposal.objects.create(election=election, status=Proposal.Status.READY)
    for person in people:
        ProposalRow.objects.create(proposal=proposal, shift=shift, volunteer=person)
    Weights.objects.create(election=election, wave_size=2, next_wave_at=50)
    with django_capture_on_commit_callbacks(execute=True):
        waves.accept_proposal(proposal, by=None)
    proposal.refresh_from_db()
    return proposal


def invited_rows(proposal) -> list[ProposalRow]:
    return list(proposal.rows.filter(state=State.INVITED).select_related("assignment"))


def test_the_next_wave_waits_until_enough_of_the_last_have_answered(
    accepted, django_capture_on_commit_callbacks
):
    assert len(invited_rows(accepted)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 0  # nobody has answered yet
    first = invited_rows(accepted)[0].assignment
    services.accept(first, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 1  # one of two answered: 50 %
    accepted.refresh_from_db()
    assert accepted.waves_sent == 2
    assert len(invited_rows(accepted)) == 4
    assert Assignment.objects.filter(status="invited").count() == 3


def test_a_declined_answer_counts_as_an_answer(accepted, django_capture_on_commit_callbacks):
    services.decline(invited_rows(accepted)[0].assignment, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 1


def test_only_by_hand_when_the_share_is_zero(accepted, django_capture_on_commit_callbacks):
    Weights.objects.filter(election=accepted.election).update(next_wave_at=0)
    for row in invited_rows(accepted):
        services.accept(row.assignment, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 0


def test_nothing_when_the_election_is_no_longer_active_or_all_is_sent(
    accepted, django_capture_on_commit_callbacks
):
    for row in invited_rows(accepted):
        services.accept(row.assignment, by=None)
    accepted.election.status = "closed"
    accepted.election.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 0
    accepted.election.status = "active"
    accepted.election.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 1
    for row in invited_rows(accepted):
        if row.assignment.status == "invited":
            services.accept(row.assignment, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_waves() == 0  # every proposed seat has been sent
