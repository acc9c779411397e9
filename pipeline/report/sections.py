"""View-models of the sections that cut across indicators: the intersectional view, the comparison
with other providers (funnel plots), the change since last year, and the methods' tables."""

from __future__ import annotations

import pandas as pd

from pipeline import contract, disclosure
from pipeline.indicators import Indicator
from pipeline.report import cells as vm
from pipeline.report.charts import Panel, data_uri, small_multiples
from pipeline.report.format import (UNDEFINED, fmt_change, fmt_change_interval, fmt_count, fmt_number,
                                    fmt_ratio_sentence, log_size, missing)
from pipeline.report.funnel_chart import ProviderPoint, funnel_chart
from pipeline.report.summary import change_sentences, with_value

STRATA = {
    "ethnic_group_x_sex": ("sex", dict(contract.SEX_CODES)),
    "ethnic_group_x_age": ("age", {b: b for b in contract.AGE_BANDS}),
}
MAX_TABLE_PROVIDERS = 12


def intersectional(rows: pd.DataFrame, catalogue: list[Indicator]) -> list[dict]:
    """Ethnic group x sex and x age, for every indicator that publishes those breakdowns."""
    out = []
    for ind in catalogue:
        statistic = ind.statistics[0][0]
        for breakdown, (word, strata) in STRATA.items():
            mine = rows[(rows["indicator_id"] == ind.id) & (rows["statistic"] == statistic)
                        & (rows["breakdown"] == breakdown)]
            if breakdown in ind.breakdowns and len(mine):
                out.append(_intersection(ind, mine, word, strata))
    return out


def _intersection(ind: Indicator, rows: pd.DataFrame, word: str, strata: dict) -> dict:
    parts = rows["group_code"].str.split("|", n=1, expand=True)
    rows = rows.assign(_group=parts[0], _stratum=parts[1])
    order = {g: i for i, g in enumerate(vm.GROUP_ORDER)}
    rows = rows.assign(_g=rows["_group"].map(order), _s=rows["_stratum"].map({s: i for i, s in enumerate(strata)}))
    rows = rows.sort_values(["_g", "_s"])
    table, panels = [], []
    for group, part in rows.groupby("_g", sort=True):
        code = part["_group"].iloc[0]
        points = []
        for _, r in part.iterrows():
            cell = vm.cells(ind, r, contract.ETHNIC_GROUPS.get(code, code))
            table.append({**cell, "stratum": strata.get(r["_stratum"], r["_stratum"])})
            points.append(vm.point(ind, r, strata.get(r["_stratum"], r["_stratum"]), cell["value"]))
        if code != "NOT_KNOWN":
            panels.append(Panel(contract.ETHNIC_GROUPS.get(code, code), points))
    title = f"{ind.title} by ethnic group and {word}"
    return {
        "id": ind.id,
        "title": title,
        "word": word.capitalize(),
        "chart": data_uri(small_multiples(panels, ind.unit, title)) if panels else "",
        "alt": _intersection_alt(ind, rows, word, title),
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


def compared(rows: pd.DataFrame, catalogue: list[Indicator], provider: str) -> dict:
    """Funnel plots of all people for each indicator, and the ethnic groups outside the limits."""
    plots, outliers = [], []
    for ind in catalogue:
        statistic = ind.statistics[0][0]
        mine = rows[(rows["indicator_id"] == ind.id) & (rows["statistic"] == statistic)]
        plot = _funnel(ind, mine[mine["breakdown"] == "total"], provider)
        if plot:
            plots.append(plot)
        groups = mine[(mine["breakdown"] == "ethnic_group") & (mine["provider"] != "ALL")
                      & ~mine["funnel_position"].isin(["", "within limits"])
                      & ~mine["suppressed"].map(disclosure.hides_own_numbers)]
        if provider != "ALL":
            groups = groups[groups["provider"] == provider]
        order = {g: i for i, g in enumerate(vm.GROUP_ORDER)}
        for _, r in groups.assign(_g=groups["group_code"].map(order)).sort_values(["_g", "provider"]).iterrows():
            outliers.append({"indicator": ind.title, "group": r["group_label"], "provider": r["provider"],
                             "value": fmt_number(r["value"]), "position": r["funnel_position"]})
    return {"plots": plots, "outliers": outliers}


def _funnel(ind: Indicator, totals: pd.DataFrame, provider: str) -> dict | None:
    target = totals[totals["provider"] == "ALL"]["value"]
    others = totals[(totals["provider"] != "ALL") & totals["value"].notna() & totals["denominator"].notna()
                    & (totals["funnel_position"] != "")]
    if target.empty or missing(target.iloc[0]) or others.empty or (others["denominator"] <= 0).all():
        return None
    target = float(target.iloc[0])
    points = [ProviderPoint(r["provider"], float(r["value"]), float(r["denominator"]), r["provider"] == provider)
              for _, r in others.sort_values("provider").iterrows()]
    kind = "proportion" if ind.method == "proportion" else "rate"
    svg = funnel_chart(points, target, kind, ind.multiplier, ind.unit, f"{ind.title}: all people, by provider")
    shown = others if len(others) <= MAX_TABLE_PROVIDERS or provider == "ALL" else others[others["provider"] == provider]
    table = [{"provider": r["provider"], "value": fmt_number(r["value"]), "denominator": fmt_count(r["denominator"]),
              "position": r["funnel_position"], "emphasis": r["provider"] == provider}
             for _, r in shown.sort_values("provider").iterrows()]
    return {"id": ind.id, "title": ind.title, "unit": ind.unit, "chart": data_uri(svg),
            "alt": _funnel_alt(ind, others, target, provider), "rows": table, "target": fmt_number(target)}


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


def change(rows: pd.DataFrame, catalogue: list[Indicator]) -> dict:
    """All people's value last year and this, with the change and its interval, per indicator."""
    if "previous_value" not in rows.columns or rows["previous_value"].isna().all():
        return {"available": False, "rows": [], "sentences": []}
    table, sentences = [], []
    for ind in catalogue:
        mine = rows[(rows["indicator_id"] == ind.id) & (rows["statistic"] == ind.statistics[0][0])]
        total = mine[mine["breakdown"] == "total"]
        if total.empty:
            continue
        r = total.iloc[0]
        table.append({
            "indicator": ind.title, "unit": ind.unit,
            "previous": UNDEFINED if missing(r["previous_value"]) else fmt_number(r["previous_value"]),
            "value": vm.cells(ind, r)["value"],
            "change": "" if missing(r["change"]) else fmt_change(r["change"]),
            "interval": fmt_change_interval(r["change_lower_95"], r["change_upper_95"]),
            "assessment": r["change_significance"] or "",
        })
        sentences.extend(change_sentences(ind, mine))
    return {"available": True, "rows": table, "sentences": sentences}


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
    for ind in catalogue:
        r = rows[(rows["indicator_id"] == ind.id) & (rows["statistic"] == ind.statistics[0][0])
                 & (rows["breakdown"] == "ethnic_group") & (rows["group_code"] == "NOT_KNOWN")]
        total = rows[(rows["indicator_id"] == ind.id) & (rows["statistic"] == ind.statistics[0][0])
                     & (rows["breakdown"] == "total")]
        if len(r):
            out.append({"indicator": ind.title, "count": vm.cells(ind, r.iloc[0])["numerator"],
                        "total": vm.cells(ind, total.iloc[0])["numerator"] if len(total) else UNDEFINED})
    return out
