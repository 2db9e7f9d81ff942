"""What staffing tells webhooks (``notifications.webhooks``): an answer, a seat
freed, an election's status. Called inside the service's transaction, so an
event goes out only if the change commits. Ids and statuses only: no names,
phone numbers or email addresses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elections.models import Election, Shift
from notifications import webhooks
from staffing.models import Assignment

Status = Assignment.Status
Event = webhooks.Event

# Why a seat was freed, by the assignment's new status.
_REASONS = {
    Status.DECLINED: "declined",
    Status.WITHDRAWN: "withdrawn",
    Status.EXPIRED: "expired",
    Status.REMOVED: "removed",
}


def _seat(assignment: Assignment, shift: Shift) -> dict[str, Any]:
    return {
        "assignment_id": assignment.pk,
        "shift_id": shift.pk,
        "station_id": shift.station_id,
        "role_id": shift.role_id,
        "election_id": shift.election_id,
        "status": assignment.status,
    }


def answered(assignment: Assignment, *, by: Any) -> None:
    """``assignment.answered`` (accepted, declined or withdrawn, by the volunteer
    or by the office on their behalf); a no also frees the seat (``seat.freed``)."""
    shift = assignment.shift
    webhooks.emit(
        Event.ASSIGNMENT_ANSWERED,
        {**_seat(assignment, shift), "on_behalf": by is not None},
    )
    if assignment.status in (Status.DECLINED, Status.WITHDRAWN):
        seats_freed([assignment])


def seats_freed(
    assignments: Iterable[Assignment], *, reason: str = "", shift: Shift | None = None
) -> None:
    """``seat.freed`` per assignment that gave its seat up (the assignments are
    loaded with their shift). ``shift``: the seat freed, when the assignment now
    holds another one (a move)."""
    webhooks.emit_many(
        Event.SEAT_FREED,
        [
            {
                **_seat(a, shift or a.shift),
                "reason": reason or _REASONS.get(a.status, a.status),
            }
            for a in assignments
        ],
    )


def election_status_changed(election: Election, before: str) -> None:
    if election.status != before:
        webhooks.emit(
            Event.ELECTION_STATUS_CHANGED,
            {"election_id": election.pk, "status": election.status, "previous_status": before},
        )
