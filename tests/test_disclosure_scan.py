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


def test_national_run_publishes_england_totals_unrounded_and_nothing_else(tmp_path):
    """interfaces.md: in a national run the ALL rows are England's totals, not rounded; every
    provider's rows stay disclosure-controlled. The setting comes from the TOML configuration.
    Exact England figures would let a provider's hidden count be worked out from England minus
    the other providers, so the audit hides further cells; an England figure is hidden only as
    such a complement (never as small)."""
    from dataclasses import replace

    from conftest import SAMPLE, sample_years
    from pipeline import audit
    from pipeline.config import load_config
    from pipeline.contract import ALL_TABLES

    (tmp_path / "audit.toml").write_text("national_run = true\n")
    national = load_config(tmp_path / "audit.toml")
    assert national.national_run and not load_config(None).national_run
    spec = audit.RunSpec(extracts=SAMPLE, out=tmp_path / "out", year=sample_years()[-1], work=tmp_path / "work",
                         publication_date="2025-07-15")
    for table in ALL_TABLES:
        audit.ingest(spec, table)
    audit.validate(spec)
    raw = audit.compute(spec)
    england = audit.publish_tables(replace(spec, config=national))
    key = ["provider", "indicator_id", "statistic", "intervention_type", "breakdown", "group_code", "subgroup"]
    crude = raw["statistic"] != "age-sex standardised rate"  # standardised rows repeat the crude counts
    raw_all = raw[(raw["provider"] == "ALL") & crude].set_index(key)["numerator"]
    pub_all = england[(england["provider"] == "ALL") & (england["statistic"] != "age-sex standardised rate")].set_index(key)
    shown = pub_all["numerator"].notna()
    assert (pub_all.loc[shown, "numerator"] == raw_all.reindex(pub_all.index)[shown]).all()
    assert (raw_all.reindex(pub_all.index)[shown] % 5 != 0).any()  # so the check above could fail
    assert (pub_all.loc[~shown, "suppressed"] == "nhs: complementary suppression").all()
    others = england[england["provider"] != "ALL"]
    counts = _published_counts(others[["numerator", "denominator"]])
    assert len(counts) and (counts % 5 == 0).all() and not ((counts > 0) & (counts < 5)).any()


def test_html_edition_shows_only_published_counts(published_sample):
    """Every count in the HTML edition's tables (and its data-quality tables' people) is '*', 'n/a',
    0 or a multiple of 5 of at least 5, as in the published CSV."""
    pages = sorted((published_sample / "html").rglob("*.html"))
    assert pages
    seen = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for count in re.findall(r'data-column="(?:numerator|denominator)">([^<]*)<', text):
            if count in ("*", "n/a"):
                continue
            n = int(count.replace(",", ""))
            assert n == 0 or (n >= 5 and n % 5 == 0), f"{page.name}: {count}"
            seen += 1
    assert seen > 1000
