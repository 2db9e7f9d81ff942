"""What the small kinds (areas and stations, roles, teams, the seat grid) share:
their rows are few (a country has 1,400 stations), so they are checked with the
model's own validation and written one by one through the apps' services, in
one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from exchange.imports import values
from exchange.imports.fields import Mapping
from exchange.imports.readers import Cell
from exchange.imports.report import ROW, Report

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
    """``full_clean``'s field errors (no uniqueness: the import checks its keys)."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            (name if name != "__all__" else ROW, str(message))
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def changes_of(obj: Model, got: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in got.items() if getattr(obj, name) != value}


def plain_text(value: Cell) -> str:
    from pollcrew.text import strip_controls

    return strip_controls(values.text(value))
