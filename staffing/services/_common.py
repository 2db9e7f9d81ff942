"""Locks and audit helpers shared by the staffing services.

Lock order, everywhere: shift rows (by id), then volunteer rows (by id), then
assignment rows. FOR NO KEY UPDATE serialises the services on these rows, yet
lets other transactions insert rows that merely reference them (messages, links).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts import audit
from accounts.models import ActorKind, AuditEntry, User
from elections.models import Shift
from staffing import rules
from staffing.models import Assignment
from volunteers.models import Volunteer

ASSIGNMENT_FIELDS = ("shift", "volunteer", "status", "responded_at", "reason")
REASON_GIVEN = "(given)"


def lock_shift(shift_id: int) -> Shift:
    return (
        Shift.objects.select_for_update(of=("self",), no_key=True)
        .select_related("election", "role", "station", "team")
        .get(pk=shift_id)
    )


def lock_shifts(shift_ids: Iterable[int]) -> dict[int, Shift]:
    return {pk: lock_shift(pk) for pk in sorted(set(shift_ids))}


def lock_volunteer(volunteer_id: int) -> Volunteer:
    return Volunteer.objects.select_for_update(no_key=True).get(pk=volunteer_id)


def lock_assignment(assignment_id: int) -> Assignment:
    return Assignment.objects.select_for_update(of=("self",)).get(pk=assignment_id)


def lock_seat(assignment: Assignment) -> tuple[Shift, Volunteer, Assignment]:
    """Lock an assignment with its shift and volunteer, in the lock order, as they
    are in the database now (the caller's object may be stale: moved since).

    If it moves between our read and our lock, the caller is refused ("changed
    meanwhile") rather than taking a second shift lock after the volunteer's,
    which would break the lock order."""
    shift_id = Assignment.objects.values_list("shift_id", flat=True).get(pk=assignment.pk)
    shift = lock_shift(shift_id)
    volunteer = lock_volunteer(assignment.volunteer_id)
    current = lock_assignment(assignment.pk)
    if current.shift_id != shift.pk:
        raise rules.refusal("changed_meanwhile", volunteer)
    current.shift, current.volunteer = shift, volunteer
    return shift, volunteer, current


def assignment_entry(
    action: str,
    assignment: Assignment,
    *,
    by: User | None,
    actor: ActorKind | None = None,
    before: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    object_repr: str = "",
) -> AuditEntry:
    """An unsaved audit entry for a change to ``assignment`` (old → new).

    A volunteer's reason is recorded as given or not, never its text: the text
    goes with retention (90 days after the election), the audit log keeps 13
    months."""
    after = audit.snapshot(assignment, ASSIGNMENT_FIELDS)
    after["reason"] = REASON_GIVEN if after.get("reason") else ""
    if before is not None and before.get("reason"):
        before = {**before, "reason": REASON_GIVEN}
    changes = (
        audit.changes_between(before, {name: after[name] for name in before})
        if before is not None
        else {name: [None, value] for name, value in after.items() if value not in (None, "")}
    )
    return audit.entry(
        action,
        assignment,
        by=by,
        actor=actor,
        election_id=assignment.shift.election_id,
        changes=changes,
        detail=detail,
        object_repr=object_repr,
    )


def new_assignment_rows(
    action: str, assignments: list[Assignment], *, by: User | None, label: str
) -> list[audit.AuditRow]:
    """``assignment_entry`` for new assignments on one shift (no "before"; the
    object shown as "<volunteer> → ``label``"), as plain rows for
    ``audit.record_many``: an invitation round makes thousands, and an entry
    instance for each cost more than writing them."""
    user, kind, actor_label = audit.actor_of(by)
    actor_id = user.pk if user is not None else None
    now = timezone.now()
    object_type = Assignment._meta.label_lower
    rows = []
    for a in assignments:
        after = {
            "shift": a.shift_id,
            "volunteer": a.volunteer_id,
            "status": str(a.status),
            "responded_at": audit.json_value(a.responded_at),
            "reason": REASON_GIVEN if a.reason else "",
        }
        changes = {name: [None, value] for name, value in after.items() if value not in (None, "")}
        rows.append(
            (
                now,
                actor_id,
                kind,
                actor_label,
                action,
                object_type,
                a.pk,
                f"{a.volunteer} → {label}"[:300],
                a.shift.election_id,
                changes,
                {},
                None,
            )
        )
    return rows


def record_assignment(action: str, assignment: Assignment, **kwargs: Any) -> AuditEntry:
    entry = assignment_entry(action, assignment, **kwargs)
    entry.save(force_insert=True)
    return entry


def check_no_overlap(
    shift: Shift, volunteer: Volunteer, clashes: dict[int, Shift], by: User | None
) -> None:
    """The overlap rule for one volunteer, the refusal naming the clashing shift
    only if ``by`` may see who sits there (``rules.may_name_for``)."""
    clashing = clashes.get(volunteer.pk)
    if clashing is not None:
        rules.check_no_overlap(shift, volunteer, clashing, named=rules.may_name_for(by)(clashing))


def answer_actor(by: User | None) -> ActorKind:
    """Accept and decline without a staff user come from the volunteer's own link."""
    return ActorKind.STAFF if by is not None else ActorKind.VOLUNTEER


def own_seat(shift: Shift, volunteer: Volunteer, *, now: datetime, **fields: Any) -> Assignment:
    """A seat the person takes themselves (a sign-up, a standby claim): accepted,
    or held for the office (invited, awaiting approval) when the role needs it.
    The caller holds the locks and has checked the rules."""
    held = shift.role.requires_approval
    seat = Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=Assignment.Status.INVITED if held else Assignment.Status.ACCEPTED,
        invited_at=now,
        responded_at=None if held else now,
        awaiting_approval=held,
        **fields,
    )
    seat.shift, seat.volunteer = shift, volunteer
    return seat
