"""Scan every published file of a sample run for numbers disclosure control should have hidden."""

from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

COUNT_COLUMNS = {"numerator", "denominator", "count", "total", "persons", "valid", "not_stated", "not_known", "invalid",
                 "missing"}


def _published_counts(frame: pd.DataFrame) -> pd.Series:
    cols = [c for c in frame.columns if c in COUNT_COLUMNS]
    stacked = frame[cols].apply(pd.to_numeric, errors="coerce").stack()
    return stacked.dropna()


@pytest.mark.parametrize("name", ["indicators.csv", "indicators.parquet", "data_quality.csv"])
def test_no_small_or_unrounded_count_in_published_tables(published_sample, name):
    path = published_sample / "data" / name
    frame = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
    counts = _published_counts(frame)
    assert len(counts) > 0
    small = counts[(counts > 0) & (counts < 5)]
    assert small.empty, f"{name}: small counts published: {small.head().tolist()}"
    unrounded = counts[counts % 5 != 0]
    assert unrounded.empty, f"{name}: unrounded counts published: {unrounded.head().tolist()}"


def test_suppressed_rows_name_their_rule_and_hide_their_values(published_sample):
    frame = pd.read_csv(published_sample / "data" / "indicators.csv")
    hidden = frame[frame["numerator"].isna()]
    assert len(hidden) > 0, "the sample should exercise suppression"
    assert (hidden["suppressed"].fillna("") != "").all()
    assert hidden[["value", "lower_95", "upper_95", "comparator_ratio"]].isna().all().all()


def test_no_value_rests_on_fewer_than_five(published_sample):
    frame = pd.read_csv(published_sample / "data" / "indicators.csv")
    shown = frame[frame["value"].notna() & (frame["statistic"] != "mean")]
    assert (shown["numerator"] >= 5).all()
    assert ((shown["denominator"] >= 5) | shown["denominator"].isna()).all()


def test_report_tables_show_only_published_counts(published_sample):
    """Every count printed in a report's tables is '*', 0 or a multiple of 5 of at least 5."""
    for pdf in sorted((published_sample / "reports").glob("*.pdf")):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        for line in text.splitlines():
            # table rows: a group label followed by a count and a denominator
            m = re.match(r"^\s{0,4}([A-Z][A-Za-z ,()'-]+?)\s{2,}([\d,]+|\*)\s+([\d,]+|\*|n/a)\s", line)
            if not m or m.group(2) == "*":
                continue
            count = int(m.group(2).replace(",", ""))
            assert count == 0 or (count >= 5 and count % 5 == 0), f"{pdf.name}: {line.strip()}"
