"""Saving the seat grid: a whole day's grid (one number per station and role), or
one cell's details (its shifts with their teams and times), in one transaction.

The rules are those of the single-shift services (staffing.services.shifts),
whose helpers this module uses: a shift falls in its election's window
(``Shift.clean``), has at least one seat and ends after it starts; people who
would lose their seat, or whose shift's times change, are named and nothing is
done until the caller confirms (``PeopleAffected``); confirmed, they are taken
off with a notice, or told about the change; a change that would break a rule
for someone keeping their seat is refused outright. What is done in bulk here
is what a national grid needs to save in seconds: the shifts to change are
locked in one query, new shifts are written in one INSERT, seat changes in one
UPDATE per seat count, and the audit entries in one INSERT.

Lock order, as everywhere: the election row (grid saves of one election queue
behind each other, so that two coordinators cannot both fill an empty cell),
then the shifts (by id), then the volunteers and assignments of those who lose
their seats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.models import ActorKind, AuditEntry, User
from elections.models import Election, Role, Shift
from polling_stations.models import PollingStation
from staffing import grid, messaging
from staffing.models import Assignment
from staffing.rules import RuleViolation
from staffing.services.seats import _take_off
from staffing.services.shifts import (
    NOTICE_FIELDS,
    SHIFT_FIELDS,
    PeopleAffected,
    _affected,
    _losing_seats,
    _messages_follow_the_volunteer,
    _names,
    _rule_problems,
    update_shift,
)
from volunteers.models import Team, Volunteer

Key = Any  # what an error is about: (station id, role id) in the grid, a row on a cell's page
VIA = {"via": "seat grid"}


@dataclass(frozen=True)
class CellEdit:
    """A number typed in the grid: the seats wanted, and the seats the page showed
    (a cell someone else changed meanwhile is refused, not overwritten)."""

    station_id: int
    role_id: int
    was: int
    seats: int


@dataclass(frozen=True)
class ShiftSpec:
    """One row of a cell's details: an existing shift (``shift_id``) or a new one,
    as it should be. No seats on an existing shift: remove it."""

    key: Key
    shift_id: int | None
    capacity: int
    starts_at: datetime
    ends_at: datetime
    team_id: int | None


@dataclass(frozen=True)
class Effect:
    """What a save does to one person: loses their seat, or is told new times."""

    assignment_id: int
    volunteer: str
    station: str
    role: str
    starts_at: datetime
    ends_at: datetime
    kind: str  # LOSES_SEAT, SHIFT_REMOVED or TOLD
    reachable: bool  # a message can reach them (else the office calls)


LOSES_SEAT, SHIFT_REMOVED, TOLD = "loses_seat", "shift_removed", "told"


class GridRefused(RuleViolation):
    """Nothing was saved: ``errors`` says what is wrong, per cell (or row)."""

    def __init__(self, errors: dict[Key, list[str]]) -> None:
        count = len(errors)
        super().__init__(
            "grid_refused",
            ngettext(
                "Nothing was saved: %(count)d place needs attention.",
                "Nothing was saved: %(count)d places need attention.",
                count,
            )
            % {"count": count},
        )
        self.errors = errors


class SeatsHeld(PeopleAffected):
    """People hold seats the save would take, or are on shifts it would change:
    ``effects`` lists each of them; save again with ``confirm`` to carry it out."""

    def __init__(self, refusal: PeopleAffected, effects: list[Effect]) -> None:
        super().__init__(refusal.code, refusal.message, names=refusal.names)
        self.effects = effects

    @property
    def assignment_ids(self) -> list[int]:
        return sorted({e.assignment_id for e in self.effects})


@dataclass
class GridResult:
    created: int = 0
    resized: int = 0
    changed: int = 0  # times or team (each through update_shift)
    deleted: int = 0
    removed: list[Assignment] = field(default_factory=list)
    notified: list[Assignment] = field(default_factory=list)
    not_notified: list[Assignment] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return self.created + self.resized + self.changed + self.deleted


@dataclass
class _Plan:
    election: Election
    stations: dict[int, PollingStation]
    roles: dict[int, Role]
    create: list[tuple[Key, Shift]] = field(default_factory=list)
    resize: list[tuple[Key, Shift, int]] = field(default_factory=list)
    change: list[tuple[Key, Shift, dict[str, Any]]] = field(default_factory=list)
    delete: list[tuple[Key, Shift]] = field(default_factory=list)
    errors: dict[Key, list[str]] = field(default_factory=lambda: defaultdict(list))
    times: dict[int, tuple[datetime, datetime, list[str]]] = field(default_factory=dict)

    def refuse(self, key: Key, message: str) -> None:
        self.errors[key].append(message)


def _lock_election(election_id: int) -> Election:
    return Election.objects.select_for_update(no_key=True).get(pk=election_id)


def _lock_shifts(election: Election, day: date, **filters: Any) -> list[Shift]:
    """The election's shifts starting on ``day`` that match, locked (by id) in one query."""
    return list(
        Shift.objects.select_for_update(of=("self",), no_key=True)
        .filter(election=election, **filters)
        .on_day(day)
        .order_by("pk")
    )


def _stations(election: Election, ids: Iterable[int]) -> dict[int, PollingStation]:
    """The stations among ``ids`` that are on the election's grid."""
    return PollingStation.objects.filter(
        Q(area_id__in=election.areas.values("pk"))
        | Q(pk__in=Shift.objects.filter(election=election).values("station_id")),
        pk__in=set(ids),
    ).in_bulk()


def _attach(plan: _Plan, shift: Shift) -> Shift:
    """Point a shift at the rows already loaded (no query for str() or messages)."""
    shift.election = plan.election
    shift.station = plan.stations[shift.station_id]
    shift.role = plan.roles[shift.role_id]
    return shift


_CONSTRAINTS = {c.name: c for c in Shift._meta.constraints}


def _check_new(plan: _Plan, key: Key, shift: Shift) -> bool:
    """A new or changed shift's own rules, as ``Shift.full_clean`` has them but
    without a query per shift: its field values, the election's window
    (``Shift.clean``) and the two check constraints (which the database enforces
    too). The ids it points at were loaded by the caller."""
    problems: list[str] = []
    try:
        shift.clean_fields(exclude=["election", "station", "role", "team"])
        shift.clean()
    except ValidationError as error:
        problems += error.messages
    if shift.capacity is not None and shift.capacity <= 0:
        problems.append(_CONSTRAINTS["shift_capacity_positive"].get_violation_error_message())
    if shift.starts_at and shift.ends_at and shift.ends_at <= shift.starts_at:
        problems.append(_CONSTRAINTS["shift_ends_after_start"].get_violation_error_message())
    for problem in problems:
        plan.refuse(key, problem)
    return not problems


def _lock_holders(shifts: list[Shift]) -> dict[int, list[Assignment]]:
    """People holding seats on the (locked) shifts, as ``shifts._holders`` finds
    them for one: their volunteer rows, then their assignment rows locked (in
    that order, by id), read as they are now."""
    by_pk = {s.pk: s for s in shifts}
    ids = list(
        Assignment.objects.filter(shift_id__in=by_pk)
        .holding_seat()
        .values_list("pk", "volunteer_id")
    )
    found: dict[int, list[Assignment]] = {pk: [] for pk in by_pk}
    if not ids:
        return found
    list(
        Volunteer.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted({vid for _pk, vid in ids}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for assignment in (
        Assignment.objects.select_for_update(of=("self",))
        .filter(pk__in=[pk for pk, _vid in ids])
        .holding_seat()  # still: an expiry may have come first
        .select_related("volunteer")
        .order_by("pk")
    ):
        assignment.shift = by_pk[assignment.shift_id]
        found[assignment.shift_id].append(assignment)
    return found


def _effect(assignment: Assignment, kind: str) -> Effect:
    shift = assignment.shift
    return Effect(
        assignment_id=assignment.pk,
        volunteer=assignment.volunteer.full_name,
        station=shift.station.name,
        role=shift.role.name,
        starts_at=timezone.localtime(shift.starts_at),
        ends_at=timezone.localtime(shift.ends_at),
        kind=kind,
        reachable=messaging.may_message(assignment.volunteer, shift.election)
        and shift.starts_at > timezone.now(),
    )


def _confirmed(affected: set[int], confirm: bool | Collection[int]) -> bool:
    if confirm is True:
        return True
    if confirm is False:
        return not affected
    return affected <= set(confirm)


def _apply(plan: _Plan, *, by: User | None, confirm: bool | Collection[int]) -> GridResult:
    """Carry out a plan whose shifts are locked: refuse it whole if anything is
    wrong or people are affected unconfirmed; else write it."""
    # Seats to take: which shifts have more holders than seats left?
    cut = {s.pk: (key, s, seats) for key, s, seats in plan.resize if seats < s.capacity}
    cut |= {s.pk: (key, s, 0) for key, s in plan.delete}
    changes = {s.pk: (key, s, values) for key, s, values in plan.change}
    held = dict(
        Assignment.objects.filter(shift_id__in=[*cut, *changes])
        .holding_seat()
        .values("shift_id")
        .annotate(n=Count("pk"))
        .values_list("shift_id", "n")
    )
    short = [cut[pk][1] for pk in cut if held.get(pk, 0) > cut[pk][2]]
    short += [changes[pk][1] for pk in changes if held.get(pk, 0)]
    for shift in short:
        _attach(plan, shift)  # their people are named and told
    holders = _lock_holders(short) if short else {}
    losing: dict[int, list[Assignment]] = {}
    told: dict[int, list[Assignment]] = {}
    for pk, (_key, _shift, seats) in cut.items():
        if holders.get(pk):
            losing[pk] = _losing_seats(holders[pk], seats)
    for pk, (key, shift, values) in changes.items():
        new = _attach(plan, Shift(**{**_shift_values(shift), **values}))
        people = holders.get(pk, [])
        leaving = _losing_seats(people, new.capacity)
        keeping = [a for a in people if a not in leaving]
        if set(values) & {"starts_at", "ends_at", "team_id", "station_id", "role_id"}:
            for problem in _rule_problems(new, shift, keeping, by=by):
                plan.refuse(key, problem)
        losing[pk] = leaving
        if set(values) & {f if f in ("starts_at", "ends_at") else f"{f}_id" for f in NOTICE_FIELDS}:
            told[pk] = keeping
    if plan.errors:
        raise GridRefused(dict(plan.errors))
    all_losing = [a for people in losing.values() for a in people]
    all_told = [a for people in told.values() for a in people]
    affected = {a.pk for a in all_losing + all_told}
    if not _confirmed(affected, confirm):
        deleted = {s.pk for _key, s in plan.delete}
        effects = [
            _effect(a, SHIFT_REMOVED if a.shift_id in deleted else LOSES_SEAT) for a in all_losing
        ] + [_effect(a, TOLD) for a in all_told]
        raise SeatsHeld(_affected(all_losing, all_told), effects)
    return _write(plan, losing, by=by)


def _shift_values(shift: Shift) -> dict[str, Any]:
    return {
        "pk": shift.pk,
        "election": shift.election,
        "station_id": shift.station_id,
        "role_id": shift.role_id,
        "team_id": shift.team_id,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "capacity": shift.capacity,
    }


def _write(plan: _Plan, losing: dict[int, list[Assignment]], *, by: User | None) -> GridResult:
    result = GridResult()
    entries: list[AuditEntry] = []
    rows = _Rows(plan, by)
    changed = {s.pk for _key, s, _values in plan.change}
    deleted = {s.pk for _key, s in plan.delete}
    outcome: dict[int, dict[str, list[Assignment]]] = {}
    for pk, people in losing.items():
        if pk in changed:
            continue  # update_shift takes them off itself, below
        told = outcome.setdefault(pk, {"notified": [], "not_notified": []})
        reason = "shift deleted" if pk in deleted else "seats reduced"
        for assignment in people:
            sent = _take_off(assignment, by=by, reason=reason, action="staffing.remove")
            (told["notified"] if sent else told["not_notified"]).append(assignment)
            result.removed.append(assignment)
    for people in outcome.values():
        result.notified += people["notified"]
        result.not_notified += people["not_notified"]

    def detail(pk: int) -> dict[str, Any]:
        if pk not in losing:
            return VIA
        return {
            **VIA,
            "removed": _names(losing[pk]),
            "notified": _names(outcome[pk]["notified"]),
            "not_notified": _names(outcome[pk]["not_notified"]),
        }

    # Seats: one UPDATE per new seat count.
    by_seats: dict[int, list[int]] = defaultdict(list)
    for _key, shift, seats in plan.resize:
        by_seats[seats].append(shift.pk)
        rows.add(
            "staffing.update_shift",
            shift,
            changes={"capacity": [shift.capacity, seats]},
            detail=detail(shift.pk),
        )
    for seats, ids in by_seats.items():
        Shift.objects.filter(pk__in=ids).update(capacity=seats)
    result.resized = len(plan.resize)

    # New shifts: one INSERT (ids come back on PostgreSQL and SQLite).
    new = [shift for _key, shift in plan.create]
    _insert_shifts(new)
    for shift in new:
        rows.add("staffing.create_shift", shift, changes=rows.created(shift), detail=VIA)
    result.created = len(new)

    # Removed shifts: their history goes with them (messages stay, re-pointed at
    # the volunteer), the audit log keeps who was on them.
    if plan.delete:
        ids = [shift.pk for _key, shift in plan.delete]
        answers = dict(
            Assignment.objects.filter(shift_id__in=ids).values_list("pk", "volunteer_id")
        )
        per_shift = dict(
            Assignment.objects.filter(shift_id__in=ids)
            .values("shift_id")
            .annotate(n=Count("pk"))
            .values_list("shift_id", "n")
        )
        _messages_follow_the_volunteer(answers)
        for _key, shift in plan.delete:
            entries.append(
                audit.entry(
                    "staffing.delete_shift",
                    _attach(plan, shift),
                    by=by,
                    election_id=plan.election.pk,
                    changes={
                        name: [value, None]
                        for name, value in audit.snapshot(shift, SHIFT_FIELDS).items()
                    },
                    detail={**detail(shift.pk), "assignments_deleted": per_shift.get(shift.pk, 0)},
                )
            )
        Assignment.objects.filter(pk__in=list(answers)).delete()
        Shift.objects.filter(pk__in=ids).delete()
        result.deleted = len(ids)
    # One statement for every entry of the save (a COPY on PostgreSQL).
    audit.record_many(entries, rows=rows.rows)

    # Times or team: the single-shift service, confirmed (it was asked above),
    # tells those keeping their seats and audits the change itself.
    for _key, shift, values in plan.change:
        fields = {name.removesuffix("_id"): value for name, value in values.items()}
        if "team" in fields:
            fields["team"] = Team.objects.get(pk=fields["team"]) if fields["team"] else None
        change = update_shift(shift, by=by, confirm=True, **fields)
        result.removed += change.removed
        result.notified += change.notified
        result.not_notified += change.not_notified
    result.changed = len(plan.change)
    return result


class _Rows:
    """Audit entries of a big save as plain rows for ``audit.record_many`` (in
    ``audit.AUDIT_COLUMNS`` order): what ``audit.entry`` makes, for thousands of
    shifts without a model instance, a time-zone lookup or a query each: the same
    action names, object text, changes and detail."""

    def __init__(self, plan: _Plan, by: User | None) -> None:
        self.plan = plan
        self.at = timezone.now()
        self.actor = (
            (by.pk, ActorKind.STAFF.value, by.email)
            if by is not None
            else (None, ActorKind.SYSTEM.value, "")
        )
        self.tz = timezone.get_current_timezone()
        self.rows: list[audit.AuditRow] = []
        self._local: dict[datetime, datetime] = {}

    def local(self, moment: datetime) -> datetime:
        found = self._local.get(moment)
        if found is None:
            found = self._local[moment] = moment.astimezone(self.tz)
        return found

    def created(self, shift: Shift) -> dict[str, list[Any]]:
        """``audit.created(shift, SHIFT_FIELDS)``."""
        return {
            "election": [None, shift.election_id],
            "station": [None, shift.station_id],
            "role": [None, shift.role_id],
            "team": [None, shift.team_id],
            "starts_at": [None, self.local(shift.starts_at).isoformat()],
            "ends_at": [None, self.local(shift.ends_at).isoformat()],
            "capacity": [None, shift.capacity],
        }

    def add(self, action: str, shift: Shift, *, changes: dict, detail: dict) -> None:
        """One entry about ``shift`` (its ``str`` without looking anything up)."""
        role = self.plan.roles[shift.role_id]
        station = self.plan.stations[shift.station_id]
        text = f"{role} · {station} · {self.local(shift.starts_at):%Y-%m-%d %H:%M}"
        self.rows.append(
            (
                self.at,
                *self.actor,
                action,
                "elections.shift",
                shift.pk,
                text[:300],
                self.plan.election.pk,
                changes,
                detail,
                None,
            )
        )


_SHIFT_COLUMNS = ("election_id", "station_id", "role_id", "team_id", "starts_at", "ends_at")


def _insert_shifts(shifts: list[Shift]) -> None:
    """New shifts in one INSERT, their ids set. On PostgreSQL one INSERT … SELECT
    FROM unnest(…) RETURNING, with the values as arrays (Django's bulk_create
    prepares every value of 7,000 rows in Python); elsewhere bulk_create. The
    database checks its constraints either way."""
    if connection.vendor != "postgresql" or len(shifts) < 200:
        Shift.objects.bulk_create(shifts, batch_size=1000)
        return
    table = connection.ops.quote_name(Shift._meta.db_table)
    columns = [*_SHIFT_COLUMNS, "capacity"]
    types = ["bigint", "bigint", "bigint", "bigint", "timestamptz", "timestamptz", "integer"]
    arrays = [[getattr(s, name) for s in shifts] for name in columns]
    unnest = ", ".join(f"%s::{t}[]" for t in types)
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({unnest}) "  # noqa: S608
            f"WITH ORDINALITY AS new({names}, n) ORDER BY n RETURNING id",
            arrays,
        )
        ids = [row[0] for row in cursor.fetchall()]
    for shift, pk in zip(shifts, ids, strict=True):
        shift.pk = pk
        shift._state.adding = False


def save_grid(
    election: Election,
    day: date,
    edits: Iterable[CellEdit],
    *,
    by: User | None,
    confirm: bool | Collection[int] = False,
) -> GridResult:
    """Apply the numbers typed in the grid of ``election`` on ``day``.

    A cell with no shift gets one at the role's default times; a cell with one
    shift has it resized, or removed at 0; a cell with several shifts can only be
    emptied here (its details page changes them one by one). Refused whole
    (``GridRefused``, errors per (station id, role id)) if a cell changed since the
    page showed it, a new shift falls outside the election's window, or a station
    or role is not on the grid; refused with ``SeatsHeld`` if people would lose
    their seats, unless ``confirm`` is True or holds the ids of every assignment
    affected (what the coordinator was shown)."""
    edits = list(edits)
    with transaction.atomic():
        election = _lock_election(election.pk)
        plan = _Plan(
            election,
            _stations(election, [e.station_id for e in edits]),
            Role.objects.filter(pk__in={e.role_id for e in edits}).in_bulk(),
        )
        cells: dict[tuple[int, int], list[Shift]] = defaultdict(list)
        if edits:
            for shift in _lock_shifts(
                election,
                day,
                station_id__in={e.station_id for e in edits},
                role_id__in={e.role_id for e in edits},
            ):
                cells[(shift.station_id, shift.role_id)].append(shift)
        for edit in edits:
            _plan_cell(plan, day, edit, cells.get((edit.station_id, edit.role_id), []))
        return _apply(plan, by=by, confirm=confirm)


MAX_SEATS = 9999


def _role_times(plan: _Plan, role_id: int, day: date) -> tuple[datetime, datetime, list[str]]:
    """A role's default times on ``day``, and what is wrong with a new shift at
    them (``Shift.clean``: the election's window; they end after they start):
    worked out once per role, not once per cell."""
    found = plan.times.get(role_id)
    if found is None:
        starts_at, ends_at = grid.role_times(plan.roles[role_id], day)
        probe = Shift(
            election=plan.election,
            station_id=0,
            role_id=role_id,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=1,
        )
        checker = _Plan(plan.election, {}, {})
        _check_new(checker, None, probe)
        found = plan.times[role_id] = (starts_at, ends_at, checker.errors.get(None, []))
    return found


def _plan_cell(plan: _Plan, day: date, edit: CellEdit, shifts: list[Shift]) -> None:
    key = (edit.station_id, edit.role_id)
    if edit.station_id not in plan.stations or edit.role_id not in plan.roles:
        plan.refuse(key, _("This polling station or role is not on the grid."))
        return
    seats = sum(s.capacity for s in shifts)
    if edit.seats == seats:
        return
    if edit.seats < 0:
        plan.refuse(key, _("The number of seats cannot be negative."))
    elif seats != edit.was:
        plan.refuse(
            key,
            _("Someone changed this cell meanwhile: it has %(seats)d seats now.")
            % {"seats": seats},
        )
    elif edit.seats == 0:
        plan.delete += [(key, s) for s in shifts]
    elif edit.seats > MAX_SEATS:
        plan.refuse(key, _("At most %(max)d seats in one cell.") % {"max": MAX_SEATS})
    elif not shifts:
        starts_at, ends_at, problems = _role_times(plan, edit.role_id, day)
        for problem in problems:
            plan.refuse(key, problem)
        if not problems:
            shift = Shift(
                election_id=plan.election.pk,
                station_id=edit.station_id,
                role_id=edit.role_id,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=edit.seats,
            )
            plan.create.append((key, shift))
    elif len(shifts) == 1:
        plan.resize.append((key, shifts[0], edit.seats))
    else:
        plan.refuse(
            key,
            _("This cell has several shifts: change their seats on its details page."),
        )


def save_cell(
    election: Election,
    *,
    station: PollingStation,
    role: Role,
    day: date,
    version: str,
    specs: Iterable[ShiftSpec],
    by: User | None,
    confirm: bool | Collection[int] = False,
) -> GridResult:
    """Apply a cell's details: its shifts (seats, times, team; no seats removes
    one) and new ones. ``version`` is the cell as the page showed it
    (``grid.Cell.version``): if it changed meanwhile, nothing is saved. Refusals
    and confirmation as in ``save_grid``; errors are keyed by each spec's key."""
    specs = list(specs)
    with transaction.atomic():
        election = _lock_election(election.pk)
        plan = _Plan(election, _stations(election, [station.pk]), {role.pk: role})
        locked = _lock_shifts(election, day, station=station, role=role)
        shifts = {s.pk: _attach(plan, s) for s in locked}
        current = grid.Cell(
            station.pk, role.pk, [_as_cell_shift(s) for s in shifts.values()]
        ).version
        if station.pk not in plan.stations:
            plan.refuse(None, _("This polling station is not on the grid."))
        elif current != version:
            plan.refuse(
                None,
                _("Someone changed these shifts meanwhile. Here they are as they are now."),
            )
        teams = Team.objects.in_bulk({s.team_id for s in specs if s.team_id})
        for spec in specs if not plan.errors else []:
            if spec.team_id and spec.team_id not in teams:
                plan.refuse(spec.key, _("Choose a team from the list."))
                continue
            if spec.shift_id is None:
                _plan_new(plan, spec, station, role)
            elif spec.shift_id not in shifts:
                plan.refuse(spec.key, _("This shift is not in this cell."))
            else:
                _plan_existing(plan, spec, shifts[spec.shift_id])
        return _apply(plan, by=by, confirm=confirm)


def _as_cell_shift(shift: Shift) -> grid.CellShift:
    return grid.CellShift(
        pk=shift.pk,
        team_id=shift.team_id,
        team_name="",
        starts_at=timezone.localtime(shift.starts_at),
        ends_at=timezone.localtime(shift.ends_at),
        capacity=shift.capacity,
        held=0,
    )


def _plan_new(plan: _Plan, spec: ShiftSpec, station: PollingStation, role: Role) -> None:
    if spec.capacity <= 0:
        return
    shift = Shift(
        election=plan.election,
        station_id=station.pk,
        role_id=role.pk,
        team_id=spec.team_id,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        capacity=spec.capacity,
    )
    if _check_new(plan, spec.key, shift):
        plan.create.append((spec.key, shift))


def _plan_existing(plan: _Plan, spec: ShiftSpec, shift: Shift) -> None:
    if spec.capacity <= 0:
        plan.delete.append((spec.key, shift))
        return
    wanted = {
        "capacity": spec.capacity,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "team_id": spec.team_id,
    }
    values = {k: v for k, v in wanted.items() if getattr(shift, k) != v}
    if not values:
        return
    if set(values) == {"capacity"}:
        plan.resize.append((spec.key, shift, spec.capacity))
        return
    new = Shift(**{**_shift_values(shift), **values})
    if _check_new(plan, spec.key, _attach(plan, new)):
        plan.change.append((spec.key, shift, values))
