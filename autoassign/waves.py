"""Sending a reviewed proposal: accepting it, its waves of invitations (each a
Celery job that invites shift by shift through ``staffing.services.invite``,
judging every row again first), discarding it, and the answers so far."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from autoassign.models import Proposal, ProposalRow
from autoassign.review import _lock_proposal, _refused, swap_refusals
from autoassign.settings_services import current_weights
from elections.models import Election
from pollcrew.refusals import Refused
from staffing import rules
from staffing.models import Assignment
from staffing.rules import RuleViolation

Status = Proposal.Status
State = ProposalRow.State


# --- accepting, waves, discarding ------------------------------------------------------------


def accept_proposal(
    proposal: Proposal, *, by: User | None, wave_size: int | None = None
) -> Proposal:
    """Accept a reviewed proposal and send its first wave of invitations. The
    election must be active. Earlier accepted proposals of the election stop
    sending (what they sent stays): this one's waves are the next ones."""
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=proposal.election_id).first()
        current = _lock_proposal(proposal.pk)
        if current.status != Status.READY:
            raise _refused("not_ready")
        rules.check_election_active(current.election)
        earlier = list(
            Proposal.objects.select_for_update()
            .filter(election_id=current.election_id, status=Status.ACCEPTED)
            .exclude(pk=current.pk)
        )
        if any(p.wave_running for p in earlier):
            raise _refused("other_accepted_running")
        for old in earlier:
            old.status = Status.DISCARDED
            old.save(update_fields=["status"])
            audit.record(
                "autoassign.discard",
                old,
                by=by,
                election_id=old.election_id,
                changes={"status": [Status.ACCEPTED, Status.DISCARDED]},
                detail={"replaced_by": current.pk},
            )
        current.status, current.accepted_at = Status.ACCEPTED, timezone.now()
        current.save(update_fields=["status", "accepted_at"])
        audit.record(
            "autoassign.accept",
            current,
            by=by,
            election_id=current.election_id,
            changes={"status": [Status.READY, Status.ACCEPTED]},
        )
        send_wave(current, by=by, size=wave_size)
        current.refresh_from_db()
    return current


def next_wave_rows(proposal: Proposal):
    """The rows a next wave sends, in order: locked first, then by station and role."""
    return ProposalRow.objects.filter(
        proposal=proposal, state=State.PROPOSED, dropped=False, wave__isnull=True
    ).order_by(
        "-locked",
        "shift__station__area__name",
        "shift__station__name",
        "shift__station_id",
        "shift__role__sort_order",
        "shift__role__name",
        "shift__starts_at",
        "shift_id",
        "pk",
    )


def send_wave(proposal: Proposal, *, by: User | None, size: int | None = None) -> int:
    """Choose the next ``size`` proposed seats (the election's wave size by default)
    and send them as invitations in the background (one wave at a time). Returns
    the wave's number."""
    with transaction.atomic():
        current = _lock_proposal(proposal.pk)
        if current.status != Status.ACCEPTED:
            raise _refused("not_accepted")
        if current.wave_running:
            raise _refused("wave_running")
        rules.check_election_active(current.election)
        size = size if size is not None else current_weights(current.election).wave_size
        if size < 1:
            raise _refused("bad_size")
        chosen = list(next_wave_rows(current).values_list("pk", flat=True)[:size])
        if not chosen:
            raise _refused("nothing_left")
        current.waves_sent += 1
        current.wave_running = True
        current.save(update_fields=["waves_sent", "wave_running"])
        number = current.waves_sent
        ProposalRow.objects.filter(pk__in=chosen).update(wave=number)
        audit.record(
            "autoassign.wave",
            current,
            by=by,
            election_id=current.election_id,
            detail={"wave": number, "size": len(chosen)},
        )
        proposal_id, by_id = current.pk, by.pk if by is not None else None
        transaction.on_commit(lambda: _dispatch_wave(proposal_id, number, by_id))
    return number


def _dispatch_wave(proposal_id: int, wave: int, by_id: int | None) -> None:
    from autoassign.tasks_waves import send_wave_task

    send_wave_task.delay(proposal_id, wave, by_id)


def redispatch_wave(proposal: Proposal, *, by: User | None) -> int | None:
    """Dispatch the running wave's task again (its worker or broker was lost).
    Harmless if it still runs: seats already invited are not invited again.
    Returns the wave's number (None: no wave is being sent)."""
    with transaction.atomic():
        current = _lock_proposal(proposal.pk)
        if not current.wave_running:
            return None
        number = current.waves_sent
        audit.record(
            "autoassign.wave_resend",
            current,
            by=by,
            election_id=current.election_id,
            detail={"wave": number},
        )
        by_id = by.pk if by is not None else None
        transaction.on_commit(lambda: _dispatch_wave(current.pk, number, by_id))
    return number


def run_wave(proposal_id: int, wave: int, by_id: int | None) -> int:
    """The wave's job: invite its rows still proposed, one shift at a time (each in
    its own transaction, with the proposal locked, so a second delivery of the task
    finds them invited and skips them). Returns how many were invited now."""
    by = User.objects.filter(pk=by_id).first() if by_id is not None else None
    from staffing.services import invite

    invited = 0
    shift_ids = list(
        ProposalRow.objects.filter(proposal_id=proposal_id, wave=wave, state=State.PROPOSED)
        .order_by("shift_id")
        .values_list("shift_id", flat=True)
        .distinct()
    )
    for shift_id in shift_ids:
        with transaction.atomic():
            proposal = _lock_proposal(proposal_id)
            if proposal.status != Status.ACCEPTED:
                break
            rows = list(
                ProposalRow.objects.select_for_update(of=("self",))
                .filter(proposal_id=proposal_id, wave=wave, state=State.PROPOSED, shift_id=shift_id)
                .select_related("volunteer", "shift")
                .order_by("pk")
            )
            if not rows:
                continue
            # The wishes and seat rules again, as they are now (a person may have
            # said they cannot help, or been given a seat by hand, since).
            refusals = swap_refusals(
                proposal,
                rows[0].shift,
                [r.volunteer for r in rows],
                by=by,
                recheck=[r.pk for r in rows],
            )
            for row in rows:
                if row.volunteer_id in refusals:
                    row.state, row.refusal = State.REFUSED, refusals[row.volunteer_id].message
            ProposalRow.objects.bulk_update(
                [r for r in rows if r.state == State.REFUSED], ["state", "refusal"]
            )
            rows = [r for r in rows if r.state == State.PROPOSED]
            if not rows:
                continue
            try:
                result = invite(rows[0].shift, [r.volunteer for r in rows], by=by)
            except RuleViolation as refusal:  # the whole shift: election not active, started
                for row in rows:
                    row.state, row.refusal = State.REFUSED, refusal.message
                ProposalRow.objects.bulk_update(rows, ["state", "refusal"])
                continue
            made = {a.volunteer_id: a for a in result.invited}
            why = {v.pk: r.message for v, r in result.refused}
            for row in rows:
                if row.volunteer_id in made:
                    row.state, row.assignment = State.INVITED, made[row.volunteer_id]
                    invited += 1
                else:
                    row.state = State.REFUSED
                    row.refusal = why.get(row.volunteer_id, _("Not invited."))
            ProposalRow.objects.bulk_update(rows, ["state", "assignment", "refusal"])
    with transaction.atomic():
        proposal = _lock_proposal(proposal_id)
        pending = ProposalRow.objects.filter(
            proposal_id=proposal_id, wave=wave, state=State.PROPOSED
        ).exists()
        if proposal.wave_running and (not pending or proposal.status != Status.ACCEPTED):
            proposal.wave_running = False
            proposal.save(update_fields=["wave_running"])
            if proposal.waves_sent == wave:
                counts = wave_counts(proposal, wave)
                audit.record(
                    "autoassign.wave_done",
                    proposal,
                    by=by,
                    election_id=proposal.election_id,
                    detail={"wave": wave, **counts},
                )
    return invited


def discard_proposal(proposal: Proposal, *, by: User | None) -> Proposal:
    """Set a proposal aside: a ready one is not sent; an accepted one sends no more
    waves (the invitations already out stay). A failed one is tidied away."""
    with transaction.atomic():
        current = _lock_proposal(proposal.pk)
        if current.status not in (Status.READY, Status.ACCEPTED, Status.FAILED):
            raise _refused("not_discardable")
        if current.wave_running:
            raise _refused("wave_running")
        before = current.status
        current.status = Status.DISCARDED
        current.save(update_fields=["status"])
        audit.record(
            "autoassign.discard",
            current,
            by=by,
            election_id=current.election_id,
            changes={"status": [before, Status.DISCARDED]},
        )
    return current


# --- what the waves did ----------------------------------------------------------------------


@dataclass
class Answers:
    """Among the proposal's invited rows: how their invitations stand now."""

    invited: int = 0  # sent in all
    waiting: int = 0  # no answer yet
    accepted: int = 0
    declined: int = 0
    other: int = 0  # expired, withdrawn, removed…
    refused: int = 0  # rows that could not be invited
    pending: int = 0  # proposed, not dropped, not yet in a wave
    in_wave: int = 0  # chosen for the running wave, not yet sent


def wave_counts(proposal: Proposal, wave: int | None = None) -> dict[str, int]:
    rows = ProposalRow.objects.filter(proposal=proposal)
    if wave is not None:
        rows = rows.filter(wave=wave)
    found = rows.aggregate(
        invited=Count("pk", filter=Q(state=State.INVITED)),
        refused=Count("pk", filter=Q(state=State.REFUSED)),
    )
    return {k: v or 0 for k, v in found.items()}


def answers(proposal: Proposal) -> Answers:
    """How the proposal's invitations stand (one query)."""
    A = Assignment.Status
    invited = Q(state=State.INVITED)
    found = ProposalRow.objects.filter(proposal=proposal).aggregate(
        invited=Count("pk", filter=invited),
        waiting=Count("pk", filter=invited & Q(assignment__status=A.INVITED)),
        accepted=Count("pk", filter=invited & Q(assignment__status__in=[A.ACCEPTED, A.CHECKED_IN])),
        declined=Count("pk", filter=invited & Q(assignment__status=A.DECLINED)),
        refused=Count("pk", filter=Q(state=State.REFUSED)),
        pending=Count("pk", filter=Q(state=State.PROPOSED, dropped=False, wave__isnull=True)),
        in_wave=Count("pk", filter=Q(state=State.PROPOSED, dropped=False, wave__isnull=False)),
    )
    result = Answers(**{k: v or 0 for k, v in found.items() if k != "other"})
    result.other = result.invited - result.waiting - result.accepted - result.declined
    return result


def send_due_waves() -> int:
    """The next wave of each accepted proposal whose election sends waves by
    themselves (``Weights.next_wave_at``), once that share of its last wave has
    answered (a wave whose rows could not be invited counts as answered). Run by
    beat every five minutes; returns how many waves were started."""
    started = 0
    accepted = Proposal.objects.filter(
        status=Status.ACCEPTED,
        wave_running=False,
        election__status=Election.Status.ACTIVE,
        election__autoassign_weights__next_wave_at__gt=0,
    ).select_related("election__autoassign_weights")
    for proposal in accepted:
        threshold = proposal.election.autoassign_weights.next_wave_at
        A = Assignment.Status
        last = ProposalRow.objects.filter(
            proposal=proposal, wave=proposal.waves_sent, state=State.INVITED
        ).aggregate(
            sent=Count("pk"),
            waiting=Count("pk", filter=Q(assignment__status=A.INVITED)),
        )
        sent, waiting = last["sent"] or 0, last["waiting"] or 0
        if sent and (sent - waiting) * 100 < threshold * sent:
            continue
        try:
            send_wave(proposal, by=None)
        except Refused:  # nothing left, a wave just started, the election changed
            continue
        started += 1
    return started
