"""The trend of each gap: the ratio to White British in each year available, and whether it changed.

For the catalogue's key indicators (``trend: true``), each ethnic group's ratio to White British
in each of up to :data:`YEARS` years, from each year's *published* counts (so, like every other
figure, it gives back nothing the published counts do not), with its score interval. Whether the
gap changed is a test of the group x year term of a regression over those counts: Poisson with
the denominator as exposure for rates, binomial for proportions, both with a term per year for
the common trend (statsmodels). ``gap_change_per_year`` is the factor by which the ratio moved a
year, with its 95% interval; a gap is 'narrowing' when the ratio moves significantly towards 1,
'widening' when it moves away, and 'no significant change' otherwise. Fewer than three years with
published counts: no test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from pipeline import contract, stats
from pipeline.estimates import rounded
from pipeline.indicators import Indicator

YEARS = 5
MIN_YEARS = 3
GROUPS = [g for g in contract.ETHNIC_GROUPS if g != "NOT_KNOWN"]
COLUMNS = ["provider", "indicator_id", "indicator", "statistic", "group_code", "group_label", "year", "numerator",
           "denominator", "comp_numerator", "comp_denominator", "comparator_ratio", "ratio_lower_95", "ratio_upper_95",
           "suppressed", "years", "first_year", "gap_change_per_year", "gap_change_lower_95", "gap_change_upper_95",
           "gap_p_value", "gap_trend"]


def gaps(published: dict[str, pd.DataFrame], catalogue: list[Indicator], comparator: str) -> pd.DataFrame:
    """trend.csv: a row per provider x key indicator x ethnic group x year, with that series' test."""
    frames = []
    for ind in (i for i in catalogue if i.trend):
        statistic = ind.statistics[0][0]
        for year, table in sorted(published.items()):
            rows = table[(table["indicator_id"] == ind.id) & (table["statistic"] == statistic)]
            groups = rows[(rows["breakdown"] == "ethnic_group") & rows["group_code"].isin(GROUPS)]
            own = rows[(rows["breakdown"] == "ethnic_category") & (rows["group_code"] == comparator)]
            own = own.set_index("provider")[["numerator", "denominator"]].add_prefix("comp_")
            frames.append(groups.join(own, on="provider").assign(year=year, method=ind.method, indicator=ind.title))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    series = pd.concat(frames, ignore_index=True)
    tests = [(key, _test(rows)) for key, rows in series.groupby(["provider", "indicator_id", "group_code"], sort=False)]
    found = pd.DataFrame([{"provider": p, "indicator_id": i, "group_code": g, **t} for (p, i, g), t in tests])
    out = series.merge(found, on=["provider", "indicator_id", "group_code"], how="left")
    for col in ("gap_change_per_year", "gap_change_lower_95", "gap_change_upper_95"):
        out[col] = rounded(out[col], 2)
    out["gap_p_value"] = rounded(out["gap_p_value"], 3)
    for col in ("numerator", "denominator", "comp_numerator", "comp_denominator"):
        out[col] = out[col].round().astype("Int64")
    return out.sort_values(["indicator_id", "provider", "group_code", "year"])[COLUMNS].reset_index(drop=True)


def _test(rows: pd.DataFrame) -> dict:
    """The group x year term over the years whose counts (group and White British) are published."""
    usable = rows.dropna(subset=["numerator", "denominator", "comp_numerator", "comp_denominator"])
    usable = usable[(usable["denominator"] > 0) & (usable["comp_denominator"] > 0)
                    & ((usable["numerator"] > 0) | (usable["comp_numerator"] > 0))]
    empty = {"years": len(usable), "first_year": usable["year"].min() if len(usable) else "",
             "gap_change_per_year": np.nan, "gap_change_lower_95": np.nan, "gap_change_upper_95": np.nan,
             "gap_p_value": np.nan, "gap_trend": ""}
    if len(usable) < MIN_YEARS or (usable["numerator"] == 0).all() or (usable["comp_numerator"] == 0).all():
        return empty
    latest = usable.iloc[-1]
    fitted = regression(usable["numerator"], usable["denominator"], usable["comp_numerator"], usable["comp_denominator"],
                        usable["method"].iloc[0])
    if fitted is None:
        return empty
    change, lower, upper, p = fitted
    ratio = latest["comparator_ratio"] if pd.notna(latest["comparator_ratio"]) else change
    above = ratio >= 1
    if lower > 1:
        verdict = "widening" if above else "narrowing"
    elif upper < 1:
        verdict = "narrowing" if above else "widening"
    else:
        verdict = "no significant change"
    return {**empty, "gap_change_per_year": change, "gap_change_lower_95": lower, "gap_change_upper_95": upper,
            "gap_p_value": p, "gap_trend": verdict}


def regression(numerator, denominator, comp_numerator, comp_denominator, method: str,
               confidence: float = 0.95) -> tuple[float, float, float, float] | None:
    """exp(group x year coefficient) with its interval and p-value, for one group against the
    comparator over consecutive years (in order): Poisson with log(denominator) as offset for rates,
    binomial for proportions; a term per year carries the common trend."""
    import statsmodels.api as sm

    n = len(numerator)
    counts = np.concatenate([np.asarray(numerator, float), np.asarray(comp_numerator, float)])
    totals = np.concatenate([np.asarray(denominator, float), np.asarray(comp_denominator, float)])
    group = np.repeat([1.0, 0.0], n)
    t = np.tile(np.arange(n, dtype=float), 2)
    years = np.tile(np.eye(n), (2, 1))
    design = np.column_stack([years, group, group * t])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if method == "proportion":
                model = sm.GLM(np.column_stack([counts, totals - counts]), design, family=sm.families.Binomial())
            else:
                model = sm.GLM(counts, design, family=sm.families.Poisson(), offset=np.log(totals))
            fit = model.fit()
        except (ValueError, np.linalg.LinAlgError):
            return None
    beta, se = float(fit.params[-1]), float(fit.bse[-1])
    if not np.isfinite(beta) or not np.isfinite(se) or se <= 0:
        return None
    z = stats._z(confidence)
    return float(np.exp(beta)), float(np.exp(beta - z * se)), float(np.exp(beta + z * se)), float(fit.pvalues[-1])
