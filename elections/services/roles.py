"""Writes to roles (the task types: chair, poll clerk, counter…), audited."""

from __future__ import annotations

from typing import Any

from accounts import writes
from accounts.models import User
from elections.models import Role

ROLE_FIELDS = (
    "name",
    "short_name",
    "description",
    "default_start",
    "default_end",
    "pay",
    "min_age",
    "invite_only",
    "reminders_enabled",
    "sort_order",
)


def create_role(*, by: User | None, **fields: Any) -> Role:
    return writes.create(Role, "elections.create_role", fields, ROLE_FIELDS, by=by)


def update_role(role: Role, *, by: User | None, **changes: Any) -> Role:
    return writes.update(role, "elections.update_role", changes, ROLE_FIELDS, by=by)


def delete_role(role: Role, *, by: User | None) -> None:
    """Refused while shifts use the role."""
    writes.delete(role, "elections.delete_role", ROLE_FIELDS, by=by)
