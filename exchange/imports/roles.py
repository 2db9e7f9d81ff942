"""Importing roles (task types): known by name (or short name); a known one gets
the columns its row fills, through ``elections.services.roles`` (audited). A new
role without a short name gets its name's first 20 characters."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from elections.models import Role
from elections.services import roles as services
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
from exchange.imports.readers import Table
from exchange.imports.report import CREATED, REFUSED, UNCHANGED, UPDATED, Report

PARSERS = {
    "name": plain_text,
    "short_name": plain_text,
    "description": plain_text,
    "description_en": plain_text,
    "default_start": values.parse_time,
    "default_end": values.parse_time,
    "pay": values.parse_decimal,
    "min_age": values.parse_int,
    "invite_only": values.parse_bool,
}
FIELDS = [n for n in PARSERS if n != "name"]


def check(table: Table, mapping: Mapping, key: str = "", *, election=None, progress=None) -> Plan:
    plan = Plan()
    known: dict[str, Role] = {}
    for role in Role.objects.all():
        known.setdefault(folded(role.name), role)
        known.setdefault(folded(role.short_name), role)
    seen: dict[str, int] = {}
    for cells, line in zip(table.rows, table.lines, strict=True):
        got, problems = read_cells(cells, mapping, PARSERS)
        name = got.get("name", "")
        if not name and "name" not in {p[0] for p in problems}:
            problems.append(("name", _("This field cannot be blank.")))
        elif folded(name) in seen:
            problems.append(
                (
                    "name",
                    _("The same as on line %(line)d of the file.") % {"line": seen[folded(name)]},
                )
            )
        role = known.get(folded(name)) if name else None
        if not problems:
            seen[folded(name)] = line
            if role is None:
                got.setdefault("short_name", name[:20])
            probe = Role(**{**({f: getattr(role, f) for f in FIELDS} if role else {}), **got})
            problems += model_problems(probe, exclude=["sort_order"])
            start, end = probe.default_start, probe.default_end
            if start is not None and start == end:
                problems.append(
                    (
                        "default_end",
                        _("The end must differ from the start (earlier means the next day)."),
                    )
                )
        if problems:
            plan.report.add(line, REFUSED, name, problems=problems, cells=cells)
            continue
        if role is None:
            plan.report.add(line, CREATED, name)
            plan.todo.append((line, (None, got)))
            continue
        got.pop("name")  # found by it (or by the short name): the stored name stays
        changes = changes_of(role, got)
        if changes:
            plan.report.add(line, UPDATED, role.name, changed=sorted(changes))
            plan.todo.append((line, (role, changes)))
        else:
            plan.report.add(line, UNCHANGED, role.name)
    return plan


def commit(
    table: Table, mapping: Mapping, key: str = "", *, by: User | None, job_id=None,
    election=None, progress=None,
) -> Report:  # fmt: skip
    with transaction.atomic():
        plan = check(table, mapping)
        for line, (role, fields) in plan.todo:
            with refusing(plan.report, table, [line]):
                if role is None:
                    services.create_role(by=by, **fields)
                else:
                    services.update_role(role, by=by, **fields)
    return plan.report
