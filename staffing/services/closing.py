"""An election's status as staffing sees it: closing an election also cancels the
messages about its seats that have not gone out yet (queued, or scheduled for
later). Only an active election sends messages and accepts answers, and the
outbox does not know elections, so staffing does this when it closes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from accounts import audit
from accounts.models import User
from elections import services as election_services
from elections.models import Election
from notifications.models import Message
from notifications.services import cancel_queued
from staffing.models import Assignment

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


def change_election_status(election: Election, status: str, *, by: User | None) -> StatusChange:
    """``elections.services.set_election_status``; closing (or archiving) also
    cancels the election's queued messages, in the same transaction."""
    with transaction.atomic():
        changed = election_services.set_election_status(election, status, by=by)
        cancelled = 0
        if changed.status in SILENT_STATUSES:
            cancelled = cancel_election_messages(changed, by=by)
    return StatusChange(changed, cancelled)
