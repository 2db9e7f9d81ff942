"""An election's status as staffing sees it: closing an election also cancels the
messages about its seats that have not gone out yet (queued, or scheduled for
later). Only an active election sends messages and accepts answers, and the
outbox does not know elections, so staffing does this when it closes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import audit
from accounts.models import User
from elections import services as election_services
from elections.models import Election
from notifications.models import Message
from notifications.services import cancel_queued, dispatch_on_commit
from staffing import messaging
from staffing.models import Assignment, SeatOffer
from staffing.services import webhook_events
from staffing.services._common import assignment_entry

Status = Election.Status
# After these, nothing about the election's seats may go out any more.
SILENT_STATUSES = (Status.CLOSED, Status.ARCHIVED)


@dataclass(frozen=True)
class StatusChange:
    election: Election
    cancelled: int  # messages cancelled


def queued_messages(election: Election) -> QuerySet[Message]:
    """Messages about the election's assignments that have not started sending."""
    return Message.objects.filter(
        subject_type=Assignment._meta.label_lower,
        subject_id__in=Assignment.objects.filter(shift__election=election).values("pk"),
        status=Message.Status.QUEUED,
    )


def cancel_election_messages(election: Election, *, by: User | None) -> int:
    """Cancel what is still queued about the election's seats; audited with the count."""
    with transaction.atomic():
        ids = list(queued_messages(election).order_by("pk").values_list("pk", flat=True))
        cancelled = cancel_queued(ids) if ids else 0
        if cancelled:
            audit.record(
                "staffing.cancel_election_messages",
                election,
                by=by,
                election_id=election.pk,
                detail={"cancelled": cancelled},
            )
    return cancelled


def withdraw_open_invitations(election: Election, *, by: User | None) -> int:
    """The election closes: its unanswered invitations expire (audited) and their
    volunteers are told the invitation is withdrawn (queued after the queued
    messages were cancelled, so that this last word goes out). How many."""
    now = timezone.now()
    open_ = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(shift__election=election, status=Assignment.Status.INVITED)
        .select_related("shift__election", "shift__role", "shift__station", "volunteer")
        .order_by("pk")
    )
    if not open_:
        return 0
    Assignment.objects.filter(pk__in=[a.pk for a in open_]).update(
        status=Assignment.Status.EXPIRED, updated_at=now
    )
    entries = []
    for assignment in open_:
        assignment.status = Assignment.Status.EXPIRED
        entries.append(
            assignment_entry(
                "staffing.expire",
                assignment,
                by=by,
                before={"status": Assignment.Status.INVITED},
                detail={"reason": "election_closed"},
            )
        )
    audit.record_many(entries)
    webhook_events.seats_freed(open_, reason="election_closed")
    notices = messaging.queue_notices(open_, messaging.INVITATION_WITHDRAWN)
    dispatch_on_commit([m.pk for m in notices])
    return len(open_)


def change_election_status(election: Election, status: str, *, by: User | None) -> StatusChange:
    """``elections.services.set_election_status``; closing (or archiving) also
    cancels the election's queued messages, in the same transaction, and closing
    withdraws its unanswered invitations (telling the people invited)."""
    with transaction.atomic():
        # Read under the row lock: a stale copy would report a change made meanwhile.
        before = (
            Election.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=election.pk)
        )
        changed = election_services.set_election_status(election, status, by=by)
        cancelled = 0
        if changed.status in SILENT_STATUSES:
            cancelled = cancel_election_messages(changed, by=by)
        if changed.status == Status.CLOSED and before == Status.ACTIVE:
            withdraw_open_invitations(changed, by=by)
        if changed.status in SILENT_STATUSES:
            withdraw_open_offers(changed, by=by)
        webhook_events.election_status_changed(changed, before)
    return StatusChange(changed, cancelled)


def withdraw_open_offers(election: Election, *, by: User | None) -> int:
    """Open standby offers of an election that no longer runs are withdrawn:
    their claim links stop working (the people on the lists stay on them)."""
    withdrawn = SeatOffer.objects.filter(
        shift__election=election, status=SeatOffer.Status.OPEN
    ).update(status=SeatOffer.Status.CANCELLED, answered_at=timezone.now())
    if withdrawn:
        audit.record(
            "staffing.withdraw_offers",
            election,
            by=by,
            election_id=election.pk,
            detail={"withdrawn": withdrawn},
        )
    return withdrawn
