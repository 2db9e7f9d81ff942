"""Why a seat is left open, why a willing person is not placed, and which wishes
a proposed seat meets — in words. The job stores a code and its parameters
(names, numbers, a day); the page words them in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from autoassign.problem import STAGES, Loaded
from autoassign.solver import Result
from elections.models import Role
from polling_stations.models import PollingStation
from volunteers.models import Skill, Team

WISHES = {
    "station": _("Station they asked for"),
    "area": _("Area they asked for"),
    "near": _("Near home"),
    "last": _("Same station and role as last election"),
    "role": _("Role they wanted"),
    "experience": _("Has done this role before"),
}


@dataclass
class OpenSeatWhy:
    shift_id: int
    seats: int
    code: str
    params: dict


@dataclass
class LeftOutWhy:
    volunteer_id: int
    code: str
    params: dict


@dataclass
class UnmetRule:
    station: str
    skill: str
    role: str
    missing: int


def _day(value: str | None) -> str:
    if not value:
        return ""
    return date_format(date.fromisoformat(value), "DATE_FORMAT")


def open_seat_text(code: str, params: dict) -> str:
    """The reason a shift's seats are left open, in the current language."""
    p = {**params, "day": _day(params.get("day"))}
    seats = int(p.get("seats", 1))
    texts = {
        "near": ngettext(
            "%(seats)d seat for %(role)s: nobody can come here — no volunteer lives within "
            "%(km)d km, asked for this station or its area, or was here last time.",
            "%(seats)d seats for %(role)s: nobody can come here — no volunteer lives within "
            "%(km)d km, asked for this station or its area, or was here last time.",
            seats,
        ),
        "most_shifts": ngettext(
            "%(seats)d seat for %(role)s: the %(n)d people who could come here have as many "
            "shifts as they want already.",
            "%(seats)d seats for %(role)s: the %(n)d people who could come here have as many "
            "shifts as they want already.",
            seats,
        ),
        "day": ngettext(
            "%(seats)d seat for %(role)s: the %(n)d people who could come here are not "
            "available on %(day)s.",
            "%(seats)d seats for %(role)s: the %(n)d people who could come here are not "
            "available on %(day)s.",
            seats,
        ),
        "role_refused": ngettext(
            "%(seats)d seat for %(role)s: the people who could come here do not want this role.",
            "%(seats)d seats for %(role)s: the people who could come here do not want this role.",
            seats,
        ),
        "age": ngettext(
            "%(seats)d seat for %(role)s: everyone free who could come here is under "
            "%(age)d, the role's minimum age.",
            "%(seats)d seats for %(role)s: everyone free who could come here is under "
            "%(age)d, the role's minimum age.",
            seats,
        ),
        "team": ngettext(
            "%(seats)d seat for %(role)s needs the %(team)s team; no free member is "
            "available on %(day)s.",
            "%(seats)d seats for %(role)s need the %(team)s team; no free member is "
            "available on %(day)s.",
            seats,
        ),
        "skill": ngettext(
            "%(seats)d seat for %(role)s needs %(skills)s; nobody free near enough has it.",
            "%(seats)d seats for %(role)s need %(skills)s; nobody free near enough has it.",
            seats,
        ),
        "declined": ngettext(
            "%(seats)d seat for %(role)s: everyone who could take it declined it before.",
            "%(seats)d seats for %(role)s: everyone who could take them declined before.",
            seats,
        ),
        "overlap": ngettext(
            "%(seats)d seat for %(role)s: everyone who could take it has another seat at "
            "that time.",
            "%(seats)d seats for %(role)s: everyone who could take them has another seat at "
            "that time.",
            seats,
        ),
        "party_limit": ngettext(
            "%(seats)d seat for %(role)s: the people left who could take it would break the "
            "rule “at most %(limit)d from one party” (%(team)s).",
            "%(seats)d seats for %(role)s: the people left who could take them would break the "
            "rule “at most %(limit)d from one party” (%(team)s).",
            seats,
        ),
        "taken_elsewhere": ngettext(
            "%(seats)d seat for %(role)s: everyone who could take it (%(n)d) is placed on "
            "another seat that only they could fill or that fits them better.",
            "%(seats)d seats for %(role)s: everyone who could take them (%(n)d) is placed on "
            "another seat that only they could fill or that fits them better.",
            seats,
        ),
    }
    text = texts.get(code)
    if text is None:
        return str(_("No reason recorded."))
    return text % _Defaults(p)


def left_out_text(code: str, params: dict) -> str:
    """Why a willing volunteer is not in the proposal, in the current language."""
    p = dict(params)
    texts = {
        "near": _(
            "No open seat at a station they can go to: none they asked for, none in an "
            "area they asked for, none within %(km)d km of their postal code."
        ),
        "no_location": _(
            "Their postal code's position is not known and they asked for no station or "
            "area, so no station is near them."
        ),
        "most_shifts": _("They have as many shifts as they want already."),
        "by_hand": _("Taken off the proposal by hand (another person was put on the seat)."),
        "day": _("Not available on the days of the open seats near them."),
        "role_refused": _("The open seats near them are all in roles they do not want."),
        "age": _("Under the minimum age of the roles with open seats near them."),
        "team": _("The open seats near them are reserved for teams they are not in."),
        "skill": _("The open seats near them need a skill or training they do not have."),
        "declined": _("They declined the open seats near them before."),
        "overlap": _("They have another seat at the times of the open seats near them."),
        "party_limit": _(
            "The seats they could take would break a rule “at most K from one party”."
        ),
        "others_fit_better": ngettext(
            "The %(n)d seat they could take went to someone who fits it better or has "
            "fewer choices.",
            "All %(n)d seats they could take went to people who fit them better or have "
            "fewer choices.",
            int(p.get("n", 1)),
        ),
    }
    text = texts.get(code)
    if text is None:
        return str(_("No reason recorded."))
    return text % _Defaults(p)


class _Defaults(dict):
    """Parameters for a text, with something sensible for any that are missing."""

    def __missing__(self, key: str) -> object:
        return 0 if key in {"seats", "n", "km", "age", "limit"} else "?"


def explain(loaded: Loaded, result: Result) -> tuple[list[OpenSeatWhy], list[LeftOutWhy]]:
    """Reasons for every shift with seats left open, and every willing person
    without a seat in the election who is not placed."""
    problem = loaded.problem
    chosen = result.chosen
    ep = problem.edge_p.astype(np.int64)
    es = problem.edge_s.astype(np.int64)
    filled = np.bincount(es[chosen], minlength=problem.n_slots)
    taken = np.bincount(ep[chosen], minlength=problem.n_people)
    short = problem.open - filled
    roles = dict(Role.objects.values_list("pk", "name"))
    role_ages = dict(Role.objects.values_list("pk", "min_age"))
    teams = dict(Team.objects.values_list("pk", "name"))
    km = int(loaded.weights.max_km) if loaded.weights else 0
    needed = _needed_skills(set(loaded.slot_role.tolist()))
    # Pairs still possible: the person has room and no chosen seat overlapping.
    person_full = taken >= problem.person_max
    saturated = np.zeros(len(ep), dtype=bool)
    limits: dict[int, tuple[int, int | None]] = {}
    for gid, group in enumerate(problem.at_most):
        if int(chosen[group.edges].sum()) >= group.limit:
            saturated[group.edges] = True
            for e in group.edges.tolist():
                limits[e] = (group.limit, loaded.at_most_rules[gid][2])
    stage_counts = [loaded.slot_stages[name] for name in STAGES]
    by_slot = _csr(es, problem.n_slots)
    by_person = _csr(ep, problem.n_people)
    open_seats: list[OpenSeatWhy] = []
    for s in np.flatnonzero(short > 0).tolist():
        role_id = int(loaded.slot_role[s])
        params = {
            "seats": int(short[s]),
            "role": roles.get(role_id, ""),
            "day": loaded.slot_day[s].isoformat(),
            "km": km,
        }
        counts = [int(c[s]) for c in stage_counts]
        if counts[-1] == 0:
            code = STAGES[next(i for i, c in enumerate(counts) if c == 0)]
            params["n"] = counts[STAGES.index(code) - 1] if code != "near" else 0
            if code == "age":
                params["age"] = role_ages.get(role_id, 18)
            if code == "team":
                params["team"] = teams.get(int(loaded.slot_team[s]), "")
            if code == "skill":
                params["skills"] = ", ".join(needed.get(role_id, []))
            open_seats.append(OpenSeatWhy(int(loaded.shift_ids[s]), int(short[s]), code, params))
            continue
        here = by_slot[1][by_slot[0][s] : by_slot[0][s + 1]]
        free = here[~person_full[ep[here]] & ~chosen[here]]
        blocked = free[saturated[free]]
        if len(blocked):
            limit, team_id = limits[int(blocked[0])]
            params.update(limit=limit, team=teams.get(team_id, "") if team_id else "")
            code = "party_limit"
        else:
            code = "taken_elsewhere"
        params["n"] = len(np.unique(ep[here]))
        open_seats.append(OpenSeatWhy(int(loaded.shift_ids[s]), int(short[s]), code, params))

    left_out: list[LeftOutWhy] = []
    unplaced = np.flatnonzero((taken == 0) & ~loaded.person_has_seat)
    options = np.bincount(ep, minlength=problem.n_people)
    for p in unplaced.tolist():
        lost = int(loaded.person_lost_at[p])
        volunteer_id = int(loaded.volunteer_ids[p])
        if lost >= len(STAGES):
            continue
        if lost >= 0:
            code = STAGES[lost]
            if code == "near" and not loaded.person_located[p]:
                code = "no_location"
            left_out.append(LeftOutWhy(volunteer_id, code, {"km": km}))
            continue
        mine = by_person[1][by_person[0][p] : by_person[0][p + 1]]
        if len(mine) and saturated[mine].all() and (short[es[mine]] > 0).any():
            left_out.append(LeftOutWhy(volunteer_id, "party_limit", {}))
        else:
            left_out.append(LeftOutWhy(volunteer_id, "others_fit_better", {"n": int(options[p])}))
    return open_seats, left_out


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(pointers, pair ids) of the pairs grouped by ``keys``."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr, np.argsort(keys, kind="stable")


def _needed_skills(role_ids: set[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for skill in Skill.objects.filter(required_by_roles__in=role_ids).values_list(
        "required_by_roles", "name"
    ):
        out.setdefault(skill[0], []).append(skill[1])
    return out


def unmet_rules(loaded: Loaded, result: Result) -> list[dict]:
    """The "at least N with a skill" requirements the proposal falls short of."""
    if not loaded.at_least_rules:
        return []
    stations = dict(
        PollingStation.objects.filter(
            pk__in={station for _r, station, _t in loaded.at_least_rules}
        ).values_list("pk", "name")
    )
    out = []
    for group, (rule, station_id, _team) in zip(
        loaded.problem.at_least, loaded.at_least_rules, strict=True
    ):
        missing = group.limit - int(result.chosen[group.edges].sum())
        if missing > 0:
            out.append(
                {
                    "station": stations.get(station_id, ""),
                    "skill": rule.skill.name if rule.skill_id else "",
                    "role": rule.role.name if rule.role_id else "",
                    "missing": missing,
                }
            )
    return out


def unmet_rule_text(item: dict) -> str:
    if item.get("role"):
        return ngettext(
            "%(station)s: %(missing)d more %(role)s with %(skill)s is needed.",
            "%(station)s: %(missing)d more %(role)s with %(skill)s are needed.",
            int(item["missing"]),
        ) % _Defaults(item)
    return ngettext(
        "%(station)s: %(missing)d more person with %(skill)s is needed.",
        "%(station)s: %(missing)d more people with %(skill)s are needed.",
        int(item["missing"]),
    ) % _Defaults(item)
