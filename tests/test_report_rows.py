"""How the view-model selects and orders published rows: the order a report reads in, whatever
form the frame comes in (Arrow-backed strings from Parquet, or Python strings)."""

from __future__ import annotations

import pandas as pd
from test_viewmodel import CO01, CO04, EX01, row

from pipeline.config import AuditConfig
from pipeline.quality import Decision
from pipeline.report.cells import by_indicator, ordered_rows, plain
from pipeline.report.summary import comparator_row, significant
from pipeline.report.viewmodel import provider_context


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype({"numerator": "Int64", "denominator": "Int64"})


def test_significant_puts_the_largest_difference_first_then_measure_then_group():
    frame = _frame([
        row(CO04, "ASIAN", 40.0, 0.5, "lower"),    # as far from 1 as 2.0: ties go by measure, then group
        row(CO01, "MIXED", 200.0, 2.0, "higher"),
        row(CO01, "BLACK", 300.0, 3.0, "higher"),
        row(CO01, "ASIAN", 50.0, 0.5, "lower"),
        row(CO01, "OTHER", 90.0, 1.1, "similar"),   # not significant
        row(CO01, "NOT_KNOWN", 500.0, 5.0, "higher"),  # not known: never reported
        row(CO01, "WHITE", 700.0, 7.0, "higher", "nhs: count 1-4 (numerator)"),  # its own count hidden
        row(CO01, "A", 100.0, breakdown="ethnic_category"),
    ])
    found = significant(frame)
    assert list(zip(found["indicator_id"], found["group_code"])) == [
        ("CO01", "BLACK"), ("CO01", "ASIAN"), ("CO01", "MIXED"), ("CO04", "ASIAN")]


def test_ordered_rows_reads_white_british_then_the_groups_in_standard_order_then_all_people():
    frame = _frame([
        row(CO01, "TOTAL", breakdown="total"), row(CO01, "NOT_KNOWN"), row(CO01, "BLACK"), row(CO01, "ZZ"),
        row(CO01, "WHITE"), row(CO01, "B", breakdown="ethnic_category"), row(CO01, "A", breakdown="ethnic_category"),
    ])
    assert list(ordered_rows(frame)["group_code"]) == ["A", "WHITE", "BLACK", "NOT_KNOWN", "ZZ", "TOTAL"]


def test_comparator_row_is_white_british_of_the_same_series_or_none():
    frame = _frame([row(CO01, "A", 80.0, breakdown="ethnic_category"),
                    row(CO01, "A", 70.0, breakdown="ethnic_category", provider="RYY"),
                    row(CO01, "BLACK", 290.0, 3.6, "higher")])
    own = comparator_row(frame, frame.iloc[2])
    assert (own["provider"], own["value"]) == ("RXX", 80.0)
    assert comparator_row(frame.iloc[1:], frame.iloc[2]) is None


def test_by_indicator_gives_every_measure_its_rows_and_an_empty_frame_when_it_has_none():
    frame = _frame([row(CO01, "BLACK"), row(EX01, "BLACK"), row(CO01, "WHITE")])
    split = by_indicator(frame, [CO01, EX01, CO04])
    assert [list(split[i]["group_code"]) for i in ("CO01", "EX01", "CO04")] == [["BLACK", "WHITE"], ["BLACK"], []]
    assert list(split["CO04"].columns) == list(frame.columns)


def test_the_view_model_is_the_same_from_arrow_strings_and_from_python_strings():
    rows = [row(CO01, "TOTAL", 120.0, breakdown="total"), row(CO01, "A", 80.0, breakdown="ethnic_category"),
            row(CO01, "WHITE", 82.0, 1.02, "similar"), row(CO01, "BLACK", 290.0, 3.6, "higher"),
            row(CO01, "NOT_KNOWN", None, None, "", "nhs: count 1-4 (numerator)", numerator=None),
            row(EX01, "TOTAL", 70.0, breakdown="total"), row(EX01, "A", 72.0, breakdown="ethnic_category"),
            row(EX01, "ASIAN", 55.0, 0.76, "lower")]
    arrow = _frame(rows).astype({c: "str" for c in ("provider", "indicator_id", "group_code", "suppressed")})
    assert isinstance(arrow["group_code"].dtype, pd.StringDtype)
    assert not any(isinstance(d, pd.StringDtype) for d in plain(arrow).dtypes)
    params = {"publication_date": "2025-07-15", "code_version": "test", "synthetic": True,
              "config": AuditConfig().as_dict()}
    contexts = [provider_context(provider="RXX", provider_name="Test Trust", year="2024-25", rows=frame,
                                 decision=Decision("RXX", "publish", 0.95, "ok"), quality=None,
                                 catalogue=[CO01, EX01], params=params, inputs=[])
                for frame in (arrow, plain(arrow))]
    assert contexts[0]["summary"]["sentences"]  # a finding to compare, not two empty reports
    assert repr(contexts[0]) == repr(contexts[1])
