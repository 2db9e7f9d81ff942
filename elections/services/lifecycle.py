"""Writes to elections, audited: create, edit, the lifecycle, delete."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, writes
from accounts import services as account_services
from accounts.models import ScopeKind, User
from elections.models import Election
from pollcrew.refusals import Refused

ELECTION_FIELDS = ("name", "kind", "election_date", "lock_days", "response_days", "copied_from")
Status = Election.Status

# The lifecycle: draft → active → closed → archived; a closed election may be
# reopened. Only an active election sends messages and accepts answers.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.ACTIVE},
    Status.ACTIVE: {Status.CLOSED},
    Status.CLOSED: {Status.ACTIVE, Status.ARCHIVED},
    Status.ARCHIVED: set(),
}


def _election_id(election: Election) -> int:
    return election.pk


def create_election(*, by: User | None, **fields: Any) -> Election:
    """A new election, always a draft (nothing goes out until it is activated)."""
    return writes.create(
        Election,
        "elections.create_election",
        fields,
        ELECTION_FIELDS,
        by=by,
        election_of=_election_id,
    )


def update_election(election: Election, *, by: User | None, **changes: Any) -> Election:
    """Name, kind, date, lock and answer days; the status has its own service."""
    return writes.update(
        election,
        "elections.update_election",
        changes,
        ELECTION_FIELDS,
        by=by,
        election_of=_election_id,
    )


def set_election_status(election: Election, status: str, *, by: User | None) -> Election:
    with transaction.atomic():
        current = Election.objects.select_for_update().get(pk=election.pk)
        if current.status == status:
            return current
        if status not in TRANSITIONS.get(current.status, set()):
            raise Refused(
                "bad_transition",
                _("An election that is %(current)s cannot become %(new)s.")
                % {
                    "current": current.get_status_display().lower(),
                    "new": Status(status).label.lower() if status in Status.values else status,
                },
            )
        before, closed_before = current.status, current.closed_at
        current.status = status
        # Retention counts from the closing; reopening starts the count again later.
        if status == Status.CLOSED:
            current.closed_at = timezone.now()
        elif status == Status.ACTIVE:
            current.closed_at = None
        current.save(update_fields=["status", "closed_at"])
        changes: dict[str, list[Any]] = {"status": [before, status]}
        if current.closed_at != closed_before:
            changes["closed_at"] = [closed_before, current.closed_at]
        audit.record(
            "elections.set_status",
            current,
            by=by,
            election_id=current.pk,
            changes=changes,
        )
    return current


def delete_election(election: Election, *, by: User | None) -> None:
    """Only a draft can be deleted (with its shifts, if nobody was ever on them);
    any other election is closed or archived instead."""
    with transaction.atomic():
        election = Election.objects.select_for_update().get(pk=election.pk)
        if election.status != Status.DRAFT:
            raise Refused(
                "not_draft",
                _("Only a draft election can be deleted; close or archive “%(name)s” instead.")
                % {"name": election.name},
            )
        pk = election.pk
        writes.delete(
            election, "elections.delete_election", ELECTION_FIELDS, by=by, election_of=_election_id
        )
        account_services.forget_scope_object(ScopeKind.ELECTION, pk, by=by)
