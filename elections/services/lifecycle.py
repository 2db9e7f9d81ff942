"""Writes to elections, audited: create, edit, the lifecycle, delete."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit, writes
from accounts import services as account_services
from accounts.models import ScopeKind, User
from elections import window
from elections.models import Election
from pollcrew.collation import danish_sorted
from pollcrew.refusals import Refused
from pollcrew.text import strip_controls
from polling_stations.models import Area

# The reminders an election sends (staffing.reminders).
REMINDER_FIELDS = (
    "invitation_reminder_days",
    "invitation_reminders_max",
    "shift_reminder_days",
    "shift_morning_sms",
)
# Standby lists (staffing.services.standby); paused or resumed on the standby page.
STANDBY_FIELDS = (
    "standby_enabled",
    "standby_paused",
    "offer_hours",
    "offers_per_seat",
    "election_day_hours",
    "election_day_offer_minutes",
)
ELECTION_FIELDS = (
    "name",
    "kind",
    "election_date",
    "lock_days",
    "response_days",
    *REMINDER_FIELDS,
    "copied_from",
    *STANDBY_FIELDS,
)
# What the audit log records of an election: its fields and the areas taking part.
AUDITED_FIELDS = (*ELECTION_FIELDS, "areas")
Status = Election.Status

# The lifecycle: draft → active → closed → archived; a closed election may be
# reopened. Only an active election sends messages and accepts answers.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.ACTIVE},
    Status.ACTIVE: {Status.CLOSED},
    Status.CLOSED: {Status.ACTIVE, Status.ARCHIVED},
    Status.ARCHIVED: set(),
}

AreaIds = Iterable[Area | int]


def _election_id(election: Election) -> int:
    return election.pk


def _apply(election: Election, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(ELECTION_FIELDS)
    if unknown:
        raise TypeError(f"cannot set {sorted(unknown)} on Election")
    for name, value in fields.items():
        setattr(election, name, strip_controls(value) if isinstance(value, str) else value)


def _area_ids(areas: AreaIds) -> list[int]:
    return sorted({a.pk if isinstance(a, models.Model) else int(a) for a in areas})


def create_election(*, by: User | None, areas: AreaIds | None = None, **fields: Any) -> Election:
    """A new election, always a draft (nothing goes out until it is activated).
    ``areas``: the areas taking part; every area if not given."""
    election = Election()
    _apply(election, fields)
    election.full_clean()
    with transaction.atomic():
        election.save(force_insert=True)
        area_ids = (
            list(Area.objects.values_list("pk", flat=True)) if areas is None else _area_ids(areas)
        )
        election.areas.set(area_ids)
        audit.record(
            "elections.create_election",
            election,
            by=by,
            election_id=election.pk,
            changes=audit.created(election, AUDITED_FIELDS),
        )
    return election


def update_election(
    election: Election, *, by: User | None, areas: AreaIds | None = None, **changes: Any
) -> Election:
    """Name, kind, date, lock and answer days, the areas; the status has its own
    service. A new date that would leave seats outside the election's window, or
    removing an area that has seats, is refused (a ValidationError on that field);
    an archived election is kept as it is (Refused)."""
    with transaction.atomic():
        current = Election.objects.select_for_update().get(pk=election.pk)
        if current.status == Status.ARCHIVED:
            raise Refused(
                "archived",
                _("“%(name)s” is archived and can no longer be changed.") % {"name": current.name},
            )
        before = audit.snapshot(current, AUDITED_FIELDS)
        old_date = current.election_date
        _apply(current, changes)
        current.full_clean()
        if current.election_date != old_date:
            check_shifts_in_window(current, current.election_date)
        if areas is not None:
            area_ids = _area_ids(areas)
            _check_areas_without_seats(current, area_ids)
        current.save()
        if areas is not None:
            current.areas.set(area_ids)
        diff = audit.changes_between(before, audit.snapshot(current, AUDITED_FIELDS))
        if diff:
            audit.record(
                "elections.update_election",
                current,
                by=by,
                election_id=current.pk,
                changes=diff,
            )
    return current


def check_shifts_in_window(election: Election, election_date: date) -> None:
    """Refuse a date that would leave some of the election's shifts outside its window."""
    earliest, latest = window.bounds(election_date)
    outside = (
        election.shifts.filter(Q(starts_at__lt=earliest) | Q(ends_at__gt=latest)).order_by().count()
    )
    if outside:
        raise ValidationError(
            {
                "election_date": ngettext(
                    "%(count)d shift would fall outside the election's window "
                    "(%(first)s to %(last)s) on that date. Move or remove it in the seat grid "
                    "first, or choose a date closer to the present one.",
                    "%(count)d shifts would fall outside the election's window "
                    "(%(first)s to %(last)s) on that date. Move or remove them in the seat grid "
                    "first, or choose a date closer to the present one.",
                    outside,
                )
                % {
                    "count": outside,
                    "first": date_format(timezone.localtime(earliest), "SHORT_DATE_FORMAT"),
                    "last": date_format(timezone.localtime(latest), "SHORT_DATETIME_FORMAT"),
                }
            },
            code="shifts_outside_window",
        )


def _check_areas_without_seats(election: Election, area_ids: list[int]) -> None:
    stranded = election.shifts.exclude(station__area_id__in=area_ids).order_by()
    count = stranded.count()
    if not count:
        return
    names = danish_sorted(
        Area.objects.filter(pk__in=stranded.values("station__area_id")).values_list(
            "name", flat=True
        ),
        key=str,
    )
    raise ValidationError(
        {
            "areas": ngettext(
                "%(count)d shift is at a polling station in %(areas)s. Keep the area, or "
                "remove its seats in the seat grid first.",
                "%(count)d shifts are at polling stations in %(areas)s. Keep those areas, or "
                "remove their seats in the seat grid first.",
                count,
            )
            % {"count": count, "areas": ", ".join(names)}
        },
        code="areas_with_seats",
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
        try:
            writes.delete(
                election,
                "elections.delete_election",
                ELECTION_FIELDS,
                by=by,
                election_of=_election_id,
            )
        except Refused as refusal:
            if refusal.code != "in_use":
                raise
            # Seats someone was given (shown by staffing, which knows who) protect it.
            raise Refused(
                "has_people",
                _(
                    "People have been given seats in “%(name)s”, so it cannot be deleted; "
                    "activate, close and archive it instead."
                )
                % {"name": election.name},
            ) from None
        account_services.forget_scope_object(ScopeKind.ELECTION, pk, by=by)
