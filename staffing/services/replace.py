"""Replacing someone on a shift: take them off and invite (or seat) another
person in their place, in one step and one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from pollcrew.text import strip_controls
from staffing import rules
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from staffing.services._common import lock_assignment, lock_shift
from staffing.services.invitations import assign, invite
from staffing.services.seats import _take_off
from volunteers.models import Volunteer


@dataclass(frozen=True)
class Replacement:
    removed: Assignment  # the seat taken back (now "removed")
    new: Assignment  # the replacement's invitation, or their accepted seat
    told: bool  # whether the person taken off gets a notice


def replace(
    assignment: Assignment,
    replacement: Volunteer,
    *,
    by: User | None,
    reason: str = "",
    seat_directly: bool = False,
) -> Replacement:
    """Take the holder of ``assignment`` off its shift and invite ``replacement``
    to the seat that frees (or, ``seat_directly``, seat them: they already said
    yes). Both or neither: if the replacement cannot be invited (a rule, a
    declined invitation before, "do not contact"), nobody is taken off and the
    refusal says why. The person taken off is told, the replacement invited (or
    confirmed); each change has its own audit entry, the removal naming the
    replacement.

    Lock order as everywhere: the shift, then both volunteers by id, then the seat."""
    with transaction.atomic():
        shift_id, leaving_id = Assignment.objects.values_list("shift_id", "volunteer_id").get(
            pk=assignment.pk
        )
        shift = lock_shift(shift_id)
        people = {
            v.pk: v
            for v in Volunteer.objects.select_for_update(no_key=True)
            .filter(pk__in=sorted({leaving_id, replacement.pk}))
            .order_by("pk")
        }
        current = lock_assignment(assignment.pk)
        leaving = people[leaving_id]
        if current.shift_id != shift.pk:  # moved meanwhile
            raise rules.refusal("changed_meanwhile", leaving)
        if replacement.pk == leaving_id:
            raise rules.refusal("same_person", leaving)
        if current.status not in SEAT_HOLDING_STATUSES:
            raise rules.refusal("not_removable", leaving)
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        newcomer = people[replacement.pk]
        on_shift, _declined = rules.shift_history(shift, [newcomer.pk])
        if newcomer.pk in on_shift:  # they would not fill the seat that frees
            raise rules.refusal("already_on_shift", newcomer)
        current.shift, current.volunteer = shift, leaving
        notice = _take_off(
            current,
            by=by,
            reason=strip_controls(reason).strip()[:1000],
            action="staffing.replace",
            detail={"replaced_by": replacement.pk},
        )
        if seat_directly:
            new = assign(shift, newcomer, by=by)  # a refusal undoes the removal too
        else:
            result = invite(shift, [newcomer], by=by)
            if result.refused:
                raise result.refused[0][1]
            [new] = result.invited
    return Replacement(removed=current, new=new, told=notice is not None)
