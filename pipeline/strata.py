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
from scipy.optimize._highspy import _core as _highs
from scipy.sparse import csc_array

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
    solver = _Solver()
    for total, variance in variances.items():
        problem = _Problem(rows + [(ones, total, total), (b, *variance)])
        for i in sorted(left):
            if i not in left:
                continue
            for bounds in ((0, 0), (hidden.high + 1, np.inf)):
                found = problem.witness(solver, i, *bounds)
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


class _Problem:
    """The published figures at one total, as rows ``lower <= matrix @ x <= upper``, built once for
    every stratum and bound tried against them."""

    def __init__(self, rows: list[tuple[np.ndarray, float, float]]) -> None:
        self.matrix = np.vstack([r[0] for r in rows])
        self.lower, self.upper = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
        with np.errstate(divide="ignore", invalid="ignore"):  # non-negative rows cap a stratum alone
            self.caps = np.where((self.matrix >= 0).all(axis=1)[:, None] & (self.matrix > 0),
                                 self.upper[:, None] / self.matrix, np.inf).min(axis=0)
        self.columns = csc_array(self.matrix)  # the compressed columns HiGHS takes, as milp passes them

    def witness(self, solver: _Solver, stratum: int, low: float, high: float) -> np.ndarray | None:
        """Whole-number strata counts that meet every row with ``stratum``'s count in [low, high],
        or None if there are none: the bound each row alone puts on the stratum first, then the
        linear relaxation (whose infeasibility settles it), then the integer program."""
        if self.caps[stratum] < low:
            return None
        n = self.matrix.shape[1]
        lb = np.where(np.arange(n) == stratum, low, 0.0)
        ub = np.where(np.arange(n) == stratum, high, np.inf)
        relaxed = solver.solve(self.columns, self.lower, self.upper, lb, ub, integer=False)
        if relaxed is None:
            return None
        for guess in (np.round(relaxed), np.floor(relaxed), np.ceil(relaxed)):  # often whole already
            values = self.matrix @ guess
            if (guess >= lb).all() and (guess <= ub).all() and (values >= self.lower - 1e-9).all() \
                    and (values <= self.upper + 1e-9).all():
                return guess
        result = solver.solve(self.columns, self.lower, self.upper, lb, ub, integer=True)
        return None if result is None else np.round(result)


class _Solver:
    """HiGHS through scipy's own bindings, as ``scipy.optimize.milp(zeros, constraints=...,
    integrality=..., bounds=...)`` calls it (same build, model and options), less milp's per-call
    input checking, sparse conversion and option set-up, which cost more than solving these
    dozen-variable problems (about 4,000 of them in a national year). Integer programs run
    without HiGHS's feasibility-jump heuristic, which on these problems takes longer than the
    rest of the solve; it changes which witness is found, never whether one exists.
    ``tests/test_strata.py`` checks the solves against milp and the decisions against enumeration."""

    def __init__(self) -> None:
        self.highs = _highs._Highs()
        self.options = {}
        for integer in (False, True):
            options = _highs.HighsOptions()
            options.log_to_console = False
            options.mip_heuristic_run_feasibility_jump = not integer
            self.options[integer] = options

    def solve(self, columns: csc_array, lower: np.ndarray, upper: np.ndarray, lb: np.ndarray, ub: np.ndarray,
              integer: bool) -> np.ndarray | None:
        """A point with ``lower <= columns @ x <= upper`` and ``lb <= x <= ub`` (whole numbers if
        ``integer``), or None if HiGHS finds the problem infeasible."""
        n_rows, n_cols = columns.shape
        lp = _highs.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
        lp.a_matrix_.format_ = _highs.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = columns.indptr, columns.indices, columns.data
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.zeros(n_cols), lb, ub
        lp.row_lower_, lp.row_upper_ = lower, upper
        lp.integrality_ = [_highs.HighsVarType(int(integer))] * n_cols
        self.highs.clearModel()  # a fresh model each time: no basis carried over from the last solve
        self.highs.passOptions(self.options[integer])
        self.highs.passModel(lp)
        self.highs.run()
        if self.highs.getModelStatus() != _highs.HighsModelStatus.kOptimal:
            return None
        return np.array(self.highs.getSolution().col_value)
