"""From the database to the optimiser's arrays: the open seats, the willing
people, and every (person, shift) pair that breaks no hard rule, with its wish
points — in a fixed number of queries, with numpy doing the pairing (national
scale is 100,000 people and millions of pairs).

Hard rules, in the order they are applied (each stage's count per shift and per
person is kept, so that ``explain`` can say which rule left a seat or a person
out): where the person is willing to go (stations they prefer, in areas they
prefer, where they were last time, or the nearest stations within the farthest
distance of their postal code), their available days, roles they refuse, the
role's minimum age on the day, the team a seat is reserved for, the role's
required skills, "declined this shift before" (or holds it already), and any
seat they hold that overlaps in time; then the most shifts per person. "Do not
contact", unreachable and anonymised people, and those who said they cannot help
in this election, are not among the willing at all."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db.models import Q
from django.utils import timezone

from autoassign.models import SeatRule, Weights
from autoassign.seat_rules import add_seat_rules, member_codes, memberships
from autoassign.solver import Problem, Result
from autoassign.wishes import (
    AREA,
    EXPERIENCE,
    LAST,
    NEAR,
    ROLE,
    STATION,
    WISH_CODES,
    km,
    previous_election,
    wish_names,
)
from elections.models import Election, Role, Shift
from polling_stations.models import PollingStation, PostalCode
from staffing.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Assignment, Preference
from staffing.retention import ANONYMISED_EMAIL
from volunteers.models import Volunteer

# Wish flags on a pair (ProposalRow.wishes holds their names).
# The seat's own requirements (team, skills) come before the person's (days,
# refusals, age), so that a seat is explained by what narrows it first: a party
# seat whose one member is 17 is left open for the age, not for the party.
STAGES = (
    "near",
    "most_shifts",
    "team",
    "skill",
    "day",
    "role_refused",
    "age",
    "declined",
    "overlap",
)
# Without a known position and without wishes, a person may go to any station of
# an election this small; in a bigger one, only to stations of their postal code.
ANYWHERE_UP_TO = 60


@dataclass(frozen=True)
class Scope:
    """Which open seats a run proposes for (None: all)."""

    area_id: int | None = None
    station_id: int | None = None
    role_id: int | None = None
    day: date | None = None


@dataclass
class Seat:
    shift_id: int
    volunteer_id: int
    score: float
    wishes: list[str]


@dataclass
class Loaded:
    problem: Problem
    shift_ids: np.ndarray  # per slot
    volunteer_ids: np.ndarray  # per person
    edge_wishes: np.ndarray  # per pair: wish flags
    slot_station: np.ndarray
    slot_role: np.ndarray
    slot_team: np.ndarray  # -1: no reservation
    slot_day: list[date]
    # Per filter stage (STAGES): how many candidates each slot still has after it.
    slot_stages: dict[str, np.ndarray] = field(default_factory=dict)
    # Per person: the first stage that left them no pair (index into STAGES), or
    # -1 if they have pairs.
    person_lost_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    person_has_seat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    person_located: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # The seat rules behind problem.at_most / at_least: (rule, station id, team id or None).
    at_most_rules: list[tuple[SeatRule, int, int | None]] = field(default_factory=list)
    at_least_rules: list[tuple[SeatRule, int, int | None]] = field(default_factory=list)
    weights: Weights | None = None

    def seats(self, result: Result) -> list[Seat]:
        chosen = np.flatnonzero(result.chosen)
        p = self.problem
        return [
            Seat(
                shift_id=int(self.shift_ids[p.edge_s[e]]),
                volunteer_id=int(self.volunteer_ids[p.edge_p[e]]),
                score=float(p.edge_score[e]),
                wishes=wish_names(int(self.edge_wishes[e])),
            )
            for e in chosen.tolist()
        ]

    def wishes_met(self, chosen: np.ndarray) -> dict[str, int]:
        flags = self.edge_wishes[chosen]
        return {name: int(((flags & bit) != 0).sum()) for bit, name in WISH_CODES.items()}


def _minutes(moment) -> int:
    return int(moment.timestamp() // 60)


def _ymd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _codes(a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    return a.astype(np.int64) * width + b.astype(np.int64)


def load(
    election: Election,
    scope: Scope,
    weights: Weights,
    *,
    keep: list[tuple[int, int]] | tuple = (),
    now=None,
) -> Loaded:
    now = now or timezone.now()
    keep = list(keep)
    # --- the election's shifts and their open seats
    shift_rows = list(
        Shift.objects.filter(election=election)
        .order_by(
            "station__area__sort_order",
            "station__sort_order",
            "station_id",
            "role__sort_order",
            "starts_at",
            "pk",
        )
        .values_list(
            "pk",
            "station_id",
            "station__area_id",
            "role_id",
            "team_id",
            "starts_at",
            "ends_at",
            "capacity",
        )
    )
    station_ids = sorted({r[1] for r in shift_rows})
    held_per_shift: dict[int, int] = defaultdict(int)
    for shift_id, count in _held_counts(election):
        held_per_shift[shift_id] = count
    for shift_id, _v in keep:
        held_per_shift[shift_id] += 1
    in_scope = []
    for r in shift_rows:
        pk, station_id, area_id, role_id, _team, starts, ends, capacity = r
        day = timezone.localtime(starts).date()
        if starts <= now:
            continue
        if scope.area_id and area_id != scope.area_id:
            continue
        if scope.station_id and station_id != scope.station_id:
            continue
        if scope.role_id and role_id != scope.role_id:
            continue
        if scope.day and day != scope.day:
            continue
        open_seats = capacity - held_per_shift.get(pk, 0)
        if open_seats > 0:
            in_scope.append((r, day, open_seats))
    n_slots = len(in_scope)
    shift_ids = np.array([r[0][0] for r in in_scope], dtype=np.int64)
    slot_station = np.array([r[0][1] for r in in_scope], dtype=np.int64)
    slot_area = np.array([r[0][2] for r in in_scope], dtype=np.int64)
    slot_role = np.array([r[0][3] for r in in_scope], dtype=np.int64)
    slot_team = np.array([r[0][4] if r[0][4] is not None else -1 for r in in_scope], dtype=np.int64)
    slot_start = np.array([_minutes(r[0][5]) for r in in_scope], dtype=np.int64)
    slot_end = np.array([_minutes(r[0][6]) for r in in_scope], dtype=np.int64)
    slot_open = np.array([r[2] for r in in_scope], dtype=np.int64)
    slot_day = [r[1] for r in in_scope]
    days = sorted(set(slot_day))
    day_index = {d: i for i, d in enumerate(days)}
    slot_dayi = np.array([day_index[d] for d in slot_day], dtype=np.int64)
    roles = {r.pk: r for r in Role.objects.prefetch_related("required_skills")}
    role_index = {pk: i for i, pk in enumerate(sorted(roles))}
    slot_rolei = np.array([role_index[r] for r in slot_role], dtype=np.int64)
    min_age = np.array([roles[r].min_age for r in slot_role], dtype=np.int64)
    slot_cutoff = np.array(
        [_ymd(d) - int(a) * 10000 for d, a in zip(slot_day, min_age, strict=True)], dtype=np.int64
    )

    # --- the willing people
    pool = Volunteer.objects.filter(do_not_contact=False, unreachable=False).exclude(
        email=ANONYMISED_EMAIL
    )
    unwilling = set(
        Preference.objects.filter(election=election, available=False).values_list(
            "volunteer_id", flat=True
        )
    )
    people = [
        r
        for r in pool.values_list("pk", "birth_date", "postal_code").order_by("pk")
        if r[0] not in unwilling
    ]
    volunteer_ids = np.array([r[0] for r in people], dtype=np.int64)
    person_index = {int(v): i for i, v in enumerate(volunteer_ids)}
    n_people = len(people)
    born = np.array([_ymd(r[1]) for r in people], dtype=np.int64)

    prefs = {
        row[0]: row[1:]
        for row in Preference.objects.filter(election=election, available=True).values_list(
            "volunteer_id", "pk", "available_days", "max_shifts", "near_home"
        )
    }
    pref_pk_to_person = {v[0]: person_index[k] for k, v in prefs.items() if k in person_index}

    def wished(field, column: str) -> list[tuple[int, int]]:
        """(person, id) of one of the preferences' many-to-many wishes."""
        rows = field.through.objects.filter(preference__election=election).values_list(
            "preference_id", column
        )
        return [(pref_pk_to_person[a], b) for a, b in rows if a in pref_pk_to_person]

    pref_station = wished(Preference.preferred_stations, "pollingstation_id")
    pref_area = wished(Preference.preferred_areas, "area_id")
    wanted = wished(Preference.wanted_roles, "role_id")
    refused = wished(Preference.refused_roles, "role_id")

    # --- seats people hold now (any election: overlaps count everywhere)
    window = Q()
    if n_slots:
        lo, hi = int(slot_start.min()), int(slot_end.max())
        window = Q(
            shift__starts_at__lt=_from_minutes(hi), shift__ends_at__gt=_from_minutes(lo)
        ) | Q(shift__election=election)
    holdings = (
        list(
            Assignment.objects.filter(status__in=SEAT_HOLDING_STATUSES)
            .filter(window)
            .values_list(
                "volunteer_id",
                "shift_id",
                "shift__starts_at",
                "shift__ends_at",
                "shift__election_id",
                "shift__station_id",
                "shift__role_id",
            )
        )
        if n_slots
        else []
    )
    kept_shifts = {
        r[0]: r[1:]
        for r in Shift.objects.filter(pk__in={s for s, _v in keep}).values_list(
            "pk", "starts_at", "ends_at", "election_id", "station_id", "role_id"
        )
    }
    holdings += [(v, s, *kept_shifts[s]) for s, v in keep if s in kept_shifts]
    held_here = np.zeros(n_people, dtype=np.int64)
    hold_by_person: dict[int, list[tuple[int, int]]] = defaultdict(list)
    # (volunteer, station, role) of every seat held in this election, by anyone:
    # the seat rules count them whether or not the holder is among the willing.
    holders_at: list[tuple[int, int, int]] = []
    on_shift_codes = []
    shift_index = {int(s): i for i, s in enumerate(shift_ids)}
    for volunteer_id, shift_id, starts, ends, election_id, station_id, role_id in holdings:
        if election_id == election.pk:
            holders_at.append((volunteer_id, station_id, role_id))
        p = person_index.get(volunteer_id)
        if p is None:
            continue
        hold_by_person[p].append((_minutes(starts), _minutes(ends)))
        if election_id == election.pk:
            held_here[p] += 1
        if shift_id in shift_index:
            on_shift_codes.append(p * max(n_slots, 1) + shift_index[shift_id])
    declined = Assignment.objects.filter(
        shift__election=election, status=Assignment.Status.DECLINED
    ).values_list("volunteer_id", "shift_id")
    for volunteer_id, shift_id in declined:
        p = person_index.get(volunteer_id)
        if p is not None and shift_id in shift_index:
            on_shift_codes.append(p * max(n_slots, 1) + shift_index[shift_id])
    blocked = np.unique(np.array(on_shift_codes, dtype=np.int64))

    # --- most shifts
    default_max = int(weights.default_max_shifts)
    person_max = np.full(n_people, default_max, dtype=np.int64)
    near_home = np.zeros(n_people, dtype=bool)
    restricts_days = np.zeros(n_people, dtype=bool)
    day_codes = []
    for volunteer_id, (_pk, avail_days, max_shifts, near) in prefs.items():
        p = person_index.get(volunteer_id)
        if p is None:
            continue
        if max_shifts:
            person_max[p] = max_shifts
        near_home[p] = near
        if avail_days:
            restricts_days[p] = True
            for text in avail_days:
                try:
                    d = date.fromisoformat(text)
                except (TypeError, ValueError):
                    continue
                if d in day_index:
                    day_codes.append(p * len(days) + day_index[d])
    day_ok_codes = np.unique(np.array(day_codes, dtype=np.int64))
    person_left = person_max - held_here

    # --- where each person may go
    st_index = {s: i for i, s in enumerate(station_ids)}
    n_st = len(station_ids)
    stations = {
        s.pk: s
        for s in PollingStation.objects.filter(pk__in=station_ids).only(
            "pk", "area_id", "postal_code", "latitude", "longitude"
        )
    }
    postal_codes = {
        pc.code: (pc.latitude, pc.longitude)
        for pc in PostalCode.objects.filter(
            code__in={r[2] for r in people} | {s.postal_code for s in stations.values()}
        )
    }
    st_lat = np.full(n_st, np.nan)
    st_lon = np.full(n_st, np.nan)
    st_area = np.zeros(n_st, dtype=np.int64)
    st_postal = []
    for s, i in st_index.items():
        station = stations[s]
        st_area[i] = station.area_id
        st_postal.append(station.postal_code)
        position = (
            (station.latitude, station.longitude)
            if station.latitude is not None
            else postal_codes.get(station.postal_code)
        )
        if position:
            st_lat[i], st_lon[i] = position
    person_pc = [r[2] for r in people]
    pcs = sorted({pc for pc in person_pc if pc in postal_codes})
    pc_index = {pc: i for i, pc in enumerate(pcs)}
    person_pci = np.array([pc_index.get(pc, -1) for pc in person_pc], dtype=np.int64)
    located_st = ~np.isnan(st_lat)
    max_km = float(weights.max_km)
    k = int(weights.nearest_stations)
    cand_p: list[np.ndarray] = []
    cand_st: list[np.ndarray] = []
    pc_dist = np.zeros((len(pcs), n_st))
    if pcs and n_st:
        pc_lat = np.array([postal_codes[pc][0] for pc in pcs])
        pc_lon = np.array([postal_codes[pc][1] for pc in pcs])
        pc_dist = km(pc_lat[:, None], pc_lon[:, None], st_lat[None, :], st_lon[None, :])
        pc_dist[:, ~located_st] = np.inf
        near_sets = []
        for i in range(len(pcs)):
            row = pc_dist[i]
            within = np.flatnonzero(row <= max_km)
            if len(within) > k:
                within = within[np.argsort(row[within], kind="stable")[:k]]
            near_sets.append(within)
        ptr = np.zeros(len(pcs) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in near_sets], out=ptr[1:])
        flat = np.concatenate(near_sets) if near_sets else np.zeros(0, dtype=np.int64)
        located = np.flatnonzero(person_pci >= 0)
        counts = ptr[person_pci[located] + 1] - ptr[person_pci[located]]
        cand_p.append(np.repeat(located, counts))
        starts = np.repeat(ptr[person_pci[located]] - (np.cumsum(counts) - counts), counts)
        cand_st.append(flat[starts + np.arange(int(counts.sum()))].astype(np.int64))
    pref_st_codes = _codes(
        np.array([p for p, s in pref_station if s in st_index], dtype=np.int64),
        np.array([st_index[s] for p, s in pref_station if s in st_index], dtype=np.int64),
        max(n_st, 1),
    )
    if len(pref_st_codes):
        cand_p.append(pref_st_codes // max(n_st, 1))
        cand_st.append(pref_st_codes % max(n_st, 1))
    area_stations: dict[int, list[int]] = defaultdict(list)
    for i, a in enumerate(st_area.tolist()):
        area_stations[a].append(i)
    pa = [(p, i) for p, a in pref_area for i in area_stations.get(a, ())]
    if pa:
        cand_p.append(np.array([p for p, _ in pa], dtype=np.int64))
        cand_st.append(np.array([i for _, i in pa], dtype=np.int64))
    pref_area_codes = np.unique(np.array([p * 1_000_000 + a for p, a in pref_area], dtype=np.int64))
    last = _last_placements(election, person_index)
    n_roles = max(len(role_index), 1)
    last_codes = np.unique(
        np.array(
            [
                (p * max(n_st, 1) + st_index[s]) * n_roles + role_index[r]
                for p, s, r in last
                if s in st_index and r in role_index
            ],
            dtype=np.int64,
        )
    )
    ls = [(p, st_index[s]) for p, s, _r in last if s in st_index]
    if ls:
        cand_p.append(np.array([p for p, _ in ls], dtype=np.int64))
        cand_st.append(np.array([i for _, i in ls], dtype=np.int64))
    has_wish_place = np.zeros(n_people, dtype=bool)
    for p, _s in pref_station:
        has_wish_place[p] = True
    for p, _a in pref_area:
        has_wish_place[p] = True
    # Nobody knows where they live, and they wish for no place.
    lost = np.flatnonzero((person_pci < 0) & ~has_wish_place)
    if len(lost) and n_st:
        if n_st <= ANYWHERE_UP_TO:
            cand_p.append(np.repeat(lost, n_st))
            cand_st.append(np.tile(np.arange(n_st, dtype=np.int64), len(lost)))
        else:
            by_postal: dict[str, list[int]] = defaultdict(list)
            for i, pc in enumerate(st_postal):
                by_postal[pc].append(i)
            same = [(p, i) for p in lost.tolist() for i in by_postal.get(person_pc[p], ())]
            if same:
                cand_p.append(np.array([p for p, _ in same], dtype=np.int64))
                cand_st.append(np.array([i for _, i in same], dtype=np.int64))
    if cand_p:
        codes = np.unique(_codes(np.concatenate(cand_p), np.concatenate(cand_st), max(n_st, 1)))
    else:
        codes = np.zeros(0, dtype=np.int64)
    pair_person = codes // max(n_st, 1)
    pair_station = codes % max(n_st, 1)

    # --- expand (person, station) to (person, shift)
    slot_st = np.array([st_index[s] for s in slot_station], dtype=np.int64)
    order = np.argsort(slot_st, kind="stable")
    st_ptr = np.zeros(n_st + 1, dtype=np.int64)
    if n_st:
        np.cumsum(np.bincount(slot_st, minlength=n_st), out=st_ptr[1:])
    counts = st_ptr[pair_station + 1] - st_ptr[pair_station]
    ep = np.repeat(pair_person, counts)
    starts = np.repeat(st_ptr[pair_station] - (np.cumsum(counts) - counts), counts)
    es = (
        order[starts + np.arange(int(counts.sum()))] if len(starts) else np.zeros(0, dtype=np.int64)
    )

    slot_stages: dict[str, np.ndarray] = {}
    person_lost_at = np.full(n_people, -1, dtype=np.int64)
    alive_before = np.zeros(n_people, dtype=bool)
    alive_before[np.unique(ep)] = True
    person_lost_at[~alive_before] = 0  # no station to go to

    def stage(name: str, keep_mask: np.ndarray) -> None:
        nonlocal ep, es
        if name != "near":
            before = np.zeros(n_people, dtype=bool)
            before[ep] = True
            ep, es = ep[keep_mask], es[keep_mask]
            after = np.zeros(n_people, dtype=bool)
            after[ep] = True
            person_lost_at[before & ~after] = STAGES.index(name)
        slot_stages[name] = np.bincount(es, minlength=n_slots)

    stage("near", np.ones(len(ep), dtype=bool))
    stage("most_shifts", person_left[ep] > 0)
    teams = sorted({int(t) for t in slot_team if t >= 0})
    team_members = memberships(Volunteer.teams.through, "team_id", teams, person_index)
    team_width = (max(teams) + 1) if teams else 1
    stage(
        "team",
        (slot_team[es] < 0)
        | np.isin(
            ep * team_width + np.maximum(slot_team[es], 0), member_codes(team_members, team_width)
        ),
    )
    skill_ok = np.ones(len(ep), dtype=bool)
    needed = {r: [s.pk for s in roles[r].required_skills.all()] for r in set(slot_role.tolist())}
    needed_skills = sorted({s for v in needed.values() for s in v})
    rule_skills = {r.skill_id for r in SeatRule.objects.filter(election=election) if r.skill_id}
    all_skills = sorted(set(needed_skills) | rule_skills)
    skill_members = memberships(Volunteer.skills.through, "skill_id", all_skills, person_index)
    skill_width = (max(all_skills) + 1) if all_skills else 1
    skill_codes = member_codes(skill_members, skill_width)
    for role_id, skills in needed.items():
        if not skills:
            continue
        mask = slot_role[es] == role_id
        for skill in skills:
            skill_ok[mask] &= np.isin(ep[mask] * skill_width + skill, skill_codes)
    stage("skill", skill_ok)
    d = len(days)
    stage(
        "day",
        ~restricts_days[ep] | np.isin(ep * max(d, 1) + slot_dayi[es], day_ok_codes),
    )

    def role_codes(pairs: list[tuple[int, int]]) -> np.ndarray:
        """(person, role id) pairs as codes of (person, role index)."""
        return np.unique(
            np.array(
                [p * n_roles + role_index[r] for p, r in pairs if r in role_index], dtype=np.int64
            )
        )

    stage("role_refused", ~np.isin(ep * n_roles + slot_rolei[es], role_codes(refused)))
    stage("age", born[ep] <= slot_cutoff[es])
    stage("declined", ~np.isin(ep * max(n_slots, 1) + es, blocked))
    overlap = np.zeros(len(ep), dtype=bool)
    if hold_by_person:
        holders = np.array(sorted(hold_by_person), dtype=np.int64)
        widest = max(len(v) for v in hold_by_person.values())
        for j in range(widest):
            a = np.full(n_people, np.iinfo(np.int64).max)
            b = np.full(n_people, np.iinfo(np.int64).min)
            for p in holders.tolist():
                spans = hold_by_person[p]
                if j < len(spans):
                    a[p], b[p] = spans[j]
            overlap |= (a[ep] < slot_end[es]) & (b[ep] > slot_start[es])
    stage("overlap", ~overlap)

    # --- wish points
    n_pairs = len(ep)
    flags = np.zeros(n_pairs, dtype=np.int64)
    score = np.zeros(n_pairs, dtype=np.float64)
    pst = slot_st[es]
    pair_role = ep * n_roles + slot_rolei[es]

    def credit(hit: np.ndarray, flag: int, points: float) -> None:
        flags[hit] |= flag
        score[hit] += points

    credit(np.isin(ep * max(n_st, 1) + pst, pref_st_codes), STATION, weights.preferred_station)
    credit(np.isin(ep * 1_000_000 + slot_area[es], pref_area_codes), AREA, weights.preferred_area)
    if len(pcs) and n_st:
        pci = person_pci[ep]
        dist = np.where(pci >= 0, pc_dist[np.maximum(pci, 0), pst], np.inf)
        counts_for = near_home[ep] | ~has_wish_place[ep]
        closeness = np.clip(1.0 - dist / max_km, 0.0, 1.0)
        closeness[~np.isfinite(dist)] = 0.0
        score += np.where(counts_for, weights.near_home * closeness, 0.0)
        flags[near_home[ep] & (closeness >= 0.5)] |= NEAR
    credit(
        np.isin((ep * max(n_st, 1) + pst) * n_roles + slot_rolei[es], last_codes),
        LAST,
        weights.last_placement,
    )
    credit(np.isin(pair_role, role_codes(wanted)), ROLE, weights.wanted_role)
    experience = _experience(election, person_index)
    credit(np.isin(pair_role, role_codes(experience)), EXPERIENCE, weights.experience)

    problem = Problem(
        open=slot_open,
        slot_start=slot_start,
        slot_end=slot_end,
        person_max=np.maximum(person_left, 0),
        edge_p=ep.astype(np.int32),
        edge_s=es.astype(np.int32),
        edge_score=score,
    )
    loaded = Loaded(
        problem=problem,
        shift_ids=shift_ids,
        volunteer_ids=volunteer_ids,
        edge_wishes=flags,
        slot_station=slot_station,
        slot_role=slot_role,
        slot_team=slot_team,
        slot_day=slot_day,
        slot_stages=slot_stages,
        person_lost_at=person_lost_at,
        person_has_seat=held_here > 0,
        person_located=person_pci >= 0,
        weights=weights,
    )
    add_seat_rules(election, loaded, holders_at, skill_members, person_index)
    return loaded


def _from_minutes(minutes: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(minutes * 60, tz=UTC)


def _held_counts(election: Election) -> list[tuple[int, int]]:
    from django.db.models import Count

    return list(
        Assignment.objects.filter(shift__election=election, status__in=SEAT_HOLDING_STATUSES)
        .values("shift_id")
        .annotate(n=Count("pk"))
        .values_list("shift_id", "n")
    )


def _last_placements(
    election: Election, person_index: dict[int, int]
) -> list[tuple[int, int, int]]:
    previous = previous_election(election)
    if previous is None:
        return []
    rows = Assignment.objects.filter(
        shift__election=previous, status__in=FILLED_STATUSES
    ).values_list("volunteer_id", "shift__station_id", "shift__role_id")
    return [(person_index[v], s, r) for v, s, r in rows if v in person_index]


def _experience(election: Election, person_index: dict[int, int]) -> list[tuple[int, int]]:
    rows = (
        Assignment.objects.filter(
            shift__election__election_date__lt=election.election_date, status__in=FILLED_STATUSES
        )
        .values_list("volunteer_id", "shift__role_id")
        .distinct()
    )
    return [(person_index[v], r) for v, r in rows if v in person_index]
