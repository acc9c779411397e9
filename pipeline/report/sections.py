"""View-models of what the HTML edition adds to each indicator (ethnic categories, the intersectional
view, the funnel plot against other providers) and of the sections that cut across indicators (the
change since last year, the methods' tables)."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from pipeline import contract, disclosure
from pipeline.indicators import Indicator, Series
from pipeline.report import cells as vm
from pipeline.report.charts import Panel, small_multiples
from pipeline.report.format import (UNDEFINED, fmt_change, fmt_change_interval, fmt_count, fmt_interval, fmt_number,
                                    fmt_ratio_sentence, log_size, missing)
from pipeline.report.funnel_chart import ProviderPoint, funnel_chart
from pipeline.report.summary import change_sentences, with_value

STRATA = {
    "ethnic_group_x_sex": ("sex", dict(contract.SEX_CODES)),
    "ethnic_group_x_age": ("age", {b: b for b in contract.AGE_BANDS}),
}


def chart_id(*parts: str) -> str:
    """A chart's id, unique within a page: 'chart-CO01-crude-rate'."""
    return "-".join(["chart", *(str(p).lower().replace(" ", "-").replace("%", "pc") for p in parts)])


def strata(ind: Indicator, rows: pd.DataFrame) -> list[dict]:
    """Ethnic group x sex and x age of one indicator's first series, where it publishes them."""
    out = []
    first = ind.primary
    series = first.of(rows)
    for breakdown, (word, labels) in STRATA.items():
        mine = series[series["breakdown"] == breakdown]
        if breakdown in ind.breakdowns and len(mine):
            out.append({**_intersection(ind, mine, word, labels), "statistic": first.statistic,
                        "intervention_type": first.intervention_type, "breakdown": breakdown})
    return out


def _intersection(ind: Indicator, rows: pd.DataFrame, word: str, labels: dict) -> dict:
    rows = rows.assign(_group=rows["group_code"], _stratum=rows["subgroup"])
    order = {g: i for i, g in enumerate(vm.GROUP_ORDER)}
    rows = rows.assign(_g=rows["_group"].map(order), _s=rows["_stratum"].map({s: i for i, s in enumerate(labels)}))
    rows = rows.sort_values(["_g", "_s"])
    table, panels = [], []
    for _, part in rows.groupby("_g", sort=True):
        code = part["_group"].iloc[0]
        points = []
        for _, r in part.iterrows():
            cell = vm.cells(ind, r, contract.ETHNIC_GROUPS.get(code, code))
            table.append({**cell, "stratum": labels.get(r["_stratum"], r["_stratum"])})
            points.append(vm.point(ind, r, labels.get(r["_stratum"], r["_stratum"]), cell["value"]))
        if code != "NOT_KNOWN":
            panels.append(Panel(contract.ETHNIC_GROUPS.get(code, code), points))
    title = f"{ind.title} by ethnic group and {word}"
    alt = _intersection_alt(ind, rows, word, title)
    return {
        "id": ind.id,
        "title": title,
        "word": word.capitalize(),
        "chart": Markup(small_multiples(panels, ind.unit, alt, chart_id(ind.id, word))) if panels else "",
        "alt": alt,
        "rows": table,
        "caption": f"{title}, {ind.unit}",
    }


def _intersection_alt(ind: Indicator, rows: pd.DataFrame, word: str, title: str) -> str:
    lead = f"Small multiples of {title.lower()}, one panel per ethnic group, with 95% confidence intervals."
    sig = rows[rows["significance"].isin(["higher", "lower"]) & ~rows["suppressed"].map(disclosure.hides_own_numbers)]
    sig = sig[~sig[["comparator_ratio", "ratio_lower_95", "ratio_upper_95"]].isna().any(axis=1)]
    if sig.empty:
        return f"{lead} No group differs significantly from White British people of the same {word}."
    top = sig.assign(_z=sig["comparator_ratio"].map(log_size)).sort_values("_z").iloc[-1]
    ratio, ci = fmt_ratio_sentence(top["comparator_ratio"], top["ratio_lower_95"], top["ratio_upper_95"])
    return (f"{lead} The largest difference from White British people of the same {word}: "
            f"{top['group_label']}, {ratio} times (95% CI {ci}).")


def categories(ind: Indicator, rows: pd.DataFrame, series: Series) -> list[dict]:
    """The 16 ethnic categories (White British first, 'Not known' last) of one series."""
    mine = series.of(rows)
    listed = sorted((r for _, r in mine[mine["breakdown"] == "ethnic_category"].iterrows()),
                    key=lambda r: (r["group_code"] == "NOT_KNOWN", r["group_code"]))
    return [vm.cells(ind, r) for r in listed]


def funnel(ind: Indicator, rows: pd.DataFrame, provider: str) -> dict | None:
    """The funnel plot of all people by provider for one indicator (every provider's totals in
    ``rows``), with the ethnic groups outside the limits around the all-provider value."""
    first = ind.primary
    mine = first.of(rows[rows["indicator_id"] == ind.id])
    totals = mine[mine["breakdown"] == "total"]
    target = totals[totals["provider"] == "ALL"]["value"]
    others = totals[(totals["provider"] != "ALL") & totals["value"].notna() & totals["denominator"].notna()
                    & totals["funnel_position"].fillna("").ne("")]
    if target.empty or missing(target.iloc[0]) or others.empty or (others["denominator"] <= 0).all():
        return None
    target = float(target.iloc[0])
    listed = [r for _, r in others.sort_values("provider").iterrows()]
    points = [ProviderPoint(r["provider"], float(r["value"]), float(r["denominator"]), r["provider"] == provider)
              for r in listed]
    kind = "proportion" if ind.method == "proportion" else "rate"
    alt = _funnel_alt(ind, others, target, provider)
    svg = funnel_chart(points, target, kind, ind.multiplier, ind.unit, alt, f"funnel-{ind.id.lower()}")
    table = [{"provider": r["provider"], "value": fmt_number(r["value"]), "denominator": fmt_count(r["denominator"]),
              "interval": fmt_interval(r["lower_95"], r["upper_95"]), "position": r["funnel_position"],
              "emphasis": r["provider"] == provider}
             for r in listed]
    return {"id": ind.id, "title": ind.title, "unit": ind.unit, "statistic": first.statistic,
            "intervention_type": first.intervention_type,
            "chart": Markup(svg), "alt": alt, "rows": table,
            "target": fmt_number(target), "outliers": _outliers(ind, mine, provider),
            "above": _positions(listed, "above"), "below": _positions(listed, "below"),
            "within": f"{sum(r['funnel_position'] == 'within limits' for r in listed):,}"}


def _positions(listed: list[pd.Series], side: str) -> str:
    """'RRJ (99.8%), RB6 (95%)': the providers outside the limits on one side, the further first."""
    out = []
    for level in ("99.8%", "95%"):
        codes = sorted(r["provider"] for r in listed if r["funnel_position"] == f"{side} {level} limit")
        out.extend(f"{c} ({level})" for c in codes)
    return ", ".join(out) or "none"


def _outliers(ind: Indicator, mine: pd.DataFrame, provider: str) -> list[dict]:
    keep = ((mine["breakdown"] == "ethnic_group") & (mine["provider"] != "ALL")
            & ~mine["funnel_position"].fillna("").isin(["", "within limits"])
            & ~mine["suppressed"].map(disclosure.hides_own_numbers))
    if provider != "ALL":
        keep &= mine["provider"] == provider
    listed = sorted((r for _, r in mine[keep].iterrows()),  # groups in the standard order (unknown last)
                    key=lambda r: (vm.GROUP_RANK.get(r["group_code"], len(vm.GROUP_ORDER)), r["provider"]))
    return [{"group": r["group_label"], "provider": r["provider"], "value": fmt_number(r["value"]),
             "position": r["funnel_position"]} for r in listed]


def _funnel_alt(ind: Indicator, others: pd.DataFrame, target: float, provider: str) -> str:
    lead = (f"Funnel plot of {ind.title.lower()} for all people, each provider against its denominator, "
            f"with 95% and 99.8% limits around the all-provider value of {with_value(ind, target)}.")
    me = others[others["provider"] == provider]
    if len(me):
        return f"{lead} {provider} ({fmt_number(me['value'].iloc[0])}) is {me['funnel_position'].iloc[0]}."
    outside = others[others["funnel_position"] != "within limits"]
    if outside.empty:
        return f"{lead} All {len(others)} providers are within the limits."
    listed = "; ".join(f"{r['provider']} {r['funnel_position']}" for _, r in outside.iterrows())
    return f"{lead} Outside the limits: {listed}."


def change_row(ind: Indicator, rows: pd.DataFrame) -> dict | None:
    """All people's value last year and this, with the change and its interval (None without last year)."""
    total = ind.primary.of(rows)
    total = total[total["breakdown"] == "total"]
    if total.empty or "previous_value" not in rows.columns or rows["previous_value"].isna().all():
        return None
    r = total.iloc[0]
    return {
        "indicator": ind.title, "unit": ind.unit,
        "previous": UNDEFINED if missing(r["previous_value"]) else fmt_number(r["previous_value"]),
        "value": vm.cells(ind, r)["value"],
        "change": "" if missing(r["change"]) else fmt_change(r["change"]),
        "interval": fmt_change_interval(r["change_lower_95"], r["change_upper_95"]),
        "assessment": "" if missing(r["change_significance"]) else r["change_significance"],
    }


def change(rows: pd.DataFrame, catalogue: list[Indicator]) -> dict:
    """The change since last year of every indicator, with its significant changes as sentences."""
    table, sentences = [], []
    split = vm.by_indicator(rows, catalogue)
    for ind in catalogue:
        mine = split[ind.id]
        row = change_row(ind, mine)
        if row:
            table.append(row)
            sentences.extend(change_sentences(ind, ind.primary.of(mine)))
    return {"available": bool(table), "rows": table, "sentences": sentences}


SUPPRESSION_MEANING = {
    "count 1-4 (numerator)": "the count was between 1 and 4",
    "count 1-4 (denominator)": "the denominator was between 1 and 4",
    "count 0-7 (numerator)": "the count was between 0 and 7",
    "count 0-7 (denominator)": "the denominator was between 0 and 7",
    "value from fewer than 5": "the value would rest on fewer than 5 people or events",
    disclosure.COMPLEMENT_RULE: "hidden so that another hidden number cannot be worked out from the published totals",
    disclosure.COMPARATOR_HIDDEN_RULE: "the ratio to White British was hidden because the White British count was "
                                       "hidden to protect a small count",
    disclosure.COMPARATOR_SMALL_RULE: "the ratio to White British was hidden because the White British count was small",
    disclosure.STRATA_RULE: "the standardised rate was hidden because, with its interval, it would show that one "
                            "age and sex group held a small number",
    disclosure.PREVIOUS_RULE: "last year's value and the change were hidden because last year's count was small",
}


def suppression_rules(rows: pd.DataFrame) -> list[dict]:
    """The disclosure-control rules applied in this report, in plain English, with how often."""
    applied = rows["suppressed"].fillna("")
    counts = applied[applied != ""].value_counts().sort_index()
    out = []
    for rule, n in counts.items():
        short = rule.split(": ", 1)[-1]
        out.append({"rule": rule, "meaning": SUPPRESSION_MEANING.get(short, short), "count": f"{int(n):,}"})
    return out


def not_known(rows: pd.DataFrame, catalogue: list[Indicator]) -> list[dict]:
    """How many people or events in each indicator have ethnicity not known (counted in totals)."""
    out = []
    split = vm.by_indicator(rows, catalogue)
    for ind in catalogue:
        mine = ind.primary.of(split[ind.id])
        r = mine[(mine["breakdown"] == "ethnic_group") & (mine["group_code"] == "NOT_KNOWN")]
        total = mine[mine["breakdown"] == "total"]
        if len(r):
            out.append({"indicator": ind.title, "count": vm.cells(ind, r.iloc[0])["numerator"],
                        "total": vm.cells(ind, total.iloc[0])["numerator"] if len(total) else UNDEFINED})
    return out
