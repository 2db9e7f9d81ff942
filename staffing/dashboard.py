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

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from elections.models import Election, Role, Shift
from notifications.models import Message
from pollcrew.collation import danish_key
from polling_stations.models import Area
from staffing.fill import EMPTY, Fill
from staffing.models import FILLED_STATUSES, Assignment, ElectionTally, SeatFill

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


def seat_counts(shifts: QuerySet[Shift], *, election: Election | None = None) -> SeatCounts:
    """The seats and who holds them per station, role and area, in one query
    over ``SeatFill`` (the counts the database keeps per shift): all of
    ``election``'s when given (the user sees the whole election), else those of
    ``shifts``."""
    if election is not None:
        fills = SeatFill.objects.filter(election=election)
    else:
        fills = SeatFill.objects.filter(shift_id__in=shifts.order_by().values("pk"))
    sums = {"s": Sum("seats"), "i": Sum("invited"), "a": Sum("accepted")}
    per = [
        fills.annotate(kind=Value(kind), key=F(field))
        .values("kind", "key")
        .annotate(**sums)
        .values_list("kind", "key", "s", "i", "a")
        .order_by()
        for kind, field in (("s", "station_id"), ("r", "role_id"), ("a", "station__area_id"))
    ]
    found: dict[str, dict[int, Fill]] = {"s": {}, "r": {}, "a": {}}
    for kind, key, seats, invited, accepted in _rows(per[0].union(*per[1:], all=True)):
        found[kind][key] = Fill(seats, invited, accepted)
    return SeatCounts(by_station=found["s"], by_role=found["r"], by_area=found["a"])


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
    whole: bool = False,
) -> Dashboard:
    """The dashboard over ``shifts`` (``election``'s, already scoped; ``whole``:
    all of them). Given the board's ``counts`` (``seat_counts``; else one query
    more): the roles' and areas' names (2 queries), then for the whole election
    its tallies (``ElectionTally``, 1 query) and the exact counts in the hours
    at the edges of the time windows (1), else the answers (1), accepted seats
    per day (1) and failed messages (1) over the user's seats. Without seats
    none of them."""
    now = now or timezone.now()
    counts = counts or seat_counts(shifts, election=election if whole else None)
    roles = _named(Role.objects.filter(pk__in=list(counts.by_role)), counts.by_role)
    areas = _named(Area.objects.filter(pk__in=list(counts.by_area)), counts.by_area)
    overall = sum((g.fill for g in roles), EMPTY)
    if not roles:
        activity = Activity()
    elif whole:
        activity = tallied_activity(election, now)
    else:
        activity = counted_activity(
            Assignment.objects.filter(shift__in=shifts.order_by().values("pk")),
            now,
            anyone_holds_a_seat=counts.anyone_holds_a_seat,
        )
    chart = None
    if activity.first is not None:
        chart = _chart(
            activity.per_day,
            first=activity.first,
            target=overall.needed,
            end=_end_day(election, timezone.localdate(now)),
        )
    return Dashboard(
        overall=overall,
        roles=roles,
        areas=areas,
        outstanding=activity.outstanding,
        declined=activity.declined,
        withdrawn=activity.withdrawn,
        failed_messages=activity.failed,
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


@dataclass(frozen=True)
class Activity:
    """What happened to the seats: unanswered invitations by age, declines and
    withdrawals of the last days, failed messages, the first invitation and the
    seats accepted per (local) day."""

    outstanding: Outstanding = Outstanding(0, 0, 0, None)
    declined: int = 0
    withdrawn: int = 0
    failed: int = 0
    first: datetime | None = None
    per_day: dict[date, int] = field(default_factory=dict)


# Every state but those of an accepted seat: few rows (found through the index on
# status and invited_at), where unanswered invitations, declines and withdrawals are.
NOT_ACCEPTED = tuple(s for s in Status.values if s not in FILLED_STATUSES)


def counted_activity(
    assignments: QuerySet[Assignment], now: datetime, *, anyone_holds_a_seat: bool
) -> Activity:
    """The activity counted from ``assignments`` themselves (a user who sees part
    of an election): the answers (1 query), then once somebody has been invited
    the accepted seats per day (1) and the failed messages (1)."""
    answers = _answers(assignments, now)
    first = answers["first_invited"]
    per_day: dict[date, int] = {}
    failed = 0
    if first is not None or anyone_holds_a_seat:
        rows = (
            assignments.filter(status__in=FILLED_STATUSES, responded_at__isnull=False)
            .order_by()
            .annotate(day=TruncDate("responded_at"))
            .values("day")
            .annotate(n=Count("pk"), first_invited=Min("invited_at"))
            .values_list("day", "n", "first_invited")
        )
        for day, n, invited in rows:
            per_day[day] = n
            first = invited if first is None else min(first, invited)
        failed = _failed_messages(assignments)
    return Activity(
        outstanding=Outstanding(
            answers["fresh"], answers["waiting"], answers["stale"], answers["oldest"]
        ),
        declined=answers["declined"],
        withdrawn=answers["withdrawn"],
        failed=failed,
        first=first,
        per_day=per_day,
    )


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


Kind = ElectionTally.Kind


def _hour_of(moment: datetime) -> int:
    """The tallies' hour of ``moment``: hours since 1970 (UTC)."""
    return int(moment.timestamp()) // 3600


def _moment(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


@dataclass
class _Window:
    """Tallied hours against a time window that starts (``since``) or ends
    (``before``) at ``edge``: hours wholly inside are summed, the hour the edge
    falls in is counted exactly afterwards (``edge_hour``)."""

    edge: datetime
    since: bool  # the window is "at or after the edge", else "before the edge"
    inside: int = 0
    edge_hour: int | None = None

    def __post_init__(self) -> None:
        self._edge = _hour_of(self.edge)

    def add(self, hour: int, n: int) -> None:
        if hour == self._edge:
            self.edge_hour = hour
        elif (hour > self._edge) == self.since:
            self.inside += n


def tallied_activity(election: Election, now: datetime) -> Activity:
    """The activity of a whole election from its tallies (one query over a few
    rows per hour of activity), made exact in the hours the windows' edges fall
    in and for the oldest invitation (one query over those hours only)."""
    fresh = _Window(now - timedelta(days=FRESH_DAYS), since=True)
    stale = _Window(now - timedelta(days=STALE_DAYS), since=False)
    given_up = {
        Kind.DECLINED: _Window(now - timedelta(days=RECENT_DAYS), since=True),
        Kind.WITHDRAWN: _Window(now - timedelta(days=RECENT_DAYS), since=True),
    }
    invited = failed = 0
    first = oldest_hour = None
    per_hour: dict[int, int] = {}
    tallies = ElectionTally.objects.filter(election=election).exclude(n=0).order_by()
    for kind, hour, n in _rows(tallies.values_list("kind", "hour", "n")):
        if kind == Kind.SENT:
            first = hour if first is None else min(first, hour)
        elif kind == Kind.INVITED:
            invited += n
            oldest_hour = hour if oldest_hour is None else min(oldest_hour, hour)
            fresh.add(hour, n)
            stale.add(hour, n)
        elif kind == Kind.ACCEPTED:
            per_hour[hour] = n
        elif kind in given_up:
            given_up[kind].add(hour, n)
        elif kind == Kind.FAILED:
            failed += n
    per_day: dict[date, int] = {}
    here = timezone.get_current_timezone()
    for hour, n in per_hour.items():
        day = _moment(hour).astimezone(here).date()
        per_day[day] = per_day.get(day, 0) + n
    edges = _edge_counts(election, fresh, stale, given_up, oldest_hour)
    fresh_n = fresh.inside + edges.get("fresh", 0)
    stale_n = stale.inside + edges.get("stale", 0)
    return Activity(
        outstanding=Outstanding(
            fresh=fresh_n,
            waiting=invited - fresh_n - stale_n,
            stale=stale_n,
            oldest=edges.get("oldest") or (_moment(oldest_hour) if oldest_hour else None),
        ),
        declined=given_up[Kind.DECLINED].inside + edges.get("declined", 0),
        withdrawn=given_up[Kind.WITHDRAWN].inside + edges.get("withdrawn", 0),
        failed=failed,
        first=_moment(first) if first is not None else None,
        per_day=per_day,
    )


def _edge_counts(
    election: Election,
    fresh: _Window,
    stale: _Window,
    given_up: dict[str, _Window],
    oldest_hour: int | None,
) -> dict[str, Any]:
    """The assignments of the hours the windows' edges fall in, counted exactly
    (one query through the status indexes, or none when no edge needs it)."""
    wanted: dict[str, Any] = {}
    rows = Q()
    one_hour = timedelta(hours=1)

    def sent_in(hour: int) -> Q:
        start = _moment(hour)
        return Q(status=Status.INVITED, invited_at__gte=start, invited_at__lt=start + one_hour)

    if fresh.edge_hour is not None:
        rows |= sent_in(fresh.edge_hour)
        wanted["fresh"] = Count(
            "pk", filter=sent_in(fresh.edge_hour) & Q(invited_at__gt=fresh.edge)
        )
    if stale.edge_hour is not None:
        rows |= sent_in(stale.edge_hour)
        wanted["stale"] = Count(
            "pk", filter=sent_in(stale.edge_hour) & Q(invited_at__lt=stale.edge)
        )
    if oldest_hour is not None:
        rows |= sent_in(oldest_hour)
        wanted["oldest"] = Min("invited_at", filter=sent_in(oldest_hour))
    for kind, window in given_up.items():
        if window.edge_hour is not None:
            start = _moment(window.edge_hour)
            answered = Q(status=kind, responded_at__gte=start, responded_at__lt=start + one_hour)
            rows |= answered
            wanted[str(kind)] = Count("pk", filter=answered & Q(responded_at__gte=window.edge))
    if not wanted:
        return {}
    return Assignment.objects.filter(rows, shift__election=election).order_by().aggregate(**wanted)


def _end_day(election: Election, today: date) -> date:
    """The chart runs until today, and at most until the day after election day
    (later answers, if any, extend it)."""
    return min(today, election.election_date + timedelta(days=1))


def _chart(per_day: dict[date, int], *, first: datetime, target: int, end: date) -> Chart:
    """Seats accepted per day (by the day of the answer; seats given up since are
    not counted), from the day of the first invitation (``first``)."""
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
