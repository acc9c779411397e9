"""The trend of each gap: the ratio to White British in each year available, and whether it changed.

For the catalogue's key indicators (``trend: true``), each ethnic group's ratio to White British
in each of up to :data:`YEARS` years, from each year's *published* counts (so, like every other
figure, it gives back nothing the published counts do not), with its score interval. Whether the
gap changed is a test of the group x year term of one regression per provider and indicator over
those counts (:func:`fit_gaps`): Poisson with the denominator as exposure for rates, binomial for
proportions, a term per year for the common trend, and the overdispersion of event counts allowed
for (quasi-likelihood). ``gap_change_per_year`` is the factor by which the ratio moved a year, with
its 95% interval; a gap is 'narrowing' when the ratio moves significantly towards 1 (the side of 1
is that of the ratio over all the years pooled), 'widening' when it moves away, and 'no
significant change' otherwise. Fewer than three years with published counts: no test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from pipeline import contract
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
        for year, table in sorted(published.items()):
            rows = ind.primary.of(table[table["indicator_id"] == ind.id])
            groups = rows[(rows["breakdown"] == "ethnic_group") & rows["group_code"].isin(GROUPS)]
            own = rows[(rows["breakdown"] == "ethnic_category") & (rows["group_code"] == comparator)]
            own = own.set_index("provider")[["numerator", "denominator"]].add_prefix("comp_")
            frames.append(groups.join(own, on="provider").assign(year=year, method=ind.method, indicator=ind.title))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    series = pd.concat(frames, ignore_index=True)
    # The model reads only these columns; usable years are found for every series at once, and a
    # model is fitted only where a group has enough of them (per-group selections on the whole
    # published table took 11 s at national scale).
    needed = ["provider", "indicator_id", "group_code", "year", "method", "numerator", "denominator",
              "comp_numerator", "comp_denominator"]
    slim = series[needed]
    keys = ["provider", "indicator_id", "group_code"]
    usable = slim[_usable_mask(slim)]
    summary = usable.groupby(keys).agg(years=("year", "size"), first_year=("year", "min"),
                                       numerator=("numerator", "sum"), denominator=("denominator", "sum"),
                                       comp_numerator=("comp_numerator", "sum"),
                                       comp_denominator=("comp_denominator", "sum"))
    fitted = {}
    enough = summary[summary["years"] >= MIN_YEARS].reset_index()[["provider", "indicator_id"]].drop_duplicates()
    by_series = dict(tuple(slim.groupby(["provider", "indicator_id"], sort=False)))
    for provider, indicator_id in enough.itertuples(index=False):
        rows = by_series[(provider, indicator_id)]
        for group, fit in fit_gaps(rows, rows["method"].iloc[0]).items():
            fitted[(provider, indicator_id, group)] = fit
    tests = [{"provider": p, "indicator_id": i, "group_code": g,
              **_verdict(summary.loc[(p, i, g)] if (p, i, g) in summary.index else None, fitted.get((p, i, g)))}
             for p, i, g in slim[keys].drop_duplicates().itertuples(index=False)]
    out = series.merge(pd.DataFrame(tests), on=["provider", "indicator_id", "group_code"], how="left")
    for col in ("gap_change_per_year", "gap_change_lower_95", "gap_change_upper_95"):
        out[col] = rounded(out[col], 2)
    out["gap_p_value"] = rounded(out["gap_p_value"], 3)
    for col in ("numerator", "denominator", "comp_numerator", "comp_denominator"):
        out[col] = out[col].round().astype("Int64")
    return out.sort_values(["indicator_id", "provider", "group_code", "year"])[COLUMNS].reset_index(drop=True)


def _usable_mask(rows: pd.DataFrame) -> pd.Series:
    """The years whose counts (group and White British) are published, with people in both."""
    counts = rows[["numerator", "denominator", "comp_numerator", "comp_denominator"]]
    return (counts.notna().all(axis=1) & (rows["denominator"] > 0) & (rows["comp_denominator"] > 0)
            & ((rows["numerator"] > 0) | (rows["comp_numerator"] > 0)))


def _usable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[_usable_mask(rows)]


def _verdict(usable: pd.Series | None, fitted: tuple[float, float, float, float] | None) -> dict:
    """A series' test from its usable years' summary (how many, the first, the pooled counts)."""
    out = {"years": 0 if usable is None else int(usable["years"]),
           "first_year": "" if usable is None else usable["first_year"],
           "gap_change_per_year": np.nan, "gap_change_lower_95": np.nan, "gap_change_upper_95": np.nan,
           "gap_p_value": np.nan, "gap_trend": ""}
    if fitted is None or usable is None:
        return out
    change, lower, upper, p = fitted
    # which side of 1 the gap is on: the ratio over all the years pooled, not the latest year's,
    # which noise (or a gap that has nearly closed) can put on the other side
    pooled = (usable["numerator"] / usable["denominator"]) / (usable["comp_numerator"] / usable["comp_denominator"])
    return {**out, "gap_change_per_year": change, "gap_change_lower_95": lower, "gap_change_upper_95": upper,
            "gap_p_value": p, "gap_trend": verdict(lower, upper, pooled >= 1)}


def verdict(lower: float, upper: float, above: bool) -> str:
    """A gap narrows when its ratio moves significantly towards 1 (``above``: the pooled ratio is 1 or more)."""
    if lower > 1:
        return "widening" if above else "narrowing"
    if upper < 1:
        return "narrowing" if above else "widening"
    return "no significant change"


def fit_gaps(series: pd.DataFrame, method: str, confidence: float = 0.95) -> dict[str, tuple[float, float, float, float]]:
    """{group: (change a year, lower, upper, p-value)} from one model of a provider's indicator.

    ``series`` has a row per group and year (``year`` a financial year) with the group's and the
    comparator's published counts. The model holds the comparator's series and every group's with
    at least :data:`MIN_YEARS` usable years: a term per year (the common trend), per group and per
    group x year (the change of that group's ratio to the comparator); Poisson with the
    denominator as exposure for rates, binomial for proportions. Counts of events vary more than
    Poisson allows (a person's repeat detentions or interventions): the Pearson dispersion,
    estimated from all the groups together and used when it exceeds 1, widens the intervals, which
    then use Student's t on the residual degrees of freedom (quasi-likelihood)."""
    import statsmodels.api as sm
    from scipy.stats import norm
    from scipy.stats import t as student

    groups = []
    for group, rows in series.groupby("group_code", sort=True):
        usable = _usable(rows)
        if len(usable) >= MIN_YEARS and (usable["numerator"] > 0).any() and (usable["comp_numerator"] > 0).any():
            groups.append((group, usable))
    if not groups:
        return {}
    comp = pd.concat([u for _, u in groups]).drop_duplicates("year").sort_values("year")
    years = list(comp["year"])
    blocks = [(comp["comp_numerator"], comp["comp_denominator"], comp["year"], None)]
    blocks += [(u["numerator"], u["denominator"], u["year"], k) for k, (_, u) in enumerate(groups)]
    counts, totals, design = [], [], []
    for num, den, year, k in blocks:
        for n, d, y in zip(num.astype(float), den.astype(float), year):
            row = [float(y == other) for other in years] + [0.0] * (2 * len(groups))
            if k is not None:
                row[len(years) + k] = 1.0
                row[len(years) + len(groups) + k] = float(int(y[:4]) - int(years[0][:4]))
            counts.append(n), totals.append(d), design.append(row)
    counts, totals, design = np.array(counts), np.array(totals), np.array(design)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if method == "proportion":
                model = sm.GLM(np.column_stack([counts, totals - counts]), design, family=sm.families.Binomial())
            else:
                model = sm.GLM(counts, design, family=sm.families.Poisson(), offset=np.log(totals))
            fit = model.fit()
        except (ValueError, np.linalg.LinAlgError):
            return {}
    df = float(fit.df_resid)
    dispersion = max(1.0, float(fit.pearson_chi2) / df) if df > 0 else 1.0
    if dispersion > 1:
        quantile, tail = float(student.ppf(0.5 + confidence / 2, df)), (lambda z: float(student.sf(z, df)))
    else:
        quantile, tail = float(norm.ppf(0.5 + confidence / 2)), (lambda z: float(norm.sf(z)))
    out = {}
    for k, (group, _) in enumerate(groups):
        column = len(years) + len(groups) + k
        beta, se = float(fit.params[column]), float(fit.bse[column]) * np.sqrt(dispersion)
        if np.isfinite(beta) and np.isfinite(se) and 0 < se < 10:  # a huge se: a group with events in no year
            out[group] = (float(np.exp(beta)), float(np.exp(beta - quantile * se)), float(np.exp(beta + quantile * se)),
                          2 * tail(abs(beta) / se))
    return out


def regression(numerator, denominator, comp_numerator, comp_denominator, method: str,
               confidence: float = 0.95) -> tuple[float, float, float, float] | None:
    """:func:`fit_gaps` for one group over consecutive years from 2020-21."""
    n = len(numerator)
    frame = pd.DataFrame({"group_code": "G", "year": [f"{2020 + k}-{(21 + k) % 100:02d}" for k in range(n)],
                          "numerator": numerator, "denominator": denominator, "comp_numerator": comp_numerator,
                          "comp_denominator": comp_denominator})
    return fit_gaps(frame, method, confidence).get("G")
