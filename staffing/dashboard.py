"""The dashboard above the board: how far the filling of an election has come.

Fill overall, per role and per area; invitations still waiting for an answer and
how long they have waited; declines and withdrawals of the last week; messages
that could not be delivered; and accepted seats per day since the first
invitation, against the number of seats (``Chart``, drawn as an SVG by
templates/staffing/_fill_chart.html).

Everything is counted over the shifts handed in (an election's shifts, already
narrowed to the user's scope), grouped in the database, whatever the number of
stations, seats, people and messages: the seats and who holds them per station
and role once for the board and the dashboard (``seat_counts``, two queries),
then five more (``dashboard``), of which only one reads every accepted seat (the
chart's days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from elections.models import Election, Role, Shift
from notifications.models import Message
from pollcrew.collation import danish_key
from polling_stations.models import Area
from staffing.fill import EMPTY, Fill, fill_counts
from staffing.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Assignment

Status = Assignment.Status

# The ages of unanswered invitations, in days: younger than the first, between
# the two, older than the second.
FRESH_DAYS, STALE_DAYS = 2, 7
# Declines and withdrawals counted over this many days back.
RECENT_DAYS = 7
# More areas than this: their table starts folded.
MANY_AREAS = 12


@dataclass(frozen=True)
class Group:
    """The fill of one role or one area."""

    pk: int
    name: str
    fill: Fill


@dataclass(frozen=True)
class Outstanding:
    """Invitations nobody has answered yet, by how long they have waited."""

    fresh: int  # invited less than FRESH_DAYS ago
    waiting: int  # FRESH_DAYS to STALE_DAYS
    stale: int  # more than STALE_DAYS
    oldest: datetime | None  # when the longest-waiting one was sent

    @property
    def total(self) -> int:
        return self.fresh + self.waiting + self.stale

    def oldest_days(self, now: datetime) -> int:
        return (now - self.oldest).days if self.oldest else 0


@dataclass(frozen=True)
class Point:
    day: date
    accepted: int  # seats accepted that day (and still accepted)
    total: int  # accepted up to and including that day
    x: float  # where the chart draws it
    y: float


@dataclass(frozen=True)
class Tick:
    label: int | date
    x: float
    y: float
    anchor: str = "middle"  # the SVG text-anchor


@dataclass(frozen=True)
class Chart:
    """Accepted seats per day since the first invitation, against the target.

    Coordinates are in the SVG's own units (``WIDTH`` by ``HEIGHT``): the template
    only writes them out."""

    points: tuple[Point, ...]
    target: int
    line: str  # the polyline's points: a step each day
    area: str  # the same, closed along the bottom (the shaded area)
    target_y: float
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]

    WIDTH = 640
    HEIGHT = 240
    LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 32

    @property
    def first(self) -> Point:
        return self.points[0]

    @property
    def last(self) -> Point:
        return self.points[-1]

    @property
    def best(self) -> Point:
        """The day most seats were accepted (the first such day)."""
        return max(self.points, key=lambda p: (p.accepted, -p.day.toordinal()))

    @property
    def pct(self) -> int:
        return round(100 * self.last.total / self.target) if self.target else 0

    @property
    def bottom(self) -> float:
        return self.HEIGHT - self.BOTTOM

    @property
    def right(self) -> float:
        return self.WIDTH - self.RIGHT


@dataclass(frozen=True)
class Dashboard:
    overall: Fill
    roles: tuple[Group, ...]
    areas: tuple[Group, ...]
    outstanding: Outstanding
    declined: int  # in the last RECENT_DAYS days
    withdrawn: int  # in the last RECENT_DAYS days
    failed_messages: int
    chart: Chart | None  # None before the first invitation
    now: datetime

    FRESH_DAYS = FRESH_DAYS
    STALE_DAYS = STALE_DAYS
    RECENT_DAYS = RECENT_DAYS

    @property
    def has_seats(self) -> bool:
        return self.overall.needed > 0

    @property
    def oldest_days(self) -> int:
        return self.outstanding.oldest_days(self.now)

    @property
    def given_up(self) -> int:
        """Declined and withdrawn in the last RECENT_DAYS days."""
        return self.declined + self.withdrawn

    @property
    def many_areas(self) -> bool:
        """Too many areas to show their table open."""
        return len(self.areas) > MANY_AREAS


@dataclass(frozen=True)
class SeatCounts:
    """Seats and who holds them over an election's (scoped) shifts, per station
    (the board), role and area (the dashboard): counted once for both."""

    by_station: dict[int, Fill]
    by_role: dict[int, Fill]
    by_area: dict[int, Fill]

    @property
    def anyone_holds_a_seat(self) -> bool:
        return any(f.held for f in self.by_role.values())


def seat_counts(shifts: QuerySet[Shift]) -> SeatCounts:
    """Two grouped queries, as ``staffing.fill.fills_by`` counts (with its
    expressions) but per station and role at once: the seats (with each
    station's area), and who holds them. Summed up per station, role and area."""
    shifts = shifts.order_by()
    needed = shifts.values_list("station_id", "station__area_id", "role_id").annotate(
        Sum("capacity")
    )
    held = (
        shifts.filter(assignments__status__in=SEAT_HOLDING_STATUSES)
        .values("station_id", "role_id")
        .annotate(**fill_counts())
        .values_list("station_id", "role_id", "fill_invited", "fill_accepted")
    )
    stations: dict[int, list[int]] = {}
    roles: dict[int, list[int]] = {}
    areas: dict[int, list[int]] = {}
    area_of: dict[int, int] = {}
    # Thousands of rows at national scale: plain loops, no call per row.
    for station, area, role, seats in _rows(needed):
        area_of[station] = area
        for sums, key in ((stations, station), (roles, role), (areas, area)):
            if key in sums:
                sums[key][0] += seats
            else:
                sums[key] = [seats, 0, 0]
    for station, role, invited, accepted in _rows(held):
        if station not in area_of or role not in roles:
            continue  # a shift added between the two queries: its seats are not counted
        for found in (stations[station], roles[role], areas[area_of[station]]):
            found[1] += invited
            found[2] += accepted
    return SeatCounts(
        by_station={k: Fill(*v) for k, v in stations.items()},
        by_role={k: Fill(*v) for k, v in roles.items()},
        by_area={k: Fill(*v) for k, v in areas.items()},
    )


def _rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset of integers, as the database returns
    them: without Django's per-value converters (thousands of rows at national
    scale)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def dashboard(
    election: Election,
    shifts: QuerySet[Shift],
    *,
    counts: SeatCounts | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard over ``shifts`` (``election``'s, already scoped). Given the
    board's ``counts`` (``seat_counts``; else two queries more): the roles' and
    areas' names (2 queries), the answers (1), accepted seats per day (1), failed
    messages (1). Without seats none of them; the last two only once somebody has
    been invited."""
    now = now or timezone.now()
    counts = counts or seat_counts(shifts)
    roles = _named(Role.objects.filter(pk__in=list(counts.by_role)), counts.by_role)
    areas = _named(Area.objects.filter(pk__in=list(counts.by_area)), counts.by_area)
    overall = sum((g.fill for g in roles), EMPTY)
    assignments = Assignment.objects.filter(shift__in=shifts.order_by().values("pk"))
    answers = _answers(assignments, now) if roles else {}
    first = answers.get("first_invited")
    chart, failed = None, 0
    if first is not None or counts.anyone_holds_a_seat:
        chart = _chart(
            assignments,
            first=first,
            target=overall.needed,
            end=_end_day(election, timezone.localdate(now)),
        )
        failed = _failed_messages(assignments)
    return Dashboard(
        overall=overall,
        roles=roles,
        areas=areas,
        outstanding=Outstanding(
            fresh=answers.get("fresh", 0),
            waiting=answers.get("waiting", 0),
            stale=answers.get("stale", 0),
            oldest=answers.get("oldest"),
        ),
        declined=answers.get("declined", 0),
        withdrawn=answers.get("withdrawn", 0),
        failed_messages=failed,
        chart=chart,
        now=now,
    )


def _named(objects: QuerySet[Any], fills: dict[int, Fill]) -> tuple[Group, ...]:
    """Groups in the order of ``sort_order`` and Danish name (no query without fills)."""
    if not fills:
        return ()
    rows = objects.order_by().values_list("pk", "name", "sort_order")
    ordered = sorted(rows, key=lambda r: (r[2], danish_key(r[1]), r[0]))
    return tuple(Group(pk, name, fills[pk]) for pk, name, _order in ordered)


# Every state but those of an accepted seat: few rows (found through the index on
# status and invited_at), where unanswered invitations, declines and withdrawals are.
NOT_ACCEPTED = tuple(s for s in Status.values if s not in FILLED_STATUSES)


def _answers(assignments: QuerySet[Assignment], now: datetime) -> dict[str, Any]:
    """Unanswered invitations by age, recent declines and withdrawals, and the
    earliest invitation not accepted: one aggregate query."""
    invited = Q(status=Status.INVITED)
    fresh_since = now - timedelta(days=FRESH_DAYS)
    stale_before = now - timedelta(days=STALE_DAYS)
    recent = Q(responded_at__gte=now - timedelta(days=RECENT_DAYS))
    waiting = Q(invited_at__lte=fresh_since, invited_at__gte=stale_before)
    return (
        assignments.filter(status__in=NOT_ACCEPTED)
        .order_by()
        .aggregate(
            fresh=Count("pk", filter=invited & Q(invited_at__gt=fresh_since)),
            waiting=Count("pk", filter=invited & waiting),
            stale=Count("pk", filter=invited & Q(invited_at__lt=stale_before)),
            oldest=Min("invited_at", filter=invited),
            declined=Count("pk", filter=Q(status=Status.DECLINED) & recent),
            withdrawn=Count("pk", filter=Q(status=Status.WITHDRAWN) & recent),
            first_invited=Min("invited_at"),
        )
    )


def _failed_messages(assignments: QuerySet[Assignment]) -> int:
    """Messages about ``assignments`` that could not be delivered: one query."""
    return Message.objects.filter(
        status=Message.Status.FAILED,
        subject_type=Assignment._meta.label_lower,
        subject_id__in=assignments.order_by().values("pk"),
    ).count()


def _end_day(election: Election, today: date) -> date:
    """The chart runs until today, and at most until the day after election day
    (later answers, if any, extend it)."""
    return min(today, election.election_date + timedelta(days=1))


def _chart(
    assignments: QuerySet[Assignment], *, first: datetime | None, target: int, end: date
) -> Chart | None:
    """Seats accepted per day (by the day of the answer; seats given up since are
    not counted), from the day of the first invitation (``first``, the earliest
    not accepted, or an accepted one's): one grouped query."""
    rows = (
        assignments.filter(status__in=FILLED_STATUSES, responded_at__isnull=False)
        .order_by()
        .annotate(day=TruncDate("responded_at"))
        .values("day")
        .annotate(n=Count("pk"), first_invited=Min("invited_at"))
        .values_list("day", "n", "first_invited")
    )
    per_day: dict[date, int] = {}
    for day, n, invited in rows:
        per_day[day] = n
        first = invited if first is None else min(first, invited)
    if first is None:
        return None
    start = timezone.localtime(first).date()
    end = max([end, start, *per_day])
    before = sum(n for day, n in per_day.items() if day < start)  # not expected; kept honest
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return draw(days, [per_day.get(d, 0) for d in days], target=target, carried=before)


def draw(days: list[date], accepted: list[int], *, target: int, carried: int = 0) -> Chart:
    """Place the cumulative accepted seats of ``days`` and the target line in
    the chart's coordinates."""
    totals: list[int] = []
    running = carried
    for n in accepted:
        running += n
        totals.append(running)
    top = _nice(max([target, *totals, 1]))
    left, right = Chart.LEFT, Chart.WIDTH - Chart.RIGHT
    upper, lower = Chart.TOP, Chart.HEIGHT - Chart.BOTTOM
    span = max(len(days), 1)
    step = (right - left) / span

    def y(value: int) -> float:
        return round(lower - (lower - upper) * value / top, 1)

    points = tuple(
        Point(day, n, t, round(left + step * (i + 1), 1), y(t))
        for i, (day, n, t) in enumerate(zip(days, accepted, totals, strict=True))
    )
    # A step per day: flat through the day, up at its end (when its answers are in).
    coords = [(float(left), y(carried))]
    for p in points:
        if p.y != coords[-1][1]:
            coords += [(p.x, coords[-1][1]), (p.x, p.y)]
    if coords[-1][0] != right:
        coords.append((float(right), coords[-1][1]))
    line = " ".join(f"{x:g},{y_:g}" for x, y_ in coords)
    area = f"{line} {coords[-1][0]:g},{lower:g} {left:g},{lower:g}"
    y_ticks = tuple(Tick(v, float(left - 8), y(v), "end") for v in (0, top // 2, top))
    x_ticks = _x_ticks(points, float(left), float(right))
    return Chart(points, target, line, area, y(target), y_ticks, x_ticks)


def _x_ticks(points: tuple[Point, ...], left: float, right: float) -> tuple[Tick, ...]:
    """The first day (from the left edge), the last (to the right edge) and one in
    the middle when there is room."""
    if not points:
        return ()
    y = float(Chart.HEIGHT - 10)
    ticks = [Tick(points[0].day, left, y, "start")]
    if len(points) > 4:
        middle = points[len(points) // 2]
        ticks.append(Tick(middle.day, round((middle.x + _previous_x(points, middle)) / 2, 1), y))
    if len(points) > 1:
        ticks.append(Tick(points[-1].day, right, y, "end"))
    return tuple(ticks)


def _previous_x(points: tuple[Point, ...], point: Point) -> float:
    index = points.index(point)
    return points[index - 1].x if index else Chart.LEFT


def _nice(value: int) -> int:
    """A round number at least ``value`` for the top of the axis: two significant
    digits, the first pair even so that the middle tick is round too."""
    if value <= 2:
        return 2
    unit = 10 ** max(len(str(value)) - 2, 0)
    top = -(-value // unit) * unit
    return top + unit if (top // unit) % 2 else top
