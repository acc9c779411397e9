"""Whether a published standardised rate singles out a small stratum count.

A directly standardised rate is a weighted sum of its strata's counts (sex x age band), whose
weights a reader can work out from the public census population and the European Standard
Population: ``DSR = sum(a_i n_i)``, and Dobson's limits add a second weighted sum, the variance
``V = sum(b_i n_i)``. Published to a few digits, with the group's total count known to its rounding
window, they constrain the strata counts ``n_i``. A stratum is *singled out* when every set of
whole-number strata counts that reproduces the published figures gives it a count in the small
range (1 to 4 for the nhs profile; 1 to 7 for strict), so the reader learns that the stratum holds
a small, non-zero count without it ever being published.

:func:`singles_out` decides that exactly, as integer feasibility problems (scipy's ``milp``, HiGHS):
for each stratum whose true count is small and non-zero, it looks for strata counts that reproduce
everything published but give the stratum none, or more than the small range. Only if neither
exists is the stratum singled out, and the rate is then not published.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from pipeline.differencing import HiddenRange
from pipeline.stats import byars_ci

MIN_EVENTS = 10  # a standardised rate is published from 10 events (PHEindicatormethods)


def singles_out(counts: np.ndarray, populations: np.ndarray, weights: np.ndarray, multiplier: float,
                published: tuple[np.ndarray, np.ndarray, np.ndarray], decimals: int,
                total_window: tuple[np.ndarray, np.ndarray], hidden: HiddenRange,
                margins: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = ()) -> np.ndarray:
    """For each group (row of ``counts``, strata on columns), whether its published standardised
    rate and limits single out a small stratum count.

    ``published``: the rate and its limits as published (rounded to ``decimals``); NaN rows are not
    published and are not checked. ``total_window``: the range of the strata counts' sum a reader
    knows from the published total count. ``margins``: further published sums, each (stratum mask,
    low, high per group), e.g. a group's count of one sex from its sex breakdown."""
    counts, populations = np.asarray(counts, float), np.asarray(populations, float)
    share = np.asarray(weights, float) / np.sum(weights)
    a = share / populations * multiplier
    b = (share / populations) ** 2 * multiplier ** 2
    half = 0.5 * 10.0 ** (-decimals) + 1e-9
    out = np.zeros(len(counts), bool)
    low = max(1, hidden.low)
    for g in range(len(counts)):
        rate, lower, upper = (float(p[g]) for p in published)
        if np.isnan(rate) or np.isnan(lower) or np.isnan(upper):
            continue
        small = np.flatnonzero((counts[g] >= low) & (counts[g] <= hidden.high))
        if not len(small):
            continue
        ones = np.ones(counts.shape[1])
        rows = [(ones, total_window[0][g], total_window[1][g]), (a[g], rate - half, rate + half)]
        rows += [(mask.astype(float), lo[g], hi[g]) for mask, lo, hi in margins]
        totals = range(max(int(np.ceil(total_window[0][g])), MIN_EVENTS), int(np.floor(total_window[1][g])) + 1)
        variances = {n: v for n in totals if (v := _variance_window(n, rate, lower, upper, half)) is not None}
        out[g] = bool(_unresolved(rows, variances, counts[g], set(int(i) for i in small), b[g], hidden))
    return out


def _unresolved(rows: list, variances: dict[int, tuple[float, float]], actual: np.ndarray, strata: set[int],
                b: np.ndarray, hidden: HiddenRange) -> set[int]:
    """The strata (of ``strata``) that no set of counts reproducing the published figures takes out
    of the small range, total by total (the variance window depends on the total)."""
    ones = np.ones(len(actual))
    left = set(strata)
    for total, variance in variances.items():
        problem = rows + [(ones, total, total), (b, *variance)]
        for i in sorted(left):
            if i not in left:
                continue
            for bounds in ((0, 0), (hidden.high + 1, np.inf)):
                found = _witness(problem, actual, i, *bounds)
                if found is not None:  # it may clear other strata too
                    left -= {j for j in left if found[j] == 0 or found[j] > hidden.high}
                    break
        if not left:
            break
    return left


def _variance_window(total: int, rate: float, lower: float, upper: float, half: float) -> tuple[float, float] | None:
    """The range of Dobson's variance (times the multiplier squared) that reproduces the published
    limits when the strata counts add up to ``total``: lower = DSR - sqrt(V/N) (N - Byar lower(N))
    and upper = DSR + sqrt(V/N) (Byar upper(N) - N)."""
    b_low, b_high = byars_ci(float(total), 0.95)
    below, above = total - b_low, b_high - total
    lo_gap = (max(0.0, (rate - half) - (lower + half)), (rate + half) - (lower - half))
    hi_gap = (max(0.0, (upper - half) - (rate + half)), (upper + half) - (rate - half))
    v_lo = max(total * (lo_gap[0] / below) ** 2, total * (hi_gap[0] / above) ** 2)
    v_hi = min(total * (lo_gap[1] / below) ** 2, total * (hi_gap[1] / above) ** 2)
    return (v_lo, v_hi) if v_lo <= v_hi else None


def _witness(rows: list[tuple[np.ndarray, float, float]], actual: np.ndarray, stratum: int, low: float,
             high: float) -> np.ndarray | None:
    """Whole-number strata counts that meet every row with ``stratum``'s count in [low, high], or
    None if there are none: the bound each row alone puts on the stratum first, then the linear
    relaxation (whose infeasibility settles it), then the integer program."""
    matrix = np.vstack([r[0] for r in rows])
    lower, upper = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    column = matrix[:, stratum]
    with np.errstate(divide="ignore", invalid="ignore"):  # non-negative rows cap the stratum alone
        cap = np.where((matrix >= 0).all(axis=1) & (column > 0), upper / column, np.inf).min()
    if cap < low:
        return None
    n = len(actual)
    bounds = Bounds(np.where(np.arange(n) == stratum, low, 0.0), np.where(np.arange(n) == stratum, high, np.inf))
    constraint = LinearConstraint(matrix, lower, upper)
    relaxed = milp(np.zeros(n), constraints=constraint, bounds=bounds)
    if relaxed.status != 0:
        return None
    for guess in (np.round(relaxed.x), np.floor(relaxed.x), np.ceil(relaxed.x)):  # often whole already
        values = matrix @ guess
        if (guess >= bounds.lb).all() and (guess <= bounds.ub).all() and (values >= lower - 1e-9).all() \
                and (values <= upper + 1e-9).all():
            return guess
    result = milp(np.zeros(n), constraints=constraint, integrality=np.ones(n), bounds=bounds)
    return np.round(result.x) if result.status == 0 else None
