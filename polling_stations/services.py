"""Writes to areas and polling stations, audited: create, edit, order, delete.

Deleting one in use is refused with where it is used. An area knows its own
stations; the shifts at a station (and the elections an area takes part in) are
known one layer up, so the delete services take a ``check`` from there
(``elections.where_used``), called under the row lock before the delete. Without
it, the database's protection still refuses, naming the first few rows in the way.

Ordering (``move_area``, ``move_station``) renumbers the siblings 10, 20, 30…
in their shown order (sort order, then Danish name order) with the moved one at
its new place; the same ``reorder`` serves the roles (``elections.services.roles``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.db import models, transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit, writes
from accounts import services as account_services
from accounts.models import ScopeKind, User
from pollcrew.collation import danish_key, danish_sorted
from pollcrew.refusals import Refused
from polling_stations.models import Area, PollingStation

# What a create or delete entry records: what the thing is, not its place in a list
# (a place is renumbered by every move, and moves have entries of their own).
AREA_DESCRIBED = ("name",)
STATION_DESCRIBED = (
    "area",
    "name",
    "address",
    "postal_code",
    "city",
    "capacity_note",
    "manager_contact",
    "accessibility",
    "notes",
    "latitude",
    "longitude",
)
# What the services may set (an update records every change, the place too).
AREA_FIELDS = (*AREA_DESCRIBED, "sort_order")
STATION_FIELDS = (*STATION_DESCRIBED, "sort_order")
NAMED_AT_MOST = 10  # names in a refusal, then "and N more"

M = TypeVar("M", bound=models.Model)
# Where to move: a position (1 = first) or a step.
Where = int | Literal["up", "down", "first", "last"]
Check = Callable[[Any], None]


# --- ordering (shared with roles) -------------------------------------------------


def next_sort_order(siblings: QuerySet[Any]) -> int:
    """A sort order after every sibling's: new things go last."""
    highest = siblings.order_by().aggregate(highest=Max("sort_order"))["highest"]
    return (highest or 0) + 10


def ordered(rows: list[M]) -> list[M]:
    """The order lists show: sort order, then the name in Danish order."""
    return sorted(rows, key=lambda r: (r.sort_order, danish_key(r.name), r.pk))  # type: ignore[attr-defined]


def _target(to: Where, index: int, count: int) -> int:
    if to == "up":
        wanted = index - 1
    elif to == "down":
        wanted = index + 1
    elif to == "first":
        wanted = 0
    elif to == "last":
        wanted = count - 1
    elif isinstance(to, int) and not isinstance(to, bool):
        wanted = to - 1
    else:
        raise ValueError(f"cannot move to {to!r}")
    return max(0, min(count - 1, wanted))


def reorder(obj: M, siblings: QuerySet[M], action: str, *, to: Where, by: User | None) -> M:
    """Move ``obj`` among ``siblings`` (which include it) and renumber them all
    10, 20, 30… in one UPDATE, with an audit entry per changed row (one INSERT).
    The siblings are locked (in id order, so two moves cannot deadlock)."""
    with transaction.atomic():
        rows = ordered(list(siblings.select_for_update().order_by("pk")))
        index = next((i for i, row in enumerate(rows) if row.pk == obj.pk), None)
        if index is None:  # moved to another group meanwhile
            raise Refused("moved", _("This was changed meanwhile. Try again."))
        moved = rows.pop(index)
        rows.insert(_target(to, index, len(rows) + 1), moved)
        changed, entries = [], []
        for position, row in enumerate(rows, start=1):
            new = position * 10
            if row.sort_order != new:  # type: ignore[attr-defined]
                entries.append(
                    audit.entry(
                        action,
                        row,
                        by=by,
                        changes={"sort_order": [row.sort_order, new]},  # type: ignore[attr-defined]
                    )
                )
                row.sort_order = new  # type: ignore[attr-defined]
                changed.append(row)
        type(obj)._default_manager.bulk_update(changed, ["sort_order"])
        audit.record_many(entries)
    return moved


def _names(names: list[str]) -> str:
    shown = names[:NAMED_AT_MOST]
    text = ", ".join(shown)
    if len(names) > len(shown):
        text += " " + _("and %(count)d more") % {"count": len(names) - len(shown)}
    return text


# --- areas --------------------------------------------------------------------------


def create_last(
    model: type[M],
    action: str,
    fields: dict[str, Any],
    described: tuple[str, ...],
    *,
    siblings: QuerySet[Any],
    by: User | None,
) -> M:
    """Create and audit; a sort order the caller gives is recorded, the place
    "last among ``siblings``" that is chosen otherwise is not."""
    if "sort_order" in fields:
        return writes.create(model, action, fields, (*described, "sort_order"), by=by)
    with transaction.atomic():
        place = next_sort_order(siblings)
        obj = writes.create(model, action, fields, described, by=by)
        model._default_manager.filter(pk=obj.pk).update(sort_order=place)
        obj.sort_order = place  # type: ignore[attr-defined]
    return obj


def create_area(*, by: User | None, **fields: Any) -> Area:
    """A new area (last, unless a sort order is given)."""
    return create_last(
        Area,
        "polling_stations.create_area",
        fields,
        AREA_DESCRIBED,
        siblings=Area.objects.all(),
        by=by,
    )


def update_area(area: Area, *, by: User | None, **changes: Any) -> Area:
    return writes.update(area, "polling_stations.update_area", changes, AREA_FIELDS, by=by)


def move_area(area: Area, *, by: User | None, to: Where) -> Area:
    return reorder(area, Area.objects.all(), "polling_stations.move_area", to=to, by=by)


def area_refusal(area: Area) -> Refused | None:
    """Why the area cannot be deleted (it has polling stations), or None."""
    names = danish_sorted(area.stations.order_by().values_list("name", flat=True), key=str)
    if not names:
        return None
    message = ngettext(
        "“%(name)s” has %(count)d polling station and cannot be deleted: %(stations)s. "
        "Move it to another area or delete it first.",
        "“%(name)s” has %(count)d polling stations and cannot be deleted: %(stations)s. "
        "Move them to another area or delete them first.",
        len(names),
    ) % {"name": area.name, "count": len(names), "stations": _names(names)}
    return Refused("in_use", message, names=names[:NAMED_AT_MOST])


def delete_area(area: Area, *, by: User | None, check: Check | None = None) -> None:
    """Refused while the area has polling stations, or if ``check`` refuses
    (``elections.where_used.check_area``: elections it takes part in)."""
    with transaction.atomic():
        locked = Area.objects.select_for_update().get(pk=area.pk)
        refusal = area_refusal(locked)
        if refusal is not None:
            raise refusal
        if check is not None:
            check(locked)
        writes.delete(locked, "polling_stations.delete_area", AREA_DESCRIBED, by=by)


# --- polling stations -----------------------------------------------------------------


def create_station(*, by: User | None, **fields: Any) -> PollingStation:
    """A new station (last in its area, unless a sort order is given)."""
    return create_last(
        PollingStation,
        "polling_stations.create_station",
        fields,
        STATION_DESCRIBED,
        siblings=PollingStation.objects.filter(area=fields.get("area")),
        by=by,
    )


def update_station(station: PollingStation, *, by: User | None, **changes: Any) -> PollingStation:
    """A station moved to another area goes last there (unless a sort order is given)."""
    new_area = changes.get("area")
    if new_area is not None and "sort_order" not in changes:
        new_area_id = getattr(new_area, "pk", new_area)
        if new_area_id != station.area_id:
            changes["sort_order"] = next_sort_order(
                PollingStation.objects.filter(area_id=new_area_id)
            )
    return writes.update(station, "polling_stations.update_station", changes, STATION_FIELDS, by=by)


def move_station(station: PollingStation, *, by: User | None, to: Where) -> PollingStation:
    """Within its area."""
    return reorder(
        station,
        PollingStation.objects.filter(area_id=station.area_id),
        "polling_stations.move_station",
        to=to,
        by=by,
    )


def delete_station(station: PollingStation, *, by: User | None, check: Check | None = None) -> None:
    """Refused while any election has shifts at the station: ``check``
    (``elections.where_used.check_station``) says which, under the row lock;
    without it the database's protection refuses. Station managers' grants stop
    covering it."""
    with transaction.atomic():
        locked = PollingStation.objects.select_for_update().get(pk=station.pk)
        if check is not None:
            check(locked)
        pk = locked.pk
        writes.delete(locked, "polling_stations.delete_station", STATION_DESCRIBED, by=by)
        account_services.forget_scope_object(ScopeKind.STATION, pk, by=by)
