"""Creating, resizing, rescheduling and deleting shifts: the seats themselves.

Shifts belong to elections, but changing one that people hold is a staffing
matter, so these services live here. A change that touches people (fewer seats
than are held, new times, another station or role, deletion) is refused with
their names unless the caller confirms; confirmed, it is carried out and every
person affected is told (old → new, or that they lost their seat). A change that
would break a rule for someone who keeps their seat (an overlap, the minimum
age, a team reservation) is refused outright: move or remove them first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.models import User
from elections.models import Election, Role, Shift
from notifications.models import Message, subject_of
from pollcrew.refusals import Refused
from polling_stations.models import PollingStation
from staffing import messaging, rules
from staffing.models import Assignment
from staffing.rules import RuleViolation
from staffing.services import standby
from staffing.services._common import lock_shift, record_assignment
from staffing.services.seats import _take_off
from volunteers.models import Team, Volunteer

Status = Assignment.Status
SHIFT_FIELDS = ("election", "station", "role", "team", "starts_at", "ends_at", "capacity")
EDITABLE = ("station", "role", "team", "starts_at", "ends_at", "capacity")
# What people on the shift are told about when it changes.
NOTICE_FIELDS = ("station", "role", "starts_at", "ends_at")
# Who loses a seat first when seats are cut: open invitations, then the most
# recent yes; people already checked in last.
_GIVE_UP_ORDER = {Status.INVITED: 0, Status.ACCEPTED: 1, Status.CHECKED_IN: 2}


class PeopleAffected(Refused):
    """The change touches people holding seats; call again with confirm=True."""


@dataclass
class ShiftChange:
    shift: Shift
    removed: list[Assignment] = field(default_factory=list)
    notified: list[Assignment] = field(default_factory=list)
    # Affected but not told (marked "do not contact", or the election is not
    # active): the office has to call them.
    not_notified: list[Assignment] = field(default_factory=list)


def _names(assignments: list[Assignment]) -> list[str]:
    return [a.volunteer.full_name for a in assignments]


def _holders(shift: Shift) -> list[Assignment]:
    """People holding a seat on the (locked) shift: their volunteer rows, then
    their assignment rows locked (the lock order), read as they are now."""
    ids = list(shift.assignments.holding_seat().values_list("pk", "volunteer_id"))
    if not ids:
        return []
    list(
        Volunteer.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted({vid for _pk, vid in ids}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    holders = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(pk__in=[pk for pk, _vid in ids])
        .holding_seat()  # still: an expiry may have come first
        .select_related("volunteer")
        .order_by("pk")
    )
    for a in holders:
        a.shift = shift
    return holders


def _losing_seats(holders: list[Assignment], capacity: int) -> list[Assignment]:
    if len(holders) <= capacity:
        return []
    ranked = sorted(
        holders,
        key=lambda a: (_GIVE_UP_ORDER[a.status], -(a.responded_at or a.invited_at).timestamp()),
    )
    return ranked[: len(holders) - capacity]


def _rule_problems(
    new: Shift, old: Shift, keeping: list[Assignment], *, by: User | None
) -> list[str]:
    """ "Name: reason" for everyone staying whom the new shift would break a rule for
    (a clashing shift named only if ``by`` may see who sits there)."""
    problems: list[str] = []
    ids = [a.volunteer_id for a in keeping]
    times_changed = (new.starts_at, new.ends_at) != (old.starts_at, old.ends_at)
    clashes = rules.clashing_shifts(new, ids) if times_changed else {}
    members = rules.team_member_ids(new, ids)
    may_name = rules.may_name_for(by)
    for assignment in keeping:
        volunteer = assignment.volunteer
        clashing = clashes.get(volunteer.pk)
        try:
            rules.check_age(new, volunteer)
            rules.check_team(new, volunteer, members)
            rules.check_no_overlap(
                new, volunteer, clashing, named=clashing is not None and may_name(clashing)
            )
        except RuleViolation as violation:
            problems.append(violation.message)
    return problems


def _validated(shift: Shift) -> None:
    """Field rules and named constraints, as form errors (ValidationError)."""
    shift.full_clean(validate_unique=True, validate_constraints=True)


def create_shift(
    election: Election,
    *,
    station: PollingStation,
    role: Role,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    team: Team | None = None,
    by: User | None,
) -> Shift:
    shift = Shift(
        election=election,
        station=station,
        role=role,
        team=team,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    _validated(shift)
    with transaction.atomic():
        shift.save(force_insert=True)
        audit.record(
            "staffing.create_shift",
            shift,
            by=by,
            election_id=election.pk,
            changes=audit.created(shift, SHIFT_FIELDS),
        )
    return shift


def update_shift(
    shift: Shift, *, by: User | None, confirm: bool = False, **changes: Any
) -> ShiftChange:
    """Change a shift's station, role, team, times or seats (``changes``).

    Refused with PeopleAffected (names in ``.names``) when people hold seats and
    would lose them or see their shift change, unless ``confirm``; refused with a
    RuleViolation when the change would break a rule for someone staying."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"update_shift cannot change {sorted(unknown)}")
    with transaction.atomic():
        current = lock_shift(shift.pk)
        new = copy.copy(current)
        for name, value in changes.items():
            setattr(new, name, value)
        _validated(new)
        before = audit.snapshot(current, SHIFT_FIELDS)
        after = audit.snapshot(new, SHIFT_FIELDS)
        diff = audit.changes_between(before, after)
        result = ShiftChange(shift=new)
        if not diff:
            return result
        holders = _holders(current)
        losing = _losing_seats(holders, new.capacity)
        keeping = [a for a in holders if a not in losing]
        told = bool(set(diff) & set(NOTICE_FIELDS))
        if told or "team" in diff:
            problems = _rule_problems(new, current, keeping, by=by)
            if problems:
                raise RuleViolation(
                    "breaks_rules",
                    _("This change would break the rules for people on the shift: %(list)s")
                    % {"list": " ".join(problems)},
                )
        if (losing or (told and keeping)) and not confirm:
            raise _affected(losing, keeping if told else [])
        if told:
            new.changed_at = timezone.now()
        new.save()
        for assignment in losing:
            sent = _take_off(assignment, by=by, reason="seats reduced", action="staffing.remove")
            (result.notified if sent else result.not_notified).append(assignment)
        result.removed = losing
        if new.capacity > current.capacity:
            standby.schedule_offers(new)  # the new seats go to the standby list
        if told:
            for assignment in keeping:
                assignment.shift = new
                sent = messaging.queue_change_notice(assignment, current)
                (result.notified if sent else result.not_notified).append(assignment)
                record_assignment(
                    "staffing.shift_changed",
                    assignment,
                    by=by,
                    before={},
                    detail={"changes": diff, "told": sent is not None},
                )
        audit.record(
            "staffing.update_shift",
            new,
            by=by,
            election_id=new.election_id,
            changes=diff,
            detail={
                "removed": _names(losing),
                "notified": _names(result.notified),
                "not_notified": _names(result.not_notified),
            },
        )
    return result


def _unreachable(assignments: list[Assignment]) -> str:
    """A sentence naming those no message can reach, or ""."""
    names = [
        a.volunteer.full_name
        for a in assignments
        if not messaging.may_message(a.volunteer, a.shift.election)
    ]
    if not names:
        return ""
    return _("No message can reach %(names)s: please call them.") % {"names": ", ".join(names)}


def _affected(losing: list[Assignment], told: list[Assignment]) -> PeopleAffected:
    parts = []
    if losing:
        parts.append(
            ngettext(
                "%(count)d person would lose their seat: %(names)s.",
                "%(count)d people would lose their seats: %(names)s.",
                len(losing),
            )
            % {"count": len(losing), "names": ", ".join(_names(losing))}
        )
    if told:
        parts.append(
            ngettext(
                "%(count)d person on the shift would be told about the change: %(names)s.",
                "%(count)d people on the shift would be told about the change: %(names)s.",
                len(told),
            )
            % {"count": len(told), "names": ", ".join(_names(told))}
        )
    parts.append(_("Confirm to carry it out; everyone affected gets a message."))
    parts.append(_unreachable(losing + told))
    return PeopleAffected(
        "people_affected", " ".join(p for p in parts if p), names=_names(losing + told)
    )


def resize_shift(
    shift: Shift, capacity: int, *, by: User | None, confirm: bool = False
) -> ShiftChange:
    return update_shift(shift, by=by, confirm=confirm, capacity=capacity)


def reschedule_shift(
    shift: Shift,
    starts_at: datetime,
    ends_at: datetime,
    *,
    by: User | None,
    confirm: bool = False,
) -> ShiftChange:
    return update_shift(shift, by=by, confirm=confirm, starts_at=starts_at, ends_at=ends_at)


def delete_shift(shift: Shift, *, by: User | None, confirm: bool = False) -> ShiftChange:
    """Delete a shift. People holding seats on it are named and, when confirmed,
    taken off with a notice first. The shift's history (answers) goes with it;
    the audit log keeps who was on it."""
    with transaction.atomic():
        current = lock_shift(shift.pk)
        holders = _holders(current)
        if holders and not confirm:
            raise PeopleAffected(
                "people_affected",
                ngettext(
                    "%(count)d person holds a seat on this shift: %(names)s. Confirm to "
                    "delete it; they will be told they are no longer on it.",
                    "%(count)d people hold seats on this shift: %(names)s. Confirm to "
                    "delete it; they will be told they are no longer on it.",
                    len(holders),
                )
                % {"count": len(holders), "names": ", ".join(_names(holders))}
                + (" " + _unreachable(holders) if _unreachable(holders) else ""),
                names=_names(holders),
            )
        result = ShiftChange(shift=current, removed=holders)
        for assignment in holders:
            sent = _take_off(assignment, by=by, reason="shift deleted", action="staffing.remove")
            (result.notified if sent else result.not_notified).append(assignment)
        snapshot = audit.snapshot(current, SHIFT_FIELDS)
        answers = dict(Assignment.objects.filter(shift=current).values_list("pk", "volunteer_id"))
        _messages_follow_the_volunteer(answers)
        Assignment.objects.filter(pk__in=list(answers)).delete()
        audit.record(
            "staffing.delete_shift",
            current,
            by=by,
            election_id=current.election_id,
            changes={name: [value, None] for name, value in snapshot.items()},
            detail={
                "removed": _names(holders),
                "not_notified": _names(result.not_notified),
                "assignments_deleted": len(answers),
            },
        )
        current.delete()
    return result


def _messages_follow_the_volunteer(assignment_volunteers: dict[int, int]) -> None:
    """Messages about assignments about to be deleted (the invitation, the
    notice just queued) are re-pointed at the volunteer, so that their history
    still finds them."""
    assignment_type, _unused = subject_of(Assignment(pk=0))
    volunteer_type, _unused = subject_of(Volunteer(pk=0))
    by_volunteer: dict[int, list[int]] = {}
    for assignment_id, volunteer_id in assignment_volunteers.items():
        by_volunteer.setdefault(volunteer_id, []).append(assignment_id)
    for volunteer_id, assignment_ids in by_volunteer.items():
        Message.objects.filter(subject_type=assignment_type, subject_id__in=assignment_ids).update(
            subject_type=volunteer_type, subject_id=volunteer_id
        )
