"""The report's view-model: every number formatted and every sentence written in Python.

Templates only place what is here; they do no arithmetic. The view-model is built from the
*published* (disclosure-controlled) indicator table, so the PDF can never show a number the
CSV does not. Everything is driven by the catalogue: a new catalogue entry is a new block in
its domain's section (and in the intersectional, provider and change sections where its
breakdowns and statistics allow) with no template change.
"""

from __future__ import annotations

import pandas as pd

from pipeline.indicators import STANDARDISED, Indicator
from pipeline.quality import Decision
from pipeline.report import sections
from pipeline.report.cells import cells, ordered_rows, point
from pipeline.report.charts import data_uri, interval_chart
from pipeline.report.format import fmt_date, fmt_number, fmt_share
from pipeline.report.quality_view import quality_section
from pipeline.report.summary import (difference_sentence, direction_text, indicator_text, significant,
                                     summary_sentences)

__all__ = ["fmt_number", "provider_context", "indicator_block"]

DOMAINS = {
    "access": "Access to services",
    "experience": "Experience of services",
    "coercion": "Coercion and restrictive practice",
    "outcomes": "Outcomes",
}
VERDICT = {
    "publish": "Ethnicity is recorded well enough to compare ethnic groups",
    "warn": "Warning: ethnicity is not recorded as completely as expected, so comparisons between groups may be biased",
    "withhold": "Ethnicity is not recorded well enough to compare ethnic groups",
}


def statistic_panel(ind: Indicator, rows: pd.DataFrame, statistic: str, several: bool, chart: bool = True) -> dict:
    """One statistic of one indicator: chart (unless ``chart`` is False), alternative text, short text and table."""
    mine = ordered_rows(rows[rows["statistic"] == statistic])
    table = [cells(ind, r) for _, r in mine.iterrows()]
    points = [point(ind, r, t["label"], t["value"]) for (_, r), t in zip(mine.iterrows(), table)]
    name = statistic[:1].upper() + statistic[1:]
    title = f"{ind.title}: {statistic}" if several else ind.title
    cap = ind.multiplier if ind.method == "proportion" else None
    return {
        "heading": name if several else "",
        "chart": data_uri(interval_chart(points, ind.unit, title, cap)) if chart else "",
        "alt": chart_alt_text(ind, mine, statistic),
        "text": indicator_text(ind, mine),
        "rows": table,
        "caption": f"{title} by ethnic group, {ind.unit}",
    }


def indicator_block(ind: Indicator, rows: pd.DataFrame) -> dict:
    mine = rows[rows["indicator_id"] == ind.id]
    statistics = [s for s in [s for s, _ in ind.statistics] + ([STANDARDISED] if ind.standardised else [])
                  if (mine["statistic"] == s).any()]
    return {
        "id": ind.id,
        "title": ind.title,
        "definition": f"{ind.numerator}, {ind.unit}. Denominator: {ind.denominator[:1].lower()}{ind.denominator[1:]}.",
        "direction": direction_text(ind),
        "caveats": list(ind.caveats),
        # Only the first statistic is charted; the others (standardised rate, CO05's types) follow as
        # tables with their own text: same groups, same story, fewer pages.
        "panels": [statistic_panel(ind, mine, s, len(statistics) > 1, chart=k == 0) for k, s in enumerate(statistics)],
    }


def chart_alt_text(ind: Indicator, rows: pd.DataFrame, statistic: str) -> str:
    """The chart's main finding in one or two sentences."""
    lead = f"Chart of {ind.title.lower()} ({statistic}, {ind.unit}) by ethnic group with 95% confidence intervals."
    found = significant(rows)
    if found.empty:
        return f"{lead} No ethnic group differs significantly from White British people."
    return f"{lead} The largest difference: {difference_sentence(ind, found.iloc[0])}"


def provider_context(
    *,
    provider: str,
    provider_name: str,
    year: str,
    rows: pd.DataFrame,
    decision: Decision,
    quality: pd.DataFrame | None,
    catalogue: list[Indicator],
    params: dict,
    inputs: list[dict],
    all_rows: pd.DataFrame | None = None,
) -> dict:
    """Everything one provider's (or ALL's) report shows, formatted. ``all_rows`` is every
    provider's published rows (at least their totals and ethnic groups), for the comparison with
    other providers."""
    config = params["config"]
    context = {
        "lang": "en-GB",
        "title": f"Ethnicity equality audit of mental health services: {provider_name}, {year}",
        "provider": provider,
        "provider_name": provider_name,
        "is_all": provider == "ALL",
        "year": year,
        "publication_date": fmt_date(params["publication_date"]),
        "version": params["code_version"],
        "synthetic": params["synthetic"],
        "decision": {"decision": decision.decision, "reason": decision.reason,
                     "verdict": VERDICT.get(decision.decision, "")},
        "thresholds": {"warn": fmt_share(config["ethnicity_warn_below"]),
                       "withhold": fmt_share(config["ethnicity_withhold_below"])},
        "disclosure_profile": config["disclosure_profile"],
        "inputs": inputs,
    }
    if decision.decision == "withhold":
        return context
    domains = [{"title": heading, "indicators": [indicator_block(i, rows) for i in catalogue if i.domain == d]}
               for d, heading in DOMAINS.items()]
    return {
        **context,
        "summary": summary_sentences(rows, catalogue),
        "quality": quality_section(quality, provider),
        "domains": [d for d in domains if d["indicators"]],
        "intersectional": sections.intersectional(rows, catalogue),
        "providers": sections.compared(all_rows if all_rows is not None else rows, catalogue, provider),
        "change": sections.change(rows, catalogue),
        "suppression_rules": sections.suppression_rules(rows),
        "not_known": sections.not_known(rows, catalogue),
        "catalogue": [{"id": i.id, "title": i.title, "numerator": i.numerator, "denominator": i.denominator,
                       "unit": i.unit} for i in catalogue],
    }
