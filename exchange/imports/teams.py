"""Importing teams with their members: one row per member (or per team, without
a member column), the team by name, the member by mobile number, email or
external id among the volunteers already known (import them first). A team not
known is created; a member is added to the team, never taken off one. Writes go
through ``volunteers.services`` (``create_team``, ``update_team``,
``update_volunteer`` for a person's teams), audited."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.imports import values
from exchange.imports.common import (
    Plan,
    changes_of,
    folded,
    model_problems,
    plain_text,
    read_cells,
    refusing,
)
from exchange.imports.fields import Mapping
from exchange.imports.readers import Cell, Table
from exchange.imports.report import CREATED, REFUSED, UNCHANGED, UPDATED, Report
from exchange.models import ExternalVolunteerId
from volunteers import services
from volunteers.models import Team, Volunteer

_KINDS = {
    "party": "party", "parti": "party", "politisk parti": "party", "political party": "party",
    "department": "department", "afdeling": "department", "forvaltning": "department",
    "volunteer_group": "volunteer_group", "volunteer group": "volunteer_group",
    "frivilliggruppe": "volunteer_group", "frivillig gruppe": "volunteer_group",
    "gruppe": "volunteer_group", "group": "volunteer_group",
}  # fmt: skip


def _kind(value: Cell) -> str:
    raw = values.text(value)
    if not raw:
        return ""
    found = _KINDS.get(folded(raw))
    if found is None:
        raise ValidationError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": raw, "choices": ", ".join(str(label) for _v, label in Team.Kind.choices)}
        )
    return found


PARSERS = {
    "name": plain_text,
    "short_name": plain_text,
    "kind": _kind,
    "member_phone": values.parse_phone,
    "member_email": plain_text,
    "member_external_id": plain_text,
}
TEAM = ("short_name", "kind")


def _people(table: Table, mapping: Mapping) -> tuple[dict, dict, dict]:
    def column(name: str) -> set[str]:
        index = mapping.get(name)
        return {values.text(r[index]) for r in table.rows} if index is not None else set()

    phones = set()
    for raw in column("member_phone"):
        with suppress(ValidationError):
            phones.add(values.parse_phone(raw))
    emails = {e for e in column("member_email") if e}
    emails |= {e.lower() for e in emails}
    external = dict(
        ExternalVolunteerId.objects.filter(
            external_id__in=column("member_external_id")
        ).values_list("external_id", "volunteer_id")
    )
    people = (
        Volunteer.objects.filter(phone__in=phones)
        | Volunteer.objects.filter(email__in=emails)
        | Volunteer.objects.filter(pk__in=set(external.values()))
    )
    by_pk = {v.pk: v for v in people.order_by("pk").prefetch_related("teams")}
    by_phone: dict[str, list[Volunteer]] = {}
    by_email: dict[str, list[Volunteer]] = {}
    for person in by_pk.values():
        if person.phone:
            by_phone.setdefault(person.phone, []).append(person)
        if person.email:
            by_email.setdefault(person.email.lower(), []).append(person)
    return by_phone, by_email, {e: [by_pk[v]] for e, v in external.items() if v in by_pk}


def check(table: Table, mapping: Mapping, key: str = "", *, election=None, progress=None) -> Plan:
    plan = Plan()
    known = {folded(t.name): t for t in Team.objects.all()}
    by_phone, by_email, by_external = _people(table, mapping)
    memberships = {
        v.pk: {t.pk for t in v.teams.all()}
        for found in (by_phone, by_email, by_external)
        for people in found.values()
        for v in people
    }
    teams_in_file: dict[str, tuple[int, dict]] = {}
    added: set[tuple[str, int]] = set()
    for cells, line in zip(table.rows, table.lines, strict=True):
        got, problems = read_cells(cells, mapping, PARSERS)
        name = got.get("name", "")
        if not name:
            problems.append(("name", _("This field cannot be blank.")))
        team = known.get(folded(name)) if name else None
        fields = {n: got[n] for n in TEAM if n in got}
        person = None
        member_given = any(n in got for n in ("member_phone", "member_email", "member_external_id"))
        if member_given and not problems:
            found: list[Volunteer] = []
            source = "member"
            for column, people in (
                ("member_phone", by_phone.get(got.get("member_phone", ""))),
                ("member_email", by_email.get(got.get("member_email", "").lower())),
                ("member_external_id", by_external.get(got.get("member_external_id", ""))),
            ):
                if people:
                    found, source = people, column
                    break
            if not found:
                problems.append(
                    ("member", _("No volunteer has this mobile number, email or external id."))
                )
            elif len(found) > 1:  # a number a family shares: which of them is it?
                problems.append((
                    source,
                    _("Several volunteers have it: %(names)s. Match on another column.")
                    % {"names": ", ".join(f"{o.full_name} (#{o.pk})" for o in found[:5])},
                ))  # fmt: skip
            else:
                person = found[0]
        first = teams_in_file.get(folded(name))
        if not problems and first is not None:
            earlier_line, earlier = first
            if any(earlier.get(n, got.get(n)) != got.get(n, earlier.get(n)) for n in TEAM):
                problems.append(
                    (
                        ROW_TEAM,
                        _("Differs from line %(line)d of the file.") % {"line": earlier_line},
                    )
                )
        if not problems and team is None and first is None:
            problems += model_problems(Team(name=name, **fields), exclude=[])
        elif not problems and team is not None and first is None:
            problems += model_problems(
                Team(name=team.name, **{**{n: getattr(team, n) for n in TEAM}, **fields}),
                exclude=[],
            )
        if problems:
            plan.report.add(line, REFUSED, name, problems=problems, cells=cells)
            continue
        changed: list[str] = []
        outcome = UNCHANGED
        if first is None:
            teams_in_file[folded(name)] = (line, fields)
            if team is None:
                outcome, changed = CREATED, ["team"]
                plan.todo.append((line, ("create", name, fields)))
            elif changes_of(team, fields):
                outcome, changed = UPDATED, sorted(changes_of(team, fields))
                plan.todo.append((line, ("update", team, changes_of(team, fields))))
        if person is not None:
            member_key = (folded(name), person.pk)
            in_team = team is not None and team.pk in memberships.get(person.pk, set())
            if not in_team and member_key not in added:
                added.add(member_key)
                changed.append("member")
                outcome = CREATED if outcome == CREATED else UPDATED
                plan.todo.append((line, ("member", name, person)))
        label = f"{name}: {person.full_name}" if person else name
        plan.report.add(line, outcome, label, changed=changed)
    return plan


ROW_TEAM = "name"


def commit(
    table: Table, mapping: Mapping, key: str = "", *, by: User | None, job_id=None,
    election=None, progress=None,
) -> Report:  # fmt: skip
    """Each line in its own savepoint — its team created or changed, its member
    added — so that a line a service refuses leaves nothing of it behind. A team
    whose first line was refused is created by the next line of it written."""
    with transaction.atomic():
        plan = check(table, mapping)
        teams: dict[str, Team] = {folded(t.name): t for t in Team.objects.all()}
        planned = {folded(s): (s, d) for _l, (w, s, d) in plan.todo if w == "create"}
        by_line: dict[int, list[tuple[str, Any, Any]]] = {}
        for line, step in plan.todo:
            by_line.setdefault(line, []).append(step)
        for line, steps in by_line.items():
            made: dict[str, Team] = {}
            with refusing(plan.report, table, [line]):
                for what, subject, detail in steps:
                    if what == "update":
                        made[folded(subject.name)] = services.update_team(subject, by=by, **detail)
                        continue
                    team = made.get(folded(subject)) or teams.get(folded(subject))
                    if team is None:
                        name, fields = planned[folded(subject)]
                        team = made[folded(name)] = services.create_team(by=by, name=name, **fields)
                    if what == "member":
                        current = set(detail.teams.values_list("pk", flat=True))
                        if team.pk not in current:
                            services.update_volunteer(
                                detail, by=by, teams=sorted(current | {team.pk})
                            )
                teams.update(made)  # only once the line is written
    return plan.report
