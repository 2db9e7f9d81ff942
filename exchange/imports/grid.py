"""Importing an election's seat grid: one row per station, role and day (empty:
election day) with the number of seats. Saved a day at a time through
``staffing.services.grid.save_grid`` (the grid page's own service: new shifts at
the role's default times, one shift resized, audited), in one transaction. A
cell the grid page cannot set with one number (several shifts), or one that
would take seats from people holding them, is refused: change it on the grid."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from elections.models import Election, Role, Shift
from exchange.imports import values
from exchange.imports.common import Plan, folded, plain_text, problems_of, read_cells
from exchange.imports.fields import Mapping
from exchange.imports.readers import Table
from exchange.imports.report import CREATED, REFUSED, UNCHANGED, UPDATED, Report
from pollcrew.refusals import Refused
from polling_stations.models import PollingStation
from staffing import grid as grid_model
from staffing.services.grid import MAX_SEATS, CellEdit, GridRefused, SeatsHeld, save_grid

PARSERS = {
    "area": plain_text,
    "station": plain_text,
    "role": plain_text,
    "day": values.parse_date,
    "seats": values.parse_int,
}


def _stations(election: Election) -> dict[str, list[PollingStation]]:
    found: dict[str, list[PollingStation]] = defaultdict(list)
    stations = PollingStation.objects.filter(
        Q(area_id__in=election.areas.values("pk"))
        | Q(pk__in=Shift.objects.filter(election=election).values("station_id"))
    ).select_related("area")
    for station in stations:
        found[folded(station.name)].append(station)
    return found


def _cells(
    election: Election, day: date, cache: dict
) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(station, role) → (seats, shifts, held) on ``day`` (one query per day)."""
    if day not in cache:
        cells: dict[tuple[int, int], list[int]] = {}
        for row in grid_model.day_shifts(election, day):
            _pk, station_id, role_id, _team, _name, capacity, _s, _e, held = row
            seats = cells.setdefault((station_id, role_id), [0, 0, 0])
            seats[0] += capacity
            seats[1] += 1
            seats[2] += held
        cache[day] = {k: tuple(v) for k, v in cells.items()}
    return cache[day]


def check(
    table: Table, mapping: Mapping, key: str = "", *, election: Election, progress=None
) -> Plan:
    plan = Plan()
    stations = _stations(election)
    roles: dict[str, Role] = {}
    for role in Role.objects.all():
        roles.setdefault(folded(role.name), role)
        roles.setdefault(folded(role.short_name), role)
    first, last = grid_model.window_days(election)
    days: dict = {}
    seen: dict[tuple, int] = {}
    for cells, line in zip(table.rows, table.lines, strict=True):
        got, problems = read_cells(cells, mapping, PARSERS)
        name = got.get("station", "")
        label = f"{name} · {got.get('role', '')}"
        station = None
        candidates = stations.get(folded(name), [])
        if "area" in got:
            candidates = [s for s in candidates if folded(s.area.name) == folded(got["area"])]
        if len(candidates) == 1:
            station = candidates[0]
        elif candidates:
            problems.append(("area", _("Several polling stations have this name: give the area.")))
        else:
            problems.append(("station", _("No polling station of this election has this name.")))
        role = roles.get(folded(got.get("role", "")))
        if role is None:
            problems.append(("role", _("No role has this name.")))
        day = got.get("day", election.election_date)
        if not first <= day <= last:
            problems.append(("day", _("The election has no shifts on this day.")))
        seats = got.get("seats")
        if seats is None and "seats" not in {p[0] for p in problems}:
            problems.append(("seats", _("This field cannot be blank.")))
        elif seats is not None and not 0 <= seats <= MAX_SEATS:
            problems.append(("seats", _("Between 0 and %(max)d seats.") % {"max": MAX_SEATS}))
        if not problems:
            cell_key = (station.pk, role.pk, day)
            if cell_key in seen:
                problems.append(
                    (
                        "station",
                        _("The same as on line %(line)d of the file.") % {"line": seen[cell_key]},
                    )
                )
            seen[cell_key] = line
        if not problems:
            now, shifts, held = _cells(election, day, days).get((station.pk, role.pk), (0, 0, 0))
            if seats != now and shifts > 1:
                problems.append(
                    (
                        "seats",
                        _("This cell has several shifts: change their seats on its details page."),
                    )
                )
            elif seats < held:
                problems.append((
                    "seats",
                    ngettext(
                        "%(count)d person holds a seat here: free it on the grid page first.",
                        "%(count)d people hold seats here: free them on the grid page first.",
                        held,
                    ) % {"count": held},
                ))  # fmt: skip
        if problems:
            plan.report.add(line, REFUSED, label, problems=problems, cells=cells)
            continue
        if seats == now:
            plan.report.add(line, UNCHANGED, label)
            continue
        plan.report.add(line, CREATED if shifts == 0 else UPDATED, label, changed=["seats"])
        plan.todo.append((line, (day, CellEdit(station.pk, role.pk, was=now, seats=seats))))
    return plan


def commit(
    table: Table, mapping: Mapping, key: str = "", *, by: User | None, election: Election,
    job_id=None, progress=None,
) -> Report:  # fmt: skip
    with transaction.atomic():
        plan = check(table, mapping, election=election)
        by_day: dict[date, list[tuple[int, CellEdit]]] = defaultdict(list)
        for line, (day, edit) in plan.todo:
            by_day[day].append((line, edit))
        for day, edits in sorted(by_day.items()):
            _save_day(plan, table, election, day, edits, by=by)
    return plan.report


def _save_day(
    plan: Plan,
    table: Table,
    election: Election,
    day: date,
    edits: list[tuple[int, CellEdit]],
    *,
    by: User | None,
) -> None:
    """A day's cells in one ``save_grid`` (in a savepoint). Cells it refuses after
    all — changed since the check, by a coordinator on the grid page — are refused
    rows with its reason, and the day is saved again without them; a refusal that
    names no cell refuses the day's rows."""
    while edits:
        try:
            with transaction.atomic():
                save_grid(election, day, [e for _l, e in edits], by=by)
            return
        except GridRefused as refusal:
            bad = [
                (line, edit)
                for line, edit in edits
                if (edit.station_id, edit.role_id) in refusal.errors
            ]
            for line, edit in bad or edits:
                messages = refusal.errors.get((edit.station_id, edit.role_id)) or [refusal.message]
                plan.report.refuse(line, [("seats", str(m)) for m in messages], _row(table, line))
            if not bad:
                return
            edits = [item for item in edits if item not in bad]
        except (SeatsHeld, ValidationError, Refused) as refusal:
            problems = problems_of(refusal)
            for line, _edit in edits:
                plan.report.refuse(line, problems, _row(table, line))
            return


def _row(table: Table, line: int) -> list:
    return table.rows[table.lines.index(line)]
