"""The office changes who sits where: take someone off a shift, or move them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from elections.models import Shift
from notifications.models import Message
from pollcrew.text import strip_controls
from staffing import messaging, rules
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from staffing.services import standby, webhook_events
from staffing.services._common import (
    check_no_overlap,
    lock_assignment,
    lock_seat,
    lock_shifts,
    lock_volunteer,
    record_assignment,
)

Status = Assignment.Status
MOVABLE = (Status.INVITED, Status.ACCEPTED)


def _take_off(
    assignment: Assignment,
    *,
    by: User | None,
    reason: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> Message | None:
    """Free the seat, cancel what has not gone out about it, tell the volunteer
    (returns the notice; None if they cannot be told). The caller holds the
    locks and has set assignment.shift/volunteer. ``detail`` adds to the audit entry."""
    before = {"status": assignment.status}
    assignment.status = Status.REMOVED
    assignment.save(update_fields=["status", "updated_at"])
    messaging.cancel_queued_about(assignment)
    notice = None
    if assignment.shift.starts_at > timezone.now():
        notice = messaging.queue_removal_notice(assignment)
    record_assignment(
        action,
        assignment,
        by=by,
        before=before,
        detail={**(detail or {}), "reason": reason, "told": notice is not None},
    )
    standby.schedule_offers(assignment.shift)  # the freed seat goes to the standby list
    webhook_events.seats_freed([assignment])
    return notice


def remove(assignment: Assignment, *, by: User | None, reason: str = "") -> Assignment:
    """Take someone off a shift (invited, accepted or checked in). They are told
    (unless the shift has started or they must not be contacted); the reason is
    for the audit log, not for the message."""
    with transaction.atomic():
        _shift, volunteer, current = lock_seat(assignment)
        if current.status == Status.REMOVED:
            return current
        if current.status not in SEAT_HOLDING_STATUSES:
            raise rules.refusal("not_removable", volunteer)
        _take_off(
            current, by=by, reason=strip_controls(reason).strip()[:1000], action="staffing.remove"
        )
    return current


def move(assignment: Assignment, to_shift: Shift, *, by: User | None) -> Assignment:
    """Move someone to another shift of the same election, keeping their answer
    (an invitation stays an invitation, a yes a yes). The target shift's rules
    apply (free seat, age, team, no overlap); the volunteer is told old → new."""
    with transaction.atomic():
        on = Assignment.objects.values_list("shift_id", flat=True).get(pk=assignment.pk)
        locked = lock_shifts([on, to_shift.pk])
        old_shift, new_shift = locked[on], locked[to_shift.pk]
        volunteer = lock_volunteer(assignment.volunteer_id)
        current = lock_assignment(assignment.pk)
        if current.shift_id != on:  # moved by someone else meanwhile: start again
            raise rules.refusal("changed_meanwhile", volunteer)
        if current.shift_id == new_shift.pk:
            return current
        if current.status not in MOVABLE:
            raise rules.refusal("not_movable", volunteer)
        if new_shift.election_id != old_shift.election_id:
            raise rules.refusal("other_election", volunteer)
        rules.check_not_started(new_shift)
        on_shift, _declined = rules.shift_history(new_shift, [volunteer.pk])
        if volunteer.pk in on_shift:
            raise rules.refusal("already_on_shift", volunteer)
        rules.check_capacity(new_shift, new_shift.assignments.holding_seat().count())
        rules.check_age(new_shift, volunteer)
        rules.check_team(new_shift, volunteer, rules.team_member_ids(new_shift, [volunteer.pk]))
        clashes = rules.clashing_shifts(new_shift, [volunteer.pk], exclude_assignment=current.pk)
        check_no_overlap(new_shift, volunteer, clashes, by)
        before = {"shift": old_shift.pk}
        current.shift = new_shift
        current.save(update_fields=["shift", "updated_at"])
        current.volunteer = volunteer
        # An invitation not yet sent names the old shift: the notice replaces it.
        messaging.cancel_queued_about(current)
        messaging.queue_move_notice(current, old_shift)
        record_assignment("staffing.move", current, by=by, before=before)
        standby.schedule_offers(old_shift)  # the seat left behind goes to the standby list
        webhook_events.seats_freed([current], reason="moved", shift=old_shift)
    return current
