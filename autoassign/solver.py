"""The optimiser: who takes which open seat, as a mixed-integer programme solved
by HiGHS, and the simple greedy method it is compared with.

The model (one 0/1 variable per person and shift they may take):

- each shift takes at most its open seats; each person at most their number of
  new shifts, and at most one of any set of shifts that overlap in time;
- "at most K from one party" groups are hard limits; "at least N with a skill"
  groups may fall short, at a penalty larger than any wish;
- first the number of filled seats is maximised, then, with that number held,
  the wish points (minus shortfall penalties).

Why HiGHS and a MIP, not CP-SAT: without the seat rules this is a bipartite
b-matching, whose LP relaxation has integral optima, so a simplex-based MIP
solver finishes at the root node with a proven bound — exactly what is needed
to report the bound and the gap — and it takes fractional wish weights as they
are. CP-SAT would search a million Booleans with an integer-scaled objective and
needs its own LP to prove the same bound. HiGHS is also one small MIT wheel.

The graph of who-may-take-what falls apart into independent pieces (people of one
town do not compete for another town's seats): each connected component is
solved on its own — exactly, no optimality lost — and small components are
packed together into one model so that HiGHS is not started a thousand times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np

# Components are packed into models of about this many variables.
PACK_EDGES = 40_000
# The penalty per missing person of an "at least N" group, at least this and at
# least ten times the best wish score of a seat.
MIN_PENALTY = 1000.0
# The wish objective is good enough this close to the bound (relative).
MIP_REL_GAP = 0.001
THREADS = 2


@dataclass
class Group:
    """A set of (person, shift) pairs that together may hold at most, or should
    hold at least, ``limit`` seats."""

    edges: np.ndarray
    limit: int


@dataclass
class Problem:
    open: np.ndarray  # per shift: seats to fill
    slot_start: np.ndarray  # per shift: minutes since the epoch
    slot_end: np.ndarray
    person_max: np.ndarray  # per person: how many new shifts at most
    edge_p: np.ndarray  # per pair: the person
    edge_s: np.ndarray  # per pair: the shift
    edge_score: np.ndarray  # per pair: wish points
    at_most: list[Group] = field(default_factory=list)
    at_least: list[Group] = field(default_factory=list)

    @property
    def n_people(self) -> int:
        return len(self.person_max)

    @property
    def n_slots(self) -> int:
        return len(self.open)


@dataclass
class Result:
    chosen: np.ndarray  # per pair: taken
    filled: int
    seat_bound: int  # no proposal can fill more seats
    score: float  # wish points minus shortfall penalties
    score_bound: float  # no proposal with ``filled`` seats scores more
    shortfall: int = 0  # people missing from "at least N" groups
    components: int = 0
    models: int = 0
    optimal: bool = True  # every model solved to the gap
    seconds: float = 0.0

    @property
    def gap(self) -> float:
        """How far the wish score may be from the best possible, relative."""
        if self.score_bound <= self.score:
            return 0.0
        return (self.score_bound - self.score) / max(abs(self.score_bound), 1.0)


# ---------------------------------------------------------------------------
# Structure: overlap cliques and connected components


def overlap_cliques(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maximal sets of shifts that all overlap one moment, as CSR per shift:
    (ptr, clique ids); a person holds at most one shift of each set."""
    n = len(start)
    if n == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    intervals, slot_interval = np.unique(
        np.stack([start, end], axis=1), axis=0, return_inverse=True
    )
    slot_interval = slot_interval.reshape(-1)
    sets: list[frozenset[int]] = []
    for t in np.unique(intervals[:, 0]):
        members = np.flatnonzero((intervals[:, 0] <= t) & (intervals[:, 1] > t))
        sets.append(frozenset(members.tolist()))
    unique_sets = set(sets)
    maximal = [s for s in unique_sets if not any(s < other for other in unique_sets)]
    of_interval: list[list[int]] = [[] for _ in range(len(intervals))]
    for cid, members in enumerate(maximal):
        for iv in members:
            of_interval[iv].append(cid)
    counts = np.array([len(of_interval[i]) for i in slot_interval], dtype=np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    ids = np.fromiter(
        (c for i in slot_interval for c in of_interval[i]), dtype=np.int64, count=int(ptr[-1])
    )
    return ptr, ids


def expand(ptr: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each position i of ``rows``: pairs (i, idx[k]) for k in ptr[rows[i]]..ptr[rows[i]+1]."""
    counts = ptr[rows + 1] - ptr[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    starts = np.repeat(ptr[rows] - (np.cumsum(counts) - counts), counts)
    return owner, idx[starts + np.arange(int(counts.sum()))]


def components(problem: Problem) -> tuple[np.ndarray, int]:
    """A component number per pair: pairs in different components share no person,
    no shift and no seat-rule group, so they can be solved apart."""
    n_p, n_s = problem.n_people, problem.n_slots
    u = [problem.edge_p.astype(np.int64)]
    v = [problem.edge_s.astype(np.int64) + n_p]
    # A seat-rule group ties its shifts together: each to the group's first.
    groups = [g.edges for g in (*problem.at_most, *problem.at_least) if len(g.edges) > 1]
    if groups:
        members = np.concatenate(groups)
        firsts = np.repeat([g[0] for g in groups], [len(g) for g in groups])
        u.append(problem.edge_s[members].astype(np.int64) + n_p)
        v.append(problem.edge_s[firsts].astype(np.int64) + n_p)
    uu, vv = np.concatenate(u), np.concatenate(v)
    label = np.arange(n_p + n_s, dtype=np.int64)
    while True:
        low = np.minimum(label[uu], label[vv])
        new = label.copy()
        np.minimum.at(new, uu, low)
        np.minimum.at(new, vv, low)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            break
        label = new
    edge_label = label[problem.edge_p.astype(np.int64)]
    kinds, edge_comp = np.unique(edge_label, return_inverse=True)
    return edge_comp.reshape(-1), len(kinds)


# ---------------------------------------------------------------------------
# One model: a set of pairs (whole components)


@dataclass
class _Model:
    edges: np.ndarray  # global pair ids, in column order
    n_rows: int
    lower: np.ndarray
    upper: np.ndarray
    ptr: np.ndarray  # CSR over columns 0..len(edges)-1 (+ shortfall columns)
    idx: np.ndarray
    val: np.ndarray
    shortfall_groups: list[int]  # at_least group ids with a shortfall column each


def _build(problem: Problem, edges: np.ndarray, cliques: tuple[np.ndarray, np.ndarray]) -> _Model:
    """The constraint rows for the pairs ``edges`` (sorted global ids)."""
    n = len(edges)
    local = np.full(len(problem.edge_p), -1, dtype=np.int64)
    local[edges] = np.arange(n)
    ep, es = problem.edge_p[edges].astype(np.int64), problem.edge_s[edges].astype(np.int64)
    row_cols: list[np.ndarray] = []
    row_ids: list[np.ndarray] = []
    lowers: list[np.ndarray] = []
    uppers: list[np.ndarray] = []
    next_row = 0

    def add(keys: np.ndarray, cols: np.ndarray, bound_of_key, lower=None) -> None:
        """Rows grouping ``cols`` by ``keys``: sum ≤ bound (or ≥ lower), only
        where the row can bind."""
        nonlocal next_row
        if not len(keys):
            return
        uniq, inv, count = np.unique(keys, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        upper = bound_of_key(uniq).astype(np.float64)
        binding = count > upper if lower is None else np.ones(len(uniq), dtype=bool)
        if not binding.any():
            return
        renum = np.full(len(uniq), -1, dtype=np.int64)
        renum[binding] = next_row + np.arange(int(binding.sum()))
        keep = binding[inv]
        row_cols.append(cols[keep])
        row_ids.append(renum[inv[keep]])
        lowers.append(
            np.full(int(binding.sum()), -np.inf) if lower is None else lower(uniq)[binding]
        )
        uppers.append(upper[binding] if lower is None else np.full(int(binding.sum()), np.inf))
        next_row += int(binding.sum())

    cols = np.arange(n, dtype=np.int64)
    add(es, cols, lambda s: problem.open[s])
    add(ep, cols, lambda p: problem.person_max[p])
    ptr, ids = cliques
    owner, clique = expand(ptr, ids, es)
    if len(owner):
        key = ep[owner] * (int(ids.max()) + 1) + clique
        # Skip a person's clique row that says no more than their own row does.
        _, inv, count = np.unique(key, return_inverse=True, return_counts=True)
        degree = np.bincount(ep, minlength=problem.n_people)
        inv = inv.reshape(-1)
        redundant = (count[inv] == degree[ep[owner]]) & (problem.person_max[ep[owner]] <= 1)
        add(key[~redundant], owner[~redundant], lambda k: np.ones(len(k)))
    for group in problem.at_most:
        g = local[group.edges]
        g = g[g >= 0]
        if len(g):
            add(
                np.zeros(len(g), dtype=np.int64), g, lambda k, lim=group.limit: np.full(len(k), lim)
            )
    shortfall_groups: list[int] = []
    extra_cols: list[int] = []
    for gid, group in enumerate(problem.at_least):
        g = local[group.edges]
        g = g[g >= 0]
        if len(g) == 0:
            continue
        column = n + len(shortfall_groups)
        shortfall_groups.append(gid)
        extra_cols.append(column)
        add(
            np.zeros(len(g) + 1, dtype=np.int64),
            np.append(g, column),
            lambda k: np.full(len(k), np.inf),
            lower=lambda k, lim=group.limit: np.full(len(k), float(lim)),
        )
    if row_cols:
        rc, ri = np.concatenate(row_cols), np.concatenate(row_ids)
    else:
        rc, ri = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((ri, rc))
    rc, ri = rc[order], ri[order]
    n_cols = n + len(shortfall_groups)
    col_ptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(rc, minlength=n_cols), out=col_ptr[1:])
    return _Model(
        edges=edges,
        n_rows=next_row,
        lower=np.concatenate(lowers) if lowers else np.zeros(0),
        upper=np.concatenate(uppers) if uppers else np.zeros(0),
        ptr=col_ptr,
        idx=ri,
        val=np.ones(len(ri)),
        shortfall_groups=shortfall_groups,
    )


@dataclass
class _Solved:
    edges: np.ndarray
    chosen: np.ndarray
    filled: int
    seat_bound: int
    score: float
    score_bound: float
    shortfall: int
    optimal: bool


def _highs(model: _Model, costs: np.ndarray, upper_cols: np.ndarray) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    # Presolve finds nothing to reduce in these models and its clique table costs
    # seconds; the LP below usually proves the optimum on its own.
    h.setOptionValue("presolve", "off")
    h.addRows(
        model.n_rows,
        model.lower,
        model.upper,
        0,
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    h.addCols(
        len(costs),
        costs.astype(np.float64),
        np.zeros(len(costs)),
        upper_cols.astype(np.float64),
        len(model.idx),
        model.ptr[:-1].astype(np.int32),
        model.idx.astype(np.int32),
        model.val,
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return h


@dataclass
class _Stage:
    values: np.ndarray
    objective: float
    bound: float
    optimal: bool


class _NeedsBranching(Exception):
    """The LP optimum is fractional and branch and bound was not allowed (yet)."""


def _stage(h: highspy.Highs, n_int: int, time_limit: float, *, branch: bool) -> _Stage:
    """Solve the LP relaxation; if its optimum is integral it is the optimum (and
    its own bound) — the usual case, as the pure assignment has integral vertices.
    Otherwise, if ``branch``, branch and bound (HiGHS MIP) on the 0/1 variables
    within ``time_limit``; the bound is then the better of the LP's and the MIP's
    dual bound, and if the search finds no solution in time, the LP optimum
    rounded down (which breaks no constraint: all rows but the stage-2 seat row
    are upper limits, and that one is met by the stage-1 fallback) stands in."""
    started = time.perf_counter()
    h.setOptionValue("time_limit", max(0.5, float(time_limit)))
    h.changeColsIntegrality(
        n_int, np.arange(n_int, dtype=np.int32), np.zeros(n_int, dtype=np.uint8)
    )
    h.run()
    lp_ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    lp_values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    lp_value = float(h.getInfo().objective_function_value) if lp_ok else np.inf
    if lp_ok and np.abs(lp_values[:n_int] - np.round(lp_values[:n_int])).max(initial=0.0) < 1e-6:
        return _Stage(np.round(lp_values), lp_value, lp_value, True)
    if not branch:
        raise _NeedsBranching
    h.changeColsIntegrality(
        n_int,
        np.arange(n_int, dtype=np.int32),
        np.full(n_int, highspy.HighsVarType.kInteger, dtype=np.uint8),
    )
    h.setOptionValue("time_limit", max(0.5, float(time_limit - (time.perf_counter() - started))))
    # No start solution: HiGHS was measured ten times slower on these models with one.
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    bound = min(float(info.mip_dual_bound), lp_value)
    if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusNone:
        values = np.floor(lp_values + 1e-9) if lp_ok else np.zeros(h.getNumCol())
        return _Stage(values, float("nan"), bound, False)
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    return _Stage(
        values,
        float(info.objective_function_value),
        bound,
        status == highspy.HighsModelStatus.kOptimal,
    )


def _solve_model(
    problem: Problem, model: _Model, deadline: float, penalty: float, *, branch: bool
) -> _Solved:
    """Two stages on one model: most seats; then, holding that, most points.
    Without ``branch`` only if both LPs are integral (else _NeedsBranching)."""
    n = len(model.edges)
    n_short = len(model.shortfall_groups)
    seats_cost = np.concatenate([np.ones(n), np.zeros(n_short)])
    upper_cols = np.concatenate(
        [np.ones(n), [float(problem.at_least[g].limit) for g in model.shortfall_groups]]
    )
    h = _highs(model, seats_cost, upper_cols)
    open_here = int(problem.open[np.unique(problem.edge_s[model.edges])].sum())
    # Stage 1: the most seats (half the time left, if it comes to branching).
    first = _stage(h, n, (deadline - time.perf_counter()) / 2, branch=branch)
    x = first.values[:n] > 0.5
    filled = int(x.sum())
    seat_bound = min(open_here, max(filled, int(np.floor(first.bound + 1e-6))))
    # Stage 2: at least ``filled`` seats, the best points.
    h.addRow(float(filled), np.inf, n, np.arange(n, dtype=np.int32), np.ones(n))
    scores = np.concatenate([problem.edge_score[model.edges], np.full(n_short, -penalty)])
    h.changeColsCost(len(scores), np.arange(len(scores), dtype=np.int32), scores)
    second = _stage(h, n, deadline - time.perf_counter(), branch=branch)
    x2 = second.values[:n] > 0.5
    optimal = first.optimal and second.optimal
    if x2.sum() < filled:  # nothing better found in time: keep the stage-1 seats
        x2, optimal = x, False
    short = _shortfalls(problem, model, x2)
    score = float(problem.edge_score[model.edges][x2].sum() - penalty * short.sum())
    return _Solved(
        edges=model.edges,
        chosen=x2,
        filled=int(x2.sum()),
        seat_bound=max(seat_bound, int(x2.sum())),
        score=score,
        score_bound=max(score, second.bound) if np.isfinite(second.bound) else score,
        shortfall=round(float(short.sum())),
        optimal=optimal,
    )


def _shortfalls(problem: Problem, model: _Model, x: np.ndarray) -> np.ndarray:
    """How far each of the model's "at least N" groups falls short with ``x``."""
    chosen = np.zeros(len(problem.edge_p), dtype=bool)
    chosen[model.edges[x]] = True
    return np.array(
        [
            max(0, problem.at_least[g].limit - int(chosen[problem.at_least[g].edges].sum()))
            for g in model.shortfall_groups
        ],
        dtype=np.float64,
    )


def _packs(edge_comp: np.ndarray, n_comp: int) -> list[np.ndarray]:
    """Pair ids grouped into models of whole components, about PACK_EDGES each."""
    order = np.argsort(edge_comp, kind="stable")
    sizes = np.bincount(edge_comp, minlength=n_comp)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    packs: list[np.ndarray] = []
    start = 0
    for c in range(n_comp):
        end = bounds[c + 1]
        if end - start >= PACK_EDGES or c == n_comp - 1:
            packs.append(np.sort(order[start:end]))
            start = end
    return [p for p in packs if len(p)]


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    progress: Callable[[float], None] | None = None,
    threads: int = THREADS,
) -> Result:
    """The optimal proposal (within ``time_limit`` seconds in all)."""
    started = time.perf_counter()
    n_edges = len(problem.edge_p)
    penalty = max(MIN_PENALTY, 10.0 * float(problem.edge_score.max(initial=0.0)))
    # "At least N" groups nobody can help with fall short whatever is chosen.
    hopeless = sum(g.limit for g in problem.at_least if not len(g.edges))
    if n_edges == 0:
        return Result(
            np.zeros(0, dtype=bool),
            0,
            0,
            -penalty * hopeless,
            -penalty * hopeless,
            shortfall=hopeless,
        )
    cliques = overlap_cliques(problem.slot_start, problem.slot_end)
    edge_comp, n_comp = components(problem)
    packs = _packs(edge_comp, n_comp)
    deadline = started + max(1.0, time_limit)
    chosen = np.zeros(n_edges, dtype=bool)
    solved: list[_Solved] = []
    done = 0

    def finished(part: _Solved) -> None:
        nonlocal done
        solved.append(part)
        chosen[part.edges[part.chosen]] = True
        done += len(part.edges)
        if progress is not None:
            progress(done / n_edges)

    def lp_only(edges: np.ndarray) -> _Solved | np.ndarray:
        try:
            return _solve_model(
                problem, _build(problem, edges, cliques), deadline, penalty, branch=False
            )
        except _NeedsBranching:
            return edges

    # First every model as LPs (integral almost always, and quick); then branch
    # and bound on the few that are not, sharing the time that is left.
    branching: list[np.ndarray] = []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for part in pool.map(lp_only, sorted(packs, key=len, reverse=True)):
            if isinstance(part, _Solved):
                finished(part)
            else:
                branching.append(part)
        if branching:
            per_model = max(
                2.0, (deadline - time.perf_counter()) * max(1, threads) / len(branching)
            )

            def with_branching(edges: np.ndarray) -> _Solved:
                until = min(deadline, time.perf_counter() + per_model)
                model = _build(problem, edges, cliques)
                return _solve_model(
                    problem, model, max(until, time.perf_counter() + 2.0), penalty, branch=True
                )

            for part in pool.map(with_branching, branching):
                finished(part)
    return Result(
        chosen=chosen,
        filled=sum(s.filled for s in solved),
        seat_bound=sum(s.seat_bound for s in solved),
        score=sum(s.score for s in solved) - penalty * hopeless,
        score_bound=sum(s.score_bound for s in solved) - penalty * hopeless,
        shortfall=sum(s.shortfall for s in solved) + hopeless,
        components=n_comp,
        models=len(packs),
        optimal=all(s.optimal for s in solved),
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------
# The simple method, for comparison: seat by seat, the best-scoring person free


def greedy(problem: Problem) -> Result:
    """Shift by shift (in the loader's order: station, role, time), each open seat
    to the free person with the most wish points who still fits every hard rule.
    What a coordinator does by hand, and what most tools automate."""
    started = time.perf_counter()
    n_edges = len(problem.edge_p)
    chosen = np.zeros(n_edges, dtype=bool)
    order = np.lexsort((-problem.edge_score, problem.edge_s))
    slot_ptr = np.zeros(problem.n_slots + 1, dtype=np.int64)
    np.cumsum(np.bincount(problem.edge_s, minlength=problem.n_slots), out=slot_ptr[1:])
    used = np.zeros(problem.n_people, dtype=np.int64)
    held: dict[int, list[int]] = {}
    limits = [g.limit for g in problem.at_most]
    in_groups: dict[int, list[int]] = {}
    for gid, group in enumerate(problem.at_most):
        for e in group.edges.tolist():
            in_groups.setdefault(e, []).append(gid)
    start, end = problem.slot_start, problem.slot_end
    edge_p, pmax = problem.edge_p, problem.person_max
    for s in range(problem.n_slots):
        left = int(problem.open[s])
        if left <= 0:
            continue
        for e in order[slot_ptr[s] : slot_ptr[s + 1]].tolist():
            p = int(edge_p[e])
            if used[p] >= pmax[p]:
                continue
            if any(start[t] < end[s] and end[t] > start[s] for t in held.get(p, ())):
                continue
            groups = in_groups.get(e, ())
            if any(limits[g] <= 0 for g in groups):
                continue
            chosen[e] = True
            used[p] += 1
            held.setdefault(p, []).append(s)
            for g in groups:
                limits[g] -= 1
            left -= 1
            if left == 0:
                break
    score = float(problem.edge_score[chosen].sum())
    shortfall = 0
    for group in problem.at_least:
        shortfall += max(0, group.limit - int(chosen[group.edges].sum()))
    penalty = max(MIN_PENALTY, 10.0 * float(problem.edge_score.max(initial=0.0)))
    return Result(
        chosen=chosen,
        filled=int(chosen.sum()),
        seat_bound=int(chosen.sum()),
        score=score - penalty * shortfall,
        score_bound=score,
        shortfall=shortfall,
        seconds=time.perf_counter() - started,
    )
