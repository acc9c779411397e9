"""The strata audit (pipeline.strata) decides what enumeration decides, and its HiGHS calls solve
what scipy's milp solves.

Random small groups (4 or 6 strata, 10 to 20 events, many strata of 1-4, populations and weights
that make the published rate pin the strata down or not) are audited by :func:`singles_out` and
by brute force: every whole-number split of every total the reader cannot rule out, checked
against the published rate, variance window, total window and margins. A stratum is singled out
when no split takes it out of the small range.
"""

from __future__ import annotations

import itertools
from contextlib import nullcontext
from functools import cache

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from pipeline import estimates, stats, strata
from pipeline.differencing import HiddenRange

HIDDEN = HiddenRange(1, 4, 2)  # the nhs profile
DECIMALS = 0


@cache
def _splits(total: int, parts: int) -> np.ndarray:
    """Every way of writing ``total`` as ``parts`` non-negative whole numbers (stars and bars)."""
    rows = []
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        edges = (-1, *bars, total + parts - 1)
        rows.append([edges[k + 1] - edges[k] - 1 for k in range(parts)])
    return np.array(rows, float)


def _groups(seed: int, n_groups: int, parts: int):
    """Random groups as indicators._singles_out hands them over: counts, populations, the
    standard weights, the published rate and limits, the total's window and a margin by sex."""
    rng = np.random.default_rng(seed)
    counts = rng.choice([0, 1, 2, 3, 4, 5, 7], size=(n_groups, parts), p=[.15, .2, .2, .15, .1, .1, .1]).astype(float)
    low = counts.sum(axis=1) < strata.MIN_EVENTS
    counts[low, 0] += strata.MIN_EVENTS - counts[low].sum(axis=1)  # 10 or more events, to be published
    populations = rng.integers(40, 3000, size=(n_groups, parts)).astype(float)
    weights = rng.integers(1, 10, size=parts) * 500.0
    multiplier = float(rng.choice([1000, 100000]))
    value, lower, upper = stats.dsr(counts, populations, weights, multiplier=multiplier)
    published = tuple(estimates.rounded(e, DECIMALS) for e in (value, lower, upper))
    total = counts.sum(axis=1)
    exact = rng.random(n_groups) < 0.3  # some totals known exactly, the rest to +-2
    window = (np.where(exact, total, total - HIDDEN.half), np.where(exact, total, total + HIDDEN.half))
    mask = np.arange(parts) < parts // 2
    known = counts[:, mask].sum(axis=1)
    margins = [(mask, np.maximum(known - HIDDEN.half, 0), known + HIDDEN.half)]
    return counts, populations, weights, multiplier, published, window, margins


def _enumerated(counts, populations, weights, multiplier, published, window, margins) -> np.ndarray:
    """singles_out's decision by trying every split of every total in the window."""
    share = weights / weights.sum()
    half = 0.5 * 10.0 ** -DECIMALS + 1e-9
    out = np.zeros(len(counts), bool)
    for g in range(len(counts)):
        rate, lower, upper = (p[g] for p in published)
        small = (counts[g] >= HIDDEN.low) & (counts[g] <= HIDDEN.high)
        if np.isnan(rate) or not small.any():
            continue
        a = share / populations[g] * multiplier
        b = a ** 2
        resolved = ~small
        for total in range(max(int(np.ceil(window[0][g])), strata.MIN_EVENTS), int(np.floor(window[1][g])) + 1):
            variance = strata._variance_window(total, rate, lower, upper, half)
            if variance is None:
                continue
            x = _splits(total, counts.shape[1])
            fits = (np.abs(x @ a - rate) <= half) & (x @ b >= variance[0]) & (x @ b <= variance[1])
            for mask, lo, hi in margins:
                fits &= (x[:, mask].sum(axis=1) >= lo[g]) & (x[:, mask].sum(axis=1) <= hi[g])
            resolved |= ((x[fits] == 0) | (x[fits] > HIDDEN.high)).any(axis=0)
        out[g] = not resolved.all()
    return out


@pytest.mark.parametrize("seed, parts", [(1, 4), (2, 4), (3, 6), (4, 6)])
def test_singles_out_decides_as_enumerating_every_split_does(seed, parts):
    groups = _groups(seed, 60, parts)
    counts, populations, weights, multiplier, published, window, margins = groups
    decided = strata.singles_out(counts, populations, weights, multiplier, published, DECIMALS, window, HIDDEN,
                                 margins)
    expected = _enumerated(*groups)
    assert 0 < expected.sum() < len(expected), "the random groups should include both outcomes"
    np.testing.assert_array_equal(decided, expected)


def test_highs_adapter_solves_what_milp_solves():
    """Every relaxation and integer program the audit poses on the random groups, through the
    adapter and through scipy.optimize.milp: same status, and the same point (milp given the
    adapter's one option for integer programs)."""
    counts, populations, weights, multiplier, published, window, margins = _groups(5, 25, 6)
    share = weights / weights.sum()
    solver, compared, infeasible = strata._Solver(), 0, 0
    for g in range(len(counts)):
        a = share / populations[g] * multiplier
        rate = published[0][g]
        rows = [(np.ones(6), window[0][g], window[1][g]), (a, rate - 0.5, rate + 0.5),
                *[(m.astype(float), lo[g], hi[g]) for m, lo, hi in margins], (a ** 2, 0.0, np.inf)]
        problem = strata._Problem(rows)
        for stratum, (low, high), integer in itertools.product(range(6), ((0, 0), (5, np.inf)), (False, True)):
            lb = np.where(np.arange(6) == stratum, low, 0.0)
            ub = np.where(np.arange(6) == stratum, high, np.inf)
            got = solver.solve(problem.columns, problem.lower, problem.upper, lb, ub, integer)
            options = {"mip_heuristic_run_feasibility_jump": False} if integer else None
            with pytest.warns(RuntimeWarning, match="passed to HiGHS verbatim") if integer else nullcontext():
                want = milp(np.zeros(6), constraints=LinearConstraint(problem.matrix, problem.lower, problem.upper),
                            bounds=Bounds(lb, ub), integrality=np.full(6, int(integer)), options=options)
            assert (got is None) == (want.status != 0)
            if got is not None:
                np.testing.assert_array_equal(got, want.x)
            compared += 1
            infeasible += got is None
    assert 0 < infeasible < compared
