"""Importing areas and polling stations: one row per station, with its area by
name (an area not known yet is created). A station is known by its area and
name; a known one gets the columns its row fills, through
``polling_stations.services`` (audited)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
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
from polling_stations import services
from polling_stations.models import Area, PollingStation

TEXTS = ("area", "name", "address", "postal_code", "city", "capacity_note",
         "manager_contact", "accessibility", "notes")  # fmt: skip
PARSERS = dict.fromkeys(TEXTS, plain_text)


def check(table: Table, mapping: Mapping, key: str = "", *, election=None, progress=None) -> Plan:
    plan = Plan()
    areas = {folded(a.name): a for a in Area.objects.all()}
    stations = {
        (s.area_id, folded(s.name)): s for s in PollingStation.objects.select_related("area")
    }
    seen: dict[tuple[str, str], int] = {}
    for cells, line in zip(table.rows, table.lines, strict=True):
        got, problems = read_cells(cells, mapping, PARSERS)
        area_name, name = got.pop("area", ""), got.get("name", "")
        label = f"{name} ({area_name})" if area_name else name
        if not area_name:
            problems.append(("area", _("This field cannot be blank.")))
        if not name:
            problems.append(("name", _("This field cannot be blank.")))
        file_key = (folded(area_name), folded(name))
        if not problems and file_key in seen:
            problems.append((
                "name", _("The same as on line %(line)d of the file.") % {"line": seen[file_key]}
            ))  # fmt: skip
        area = areas.get(folded(area_name))
        station = stations.get((area.pk, folded(name))) if area else None
        if not problems:
            seen[file_key] = line
            if station is None:
                probe = PollingStation(area=area, **got)
                problems += model_problems(probe, exclude=["area"])
            else:
                problems += model_problems(
                    PollingStation(**{**_values(station), **got}), exclude=["area"]
                )
        if problems:
            plan.report.add(line, REFUSED, label, problems=problems, cells=cells)
            continue
        if station is None:
            plan.report.add(line, CREATED, label, changed=[] if area else ["area"])
            plan.todo.append((line, (area_name, area, None, got)))
        else:
            changes = changes_of(station, got)
            if changes:
                plan.report.add(line, UPDATED, label, changed=sorted(changes))
                plan.todo.append((line, (area_name, area, station, changes)))
            else:
                plan.report.add(line, UNCHANGED, label)
    return plan


def _values(station: PollingStation) -> dict[str, Any]:
    return {name: getattr(station, name) for name in TEXTS if name != "area"} | {
        "area_id": station.area_id
    }


def commit(
    table: Table, mapping: Mapping, key: str = "", *, by: User | None, job_id=None,
    election=None, progress=None,
) -> Report:  # fmt: skip
    with transaction.atomic():
        plan = check(table, mapping)
        made: dict[str, Area] = {}
        for line, (area_name, area, station, fields) in plan.todo:
            with refusing(plan.report, table, [line]):
                new_area = None
                if area is None:
                    area = made.get(folded(area_name))
                    if area is None:
                        area = new_area = services.create_area(by=by, name=area_name)
                if station is None:
                    services.create_station(by=by, area=area, **fields)
                else:
                    services.update_station(station, by=by, **fields)
                if new_area is not None:  # only once its row is written
                    made[folded(area_name)] = new_area
    return plan.report
