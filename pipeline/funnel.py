"""Funnel-plot control limits and outlier labels, as PHEindicatormethods 2.1.0.

Mirrors the peer's ``calculate_funnel_limits`` (:func:`proportion_funnel_limits`,
:func:`ratio_funnel_limits`, :func:`rate_funnel_limits`), ``calculate_funnel_points``
(:func:`rate_funnel_points`) and ``assign_funnel_significance``
(:func:`funnel_significance`). Limits are drawn at 95% ("2s", tail probability 0.025)
and 99.8% ("3s", 0.001) around the all-provider average. Limit functions return a dict
of numpy arrays, one entry per column of the peer's output, evaluated on the peer's
100-point common axis (:func:`funnel_axis`) unless ``at`` gives the x values.

Poisson funnel limits repeat the peer's bisection and term-by-term Poisson sums
(:func:`poisson_funnel_mean`), so they match its printed values (closed-form
chi-squared quantiles would differ by up to ~5e-5 relative at tiny counts).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special
from scipy.stats import poisson

from pipeline.stats import _arr, _check_count, _check_positive, _fail_if, poisson_ci

TAILS = {"2s": 0.025, "3s": 0.001}  # one-sided tail probability of each limit pair
LEVELS = {"2s": 0.95, "3s": 0.998}

__all__ = ["funnel_axis", "proportion_funnel_limits", "poisson_funnel_mean",
           "ratio_funnel_limits", "rate_funnel_limits", "rate_funnel_points",
           "funnel_significance"]


def _r_nchar(value: float) -> int:
    """nchar(as.character(value)) in R for a whole number (R writes 1e+05 for 100000)."""
    fixed = str(int(value))
    digits = fixed.lstrip("-").rstrip("0") or "0"
    exponent = len(fixed.lstrip("-")) - 1
    sci = len(digits) + (len(digits) > 1) + 2 + max(2, len(str(exponent)))
    return len(fixed) if len(fixed) <= sci or value == 0 else sci + (value < 0)


def _floor_1sf(x: float) -> float:
    """The peer's signif.floor: 0.95*x rounded down to one significant figure."""
    n = _r_nchar(math.floor(x * 0.95)) - 1
    return 0.0 if x == 0 else math.floor(x * 0.95 / 10.0 ** n) * 10.0 ** n


def _ceil_2sf(x: float) -> float:
    """The peer's signif.ceiling: 1.05*x rounded up to two significant figures."""
    n = _r_nchar(math.ceil(x * 1.05)) - 2
    return 0.0 if x == 0 else math.ceil(x * 1.05 / 10.0 ** n) * 10.0 ** n


def funnel_axis(denominators: ArrayLike, *, ratio: bool = False, years: float = 1,
                average: float | None = None) -> np.ndarray:
    """The peer's 100 x-axis points spanning the denominators (NaN ignored).

    The range is min/max of the denominators rounded to neat values (per year for
    rates: pass `years`, and `average` to convert the axis to events). Points grow
    geometrically, rounded half-to-even as in R, each at least one above the last;
    ``ratio=True`` uses the peer's ratio exponent 1/(102 - j).
    """
    d = _arr(denominators, "denominators")
    lo, hi = float(np.nanmin(d)), float(np.nanmax(d))
    axis_min = 0.0 if hi > 2 * lo else _floor_1sf(lo / years) * years
    axis_max = _ceil_2sf(hi / years) * years
    if average is not None:
        axis_min, axis_max = math.floor(axis_min * average), math.ceil(axis_max * average)
    points = [max(1.0, axis_min)]
    for j in range(2, 101):
        offset = j - 1 if ratio else j
        prev = points[-1]
        points.append(max(float(np.rint((axis_max / prev) ** (1 / (101 - offset)) * prev)),
                          prev + 1))
    return np.array(points)


def _proportion_limit(p: float, n: np.ndarray, average: float, side: int) -> np.ndarray:
    """Proportion (0-1) at which an area of size n is on the Wilson limit around average.

    Equals average -/+ z*sqrt(average*(1-average)/n) with z = Phi^-1(1-p): the observed
    proportions whose Wilson interval just reaches the average.
    """
    z = special.ndtri(1 - p)
    return average + side * z * np.sqrt(average * (1 - average) / n)


def _validate_proportions(numerators: ArrayLike, denominators: ArrayLike) -> tuple:
    x, n = _arr(numerators, "numerators"), _arr(denominators, "denominators")
    _fail_if(np.isnan(x), x, "numerators", "must not be missing")
    _fail_if(np.isnan(n), n, "denominators", "must not be missing")
    _check_count(x, "numerators")
    _check_positive(n, "denominators")
    _fail_if(x > n, x, "numerators", "must be less than or equal to denominators")
    return x, n


def proportion_funnel_limits(numerators: ArrayLike, denominators: ArrayLike,
                             at: ArrayLike | None = None,
                             multiplier: float = 100) -> dict[str, np.ndarray]:
    """Proportion funnel: limits around sum(numerators)/sum(denominators).

    Keys: population, lower_2s, upper_2s, lower_3s, upper_3s, baseline (all times
    `multiplier`). As in the peer, lower limits are floored at 0 and upper limits
    capped at 100 whatever the multiplier.
    """
    x, n = _validate_proportions(numerators, denominators)
    average = x.sum() / n.sum()
    pop = funnel_axis(n) if at is None else _arr(at, "at")
    out = {"population": pop}
    for name, p in TAILS.items():
        out[f"lower_{name}"] = np.maximum(0, _proportion_limit(p, pop, average, -1) * multiplier)
        out[f"upper_{name}"] = np.minimum(100, _proportion_limit(p, pop, average, 1) * multiplier)
    out["baseline"] = np.full(pop.shape, average * multiplier)
    return out


def _peer_poisson_probability(mu: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """P(lo <= K <= hi) for K ~ Poisson(mu), summed term by term exactly as the peer:
    terms mu^k/k! (rescaled by 1e30 on overflow) until k > mu and the term is below
    1e-10 of the running total. Reproducing its rounding keeps the bisection's
    decisions, hence its limits, identical to the peer's."""
    q, total, s = np.ones_like(mu), np.zeros_like(mu), np.zeros_like(mu)
    active, k = np.ones(mu.shape, dtype=bool), 0
    while active.any():
        total = np.where(active, total + q, total)
        s = np.where(active & (k >= lo) & (k <= hi), s + q, s)
        big = active & (total > 1e30)
        s, total, q = (np.where(big, a / 1e30, a) for a in (s, total, q))
        k += 1
        q = np.where(active, q * mu / k, q)
        active &= (k <= mu) | (q > total * 1e-10)
    return s / total


def poisson_funnel_mean(observed: ArrayLike, p: ArrayLike, tail: ArrayLike) -> np.ndarray:
    """Poisson mean mu with P(K <= O; mu) = p (tail 'lower') or P(K >= O; mu) = p ('upper').

    The 'lower' tail gives the mean on the lower funnel limit (limit O/mu), 'upper' the
    mean on the upper limit. Arguments broadcast, so many limits are solved at once.
    The peer's bisection: v in (0, 1) with mu = (1 + O) v / (1 - v), starting at 0.5 and
    halving the step while it exceeds 1e-7 (23 steps). Closed-form chi-squared quantiles
    would differ from the peer's printed values by up to ~5e-5 relative.
    """
    tail = np.asarray(tail)
    if not np.isin(tail, ["lower", "upper"]).all():
        raise ValueError(f"tail must be 'lower' or 'upper'; got {tail!r}")
    o, p, upper = np.broadcast_arrays(_arr(observed, "observed"), _arr(p, "p"), tail == "upper")
    lo, hi = np.where(upper, o, 0), np.where(upper, np.inf, o)
    v, dv = np.full(o.shape, 0.5), 0.5
    while dv > 1e-7:
        dv /= 2
        prob = _peer_poisson_probability((1 + o) * v / (1 - v), lo, hi)
        v = np.where(np.where(upper, prob > p, prob < p), v - dv, v + dv)
    return (1 + o) * v / (1 - v)


def _funnel_means(axis: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Poisson means on each limit ('lower'/'upper', '2s'/'3s') for the axis points."""
    keys = [(side, name) for name in TAILS for side in ("lower", "upper")]
    p = np.array([[TAILS[name]] for _, name in keys])
    tails = np.array([[side] for side, _ in keys])
    means = poisson_funnel_mean(axis[None, :], p, tails)
    return dict(zip(keys, means))


def ratio_funnel_limits(observed: ArrayLike, expected: ArrayLike, ratio_type: str = "count",
                        at: ArrayLike | None = None) -> dict[str, np.ndarray]:
    """Ratio (observed/expected) funnel against a ratio of 1.

    The axis is observed events (built from the expected values, as the peer does).
    Keys: observed_events and, for s in 2s/3s, lower_{s}_exp_events, lower_{s},
    upper_{s}_exp_events, upper_{s}. ratio_type 'count' reports ratio - 1 and 'isr'
    ratio x 100.
    """
    if ratio_type not in ("count", "isr"):
        raise ValueError(f"ratio_type must be 'count' or 'isr'; got {ratio_type!r}")
    obs, exp = _arr(observed, "observed"), _arr(expected, "expected")
    _check_count(obs, "observed")
    _check_positive(exp, "expected")
    events = funnel_axis(exp, ratio=True) if at is None else _arr(at, "at")
    out = {"observed_events": events}
    for (side, name), mu in _funnel_means(events).items():
        ratio = events / mu
        out[f"{side}_{name}_exp_events"] = mu
        out[f"{side}_{name}"] = ratio - 1 if ratio_type == "count" else ratio * 100
    return out


def _derived_denominators(events: np.ndarray, rates: np.ndarray, denominators, rate_type: str,
                          multiplier: float) -> np.ndarray:
    """Denominators implied by events and rates (NaN for dsr with 0 events; supplied
    denominators for crude with 0 events)."""
    if rate_type not in ("dsr", "crude"):
        raise ValueError(f"rate_type must be 'dsr' or 'crude'; got {rate_type!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * events / rates
    zero = events == 0
    if rate_type == "dsr":
        return np.where(zero, np.nan, derived)
    if denominators is None:
        return derived
    return np.where(zero, _arr(denominators, "denominators"), derived)


def _validate_rates(events: ArrayLike, rates: ArrayLike, denominators) -> tuple:
    ev, rt = _arr(events, "events"), _arr(rates, "rates")
    _fail_if(np.isnan(ev), ev, "events", "must be provided for every record (0 if none)")
    _check_count(ev, "events")
    den = None if denominators is None else _arr(denominators, "denominators")
    missing_rate = np.isnan(rt) if den is None else np.isnan(rt) & np.isnan(den)
    _fail_if(missing_rate, rt, "rates", "must be provided (or a denominator where 0)")
    if den is not None:
        _check_positive(den, "denominators")
    no_denominator = np.isnan(den) if den is not None else np.ones(ev.shape, dtype=bool)
    _fail_if((ev == 0) & no_denominator, ev, "events", "of 0 need a denominator")
    return ev, rt, den


def rate_funnel_limits(events: ArrayLike, rates: ArrayLike, denominators: ArrayLike | None = None,
                       *, rate_type: str = "dsr", multiplier: float = 100000,
                       years: float = 1, at: ArrayLike | None = None) -> dict[str, np.ndarray]:
    """Rate funnel (crude or directly standardised) around the weighted average rate.

    Denominators are derived as multiplier*events/rate; `denominators` supplies them for
    crude rates with 0 events. Keys: events and, for s in 2s/3s,
    lower_{s}_population_1_year, lower_{s}, upper_{s}_population_1_year, upper_{s};
    plus baseline (the average rate). Limits are per `multiplier`.
    """
    ev, rt, den = _validate_rates(events, rates, denominators)
    derived = _derived_denominators(ev, rt, den, rate_type, multiplier)
    average = ev.sum() / np.nansum(derived)
    axis = funnel_axis(derived, years=years, average=average) if at is None else _arr(at, "at")
    out = {"events": axis}
    for (side, name), mu in _funnel_means(axis).items():
        pop = mu / average
        out[f"{side}_{name}_population_1_year"] = pop / years
        out[f"{side}_{name}"] = axis / pop * multiplier
    out["baseline"] = np.full(axis.shape, average * multiplier)
    return out


def rate_funnel_points(events: ArrayLike, rates: ArrayLike, denominators: ArrayLike | None = None,
                       *, rate_type: str = "dsr", multiplier: float = 100000,
                       years: float = 1) -> tuple[np.ndarray, np.ndarray]:
    """Points to plot on a rate funnel: (rate_chart, denominator_derived per year).

    For dsr, both are NaN where events < 10. For crude rates with 0 events the supplied
    denominator is used.
    """
    ev, rt, den = _validate_rates(events, rates, denominators)
    derived = _derived_denominators(ev, rt, den, rate_type, multiplier) / years
    if rate_type == "dsr":
        return np.where(ev < 10, np.nan, rt), np.where(ev < 10, np.nan, derived)
    return rt.copy(), derived


def funnel_significance(numerators: ArrayLike, denominators: ArrayLike | None = None, *,
                        statistic: str = "proportion", rates: ArrayLike | None = None,
                        rate_type: str = "dsr", multiplier: float = 100000) -> np.ndarray:
    """Label each area against the funnel: 'High (0.001)', 'High (0.025)', 'Low (0.001)',
    'Low (0.025)' or 'Not significant' (the peer's assign_funnel_significance).

    * proportion: numerators/denominators against the Wilson funnel at n = denominator.
    * ratio: observed (numerators) / expected (denominators) against 1.
    * rate: events (numerators) with `rates` against the weighted average rate;
      `denominators` are used for crude rates with 0 events. A dsr with fewer than 10
      events is 'Not applicable for events less than 10 for dsrs'.
    """
    if statistic == "proportion":
        x, n = _validate_proportions(numerators, denominators)
        p_hat, average = x / n, x.sum() / n.sum()
        tests = [(p_hat < _proportion_limit(p, n, average, -1), f"Low ({p})") for p in (0.001, 0.025)]
        tests += [(p_hat > _proportion_limit(p, n, average, 1), f"High ({p})") for p in (0.001, 0.025)]
    elif statistic in ("ratio", "rate"):
        if statistic == "ratio":
            obs, expected = _arr(numerators, "numerators"), _arr(denominators, "denominators")
            _check_count(obs, "numerators")
            _check_positive(expected, "denominators")
            centre = 1.0
        else:
            if rates is None:
                raise ValueError("rates are required for statistic='rate'")
            obs, rt, den = _validate_rates(numerators, rates, denominators)
            expected = _derived_denominators(obs, rt, den, rate_type, multiplier)
            centre = obs.sum() / np.nansum(expected)
        limits = {name: poisson_ci(obs, LEVELS[name]) for name in ("3s", "2s")}
        with np.errstate(invalid="ignore", divide="ignore"):
            tests = [(centre < limits[s][0] / expected, f"High ({TAILS[s]})") for s in ("3s", "2s")]
            tests += [(centre > limits[s][1] / expected, f"Low ({TAILS[s]})") for s in ("3s", "2s")]
    else:
        raise ValueError(f"statistic must be 'proportion', 'ratio' or 'rate'; got {statistic!r}")
    labels = np.select([t for t, _ in tests], [label for _, label in tests], "Not significant")
    if statistic == "rate" and rate_type == "dsr":
        labels = np.where(obs < 10, "Not applicable for events less than 10 for dsrs", labels)
    return labels


POSITIONS = ("below 99.8% limit", "below 95% limit", "within limits", "above 95% limit", "above 99.8% limit")


def limits_at(target: ArrayLike, denominators: ArrayLike, kind: str, multiplier: float = 100) -> dict[str, np.ndarray]:
    """Funnel control limits (95% and 99.8%) at each denominator around a target value.

    ``target`` is on the published scale (per ``multiplier``). Proportions use the peer's
    normal limits target -/+ z*sqrt(target*(1-target)/n) (floored at 0, capped at 1);
    rates use the Poisson quantiles of the expected count target*n. Keys lower_95,
    upper_95, lower_998, upper_998, on the published scale.
    """
    theta = _arr(target, "target") / multiplier
    n = _arr(denominators, "denominators")
    out = {}
    for name, p in (("95", TAILS["2s"]), ("998", TAILS["3s"])):
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == "proportion":
                lower = np.maximum(0, _proportion_limit(p, n, theta, -1))
                upper = np.minimum(1, _proportion_limit(p, n, theta, 1))
            elif kind == "rate":
                mu = theta * n
                lower = poisson.ppf(p, mu) / n
                upper = poisson.ppf(1 - p, mu) / n
            else:
                raise ValueError(f"kind must be 'proportion' or 'rate', not {kind!r}")
        out[f"lower_{name}"], out[f"upper_{name}"] = lower * multiplier, upper * multiplier
    return out


def position(values: ArrayLike, limits: dict[str, np.ndarray]) -> np.ndarray:
    """Where each value lies against its funnel limits, in words ('' where undefined)."""
    v = _arr(values, "values")
    labels = np.full(v.shape, POSITIONS[2], dtype=object)
    labels[v > limits["upper_95"]] = POSITIONS[3]
    labels[v > limits["upper_998"]] = POSITIONS[4]
    labels[v < limits["lower_95"]] = POSITIONS[1]
    labels[v < limits["lower_998"]] = POSITIONS[0]
    undefined = np.isnan(v) | np.isnan(limits["lower_95"]) | np.isnan(limits["upper_95"])
    labels[undefined] = ""
    return labels
