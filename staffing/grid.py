"""The seat-grid read model: for an election and a day, every polling station of
the election's areas (rows, grouped by area) by every role (columns), and in each
cell the shifts of that station and role starting that day, with the seats they
have and how many are held.

Four queries whatever the size: the roles, the stations (with their areas), the
day's shifts with their teams and held seats, and the days that have shifts.
Rows and columns are plain values, not model instances, so that a national grid
(1,400 stations by 5 roles) is cheap to build and to render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from elections import window
from elections.models import Election, Role, Shift
from pollcrew.collation import danish_key
from polling_stations.models import PollingStation
from staffing.models import SEAT_HOLDING_STATUSES, Assignment


def role_times(role: Role, day: date) -> tuple[datetime, datetime]:
    """A role's default times on ``day`` (aware, in the configured time zone). An
    end not after the start means the next day (the count goes on past midnight)."""
    tz = timezone.get_current_timezone()
    starts = datetime.combine(day, role.default_start, tzinfo=tz)
    end_day = day + timedelta(days=1) if role.default_end <= role.default_start else day
    return starts, datetime.combine(end_day, role.default_end, tzinfo=tz)


def next_day(start: time, end: time) -> bool:
    """Whether a shift from ``start`` to ``end`` (wall-clock times) ends the next day."""
    return end <= start


def window_days(election: Election) -> tuple[date, date]:
    """The first and last day a shift of the election may start on."""
    earliest, latest = window.bounds(election.election_date)
    return timezone.localtime(earliest).date(), timezone.localtime(latest).date()


@dataclass(frozen=True)
class CellShift:
    pk: int
    team_id: int | None
    team_name: str
    starts_at: datetime  # local time
    ends_at: datetime  # local time
    capacity: int
    held: int  # invited + accepted + checked in

    @property
    def overnight(self) -> bool:
        return self.ends_at.date() > self.starts_at.date()


@dataclass
class Cell:
    station_id: int
    role_id: int
    shifts: list[CellShift] = field(default_factory=list)
    # The role's default times that day: a shift with other times is "special".
    default: tuple[datetime, datetime] | None = None

    @property
    def seats(self) -> int:
        return sum(s.capacity for s in self.shifts)

    @property
    def held(self) -> int:
        return sum(s.held for s in self.shifts)

    @property
    def editable(self) -> bool:
        """One number in the grid says what to do: no shift yet, or exactly one."""
        return len(self.shifts) <= 1

    @property
    def special(self) -> bool:
        """Reserved for a team, or at other times than the role's."""
        return any(
            s.team_id is not None or (s.starts_at, s.ends_at) != self.default for s in self.shifts
        )

    @property
    def version(self) -> str:
        """What the cell is now, as text: a save of the cell's details is refused
        if it changed since the page was shown."""
        return ";".join(
            f"{s.pk}:{s.capacity}:{s.team_id or ''}:{s.starts_at.isoformat()}:"
            f"{s.ends_at.isoformat()}"
            for s in sorted(self.shifts, key=lambda s: s.pk)
        )


@dataclass(frozen=True)
class StationRow:
    pk: int
    name: str
    cells: list[Cell]

    @property
    def seats(self) -> int:
        return sum(c.seats for c in self.cells)


@dataclass(frozen=True)
class AreaGroup:
    pk: int
    name: str
    rows: list[StationRow]


@dataclass(frozen=True)
class Page:
    """A page of the grid: whole areas, from ``first`` to ``last`` (names)."""

    number: int
    first: str
    last: str
    stations: int


@dataclass
class Grid:
    election: Election
    day: date
    roles: list[Role]
    groups: list[AreaGroup]
    days: list[date]  # election day and every day with shifts, in order
    pages: list[Page] = field(default_factory=list)  # more than one: paginated
    page: int = 1

    def cells(self) -> dict[tuple[int, int], Cell]:
        return {(c.station_id, c.role_id): c for g in self.groups for r in g.rows for c in r.cells}

    @property
    def station_ids(self) -> set[int]:
        return {r.pk for g in self.groups for r in g.rows}

    @property
    def column_totals(self) -> list[int]:
        totals = [0] * len(self.roles)
        for group in self.groups:
            for row in group.rows:
                for i, cell in enumerate(row.cells):
                    totals[i] += cell.seats
        return totals

    @property
    def total(self) -> int:
        return sum(self.column_totals)

    @property
    def size(self) -> int:
        return sum(len(g.rows) for g in self.groups) * len(self.roles)


def roles() -> list[Role]:
    """Every role, as the columns: by sort order, then name (Danish order)."""
    return sorted(Role.objects.all(), key=lambda r: (r.sort_order, danish_key(r.name), r.pk))


def stations_of(election: Election) -> list[tuple[int, str, int, str, int, int]]:
    """(pk, name, area id, area name, area order, station order) of every station
    in the election's areas, and of any other station the election has seats at."""
    return list(
        PollingStation.objects.filter(
            Q(area_id__in=election.areas.values("pk"))
            | Q(pk__in=Shift.objects.filter(election=election).values("station_id"))
        )
        .order_by()
        .values_list("pk", "name", "area_id", "area__name", "area__sort_order", "sort_order")
    )


def day_shifts(election: Election, day: date, **filters: object) -> list[tuple]:
    """The election's shifts starting on ``day`` (local), with their team's name
    and the seats held on them: one query."""
    held_seats = (
        Assignment.objects.filter(shift=OuterRef("pk"), status__in=SEAT_HOLDING_STATUSES)
        .order_by()
        .values("shift")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Shift.objects.filter(election=election, **filters)
        .on_day(day)
        # Held seats per shift as a subquery (the (shift, status) index, shift
        # by shift), not a join grouped over every assignment of the election.
        .annotate(held=Coalesce(Subquery(held_seats), 0))
        .order_by("starts_at", "pk")
        .values_list(
            "pk",
            "station_id",
            "role_id",
            "team_id",
            "team__name",
            "starts_at",
            "ends_at",
            "capacity",
            "held",
        )
    )


def cell_shift(row: tuple, tz: tzinfo | None = None) -> CellShift:
    pk, _station, _role, team_id, team_name, starts, ends, capacity, held = row
    tz = tz or timezone.get_current_timezone()
    return CellShift(
        pk=pk,
        team_id=team_id,
        team_name=team_name or "",
        starts_at=starts.astimezone(tz),
        ends_at=ends.astimezone(tz),
        capacity=capacity,
        held=held,
    )


def grid_days(election: Election) -> list[date]:
    """Election day and every day the election has shifts on."""
    return sorted({election.election_date, *Shift.objects.filter(election=election).local_days()})


# A page of the grid holds whole areas, this many stations at most (unless one
# area has more): 750 inputs with 5 roles, under Django's 1,000 fields a form may
# post, so that the page saves without JavaScript too.
PAGE_STATIONS = 150


def paginate(stations: list[tuple[int, str, int, str, int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each page over the sorted stations: whole areas, as many
    as fit in PAGE_STATIONS (an area with more has a page of its own)."""
    areas: list[tuple[int, int]] = []
    for i, station in enumerate(stations):
        if areas and stations[areas[-1][0]][2] == station[2]:
            areas[-1] = (areas[-1][0], i + 1)
        else:
            areas.append((i, i + 1))
    pages: list[tuple[int, int]] = []
    for start, end in areas:
        if pages and end - pages[-1][0] <= PAGE_STATIONS:
            pages[-1] = (pages[-1][0], end)
        else:
            pages.append((start, end))
    return pages or [(0, 0)]


def build(election: Election, day: date, *, area_id: int | None = None, page: int = 1) -> Grid:
    """The grid of ``election`` on ``day`` (optionally one area's stations only):
    page ``page`` of it (pages of whole areas, PAGE_STATIONS stations at most)."""
    columns = roles()
    defaults = {r.pk: tuple(timezone.localtime(t) for t in role_times(r, day)) for r in columns}
    stations = stations_of(election)
    if area_id is not None:
        stations = [s for s in stations if s[2] == area_id]
    # Areas in order first (their keys once each), so that pages can be cut
    # from the counts; then the stations of the page only in Danish order.
    area_keys = {s[2]: (s[4], danish_key(s[3]), s[2]) for s in stations}
    stations.sort(key=lambda s: area_keys[s[2]])
    bounds = paginate(stations) if page is not None else [(0, len(stations))]
    page = min(max(page or 1, 1), len(bounds))
    pages = [
        Page(n, stations[a][3] if b else "", stations[b - 1][3] if b else "", b - a)
        for n, (a, b) in enumerate(bounds, start=1)
    ]
    start, end = bounds[page - 1]
    filters = {}
    if len(bounds) > 1:
        stations = stations[start:end]
        filters = {"station_id__in": [s[0] for s in stations]}
    stations.sort(key=lambda s: (area_keys[s[2]], s[5], danish_key(s[1]), s[0]))
    by_cell: dict[tuple[int, int], list[CellShift]] = {}
    tz = timezone.get_current_timezone()
    for row in day_shifts(election, day, **filters):
        by_cell.setdefault((row[1], row[2]), []).append(cell_shift(row, tz))
    groups: list[AreaGroup] = []
    for pk, name, area_pk, area_name, _area_order, _order in stations:
        if not groups or groups[-1].pk != area_pk:
            groups.append(AreaGroup(area_pk, area_name, []))
        cells = [
            Cell(pk, r.pk, by_cell.get((pk, r.pk), []), defaults[r.pk])  # type: ignore[arg-type]
            for r in columns
        ]
        groups[-1].rows.append(StationRow(pk, name, cells))
    return Grid(election, day, columns, groups, grid_days(election), pages, page)


def build_cell(election: Election, station: PollingStation, role: Role, day: date) -> Cell:
    """One cell (the details page): its shifts that day, two queries at most."""
    rows = day_shifts(election, day, station=station, role=role)
    default = tuple(timezone.localtime(t) for t in role_times(role, day))
    return Cell(station.pk, role.pk, [cell_shift(r) for r in rows], default)  # type: ignore[arg-type]
