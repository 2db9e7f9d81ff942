"""Read models for the staffing board: fill counts per station, with a fixed
number of queries however many stations, shifts and assignments there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum

from elections.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Election, Shift
from pollcrew.collation import danish_key
from pollcrew.db import UnicodeLower
from polling_stations.models import PollingStation


@dataclass(frozen=True)
class Fill:
    needed: int
    invited: int
    accepted: int

    @property
    def vacant(self) -> int:
        return max(self.needed - self.invited - self.accepted, 0)

    @property
    def accepted_pct(self) -> int:
        return round(100 * self.accepted / self.needed) if self.needed else 0


_EMPTY = Fill(0, 0, 0)


@dataclass(frozen=True)
class StationRow:
    station: PollingStation
    fill: Fill


@dataclass(frozen=True)
class Board:
    page: Page  # of StationRow, only the stations on this page are loaded
    totals: Fill  # over every station that matches the filters


def _fills(election: Election) -> dict[int, Fill]:
    """Two grouped aggregates: seats per station, and who holds them."""
    shifts = Shift.objects.filter(election=election).order_by()
    needed = dict(shifts.values_list("station_id").annotate(Sum("capacity")))
    held = (
        shifts.filter(assignments__status__in=SEAT_HOLDING_STATUSES)
        .values("station_id")
        .annotate(
            invited=Count("assignments", filter=Q(assignments__status="invited")),
            accepted=Count("assignments", filter=Q(assignments__status__in=FILLED_STATUSES)),
        )
    )
    counts = {row["station_id"]: (row["invited"], row["accepted"]) for row in held}
    return {pk: Fill(n, *counts.get(pk, (0, 0))) for pk, n in needed.items()}


def station_board(
    election: Election,
    *,
    area_id: int | None = None,
    understaffed_only: bool = False,
    search: str = "",
    page_number: str | int | None = None,
    per_page: int = 50,
) -> Board:
    """The staffing board in four queries, however many stations and seats:
    fills (2), the matching stations' names (1), the page's stations (1).
    Stations are in Danish order of area and name."""
    fills = _fills(election)
    stations = PollingStation.objects.filter(
        pk__in=Shift.objects.filter(election=election).values("station_id")
    )
    if area_id:
        stations = stations.filter(area_id=area_id)
    if search:
        folded = search.lower()
        stations = stations.alias(
            name_lc=UnicodeLower("name"), address_lc=UnicodeLower("address")
        ).filter(
            Q(name_lc__contains=folded)
            | Q(address_lc__contains=folded)
            | Q(postal_code__startswith=search)
        )
    keys = [
        (pk, danish_key(area), danish_key(name))
        for pk, area, name in stations.order_by().values_list("pk", "area__name", "name")
        if not understaffed_only or fills.get(pk, _EMPTY).accepted < fills.get(pk, _EMPTY).needed
    ]
    keys.sort(key=lambda k: (k[1], k[2]))
    # A station whose first shift was added between the queries has no fill yet.
    shown = [fills.get(k[0], _EMPTY) for k in keys]
    totals = Fill(
        sum(f.needed for f in shown), sum(f.invited for f in shown), sum(f.accepted for f in shown)
    )
    page = Paginator([k[0] for k in keys], per_page).get_page(page_number)
    loaded = PollingStation.objects.select_related("area").in_bulk(list(page.object_list))
    page.object_list = [
        StationRow(loaded[pk], fills.get(pk, _EMPTY)) for pk in page.object_list if pk in loaded
    ]
    return Board(page=page, totals=totals)
