"""``data/<year>-audit.xlsx``: the published tables as a spreadsheet for commissioners.

A notes sheet, one sheet per domain (the indicators.csv rows of its measures, in the same order,
with names and formatted numbers) and the data-quality table. Every number is read from the
published tables; a number hidden by disclosure control shows as '*' (its reason in the last
column), one that does not exist (no population for 'Not known', no ratio for a total) is left
blank. Written with XlsxWriter, its document dates set to the publication date, so the same run
gives the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from pipeline.dictionary import Table
from pipeline.indicators import STANDARDISED, Indicator
from pipeline.report.cells import undefined
from pipeline.report.format import SUPPRESSED, missing
from pipeline.report.sections import SUPPRESSION_MEANING
from pipeline.report.viewmodel import DOMAINS

SHEETS = {"coercion": "Coercion", "outcomes": "Outcomes", "experience": "Experience", "access": "Access"}
BREAKDOWNS = {"total": "All people", "ethnic_group": "Ethnic group", "ethnic_category": "Ethnic category",
              "ethnic_group_x_sex": "Ethnic group by sex", "ethnic_group_x_age": "Ethnic group by age"}
# (heading, indicators.csv column, kind): kind is text, count, value, ratio
COLUMNS = [
    ("Provider", "provider", "text"), ("Provider name", "provider_name", "text"), ("Indicator", "indicator_id", "text"),
    ("Title", "indicator", "text"), ("Statistic", "statistic", "text"),
    ("Intervention type", "intervention_type", "text"), ("Breakdown", "breakdown", "text"),
    ("Group", "group_label", "text"), ("Count", "numerator", "count"), ("Denominator", "denominator", "count"),
    ("Value", "value", "value"), ("Lower 95% limit", "lower_95", "value"), ("Upper 95% limit", "upper_95", "value"),
    ("Unit", "unit", "text"), ("Ratio to White British", "comparator_ratio", "ratio"),
    ("Ratio lower 95% limit", "ratio_lower_95", "ratio"), ("Ratio upper 95% limit", "ratio_upper_95", "ratio"),
    ("Compared with White British", "significance", "text"), ("Last year's value", "previous_value", "value"),
    ("Change", "change", "value"), ("Change lower 95% limit", "change_lower_95", "value"),
    ("Change upper 95% limit", "change_upper_95", "value"), ("Change since last year", "change_significance", "text"),
    ("Hidden because", "suppressed", "text"),
]
QUALITY_COLUMNS = [("Provider", "provider"), ("Provider name", "provider_name"), ("Measure", "measure"),
                   ("Table", "table"), ("Field", "field"), ("Check", "check"), ("Count", "count"), ("Total", "total"),
                   ("Percent", "percent"), ("Threshold", "threshold"), ("Result", "result"), ("Detail", "detail"),
                   ("Hidden because", "suppressed")]


def shown(ind: Indicator, r: dict, column: str) -> float | str | None:
    """A number of a published row as the spreadsheet shows it: the number, '*' where disclosure
    control hid it, or None where there is none."""
    value = r[column]
    if not missing(value):
        return float(value)
    reason = "" if missing(r["suppressed"]) else str(r["suppressed"])
    if column in ("numerator", "denominator"):
        return None if undefined(ind, r, column) else SUPPRESSED
    value_hidden = not undefined(ind, r, "value")
    if column in ("value", "lower_95", "upper_95"):
        return SUPPRESSED if value_hidden else None
    if column in ("comparator_ratio", "ratio_lower_95", "ratio_upper_95"):
        compared = r["breakdown"] != "total" and r["group_code"] != "NOT_KNOWN" and not (
            r["breakdown"] == "ethnic_category" and r["group_code"] == "A")
        return SUPPRESSED if compared and (value_hidden or reason.endswith("(ratio)")) else None
    return SUPPRESSED if reason.endswith("(change)") else None


def write_workbook(path: Path, *, indicators: pd.DataFrame, quality: pd.DataFrame, catalogue: list[Indicator],
                   tables: dict[str, Table], year: str, title: str, publication_date: str, synthetic: bool) -> Path:
    """The spreadsheet of the published ``indicators`` and ``quality`` tables."""
    when = datetime.fromisoformat(publication_date)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": title, "subject": f"Published tables, {year}", "author": "mhaudit",
                         "created": when, "comments": "Every number has passed disclosure control."})
    formats = {
        "heading": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "count": book.add_format({"num_format": "#,##0"}),
        "value": book.add_format({"num_format": "#,##0.0"}),
        "whole": book.add_format({"num_format": "#,##0"}),
        "ratio": book.add_format({"num_format": "0.00"}),
        "hidden": book.add_format({"align": "right"}),
    }
    _notes(book, formats, title=title, year=year, publication_date=publication_date, synthetic=synthetic,
           indicators=indicators, tables=tables)
    by_id = {i.id: i for i in catalogue}
    for domain in DOMAINS:
        ids = [i.id for i in catalogue if i.domain == domain]
        rows = indicators[indicators["indicator_id"].isin(ids)]
        if len(rows):
            _domain_sheet(book, formats, SHEETS[domain], rows, by_id)
    _quality_sheet(book, formats, quality)
    book.close()
    return path


def _notes(book, formats, *, title: str, year: str, publication_date: str, synthetic: bool,
           indicators: pd.DataFrame, tables: dict[str, Table]) -> None:
    sheet = book.add_worksheet("Notes")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 110, formats["wrap"])
    lines = [
        (title, "", "title"),
        ("Published", publication_date, None),
        ("Financial year", f"{year} (1 April to 31 March)", None),
    ]
    if synthetic:
        lines.append(("SYNTHETIC DATA", "These tables come from synthetic extracts: they describe no real person or "
                                        "service.", "bold"))
    lines += [
        ("How to read", "Each domain has a sheet with every published row of its measures, as data/indicators.csv "
                        "holds them. '*' marks a number hidden by disclosure control (the last column says why); an "
                        "empty cell is a number that does not exist (no population for 'Not known', no ratio for all "
                        "people or for White British itself, no previous year).", None),
        ("Disclosure control", "Counts of 1 to 4 are hidden and every other count is rounded to the nearest 5; "
                               "every value, interval, ratio and change is computed from the published counts, so "
                               "no number reveals more about a count than the count itself.", None),
        ("Comparisons", "Ratios are to White British people (of the same sex or age band in the intersectional "
                        "rows); 'higher' or 'lower' means the ratio's 95% confidence interval excludes 1.", None),
        ("", "", None),
        ("Sheets", "", "bold"),
    ]
    lines += [(SHEETS[domain], f"{heading}: every published row of its measures.", None)
              for domain, heading in DOMAINS.items()]
    lines.append(("Data quality", "Ethnicity recording (DQ01, DQ02), fields and identifiers (DQ03) and the "
                                  "publication decision (GATE) per provider.", None))
    reasons = sorted({str(r).split(": ", 1)[-1] for r in indicators["suppressed"].dropna() if str(r)})
    if reasons:
        lines += [("", "", None), ("Why numbers are hidden", "", "bold")]
        lines += [(reason, SUPPRESSION_MEANING.get(reason, reason), None) for reason in reasons]
    for table in tables.values():
        lines += [("", "", None), (f"Columns of data/{table.path}", table.description, "bold")]
        lines += [(c.name, c.description, None) for c in table.columns]
    for n, (label, text, style) in enumerate(lines):
        sheet.write_string(n, 0, label, formats[style] if style else None)
        if text:
            sheet.write_string(n, 1, text)


def _domain_sheet(book, formats, name: str, rows: pd.DataFrame, by_id: dict[str, Indicator]) -> None:
    sheet = book.add_worksheet(name)
    for c, (heading, column, kind) in enumerate(COLUMNS):
        width = {"text": 14, "count": 12, "value": 12, "ratio": 11}[kind]
        sheet.set_column(c, c, 40 if column in ("indicator", "suppressed", "group_label") else width)
        sheet.write_string(0, c, heading, formats["heading"])
    sheet.freeze_panes(1, 0)
    for n, r in enumerate(rows.to_dict("records"), start=1):
        ind = by_id[r["indicator_id"]]
        for c, (_name, column, kind) in enumerate(COLUMNS):
            if kind == "text":
                text = BREAKDOWNS.get(r[column], r[column]) if column == "breakdown" else r[column]
                if not missing(text) and str(text):
                    sheet.write_string(n, c, str(text))
                continue
            value = shown(ind, r, column)
            if value == SUPPRESSED:
                sheet.write_string(n, c, SUPPRESSED, formats["hidden"])
            elif value is not None:
                style = "whole" if kind == "value" and r["statistic"] == STANDARDISED else kind
                sheet.write_number(n, c, value, formats[style])
    sheet.autofilter(0, 0, len(rows), len(COLUMNS) - 1)


def _quality_sheet(book, formats, quality: pd.DataFrame) -> None:
    sheet = book.add_worksheet("Data quality")
    for c, (name, _column) in enumerate(QUALITY_COLUMNS):
        sheet.set_column(c, c, 50 if name in ("Detail", "Threshold") else 14)
        sheet.write_string(0, c, name, formats["heading"])
    sheet.freeze_panes(1, 0)
    for n, r in enumerate(quality.to_dict("records"), start=1):
        for c, (_name, column) in enumerate(QUALITY_COLUMNS):
            value = r[column]
            if column in ("count", "total", "percent"):
                if not missing(value):
                    sheet.write_number(n, c, float(value), formats["value" if column == "percent" else "count"])
                elif not missing(r["suppressed"]) and str(r["suppressed"]):
                    sheet.write_string(n, c, SUPPRESSED, formats["hidden"])
            elif not missing(value) and str(value):
                sheet.write_string(n, c, str(value))
    sheet.autofilter(0, 0, len(quality), len(QUALITY_COLUMNS) - 1)

