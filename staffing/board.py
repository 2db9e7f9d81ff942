"""The staffing board: fill counts per station of an election, for the stations
and shifts the user's scope shows, with a fixed number of queries however many
stations, shifts and assignments there are.

The stations listed are those of the election's areas (``Election.areas``), with
seats or not yet, when the user sees the whole election; otherwise those where
the user's scope shows seats (``listed_stations``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from elections.models import Election, Shift
from pollcrew.collation import danish_key
from pollcrew.db import UnicodeLower
from polling_stations.models import PollingStation
from staffing.fill import EMPTY, Fill, fills_by, total


@dataclass(frozen=True)
class StationRow:
    station: PollingStation
    fill: Fill

    @property
    def has_seats(self) -> bool:
        return self.fill.needed > 0


@dataclass(frozen=True)
class Board:
    page: Page  # of StationRow, only the stations on this page are loaded
    totals: Fill  # over every station that matches the filters


def listed_stations(
    election: Election, shifts: QuerySet[Shift], *, whole_election: bool
) -> QuerySet[PollingStation]:
    """The stations on the board: those with ``shifts`` (already scoped), and,
    for a user who sees the ``whole_election``, every station of its areas."""
    with_seats = Q(pk__in=shifts.order_by().values("station_id"))
    if not whole_election:
        return PollingStation.objects.filter(with_seats)
    areas = Election.areas.through.objects.filter(election=election).values("area_id")
    return PollingStation.objects.filter(Q(area_id__in=areas) | with_seats)


def station_board(
    shifts: QuerySet[Shift],
    *,
    stations: QuerySet[PollingStation] | None = None,
    fills: dict[int, Fill] | None = None,
    area_id: int | None = None,
    understaffed_only: bool = False,
    search: str = "",
    page_number: str | int | None = None,
    per_page: int = 50,
) -> Board:
    """The board over ``shifts`` (an election's shifts, already scoped) in three
    queries: fills (1), the matching stations' names (1), the page's stations (1).
    ``stations``: the stations to list (``listed_stations``); by default those
    with ``shifts``. ``fills``: the fill per station when counted already (by
    ``staffing.dashboard.seat_counts``): one query fewer. Stations are in
    Danish order of area and name."""
    if fills is None:
        fills = fills_by(shifts, "station_id")
    if stations is None:
        stations = PollingStation.objects.filter(pk__in=shifts.order_by().values("station_id"))
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
        if not understaffed_only or fills.get(pk, EMPTY).accepted < fills.get(pk, EMPTY).needed
    ]
    keys.sort(key=lambda k: (k[1], k[2]))
    # A station whose first shift was added between the queries has no fill yet.
    totals = total(fills.get(k[0], EMPTY) for k in keys)
    page = Paginator([k[0] for k in keys], per_page).get_page(page_number)
    loaded = PollingStation.objects.select_related("area").in_bulk(list(page.object_list))
    page.object_list = [
        StationRow(loaded[pk], fills.get(pk, EMPTY)) for pk in page.object_list if pk in loaded
    ]
    return Board(page=page, totals=totals)
