"""The seat-grid read model: for an election and a day, every polling station of
the election's areas (rows, grouped by area) by every role (columns), and in each
cell the shifts of that station and role starting that day, with the seats they
have and how many are held.

Four queries whatever the size: the roles, the stations (with their areas), the
day's shifts with their teams and held seats, and the days that have shifts.
Rows and columns are plain values, not model instances, and the shifts' times
are read as numbers, so that the whole national grid (1,400 stations by 5 roles,
10,000 shifts) is cheap to build and to render on one page.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import BigIntegerField, F, Func, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from elections import window
from elections.models import Election, Role, Shift
from pollcrew.collation import danish_key
from polling_stations.models import PollingStation


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


class CellShift(NamedTuple):
    """A shift of a cell (a named tuple: 10,000 of them are made for a national
    grid, faster than dataclass instances)."""

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


@dataclass(slots=True)
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


@dataclass
class Grid:
    """The whole grid of a day (or of one area): every station row, grouped by
    area, by every role."""

    election: Election
    day: date
    roles: list[Role]
    groups: list[AreaGroup]
    days: list[date]  # election day and every day with shifts, in order
    role_seats: dict[int, int]  # seats per role over the grid's cells

    def cells(self) -> dict[tuple[int, int], Cell]:
        return {(c.station_id, c.role_id): c for g in self.groups for r in g.rows for c in r.cells}

    @property
    def station_ids(self) -> set[int]:
        return {r.pk for g in self.groups for r in g.rows}

    @property
    def column_totals(self) -> list[int]:
        return [self.role_seats[r.pk] for r in self.roles]

    @property
    def total(self) -> int:
        return sum(self.column_totals)

    @property
    def size(self) -> int:
        return sum(len(g.rows) for g in self.groups) * len(self.roles)


_held_off = 0  # requests holding the collector off now
_was_enabled = True
_held_off_lock = threading.Lock()


@contextmanager
def collector_held_off() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a whole grid is built
    and rendered (a view decorated with it: until the view has returned).

    A national grid is ~40,000 small objects alive until the page is made.
    With the collector on, they set off a full collection, a walk over every
    object of the process (Django's ~125,000), in nearly every request: ~65 ms
    of CPU in a ~155 ms render (bench/README.md). They hold no reference
    cycles, so reference counting frees them when the view returns, and the
    collector runs again afterwards as usual."""
    global _held_off, _was_enabled
    with _held_off_lock:
        if _held_off == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _held_off += 1
    try:
        yield
    finally:
        with _held_off_lock:
            _held_off -= 1
            if _held_off == 0 and _was_enabled:
                gc.enable()


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


class EpochSeconds(Func):
    """A timestamp as whole seconds since 1970 (UTC). The grid reads its shifts'
    times as numbers: Django parses a timestamp from PostgreSQL in Python, about
    10 µs each, a fifth of a second for the 20,000 times of a national grid."""

    output_field = BigIntegerField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps the UTC time as text: strftime's "%s" reads it as seconds
        # (written "%%s" in the SQL, where a lone "%s" is a parameter).
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS integer)"
        )


def day_shifts(
    election: Election, day: date, *, exact: bool = False, **filters: object
) -> list[tuple]:
    """The election's shifts starting on ``day`` (local): one query, one tuple
    per shift: (pk, station id, role id, team id, team name, capacity, starts,
    ends, seats held). The times are whole seconds since 1970, or with
    ``exact`` the timestamps themselves (a cell's details, whose version must
    match the shifts to the microsecond)."""
    query = (
        Shift.objects.filter(election=election, **filters)
        .on_day(day)
        .annotate(
            starts=F("starts_at") if exact else EpochSeconds("starts_at"),
            ends=F("ends_at") if exact else EpochSeconds("ends_at"),
            # Held seats as the database counts them (staffing.counters: the
            # shift's SeatFill row), not counted from the assignments here.
            held=Coalesce(F("seat_fill__invited") + F("seat_fill__accepted"), 0),
        )
        .order_by(*(("starts_at", "pk") if exact else ()))  # build() sorts what it needs
        # Fields first, then the annotations in the order they were made: the
        # order of the columns in the SQL, read below as they are.
        .values_list(
            "pk",
            "station_id",
            "role_id",
            "team_id",
            "team__name",
            "capacity",
            "starts",
            "ends",
            "held",
        )
    )
    if exact:
        return list(query)
    # Straight from the database cursor: the values are numbers and a name
    # already, and Django's converters (one call per value) would cost more
    # than the query itself at national scale.
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class LocalTimes(dict[int, datetime]):
    """Seconds since 1970 as local times, each made once: the shifts of a day
    mostly share a few times."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.tz = tz or timezone.get_current_timezone()

    def __missing__(self, seconds: int) -> datetime:
        found = self[seconds] = datetime.fromtimestamp(seconds, self.tz)
        return found


def grid_days(election: Election) -> list[date]:
    """Election day and every day the election has shifts on."""
    return sorted({election.election_date, *Shift.objects.filter(election=election).local_days()})


def build(election: Election, day: date, *, area_id: int | None = None) -> Grid:
    """The whole grid of ``election`` on ``day`` (or one area's stations only)."""
    columns = roles()
    times = LocalTimes()
    # The roles' times as the same objects as the shifts' times (compared per cell).
    defaults = {r.pk: tuple(times[int(t.timestamp())] for t in role_times(r, day)) for r in columns}
    stations = stations_of(election)
    if area_id is not None:
        stations = [s for s in stations if s[2] == area_id]
    # Each area's and each station's Danish sort key made once.
    area_keys = {s[2]: (s[4], danish_key(s[3]), s[2]) for s in stations}
    stations.sort(key=lambda s: (area_keys[s[2]], s[5], danish_key(s[1]), s[0]))
    filters = {"station__area_id": area_id} if area_id is not None else {}
    by_cell: dict[tuple[int, int], list[CellShift]] = {}
    role_seats = dict.fromkeys(defaults, 0)  # every shift fetched is in a cell of the grid
    for pk, station, role, team_id, team_name, capacity, starts, ends, held in day_shifts(
        election, day, **filters
    ):
        shift = CellShift(pk, team_id, team_name or "", times[starts], times[ends], capacity, held)
        found = by_cell.get((station, role))
        if found is None:
            by_cell[(station, role)] = [shift]
        else:
            found.append(shift)
        role_seats[role] += capacity
    for shifts in by_cell.values():
        if len(shifts) > 1:  # in the order they start (unordered from the database)
            shifts.sort(key=lambda s: (s.starts_at, s.pk))
    groups: list[AreaGroup] = []
    role_defaults = [(r.pk, defaults[r.pk]) for r in columns]
    get = by_cell.get
    for pk, name, area_pk, area_name, _area_order, _order in stations:
        if not groups or groups[-1].pk != area_pk:
            groups.append(AreaGroup(area_pk, area_name, []))
        cells = [
            Cell(pk, role_pk, get((pk, role_pk)) or [], default)  # type: ignore[arg-type]
            for role_pk, default in role_defaults
        ]
        groups[-1].rows.append(StationRow(pk, name, cells))
    return Grid(election, day, columns, groups, grid_days(election), role_seats)


def build_cell(election: Election, station: PollingStation, role: Role, day: date) -> Cell:
    """One cell (the details page): its shifts that day, one query."""
    tz = timezone.get_current_timezone()
    shifts = [
        CellShift(pk, team_id, team_name or "", starts.astimezone(tz), ends.astimezone(tz), n, held)
        for pk, _s, _r, team_id, team_name, n, starts, ends, held in day_shifts(
            election, day, exact=True, station=station, role=role
        )
    ]
    default = tuple(timezone.localtime(t) for t in role_times(role, day))
    return Cell(station.pk, role.pk, shifts, default)  # type: ignore[arg-type]
