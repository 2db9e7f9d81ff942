"""What the small kinds (areas and stations, roles, teams, the seat grid) share:
their rows are few (a country has 1,400 stations), so they are checked with the
model's own validation and written one by one through the apps' services, in
one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CheckConstraint, Model
from django.utils.translation import gettext as _

from exchange.imports import values
from exchange.imports.fields import Mapping
from exchange.imports.readers import Cell, Table
from exchange.imports.report import ROW, Report
from pollcrew.refusals import Refused

Parser = Callable[[Cell], Any]


@dataclass
class Plan:
    report: Report = field(default_factory=Report)
    # What to write, in file order: (line, what the kind's writer needs).
    todo: list[tuple[int, Any]] = field(default_factory=list)


def folded(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def read_cells(
    cells: list[Cell], mapping: Mapping, parsers: dict[str, Parser]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The filled cells of the row's mapped fields, parsed; problems per field."""
    got: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, column in mapping.items():
        parse = parsers.get(name)
        if parse is None:
            continue
        try:
            value = parse(cells[column])
        except ValidationError as error:
            problems.append((name, values.first_message(error)))
            continue
        if value not in (None, ""):
            got[name] = value
    return got, problems


def model_problems(obj: Model, exclude: list[str]) -> list[tuple[str, str]]:
    """``full_clean``'s field errors, and the model's check constraints (a minimum
    age of 150) with their messages, so that the database never refuses a row
    the dry run let through. No uniqueness: the import matches on its keys."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            (name if name != "__all__" else ROW, str(message))
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    problems: list[tuple[str, str]] = []
    for constraint in obj._meta.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        try:
            constraint.validate(type(obj), obj, exclude=set(exclude))
        except ValidationError as error:
            names = sorted(constraint.condition.referenced_base_fields)
            problems.append((names[0] if len(names) == 1 else ROW, values.first_message(error)))
    return problems


def changes_of(obj: Model, got: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in got.items() if getattr(obj, name) != value}


def plain_text(value: Cell) -> str:
    from pollcrew.text import strip_controls

    return strip_controls(values.text(value))


def problems_of(error: Exception) -> list[tuple[str, str]]:
    """What a service's refusal says, per field where it names one."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                (name if name != "__all__" else ROW, str(message))
                for name, messages in error.message_dict.items()
                for message in messages
            ]
        return [(ROW, str(message)) for message in error.messages]
    if isinstance(error, Refused):
        return [(ROW, str(error.message))]
    return [(ROW, _("The database refused this row."))]


@contextmanager
def refusing(report: Report, table: Table, lines: list[int]) -> Iterator[None]:
    """Write the rows of ``lines`` in a savepoint: if a service refuses them after
    all (a rule the check does not know), they are refused rows in the report —
    nothing of them written — and the import goes on with the others."""
    try:
        with transaction.atomic():
            yield
    except (ValidationError, Refused, IntegrityError) as error:
        problems = problems_of(error)
        at = {line: index for index, line in enumerate(table.lines)}
        for line in lines:
            report.refuse(line, problems, table.rows[at[line]] if line in at else [])
