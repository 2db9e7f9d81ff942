"""Each kind of import: the module that checks and commits it (``check(table,
mapping, key, *, election, progress)`` → a plan with ``.report``;
``commit(…, by=, job_id=)`` → the report) and the columns it cannot do without."""

from __future__ import annotations

from typing import Any

from exchange.imports import fields, grid, roles, stations, teams, volunteers
from exchange.models import MatchKey


class _Volunteers:
    @staticmethod
    def check(table, mapping, key, *, election=None, progress=None):
        return volunteers.check(table, mapping, key, progress)

    @staticmethod
    def commit(table, mapping, key, *, by, job_id=None, election=None, progress=None):
        return volunteers.commit(table, mapping, key, by=by, job_id=job_id, progress=progress)


KINDS: dict[str, Any] = {
    "volunteers": _Volunteers,
    "stations": stations,
    "roles": roles,
    "teams": teams,
    "grid": grid,
}


def missing_fields(kind: str, mapping: dict[str, int], key: str = "") -> list[Any]:
    """Labels of the columns the kind needs and the mapping lacks (volunteers:
    also the column the rows are matched on)."""
    labels = {f.name: f.label for f in fields.FIELDS[kind]}
    missing = [f.label for f in fields.missing(kind, mapping)]
    if kind == "volunteers":
        if "full_name" not in mapping:
            missing += [labels[n] for n in ("first_name", "last_name") if n not in mapping]
        if "birth_date" not in mapping:
            missing.append(labels["birth_date"])
        if "phone" not in mapping and "email" not in mapping:
            missing.append(f"{labels['phone']} / {labels['email']}")
        if key in MatchKey.values and key not in mapping and labels[key] not in missing:
            missing.append(labels[key])
    return missing
