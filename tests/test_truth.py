"""The pipeline recovers the planted truth: the published 95% intervals (computed from the published,
rounded counts) contain it about 95% of the time."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.audit import published_indicators
from pipeline.config import AuditConfig
from pipeline.estimates import exact_table
from pipeline.indicators import compute_indicators, load_catalogue
from pipeline.load import load_year
from pipeline.synth import generate
from pipeline.warehouse import connect, stage

YEAR = "2024-25"
CRUDE = ("crude rate", "proportion")


def _estimates(root: Path, ids: tuple[str, ...]) -> pd.DataFrame:
    with connect(root / "w.duckdb") as con:
        load_year(con, root, YEAR)
        stage(con, YEAR, AuditConfig())
        counts = compute_indicators(con, YEAR, AuditConfig(), [i for i in load_catalogue() if i.id in ids])
    values = published_indicators(counts, AuditConfig())
    truth = pd.DataFrame(json.loads((root / "truth.json").read_text())["expected"])
    merged = truth.merge(values[values.statistic.isin(CRUDE)], on=["provider", "indicator_id", "breakdown", "group_code"],
                         suffixes=("_truth", ""))
    return merged


def test_region_intervals_cover_the_planted_values(tmp_path):
    frames = []
    for seed in (11, 12, 13):
        root = tmp_path / str(seed)
        generate(root, scale="region", years=[YEAR], seed=seed)
        frames.append(_estimates(root, ("AC01", "CO01", "OU01")))
    merged = pd.concat(frames)
    groups = merged[(merged.breakdown == "ethnic_group") & merged.lower_95.notna()]
    inside = (groups.lower_95 <= groups.value_truth) & (groups.value_truth <= groups.upper_95)
    assert len(groups) >= 40
    for indicator, hit in inside.groupby(groups.indicator_id):
        assert hit.mean() >= 0.85, f"{indicator}: {hit.mean():.1%} of {len(hit)} intervals contain the truth"
    assert inside.mean() >= 0.88


NATIONAL = Path(os.environ.get("MHAUDIT_NATIONAL", Path(__file__).resolve().parents[1] / "benchmarks" / "cache" / "national"))


@pytest.mark.slow
def test_national_black_to_white_detention_ratio(tmp_path):
    if not (NATIONAL / "truth.json").exists():
        generate(tmp_path / "national", scale="national", years=[YEAR])
        root = tmp_path / "national"
    else:
        root = NATIONAL
    work = tmp_path / "w"
    work.mkdir()
    (work / "truth.json").write_text((root / "truth.json").read_text())
    merged = _estimates_at(root, work)
    ratio = merged.set_index("group_code").loc["BLACK", "value"] / merged.set_index("group_code").loc["WHITE", "value"]
    assert 3.3 <= ratio <= 4.3


def _estimates_at(root: Path, work: Path) -> pd.DataFrame:
    with connect(work / "w.duckdb") as con:
        load_year(con, root, YEAR)
        stage(con, YEAR, AuditConfig())
        values = exact_table(compute_indicators(con, YEAR, AuditConfig(), [i for i in load_catalogue() if i.id == "CO01"]))
    return values[(values.provider == "ALL") & (values.breakdown == "ethnic_group") & (values.statistic == "crude rate")]
