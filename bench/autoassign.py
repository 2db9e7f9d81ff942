"""Benchmark auto-assign (issue 12): a proposal for every open seat of an
election at city or national scale, against the greedy baseline, with the
solver's bounds, the seconds per phase and the peak memory.

    createdb -h 127.0.0.1 -U postgres pc_aa_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_aa_bench \\
        .venv/bin/python -m bench.autoassign --scale national --runs 3
    ... --reuse           keep the generated data of an earlier run
    ... --time-limit 30   the solver's limit (seconds, default 30)
    ... --check-bounds    also the seat and wish bounds computed here, per model
    ... --diagnose 48 [--mip]   the solver's models one by one: LP times, fractions
    ... --trace 2         solver.solve on 2 threads, each model's stages timed

The data is bench.datagen's election (stations, shifts with party reservations,
volunteers with teams), generated with few seats held (``KEEP_FILL``: about 5 %
of the seats held, most of them accepted, plus datagen's declines), so that the
proposal covers nearly every seat; then ``add_autoassign_data`` adds, in bulk,
what auto-assign reads:

- positions for every postal code in use and every station (synthetic: see
  ``_positions``), so that "near home" and the nearest stations can be measured;
- the chair training (required of Valgstyrer) and three languages held by a
  realistic share of the volunteers;
- a previous election (about two years earlier) in which about 30 % of the
  volunteers held an accepted seat at a station near them, so that "same station
  and role as last election" and "experience" count;
- preferences for about half of the volunteers: a preferred station or area
  near them, near home, only one of the election's days, a role wanted or (5 %)
  refused, a few who take two shifts, a few who cannot help this time;
- two seat rules: at least 1 English speaker per station, at most 2 chairs from
  one party per station.

Then ``manage.py auto_assign --election ID --dry-run --json --time-limit S`` is run
N times, each in a fresh process (so that its peak memory, ru_maxrss, is the
job's own), and once without --dry-run (the proposal saved, for the total time
with saving). It prints one table row per run; results also go to
bench/results/autoassign-<database>-<scale>.json (not committed).
Targets (issue 12): national ≤ 30 s, city ≤ 3 s, the seat count optimal (filled
= the seat bound), the wish score within 1 % of the bound.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import Any

from bench.coordinator_page import BASE_DIR, RESULTS_DIR, SCALES, configure_django

KEEP_FILL = 0.065  # datagen's fill: about 5 % of the current election's seats held
TARGET_SECONDS = {"town": 3.0, "city": 3.0, "national": 30.0}

# --- synthetic geography ------------------------------------------------------------
# Made-up positions, not the real places: the areas are laid out on a grid,
# AREA_SPACING_KM apart (north-south and east-west), starting in the south-west
# corner below. An area's postal codes lie within POSTAL_RADIUS_KM of its centre
# and each station within STATION_RADIUS_KM of its postal code's centre, so two
# areas' places are always more than 25 km (auto-assign's default farthest
# distance) apart: people are proposed within their own area, as in a real
# country where the nomination districts are apart.
ORIGIN = (54.6, 8.1)
AREA_SPACING_KM = 45.0
POSTAL_RADIUS_KM = 4.0
STATION_RADIUS_KM = 1.5
KM_PER_DEGREE = 111.2

# --- skills -------------------------------------------------------------------------
CHAIR_ROLE = "Valgstyrer"
CHAIR_TRAINING = "Valgstyrerkursus"
# Shares of the volunteers given each language here (datagen gives every skill of
# danish.SKILLS, these included, to about 3.6 % already).
LANGUAGES = {"Engelsk": 0.18, "Arabisk": 0.02, "Polsk": 0.01}
RULE_LANGUAGE = "Engelsk"
TRAINED_PARTY_SHARE = 0.6  # party members (chairs' seats are party seats)
TRAINED_OTHER_SHARE = 0.02

# --- the previous election ----------------------------------------------------------
PREVIOUS_DAYS_BEFORE = 2 * 365
PREVIOUS_SHARE = 0.30  # of the volunteers, with an accepted seat last time
PARTY_TO_CHAIR = 0.7  # of the party members among them: on their party's chair seat

# --- preferences (shares of the volunteers with a Preference row) --------------------
PREFERENCE_SHARE = 0.5
UNAVAILABLE = 0.02
PREFERRED_STATION = 0.35
PREFERRED_AREA = 0.20  # of those without a preferred station
NEAR_HOME = 0.5
ONE_DAY_ONLY = 0.25  # when the election has several days
WANTED_ROLE = 0.2
REFUSED_ROLE = 0.05
TWO_SHIFTS = 0.03


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.autoassign",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="national")
    parser.add_argument("--runs", type=int, default=3, help="dry runs, each in a fresh process")
    parser.add_argument("--time-limit", type=int, default=30, help="the solver's limit (s)")
    parser.add_argument("--reuse", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--diagnose",
        type=int,
        metavar="MODELS",
        help="instead of the runs: the solver's first MODELS models one by one, timed",
    )
    parser.add_argument(
        "--trace",
        type=int,
        metavar="THREADS",
        help="instead of the runs: solver.solve on THREADS threads with each stage timed",
    )
    parser.add_argument(
        "--check-bounds",
        action="store_true",
        help="also compute the seat and wish bounds independently (LP per model) and "
        "compare each run with them",
    )
    parser.add_argument("--mip", action="store_true", help="with --diagnose: also branch and bound")
    parser.add_argument(
        "--no-save-run", action="store_true", help="skip the run that saves the proposal"
    )
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------
# The data


def add_autoassign_data(election: Any, *, seed: int = 1849) -> dict[str, int]:
    """Add what auto-assign reads to a datagen election (see the module's text).
    Bulk inserts in one transaction; returns counts of what was added."""
    from django.db import transaction

    rng = random.Random(f"{seed}:autoassign")
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts.update(_positions(election, rng))
        previous, prev_counts = _previous_election(election, rng)
        counts.update(prev_counts)
        counts.update(_skills(election, previous, rng))
        counts.update(_preferences(election, rng))
        counts.update(_rules(election))
    return counts


def _station_rows(election: Any) -> list[tuple[int, int, str, str]]:
    from polling_stations.models import PollingStation

    return list(
        PollingStation.objects.filter(shifts__election=election)
        .distinct()
        .order_by("area__sort_order", "area_id", "pk")
        .values_list("pk", "area_id", "postal_code", "city")
    )


def _offset(lat: float, lon: float, rng: random.Random, radius_km: float) -> tuple[float, float]:
    """A point uniformly within ``radius_km`` of (lat, lon)."""
    r = radius_km * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    dlat = r * math.sin(angle) / KM_PER_DEGREE
    dlon = r * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _positions(election: Any, rng: random.Random) -> dict[str, int]:
    """Synthetic positions (see the constants above) of the postal codes the
    volunteers and stations use, and of the stations."""
    from polling_stations.models import PollingStation, PostalCode
    from volunteers.models import Volunteer

    stations = _station_rows(election)
    areas = list(dict.fromkeys(a for _s, a, _c, _n in stations))
    columns = max(1, math.ceil(math.sqrt(len(areas))))
    centre: dict[int, tuple[float, float]] = {}
    for i, area in enumerate(areas):
        row, col = divmod(i, columns)
        lat = ORIGIN[0] + row * AREA_SPACING_KM / KM_PER_DEGREE
        lon = ORIGIN[1] + col * AREA_SPACING_KM / (KM_PER_DEGREE * math.cos(math.radians(lat)))
        centre[area] = (lat, lon)
    code_area: dict[str, int] = {}
    names: dict[str, str] = {}
    for _s, area, code, city in stations:
        code_area.setdefault(code, area)
        names.setdefault(code, city)
    # A postal code no station has (a volunteer's): an area picked by the code.
    for code, city in Volunteer.objects.values_list("postal_code", "city").distinct():
        if code and code not in code_area and areas:
            code_area[code] = areas[sum(map(ord, code)) % len(areas)]
        if code:
            names.setdefault(code, city)
    positions = {
        code: _offset(*centre[area], rng, POSTAL_RADIUS_KM)
        for code, area in sorted(code_area.items())
    }
    PostalCode.objects.bulk_create(
        [
            PostalCode(code=code, name=names.get(code, "")[:100], latitude=lat, longitude=lon)
            for code, (lat, lon) in positions.items()
        ],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "latitude", "longitude"],
        batch_size=2000,
    )
    updated = []
    for pk, area, code, _city in stations:
        # A station whose postal code is placed in another area (a code shared by
        # two areas) stands near its own area's centre.
        base = positions[code] if code_area.get(code) == area else centre[area]
        lat, lon = _offset(*base, rng, STATION_RADIUS_KM)
        updated.append(PollingStation(pk=pk, latitude=lat, longitude=lon))
    PollingStation.objects.bulk_update(updated, ["latitude", "longitude"], batch_size=500)
    return {"postal_codes": len(positions), "stations_placed": len(updated)}


def _people(election: Any) -> list[tuple[int, str, date]]:
    from volunteers.models import Volunteer

    return list(
        Volunteer.objects.filter(do_not_contact=False)
        .order_by("pk")
        .values_list("pk", "postal_code", "birth_date")
    )


def _teams_of() -> dict[int, set[int]]:
    from volunteers.models import Volunteer

    out: dict[int, set[int]] = defaultdict(set)
    for v, t in Volunteer.teams.through.objects.values_list("volunteer_id", "team_id"):
        out[v].add(t)
    return out


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _previous_election(election: Any, rng: random.Random) -> tuple[Any, dict[str, int]]:
    """The election before this one (same stations and seats, about two years
    earlier, closed), in which PREVIOUS_SHARE of the volunteers held an accepted
    seat at a station of their postal code (else of their area)."""
    from django.utils import timezone

    from elections.models import Election, Shift
    from staffing.models import Assignment
    from volunteers.models import Team

    day = election.election_date - timedelta(days=PREVIOUS_DAYS_BEFORE)
    delta = election.election_date - day
    previous = Election.objects.create(
        name=f"Kommunal- og regionsrådsvalg {day.year} ({election.name})"[:200],
        kind=Election.Kind.MUNICIPAL_REGIONAL,
        election_date=day,
        status=Election.Status.CLOSED,
        lock_days=3,
        response_days=7,
    )
    previous.areas.add(*election.areas.all())
    current = list(
        Shift.objects.filter(election=election)
        .order_by("pk")
        .values_list("station_id", "role_id", "team_id", "starts_at", "ends_at", "capacity")
    )
    made = Shift.objects.bulk_create(
        [
            Shift(
                election=previous,
                station_id=st,
                role_id=role,
                team_id=team,
                starts_at=starts - delta,
                ends_at=ends - delta,
                capacity=capacity,
            )
            for st, role, team, starts, ends, capacity in current
        ],
        batch_size=2000,
    )
    from elections.models import Role

    min_age = dict(Role.objects.values_list("pk", "min_age"))
    chair = Role.objects.filter(name=CHAIR_ROLE).values_list("pk", flat=True).first()
    parties = set(Team.objects.filter(kind=Team.Kind.PARTY).values_list("pk", flat=True))
    station_shifts: dict[int, list[list]] = defaultdict(list)
    for shift, (st, role, team, _s, _e, capacity) in zip(made, current, strict=True):
        station_shifts[st].append([shift.pk, role, team, capacity, shift.starts_at.date()])
    stations = _station_rows(election)
    by_code: dict[str, list[int]] = defaultdict(list)
    by_area: dict[int, list[int]] = defaultdict(list)
    area_of_code: dict[str, int] = {}
    for pk, area, code, _city in stations:
        by_code[code].append(pk)
        by_area[area].append(pk)
        area_of_code.setdefault(code, area)
    teams = _teams_of()
    people = _people(election)
    rng.shuffle(people)
    chosen = people[: round(PREVIOUS_SHARE * len(people))]
    rows = []
    for v, code, birth in chosen:
        near = list(by_code.get(code, ()))
        rng.shuffle(near)
        others = list(by_area.get(area_of_code.get(code, -1), ()))
        rng.shuffle(others)
        party = teams.get(v, set()) & parties
        wishes = (True, False) if party and rng.random() < PARTY_TO_CHAIR else (False,)
        seat = None
        for want_chair in wishes:
            for st in (near + others)[:12]:
                options = [
                    s
                    for s in station_shifts[st]
                    if s[3] > 0
                    and (s[2] is None or s[2] in teams.get(v, ()))
                    and (s[1] == chair) == want_chair
                    and _age_on(birth, s[4]) >= min_age[s[1]]
                ]
                if options:
                    seat = rng.choice(options)
                    break
            if seat is not None:
                break
        if seat is None:
            continue
        seat[3] -= 1
        responded = timezone.make_aware(
            datetime.combine(day - timedelta(days=rng.randint(10, 40)), time_of_day(12))
        )
        rows.append(
            Assignment(
                shift_id=seat[0],
                volunteer_id=v,
                status=Assignment.Status.ACCEPTED,
                invited_at=responded - timedelta(hours=rng.randint(2, 72)),
                responded_at=responded,
            )
        )
    Assignment.objects.bulk_create(rows, batch_size=2000)
    return previous, {"previous_shifts": len(made), "previous_seats_held": len(rows)}


def _skills(election: Any, previous: Any, rng: random.Random) -> dict[str, int]:
    """The chair training (required of Valgstyrer) and three languages."""
    from elections.models import Role
    from staffing.models import FILLED_STATUSES, Assignment
    from volunteers.models import Skill, Team, Volunteer

    training, _ = Skill.objects.get_or_create(
        name=CHAIR_TRAINING, defaults={"kind": Skill.Kind.TRAINING}
    )
    if training.kind != Skill.Kind.TRAINING:
        Skill.objects.filter(pk=training.pk).update(kind=Skill.Kind.TRAINING)
    languages = {}
    for name in LANGUAGES:
        skill, _ = Skill.objects.get_or_create(name=name, defaults={"kind": Skill.Kind.LANGUAGE})
        languages[name] = skill
    Skill.objects.filter(name__in=LANGUAGES).update(kind=Skill.Kind.LANGUAGE)
    chair = Role.objects.get(name=CHAIR_ROLE)
    chair.required_skills.add(training)
    people = _people(election)
    previous_chairs = set(
        Assignment.objects.filter(
            shift__election=previous, shift__role=chair, status__in=FILLED_STATUSES
        ).values_list("volunteer_id", flat=True)
    )
    party_members = set(
        Volunteer.teams.through.objects.filter(team__kind=Team.Kind.PARTY).values_list(
            "volunteer_id", flat=True
        )
    )
    links: list[tuple[int, int]] = []
    trained = 0
    for v, _code, _birth in people:
        share = TRAINED_PARTY_SHARE if v in party_members else TRAINED_OTHER_SHARE
        if v in previous_chairs or rng.random() < share:
            links.append((v, training.pk))
            trained += 1
        for name, skill in languages.items():
            if rng.random() < LANGUAGES[name]:
                links.append((v, skill.pk))
    Skills = Volunteer.skills.through
    Skills.objects.bulk_create(
        [Skills(volunteer_id=v, skill_id=s) for v, s in links],
        batch_size=5000,
        ignore_conflicts=True,
    )
    out = {"trained": trained}
    for name, skill in languages.items():
        out[f"speak_{name}"] = Skills.objects.filter(skill=skill).count()
    return out


def _preferences(election: Any, rng: random.Random) -> dict[str, int]:
    """Preference rows for PREFERENCE_SHARE of the volunteers (see the shares above)."""
    from elections.models import Role, Shift
    from staffing.models import Preference

    stations = _station_rows(election)
    by_code: dict[str, list[int]] = defaultdict(list)
    by_area: dict[int, list[int]] = defaultdict(list)
    area_of_code: dict[str, int] = {}
    for pk, area, code, _city in stations:
        by_code[code].append(pk)
        by_area[area].append(pk)
        area_of_code.setdefault(code, area)
    days = [d.isoformat() for d in Shift.objects.filter(election=election).local_days()]
    election_day = election.election_date.isoformat()
    other_days = [d for d in days if d != election_day]
    roles = list(Role.objects.order_by("sort_order").values_list("pk", "name"))
    chair = next((pk for pk, name in roles if name == CHAIR_ROLE), None)
    made: list[tuple[Any, dict[str, list[int]]]] = []
    counts = defaultdict(int)
    for v, code, _birth in _people(election):
        if rng.random() >= PREFERENCE_SHARE:
            continue
        area = area_of_code.get(code)
        near = by_code.get(code) or by_area.get(area, [])
        chosen: dict[str, list[int]] = {}
        if near and rng.random() < PREFERRED_STATION:
            chosen["preferred_stations"] = rng.sample(near, min(len(near), rng.choice((1, 1, 2))))
        elif area is not None and rng.random() < PREFERRED_AREA:
            chosen["preferred_areas"] = [area]
        if rng.random() < WANTED_ROLE:
            chosen["wanted_roles"] = [rng.choice([pk for pk, _ in roles if pk != chair])]
        if rng.random() < REFUSED_ROLE:
            refusable = [pk for pk, _ in roles if pk not in chosen.get("wanted_roles", [])]
            chosen["refused_roles"] = [rng.choice(refusable)]
        available_days: list[str] = []
        if len(days) > 1 and rng.random() < ONE_DAY_ONLY:
            available_days = (
                [election_day] if rng.random() < 0.8 or not other_days else [other_days[0]]
            )
        preference = Preference(
            election=election,
            volunteer_id=v,
            available=rng.random() >= UNAVAILABLE,
            available_days=available_days,
            max_shifts=2 if rng.random() < TWO_SHIFTS else None,
            near_home=rng.random() < NEAR_HOME,
        )
        made.append((preference, chosen))
        counts["preferences"] += 1
        counts["unavailable"] += not preference.available
        counts["one_day_only"] += bool(available_days)
        counts["two_shifts"] += preference.max_shifts == 2
        counts["near_home"] += preference.near_home
        for key in chosen:
            counts[key] += 1
    created = Preference.objects.bulk_create([p for p, _ in made], batch_size=5000)
    for name in ("preferred_stations", "preferred_areas", "wanted_roles", "refused_roles"):
        through = getattr(Preference, name).through
        target = getattr(Preference, name).field.m2m_reverse_field_name()
        through.objects.bulk_create(
            [
                through(**{"preference_id": p.pk, f"{target}_id": other})
                for p, (_pref, chosen) in zip(created, made, strict=True)
                for other in chosen.get(name, [])
            ],
            batch_size=5000,
        )
    return dict(counts)


def _rules(election: Any) -> dict[str, int]:
    """At least 1 English speaker per station; at most 2 chairs from one party."""
    from autoassign import settings_services
    from autoassign.models import SeatRule
    from elections.models import Role
    from volunteers.models import Skill

    chair = Role.objects.get(name=CHAIR_ROLE)
    english = Skill.objects.get(name=RULE_LANGUAGE)
    for kind, values in (
        (SeatRule.Kind.AT_LEAST_SKILL, {"count": 1, "skill": english, "role": None}),
        (SeatRule.Kind.AT_MOST_PER_PARTY, {"count": 2, "role": chair}),
    ):
        same = SeatRule.objects.filter(
            election=election, kind=kind, skill=values.get("skill"), role=values["role"]
        )
        if not same.exists():
            settings_services.add_seat_rule(election, by=None, kind=kind, **values)
    return {"seat_rules": SeatRule.objects.filter(election=election).count()}


def find_election(scale_name: str) -> Any:
    """The benchmark's election of ``scale_name`` if its data is complete."""
    from bench import datagen
    from elections.models import Election
    from staffing.models import Preference

    scale = datagen.SCALES[scale_name]
    election = (
        Election.objects.filter(
            status=Election.Status.ACTIVE, shifts__station__area__name=scale.areas[0][0]
        )
        .distinct()
        .first()
    )
    if election is None or not Preference.objects.filter(election=election).exists():
        return None
    return election


def prepare(scale_name: str, *, reuse: bool) -> tuple[Any, dict[str, Any]]:
    """Migrate; reuse the scale's data or make it anew (datagen, then ours)."""
    from django.core.management import call_command
    from django.db import connection

    from bench import datagen

    call_command("migrate", verbosity=0, interactive=False)
    info: dict[str, Any] = {}
    election = find_election(scale_name) if reuse else None
    if election is not None:
        print(f"Reusing {election}")
        return election, info
    started = time.perf_counter()
    datagen.flush_domain()
    result = datagen.generate(
        scale_name,
        fill=KEEP_FILL,
        progress=lambda line: print(f"  generate {line}", flush=True),
        analyze=False,
    )
    for line in result.lines():
        print(line)
    info["generate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    added = add_autoassign_data(result.election)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    info["add_s"] = round(time.perf_counter() - started, 1)
    info["added"] = added
    print(f"  auto-assign data in {info['add_s']} s: {added}")
    return result.election, info


# ---------------------------------------------------------------------------------------
# Where the solver's time goes (--diagnose)


def _lp_stage(h: Any, n: int, limit: float) -> dict[str, Any]:
    """The LP relaxation of the model in ``h`` (its first ``n`` columns 0/1),
    timed: status, value, how many of the 0/1 columns came out fractional."""
    import highspy
    import numpy as np

    h.setOptionValue("time_limit", float(limit))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)[:n]
    fractional = int((np.abs(values - np.round(values)) > 1e-6).sum())
    return {
        "lp_s": round(seconds, 2),
        "lp_status": h.modelStatusToString(status),
        "lp_value": round(float(h.getInfo().objective_function_value), 2),
        "fractional": fractional,
        "iterations": int(h.getInfo().simplex_iteration_count),
        "values": values,
        "optimal": status == highspy.HighsModelStatus.kOptimal,
    }


def _mip_stage(h: Any, n: int, limit: float) -> dict[str, Any]:
    import highspy
    import numpy as np

    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger, dtype=np.uint8)
    )
    h.setOptionValue("time_limit", float(limit))
    started = time.perf_counter()
    h.run()
    info = h.getInfo()
    return {
        "mip_s": round(time.perf_counter() - started, 2),
        "mip_status": h.modelStatusToString(h.getModelStatus()),
        "mip_value": round(float(info.objective_function_value), 2),
        "mip_bound": round(float(info.mip_dual_bound), 2),
        "mip_nodes": int(info.mip_node_count),
    }


def checked_bounds(election: Any) -> dict[str, Any]:
    """Bounds of our own, to check the job's: per solver model (the same pairs
    and rows, ``solver._build``), the most seats (the LP relaxation; where that is
    fractional, HiGHS's MIP to optimality, no time limit) and the most wish points
    with that many seats (the LP relaxation of stage 2: an upper bound). Sums
    over the models; the bounds hold for any proposal that fills the most seats."""
    import numpy as np

    from autoassign import solver
    from autoassign.problem import Scope, load
    from autoassign.settings_services import current_weights

    started = time.perf_counter()
    problem = load(election, Scope(), current_weights(election)).problem
    cliques = solver.overlap_cliques(problem.slot_start, problem.slot_end)
    edge_comp, n_comp = solver.components(problem)
    penalty = max(solver.MIN_PENALTY, 10.0 * float(problem.edge_score.max(initial=0.0)))
    seats = score = 0.0
    mips = 0
    for edges in solver._packs(edge_comp, n_comp):
        model = solver._build(problem, edges, cliques)
        n, n_short = len(model.edges), len(model.shortfall_groups)
        upper = np.concatenate(
            [np.ones(n), [float(problem.at_least[g].limit) for g in model.shortfall_groups]]
        )
        h = solver._highs(model, np.concatenate([np.ones(n), np.zeros(n_short)]), upper)
        lp = _lp_stage(h, n, 3600)
        best = float(np.floor(lp["lp_value"] + 1e-6))
        if lp["fractional"]:
            h.setOptionValue("mip_rel_gap", 0.0)
            result = _mip_stage(h, n, 3600)
            best = float(np.floor(result["mip_bound"] + 1e-6))
            mips += 1
            h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
        seats += best
        h.addRow(best, np.inf, n, np.arange(n, dtype=np.int32), np.ones(n))
        costs = np.concatenate([problem.edge_score[model.edges], np.full(n_short, -penalty)])
        h.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
        score += _lp_stage(h, n, 3600)["lp_value"]
    return {
        "seat_bound": int(seats),
        "score_bound": round(score, 2),
        "models_needing_mip": mips,
        "seconds": round(time.perf_counter() - started, 1),
    }


def diagnose(election: Any, *, time_limit: float, mip: bool, models: int) -> list[dict[str, Any]]:
    """Load the election as the job does, then build and solve the solver's
    models one at a time in this thread (the job runs them on 2 threads, where
    cProfile sees nothing): per model its size, the build time, and for stage 1
    (most seats) the LP relaxation's time and fractional columns, the same LP
    without the seat rules' rows and without the overlap rows (which rows make
    it fractional), and with ``mip`` the branch and bound's time and bound."""
    import highspy
    import numpy as np

    from autoassign import solver
    from autoassign.problem import Scope, load
    from autoassign.settings_services import current_weights

    started = time.perf_counter()
    loaded = load(election, Scope(), current_weights(election))
    problem = loaded.problem
    print(f"load {time.perf_counter() - started:.2f} s; {len(problem.edge_p):,} pairs")
    mark = time.perf_counter()
    cliques = solver.overlap_cliques(problem.slot_start, problem.slot_end)
    edge_comp, n_comp = solver.components(problem)
    packs = sorted(solver._packs(edge_comp, n_comp), key=len, reverse=True)
    print(
        f"cliques + components + packs {time.perf_counter() - mark:.2f} s: "
        f"{n_comp} components in {len(packs)} models; cliques per shift "
        f"{np.diff(cliques[0]).max(initial=0)} at most, {len(np.unique(cliques[1]))} cliques"
    )
    plain = solver.Problem(
        open=problem.open,
        slot_start=problem.slot_start,
        slot_end=problem.slot_end,
        person_max=problem.person_max,
        edge_p=problem.edge_p,
        edge_s=problem.edge_s,
        edge_score=problem.edge_score,
    )
    no_overlap = (np.arange(len(problem.open) + 1, dtype=np.int64), np.arange(len(problem.open)))
    out = []
    for i, edges in enumerate(packs[:models]):
        mark = time.perf_counter()
        model = solver._build(problem, edges, cliques)
        build_s = time.perf_counter() - mark
        n = len(model.edges)
        n_short = len(model.shortfall_groups)
        upper = np.concatenate(
            [np.ones(n), [float(problem.at_least[g].limit) for g in model.shortfall_groups]]
        )
        h = solver._highs(model, np.concatenate([np.ones(n), np.zeros(n_short)]), upper)
        lp = _lp_stage(h, n, time_limit)
        row: dict[str, Any] = {
            "model": i,
            "pairs": n,
            "rows": model.n_rows,
            "at_least_groups": n_short,
            "build_s": round(build_s, 2),
            **{k: v for k, v in lp.items() if k not in ("values", "optimal")},
        }
        if lp["fractional"]:
            x = lp["values"]
            frac = np.flatnonzero(np.abs(x - np.round(x)) > 1e-6)
            people = problem.person_max[problem.edge_p[model.edges[frac]]]
            row["fractional_people_max"] = dict(
                zip(*(v.tolist() for v in np.unique(people, return_counts=True)), strict=True)
            )
            for label, variant, cl in (
                ("without_rules", plain, cliques),
                ("without_overlap_rows", problem, no_overlap),
                ("without_both", plain, no_overlap),
            ):
                m = solver._build(variant, edges, cl)
                k = len(m.edges)
                up = np.concatenate(
                    [np.ones(k), [float(variant.at_least[g].limit) for g in m.shortfall_groups]]
                )
                hh = solver._highs(
                    m, np.concatenate([np.ones(k), np.zeros(len(m.shortfall_groups))]), up
                )
                v = _lp_stage(hh, k, time_limit)
                row[label] = f"{v['fractional']} fractional, LP {v['lp_s']} s, {v['lp_value']}"
            if mip:
                row.update(_mip_stage(h, n, time_limit))
        elif lp["optimal"]:
            # Stage 2 as the solver makes it: at least the seats of stage 1, the
            # most wish points (less the shortfall penalties).
            filled = float(np.round(lp["values"]).sum())
            penalty = max(solver.MIN_PENALTY, 10.0 * float(problem.edge_score.max(initial=0.0)))
            scores = np.concatenate([problem.edge_score[model.edges], np.full(n_short, -penalty)])
            h.addRow(filled, np.inf, n, np.arange(n, dtype=np.int32), np.ones(n))
            h.changeColsCost(len(scores), np.arange(len(scores), dtype=np.int32), scores)
            lp2 = _lp_stage(h, n, time_limit)
            row["stage2"] = {k: v for k, v in lp2.items() if k not in ("values", "optimal")}
            if mip and lp2["fractional"]:
                row["stage2"].update(_mip_stage(h, n, time_limit))
            # The same in one LP, no cardinality row: each seat worth BIG more
            # than any wishes (the rows stay those of stage 1).
            big = float(n_short * penalty + scores[:n].max(initial=0.0) * filled + 1.0)
            h1 = solver._highs(model, np.concatenate([scores[:n] + big, scores[n:]]), upper)
            one = _lp_stage(h1, n, time_limit)
            x1 = np.round(one["values"])
            row["one_lp_big_m"] = {
                "big": big,
                "lp_s": one["lp_s"],
                "status": one["lp_status"],
                "fractional": one["fractional"],
                "seats": int(x1.sum()),
                "score": round(float(scores[:n][x1 > 0.5].sum()), 2),
                "stage2_lp_value": lp2["lp_value"],
            }
            del h1
        del h
        out.append(row)
        print(json.dumps(row, default=str), flush=True)
    del highspy
    return out


def trace(election: Any, *, time_limit: float, threads: int) -> dict[str, Any]:
    """``solver.solve`` as the job calls it, with each model's two stages timed
    (wall and the thread's CPU) through a wrapper around ``solver._stage``: which
    stages end without a proven optimum, and what bound they report."""
    import threading

    from autoassign import solver
    from autoassign.problem import Scope, load
    from autoassign.settings_services import current_weights

    loaded = load(election, Scope(), current_weights(election))
    log: list[dict[str, Any]] = []
    original = solver._stage
    calls: dict[int, int] = defaultdict(int)  # per HiGHS instance (a model): its stage

    def timed(h: Any, n_int: int, limit: float, start: Any) -> Any:
        calls[id(h)] += 1
        stage = calls[id(h)]
        wall, cpu = time.perf_counter(), time.thread_time()
        result = original(h, n_int, limit, start)
        log.append(
            {
                "stage": stage,
                "thread": threading.get_ident(),
                "columns": n_int,
                "limit_s": round(limit, 2),
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.thread_time() - cpu, 2),
                "optimal": result.optimal,
                "objective": round(result.objective, 1),
                "bound": round(result.bound, 1),
            }
        )
        return result

    solver._stage = timed
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        r = solver.solve(loaded.problem, time_limit=time_limit, threads=threads)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        solver._stage = original
    summary = {
        "threads": threads,
        "solve_wall_s": round(wall, 2),
        "solve_cpu_s": round(cpu, 2),
        "open_seats": int(loaded.problem.open.sum()),
        "filled": r.filled,
        "seat_bound": r.seat_bound,
        "score": round(r.score),
        "score_bound": round(r.score_bound),
        "stages": len(log),
        "stages_not_optimal": sum(not x["optimal"] for x in log),
        "stage_wall_sum_s": round(sum(x["wall_s"] for x in log), 2),
        "stage_cpu_sum_s": round(sum(x["cpu_s"] for x in log), 2),
    }
    print(json.dumps(summary))
    for i, x in enumerate(log):
        if not x["optimal"]:
            print(f"  call {i}, stage {x['stage']} of its model, not optimal: {json.dumps(x)}")
    return summary


# ---------------------------------------------------------------------------------------
# The runs


def run_command(election_id: int, *, dry_run: bool, time_limit: int) -> dict[str, Any]:
    """``manage.py auto_assign`` in a fresh process; its JSON figures, plus the
    process's own wall time (with Django's start-up)."""
    command = [sys.executable, "manage.py", "auto_assign", "--election", str(election_id)]
    command += ["--json", "--time-limit", str(time_limit)] + (["--dry-run"] if dry_run else [])
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "false")}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    process_s = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"auto_assign failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(lines[-1])
    figures["process_s"] = round(process_s, 2)
    return figures


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607


HEADER = (
    "| run | open seats | people | pairs | filled / seat bound | wish score / bound | gap % "
    "| greedy filled | greedy score | load s | greedy s | solve s | explain s | total s "
    "| wall s | process s | peak MB |"
)


def row(label: str, f: dict[str, Any]) -> str:
    s = f["seconds"]
    verdict = "optimal" if f["filled"] == f["seat_bound"] else "NOT optimal"
    if f["seat_bound"] > f["open_seats"]:
        verdict = "bound > open seats: invalid"
    return (
        f"| {label} | {f['open_seats']:,} | {f['people']:,} | {f['pairs']:,} "
        f"| {f['filled']:,} / {f['seat_bound']:,} ({verdict}) "
        f"| {f['score']:,.0f} / {f['score_bound']:,.0f} | {100 * f['gap']:.3f} "
        f"| {f['greedy_filled']:,} | {f['greedy_score']:,.0f} "
        f"| {s.get('load', 0):.2f} | {s.get('greedy', 0):.2f} | {s.get('solve', 0):.2f} "
        f"| {s.get('explain', 0):.2f} | {s.get('total', 0):.2f} | {f['wall_seconds']:.2f} "
        f"| {f['process_s']:.2f} | {f['peak_memory_mb']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django(args.scale, fresh=not args.reuse)
    from django.db import connection

    from autoassign.models import Proposal, ProposalRow

    election, info = prepare(args.scale, reuse=args.reuse)
    if args.trace:
        trace(election, time_limit=args.time_limit, threads=args.trace)
        return 0
    if args.diagnose:
        diagnose(election, time_limit=args.time_limit, mip=args.mip, models=args.diagnose)
        return 0
    Proposal.objects.filter(election=election).delete()  # earlier runs' proposals
    loads = [uptime()]
    print(f"\n{uptime()}")
    runs = []
    for i in range(args.runs):
        runs.append(run_command(election.pk, dry_run=True, time_limit=args.time_limit))
        print(f"  dry run {i + 1}: {runs[-1]['seconds']} wall {runs[-1]['wall_seconds']} s")
    saved = None
    if not args.no_save_run:
        saved = run_command(election.pk, dry_run=False, time_limit=args.time_limit)
        saved["rows_saved"] = ProposalRow.objects.filter(proposal_id=saved["proposal"]).count()
    loads.append(uptime())
    print()
    print(HEADER)
    print("|---" + "|---:" * (HEADER.count("|") - 2) + "|")
    for i, f in enumerate(runs, 1):
        print(row(f"dry {i}", f))
    if saved:
        print(row("saved", saved))
    first = runs[0]
    print(f"\nWishes met, MIP:    {first['wishes']}")
    print(f"Wishes met, greedy: {first['greedy_wishes']}")
    print(
        f"'At least N' shortfall: MIP {first['shortfall']}, greedy {first['greedy_shortfall']}; "
        f"components {first['components']:,} in {first['models']:,} models; "
        f"solver optimal: {first['optimal']}"
    )
    print(f"Seats left open, why: {first['open_seat_reasons']}")
    print(f"People not placed, why: {first['left_out_reasons']}")
    totals = [f["seconds"]["total"] for f in runs]
    median = statistics.median(totals)
    target = TARGET_SECONDS[args.scale]
    print(
        f"\nDry-run total: median {median:.2f} s (min {min(totals):.2f}, max {max(totals):.2f}); "
        f"target ≤ {target:.0f} s: {'met' if median <= target else 'NOT met'}"
    )
    if saved:
        print(
            f"With saving: {saved['wall_seconds']:.2f} s ({saved['rows_saved']:,} rows saved, "
            f"proposal {saved['proposal']})"
        )
    checked = None
    if args.check_bounds:
        checked = checked_bounds(election)
        print(
            f"\nChecked bounds (LP per model, {checked['seconds']} s, "
            f"{checked['models_needing_mip']} models needed the MIP for seats): "
            f"seats {checked['seat_bound']:,}, wish score {checked['score_bound']:,.0f}"
        )
        for label, f in [(f"dry {i}", f) for i, f in enumerate(runs, 1)] + [("saved", saved)]:
            if f is None:
                continue
            gap = (checked["score_bound"] - f["score"]) / abs(checked["score_bound"] or 1)
            f["checked_gap"] = gap
            print(
                f"  {label}: {f['filled']:,} of {checked['seat_bound']:,} seats "
                f"({'optimal' if f['filled'] >= checked['seat_bound'] else 'NOT optimal'}), "
                f"wish gap {100 * gap:.3f} %"
            )
    print("Load:", *loads, sep="\n  ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = {
        "scale": args.scale,
        "database": connection.vendor,
        "election": election.pk,
        "time_limit": args.time_limit,
        **info,
        "dry_runs": runs,
        "saved_run": saved,
        "median_total_s": median,
        "checked_bounds": checked,
        "load": loads,
    }
    path = RESULTS_DIR / f"autoassign-{connection.vendor}-{args.scale}.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
