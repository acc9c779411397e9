"""The report's sentences, written from the published statistics.

Only what the numbers support: a difference is reported only when its ratio's 95% interval
excludes 1 ('higher' or 'lower'), never for 'similar', never from a suppressed or undefined
row, and always with its interval. Whether a difference is a worse or better result comes from
the catalogue's ``higher_is``.
"""

from __future__ import annotations

import pandas as pd

from pipeline import contract, disclosure
from pipeline.indicators import STANDARDISED, Indicator, Series
from pipeline.report.format import (fmt_change, fmt_change_interval, fmt_interval, fmt_number,
                                    fmt_ratio_sentence, log_size, missing)

SUMMARY_LIMIT = 8
COMPARATOR_LABEL = "White British"


def headline_series(ind: Indicator) -> Series:
    """The series the summary uses: the age-sex standardised rate where published (the fairer
    comparison between groups with different age profiles), else the indicator's first."""
    return Series(STANDARDISED) if ind.standardised else ind.series[0]


def with_value(ind: Indicator, value) -> str:
    """'37.2% of referrals' or '120.4 per 100,000 population'."""
    return f"{fmt_number(value)}{ind.unit}" if ind.unit.startswith("%") else f"{fmt_number(value)} {ind.unit}"


def significant(rows: pd.DataFrame) -> pd.DataFrame:
    """Ethnic group rows that differ significantly from the comparator and are safe to report,
    largest difference first."""
    ok = rows[(rows["breakdown"] == "ethnic_group") & rows["significance"].isin(["higher", "lower"])
              & (rows["group_code"] != "NOT_KNOWN") & ~rows["suppressed"].map(disclosure.hides_own_numbers)]
    ok = ok[~ok[["value", "comparator_ratio", "ratio_lower_95", "ratio_upper_95"]].isna().any(axis=1)]
    ok = ok[ok["comparator_ratio"] > 0]
    size = ok["comparator_ratio"].map(log_size)
    return ok.assign(_size=size).sort_values(["_size", "indicator_id", "group_code"],
                                             ascending=[False, True, True]).drop(columns="_size")


def assessment(ind: Indicator, significance: str) -> str:
    """'worse', 'better' or '' (when higher is neither)."""
    if ind.higher_is not in ("worse", "better"):
        return ""
    bad = (significance == "higher") == (ind.higher_is == "worse")
    return "worse" if bad else "better"


def difference_sentence(ind: Indicator, row: pd.Series) -> str:
    """One significant difference as a sentence a non-statistician can read."""
    group = contract.ETHNIC_GROUPS.get(row["group_code"], row["group_label"])
    ratio, ci = fmt_ratio_sentence(row["comparator_ratio"], row["ratio_lower_95"], row["ratio_upper_95"])
    adjusted = ", after allowing for differences in age and sex" if row["statistic"] == STANDARDISED else ""
    if ind.method in ("rate", "proportion", "event_rate"):
        if row["significance"] == "higher":
            text = (f"{group} people were {ratio} times as likely as {COMPARATOR_LABEL} people to {ind.phrase} "
                    f"(95% CI {ci}){adjusted}.")
        else:
            text = (f"{group} people were less likely than {COMPARATOR_LABEL} people to {ind.phrase}: "
                    f"{ratio} times as likely (95% CI {ci}){adjusted}.")
    else:
        more = "higher" if row["significance"] == "higher" else "lower"
        text = (f"{ind.title} was {more} for {group} people than for {COMPARATOR_LABEL} people: {ratio} times "
                f"the {COMPARATOR_LABEL} value (95% CI {ci}).")
    verdict = assessment(ind, row["significance"])
    return text + (f" That is a {verdict} result for {group} people." if verdict else "")


def summary_sentences(rows: pd.DataFrame, catalogue: list[Indicator], limit: int = SUMMARY_LIMIT) -> dict:
    """The largest significant differences from White British across the catalogue, largest first,
    each on the indicator's headline statistic; ``more`` counts those left for the sections."""
    by_id = {i.id: i for i in catalogue}
    headline = [headline_series(i).of(rows[rows["indicator_id"] == i.id]) for i in catalogue]
    found = significant(pd.concat(headline) if headline else rows.iloc[:0])
    sentences = [difference_sentence(by_id[r["indicator_id"]], r) for _, r in found.head(limit).iterrows()]
    return {"sentences": sentences, "more": max(len(found) - limit, 0)}


def indicator_text(ind: Indicator, rows: pd.DataFrame) -> list[str]:
    """A short description of one statistic's results: all people, then the significant differences."""
    out = []
    total = rows[rows["breakdown"] == "total"]
    if len(total) and not missing(total["value"].iloc[0]):
        t = total.iloc[0]
        ci = fmt_interval(t["lower_95"], t["upper_95"])
        out.append(f"All people: {with_value(ind, t['value'])}" + (f" (95% CI {ci})." if ci else "."))
    found = significant(rows)
    out.extend(difference_sentence(ind, r) for _, r in found.iterrows())
    tested = rows[(rows["breakdown"] == "ethnic_group") & rows["significance"].isin(["higher", "lower", "similar"])]
    reasons = rows.loc[rows["breakdown"] == "ethnic_group", "suppressed"].fillna("").astype(str)
    if found.empty and not len(tested) and reasons.str.endswith(disclosure.COMPARATOR_HIDDEN_RULE).any():
        out.append(f"The {COMPARATOR_LABEL} figures are hidden to protect a small count in another group, so no "
                   f"group is compared with {COMPARATOR_LABEL} people here.")
    elif found.empty and not len(tested) and reasons.str.endswith(disclosure.COMPARATOR_SMALL_RULE).any():
        out.append(f"There are too few {COMPARATOR_LABEL} people to compare other groups with them.")
    elif found.empty and len(tested):
        out.append(f"No ethnic group was significantly different from {COMPARATOR_LABEL} people.")
    elif found.empty:
        out.append(f"There are too few people in the groups to compare them with {COMPARATOR_LABEL} people.")
    elif len(tested) > len(found):
        out.append(f"The other groups were not significantly different from {COMPARATOR_LABEL} people, "
                   "or were too small to tell.")
    return out


def direction_text(ind: Indicator) -> str:
    return {"worse": "A higher value is worse on this measure.",
            "better": "A higher value is better on this measure."}.get(
        ind.higher_is, "A higher value is neither better nor worse in itself on this measure.")


def change_sentences(ind: Indicator, rows: pd.DataFrame) -> list[str]:
    """Significant changes since last year (all people and each ethnic group), as sentences."""
    changed = rows[rows["breakdown"].isin(["total", "ethnic_group"]) & rows["change_significance"].isin(
        ["increased", "decreased"]) & ~rows["suppressed"].map(disclosure.hides_own_numbers)]
    changed = changed[~changed[["value", "previous_value", "change_lower_95", "change_upper_95"]].isna().any(axis=1)]
    out = []
    for _, r in changed.iterrows():
        who = "All people" if r["breakdown"] == "total" else contract.ETHNIC_GROUPS.get(r["group_code"], r["group_label"])
        out.append(f"{ind.title}, {who}: {r['change_significance']} from {with_value(ind, r['previous_value'])} "
                   f"to {fmt_number(r['value'])} (change {fmt_change(r['change'])}, 95% CI "
                   f"{fmt_change_interval(r['change_lower_95'], r['change_upper_95'])}).")
    return out
