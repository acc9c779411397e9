"""The report's view-model: every number formatted and every sentence written in Python.

Templates only place what is here; they do no arithmetic. The view-model is built from the
*published* (disclosure-controlled) indicator table, so the PDF can never show a number the
CSV does not.
"""

from __future__ import annotations

import base64
import math
from datetime import date

import pandas as pd

from pipeline import contract
from pipeline.indicators import Indicator
from pipeline.quality import Decision
from pipeline.report.charts import Point, interval_chart

DOMAINS = {
    "access": "Access to services",
    "experience": "Experience of services",
    "coercion": "Coercion and restrictive practice",
    "outcomes": "Outcomes",
}
SIGNIFICANCE_TEXT = {"higher": "higher than", "lower": "lower than", "similar": "similar to", "": ""}
SUMMARY_LIMIT = 6


def fmt_number(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "*"
    return f"{v:,.{digits}f}"


def fmt_count(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "*"
    return f"{int(v):,}"


def fmt_ratio(v) -> str:
    return fmt_number(v, 2)


def fmt_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def _interval(lo, hi, digits=1) -> str:
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (lo, hi)):
        return ""
    return f"{lo:,.{digits}f} to {hi:,.{digits}f}"


def summary_sentences(rows: pd.DataFrame, catalogue: list[Indicator]) -> list[str]:
    """Statistically significant differences from White British, largest first, in plain English."""
    by_id = {i.id: i for i in catalogue}
    sig = rows[(rows["breakdown"] == "ethnic_group") & rows["significance"].isin(["higher", "lower"])
               & rows["statistic"].isin(["crude rate", "proportion"]) & (rows["group_code"] != "NOT_KNOWN")]
    sig = sig.assign(size=sig["comparator_ratio"].map(lambda r: abs(math.log(r)))).sort_values("size", ascending=False)
    sentences = []
    for _, r in sig.head(SUMMARY_LIMIT).iterrows():
        ind = by_id[r["indicator_id"]]
        group = contract.ETHNIC_GROUPS[r["group_code"]]
        ci = _interval(r["ratio_lower_95"], r["ratio_upper_95"], 2)
        if r["significance"] == "higher":
            sentences.append(f"{group} people were {fmt_ratio(r['comparator_ratio'])} times as likely as White British "
                             f"people to {ind.phrase} (95% CI {ci}).")
        else:
            sentences.append(f"{group} people were less likely than White British people to {ind.phrase}: "
                             f"{fmt_ratio(r['comparator_ratio'])} times as likely (95% CI {ci}).")
    return sentences


def indicator_block(ind: Indicator, rows: pd.DataFrame) -> dict:
    """One indicator's chart, alternative text and table for the ethnic group breakdown."""
    crude = rows[(rows["indicator_id"] == ind.id) & (rows["statistic"].isin(["crude rate", "proportion"]))]
    groups = crude[crude["breakdown"] == "ethnic_group"]
    comparator = crude[(crude["breakdown"] == "ethnic_category") & (crude["group_code"] == contract.COMPARATOR_CODE)]
    total = crude[crude["breakdown"] == "total"]
    table_rows, points = [], []
    for _, r in pd.concat([total, comparator, groups]).iterrows():
        is_comp = r["breakdown"] == "ethnic_category"
        label = "White British (comparator)" if is_comp else r["group_label"]
        value = None if pd.isna(r["value"]) else float(r["value"])
        if r["breakdown"] != "total":
            points.append(Point(label, value, _f(r["lower_95"]), _f(r["upper_95"]), r["significance"], is_comp))
        table_rows.append({
            "label": label,
            "numerator": fmt_count(r["numerator"]),
            "denominator": fmt_count(r["denominator"]),
            "value": fmt_number(r["value"]),
            "interval": _interval(r["lower_95"], r["upper_95"]),
            "ratio": "" if r["breakdown"] == "total" or is_comp else fmt_ratio(r["comparator_ratio"]),
            "ratio_interval": "" if is_comp else _interval(r["ratio_lower_95"], r["ratio_upper_95"], 2),
            "significance": SIGNIFICANCE_TEXT.get(r["significance"], ""),
            "suppressed": r["suppressed"],
        })
    svg = interval_chart(points, ind.unit, ind.title)
    return {
        "id": ind.id,
        "title": ind.title,
        "numerator": ind.numerator,
        "denominator": ind.denominator,
        "unit": ind.unit,
        "caveats": list(ind.caveats),
        "chart": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        "alt": chart_alt_text(ind, groups),
        "rows": table_rows,
    }


def chart_alt_text(ind: Indicator, groups: pd.DataFrame) -> str:
    """The chart's main finding in one or two sentences."""
    tested = groups[groups["significance"].isin(["higher", "lower"]) & (groups["group_code"] != "NOT_KNOWN")]
    if tested.empty:
        return (f"Chart of {ind.title.lower()} ({ind.unit}) by ethnic group with 95% confidence intervals: "
                "no group differs significantly from White British.")
    top = tested.assign(size=tested["comparator_ratio"].map(lambda r: abs(math.log(r)))).sort_values("size").iloc[-1]
    return (f"Chart of {ind.title.lower()} ({ind.unit}) by ethnic group with 95% confidence intervals. "
            f"The largest difference: {top['group_label']} {fmt_number(top['value'])}, "
            f"{fmt_ratio(top['comparator_ratio'])} times the White British value.")


def _f(v):
    return None if pd.isna(v) else float(v)


def provider_context(
    *,
    provider: str,
    provider_name: str,
    year: str,
    rows: pd.DataFrame,
    decision: Decision,
    quality_row: dict | None,
    catalogue: list[Indicator],
    params: dict,
    inputs: list[dict],
) -> dict:
    """Everything one provider's report shows, formatted."""
    title = f"Ethnicity equality audit of mental health services: {provider_name}, {year}"
    sections = []
    for domain, heading in DOMAINS.items():
        blocks = [indicator_block(i, rows) for i in catalogue if i.domain == domain]
        if blocks:
            sections.append({"title": heading, "indicators": blocks})
    quality = None
    if quality_row:
        persons = quality_row["persons"]
        quality = {
            "persons": fmt_count(persons),
            "rows": [
                {"label": label, "count": fmt_count(quality_row[key]), "percent": fmt_number(quality_row[f"{key}_percent"])}
                for key, label in contract.ETHNICITY_STATUSES.items()
            ],
        }
    return {
        "lang": "en-GB",
        "title": title,
        "provider": provider,
        "provider_name": provider_name,
        "year": year,
        "publication_date": fmt_date(params["publication_date"]),
        "version": params["code_version"],
        "synthetic": params["synthetic"],
        "decision": {"decision": decision.decision, "reason": decision.reason},
        "summary": summary_sentences(rows, catalogue),
        "quality": quality,
        "thresholds": {
            "warn": f"{params['config']['ethnicity_warn_below']:.0%}",
            "withhold": f"{params['config']['ethnicity_withhold_below']:.0%}",
        },
        "disclosure_profile": params["config"]["disclosure_profile"],
        "sections": sections,
        "inputs": inputs,
    }
