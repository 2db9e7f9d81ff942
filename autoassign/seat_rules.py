"""The election's seat rules as groups of (person, shift) pairs for the
optimiser: "at least N with a skill" and "at most K from one party", per station
(and party), less the seats held already by anyone."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from autoassign.models import SeatRule
from autoassign.solver import Group, expand
from elections.models import Election
from volunteers.models import Team, Volunteer

if TYPE_CHECKING:
    from autoassign.problem import Loaded


def memberships(
    through, column: str, ids: list[int], person_index: dict[int, int]
) -> list[tuple[int, int]]:
    if not ids:
        return []
    rows = through.objects.filter(**{f"{column}__in": ids}).values_list("volunteer_id", column)
    return [(person_index[v], t) for v, t in rows if v in person_index]


def member_codes(members: list[tuple[int, int]], width: int) -> np.ndarray:
    return np.unique(np.array([p * width + t for p, t in members], dtype=np.int64))


def add_seat_rules(
    election: Election,
    loaded: Loaded,
    holders_at: list[tuple[int, int, int]],
    skill_members: list[tuple[int, int]],
    person_index: dict[int, int],
) -> None:
    """The election's seat rules as groups of pairs: per station (and, for "at
    most K from one party", per party), less the seats held already (by anyone,
    willing or not: ``holders_at`` is by volunteer id)."""
    rules = list(SeatRule.objects.filter(election=election).select_related("skill", "role"))
    if not rules:
        return
    holder_ids = sorted({v for v, _s, _r in holders_at})
    holder_parties: dict[int, set[int]] = defaultdict(set)
    for v, t in Volunteer.teams.through.objects.filter(
        volunteer_id__in=holder_ids, team__kind=Team.Kind.PARTY
    ).values_list("volunteer_id", "team_id"):
        holder_parties[v].add(t)
    holder_skills: dict[int, set[int]] = defaultdict(set)
    for v, k in Volunteer.skills.through.objects.filter(
        volunteer_id__in=holder_ids, skill_id__in={r.skill_id for r in rules if r.skill_id}
    ).values_list("volunteer_id", "skill_id"):
        holder_skills[v].add(k)
    problem = loaded.problem
    ep = problem.edge_p.astype(np.int64)
    es = problem.edge_s.astype(np.int64)
    pair_station = loaded.slot_station[es]
    pair_role = loaded.slot_role[es]
    parties = sorted(Team.objects.filter(kind=Team.Kind.PARTY).values_list("pk", flat=True))
    party_members = memberships(Volunteer.teams.through, "team_id", parties, person_index)
    n_people = problem.n_people
    for rule in rules:
        mask = np.ones(len(ep), dtype=bool)
        if rule.role_id:
            mask &= pair_role == rule.role_id
        if rule.station_id:
            mask &= pair_station == rule.station_id
        slots_here = np.ones(problem.n_slots, dtype=bool)
        if rule.role_id:
            slots_here &= loaded.slot_role == rule.role_id
        if rule.station_id:
            slots_here &= loaded.slot_station == rule.station_id
        held = [
            (v, s)
            for v, s, r in holders_at
            if (not rule.role_id or r == rule.role_id)
            and (not rule.station_id or s == rule.station_id)
        ]
        picked = np.flatnonzero(mask)
        if rule.kind == SeatRule.Kind.AT_LEAST_SKILL:
            members = np.array(
                sorted({p for p, s in skill_members if s == rule.skill_id}), dtype=np.int64
            )
            picked = picked[np.isin(ep[picked], members)]
            held_with = defaultdict(int)
            for v, s in held:
                if rule.skill_id in holder_skills.get(v, ()):
                    held_with[s] += 1
            by_station = _split(picked, pair_station[picked])
            for station_id in sorted(set(loaded.slot_station[slots_here].tolist())):
                need = rule.count - held_with[station_id]
                if need > 0:
                    edges = by_station.get(station_id, np.zeros(0, dtype=np.int64))
                    problem.at_least.append(Group(edges, need))
                    loaded.at_least_rules.append((rule, station_id, None))
        else:
            if not party_members or not len(picked):
                continue
            mp = np.array([p for p, _t in party_members], dtype=np.int64)
            mt = np.array([t for _p, t in party_members], dtype=np.int64)
            order = np.argsort(mp, kind="stable")
            ptr = np.zeros(n_people + 1, dtype=np.int64)
            np.cumsum(np.bincount(mp, minlength=n_people), out=ptr[1:])
            owner, party = expand(ptr, mt[order], ep[picked])
            edges_all = picked[owner]
            width = max(parties) + 1
            keys = pair_station[edges_all] * width + party
            held_party = defaultdict(int)
            for v, s in held:
                for t in holder_parties.get(v, ()):
                    held_party[s * width + t] += 1
            for key, edges in _split(edges_all, keys).items():
                station_id, team_id = divmod(int(key), width)
                problem.at_most.append(Group(np.sort(edges), max(0, rule.count - held_party[key])))
                loaded.at_most_rules.append((rule, station_id, team_id))


def _split(values: np.ndarray, keys: np.ndarray) -> dict[int, np.ndarray]:
    """``values`` grouped by ``keys``."""
    if not len(values):
        return {}
    order = np.argsort(keys, kind="stable")
    uniq, first = np.unique(keys[order], return_index=True)
    parts = np.split(values[order], first[1:])
    return {int(k): part for k, part in zip(uniq, parts, strict=True)}
