"""Writes to roles (the task types: chair, poll clerk, counter…), audited: create,
edit (with the skills the role requires: an entry of their own), order, delete.
A role's default end earlier than its start means the next day (a count that
runs past midnight); the same time for both is refused.
Deleting a role that shifts use is refused with where (elections.where_used)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit, writes
from accounts.models import User
from elections import where_used
from elections.models import Role
from polling_stations.services import Where, create_last, reorder

# What a create or delete entry records (not the place in the list: see
# polling_stations.services); ROLE_FIELDS are what the services may set.
ROLE_DESCRIBED = (
    "name",
    "short_name",
    "description",
    "description_en",
    "what_to_bring",
    "what_to_bring_en",
    "default_start",
    "default_end",
    "pay",
    "min_age",
    "invite_only",
    "requires_approval",
    "standby_enabled",
    "reminders_enabled",
    "invitation_reminder_days",
    "invitation_reminders_max",
)
ROLE_FIELDS = (*ROLE_DESCRIBED, "sort_order")


def _check_times(start: Any, end: Any) -> None:
    if start is not None and start == end:
        raise ValidationError(
            {"default_end": _("The end must differ from the start (earlier means the next day).")}
        )


def _set_skills(role: Role, skills: Iterable[Any], *, by: User | None) -> None:
    """The skills (trainings, languages) everyone in ``role`` must have; an entry
    with the ids before and after, if they changed."""
    wanted = sorted({getattr(skill, "pk", skill) for skill in skills})
    before = sorted(role.required_skills.values_list("pk", flat=True))
    if wanted != before:
        role.required_skills.set(wanted)
        audit.record(
            "elections.set_role_skills",
            role,
            by=by,
            changes={"required_skills": [before, wanted]},
        )


def create_role(*, by: User | None, **fields: Any) -> Role:
    """A new role (last, unless a sort order is given)."""
    skills = fields.pop("required_skills", None)
    _check_times(fields.get("default_start"), fields.get("default_end"))
    with transaction.atomic():
        role = create_last(
            Role,
            "elections.create_role",
            fields,
            ROLE_DESCRIBED,
            siblings=Role.objects.all(),
            by=by,
        )
        if skills is not None:
            _set_skills(role, skills, by=by)
    return role


def update_role(role: Role, *, by: User | None, **changes: Any) -> Role:
    skills = changes.pop("required_skills", None)
    _check_times(
        changes.get("default_start", role.default_start),
        changes.get("default_end", role.default_end),
    )
    with transaction.atomic():
        if changes:
            role = writes.update(role, "elections.update_role", changes, ROLE_FIELDS, by=by)
        if skills is not None:
            _set_skills(role, skills, by=by)
    return role


def move_role(role: Role, *, by: User | None, to: Where) -> Role:
    return reorder(role, Role.objects.all(), "elections.move_role", to=to, by=by)


def delete_role(role: Role, *, by: User | None) -> None:
    """Refused while shifts use the role, naming the elections (and stations)."""
    with transaction.atomic():
        locked = Role.objects.select_for_update().get(pk=role.pk)
        refusal = where_used.role_refusal(locked)
        if refusal is not None:
            raise refusal
        writes.delete(locked, "elections.delete_role", ROLE_DESCRIBED, by=by)
