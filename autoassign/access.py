"""Who may use auto-assign: those who manage the election's people (coordinators;
404 for everyone else, as everywhere)."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from accounts.scopes import Capability
from autoassign.models import Proposal, ProposalRow
from elections.models import Election
from staffing.access import get_election_for_user


def get_autoassign_election(user: User, election_id: int) -> Election:
    return get_election_for_user(user, election_id, Capability.MANAGE)


def get_proposal_for_user(user: User, election_id: int, proposal_id: int) -> Proposal:
    election = get_autoassign_election(user, election_id)
    proposal = (
        Proposal.objects.select_related("election", "area", "station", "role", "requested_by")
        .filter(pk=proposal_id, election=election)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


def get_row_for_user(user: User, election_id: int, proposal_id: int, row_id: int) -> ProposalRow:
    proposal = get_proposal_for_user(user, election_id, proposal_id)
    row = (
        ProposalRow.objects.select_related(
            "proposal__election", "shift__station", "shift__role", "shift__team", "volunteer"
        )
        .filter(pk=row_id, proposal=proposal)
        .first()
    )
    if row is None:
        raise Http404
    return row
