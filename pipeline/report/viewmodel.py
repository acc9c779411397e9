"""The report's view-model: every number formatted and every sentence written in Python.

Templates only place what is here; they do no arithmetic. The view-model is built from the
*published* (disclosure-controlled) indicator table, so no edition can show a number the CSV
does not. One view-model feeds both editions: the board paper (PDF) places each indicator's
headline chart and finding, the HTML edition every statistic, table and comparison. Everything
is driven by the catalogue: a new catalogue entry is a new block in its domain's section with no
template change.
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from pipeline import contract
from pipeline.indicators import Indicator, Series
from pipeline.quality import Decision
from pipeline.report import sections
from pipeline.report.cells import by_indicator, cells, ordered_rows, plain, point
from pipeline.report.charts import interval_chart
from pipeline.report.format import fmt_date, fmt_number, fmt_share
from pipeline.report.quality_view import quality_section
from pipeline.report.summary import (difference_sentence, direction_text, headline_series,
                                     indicator_text, no_finding, significant, summary_sentences)
from pipeline.report.trend_view import trend_section

__all__ = ["fmt_number", "provider_context", "indicator_block"]

# The board paper's order (report.md): coercion first, then outcomes, experience and access.
DOMAINS = {
    "coercion": "Coercion and restrictive practice",
    "outcomes": "Outcomes",
    "experience": "Experience of services",
    "access": "Access to services",
}
BRIEF_DIRECTION = {"worse": "Higher is worse.", "better": "Higher is better.",
                   "neutral": "Higher is neither better nor worse in itself."}
VERDICT = {
    "publish": "Ethnicity is recorded well enough to compare ethnic groups",
    "warn": "Warning: ethnicity is not recorded as completely as expected",
    "withhold": "Ethnicity is not recorded well enough to compare ethnic groups",
}
PARTLY = ("Ethnicity is recorded well enough in the patient index to compare ethnic groups, but less completely for "
          "some of the measures (see below)")


def statistic_panel(ind: Indicator, rows: pd.DataFrame, series: Series, several: bool) -> dict:
    """One series of one indicator (a statistic, or a restrictive-intervention type), from its
    rows: chart with its alternative text, finding, sentences and table."""
    mine = ordered_rows(rows)
    statistic = series.name
    records = [r for _, r in mine.iterrows()]
    table = [cells(ind, r) for r in records]
    # 'Not known' has no population (no rate) and no comparison: it is in the table, not the chart.
    points = [point(ind, r, t["label"], t["value"], t["interval"])
              for r, t in zip(records, table) if r["group_code"] != "NOT_KNOWN"]
    name = statistic[:1].upper() + statistic[1:]
    title = f"{ind.title}: {statistic}" if several else ind.title
    cap = ind.multiplier if ind.method == "proportion" else None
    found = significant(mine)  # the chart's text, finding and sentences all rest on these
    alt = chart_alt_text(ind, mine, statistic, found)
    return {
        "series": statistic,
        "statistic": series.statistic,
        "intervention_type": series.intervention_type,
        "heading": name if several else "",
        "name": name,
        "chart": Markup(interval_chart(points, ind.unit, alt, sections.chart_id(ind.id, statistic), cap)),
        "alt": alt,
        "finding": finding(ind, mine, found),
        "text": indicator_text(ind, mine, found),
        "rows": table,
        "caption": f"{title} by ethnic group, {ind.unit}",
    }


def indicator_block(ind: Indicator, rows: pd.DataFrame, compared: pd.DataFrame | None = None,
                    provider: str = "") -> dict:
    """One indicator: its headline panel (the board paper's chart and finding, on the summary's
    statistic), every statistic's panel, the ethnic categories, the intersectional view, the
    comparison with other providers (from ``compared``) and the change since last year."""
    mine = rows[rows["indicator_id"] == ind.id]
    parts = [(s, part) for s in ind.published_series if len(part := s.of(mine))]
    every = [s for s, _ in parts]
    panels = [statistic_panel(ind, part, s, len(every) > 1) for s, part in parts]
    wanted = headline_series(ind, rows).name
    headline = next((p for p in panels if p["series"] == wanted), panels[0] if panels else None)
    return {
        "id": ind.id,
        "anchor": ind.id.lower(),
        "title": ind.title,
        "definition": ind.definition,
        "direction": direction_text(ind),
        "brief": f"{ind.numerator}, {ind.unit}. {BRIEF_DIRECTION.get(ind.higher_is, BRIEF_DIRECTION['neutral'])}",
        "caveats": list(ind.caveats),
        "headline": headline,
        "panels": panels,
        "categories": sections.categories(ind, mine, every[0]) if every else [],
        "strata": sections.strata(ind, mine),
        "funnel": sections.funnel(ind, compared, provider) if compared is not None else None,
        "change": sections.change_row(ind, mine),
    }


def finding(ind: Indicator, rows: pd.DataFrame, found: pd.DataFrame | None = None) -> str:
    """The board paper's finding for one chart: its largest significant difference from White
    British people, and which other groups differed; or why there is none. ``found`` is
    ``significant(rows)`` where the caller has it."""
    found = significant(rows) if found is None else found
    if found.empty:
        text = no_finding(ind, rows)
        return text[:1].upper() + text[1:]
    text = difference_sentence(ind, found.iloc[0], rows)
    others = [f"{contract.ETHNIC_GROUPS.get(r['group_code'], r['group_label'])} ({r['significance']})"
              for _, r in found.iloc[1:].iterrows()]
    if others:
        text += f" Also significantly different: {', '.join(others)}."
    return text


def chart_alt_text(ind: Indicator, rows: pd.DataFrame, statistic: str, found: pd.DataFrame | None = None) -> str:
    """The chart's main finding in one or two sentences."""
    lead = f"Chart of {ind.title.lower()} ({statistic}, {ind.unit}) by ethnic group with 95% confidence intervals."
    found = significant(rows) if found is None else found
    if found.empty:
        return f"{lead} No ethnic group differs significantly from White British people."
    return f"{lead} The largest difference: {difference_sentence(ind, found.iloc[0], rows)}"


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
    trend_rows: pd.DataFrame | None = None,
) -> dict:
    """Everything one provider's (or ALL's) report shows in either edition, formatted. ``all_rows``
    is every provider's published rows (at least their totals and ethnic groups), for the
    comparison with other providers; ``trend_rows`` its rows of trend.csv."""
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
        # Where each edition finds the other, from the publication's folder (templates set 'root').
        "links": {"html": f"html/{provider}/index.html", "pdf": f"reports/{provider}.pdf"},
    }
    if decision.decision == "withhold":
        return context
    # Each indicator's rows split off once: filtering the whole frame again for every indicator
    # (and every provider's rows, for the comparison) was most of a view-model's time.
    rows = plain(rows)
    mine = by_indicator(rows, catalogue)
    compared = by_indicator(plain(all_rows) if all_rows is not None else rows, catalogue)
    domains = [{"id": d, "title": heading,
                "indicators": [indicator_block(i, mine[i.id], compared[i.id], provider)
                               for i in catalogue if i.domain == d]}
               for d, heading in DOMAINS.items()]
    domains = [d for d in domains if d["indicators"]]
    quality_view = quality_section(quality, provider)
    if decision.decision == "publish" and quality_view and quality_view["below"]:
        context["decision"]["verdict"] = PARTLY
    return {
        **context,
        "summary": summary_sentences(rows, catalogue, quality_view),
        "quality": quality_view,
        "domains": domains,
        # The trend of the main gaps over up to five years; the templates show it when there is one.
        "trend": trend_section(trend_rows, catalogue),
        "comparison": [b["funnel"] for d in domains for b in d["indicators"] if b["funnel"]],
        "change": sections.change(rows, catalogue),
        "suppression_rules": sections.suppression_rules(rows),
        "not_known": sections.not_known(rows, catalogue),
        "catalogue": [{"id": i.id, "title": i.title, "numerator": i.numerator, "denominator": i.denominator,
                       "unit": i.unit} for i in catalogue],
    }
