"""What the auto-assign pages show of a proposal: per station, the diff against
today (the seats held now, unchanged; the proposed rows, new; the seats left open
and why), the figures of the run, and the people left out. Each function runs a
fixed number of queries whatever the number of stations, shifts and rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, QuerySet, Sum

from autoassign import explain
from autoassign.models import LeftOut, OpenSeat, Proposal, ProposalRow
from elections.models import Shift, day_bounds
from pollcrew.collation import danish_sorted
from polling_stations.models import PollingStation
from staffing.models import Assignment


def scope_shifts(proposal: Proposal) -> QuerySet[Shift]:
    """The shifts the proposal was made for (its election, limited to its area,
    station, role or day)."""
    shifts = Shift.objects.filter(election_id=proposal.election_id)
    if proposal.area_id is not None:
        shifts = shifts.filter(station__area_id=proposal.area_id)
    if proposal.station_id is not None:
        shifts = shifts.filter(station_id=proposal.station_id)
    if proposal.role_id is not None:
        shifts = shifts.filter(role_id=proposal.role_id)
    if proposal.day is not None:
        start, end = day_bounds(proposal.day)
        shifts = shifts.filter(starts_at__gte=start, starts_at__lt=end)
    return shifts


def _unchanged(proposal: Proposal) -> QuerySet[Assignment]:
    """Seats held now that this proposal did not make (its own invitations are its rows)."""
    made = ProposalRow.objects.filter(proposal=proposal, assignment__isnull=False).values(
        "assignment_id"
    )
    return Assignment.objects.holding_seat().exclude(pk__in=made)


def wish_labels(codes: list[str]) -> list[str]:
    return [explain.WISHES.get(code, code) for code in codes]


# --- the list of stations ---------------------------------------------------------------------


@dataclass
class StationLine:
    station: PollingStation
    seats: int = 0
    unchanged: int = 0
    new: int = 0
    dropped: int = 0
    open: int = 0


def stations_overview(proposal: Proposal) -> list[StationLine]:
    """Every station of the proposal's scope with its seats, the seats held now
    (unchanged), the seats proposed (new; dropped apart) and the seats left open,
    in Danish order of area and name (5 queries)."""
    shifts = scope_shifts(proposal)
    # 1, 2: the stations, and their seats in the scope.
    seats = dict(
        shifts.order_by()
        .values("station_id")
        .annotate(n=Sum("capacity"))
        .values_list("station_id", "n")
    )
    stations = PollingStation.objects.filter(pk__in=list(seats)).select_related("area")
    lines = {s.pk: StationLine(station=s, seats=seats[s.pk] or 0) for s in stations}
    # 3: the seats held now, per station.
    for station_id, n in (
        _unchanged(proposal)
        .filter(shift__in=shifts)
        .values("shift__station_id")
        .annotate(n=Count("pk"))
        .values_list("shift__station_id", "n")
    ):
        if station_id in lines:
            lines[station_id].unchanged = n
    # 4: the proposed rows, per station.
    for station_id, new, dropped in (
        ProposalRow.objects.filter(proposal=proposal)
        .exclude(state=ProposalRow.State.REFUSED)
        .values("shift__station_id")
        .annotate(
            new=Count("pk", filter=Q(dropped=False)),
            dropped=Count("pk", filter=Q(dropped=True)),
        )
        .values_list("shift__station_id", "new", "dropped")
    ):
        if station_id in lines:
            lines[station_id].new, lines[station_id].dropped = new, dropped
    # 5: the seats left open, per station.
    for station_id, n in (
        OpenSeat.objects.filter(proposal=proposal)
        .values("shift__station_id")
        .annotate(n=Sum("seats"))
        .values_list("shift__station_id", "n")
    ):
        if station_id in lines:
            lines[station_id].open = n or 0
    return danish_sorted(
        lines.values(), key=lambda line: f"{line.station.area.name}\t{line.station.name}"
    )


# --- one station ------------------------------------------------------------------------------


@dataclass
class ShiftReview:
    shift: Shift
    unchanged: list[Assignment] = field(default_factory=list)
    rows: list[ProposalRow] = field(default_factory=list)
    open_seats: int = 0
    open_reason: str = ""

    @property
    def proposed(self) -> int:
        return sum(1 for r in self.rows if not r.dropped and r.state != ProposalRow.State.REFUSED)


def station_review(proposal: Proposal, station: PollingStation) -> list[ShiftReview]:
    """The station's shifts in the proposal's scope, each with the people holding
    seats now (unchanged), the proposed rows (with the wishes they meet, as
    words) and the seats left open with the reason (4 queries)."""
    shifts = list(
        scope_shifts(proposal)
        .filter(station=station)
        .select_related("role", "team", "station", "election")
        .order_by("starts_at", "role__sort_order", "role__name", "pk")
    )
    reviews = {s.pk: ShiftReview(shift=s) for s in shifts}
    ids = list(reviews)
    held = (
        _unchanged(proposal)
        .filter(shift_id__in=ids)
        .select_related("volunteer")
        .order_by("volunteer__sort_name", "pk")
    )
    for assignment in held:
        reviews[assignment.shift_id].unchanged.append(assignment)
    rows = (
        ProposalRow.objects.filter(proposal=proposal, shift_id__in=ids)
        .select_related("volunteer", "assignment")
        .order_by("-locked", "volunteer__sort_name", "pk")
    )
    for row in rows:
        row.wish_labels = wish_labels(row.wishes)
        reviews[row.shift_id].rows.append(row)
    for left in OpenSeat.objects.filter(proposal=proposal, shift_id__in=ids):
        review = reviews[left.shift_id]
        review.open_seats = left.seats
        review.open_reason = explain.open_seat_text(left.code, left.params)
    return list(reviews.values())


def row_for_page(row: ProposalRow) -> ProposalRow:
    """One row as the station page shows it (after a change, for htmx)."""
    row.wish_labels = wish_labels(row.wishes)
    return row


# --- the run's figures and the people left out ------------------------------------------------


@dataclass
class Figures:
    open_seats: int | None
    filled: int | None
    seat_bound: int | None
    score: float | None
    score_bound: float | None
    gap_percent: float | None
    greedy_filled: int | None
    greedy_score: float | None
    kept: int = 0
    seconds: float | None = None
    wishes: list[tuple[str, int, int | None]] = field(default_factory=list)
    # "At least N with a skill" rules the proposal falls short of, in words.
    unmet: list[str] = field(default_factory=list)
    # Locked seats of the previous proposal that no longer fit: (who, shift, why).
    not_kept: list[tuple[str, str, str]] = field(default_factory=list)


def figures(proposal: Proposal) -> Figures:
    """The run's figures, from the proposal (no query)."""
    stats = proposal.stats or {}
    gap = proposal.gap
    met = stats.get("wishes") or {}
    greedy_met = stats.get("greedy_wishes") or {}
    wishes: list[tuple[str, int, int | None]] = []
    if isinstance(met, dict):
        for code, n in met.items():
            other = greedy_met.get(code) if isinstance(greedy_met, dict) else None
            wishes.append((explain.WISHES.get(code, code), n, other))
    total = (stats.get("seconds") or {}).get("total")
    return Figures(
        open_seats=proposal.open_seats,
        filled=proposal.filled,
        seat_bound=proposal.seat_bound,
        score=proposal.score,
        score_bound=proposal.score_bound,
        gap_percent=round(gap * 100, 2) if gap is not None else None,
        greedy_filled=proposal.greedy_filled,
        greedy_score=proposal.greedy_score,
        kept=int(stats.get("kept") or 0),
        seconds=total,
        wishes=wishes,
        unmet=[explain.unmet_rule_text(item) for item in stats.get("unmet_rules") or []],
        not_kept=[
            (item.get("name", ""), item.get("shift_label", ""), item.get("why", ""))
            for item in stats.get("locked_not_kept") or []
        ],
    )


def left_out_reasons(proposal: Proposal) -> list[tuple[str, int]]:
    """The reasons people were left out, with how many each (1 query)."""
    return list(
        LeftOut.objects.filter(proposal=proposal)
        .values("code")
        .annotate(n=Count("pk"))
        .order_by("-n", "code")
        .values_list("code", "n")
    )


def left_out_labelled(proposal: Proposal) -> list[tuple[str, str, int]]:
    """The reasons people were left out as (code, words, how many), the words those
    of the first person with the reason (2 queries)."""
    counted = list(
        LeftOut.objects.filter(proposal=proposal)
        .values("code")
        .annotate(n=Count("pk"), first=Min("pk"))
        .order_by("-n", "code")
        .values_list("code", "n", "first")
    )
    params = dict(
        LeftOut.objects.filter(pk__in=[first for _c, _n, first in counted]).values_list(
            "pk", "params"
        )
    )
    return [
        (code, explain.left_out_text(code, params.get(first) or {}), n)
        for code, n, first in counted
    ]


def left_out(proposal: Proposal, code: str | None = None) -> QuerySet[LeftOut]:
    found = LeftOut.objects.filter(proposal=proposal).select_related("volunteer")
    if code:
        found = found.filter(code=code)
    return found.order_by("volunteer__sort_name", "pk")


def with_reasons(page: list[LeftOut]) -> list[LeftOut]:
    for item in page:
        item.reason = explain.left_out_text(item.code, item.params)
    return page
