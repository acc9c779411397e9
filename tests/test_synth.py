"""The synthetic generator: the contract exactly, deterministic, and the planted disparity visible."""

from __future__ import annotations

import csv
import filecmp
import json

import duckdb
import pytest

from conftest import SAMPLE
from pipeline import contract
from pipeline.config import AuditConfig
from pipeline.load import load_year
from pipeline.synth import DEFAULT_SEED, generate
from pipeline.warehouse import connect, query, stage


def _same_tree(a, b) -> list[str]:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "README.md")
    assert files, a
    return [str(f) for f in files if not filecmp.cmp(a / f, b / f, shallow=False)]


def test_sample_files_follow_the_contract_exactly():
    for year in ("2023-24", "2024-25"):
        for t in contract.ALL_TABLES:
            path = SAMPLE / ("reference" if t.reference else year) / f"{t.name}.csv"
            with open(path, encoding="utf-8") as fh:
                assert next(csv.reader(fh)) == t.column_names, path
    con = duckdb.connect()
    loaded = load_year(con, SAMPLE, "2024-25")  # types parse, no bad input
    assert {t.table for t in loaded} == {t.name for t in contract.ALL_TABLES}
    codes = {r[0] for r in con.execute("SELECT DISTINCT SourceOfReferralMH FROM mhs101referral").fetchall()}
    assert codes <= set(contract.SOURCE_OF_REFERRAL)
    legal = {r[0] for r in con.execute("SELECT DISTINCT LegalStatusCode FROM mhs401mhactperiod").fetchall()}
    assert legal <= set(contract.LEGAL_STATUS)


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    generate(tmp_path, scale="sample", seed=DEFAULT_SEED)
    assert _same_tree(tmp_path, SAMPLE) == []


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    generate(tmp_path / "a", scale="region", years=["2024-25"], seed=5)
    generate(tmp_path / "b", scale="region", years=["2024-25"], seed=5)
    assert _same_tree(tmp_path / "a", tmp_path / "b") == []
    generate(tmp_path / "c", scale="sample", years=["2024-25"], seed=6)
    generate(tmp_path / "d", scale="sample", years=["2024-25"], seed=7)
    assert _same_tree(tmp_path / "c", tmp_path / "d")


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("region")
    generate(root, scale="region", years=["2024-25"], seed=3)
    return root


def test_region_black_to_white_detention_ratio_is_planted(region):
    with connect(region / "w.duckdb") as con:
        load_year(con, region, "2024-25")
        stage(con, "2024-25", AuditConfig())
        rates = query(con, """
            SELECT e.eth_group, count(*) / any_value(p.population) * 1e5 AS rate
            FROM mhs401mhactperiod m
            JOIN stg_person_ethnicity e ON e.provider = m.OrgIDProv AND e.Person_ID = m.Person_ID
            JOIN (SELECT eth_group, sum(population) AS population FROM stg_population WHERE provider = 'ALL'
                  GROUP BY 1) p USING (eth_group)
            WHERE list_contains($codes, m.LegalStatusCode)
            GROUP BY 1""", {"codes": list(contract.DETENTION_CODES)}).set_index("eth_group")["rate"]
    assert 3.0 <= rates["BLACK"] / rates["WHITE"] <= 4.5


def test_region_has_the_planted_faults_and_a_withheld_provider(region):
    truth = json.loads((region / "truth.json").read_text())
    assert min(truth["ethnicity_valid_share"]["2024-25"].values()) < 0.5
    assert all(v > 0 for v in truth["faults"]["2024-25"].values())
    assert {"AC01", "CO01", "OU01"} <= {r["indicator_id"] for r in truth["expected"]}
    row = truth["expected"][0]
    assert set(row) == {"year", "provider", "indicator_id", "breakdown", "group_code", "value",
                        "expected_numerator", "denominator"}


def test_sample_truth_shape_and_valid_shares():
    truth = json.loads((SAMPLE / "truth.json").read_text())
    assert truth["scale"] == "sample" and truth["years"] == ["2023-24", "2024-25"]
    for shares in truth["ethnicity_valid_share"].values():
        assert all(0.85 <= v <= 0.95 for v in shares.values())
        assert any(v < 0.9 for v in shares.values())  # one provider gets the warning
