"""The fill-count read model: how many seats a set of shifts has, and how many
are awaiting an answer, accepted or vacant. The one implementation used by the
board, the election list, the station and invite pages, the admin, the PDFs and
(later) the API.

"Invited" and "accepted" are counted by one pair of expressions (``_counts``),
used both as grouped aggregates (a board: two queries, whatever the size) and as
per-row annotations (the admin's sortable column)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from elections.models import Shift
from staffing.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES


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


def fill_counts() -> dict[str, Count]:
    """The pair of expressions, over a shift queryset's ``assignments``: seats
    awaiting an answer (``fill_invited``) and accepted (``fill_accepted``). For
    read models that group shifts their own way (staffing.dashboard)."""
    return _counts()


def _counts() -> dict[str, Count]:
    return {
        "fill_invited": Count("assignments", filter=Q(assignments__status="invited")),
        "fill_accepted": Count("assignments", filter=Q(assignments__status__in=FILLED_STATUSES)),
    }


def fills_by(shifts: QuerySet[Shift], key: str = "pk") -> dict[Any, Fill]:
    """Fill per value of ``key`` ("pk" per shift, "station_id", "election_id"…)
    over ``shifts``, in two grouped queries: seats, and who holds them."""
    shifts = shifts.order_by()
    needed = dict(shifts.values_list(key).annotate(Sum("capacity")))
    held = (
        shifts.filter(assignments__status__in=SEAT_HOLDING_STATUSES)
        .values(key)
        .annotate(**_counts())
    )
    counts = {row[key]: (row["fill_invited"], row["fill_accepted"]) for row in held}
    return {k: Fill(n, *counts.get(k, (0, 0))) for k, n in needed.items()}


def total(fills: dict[Any, Fill]) -> Fill:
    result = EMPTY
    for fill in fills.values():
        result = result + fill
    return result


def with_fill(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    """Annotate each shift with its counts (``fill_of(shift)`` reads them)."""
    return shifts.annotate(**_counts())


def fill_of(shift: Shift) -> Fill:
    """The fill of a shift annotated by ``with_fill``."""
    return Fill(shift.capacity, shift.fill_invited, shift.fill_accepted)  # type: ignore[attr-defined]


def fill_of_shift(shift: Shift) -> Fill:
    """One shift's fill (two small queries)."""
    return fills_by(Shift.objects.filter(pk=shift.pk)).get(shift.pk, Fill(shift.capacity, 0, 0))
