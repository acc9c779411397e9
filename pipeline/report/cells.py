"""Table rows and chart points from published rows: the one place that decides how a row reads.

'*' marks a value hidden by disclosure control; 'n/a' one that does not exist (no population for
'Not known', no denominator for a mean, a standardised rate not calculated from fewer than 10
events). The comparator's own row says 'comparator', never 'similar to' itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import contract, disclosure
from pipeline.indicators import Indicator
from pipeline.report.charts import Point
from pipeline.report.format import SUPPRESSED, UNDEFINED, fmt_count, fmt_interval, fmt_number, fmt_ratio, missing

GROUP_ORDER = ["WHITE", "MIXED", "ASIAN", "BLACK", "OTHER", "NOT_KNOWN"]
GROUP_RANK = {g: i for i, g in enumerate(GROUP_ORDER)}
COMPARED = {"higher": "higher", "lower": "lower", "similar": "similar"}


def plain(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with its text (and its column names) as Python strings, the text in one block.
    pandas keeps each Arrow-backed string column as an array of its own, so each of the thousands
    of selections a view-model makes copied every text column one by one, and each look-up of a
    column or of a row's field went through Arrow; one block of objects is copied at once."""
    text = {column: object for column, dtype in rows.dtypes.items() if isinstance(dtype, pd.StringDtype)}
    out = rows.astype(text).copy()  # the copy consolidates the columns into one block
    out.columns = out.columns.astype(object)
    return out


def by_indicator(rows: pd.DataFrame, catalogue: list[Indicator]) -> dict[str, pd.DataFrame]:
    """Each catalogued indicator's rows (none: an empty frame), split off in one pass rather than
    by filtering the whole frame again for each indicator."""
    parts = dict(iter(rows.groupby("indicator_id", sort=False)))
    return {ind.id: parts.get(ind.id, rows.iloc[:0]) for ind in catalogue}


def ordered_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """White British (the comparator) first, then the ethnic groups in the standard order, then all people."""
    breakdown, code = rows["breakdown"].to_numpy(), rows["group_code"].to_numpy()
    comparator = np.flatnonzero((breakdown == "ethnic_category") & (code == contract.COMPARATOR_CODE))
    groups = np.flatnonzero(breakdown == "ethnic_group")
    groups = groups[np.argsort([GROUP_RANK.get(c, 99) for c in code[groups]], kind="stable")]
    return rows.iloc[np.concatenate([comparator, groups, np.flatnonzero(breakdown == "total")])]


def undefined(ind: Indicator, r: pd.Series, column: str) -> bool:
    """A value with nothing to show (rather than hidden): 'Not known' has no population, a mean
    has no denominator, a standardised rate is not calculated from fewer than 10 events."""
    hidden = (disclosure.hides_own_numbers(r["suppressed"]) if column in ("numerator", "denominator")
              else disclosure.hides_value(r["suppressed"]))
    no_population = ind.method == "rate" and r["group_code"] == "NOT_KNOWN"
    if column == "numerator":
        return not hidden
    if column == "denominator":
        return no_population or ind.method == "mean" or not hidden
    return no_population or not hidden


def _shown(ind: Indicator, r: pd.Series, column: str, fmt) -> str:
    if not missing(r[column]):
        return fmt(r[column])
    return UNDEFINED if undefined(ind, r, column) else SUPPRESSED


def cells(ind: Indicator, r: pd.Series, label: str | None = None) -> dict:
    """One table row, formatted: '*' where disclosure control hid a value, 'n/a' where there is none."""
    comparator = r["breakdown"] == "ethnic_category" and r["group_code"] == contract.COMPARATOR_CODE
    total = r["breakdown"] == "total"
    value = _shown(ind, r, "value", fmt_number)
    if comparator or total:
        ratio, ratio_ci, compared = "", "", "comparator" if comparator else ""
    else:
        ratio_hidden = value == SUPPRESSED or str(r["suppressed"]).endswith("(ratio)")
        ratio = fmt_ratio(r["comparator_ratio"]) if not missing(r["comparator_ratio"]) else (
            SUPPRESSED if ratio_hidden else UNDEFINED)
        ratio_ci = fmt_interval(r["ratio_lower_95"], r["ratio_upper_95"], 2)
        compared = COMPARED.get(r["significance"], "")
    return {
        "label": label or ("White British" if comparator else r["group_label"]),
        "code": r["group_code"],
        "subgroup": "" if missing(r.get("subgroup")) else r["subgroup"],
        "breakdown": r["breakdown"],
        "numerator": _shown(ind, r, "numerator", fmt_count),
        "denominator": _shown(ind, r, "denominator", fmt_count),
        "value": value,
        "interval": fmt_interval(r["lower_95"], r["upper_95"]),
        "ratio": ratio,
        "ratio_interval": ratio_ci,
        "compared": compared,
        "emphasis": comparator or total,
    }


def point(ind: Indicator, r: pd.Series, label: str, text: str, interval: str = "") -> Point:
    """A chart's point for one published row, with the value (and interval) as the table prints them."""
    comparator = r["breakdown"] == "ethnic_category"
    value = None if missing(r["value"]) else float(r["value"])
    lower = None if missing(r["lower_95"]) else float(r["lower_95"])
    upper = None if missing(r["upper_95"]) else float(r["upper_95"])
    sig = "" if comparator or r["breakdown"] == "total" else r["significance"]
    return Point(label, value, lower, upper, sig, comparator, text, r["breakdown"] == "total", interval)
