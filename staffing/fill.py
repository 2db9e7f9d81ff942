"""The fill-count read model: how many seats a set of shifts has, and how many
are awaiting an answer, accepted or vacant. The one implementation used by the
board, the election list, the station and invite pages, the admin, the PDFs and
(later) the API.

The counts are read from ``SeatFill``, one row per shift that the database keeps
up to date itself (staffing.counters): grouped per station or election in one
query, or joined to each shift (the admin's sortable column), without counting
assignments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from elections.models import Shift
from staffing.models import SeatFill


@dataclass(frozen=True)
class Fill:
    needed: int
    invited: int
    accepted: int

    @property
    def held(self) -> int:
        """Seats taken: awaiting an answer or accepted."""
        return self.invited + self.accepted

    @property
    def vacant(self) -> int:
        return max(self.needed - self.held, 0)

    @property
    def full(self) -> bool:
        return self.held >= self.needed

    @property
    def accepted_pct(self) -> int:
        return round(100 * self.accepted / self.needed) if self.needed else 0

    def __add__(self, other: Fill) -> Fill:
        return Fill(
            self.needed + other.needed,
            self.invited + other.invited,
            self.accepted + other.accepted,
        )


EMPTY = Fill(0, 0, 0)


def fills_by(shifts: QuerySet[Shift], key: str = "pk") -> dict[Any, Fill]:
    """Fill per value of ``key`` ("pk" per shift, "station_id", "role_id",
    "election_id") over ``shifts``, in one grouped query."""
    field = "shift_id" if key == "pk" else key
    rows = (
        SeatFill.objects.filter(shift_id__in=shifts.order_by().values("pk"))
        .values_list(field)
        .annotate(Sum("seats"), Sum("invited"), Sum("accepted"))
        .order_by()
    )
    return {k: Fill(seats, invited, accepted) for k, seats, invited, accepted in rows}


def total(fills: Iterable[Fill]) -> Fill:
    """The sum of ``fills`` (thousands on a national board: no object per step)."""
    needed = invited = accepted = 0
    for fill in fills:
        needed += fill.needed
        invited += fill.invited
        accepted += fill.accepted
    return Fill(needed, invited, accepted)


def with_fill(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    """Annotate each shift with its counts (``fill_of(shift)`` reads them)."""
    return shifts.annotate(
        fill_invited=Coalesce(F("seat_fill__invited"), 0),
        fill_accepted=Coalesce(F("seat_fill__accepted"), 0),
    )


def fill_of(shift: Shift) -> Fill:
    """The fill of a shift annotated by ``with_fill``."""
    return Fill(shift.capacity, shift.fill_invited, shift.fill_accepted)  # type: ignore[attr-defined]


def fill_of_shift(shift: Shift) -> Fill:
    """One shift's fill (one small query)."""
    return fills_by(Shift.objects.filter(pk=shift.pk)).get(shift.pk, Fill(shift.capacity, 0, 0))
