"""Realistic, deterministic data for one active election at a given scale.

    town      12 stations in 3 areas,     250 seats,     400 volunteers (the demo)
    city      50 stations in 10 areas,  3,000 seats,   6,000 volunteers (Copenhagen)
    national  1,400 stations, 92 areas, 60,000 seats, 100,000 volunteers (Denmark)

Everything is written with bulk_create in batches inside one transaction, so the
national scale takes well under a minute on SQLite and PostgreSQL. The data
bypasses staffing.services, so this module keeps the services' invariants
itself (the tests in tests/test_datagen.py check them):

- accepted/declined assignments have responded_at; invited ones don't;
- at most one assignment per (shift, volunteer), so at most one live one;
- a volunteer's live (invited/accepted) shifts never overlap in time;
- invited + accepted never exceed a shift's capacity;
- every volunteer is at least the role's min_age on the day of the shift;
- seats reserved for a team go to that team's members only;
- "do not contact" volunteers are never invited;
- contact details match the preferred channel; phones are valid DK numbers.

No Message or PersonalLink rows are made: nothing was ever sent for this data.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from bench import danish, people
from bench.scales import ROLES, SCALES, Scale, base_town
from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from staffing.models import Assignment
from volunteers.models import Skill, Team, Volunteer
from volunteers.search import trigram_index_rebuilt_after

BATCH = 2000
DEFAULT_SEED = 1849  # the year of the Danish constitution

# Seats every station has whatever its size: three party-nominated chairs, one
# secretary, one postal-vote receiver. The rest are poll clerks and counters.
CHAIRS_PER_STATION = 3
FIXED_SEATS = CHAIRS_PER_STATION + 2
CLERK_SHARE = 0.55
SPLIT_DAY_SHARE = 0.5  # stations that split the clerks into morning and afternoon
MORNING_END = time(14)
POSTAL_DAYS_BEFORE = 3

# Fill: per seat, held with the station's fill factor; a held seat is accepted
# with ACCEPTED_SHARE, otherwise still invited. Some volunteers declined.
STATION_FILL = (0.55, 1.0)
ACCEPTED_SHARE = 0.86
DECLINE_RATE = 0.12
MAX_TRIES = 600  # candidates looked at per seat before falling back to the whole pool


@dataclass
class Result:
    election: Election
    scale: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def lines(self) -> list[str]:
        c = self.counts
        seats = c["seats"] or 1
        return [
            f"{self.election.name} ({self.election.election_date.isoformat()}), scale {self.scale}",
            f"  {c['areas']} areas, {c['stations']} stations, {c['shifts']} shifts, "
            f"{c['seats']} seats, {c['volunteers']} volunteers",
            f"  assignments: {c['accepted']} accepted "
            f"({100 * c['accepted'] / seats:.0f}% of seats), "
            f"{c['invited']} invited, {c['declined']} declined; {c['vacant']} seats vacant",
            "  time: "
            + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
            + f" (total {self.seconds:.1f}s)",
        ]


class DataExists(Exception):
    """The scale's stations are already in the database."""


def default_election_name(scale: Scale, election_date: date) -> str:
    name = f"Folketingsvalg {election_date.year}"
    return f"{name} \N{EN DASH} {scale.label}" if scale.label else name


def existing_areas(scale: Scale) -> list[str]:
    return list(
        Area.objects.filter(name__in=[n for n, _ in scale.areas]).values_list("name", flat=True)
    )


def generate(
    scale: str | Scale,
    *,
    election_name: str | None = None,
    election_date: date | None = None,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    fill: float = 1.0,
    invited_by: User | None = None,
    progress: Callable[[str], None] | None = None,
    analyze: bool = True,
) -> Result:
    """Create one active election at ``scale`` with its stations, roles, teams,
    volunteers and assignments. Raises DataExists if the scale's areas exist."""
    spec = SCALES[scale] if isinstance(scale, str) else scale
    if found := existing_areas(spec):
        raise DataExists(
            f"The {spec.name} scale's areas already exist ({', '.join(found[:3])}…). "
            "Flush the Pollcrew data first or use another database."
        )
    election_date = election_date or timezone.localdate() + timedelta(days=30)
    generator = _Generator(
        spec,
        name=election_name or default_election_name(spec, election_date),
        election_date=election_date,
        rng=random.Random(f"{seed}:{spec.name}"),
        now=now or timezone.now(),
        fill=fill,
        invited_by=invited_by,
        progress=progress or (lambda _msg: None),
    )
    with transaction.atomic():
        result = generator.run()
    if analyze:
        # Fresh planner statistics, as autovacuum (PostgreSQL) would soon have
        # after a bulk load; without them the first queries get poor plans.
        started = clock.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result.timings["analyze"] = clock.perf_counter() - started
    return result


def flush_domain() -> dict[str, int]:
    """Delete all Pollcrew domain data (not staff users), children first, through
    the ORM so that cascades into other apps' tables are honoured."""
    from notifications.models import Message
    from staffing.models import PersonalLink

    deleted: dict[str, int] = {}
    with transaction.atomic():
        for model in (
            Message, PersonalLink, Assignment, Shift, Election, Volunteer.teams.through,
            Volunteer.skills.through, Volunteer, Team, Skill, PollingStation, Area, Role,
        ):  # fmt: skip
            count, _ = model.objects.all().delete()
            deleted[model._meta.label] = count
    return deleted


def age_on(birth: date, day: date) -> int:
    """Same rule as Volunteer.age_on."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, summing exactly."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class _ShiftInfo:
    station: int  # index into the station list
    area: int
    day: date
    start: float  # epoch seconds, for fast overlap checks
    end: float
    min_age: int
    team_id: int | None


class _Generator:
    def __init__(
        self,
        scale: Scale,
        *,
        name: str,
        election_date: date,
        rng: random.Random,
        now: datetime,
        fill: float,
        invited_by: User | None,
        progress: Callable[[str], None],
    ) -> None:
        self.scale = scale
        self.name = name
        self.day = election_date
        self.rng = rng
        self.now = now
        self.fill = fill
        self.invited_by_id = invited_by.pk if invited_by else None
        self.progress = progress
        self.tz = timezone.get_current_timezone()
        self.people = people.People(rng)
        self.result: Result | None = None

    def run(self) -> Result:
        steps = [
            ("reference", self.make_reference),
            ("stations", self.make_stations),
            ("shifts", self.make_shifts),
            ("volunteers", self.make_volunteers),
            ("assignments", self.make_assignments),
        ]
        timings: dict[str, float] = {}
        counts: dict[str, int] = {}
        for label, step in steps:
            started = clock.perf_counter()
            counts.update(step())
            timings[label] = clock.perf_counter() - started
            self.progress(f"{label}: {timings[label]:.1f}s")
        return Result(self.election, self.scale.name, counts, timings)

    # --- roles, teams, skills, the election --------------------------------------

    def make_reference(self) -> dict[str, int]:
        self.roles: dict[str, Role] = {}
        for spec in ROLES:
            self.roles[spec.key], _ = Role.objects.get_or_create(
                name=spec.name,
                defaults={
                    "short_name": spec.short_name,
                    "description": spec.description,
                    "default_start": spec.start,
                    "default_end": spec.end,
                    "pay": Decimal(spec.pay),
                    "min_age": spec.min_age,
                    "invite_only": spec.invite_only,
                    "sort_order": spec.sort_order,
                },
            )
        self.parties: list[Team] = []
        self.party_weights: list[int] = []
        for name, short, weight in danish.PARTIES:
            team, _ = Team.objects.get_or_create(
                name=name, defaults={"short_name": short, "kind": Team.Kind.PARTY}
            )
            self.parties.append(team)
            self.party_weights.append(weight)
        self.other_teams = {
            short: Team.objects.get_or_create(
                name=name, defaults={"short_name": short, "kind": kind}
            )[0]
            for name, short, kind in danish.OTHER_TEAMS
        }
        self.skills = [Skill.objects.get_or_create(name=name)[0] for name in danish.SKILLS]
        self.election = Election.objects.create(
            name=self.name,
            kind=Election.Kind.PARLIAMENTARY,
            election_date=self.day,
            status=Election.Status.ACTIVE,
            lock_days=3,
            response_days=7,
        )
        # The election was set up a month ago, before the invitations went out.
        Election.objects.filter(pk=self.election.pk).update(
            created_at=self.now - timedelta(days=30)
        )
        return {"roles": len(self.roles), "teams": len(self.parties) + len(self.other_teams)}

    # --- areas and stations ---------------------------------------------------------

    def make_stations(self) -> dict[str, int]:
        rng = self.rng
        areas = Area.objects.bulk_create(
            [Area(name=name, sort_order=i) for i, (name, _) in enumerate(self.scale.areas)]
        )
        self.election.areas.add(*areas)
        per_area = _largest_remainder(self.scale.stations, [1.0] * len(areas))
        self.stations: list[PollingStation] = []
        self.station_area: list[int] = []
        for a, (area, (_, towns), count) in enumerate(
            zip(areas, self.scale.areas, per_area, strict=True)
        ):
            used: set[str] = set()
            for k in range(count):
                code, city = towns[k % len(towns)]
                manager = self.people.name()
                self.stations.append(
                    PollingStation(
                        area=area,
                        name=self._station_name(base_town(city), used),
                        address=self.people.street_address(with_floor=False),
                        postal_code=code,
                        city=city,
                        capacity_note=rng.choice(danish.CAPACITY_NOTES).format(
                            booths=rng.randint(4, 12)
                        ),
                        manager_contact=f"{manager[0]} {manager[1]}, "
                        f"{people.pretty_phone(self.people.phone())}",
                    )
                )
                self.station_area.append(a)
        PollingStation.objects.bulk_create(self.stations, batch_size=BATCH)
        self.area_weights = per_area
        return {"areas": len(areas), "stations": len(self.stations)}

    def _station_name(self, town: str, used: set[str]) -> str:
        rng = self.rng
        for _ in range(60):
            if rng.random() < 0.8:
                name = rng.choice(danish.STATION_PREFIXES) + rng.choice(danish.STATION_KINDS)
                name = name[0].upper() + name[1:]
            else:
                name = rng.choice(danish.STATION_NAMED).format(town=town)
            if name not in used:
                used.add(name)
                return name
        name = f"{town} Skole {len(used) + 1}"  # pragma: no cover - 1,400+ combinations
        used.add(name)
        return name

    # --- shifts ---------------------------------------------------------------------

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz)

    def _span(self, key: str, start: time | None = None, end: time | None = None,
              day: date | None = None) -> tuple[datetime, datetime]:  # fmt: skip
        role = self.roles[key]
        day = day or self.day
        starts = self._at(day, start or role.default_start)
        end_time = end or role.default_end
        ends = self._at(day + timedelta(days=1) if end_time <= (start or role.default_start)
                        else day, end_time)  # fmt: skip
        return starts, ends

    def make_shifts(self) -> dict[str, int]:
        rng = self.rng
        variable = self.scale.seats - FIXED_SEATS * len(self.stations)
        sizes = _largest_remainder(variable, [rng.uniform(0.6, 1.4) for _ in self.stations])
        self.station_fill = [
            min(1.0, rng.uniform(*STATION_FILL) * self.fill) for _ in self.stations
        ]
        postal_day = self.day - timedelta(days=POSTAL_DAYS_BEFORE)
        shifts: list[Shift] = []
        self.shift_info: list[_ShiftInfo] = []

        def add(i: int, key: str, span: tuple[datetime, datetime], seats: int,
                team: Team | None = None) -> None:  # fmt: skip
            role = self.roles[key]
            shifts.append(
                Shift(election=self.election, station=self.stations[i], role=role, team=team,
                      starts_at=span[0], ends_at=span[1], capacity=seats)
            )  # fmt: skip
            self.shift_info.append(
                _ShiftInfo(
                    station=i,
                    area=self.station_area[i],
                    day=span[0].date(),
                    start=span[0].timestamp(),
                    end=span[1].timestamp(),
                    min_age=role.min_age,
                    team_id=team.pk if team else None,
                )
            )

        for i, size in enumerate(sizes):
            for party in self._sample_parties(CHAIRS_PER_STATION):
                add(i, "chair", self._span("chair"), 1, party)
            add(i, "secretary", self._span("secretary"), 1)
            add(i, "postal", self._span("postal", day=postal_day), 1)
            clerks = max(1, round(size * CLERK_SHARE))
            counters = max(1, size - clerks)
            if clerks >= 2 and rng.random() < SPLIT_DAY_SHARE:
                morning = (clerks + 1) // 2
                add(i, "clerk", self._span("clerk", end=MORNING_END), morning)
                add(i, "clerk", self._span("clerk", start=MORNING_END), clerks - morning)
            else:
                add(i, "clerk", self._span("clerk"), clerks)
            add(i, "counter", self._span("counter"), counters)
        self.shifts = Shift.objects.bulk_create(shifts, batch_size=BATCH)
        return {"shifts": len(shifts), "seats": sum(s.capacity for s in shifts)}

    def _sample_parties(self, k: int) -> list[Team]:
        chosen: list[Team] = []
        while len(chosen) < k:
            party = self.rng.choices(self.parties, weights=self.party_weights)[0]
            if party not in chosen:
                chosen.append(party)
        return chosen

    # --- volunteers -----------------------------------------------------------------

    def make_volunteers(self) -> dict[str, int]:
        rng = self.rng
        areas = len(self.scale.areas)
        cum = list(accumulate(self.area_weights))
        volunteers: list[Volunteer] = []
        self.birth: list[date] = []
        self.vol_area: list[int] = []
        self.dnc: list[bool] = []
        memberships: list[tuple[int, int]] = []  # (volunteer index, team id)
        skills: list[tuple[int, int]] = []
        for i in range(self.scale.volunteers):
            a = rng.choices(range(areas), cum_weights=cum)[0]
            first, last = self.people.name()
            birth = self.people.birth_date(self.day)
            code, city = rng.choice(self.scale.areas[a][1])
            sms = rng.random() < 0.62
            phone = email = ""
            if sms or rng.random() < 0.55:
                phone = self.people.phone()
            if not sms or rng.random() < 0.7:
                email = self.people.email(first, last, birth)
            dnc = rng.random() < 0.01
            volunteers.append(
                Volunteer(
                    first_name=first,
                    last_name=last,
                    email=email,
                    phone=phone,
                    birth_date=birth,
                    address=self.people.street_address(),
                    postal_code=code,
                    city=city,
                    language="en" if rng.random() < 0.07 else "da",
                    preferred_channel="sms" if sms else "email",
                    diet=rng.choice(danish.DIETS) if rng.random() < 0.12 else "",
                    do_not_contact=dnc,
                    notes=rng.choice(danish.NOTES) if rng.random() < 0.04 else "",
                )
            )
            self.birth.append(birth)
            self.vol_area.append(a)
            self.dnc.append(dnc)
            age = age_on(birth, self.day)
            if age >= 18 and rng.random() < 0.18:
                memberships.append((i, _weighted_team(rng, self.parties, self.party_weights)))
            if age >= 18 and rng.random() < 0.03:
                memberships.append((i, self.other_teams["BS"].pk))
            if age < 30 and rng.random() < 0.15:
                memberships.append((i, self.other_teams["UNG"].pk))
            if age >= 65 and rng.random() < 0.08:
                memberships.append((i, self.other_teams["ÆS"].pk))
            if rng.random() < 0.25:
                for skill in rng.sample(self.skills, rng.choice((1, 1, 2))):
                    skills.append((i, skill.pk))
        with trigram_index_rebuilt_after(connection):  # built once, after the load
            created = Volunteer.objects.bulk_create(volunteers, batch_size=BATCH)
        self.vol_ids = [v.pk for v in created]
        Teams = Volunteer.teams.through
        Teams.objects.bulk_create(
            [Teams(volunteer_id=self.vol_ids[i], team_id=t) for i, t in memberships],
            batch_size=BATCH,
        )
        Skills = Volunteer.skills.through
        Skills.objects.bulk_create(
            [Skills(volunteer_id=self.vol_ids[i], skill_id=s) for i, s in skills],
            batch_size=BATCH,
        )
        self.members: dict[int, list[int]] = {}
        for i, team_id in memberships:
            self.members.setdefault(team_id, []).append(i)
        return {"volunteers": len(volunteers), "memberships": len(memberships)}

    # --- assignments ----------------------------------------------------------------

    def make_assignments(self) -> dict[str, int]:
        rng = self.rng
        everyone = list(range(len(self.vol_ids)))
        rng.shuffle(everyone)
        pools: dict[object, list[int]] = {"all": everyone}
        for i in everyone:
            pools.setdefault(("area", self.vol_area[i]), []).append(i)
        for team_id, members in self.members.items():
            shuffled = members[:]
            rng.shuffle(shuffled)
            pools[("team", team_id)] = shuffled
            for i in shuffled:
                pools.setdefault(("team", team_id, self.vol_area[i]), []).append(i)
        self.pools = pools
        self.cursors: dict[object, int] = {}
        self.busy: dict[int, list[tuple[float, float]]] = {}
        counts = {"accepted": 0, "invited": 0, "declined": 0, "vacant": 0}
        batch: list[Assignment] = []
        for shift, info in zip(self.shifts, self.shift_info, strict=True):
            factor = self.station_fill[info.station]
            taken: set[int] = set()
            statuses = [
                Assignment.Status.ACCEPTED if rng.random() < ACCEPTED_SHARE
                else Assignment.Status.INVITED
                for _ in range(shift.capacity) if rng.random() < factor
            ]  # fmt: skip
            statuses += [
                Assignment.Status.DECLINED for _ in range(shift.capacity)
                if rng.random() < DECLINE_RATE
            ]  # fmt: skip
            held = 0
            for status in statuses:
                live = status != Assignment.Status.DECLINED
                v = self._pick(info, taken, live)
                if v is None:
                    continue
                taken.add(v)
                if live:
                    self.busy.setdefault(v, []).append((info.start, info.end))
                    held += 1
                batch.append(self._assignment(shift, v, status))
                counts[status] += 1
            counts["vacant"] += shift.capacity - held
            if len(batch) >= BATCH * 5:
                Assignment.objects.bulk_create(batch, batch_size=BATCH)
                batch = []
        Assignment.objects.bulk_create(batch, batch_size=BATCH)
        counts["assignments"] = counts["accepted"] + counts["invited"] + counts["declined"]
        return counts

    def _pick(self, info: _ShiftInfo, taken: set[int], live: bool) -> int | None:
        """The next eligible volunteer, preferring people from the station's area."""
        if info.team_id is not None:
            keys: tuple[object, ...] = (("team", info.team_id, info.area), ("team", info.team_id))
        else:
            keys = (("area", info.area), "all")
        for key in keys:
            pool = self.pools.get(key)
            if not pool:
                continue
            start = self.cursors.get(key, 0)
            size = len(pool)
            for step in range(min(size, MAX_TRIES)):
                v = pool[(start + step) % size]
                if self._eligible(v, info, taken, live):
                    self.cursors[key] = (start + step + 1) % size
                    return v
        return None

    def _eligible(self, v: int, info: _ShiftInfo, taken: set[int], live: bool) -> bool:
        if self.dnc[v] or v in taken or age_on(self.birth[v], info.day) < info.min_age:
            return False
        if live:
            for start, end in self.busy.get(v, ()):
                if start < info.end and info.start < end:
                    return False
        return True

    def _assignment(self, shift: Shift, v: int, status: str) -> Assignment:
        rng = self.rng
        if status == Assignment.Status.INVITED:
            # Recent enough that the response_days sweep doesn't expire it at once.
            invited_at = self.now - timedelta(seconds=rng.uniform(3600, 5 * 86400))
            responded_at = None
        else:
            invited_at = self.now - timedelta(seconds=rng.uniform(2 * 86400, 20 * 86400))
            waited = min(3 * 86400.0, (self.now - invited_at).total_seconds() - 60)
            responded_at = invited_at + timedelta(seconds=rng.uniform(600, waited))
        return Assignment(
            shift=shift,
            volunteer_id=self.vol_ids[v],
            status=status,
            invited_at=invited_at,
            invited_by_id=self.invited_by_id,
            responded_at=responded_at,
            reason=rng.choice(danish.DECLINE_REASONS)
            if status == Assignment.Status.DECLINED
            else "",
        )


def _weighted_team(rng: random.Random, teams: Sequence[Team], weights: Sequence[int]) -> int:
    return rng.choices(teams, weights=weights)[0].pk
