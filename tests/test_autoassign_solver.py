"""The optimiser on hand-built instances with a known optimum (no database):
each hard rule where the greedy choice is wrong, seats before wishes, the seat
rules, the bound and gap, and the pieces solved apart as they would be together."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autoassign.solver import Group, Problem, greedy, solve

H = 60  # minutes


def problem(
    pairs: list[tuple[int, int, float]],
    *,
    open_: list[int],
    times: list[tuple[int, int]] | None = None,
    person_max: list[int] | None = None,
    at_most: list[Group] = (),
    at_least: list[Group] = (),
) -> Problem:
    n_people = max(p for p, _s, _w in pairs) + 1
    times = times or [(8 * H, 20 * H)] * len(open_)
    return Problem(
        open=np.array(open_),
        slot_start=np.array([a for a, _b in times]),
        slot_end=np.array([b for _a, b in times]),
        person_max=np.array(person_max or [1] * n_people),
        edge_p=np.array([p for p, _s, _w in pairs], dtype=np.int32),
        edge_s=np.array([s for _p, s, _w in pairs], dtype=np.int32),
        edge_score=np.array([w for _p, _s, w in pairs], dtype=np.float64),
        at_most=list(at_most),
        at_least=list(at_least),
    )


def taken(pr: Problem, chosen: np.ndarray) -> set[tuple[int, int]]:
    return {(int(pr.edge_p[e]), int(pr.edge_s[e])) for e in np.flatnonzero(chosen)}


def test_the_seat_only_one_person_can_take_goes_to_them():
    # Anna (0) fits the chair seat (0) best and could also count (1); Bo (1) can
    # only chair. Greedy gives Anna the chair and leaves the counting seat empty.
    pr = problem([(0, 0, 50), (0, 1, 5), (1, 0, 1)], open_=[1, 1])
    g, r = greedy(pr), solve(pr, threads=1)
    assert g.filled == 1
    assert r.filled == r.seat_bound == 2
    assert taken(pr, r.chosen) == {(0, 1), (1, 0)}


def test_overlapping_shifts_are_never_both_given_and_the_optimum_works_around_them():
    # Morning 8-14 and afternoon 12-20 overlap; Anna may take two shifts but not these two.
    pr = problem(
        [(0, 0, 40), (0, 1, 10), (1, 0, 1)],
        open_=[1, 1],
        times=[(8 * H, 14 * H), (12 * H, 20 * H)],
        person_max=[2, 1],
    )
    g, r = greedy(pr), solve(pr, threads=1)
    assert g.filled == 1
    assert r.filled == 2
    assert taken(pr, r.chosen) == {(0, 1), (1, 0)}


def test_back_to_back_shifts_do_not_overlap():
    pr = problem(
        [(0, 0, 1), (0, 1, 1)],
        open_=[1, 1],
        times=[(8 * H, 14 * H), (14 * H, 20 * H)],
        person_max=[2],
    )
    assert solve(pr, threads=1).filled == 2


def test_the_most_shifts_per_person_holds():
    # Anna may take one shift (the morning or the evening, which do not overlap);
    # greedy gives her the morning she likes, and the evening only she can take stays empty.
    pr = problem(
        [(0, 0, 30), (0, 1, 1), (1, 0, 1)],
        open_=[1, 1],
        times=[(7 * H, 12 * H), (16 * H, 22 * H)],
        person_max=[1, 1],
    )
    g, r = greedy(pr), solve(pr, threads=1)
    assert g.filled == 1
    assert r.filled == 2
    assert np.bincount(pr.edge_p[r.chosen], minlength=2).max() <= 1


def test_capacity_holds():
    pr = problem([(p, 0, 10 - p) for p in range(5)], open_=[3])
    r = solve(pr, threads=1)
    assert r.filled == 3
    assert taken(pr, r.chosen) == {(0, 0), (1, 0), (2, 0)}  # the three best


def test_seats_come_before_wishes():
    # Anna and Bo both wish for seat 0 (100 points each, one seat); seat 1 is nobody's
    # wish and only Bo can take it. Both seats filled (100 points) beat the wish.
    pr = problem([(0, 0, 100), (1, 0, 150), (1, 1, 0)], open_=[1, 1])
    r = solve(pr, threads=1)
    assert r.filled == 2
    assert r.score == 100
    assert greedy(pr).filled == 1  # greedy seats Bo (150) at 0 and has nobody for 1


def test_with_seats_equal_the_most_wish_points_win():
    pr = problem([(0, 0, 10), (0, 1, 30), (1, 0, 25), (1, 1, 20)], open_=[1, 1])
    r = solve(pr, threads=1)
    assert taken(pr, r.chosen) == {(0, 1), (1, 0)}
    assert r.score == pytest.approx(55)
    assert r.score_bound == pytest.approx(55)
    assert r.gap == pytest.approx(0)
    assert r.optimal


def test_at_most_k_from_one_party_is_a_hard_limit():
    # Three chairs' seats; Anna and Bo are of one party, which may have at most one.
    # They score highest, Carl and Dorte lower; the limit wins over points.
    pr = problem(
        [(0, 0, 90), (1, 0, 80), (2, 0, 10), (3, 0, 5)],
        open_=[3],
        at_most=[Group(np.array([0, 1]), 1)],
    )
    r = solve(pr, threads=1)
    chosen = taken(pr, r.chosen)
    assert len(chosen & {(0, 0), (1, 0)}) == 1
    assert r.filled == 3


def test_at_most_limit_may_leave_a_seat_open_and_greedy_respects_it_too():
    pr = problem([(0, 0, 9), (1, 0, 8)], open_=[2], at_most=[Group(np.array([0, 1]), 1)])
    assert solve(pr, threads=1).filled == 1
    assert greedy(pr).filled == 1


def test_at_least_n_with_a_skill_is_met_when_it_costs_only_wishes():
    # One seat; Anna (no Arabic) scores 50, Bo (Arabic) 5; the station needs one
    # Arabic speaker: Bo, and the shortfall is none.
    pr = problem([(0, 0, 50), (1, 0, 5)], open_=[1], at_least=[Group(np.array([1]), 1)])
    r = solve(pr, threads=1)
    assert taken(pr, r.chosen) == {(1, 0)}
    assert r.shortfall == 0
    assert greedy(pr).shortfall == 1


def test_at_least_n_never_costs_a_seat():
    # Bo speaks the language but is Anna's only alternative for seat 1: taking Bo
    # for seat 0 would leave seat 1 empty. Seats come first; the shortfall is reported.
    pr = problem(
        [(0, 0, 1), (1, 0, 1), (1, 1, 1)],
        open_=[1, 1],
        at_least=[Group(np.array([1]), 1)],
    )
    r = solve(pr, threads=1)
    assert r.filled == 2
    assert taken(pr, r.chosen) == {(0, 0), (1, 1)}
    assert r.shortfall == 1


def test_independent_towns_are_solved_apart_with_the_same_result():
    rng = np.random.default_rng(7)
    pairs, open_ = [], []
    for town in range(6):
        for person in range(8):
            for seat in rng.choice(5, size=3, replace=False):
                pairs.append((town * 8 + person, town * 5 + int(seat), float(rng.integers(0, 50))))
        open_ += [int(x) for x in rng.integers(1, 3, 5)]
    pr = problem(pairs, open_=open_)
    together = solve(pr, threads=1)
    assert together.components == 6
    apart_filled = apart_score = 0
    for town in range(6):
        keep = [(p - town * 8, s - town * 5, w) for p, s, w in pairs if p // 8 == town]
        part = solve(problem(keep, open_=open_[town * 5 : town * 5 + 5]), threads=1)
        apart_filled += part.filled
        apart_score += part.score
    assert together.filled == apart_filled
    assert together.score == pytest.approx(apart_score)


def _brute_force(pr: Problem) -> tuple[int, float]:
    best = (0, 0.0)
    n = len(pr.edge_p)
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits, dtype=bool)
        if (np.bincount(pr.edge_s[x], minlength=pr.n_slots) > pr.open).any():
            continue
        if (np.bincount(pr.edge_p[x], minlength=pr.n_people) > pr.person_max).any():
            continue
        chosen = np.flatnonzero(x)
        clash = any(
            pr.edge_p[i] == pr.edge_p[j]
            and pr.slot_start[pr.edge_s[i]] < pr.slot_end[pr.edge_s[j]]
            and pr.slot_end[pr.edge_s[i]] > pr.slot_start[pr.edge_s[j]]
            for i, j in itertools.combinations(chosen, 2)
        )
        if clash or any(x[g.edges].sum() > g.limit for g in pr.at_most):
            continue
        best = max(best, (int(x.sum()), float(pr.edge_score[x].sum())))
    return best


@pytest.mark.parametrize("seed", range(25))
def test_random_small_instances_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_people, n_slots = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    pairs = [
        (p, s, float(rng.integers(0, 40)))
        for p in range(n_people)
        for s in range(n_slots)
        if rng.random() < 0.55
    ][:12]
    if not pairs:
        pairs = [(0, 0, 1.0)]
    starts = rng.integers(0, 3, n_slots) * 4 * H
    times = [(int(a), int(a + rng.integers(2, 6) * H)) for a in starts]
    pr = problem(
        pairs,
        open_=[int(x) for x in rng.integers(1, 3, n_slots)],
        times=times,
        person_max=[int(x) for x in rng.integers(1, 3, max(p for p, _s, _w in pairs) + 1)],
        at_most=[Group(np.flatnonzero(rng.random(len(pairs)) < 0.4), int(rng.integers(0, 2)))],
    )
    r = solve(pr, threads=1)
    filled, score = _brute_force(pr)
    assert (r.filled, r.score) == (filled, pytest.approx(score))
    assert greedy(pr).filled <= r.filled


def test_a_fractional_lp_goes_to_branch_and_bound_with_valid_bounds():
    # Three people, three one-seat shifts, each person fits two of them; the party
    # limits "at most 1 of each pair of people" make the LP optimum 1.5 seats
    # (every pair at 1/2): only branch and bound finds the integral 1.
    pairs = [(0, 0, 1), (0, 1, 1), (1, 1, 1), (1, 2, 1), (2, 2, 1), (2, 0, 1)]
    pr = problem(
        pairs,
        open_=[1, 1, 1],
        at_most=[
            Group(np.array([0, 1, 2, 3]), 1),
            Group(np.array([2, 3, 4, 5]), 1),
            Group(np.array([4, 5, 0, 1]), 1),
        ],
    )
    r = solve(pr, threads=1)
    assert (r.filled, r.seat_bound) == _brute_force(pr)[:1] * 2
    assert r.seat_bound <= int(pr.open.sum())
    assert r.score <= r.score_bound < float("inf")
    assert r.optimal
