"""Public-health indicator statistics, reproducing PHEindicatormethods 2.1.0.

Every statistical formula the audit publishes lives here (funnel plots are in
:mod:`pipeline.funnel`): Wilson intervals for proportions, exact/Byar's Poisson
intervals for crude rates, Dobson intervals for directly standardised rates, log-scale
intervals for ratios to the comparator group, and the labels the report uses.
Formulas follow ``shared/reference/phe/README.md``; ``tests/test_stats_conformance.py``
replays the peer's own test fixtures.

Conventions
-----------
* Inputs are plain numbers or array-likes; outputs are floats when every input is a
  scalar, numpy arrays otherwise. Missing values (NaN/None) give NaN outputs, except in
  :func:`dsr` where missing counts count as 0 and missing populations are an error.
* Invalid input raises ``ValueError`` naming the argument, the value and its index.
* Confidence: one level per call. A level in [0.9, 1] is used as is and one in
  [90, 100] is read as a percentage (99.8 -> 0.998); anything else raises
  ``ValueError``. This is PHEindicatormethods' rule, kept because its validation cases
  require both 99.8 to be accepted and levels below 0.9 (0.8, 0.74, ...) to be refused.
  It is therefore stricter than "any level in (0, 1)" below 0.9. A level of 1 gives
  the trivial interval (Wilson limits exactly 0 and 1, Poisson limits 0 and infinity).
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special
from scipy.stats import binom, chi2

FloatOrArray = float | np.ndarray
Interval = tuple[FloatOrArray, FloatOrArray]
Estimate = tuple[FloatOrArray, FloatOrArray, FloatOrArray]

__all__ = [
    "wilson_ci", "byars_ci", "exact_poisson_ci", "poisson_ci", "proportion_ci",
    "rate_ci", "mean_ci", "difference_ci", "dsr", "dsr_nonindependent", "dsr_ratio", "rate_ratio", "proportion_ratio",
    "rate_ratio_score", "proportion_ratio_score", "median_ci",
    "significance",
]


# ---------------------------------------------------------------- helpers
def _level(confidence: Any) -> float:
    """Validate one confidence level and return it on the 0-1 scale."""
    try:
        c = np.asarray(confidence, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"confidence must be a number; got {confidence!r}") from None
    if c.ndim:
        raise ValueError(f"confidence must be a single level; got {confidence!r}")
    c = float(c)
    if 90 <= c <= 100:
        return c / 100
    if not 0.9 <= c <= 1:
        raise ValueError("confidence must be between 0.9 and 1 (or 90 and 100 as a "
                         f"percentage); got {confidence!r}")
    return c


def _z(c: float) -> float:
    """Two-sided normal quantile for confidence level c."""
    return float(special.ndtri(c + (1 - c) / 2))


def _arr(values: ArrayLike, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric; got {values!r}") from None


def _fail_if(bad: np.ndarray, values: np.ndarray, name: str, rule: str) -> None:
    """Raise ValueError naming the first value of `name` flagged in `bad`."""
    bad = np.asarray(bad)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        value = np.broadcast_to(values, bad.shape)[idx]
        where = "" if not idx else f" at index {idx[0] if len(idx) == 1 else idx}"
        raise ValueError(f"{name} {rule}; got {value:g}{where}")


def _check_count(x: np.ndarray, name: str) -> None:
    _fail_if(x < 0, x, name, "must be greater than or equal to zero")


def _check_positive(n: np.ndarray, name: str) -> None:
    _fail_if(n <= 0, n, name, "must be greater than zero")


def _check_multiplier(multiplier: float) -> None:
    if not np.ndim(multiplier) == 0 or not float(multiplier) > 0:
        raise ValueError(f"multiplier must be a number greater than zero; got {multiplier!r}")


def _check_proportion(x: np.ndarray, n: np.ndarray, xname: str, nname: str) -> None:
    _check_count(x, xname)
    _check_positive(n, nname)
    _fail_if(x > n, x, xname, f"must be less than or equal to {nname}")


def _out(*arrays: np.ndarray, scalar: bool) -> tuple:
    return tuple(float(a) if scalar else a for a in arrays)


def _is_scalar(*values: ArrayLike) -> bool:
    return all(np.ndim(v) == 0 for v in values)


# ---------------------------------------------------------------- intervals
def wilson_ci(numerator: ArrayLike, denominator: ArrayLike,
              confidence: float = 0.95) -> Interval:
    """Wilson score interval for numerator/denominator, as proportions (0-1)."""
    x, n = _arr(numerator, "numerator"), _arr(denominator, "denominator")
    c = _level(confidence)
    _check_proportion(x, n, "numerator", "denominator")
    with np.errstate(invalid="ignore", divide="ignore"):
        if c == 1:
            missing = np.isnan(x + n)
            lower, upper = np.where(missing, np.nan, 0.0), np.where(missing, np.nan, 1.0)
        else:
            z = _z(c)
            root = z * np.sqrt(z ** 2 + 4 * x * (1 - x / n))
            lower = (2 * x + z ** 2 - root) / 2 / (n + z ** 2)
            upper = (2 * x + z ** 2 + root) / 2 / (n + z ** 2)
    return _out(lower, upper, scalar=_is_scalar(numerator, denominator))


def byars_ci(count: ArrayLike, confidence: float = 0.95) -> Interval:
    """Byar's approximate Poisson limits on the count; a negative lower limit is NaN."""
    x = _arr(count, "count")
    c = _level(confidence)
    _check_count(x, "count")
    z = _z(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
        lower = np.where(lower < 0, np.nan, lower)
    return _out(lower, upper, scalar=_is_scalar(count))


def exact_poisson_ci(count: ArrayLike, confidence: float = 0.95) -> Interval:
    """Exact (chi-squared) Poisson limits on the count; the lower limit is 0 at count 0."""
    x = _arr(count, "count")
    c = _level(confidence)
    _check_count(x, "count")
    alpha = 1 - c
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, chi2.ppf(alpha / 2, 2 * np.where(x > 0, x, 1)) / 2, 0.0)
        lower = np.where(np.isnan(x), np.nan, lower)
        upper = chi2.ppf(c + alpha / 2, 2 * x + 2) / 2
    return _out(lower, upper, scalar=_is_scalar(count))


def poisson_ci(count: ArrayLike, confidence: float = 0.95) -> Interval:
    """Poisson limits on the count: exact below 10, Byar's from 10 (as phe_rate)."""
    x = _arr(count, "count")
    exact, byars = exact_poisson_ci(x, confidence), byars_ci(x, confidence)
    lower, upper = (np.where(x < 10, e, b) for e, b in zip(exact, byars))
    return _out(lower, upper, scalar=_is_scalar(count))


def proportion_ci(numerator: ArrayLike, denominator: ArrayLike, multiplier: float = 100,
                  confidence: float | None = 0.95) -> Estimate:
    """Proportion x/n with Wilson limits, all times `multiplier` (100 = percentage).

    ``confidence=None`` returns the value with NaN limits (the peer's ``NA``).
    """
    x, n = _arr(numerator, "numerator"), _arr(denominator, "denominator")
    _check_multiplier(multiplier)
    _check_proportion(x, n, "numerator", "denominator")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = x / n * multiplier
    if confidence is None:
        lower = upper = np.full_like(value, np.nan)
    else:
        lower, upper = (np.asarray(a) * multiplier for a in wilson_ci(x, n, confidence))
    return _out(value, lower, upper, scalar=_is_scalar(numerator, denominator))


def rate_ci(count: ArrayLike, population: ArrayLike, multiplier: float = 100000,
            confidence: float = 0.95) -> Estimate:
    """Crude rate count/population x multiplier with exact (<10) or Byar's limits.

    The count may exceed the population (e.g. repeat events).
    """
    x, n = _arr(count, "count"), _arr(population, "population")
    c = _level(confidence)
    _check_multiplier(multiplier)
    _check_count(x, "count")
    _check_positive(n, "population")
    lower, upper = poisson_ci(x, c)
    with np.errstate(invalid="ignore"):
        value, lower, upper = (a / n * multiplier for a in (x, lower, upper))
    return _out(value, lower, upper, scalar=_is_scalar(count, population))


# ---------------------------------------------------------------- standardised rates
def _dobson(events: np.ndarray, var_counts: np.ndarray, n: np.ndarray, w: np.ndarray,
            multiplier: float, c: float) -> Estimate:
    """Dobson DSR over the last axis; var_counts carries f^2-weighted person counts."""
    wsum = w.sum(axis=-1)
    value = (events * w / n).sum(axis=-1) / wsum * multiplier
    var = (var_counts * w ** 2 / n ** 2).sum(axis=-1) / wsum ** 2
    total = events.sum(axis=-1)
    b_lower, b_upper = byars_ci(total, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(var / total) * multiplier
        lower = value + scale * (b_lower - total)
        upper = value + scale * (b_upper - total)
    small = total < 10
    value, lower, upper = (np.where(small, np.nan, a) for a in (value, lower, upper))
    return _out(value, lower, upper, scalar=value.ndim == 0)


def _dsr_inputs(populations: ArrayLike, standard_populations: ArrayLike,
                multiplier: float, confidence: float) -> tuple[np.ndarray, np.ndarray, float]:
    n, w = _arr(populations, "populations"), _arr(standard_populations, "standard_populations")
    c = _level(confidence)
    _check_multiplier(multiplier)
    _fail_if(np.isnan(n), n, "populations", "must not be missing (a data error)")
    _fail_if(np.isnan(w), w, "standard_populations", "must not be missing")
    _check_positive(n, "populations")
    _check_count(w, "standard_populations")
    return n, w, c


def dsr(counts: ArrayLike, populations: ArrayLike, standard_populations: ArrayLike,
        multiplier: float = 100000, confidence: float = 0.95) -> Estimate:
    """Directly standardised rate with Dobson limits (PHEindicatormethods calculate_dsr).

    Arrays are aligned by stratum on the last axis: 1-D for one group (floats out) or
    2-D shaped (groups, strata) (arrays of length groups out); standard populations
    broadcast. Missing counts count as 0. A group whose total count is below 10 gets
    NaN value and limits. A population that is 0, negative or missing raises ValueError.
    """
    x = _arr(counts, "counts")
    n, w, c = _dsr_inputs(populations, standard_populations, multiplier, confidence)
    if x.ndim not in (1, 2):
        raise ValueError(f"counts must be 1-D (strata) or 2-D (groups, strata); got shape {x.shape}")
    try:
        x, n, w = np.broadcast_arrays(x, n, w)
    except ValueError:
        raise ValueError("counts, populations and standard_populations must align by "
                         f"stratum; got shapes {x.shape}, {n.shape}, {w.shape}") from None
    _check_count(x, "counts")
    x = np.nan_to_num(x, nan=0.0)
    return _dobson(x, x, n, w, multiplier, c)


def dsr_ratio(counts1: ArrayLike, populations1: ArrayLike, counts2: ArrayLike, populations2: ArrayLike,
              standard_populations: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Ratio of two directly standardised rates with a log-scale (delta-method) interval.

    Each DSR's variance is Dobson's, sum(x w^2 / n^2) / (sum w)^2; the ratio's log has
    variance var1/dsr1^2 + var2/dsr2^2. Shapes as :func:`dsr` (strata on the last axis).
    NaN where either DSR is undefined (a total count below 10, as :func:`dsr` publishes).
    """
    estimates = []
    for counts, populations in ((counts1, populations1), (counts2, populations2)):
        x = np.nan_to_num(_arr(counts, "counts"), nan=0.0)
        n, w, c = _dsr_inputs(populations, standard_populations, 100000, confidence)
        _check_count(x, "counts")
        x, n, w = np.broadcast_arrays(x, n, w)
        value = (x * w / n).sum(axis=-1) / w.sum(axis=-1)
        var = (x * w ** 2 / n ** 2).sum(axis=-1) / w.sum(axis=-1) ** 2
        estimates.append((np.where(x.sum(axis=-1) < 10, np.nan, value), var))
    (d1, v1), (d2, v2) = estimates
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = d1 / d2
        se = np.sqrt(v1 / d1 ** 2 + v2 / d2 ** 2)
    lower, upper = _log_interval(ratio, se, c)
    return _out(ratio, lower, upper, scalar=np.ndim(ratio) == 0)


def dsr_nonindependent(person_counts: ArrayLike, event_frequencies: ArrayLike,
                       populations: ArrayLike, standard_populations: ArrayLike,
                       multiplier: float = 100000, confidence: float = 0.95) -> Estimate:
    """DSR for non-independent events (a person may have several events).

    ``person_counts[..., f, s]`` is the number of people with ``event_frequencies[f]``
    events in stratum s (missing = 0); populations/standard populations are per stratum
    (shape (..., strata)). Events per stratum are the frequency-weighted sum; the Dobson
    variance weights each frequency's person counts by f squared.
    """
    p, f = _arr(person_counts, "person_counts"), _arr(event_frequencies, "event_frequencies")
    n, w, c = _dsr_inputs(populations, standard_populations, multiplier, confidence)
    if p.ndim < 2 or f.shape != p.shape[-2:-1]:
        raise ValueError("person_counts must be shaped (..., frequencies, strata) with one "
                         f"frequency per row; got {p.shape} and {f.shape}")
    _check_count(p, "person_counts")
    _fail_if(~(f >= 1), f, "event_frequencies", "must be at least 1")
    p = np.nan_to_num(p, nan=0.0)
    events, var_counts = (f[:, None] * p).sum(axis=-2), (f[:, None] ** 2 * p).sum(axis=-2)
    try:
        events, var_counts, n, w = np.broadcast_arrays(events, var_counts, n, w)
    except ValueError:
        raise ValueError("person_counts, populations and standard_populations must align "
                         "by stratum") from None
    return _dobson(events, var_counts, n, w, multiplier, c)


# ---------------------------------------------------------------- ratios to a comparator
def mean_ci(total: ArrayLike, total_of_squares: ArrayLike, count: ArrayLike,
            confidence: float = 0.95) -> Estimate:
    """Mean with Student t limits from summed values (PHEindicatormethods phe_mean).

    Takes the sum of the values, the sum of their squares and their number, so group
    means can be built from a summed cube; the SD is the sample SD. NaN where fewer than
    two values.
    """
    s1, s2, k = _arr(total, "total"), _arr(total_of_squares, "total_of_squares"), _arr(count, "count")
    c = _level(confidence)
    _check_count(k, "count")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / k
        sd = np.sqrt(np.maximum(s2 - k * mean ** 2, 0) / (k - 1))
        half = np.abs(special.stdtrit(k - 1, (1 - c) / 2)) * sd / np.sqrt(k)
    few = ~(k >= 2)
    mean = np.where(k >= 1, mean, np.nan)
    lower, upper = np.where(few, np.nan, mean - half), np.where(few, np.nan, mean + half)
    return _out(mean, lower, upper, scalar=mean.ndim == 0)


def difference_ci(value1: ArrayLike, lower1: ArrayLike, upper1: ArrayLike,
                  value0: ArrayLike, lower0: ArrayLike, upper0: ArrayLike) -> Estimate:
    """Difference value1 - value0 with limits from the two estimates' own limits (the MOVER-D
    method of Newcombe 1998 and Zou & Donner 2008): asymmetric intervals such as Wilson's
    and Byar's carry over into the difference. NaN where any input is missing."""
    v1, l1, u1 = (_arr(a, n) for a, n in ((value1, "value1"), (lower1, "lower1"), (upper1, "upper1")))
    v0, l0, u0 = (_arr(a, n) for a, n in ((value0, "value0"), (lower0, "lower0"), (upper0, "upper0")))
    d = v1 - v0
    lower = d - np.sqrt((v1 - l1) ** 2 + (u0 - v0) ** 2)
    upper = d + np.sqrt((u1 - v1) ** 2 + (v0 - l0) ** 2)
    return _out(d, lower, upper, scalar=np.ndim(d) == 0)


def _log_interval(ratio: np.ndarray, se: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    z = _z(c)
    with np.errstate(over="ignore", invalid="ignore"):
        return ratio * np.exp(-z * se), ratio * np.exp(z * se)


def rate_ratio(count1: ArrayLike, population1: ArrayLike, count2: ArrayLike,
               population2: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Ratio of crude rates (group 1 / group 2) with log-scale limits.

    SE(log ratio) = sqrt(1/count1 + 1/count2). NaN where a count is 0 or a population
    is 0 or missing; negative counts or populations raise ValueError.
    """
    c1, p1 = _arr(count1, "count1"), _arr(population1, "population1")
    c2, p2 = _arr(count2, "count2"), _arr(population2, "population2")
    c = _level(confidence)
    for a, name in ((c1, "count1"), (p1, "population1"), (c2, "count2"), (p2, "population2")):
        _check_count(a, name)
    undefined = (c1 == 0) | (c2 == 0) | (p1 == 0) | (p2 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(undefined, np.nan, (c1 / p1) / (c2 / p2))
        se = np.sqrt(1 / c1 + 1 / c2)
    lower, upper = _log_interval(ratio, se, c)
    return _out(ratio, lower, upper, scalar=_is_scalar(count1, population1, count2, population2))


def _two_proportions(numerator1, denominator1, numerator2, denominator2, confidence):
    """Two groups' counts as arrays, checked (counts, numerator at most denominator), and the level."""
    x1, n1 = _arr(numerator1, "numerator1"), _arr(denominator1, "denominator1")
    x2, n2 = _arr(numerator2, "numerator2"), _arr(denominator2, "denominator2")
    for x, n, i in ((x1, n1, "1"), (x2, n2, "2")):
        _check_count(x, "numerator" + i)
        _check_count(n, "denominator" + i)
        _fail_if(x > n, x, "numerator" + i, "must be less than or equal to denominator" + i)
    return x1, n1, x2, n2, _level(confidence)


def proportion_ratio(numerator1: ArrayLike, denominator1: ArrayLike, numerator2: ArrayLike,
                     denominator2: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Ratio of proportions (group 1 / group 2) with log (Katz) limits.

    SE(log ratio) = sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2). NaN where a numerator or
    denominator is 0 or missing; negative values or numerator > denominator raise.
    """
    x1, n1, x2, n2, c = _two_proportions(numerator1, denominator1, numerator2, denominator2, confidence)
    undefined = (x1 == 0) | (x2 == 0) | (n1 == 0) | (n2 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(undefined, np.nan, (x1 / n1) / (x2 / n2))
        se = np.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    lower, upper = _log_interval(ratio, se, c)
    return _out(ratio, lower, upper,
                scalar=_is_scalar(numerator1, denominator1, numerator2, denominator2))


def proportion_ratio_score(numerator1: ArrayLike, denominator1: ArrayLike, numerator2: ArrayLike,
                           denominator2: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Ratio of proportions (group 1 / group 2) with Koopman's (1984) asymptotic score interval:
    the ratios the score test does not reject, each found by bisection. Unlike the log (Katz)
    interval it stays valid at 0% and 100% (Fagerland, Lydersen and Laake 2015 recommend it).
    The lower limit is 0 when numerator1 is 0, the upper infinite when numerator2 is 0; NaN when
    both are 0 or a denominator is 0."""
    x1, n1, x2, n2, c = _two_proportions(numerator1, denominator1, numerator2, denominator2, confidence)
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    z = _z(c)
    undefined = ((x1 == 0) & (x2 == 0)) | (n1 == 0) | (n2 == 0) | np.isnan(x1 + n1 + x2 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(undefined, np.nan, (x1 / n1) / (x2 / n2))

        def score(theta: np.ndarray) -> np.ndarray:
            a = theta * (n1 + n2)
            b = -(theta * (n1 + x2) + x1 + n2)
            p2 = (-b - np.sqrt(np.maximum(b * b - 4 * a * (x1 + x2), 0))) / (2 * a)
            p1 = theta * p2
            var = p1 * (1 - p1) / n1 + theta ** 2 * p2 * (1 - p2) / n2
            return (x1 / n1 - theta * x2 / n2) / np.sqrt(var)

        lower = _bisect(score, z, undefined | (x1 == 0))
        upper = _bisect(score, -z, undefined | (x2 == 0))
    lower = np.where(undefined, np.nan, np.where(x1 == 0, 0.0, lower))
    upper = np.where(undefined, np.nan, np.where(x2 == 0, np.inf, upper))
    return _out(ratio, lower, upper, scalar=_is_scalar(numerator1, denominator1, numerator2, denominator2))


def _bisect(score, target: float, skip: np.ndarray, iterations: int = 200) -> np.ndarray:
    """The ratio where the decreasing ``score`` equals ``target``, by bisection on the log scale."""
    lo, hi = np.full(skip.shape, -30.0), np.full(skip.shape, 30.0)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        above = score(np.exp(mid)) > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.where(skip, np.nan, np.exp((lo + hi) / 2))


def rate_ratio_score(count1: ArrayLike, population1: ArrayLike, count2: ArrayLike, population2: ArrayLike,
                     confidence: float = 0.95) -> Estimate:
    """Ratio of crude rates (group 1 / group 2) with the score interval of Gu et al. (2008): given
    count1 + count2 events, count1 is binomial with p = R t1 / (R t1 + t2), so the interval is the
    Wilson interval for that p carried over to R. Valid for small counts and at 0; the lower limit
    is 0 when count1 is 0, the upper infinite when count2 is 0."""
    c1, p1 = _arr(count1, "count1"), _arr(population1, "population1")
    c2, p2 = _arr(count2, "count2"), _arr(population2, "population2")
    c = _level(confidence)
    for a, name in ((c1, "count1"), (p1, "population1"), (c2, "count2"), (p2, "population2")):
        _check_count(a, name)
    undefined = ((c1 == 0) & (c2 == 0)) | (p1 == 0) | (p2 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(undefined, np.nan, (c1 / p1) / (c2 / p2))
        low, high = wilson_ci(c1, c1 + c2, c)
        scale = p2 / p1
        lower = np.where(undefined, np.nan, low / (1 - low) * scale)
        upper = np.where(undefined, np.nan, np.where(c2 == 0, np.inf, high / (1 - high) * scale))
    return _out(ratio, lower, upper, scalar=_is_scalar(count1, population1, count2, population2))


def median_ci(values: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Median with a distribution-free interval: the order statistics whose binomial coverage of
    the median is at least ``confidence``, as scipy.stats.quantile_test(values, q=median,
    p=0.5).confidence_interval(confidence) gives them. NaN for an empty sample."""
    x = np.sort(_arr(values, "values"))
    c = _level(confidence)
    if len(x) == 0:
        return float("nan"), float("nan"), float("nan")
    low, high = _median_order_statistics(len(x), c)
    return float(np.median(x)), float(x[low]) if low >= 0 else float("nan"), \
        float(x[high]) if high < len(x) else float("nan")


@functools.cache
def _median_order_statistics(n: int, confidence: float) -> tuple[int, int]:
    """The (0-based) order statistics of a sample of ``n`` that bound its median's interval:
    quantile_test's own rule (binomial n, 1/2), which depends only on n and the level, kept
    because building quantile_test's distribution objects cost more than the medians."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be below 1 for a median's interval; got {confidence!r}")
    tail = (1 - confidence) / 2
    return int(binom.ppf(tail, n, 0.5)) - 1, int(binom.isf(tail, n, 0.5))


def significance(lower: ArrayLike, upper: ArrayLike) -> str | np.ndarray:
    """Label a ratio's interval against 1: 'higher', 'lower', 'similar' ('' if NaN)."""
    lo, hi = _arr(lower, "lower"), _arr(upper, "upper")
    lo, hi = np.broadcast_arrays(lo, hi)
    labels = np.full(lo.shape, "similar", dtype="<U7")
    labels[lo > 1] = "higher"
    labels[hi < 1] = "lower"
    labels[np.isnan(lo) | np.isnan(hi)] = ""
    return str(labels) if labels.ndim == 0 else labels
