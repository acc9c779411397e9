"""The report's view-model and its rendered HTML, from hand-made published rows (no pipeline run)."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from pipeline.config import AuditConfig
from pipeline.indicators import Indicator
from pipeline.quality import Decision
from pipeline.report import charts, funnel_chart
from pipeline.report.cells import cells
from pipeline.report.format import NBSP, fmt_interval
from pipeline.report.quality_view import as_long, quality_section
from pipeline.report.render import render_edition_html, render_html
from pipeline.report.summary import summary_sentences
from pipeline.report.viewmodel import provider_context

CO01 = Indicator(id="CO01", title="Detentions under the Mental Health Act", domain="coercion", numerator="Detentions",
                 denominator="Population", phrase="be detained under the Mental Health Act", method="rate",
                 unit="per 100,000 population", multiplier=100000, counts="events", higher_is="worse", sql="co01",
                 breakdowns=("total", "ethnic_group", "ethnic_category"), quality_table="MHS401MHActPeriod",
                 sentence="{value} detention episodes for every 100,000 {group}")
EX01 = Indicator(id="EX01", title="Good overall experience", domain="experience", numerator="Good", denominator="Answering",
                 phrase="rate their overall experience as good", method="proportion", unit="% of respondents",
                 multiplier=100, counts="events", higher_is="better", sql="ex01", breakdowns=("total", "ethnic_group"),
                 sentence="{value} of {group} responding rated their overall experience 7 to 10")
CO04 = Indicator(**{**CO01.__dict__, "id": "CO04", "title": "People subject to restrictive intervention",
                    "sentence": "{value} people subject to restrictive intervention for every 100,000 {group}"})
LABELS = {"WHITE": "White", "MIXED": "Mixed", "ASIAN": "Asian or Asian British", "BLACK": "Black or Black British",
          "OTHER": "Other ethnic groups", "NOT_KNOWN": "Not known", "TOTAL": "All people", "A": "White British"}


def row(ind, code, value=100.0, ratio=None, sig="", suppressed="", breakdown="ethnic_group", provider="RXX",
        numerator=50, denominator=50000, statistic=None):
    lo, hi = (None, None) if ratio is None else (ratio * 0.8, ratio * 1.25)
    return {"year": "2024-25", "provider": provider, "indicator_id": ind.id, "indicator": ind.title,
            "statistic": statistic or ind.series[0].statistic, "intervention_type": "", "breakdown": breakdown,
            "group_code": code, "subgroup": "",
            "group_label": LABELS.get(code, code), "numerator": numerator, "denominator": denominator, "value": value,
            "lower_95": None if value is None else value * 0.9, "upper_95": None if value is None else value * 1.1,
            "comparator_ratio": ratio, "ratio_lower_95": lo, "ratio_upper_95": hi, "significance": sig,
            "unit": ind.unit, "direction": ind.higher_is, "funnel_position": "", "previous_value": None,
            "change": None, "change_lower_95": None, "change_upper_95": None, "change_significance": "",
            "suppressed": suppressed}


@pytest.fixture
def frame() -> pd.DataFrame:
    rows = [
        row(CO01, "TOTAL", 120.0, breakdown="total"),
        row(CO01, "A", 80.0, breakdown="ethnic_category"),
        row(CO01, "WHITE", 82.0, 1.02, "similar"),
        row(CO01, "BLACK", 290.0, 3.6, "higher"),
        row(CO01, "ASIAN", 60.0, 0.75, "lower"),
        row(CO01, "MIXED", 150.0, 1.9, "similar"),
        row(CO01, "OTHER", None, None, "", "nhs: count 1-4 (numerator)", numerator=None),
        row(CO01, "NOT_KNOWN", None, None, "", numerator=10, denominator=None),
        row(EX01, "TOTAL", 70.0, breakdown="total", numerator=300, denominator=430),
        row(EX01, "WHITE", 72.0, 1.0, "similar"),
        row(EX01, "BLACK", 55.0, 0.7, "lower"),
        # A suppressed row that still carries a 'significance' must never reach the text.
        row(EX01, "MIXED", 20.0, 9.0, "higher", "nhs: complementary suppression"),
    ]
    return pd.DataFrame(rows)


def test_summary_gives_both_values_and_the_ratio_coercion_first_and_skips_similar_and_suppressed(frame):
    summary = summary_sentences(frame, [EX01, CO01])
    assert [d["title"] for d in summary["domains"]] == ["Coercion and restrictive practice", "Outcomes",
                                                        "Experience of services", "Access to services"]
    coercion = summary["domains"][0]["bullets"]
    assert coercion[0]["text"] == ("290.0 detention episodes for every 100,000 Black people, compared with 80.0 for "
                                   "White British people: 3.60 times the White British rate (95% CI 2.88 to 4.50). "
                                   "That is a worse result for Black people.")
    assert coercion[1]["text"].startswith("60.0 detention episodes for every 100,000 Asian people, compared with 80.0")
    experience = summary["domains"][2]["bullets"]
    assert [b["text"][:40] for b in experience] == ["55.0% of Black people responding rated t"]
    assert experience[0]["text"].endswith("0.70 times the White British percentage (95% CI 0.56 to 0.88). "
                                          "That is a worse result for Black people.")
    text = " ".join(summary["sentences"])
    assert "Mixed" not in text and "White people" not in text and "Other" not in text and "similar" not in text
    assert summary["domains"][1]["none"] == "Not measured in this report."


def test_summary_covers_each_coercion_measure_says_a_finding_once_and_flags_poor_recording(frame):
    co04 = frame[frame.indicator_id == "CO01"].assign(indicator_id="CO04", significance="similar")
    same = frame[frame.indicator_id == "CO01"].assign(indicator_id="CO99")
    co99 = Indicator(**{**CO01.__dict__, "id": "CO99", "title": "Another detention measure"})
    quality = {"dq02": [{"table": "MHS401MHActPeriod", "percent": "78.6%", "result": "below expected"}]}
    summary = summary_sentences(pd.concat([frame, co04, same]), [CO01, CO04, co99], quality)
    bullets = summary["domains"][0]["bullets"]
    assert [b["measure"] for b in bullets] == [CO01.title, CO01.title, CO04.title]
    assert bullets[2]["text"] == "No ethnic group differed significantly from White British people."
    assert bullets[0]["text"].endswith("The same difference was found for another detention measure.")
    assert bullets[0]["quality"] == ("Ethnicity recorded for only 78.6% of people detained: this comparison may be "
                                     "biased.")


def test_summary_uses_the_standardised_comparison_where_published_else_the_crude_one_saying_which(frame):
    standardised = Indicator(**{**CO01.__dict__, "standardised": True})
    std = frame[(frame.indicator_id == "CO01") & frame.group_code.isin(["A", "BLACK"])].assign(
        statistic="age-sex standardised rate")
    std.loc[std.group_code == "BLACK", ["value", "comparator_ratio", "ratio_lower_95", "ratio_upper_95"]] = \
        [250.0, 3.1, 2.5, 3.9]
    bullets = summary_sentences(pd.concat([frame, std]), [standardised])["domains"][0]["bullets"]
    black = next(b["text"] for b in bullets if "Black" in b["text"])
    asian = next(b["text"] for b in bullets if "Asian" in b["text"])
    assert "3.10 times the White British rate (95% CI 2.50 to 3.90), standardised for age and sex" in black
    assert "(crude rates: too few events to standardise)" in asian


def test_cells_distinguish_suppressed_from_undefined_and_never_compare_the_comparator(frame):
    by_code = {r["group_code"]: cells(CO01, r) for _, r in frame[frame.indicator_id == "CO01"].iterrows()}
    assert by_code["OTHER"]["value"] == "*" and by_code["OTHER"]["numerator"] == "*"
    assert by_code["NOT_KNOWN"]["value"] == "n/a" and by_code["NOT_KNOWN"]["denominator"] == "n/a"
    assert by_code["NOT_KNOWN"]["numerator"] == "10"
    assert by_code["A"]["compared"] == "comparator" and by_code["A"]["ratio"] == ""
    assert by_code["BLACK"]["compared"] == "higher"
    assert by_code["BLACK"]["interval"] == f"261.0{NBSP}to 319.0"


def test_intervals_do_not_break_across_lines():
    assert fmt_interval(33.0, 40.94) == "33.0\u00a0to 40.9"


def test_board_paper_orders_domains_coercion_first_and_gives_each_chart_its_finding(frame):
    context = _context(frame)
    assert [d["id"] for d in context["domains"]] == ["coercion", "experience"]
    block = context["domains"][0]["indicators"][0]
    assert block["headline"]["finding"].startswith("290.0 detention episodes for every 100,000 Black people")
    assert block["headline"]["finding"].endswith("Also significantly different: Asian or Asian British (lower).")
    html = render_html(context)
    assert html.index('id="coercion"') < html.index('id="experience"') < html.index('id="quality"')
    assert 'href="../html/RXX/index.html"' in html and "<table class=\"nhsuk-table groups" not in html
    assert 'id="trend"' not in html  # no trend data in the view-model yet (issue 13)
    trend = {**context, "trend": {"gaps": [{"title": "Detentions: Black and White British", "table": [],
                                             "finding": "The gap narrowed."}], "chart": "", "first": "2020-21",
                                  "last": "2024-25"}}
    assert 'id="trend"' in render_html(trend) and render_html(trend).index('id="trend"') < render_html(trend).index(
        'id="quality"')


def _context(frame, decision="publish"):
    return provider_context(
        provider="RXX", provider_name="Example Trust", year="2024-25", rows=frame,
        decision=Decision("RXX", decision, 0.93, "ethnicity is validly recorded for 93.0% of persons"),
        quality=None, catalogue=[CO01, EX01],
        params={"publication_date": "2025-07-15", "code_version": "test", "synthetic": True,
                "config": AuditConfig().as_dict()}, inputs=[{"name": "2024-25/MHS001MPI.csv", "sha256": "0" * 64}])


def test_rendered_html_orders_groups_with_white_british_first(frame):
    context = _context(frame)
    block = next(i for d in context["domains"] for i in d["indicators"] if i["id"] == "CO01")
    panel = block["panels"][0]
    assert [r["label"] for r in panel["rows"]] == ["White British", "White", "Mixed", "Asian or Asian British",
                                                   "Black or Black British", "Other ethnic groups", "Not known",
                                                   "All people"]
    for html in (render_html(context), render_edition_html(context)):
        co01 = html[html.index("(CO01)"):]
        assert co01.index(">White British<") < co01.index(">Black or Black British<")
        assert re.search(r'<title id="chart-co01-crude-rate">Chart of detentions under the mental health act', html)
        assert "similar to White British" not in html
        assert "SYNTHETIC DATA" in html


def test_adding_a_catalogue_entry_adds_its_block_without_template_change(frame):
    extra = Indicator(**{**CO01.__dict__, "id": "CO99", "title": "A new coercion measure"})
    more = pd.concat([frame, frame[frame.indicator_id == "CO01"].assign(indicator_id="CO99")])
    context = provider_context(**{**dict(provider="RXX", provider_name="T", year="2024-25", rows=more,
                                         decision=Decision("RXX", "publish", 0.93, "ok"), quality=None,
                                         catalogue=[CO01, extra],
                                         params={"publication_date": "2025-07-15", "code_version": "t",
                                                 "synthetic": False, "config": AuditConfig().as_dict()},
                                         inputs=[])})
    assert "A new coercion measure (CO99)" in render_html(context).replace("</span>", "").replace('<span class="id">', "")


def test_withheld_context_has_no_results(frame):
    context = _context(frame, "withhold")
    assert "domains" not in context and "summary" not in context
    for html in (render_html(context), render_edition_html(context)):
        assert "This report is withheld" in html and "93.0%" in html


def test_quality_section_reads_long_and_old_wide_shapes():
    wide = pd.DataFrame([{"provider": "RXX", "persons": 1000, "valid": 900, "valid_percent": 90.0, "not_stated": 50,
                          "not_stated_percent": 5.0, "not_known": 30, "not_known_percent": 3.0, "invalid": 10,
                          "invalid_percent": 1.0, "missing": 10, "missing_percent": 1.0}])
    long = as_long(wide)
    assert set(long["check"]) == {"valid", "not_stated", "not_known", "invalid", "missing"}
    section = quality_section(wide, "RXX")
    assert section["persons"] == "1,000" and section["dq01"][0]["percent"] == "90.0%"
    assert quality_section(long, "RXX") == section


def test_chart_text_prints_at_10pt_or_more():
    assert charts.FONT * charts.SCALE >= 10
    funnel_scale = funnel_chart.PRINT_FRACTION * charts.PRINT_WIDTH_PT / funnel_chart.WIDTH
    assert charts.FONT * funnel_scale >= 10


def test_chart_axis_starts_at_zero():
    svg = charts.interval_chart([charts.Point("A", 50.0, 45.0, 55.0, "", True, "50.0", False, "45.0 to 55.0")], "%",
                                "t", "chart-t")
    assert ">0</text>" in svg and ">45.0 to 55.0</text>" in svg


def test_chart_axes_step_in_round_numbers_and_cover_the_data():
    from pipeline.report.charts import nice_ticks

    for top in (0.07, 0.9, 1.3, 5, 13, 37.4, 99.9, 100, 137.5, 260, 5769.6, 10349, 2_500_001):
        ticks = nice_ticks(top)
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) - 1 <= 5, (top, ticks)
        assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), (top, ticks)
        assert all(math.isclose(b - a, step) for a, b in zip(ticks, ticks[1:])), (top, ticks)
    assert nice_ticks(250) == [0, 50, 100, 150, 200, 250]


def test_a_row_whose_ratio_alone_is_hidden_still_counts_as_published():
    """A row whose ratio (or last year's value) alone was hidden keeps its own numbers: its table
    cells show them, its ratio shows '*', and it is not treated as a hidden row elsewhere."""
    from pipeline import disclosure
    from pipeline.indicators import load_catalogue
    from pipeline.report.format import SUPPRESSED, UNDEFINED

    assert not disclosure.hides_own_numbers(f"nhs: {disclosure.COMPARATOR_HIDDEN_RULE}")
    assert not disclosure.hides_own_numbers(f"nhs: {disclosure.PREVIOUS_RULE}")
    assert not disclosure.hides_own_numbers(f"nhs: {disclosure.STRATA_RULE}")
    assert disclosure.hides_own_numbers("nhs: count 1-4 (numerator)")
    assert not disclosure.hides_own_numbers("") and not disclosure.hides_own_numbers(float("nan"))
    ind = next(i for i in load_catalogue() if i.id == "CO01")
    r = pd.Series({"breakdown": "ethnic_group", "group_code": "BLACK", "group_label": "Black", "numerator": 60,
                   "denominator": 10_000, "value": 600.0, "lower_95": 450.0, "upper_95": 770.0,
                   "comparator_ratio": float("nan"), "ratio_lower_95": float("nan"), "ratio_upper_95": float("nan"),
                   "significance": "", "suppressed": f"nhs: {disclosure.COMPARATOR_HIDDEN_RULE}"})
    shown = cells(ind, r)
    assert shown["value"] == "600.0" and shown["numerator"] == "60" and shown["ratio"] == SUPPRESSED
    # a value missing for another reason (e.g. a standardised rate from fewer than 10 events) is 'n/a'
    assert cells(ind, r.copy().replace({600.0: float("nan")}))["value"] == UNDEFINED
    assert cells(ind, pd.concat([r.drop("suppressed"), pd.Series({"suppressed": ""})]))["ratio"] == UNDEFINED


def _boxes(svg: str) -> list[tuple[float, float, float, float]]:
    """The funnel's provider labels as boxes, as wide as the shipped font draws them."""
    out = []
    for x, y, anchor, bold, code in re.findall(r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="(\w+)"( font-weight="bold")?>'
                                               r'(R\w+)</text>', svg):
        w = charts.text_width(code, bold=bool(bold))
        x0 = float(x) - {"start": 0, "end": w, "middle": w / 2}[anchor]
        out.append((x0, x0 + w, float(y) - funnel_chart.FONT, float(y) + 3))
    return out


def test_funnel_labels_never_overlap_and_stay_inside_the_plot():
    """Twelve providers crowded at almost the same place (the 'RRJRB6' case): every label that is
    drawn is clear of the others and inside the axes; the highlighted provider is always labelled."""
    points = [funnel_chart.ProviderPoint(f"R{c}{c}", 100 + i * 0.3, 50_000 + i * 40, c == "J")
              for i, c in enumerate("ABCDEFGHJKMW")]
    svg = funnel_chart.funnel_chart(points, 100.0, "rate", 100_000, "per 100,000", "alt", "funnel-t")
    boxes = _boxes(svg)
    assert ">RJJ</text>" in svg and 1 <= len(boxes) < len(points)
    for i, a in enumerate(boxes):
        assert funnel_chart.LEFT <= a[0] and a[1] <= funnel_chart.WIDTH - funnel_chart.RIGHT
        assert all(not funnel_chart._overlaps(a, b) for b in boxes[i + 1:]), (a, boxes)


def test_funnel_limits_stay_inside_the_axes():
    """Limits that run past the top of the axis (small denominators) are cut at its edge."""
    points = [funnel_chart.ProviderPoint("RAA", 4.0, 20.0, False), funnel_chart.ProviderPoint("RBB", 5.0, 5000.0, True)]
    for kind, multiplier in (("proportion", 100), ("rate", 100_000)):
        svg = funnel_chart.funnel_chart(points, 5.0, kind, multiplier, "%", "alt", "funnel-t")
        top, bottom = funnel_chart.TOP, funnel_chart.HEIGHT - funnel_chart.BOTTOM
        for line in re.findall(r'<polyline points="([^"]+)"', svg):
            for pair in line.split():
                x, y = map(float, pair.split(","))
                assert top - 0.05 <= y <= bottom + 0.05 and funnel_chart.LEFT <= x <= funnel_chart.WIDTH, (kind, pair)


def test_text_width_is_the_shipped_fonts_advances():
    """Funnel labels are kept apart by their drawn width: 'W' and 'M' are nearly an em wide in bold."""
    assert charts.text_width("W", 10, bold=True) > 9.5 and charts.text_width("i", 10) < 3
    assert charts.text_width("RMD", 13, bold=True) > charts.text_width("RMD", 13) > 3 * 0.6 * 13
