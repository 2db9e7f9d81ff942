"""Writes to people: volunteers, teams and skills. Each function takes the acting
staff user as ``by``, validates before the database does (phone numbers to E.164,
every constraint with its own message) and writes an audit entry in the same
transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts import audit, writes
from accounts import services as account_services
from accounts.models import ScopeKind, User
from pollcrew.phones import normalize_mobile
from pollcrew.text import strip_controls
from volunteers.models import Skill, Team, Volunteer

VOLUNTEER_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "do_not_contact",
    "unreachable",
    "address",
    "postal_code",
    "city",
    "diet",
    "notes",
)
VOLUNTEER_M2M = ("teams", "skills")
TEAM_FIELDS = ("name", "short_name", "kind")


def _clean_volunteer(volunteer: Volunteer) -> None:
    """Directional controls out of every text, the phone normalised (E.164),
    then every field rule and named constraint."""
    for name in VOLUNTEER_FIELDS:
        value = getattr(volunteer, name)
        if isinstance(value, str):
            setattr(volunteer, name, strip_controls(value))
    volunteer.phone = normalize_mobile(volunteer.phone)
    volunteer.email = (volunteer.email or "").strip()
    volunteer.full_clean()


def _split(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    relations = {name: fields.pop(name) for name in VOLUNTEER_M2M if name in fields}
    unknown = set(fields) - set(VOLUNTEER_FIELDS)
    if unknown:
        raise TypeError(f"cannot set {sorted(unknown)} on a volunteer")
    return fields, relations


def create_volunteer(*, by: User | None, **fields: Any) -> Volunteer:
    fields, relations = _split(fields)
    volunteer = Volunteer(**fields)
    _clean_volunteer(volunteer)
    with transaction.atomic():
        volunteer.save(force_insert=True)
        for name, values in relations.items():
            getattr(volunteer, name).set(values)
        # Which fields were given, not their values: an import of the whole
        # register must not copy it into the audit log. Changes later are
        # recorded old → new (who changed a phone number, from what).
        given = audit.snapshot(volunteer, (*VOLUNTEER_FIELDS, *relations))
        audit.record(
            "volunteers.create_volunteer",
            volunteer,
            by=by,
            detail={
                "fields": sorted(k for k, v in given.items() if v not in (None, "", [], False))
            },
        )
    return volunteer


def update_volunteer(volunteer: Volunteer, *, by: User | None, **changes: Any) -> Volunteer:
    changes, relations = _split(changes)
    with transaction.atomic():
        current = Volunteer.objects.select_for_update(no_key=True).get(pk=volunteer.pk)
        tracked = (*VOLUNTEER_FIELDS, *relations)
        before = audit.snapshot(current, tracked)
        for name, value in changes.items():
            setattr(current, name, value)
        _clean_volunteer(current)
        current.save()
        for name, values in relations.items():
            getattr(current, name).set(values)
        diff = audit.changes_between(before, audit.snapshot(current, tracked))
        if diff:
            audit.record("volunteers.update_volunteer", current, by=by, changes=diff)
    return current


def create_team(*, by: User | None, **fields: Any) -> Team:
    return writes.create(Team, "volunteers.create_team", fields, TEAM_FIELDS, by=by)


def update_team(team: Team, *, by: User | None, **changes: Any) -> Team:
    return writes.update(team, "volunteers.update_team", changes, TEAM_FIELDS, by=by)


def delete_team(team: Team, *, by: User | None) -> None:
    """A team that reserves seats cannot go (refused with the shifts); members
    keep their other teams; grants for the team stop covering it."""
    with transaction.atomic():
        pk = team.pk
        writes.delete(team, "volunteers.delete_team", TEAM_FIELDS, by=by)
        account_services.forget_scope_object(ScopeKind.TEAM, pk, by=by)


SKILL_FIELDS = ("name", "kind")


def create_skill(*, by: User | None, name: str, kind: str = Skill.Kind.SKILL) -> Skill:
    """A skill, a training course or a language (``kind``)."""
    return writes.create(
        Skill, "volunteers.create_skill", {"name": name, "kind": kind}, SKILL_FIELDS, by=by
    )


def update_skill(skill: Skill, *, by: User | None, **changes: Any) -> Skill:
    return writes.update(skill, "volunteers.update_skill", changes, SKILL_FIELDS, by=by)


def delete_skill(skill: Skill, *, by: User | None) -> None:
    writes.delete(skill, "volunteers.delete_skill", SKILL_FIELDS, by=by)


def delete_volunteer(volunteer: Volunteer, *, by: User | None) -> None:
    """Only someone who was never on a shift; anyone with history is kept (and
    later anonymised by retention), so that rosters and answers stay true."""
    writes.delete(
        volunteer, "volunteers.delete_volunteer", VOLUNTEER_FIELDS, by=by, record_values=False
    )
