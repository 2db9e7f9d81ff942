"""A volunteer's answer to a seat: accept or decline (withdraw, once accepted).

``by`` is a staff user answering on the volunteer's behalf (exempt from the
self-service lock); None means the volunteer on their own personal link."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from pollcrew.text import strip_controls
from staffing import messaging, rules
from staffing.models import Assignment
from staffing.services import standby, webhook_events
from staffing.services._common import (
    answer_actor,
    check_no_overlap,
    lock_seat,
    record_assignment,
)

Status = Assignment.Status

# States a volunteer may accept from. Declined, expired and withdrawn seats were
# given up, so accepting them again must find a free seat.
GIVEN_UP = frozenset({Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN})
_ACCEPTABLE = GIVEN_UP | {Status.INVITED}


def accept(assignment: Assignment, *, by: User | None = None) -> Assignment:
    """Accept a seat. A first answer to an invitation is possible until the shift
    starts; taking a seat given up earlier is a change, closed lock_days before
    the shift (for the volunteer; the office may still)."""
    with transaction.atomic():
        shift, volunteer, current = lock_seat(assignment)
        if current.status in (Status.ACCEPTED, Status.CHECKED_IN):
            return current  # a double click: already done, nothing more to send
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        if current.status not in _ACCEPTABLE:
            raise rules.refusal("not_acceptable", volunteer)
        if current.awaiting_approval and by is None:  # the office's to confirm
            raise rules.refusal("awaiting_approval", volunteer)
        if current.status != Status.INVITED:
            if by is None:
                rules.check_self_service_open(shift)
            later = Assignment.objects.filter(shift=shift, volunteer=volunteer, pk__gt=current.pk)
            if later.exists():  # superseded: re-invited, or removed by the office
                raise rules.refusal("not_acceptable", volunteer)
            rules.check_capacity(shift, shift.assignments.holding_seat().count())
        rules.check_age(shift, volunteer)
        rules.check_team(shift, volunteer, rules.team_member_ids(shift, [volunteer.pk]))
        clashes = rules.clashing_shifts(shift, [volunteer.pk], exclude_assignment=current.pk)
        check_no_overlap(shift, volunteer, clashes, by)
        before = {"status": current.status, "responded_at": current.responded_at}
        current.status = Status.ACCEPTED
        current.responded_at = timezone.now()
        current.reason = ""
        current.awaiting_approval = False  # the office answering for them approves it
        current.save(
            update_fields=["status", "responded_at", "reason", "awaiting_approval", "updated_at"]
        )
        record_assignment("staffing.accept", current, by=by, actor=answer_actor(by), before=before)
        webhook_events.answered(current, by=by)
        standby.note_seated(volunteer.pk, shift.pk)
        messaging.queue_confirmation(current)
    return current


def decline(assignment: Assignment, *, reason: str = "", by: User | None = None) -> Assignment:
    """Say no: an invitation becomes declined, an accepted seat withdrawn."""
    with transaction.atomic():
        shift, volunteer, current = lock_seat(assignment)
        if current.status in (Status.DECLINED, Status.WITHDRAWN):
            return current
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        if current.status == Status.INVITED:
            new_status = Status.DECLINED
        elif current.status == Status.ACCEPTED:
            if by is None:
                rules.check_self_service_open(shift)
            new_status = Status.WITHDRAWN
        else:
            raise rules.refusal("not_declinable", volunteer)
        before = {
            "status": current.status,
            "responded_at": current.responded_at,
            "reason": current.reason,
        }
        current.status = new_status
        current.responded_at = timezone.now()
        current.reason = strip_controls(reason).strip()[:1000]
        current.save(update_fields=["status", "responded_at", "reason", "updated_at"])
        record_assignment("staffing.decline", current, by=by, actor=answer_actor(by), before=before)
        webhook_events.answered(current, by=by)  # and the seat freed
        messaging.queue_confirmation(current)
        standby.schedule_offers(shift)  # the freed seat goes to the standby list
    return current
