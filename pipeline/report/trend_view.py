"""The trend of the main gaps: for each key measure, the group furthest from White British in the
latest year (a group other than White, and one whose gap could be tested, where there is one), its
ratio in each year with the 95% interval, and whether the gap changed."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

import pandas as pd
from markupsafe import Markup

from pipeline.indicators import Indicator
from pipeline.report.cells import by_indicator, plain
from pipeline.report.charts import COMPARATOR, GRID, WIDTH, Point, _svg_open, marker, colour_of, nice_ticks, tick
from pipeline.report.format import fmt_interval, fmt_ratio, fmt_ratio_sentence, missing
from pipeline.report.summary import COMPARATOR_LABEL, people

VERDICTS = {"narrowing": "narrowed", "widening": "widened"}


def trend_section(rows: pd.DataFrame | None, catalogue: list[Indicator]) -> dict | None:
    """The view-model's ``trend`` from one provider's trend.csv rows; None when there are none."""
    if rows is None or rows.empty:
        return None
    rows = plain(rows)
    split = by_indicator(rows, catalogue)
    gaps = [g for g in (_gap(ind, split[ind.id]) for ind in catalogue if ind.trend) if g]
    if not gaps:
        return None
    years = sorted(rows["year"].unique())
    shown = [g for g in gaps if g["points"]]
    alt = ("Ratio to White British people by year, with 95% confidence intervals, for the group furthest from White "
           "British people on each key measure. " + " ".join(g["finding"] for g in gaps))
    chart = Markup(trend_chart([(g["panel"], g["points"]) for g in shown], alt, "trend-chart")) if shown else ""
    return {"gaps": gaps, "chart": chart, "first": years[0], "last": years[-1], "years": len(years)}


def _gap(ind: Indicator, rows: pd.DataFrame) -> dict | None:
    if rows.empty:
        return None
    latest = rows[rows["year"] == rows["year"].max()]
    compared = latest[latest["comparator_ratio"].notna() & latest["ratio_lower_95"].notna()]
    if compared.empty:
        return {"title": ind.title, "panel": "", "points": [], "table": [],
                "finding": f"There are too few people to compare ethnic groups with {COMPARATOR_LABEL} people in "
                           f"{latest['year'].iloc[0]}."}
    # The main gap: a group other than White (which holds White British people themselves) where
    # one can be compared, one whose gap could be tested over the years before one that could not;
    # then the group furthest from White British among the significant differences, and where there
    # is none, the group with the most people or events (the most precise comparison).
    size = compared["comparator_ratio"].map(lambda r: abs(math.log(r)) if r > 0 else 0.0)
    significant = compared["ratio_lower_95"].gt(1) | compared["ratio_upper_95"].lt(1)
    main = compared.assign(_w=compared["group_code"] != "WHITE", _t=compared["gap_trend"].fillna("") != "",
                           _s=size.where(significant, -1.0), _n=compared["numerator"].astype(float))
    main = main.sort_values(["_w", "_t", "_s", "_n"], ascending=False).iloc[0]
    series = rows[rows["group_code"] == main["group_code"]].sort_values("year")
    points, table = [], []
    for _, r in series.iterrows():
        shown = not missing(r["comparator_ratio"])
        sig = "" if missing(r["ratio_lower_95"]) else (
            "higher" if r["ratio_lower_95"] > 1 else "lower" if r["ratio_upper_95"] < 1 else "similar")
        interval = fmt_interval(r["ratio_lower_95"], r["ratio_upper_95"], 2)
        points.append(Point(r["year"], float(r["comparator_ratio"]) if shown else None,
                            None if missing(r["ratio_lower_95"]) else float(r["ratio_lower_95"]),
                            None if missing(r["ratio_upper_95"]) else float(r["ratio_upper_95"]),
                            sig, text=fmt_ratio(r["comparator_ratio"]) if shown else "*", interval=interval))
        table.append({"year": r["year"], "ratio": fmt_ratio(r["comparator_ratio"]) if shown else "*", "interval": interval})
    group = people(main["group_code"])
    return {"title": ind.title, "group": group, "panel": f"{ind.id}: {group}", "points": points,
            "finding": _finding(ind, main, series), "table": table}


def trend_chart(panels: list[tuple[str, list[Point]]], alt: str, chart_id: str, columns: int = 2) -> str:
    """One small panel per measure: each year's ratio to White British with its interval, on the
    panel's own axis from zero with a dashed line at 1 (the same as White British)."""
    rows = max(len(points) for _, points in panels)
    cell_w, label_w, pad, row_h = WIDTH / columns, 70, 14, 20
    cell_h = 26 + rows * row_h + 30
    height = math.ceil(len(panels) / columns) * cell_h + 24
    parts = _svg_open(WIDTH, height, alt, chart_id)
    for k, (title, points) in enumerate(panels):
        ox, oy = (k % columns) * cell_w, (k // columns) * cell_h
        x0, plot_w = ox + label_w, cell_w - label_w - pad - 10
        axis_y = oy + 26 + rows * row_h
        shown = [p.upper if p.upper is not None and math.isfinite(p.upper) else p.value for p in points
                 if p.value is not None]
        top = nice_ticks(max(shown + [1.0]) * 1.04, 4)[-1]
        x = lambda v: x0 + plot_w * min(v, top) / top  # noqa: E731
        parts.append(f'<text x="{ox + 4:.1f}" y="{oy + 15:.1f}" font-weight="bold">{escape(title)}</text>')
        for v in (0, top):
            parts.append(f'<line x1="{x(v):.1f}" y1="{oy + 22:.1f}" x2="{x(v):.1f}" y2="{axis_y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<line x1="{x(1):.1f}" y1="{oy + 22:.1f}" x2="{x(1):.1f}" y2="{axis_y:.1f}" stroke="{COMPARATOR}" '
                     'stroke-dasharray="5 4"/>')
        for v, anchor in ((0, "start"), (1, "middle"), (top, "end")):
            if v == 1 and (x(top) - x(1) < 24 or x(1) - x(0) < 14):
                continue  # a '1' label too close to another would collide
            parts.append(f'<text x="{x(v):.1f}" y="{axis_y + 16:.1f}" text-anchor="{anchor}">{tick(v)}</text>')
        parts.append(f'<line x1="{x0:.1f}" y1="{axis_y:.1f}" x2="{x0 + plot_w:.1f}" y2="{axis_y:.1f}" stroke="#333333"/>')
        for i, p in enumerate(points):
            y = oy + 26 + row_h * i + row_h / 2
            parts.append(f'<text x="{x0 - 6:.1f}" y="{y + 4.5:.1f}" text-anchor="end">{escape(p.label)}</text>')
            if p.value is None:
                parts.append(f'<text x="{x0 + 4:.1f}" y="{y + 4.5:.1f}">{escape(p.text)}</text>')
                continue
            if p.lower is not None and p.upper is not None:
                hi = min(p.upper, top) if math.isfinite(p.upper) else top
                parts.append(f'<line x1="{x(p.lower):.1f}" y1="{y:.1f}" x2="{x(hi):.1f}" y2="{y:.1f}" '
                             f'stroke="{colour_of(p)}" stroke-width="2"/>')
            parts.append(marker(x(p.value), y, p, 5.5))
    parts.append(f'<text x="{WIDTH / 2:.1f}" y="{height - 6:.1f}" text-anchor="middle">ratio to {COMPARATOR_LABEL} '
                 'people (dashed line: 1, the same as White British)</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _finding(ind: Indicator, main: pd.Series, series: pd.DataFrame) -> str:
    ratio, ci = fmt_ratio_sentence(main["comparator_ratio"], main["ratio_lower_95"], main["ratio_upper_95"])
    what = "percentage" if ind.method == "proportion" else "rate"
    lead = (f"In {main['year']}, {people(main['group_code'])} had {ratio} times the {COMPARATOR_LABEL} {what} "
            f"(95% CI {ci}).")
    verdict, first = main["gap_trend"], main["first_year"]
    if not verdict:
        return f"{lead} There are too few years with published counts to test whether the gap has changed."
    if verdict == "no significant change":
        return f"{lead} The gap has not changed significantly since {first}."
    change, lo, hi = (float(main[c]) for c in ("gap_change_per_year", "gap_change_lower_95", "gap_change_upper_95"))
    direction = "fell" if change < 1 else "rose"
    size = abs(1 - change) * 100
    return (f"{lead} The gap has {VERDICTS[verdict]} since {first}: the ratio {direction} by {size:.0f}% a year "
            f"(95% CI {fmt_ratio(lo)} to {fmt_ratio(hi)} times a year).")
