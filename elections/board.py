"""Read models for the staffing board: fill counts per station, with a fixed
number of queries however many stations, shifts and assignments there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from elections.models import FILLED_STATUSES, Election, Shift
from pollcrew.collation import danish_key
from pollcrew.db import Casefold
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

    @property
    def invited_pct(self) -> int:
        return round(100 * self.invited / self.needed) if self.needed else 0


@dataclass(frozen=True)
class StationRow:
    station: PollingStation
    fill: Fill


def _sum_subquery(qs, field: str) -> Coalesce:
    return Coalesce(
        Subquery(
            qs.values("station_id").annotate(total=field).values("total")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def station_rows(
    election: Election,
    *,
    area_id: int | None = None,
    understaffed_only: bool = False,
    search: str = "",
) -> list[StationRow]:
    """One query: every station with shifts in the election, with its fill counts,
    in Danish order of area and station name."""
    shifts = Shift.objects.filter(election=election, station_id=OuterRef("pk"))
    stations = (
        PollingStation.objects.select_related("area")
        .filter(Exists(shifts))
        .annotate(
            needed=_sum_subquery(shifts, Sum("capacity")),
            invited=_sum_subquery(
                shifts, Count("assignments", filter=Q(assignments__status="invited"))
            ),
            accepted=_sum_subquery(
                shifts, Count("assignments", filter=Q(assignments__status__in=FILLED_STATUSES))
            ),
        )
    )
    if area_id:
        stations = stations.filter(area_id=area_id)
    if search:
        folded = search.casefold()
        stations = stations.alias(name_cf=Casefold("name"), address_cf=Casefold("address")).filter(
            Q(name_cf__contains=folded)
            | Q(address_cf__contains=folded)
            | Q(postal_code__startswith=search)
        )
    rows = [StationRow(s, Fill(s.needed, s.invited, s.accepted)) for s in stations]
    if understaffed_only:
        rows = [r for r in rows if r.fill.accepted < r.fill.needed]
    rows.sort(key=lambda r: (danish_key(r.station.area.name), danish_key(r.station.name)))
    return rows


def totals(rows: list[StationRow]) -> Fill:
    return Fill(
        sum(r.fill.needed for r in rows),
        sum(r.fill.invited for r in rows),
        sum(r.fill.accepted for r in rows),
    )
