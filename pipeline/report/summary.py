"""The report's sentences, written from the published statistics.

Only what the numbers support: a difference is reported only when its ratio's 95% interval
excludes 1 ('higher' or 'lower'), never for 'similar', never from a suppressed or undefined row,
and always with both groups' values and the ratio's interval. Whether a difference is a worse or
better result comes from the catalogue's ``higher_is``.

The summary's rule (report.md): coercion first (detention, section 136, community treatment
orders, restrictive practice), then outcomes, experience and access. For each ethnic group the
standardised comparison where one is published, otherwise the crude one, saying which. Every
coercion measure from CO01 to CO05 gets a line, a finding or why there is none; the other domains
give their largest differences, worse or better results before neutral ones, or one line saying
why there are none. A finding that repeats another (same group, same ratio and interval) is said
once. A finding from a measure whose own ethnicity recording is below the warning threshold says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import contract, disclosure
from pipeline.indicators import STANDARDISED, Indicator, Series
from pipeline.report.cells import by_indicator
from pipeline.report.quality_view import SHORT
from pipeline.report.format import (fmt_change, fmt_change_interval, fmt_interval, fmt_number,
                                    fmt_ratio_sentence, log_size, missing)

COMPARATOR_LABEL = "White British"
DOMAIN_ORDER = {"coercion": "Coercion and restrictive practice", "outcomes": "Outcomes",
                "experience": "Experience of services", "access": "Access to services"}
ALWAYS = ("CO01", "CO02", "CO03", "CO04", "CO05")  # coercion measures the summary always covers
PER_DOMAIN = 4
GROUP_PEOPLE = {"WHITE": "White people", "MIXED": "people of Mixed ethnicity", "ASIAN": "Asian people",
                "BLACK": "Black people", "OTHER": "people from Other ethnic groups",
                "NOT_KNOWN": "people whose ethnicity is not known"}
WHITE_NOTE = " (a group that includes White British people)"


def people(group_code: str) -> str:
    """'Black people', 'people from Other ethnic groups'."""
    return GROUP_PEOPLE.get(group_code, group_code)


def headline_series(ind: Indicator, rows: pd.DataFrame | None = None) -> Series:
    """The series a chart of the board paper shows: the age-sex standardised rate (the fairer
    comparison between groups with different age profiles) where it is published for every ethnic
    group that has a crude rate, else the primary series."""
    if not ind.standardised:
        return ind.primary
    if rows is None:
        return Series(STANDARDISED)
    groups = rows[(rows["indicator_id"] == ind.id) & (rows["breakdown"] == "ethnic_group")
                  & (rows["group_code"] != "NOT_KNOWN")]
    crude = ind.primary.of(groups).set_index("group_code")["value"].notna()
    standard = groups[groups["statistic"] == STANDARDISED].set_index("group_code")["value"].notna()
    if len(standard) and standard.reindex(crude.index, fill_value=False)[crude].all():
        return Series(STANDARDISED)
    return ind.primary


def with_value(ind: Indicator, value) -> str:
    """'37.2% of referrals' or '120.4 per 100,000 population'."""
    return f"{fmt_number(value)}{ind.unit}" if ind.unit.startswith("%") else f"{fmt_number(value)} {ind.unit}"


def value_words(ind: Indicator, value, statistic: str) -> str:
    """A value as its sentence writes it: '37.2%' for a percentage, '228.0' for a rate."""
    return f"{fmt_number(value)}%" if ind.method == "proportion" else fmt_number(value)


def significant(rows: pd.DataFrame) -> pd.DataFrame:
    """Ethnic group rows that differ significantly from the comparator and are safe to report,
    largest difference first (then by measure and group)."""
    # One mask and one selection: each selection of a frame copies all its columns.
    ok = rows[(rows["breakdown"] == "ethnic_group") & rows["significance"].isin(["higher", "lower"])
              & (rows["group_code"] != "NOT_KNOWN") & ~rows["suppressed"].map(disclosure.hides_own_numbers)
              & rows[["value", "comparator_ratio", "ratio_lower_95", "ratio_upper_95"]].notna().all(axis=1)
              & (rows["comparator_ratio"] > 0)]
    keys = [(-log_size(ratio), ind, group) for ratio, ind, group
            in zip(ok["comparator_ratio"], ok["indicator_id"], ok["group_code"])]
    return ok.iloc[sorted(range(len(keys)), key=keys.__getitem__)]  # stable, as sort_values on several keys


def assessment(ind: Indicator, significance: str) -> str:
    """'worse', 'better' or '' (when higher is neither)."""
    if ind.higher_is not in ("worse", "better"):
        return ""
    bad = (significance == "higher") == (ind.higher_is == "worse")
    return "worse" if bad else "better"


def comparator_row(rows: pd.DataFrame, row: pd.Series) -> pd.Series | None:
    """The White British row a group's row is compared with (same provider, indicator, statistic)."""
    own = np.ones(len(rows), dtype=bool)
    wanted = {"provider": row["provider"], "indicator_id": row["indicator_id"], "statistic": row["statistic"],
              "breakdown": "ethnic_category", "group_code": contract.COMPARATOR_CODE}
    for column, value in wanted.items():
        own &= rows[column].to_numpy() == value
    if "intervention_type" in rows:
        kind = rows["intervention_type"].to_numpy()
        own &= np.where(pd.isna(kind), "", kind) == (row.get("intervention_type") or "")
    return rows.iloc[own.argmax()] if own.any() else None


def difference_sentence(ind: Indicator, row: pd.Series, rows: pd.DataFrame | None = None) -> str:
    """One significant difference as a sentence: both groups' values, the ratio with its interval,
    which statistic, and whether it is a worse or better result."""
    group = people(row["group_code"])
    statistic = row["statistic"]
    ratio, ci = fmt_ratio_sentence(row["comparator_ratio"], row["ratio_lower_95"], row["ratio_upper_95"])
    own = comparator_row(rows, row) if rows is not None else None
    mine = ind.sentence.format(value=value_words(ind, row["value"], statistic), statistic=statistic,
                               group=group + (WHITE_NOTE if row["group_code"] == "WHITE" else ""))
    versus = "" if own is None or missing(own["value"]) else \
        f", compared with {value_words(ind, own['value'], statistic)} for {COMPARATOR_LABEL} people"
    what = {"proportion": "percentage", "mean": "value"}.get(ind.method, "rate")
    how = ""
    if statistic == STANDARDISED:
        how = ", standardised for age and sex"
    elif ind.standardised:
        how = " (crude rates: too few events to standardise)"
    text = f"{mine[:1].upper()}{mine[1:]}{versus}: {ratio} times the {COMPARATOR_LABEL} {what} (95% CI {ci}){how}."
    verdict = assessment(ind, row["significance"])
    return text + (f" That is a {verdict} result for {group}." if verdict else "")


def no_finding(ind: Indicator, rows: pd.DataFrame) -> str:
    """Why one measure has nothing to report: no significant difference, White British hidden, or too few."""
    groups = rows[(rows["breakdown"] == "ethnic_group") & (rows["group_code"] != "NOT_KNOWN")]
    reasons = groups["suppressed"].fillna("").astype(str)
    if groups["significance"].isin(["higher", "lower", "similar"]).any():
        return f"no ethnic group differed significantly from {COMPARATOR_LABEL} people."
    if reasons.str.endswith(disclosure.COMPARATOR_HIDDEN_RULE).any():
        return (f"the {COMPARATOR_LABEL} figures are hidden to protect a small count in another group, so no group is "
                f"compared with {COMPARATOR_LABEL} people.")
    if reasons.str.endswith(disclosure.COMPARATOR_SMALL_RULE).any():
        return f"there are too few {COMPARATOR_LABEL} people to compare other groups with them."
    return f"there are too few people in the ethnic groups to compare them with {COMPARATOR_LABEL} people."


def findings(ind: Indicator, rows: pd.DataFrame) -> pd.DataFrame:
    """A measure's significant differences, each group on its standardised comparison where that
    is published with an interval, else on the crude one; largest first."""
    mine = rows[rows["indicator_id"] == ind.id]
    crude = significant(ind.primary.of(mine))
    if not ind.standardised:
        return crude
    standard = mine[(mine["statistic"] == STANDARDISED) & (mine["breakdown"] == "ethnic_group")]
    compared = standard[standard["comparator_ratio"].notna() & standard["ratio_lower_95"].notna()]
    chosen = pd.concat([significant(standard), crude[~crude["group_code"].isin(compared["group_code"])]])
    return chosen.assign(_size=chosen["comparator_ratio"].map(log_size)).sort_values(
        "_size", ascending=False).drop(columns="_size")


def summary_sentences(rows: pd.DataFrame, catalogue: list[Indicator], quality: dict | None = None) -> dict:
    """The summary by domain, in the rule's order: each domain's bullets (a finding, or for the
    coercion measures why there is none) or one line saying why it has nothing to report."""
    flagged = _low_recording(quality)
    domains, seen, more = [], {}, 0
    split = by_indicator(rows, catalogue)
    for domain, heading in DOMAIN_ORDER.items():
        measures = [i for i in catalogue if i.domain == domain]
        measures.sort(key=lambda i: (i.id not in ALWAYS, i.higher_is == "neutral"))
        bullets: list[dict] = []
        for ind in measures:
            own = split[ind.id]
            mine = ind.primary.of(own)
            found = findings(ind, own)
            for _, r in found.iterrows():
                key = (r["group_code"], r["comparator_ratio"], r["ratio_lower_95"], r["ratio_upper_95"])
                if key in seen:  # the same difference from another measure: said once
                    seen[key]["also"].append(ind.title.lower())
                    continue
                bullet = {"measure": ind.title, "text": difference_sentence(ind, r, own), "also": [],
                          "quality": flagged.get(ind.quality_table, "")}
                seen[key] = bullet
                bullets.append(bullet)
            if found.empty and ind.id in ALWAYS and len(mine):
                text = no_finding(ind, mine)
                bullets.append({"measure": ind.title, "text": text[:1].upper() + text[1:], "also": [], "quality": ""})
        if domain != "coercion":
            shown = [b for b in bullets][:PER_DOMAIN]
            more += len(bullets) - len(shown)
            bullets = shown
        for b in bullets:
            b["text"] += f" The same difference was found for {' and '.join(b['also'])}." if b["also"] else ""
        domains.append({"title": heading, "bullets": bullets,
                        "none": "" if bullets else _domain_none(measures, rows)})
    return {"domains": domains, "more": more, "sentences": [b["text"] for d in domains for b in d["bullets"]]}


def _domain_none(measures: list[Indicator], rows: pd.DataFrame) -> str:
    mine = rows[rows["indicator_id"].isin([i.id for i in measures])]
    if not len(mine):
        return "Not measured in this report."
    tested = mine[(mine["breakdown"] == "ethnic_group") & mine["significance"].isin(["higher", "lower", "similar"])]
    if len(tested):
        return f"No ethnic group differed significantly from {COMPARATOR_LABEL} people on these measures."
    return f"There are too few people in the ethnic groups to compare them with {COMPARATOR_LABEL} people."


def _low_recording(quality: dict | None) -> dict[str, str]:
    """Table -> a warning sentence, for each measure population whose ethnicity recording is below
    the warning threshold (DQ02; the patient index for DQ01)."""
    if not quality:
        return {}
    out = {r["table"]: r["percent"] for r in quality.get("dq02", []) if r["result"] == "below expected"}
    if quality.get("dq01_below"):
        out["MHS001MPI"] = quality["dq01_below"]
    return {table: f"Ethnicity recorded for only {percent} of {SHORT.get(table, 'the people counted')}: this "
                   "comparison may be biased." for table, percent in out.items()}


def indicator_text(ind: Indicator, rows: pd.DataFrame, found: pd.DataFrame | None = None) -> list[str]:
    """A short description of one statistic's results: all people, then the significant differences
    (``found``: ``significant(rows)``, where the caller has it)."""
    out = []
    total = rows[rows["breakdown"] == "total"]
    if len(total) and not missing(total["value"].iloc[0]):
        t = total.iloc[0]
        ci = fmt_interval(t["lower_95"], t["upper_95"])
        out.append(f"All people: {with_value(ind, t['value'])}" + (f" (95% CI {ci})." if ci else "."))
    found = significant(rows) if found is None else found
    out.extend(difference_sentence(ind, r, rows) for _, r in found.iterrows())
    tested = rows[(rows["breakdown"] == "ethnic_group") & rows["significance"].isin(["higher", "lower", "similar"])]
    if found.empty:
        text = no_finding(ind, rows)
        out.append(text[:1].upper() + text[1:])
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
