"""The station staffing export for the national election system: one row per
polling station and role of an election, in a fixed, documented flat format
(docs/export.md): UTF-8 without a byte order mark, comma-separated (RFC 4180,
fields quoted when they hold a comma, quote or line break), a header row of the
fixed column names below, one line per station and role.

Columns: station_id, station_code, station_name, area, role, role_short_name,
needed, accepted, names. ``station_code`` is the station's id (Pollcrew keeps no
separate code); ``needed`` the seats of the role at the station; ``accepted`` the
seats held by people who accepted (checked in or not); ``names`` those people as
"Last, First", joined by "; ", in name order."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Sum
from django.http import QueryDict
from django.utils.translation import gettext as _t

from accounts.models import User
from accounts.scopes import Capability
from elections.models import Election, Role
from polling_stations.models import PollingStation
from staffing import access
from staffing.models import FILLED_STATUSES, Assignment, SeatFill

from .base import Column, Export, Table


@dataclass
class StaffingRow:
    station: PollingStation
    role: Role
    needed: int = 0
    accepted: int = 0
    names: list[str] = field(default_factory=list)


# Machine names, never translated: the receiving system reads them.
STAFFING_COLUMNS = [
    Column("station_id", "station_id", lambda r: r.station.pk),
    Column("station_code", "station_code", lambda r: str(r.station.pk)),
    Column("station_name", "station_name", lambda r: r.station.name),
    Column("area", "area", lambda r: r.station.area.name),
    Column("role", "role", lambda r: r.role.name),
    Column("role_short_name", "role_short_name", lambda r: r.role.short_name),
    Column("needed", "needed", lambda r: r.needed),
    Column("accepted", "accepted", lambda r: r.accepted),
    Column("names", "names", lambda r: "; ".join(r.names)),
]


def staffing_rows(user: User, election: Election) -> list[StaffingRow]:
    """Four queries: seats per station and role, the accepted people's names,
    the stations, the roles."""
    shifts = access.election_shifts(user, election, Capability.VIEW_PEOPLE)
    found: dict[tuple[int, int], list[int]] = {}
    grouped = (
        SeatFill.objects.filter(shift_id__in=shifts.order_by().values("pk"))
        .values_list("station_id", "role_id")
        .annotate(Sum("seats"), Sum("accepted"))
        .order_by()
    )
    for station_id, role_id, seats, accepted in grouped:
        found[(station_id, role_id)] = [seats, accepted]
    names: dict[tuple[int, int], list[str]] = {}
    people = (
        Assignment.objects.filter(
            shift__in=shifts.order_by().values("pk"), status__in=FILLED_STATUSES
        )
        .order_by("volunteer__last_name", "volunteer__first_name", "volunteer_id")
        .values_list(
            "shift__station_id", "shift__role_id", "volunteer__last_name", "volunteer__first_name"
        )
    )
    for station_id, role_id, last, first in people:
        names.setdefault((station_id, role_id), []).append(f"{last}, {first}")
    stations = PollingStation.objects.select_related("area").in_bulk({s for s, _r in found})
    roles = Role.objects.in_bulk({r for _s, r in found})
    rows = [
        StaffingRow(stations[s], roles[r], needed, accepted, names.get((s, r), []))
        for (s, r), (needed, accepted) in found.items()
    ]
    rows.sort(
        key=lambda x: (
            x.station.area.sort_order,
            x.station.area.name,
            x.station.name,
            x.station.pk,
            x.role.sort_order,
            x.role.name,
            x.role.pk,
        )
    )
    return rows


def station_staffing_export(
    user: User, election: Election, data: QueryDict, wanted: list[str]
) -> Export:
    return Export(
        kind="station_staffing",
        name=f"{election.name} {_t('station staffing')}",
        tables=[Table("station_staffing", list(STAFFING_COLUMNS), staffing_rows(user, election))],
        election_id=election.pk,
        obj=election,
        bom=False,
    )
