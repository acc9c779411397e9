"""Every published figure derived from the published counts (methods.md, disclosure control).

Values, 95% limits, ratios to White British, significance, funnel limits and positions and the
change since last year are computed here from the counts :func:`pipeline.disclosure.control`
publishes (a rounded numerator over a rounded denominator), never from the exact ones, so no
figure gives back a count that was rounded or hidden. Two kinds of figure cannot be derived from
published counts: means (CO07, from the summed lengths of stay) and age-sex standardised rates
(from strata that are never published); they are computed from the exact data, published at a
stated precision, and standardised rates only where :mod:`pipeline.strata` finds they single out
no small count. Published precision: rates, percentages, days and their limits to 1 decimal place,
ratios to 2.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline import disclosure, funnel, stats, strata
from pipeline.disclosure import MEDIAN, MEDIAN_MIN

VALUE_DECIMALS = 1
RATIO_DECIMALS = 2
STANDARDISED_DECIMALS = 0  # standardised rates and their limits: whole numbers (see pipeline.strata)
VALUE_COLUMNS = ["value", "lower_95", "upper_95", "funnel_lower_95", "funnel_upper_95", "funnel_lower_998",
                 "funnel_upper_998", "previous_value", "change", "change_lower_95", "change_upper_95"]
RATIO_COLUMNS = ["comparator_ratio", "ratio_lower_95", "ratio_upper_95"]
OUTPUT_COLUMNS = [
    "year", "provider", "indicator_id", "indicator", "statistic", "intervention_type", "breakdown", "group_code",
    "subgroup", "group_label",
    "numerator", "denominator", "value", "lower_95", "upper_95", "comparator_ratio", "ratio_lower_95",
    "ratio_upper_95", "significance", "unit", "direction",
    "funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998", "funnel_position",
    "previous_value", "change", "change_lower_95", "change_upper_95", "change_significance", "suppressed",
]
FUNNEL_KIND = {"crude rate": "rate", "proportion": "proportion", "rate": "rate"}
KEY = ["provider", "indicator_id", "statistic", "intervention_type", "breakdown", "group_code", "subgroup"]


def published_table(controlled: pd.DataFrame, previous: pd.DataFrame | None, comparator: str,
                    profile: str = "nhs", rounded: bool = True) -> pd.DataFrame:
    """The published indicator table: figures from ``controlled`` counts, with the change since
    ``previous`` (last year's published table, or None), to the published precision unless not
    ``rounded``."""
    frame = controlled.reset_index(drop=True).copy()
    frame = _values(frame, profile)
    frame = _ratios(frame, comparator)
    frame = _funnels(frame)
    if rounded:
        frame = _precision(frame)
    frame = _change(frame, previous, profile)
    frame["numerator"] = frame["numerator"].round().astype("Int64")
    frame["denominator"] = frame["denominator"].round().astype("Int64")
    return frame[OUTPUT_COLUMNS]


def exact_table(counts: pd.DataFrame, comparator: str = "A") -> pd.DataFrame:
    """Every figure from the exact counts, unrounded and unsuppressed: for tests and analysis,
    never published."""
    controlled = disclosure.control(counts, exempt_providers=tuple(counts["provider"].unique()), comparator=comparator)
    return published_table(controlled, None, comparator, rounded=False)


def _values(frame: pd.DataFrame, profile: str) -> pd.DataFrame:
    num, den = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
    multiplier = frame["multiplier"].to_numpy(float)
    method = frame["method"].to_numpy(object)
    shown = ~frame["value_hidden"].to_numpy(bool) & ~np.isnan(num)
    standardised = (frame["statistic"] == disclosure.STANDARDISED).to_numpy()
    value, lower, upper = (np.full(len(frame), np.nan) for _ in range(3))
    for kind, estimate in (("rate", stats.rate_ci), ("event_rate", stats.rate_ci), ("proportion", stats.proportion_ci)):
        for scale in np.unique(multiplier[method == kind]):
            rows = shown & (method == kind) & (multiplier == scale) & ~standardised & (den > 0)
            if rows.any():
                for arr, part in zip((value, lower, upper), estimate(num[rows], den[rows], multiplier=scale)):
                    arr[rows] = part
    exact = (standardised | (frame["statistic"] == MEDIAN)).to_numpy()
    rows = shown & (method == "mean") & ~exact
    if rows.any():  # means come from the summed values, which are not counts
        parts = stats.mean_ci(frame["value_sum"].to_numpy(float)[rows], frame["value_sumsq"].to_numpy(float)[rows],
                              frame["units"].to_numpy(float)[rows])
        for arr, part in zip((value, lower, upper), parts):
            arr[rows] = part
    # Standardised rates and medians come from what is never published (strata, single values). Shown
    # only from a published count of STANDARDISED_MIN or MEDIAN_MIN (a decision on the published
    # count, so it tells nothing more about the count) and, for a standardised rate, where it
    # singles out no small stratum count.
    exempt = frame["exempt"].to_numpy(bool)  # published exactly: PHEindicatormethods' 10 events is enough
    minimum = np.where(standardised, np.where(exempt, strata.MIN_EVENTS, disclosure.STANDARDISED_MIN), MEDIAN_MIN)
    enough = num >= minimum
    safe = frame["publishable"].fillna(False).to_numpy(bool)
    known = ~np.isnan(frame["value"].to_numpy(float))
    rows = shown & exact & enough & safe & known
    for arr, col in zip((value, lower, upper), ("value", "lower_95", "upper_95")):
        arr[rows] = frame[col].to_numpy(float)[rows]
    kind = np.where(standardised, "standardised rate", "median")
    few = np.char.add(np.char.add(f"{profile}: value from fewer than ", minimum.astype(str)),
                      np.char.add(" (", np.char.add(kind.astype(str), ")")))
    reason = np.where(~enough, few, f"{profile}: {disclosure.STRATA_RULE}")
    withheld = shown & exact & (~enough | (~safe & known))
    frame["suppressed"] = np.where(withheld & (frame["suppressed"] == ""), reason, frame["suppressed"])
    frame["value"], frame["lower_95"], frame["upper_95"] = value, lower, upper
    return frame


def _ratios(frame: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """Ratios to White British from the published counts of both, with score intervals that stay
    valid for small counts and at 0% and 100% (Koopman's for proportions, Gu et al.'s for rates);
    standardised rates and means from their published values, the interval from both values'
    published limits (log scale); medians with no interval, so no verdict. No comparison where
    White British has no events."""
    num, den = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
    cnum, cden = frame["comp_numerator"].to_numpy(float), frame["comp_denominator"].to_numpy(float)
    method = frame["method"].to_numpy(object)
    standardised = (frame["statistic"] == disclosure.STANDARDISED).to_numpy()
    has_value = ~np.isnan(frame["value"].to_numpy(float))
    ratio = [np.full(len(frame), np.nan) for _ in range(3)]
    for kind, estimate in (("rate", stats.rate_ratio_score), ("event_rate", stats.rate_ratio_score),
                           ("proportion", stats.proportion_ratio_score)):
        rows = has_value & (method == kind) & ~standardised & ~np.isnan(cnum) & ~np.isnan(cden) & (cnum > 0)
        if rows.any():
            for arr, part in zip(ratio, estimate(num[rows], den[rows], cnum[rows], cden[rows])):
                arr[rows] = part
    own = _comparator_values(frame, comparator)
    median = (frame["statistic"] == MEDIAN).to_numpy()
    rows = has_value & median & (own["value"] > 0)  # a ratio of medians, with no interval: no verdict
    ratio[0][rows] = frame["value"].to_numpy(float)[rows] / own["value"][rows]
    rows = has_value & (method == "mean") & ~median & (num >= MEDIAN_MIN) & (own["numerator"] >= MEDIAN_MIN)
    if rows.any():  # means: from the two published means and their published (symmetric) limits
        z = stats._z(0.95)
        mean, lower, upper = (frame[c].to_numpy(float) for c in ("value", "lower_95", "upper_95"))
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(((upper - lower) / (2 * z * mean)) ** 2 + ((own["upper"] - own["lower"]) / (2 * z * own["value"])) ** 2)
            r = mean / own["value"]
        for arr, part in zip(ratio, (r, r * np.exp(-z * se), r * np.exp(z * se))):
            arr[rows] = part[rows]
    rows = has_value & standardised & (own["value"] > 0)
    if rows.any():
        z = stats._z(0.95)
        se = np.sqrt(_log_se(frame["lower_95"], frame["upper_95"], z) ** 2 + _log_se(own["lower"], own["upper"], z) ** 2)
        r = frame["value"].to_numpy(float) / own["value"]
        for arr, part in zip(ratio, (r, r * np.exp(-z * se), r * np.exp(z * se))):
            arr[rows] = part[rows]
    none = ((frame["breakdown"] == "total") | (frame["group_code"] == "NOT_KNOWN")
            | ((frame["breakdown"] == "ethnic_category") & (frame["group_code"] == comparator))).to_numpy()
    for arr in ratio:
        arr[none] = np.nan
    frame["comparator_ratio"], frame["ratio_lower_95"], frame["ratio_upper_95"] = ratio
    frame["significance"] = stats.significance(frame["ratio_lower_95"].to_numpy(), frame["ratio_upper_95"].to_numpy())
    gone = has_value & ~none & (frame["ratio_reason"] != "").to_numpy() & (frame["suppressed"] == "").to_numpy()
    frame.loc[gone, "suppressed"] = frame.loc[gone, "ratio_reason"]
    return frame


def _log_se(lower, upper, z: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.log(np.asarray(upper, float)) - np.log(np.asarray(lower, float))) / (2 * z)


def _comparator_values(frame: pd.DataFrame, comparator: str) -> dict[str, np.ndarray]:
    """The published value and limits of each row's White British row (same provider, indicator,
    statistic), for means and standardised rates."""
    block = ["provider", "indicator_id", "statistic", "intervention_type"]
    own = frame[(frame["breakdown"] == "ethnic_category") & (frame["group_code"] == comparator)]
    own = own.drop_duplicates(block).set_index(block)
    at = pd.MultiIndex.from_frame(frame[block])
    return {name: own[col].reindex(at).to_numpy(float)
            for name, col in (("value", "value"), ("lower", "lower_95"), ("upper", "upper_95"), ("numerator", "numerator"))}


def _funnels(frame: pd.DataFrame) -> pd.DataFrame:
    """Each provider's funnel limits (95%, 99.8%) around ALL's published value of the same
    indicator, statistic and group, at the provider's published denominator, and where it lies."""
    key = ["indicator_id", "statistic", "intervention_type", "breakdown", "group_code", "subgroup"]
    target = frame.loc[frame["provider"] == "ALL", key + ["value"]].drop_duplicates(key)
    target = target.set_index(key)["value"].reindex(pd.MultiIndex.from_frame(frame[key])).to_numpy(float)
    for col in ("funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998"):
        frame[col] = np.nan
    frame["funnel_position"] = ""
    kind = frame["statistic"].map(FUNNEL_KIND)
    for statistic_kind in ("rate", "proportion"):
        rows = ((frame["provider"] != "ALL") & kind.eq(statistic_kind) & (frame["denominator"] > 0)
                & ~np.isnan(target) & frame["value"].notna()).to_numpy()
        if not rows.any():
            continue
        limits = funnel.limits_at(target[rows], frame.loc[rows, "denominator"], statistic_kind,
                                  frame.loc[rows, "multiplier"].to_numpy(float))
        for name, values in limits.items():
            frame.loc[rows, f"funnel_{name}"] = values
        frame.loc[rows, "funnel_position"] = funnel.position(frame.loc[rows, "value"], limits)
    return frame


def _precision(frame: pd.DataFrame) -> pd.DataFrame:
    """Published precision: 1 decimal for values, limits and funnel limits (whole numbers for
    standardised rates), 2 for ratios."""
    standardised = (frame["statistic"] == disclosure.STANDARDISED).to_numpy()
    for col in VALUE_COLUMNS:
        if col in frame:
            values = frame[col].to_numpy(float)
            frame[col] = np.where(standardised, rounded(values, STANDARDISED_DECIMALS), rounded(values, VALUE_DECIMALS))
    for col in RATIO_COLUMNS:
        frame[col] = rounded(frame[col].to_numpy(float), RATIO_DECIMALS)
    return frame


def rounded(values, decimals: int) -> np.ndarray:
    """``values`` to ``decimals`` places as Python's correctly rounded ``round`` does (numpy's
    scaling gives 1.90 for 1.905, whose nearest binary value lies just above the half)."""
    return np.array([round(v, decimals) if math.isfinite(v) else v for v in np.asarray(values, float).tolist()], dtype=float)


def _change(frame: pd.DataFrame, previous: pd.DataFrame | None, profile: str) -> pd.DataFrame:
    """The change since last year's published value, with MOVER limits from both years' published
    limits; hidden, saying why, where last year's value was hidden."""
    if previous is None:
        for col in ("previous_value", "change", "change_lower_95", "change_upper_95"):
            frame[col] = np.nan
        frame["change_significance"] = ""
        return frame
    prev = previous[KEY + ["value", "lower_95", "upper_95", "suppressed"]].drop_duplicates(KEY).rename(columns={
        "value": "previous_value", "lower_95": "_pl", "upper_95": "_pu", "suppressed": "_ps"})
    out = frame.merge(prev, on=KEY, how="left")
    change, lower, upper = stats.difference_ci(out["value"], out["lower_95"], out["upper_95"],
                                               out["previous_value"], out["_pl"], out["_pu"])
    decimals = np.where(out["statistic"] == disclosure.STANDARDISED, STANDARDISED_DECIMALS, VALUE_DECIMALS)
    out["change"] = _round_each(change, decimals)
    out["change_lower_95"], out["change_upper_95"] = _round_each(lower, decimals), _round_each(upper, decimals)
    out["change_significance"] = np.select([out["change_lower_95"] > 0, out["change_upper_95"] < 0],
                                           ["increased", "decreased"], "similar")
    out.loc[out["change"].isna() | out["change_lower_95"].isna(), "change_significance"] = ""
    hidden_last_year = out["previous_value"].isna() & out["_ps"].map(disclosure.hides_own_numbers) & out["value"].notna()
    out.loc[hidden_last_year & (out["suppressed"] == ""), "suppressed"] = f"{profile}: {disclosure.PREVIOUS_RULE}"
    return out.drop(columns=["_pl", "_pu", "_ps"])


def _round_each(values, decimals: np.ndarray) -> np.ndarray:
    values = np.asarray(values, float)
    return np.where(decimals == 0, rounded(values, 0), rounded(values, VALUE_DECIMALS))
