"""Who may run auto-assign and review, accept, send and discard its proposals:
those who manage the election (admins and coordinators). Station managers, team
leaders and viewers get the uniform 404, as outsiders do; the pages show names.
The changes are POSTs (302 to the next page); any other method 405. Each POST
case puts the proposal back as it needs it first: every persona posts in turn."""

from __future__ import annotations

from django.urls import reverse

from autoassign.models import Proposal, ProposalRow
from tests import factories as f
from tests.permission_cases import MANAGE, POST_ONLY, Case, E, World, url

POSTED = {**MANAGE, "admin": 302, "coordinator": 302}
# The proposal each case uses, made again under this id when needed.
PROPOSAL_ID = 9101


def _proposal(w: World, status: str = Proposal.Status.READY) -> Proposal:
    """A proposal of the election with one proposed seat on the open shift, in ``status``."""
    proposal, made = Proposal.objects.get_or_create(
        pk=PROPOSAL_ID, defaults={"election": w.election, "status": status}
    )
    if made:
        ProposalRow.objects.create(proposal=proposal, shift=w.open_shift, volunteer=f.volunteer())
    Proposal.objects.filter(pk=proposal.pk).update(status=status, wave_running=False, waves_sent=0)
    proposal.rows.update(state=ProposalRow.State.PROPOSED, wave=None, dropped=False)
    return proposal


def _row(w: World) -> ProposalRow:
    return _proposal(w).rows.get()


P = lambda w: _proposal(w).pk  # noqa: E731


def _row_url(name: str):
    return lambda w: reverse(name, args=[w.election.pk, PROPOSAL_ID, _row(w).pk])


def _station(w: World) -> str:
    return reverse("autoassign:station", args=[w.election.pk, P(w), w.station.pk])


def _ready(w: World) -> dict:
    _proposal(w)
    return {}


def _accepted(w: World) -> dict:
    _proposal(w, Proposal.Status.ACCEPTED)
    return {}


def _run(w: World) -> dict:
    """Nothing under way (a queued run of an earlier persona is set aside)."""
    Proposal.objects.filter(election=w.election).in_progress().update(status=Proposal.Status.FAILED)
    return {"time_limit": 5}


def _swap(w: World) -> dict:
    _proposal(w)
    return {"volunteer": f.volunteer().pk}


def _post(name: str, why: str, data, link=None) -> list[Case]:
    target = link or url(name, E, P)
    return [Case(target, POST_ONLY), Case(target, POSTED, why, post=data)]


TABLE: dict[str, list[Case]] = {
    "autoassign:home": [
        Case(url("autoassign:home", E), MANAGE, "the latest proposal, the run form")
    ],
    "autoassign:run": [
        Case(url("autoassign:run", E), POST_ONLY),
        Case(url("autoassign:run", E), POSTED, "starting a run", post=_run),
    ],
    "autoassign:proposal": [Case(url("autoassign:proposal", E, P), MANAGE, "a proposal")],
    "autoassign:station": [Case(_station, MANAGE, "a station's diff: names")],
    "autoassign:left_out": [Case(url("autoassign:left_out", E, P), MANAGE, "names, and why")],
    "autoassign:accept": _post("autoassign:accept", "accepting sends invitations", _ready),
    "autoassign:wave": _post("autoassign:wave", "the next wave", _accepted),
    "autoassign:discard": _post("autoassign:discard", "discarding", _ready),
    "autoassign:row_lock": [
        Case(_row_url("autoassign:row_lock"), POST_ONLY),
        Case(_row_url("autoassign:row_lock"), POSTED, "locking", post=lambda w: {"locked": "1"}),
    ],
    "autoassign:row_drop": [
        Case(_row_url("autoassign:row_drop"), POST_ONLY),
        Case(_row_url("autoassign:row_drop"), POSTED, "dropping", post=lambda w: {"dropped": "1"}),
    ],
    "autoassign:row_swap": [
        Case(_row_url("autoassign:row_swap"), MANAGE, "the people one may propose instead"),
        Case(_row_url("autoassign:row_swap"), POSTED, "swapping", post=_swap),
    ],
}
