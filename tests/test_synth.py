"""The synthetic generator: the contract exactly, consistent tables, deterministic, the planted truth visible."""

from __future__ import annotations

import csv
import filecmp
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE
from pipeline import contract
from pipeline.synth import DEFAULT_SEED, SCALES, generate
from pipeline.synth import params as P

YEAR = "2024-25"
PARQUET_TYPES = {"VARCHAR": "string", "INTEGER": "int32", "BIGINT": "int64", "DATE": "date32[day]", "DOUBLE": "double"}


def _same_tree(a: Path, b: Path) -> list[str]:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "README.md")
    assert files, a
    other = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "README.md")
    assert files == other
    return [str(f) for f in files if not filecmp.cmp(a / f, b / f, shallow=False)]


def _path(root: Path, table: contract.Table, year: str) -> Path:
    folder = root / ("reference" if table.reference else year)
    return next(folder / f"{table.name}.{ext}" for ext in ("csv", "parquet") if (folder / f"{table.name}.{ext}").exists())


def _register(con: duckdb.DuckDBPyConnection, root: Path, year: str) -> None:
    """Every table as a typed DuckDB view; CSV is read strictly with the contract's types."""
    for t in contract.ALL_TABLES:
        path = _path(root, t, year)
        if path.suffix == ".csv":
            con.execute(f"CREATE OR REPLACE TABLE {contract.sql_name(t)} AS SELECT * FROM read_csv($p, header=true, "
                        "auto_detect=false, strict_mode=true, columns=$c, dateformat='%Y-%m-%d')",
                        {"p": str(path), "c": t.duck_types})
        else:
            literal = "'" + str(path) + "'"
            con.execute(f"CREATE OR REPLACE VIEW {contract.sql_name(t)} AS SELECT * FROM read_parquet({literal})")


def _check_contract(root: Path, year: str) -> None:
    con = duckdb.connect()
    _register(con, root, year)
    for t in contract.ALL_TABLES:
        path = _path(root, t, year)
        if path.suffix == ".csv":
            with open(path, encoding="utf-8", newline="") as fh:
                assert next(csv.reader(fh)) == t.column_names, path
        else:
            schema = pq.read_schema(path)
            assert schema.names == t.column_names, path
            assert [str(f.type) for f in schema] == [PARQUET_TYPES[c.type] for c in t.columns], path
        name = contract.sql_name(t)
        assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] > 0, path  # every value parses
        for c in t.columns:
            if not c.nullable:
                assert con.execute(f'SELECT count(*) FROM {name} WHERE "{c.name}" IS NULL').fetchone()[0] == 0, (path, c)
            if c.codes and c.name != "EthnicCategory":
                sql = f'SELECT DISTINCT "{c.name}" FROM {name} WHERE "{c.name}" IS NOT NULL'
                found = {str(r[0]) for r in con.execute(sql).fetchall()}
                assert found <= set(c.codes), (path, c.name, found - set(c.codes))
    statuses = dict(con.execute("SELECT s, count(*) FROM (SELECT CASE WHEN EthnicCategory IS NULL THEN 'missing' "
                                "WHEN trim(EthnicCategory) = '99' THEN 'not_known' WHEN left(trim(EthnicCategory), 1) = 'Z' "
                                "THEN 'not_stated' WHEN regexp_matches(EthnicCategory, $re) THEN 'valid' ELSE 'invalid' "
                                "END AS s FROM mhs001mpi) GROUP BY 1", {"re": contract.ETHNICITY_VALID_REGEX}).fetchall())
    assert set(statuses) == set(contract.ETHNICITY_STATUSES) and statuses["invalid"] < 0.02 * sum(statuses.values())


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("region")
    generate(root, scale="region", years=["2023-24", YEAR], seed=3)
    return root


def test_sample_files_follow_the_contract_exactly():
    for year in P.DEFAULT_YEARS:
        _check_contract(SAMPLE, year)


def test_region_files_follow_the_contract_exactly(region):
    for year in ("2023-24", YEAR):
        _check_contract(region, year)


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    generate(tmp_path, scale="sample", seed=DEFAULT_SEED)
    assert _same_tree(tmp_path, SAMPLE) == []
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()) < 6_000_000


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    generate(tmp_path / "a", scale="region", years=[YEAR], seed=5)
    generate(tmp_path / "b", scale="region", years=[YEAR], seed=5)
    assert _same_tree(tmp_path / "a", tmp_path / "b") == []
    generate(tmp_path / "c", scale="sample", years=[YEAR], seed=6)
    generate(tmp_path / "d", scale="sample", years=[YEAR], seed=7)
    assert {"2024-25/MHS001MPI.csv", "truth.json"} <= set(_same_tree(tmp_path / "c", tmp_path / "d"))


def test_any_financial_years_and_scales(tmp_path):
    assert set(SCALES) == {"sample", "region", "national"}
    truth = generate(tmp_path, scale="sample", years=["2019-20"], seed=1)
    assert truth["years"] == ["2019-20"] and (tmp_path / "2019-20" / "MHS001MPI.csv").exists()
    with pytest.raises(ValueError):
        generate(tmp_path / "x", scale="sample", years=["2019-21"])
    with pytest.raises(ValueError):
        generate(tmp_path / "y", scale="huge")


def test_tables_are_internally_consistent(region):
    truth = json.loads((region / "truth.json").read_text())
    faults = truth["faults"][YEAR]["ALL"]
    con = duckdb.connect()
    _register(con, region, YEAR)
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    mpi = "(SELECT DISTINCT Person_ID, OrgIDProv FROM mhs001mpi)"
    assert one("SELECT count(*) - count(DISTINCT (Person_ID, OrgIDProv)) FROM mhs001mpi") == faults["duplicated_person_rows"]
    assert one("SELECT count(DISTINCT Person_ID) - count(DISTINCT (Person_ID, OrgIDProv)) FROM mhs001mpi") == 0
    assert one("SELECT count(*) FROM mhs101referral r ANTI JOIN mhs001mpi USING (Person_ID, OrgIDProv)") == 0
    assert one("SELECT count(*) FROM mhs201carecontact ANTI JOIN mhs101referral "
               "USING (UniqServReqID, Person_ID, OrgIDProv)") \
        == faults["contacts_unknown_person"]
    assert one(f"SELECT count(*) FROM mhs401mhactperiod ANTI JOIN {mpi} USING (Person_ID, OrgIDProv)") \
        == faults["mha_unknown_person"]
    for table in ("mhs404commtreatorder", "mhs501hospprovspell", "mhs505restrictiveinterventinc",
                  "mhs606codedscoreassessmentrefer"):
        assert one(f"SELECT count(*) FROM {table} ANTI JOIN {mpi} USING (Person_ID, OrgIDProv)") == 0, table
    assert one("""SELECT count(*) FROM mhs505restrictiveinterventinc i JOIN mhs501hospprovspell s
                  USING (UniqHospProvSpellID, Person_ID, OrgIDProv)
                  WHERE i.StartDateRestrictiveIntInc BETWEEN s.StartDateHospProvSpell
                        AND coalesce(s.DischDateHospProvSpell, DATE '2025-03-31')""") == one(
        "SELECT count(*) FROM mhs505restrictiveinterventinc")
    assert one("SELECT count(*) FROM mhs515restrictiveinterventtype ANTI JOIN mhs505restrictiveinterventinc "
               "USING (RestrictiveIntIncID, OrgIDProv)") == 0
    assert one("SELECT count(*) FROM mhs606codedscoreassessmentrefer a ANTI JOIN mhs101referral "
               "USING (UniqServReqID, Person_ID)") == 0
    assert one("SELECT count(*) FROM (SELECT UniqServReqID FROM mhs606codedscoreassessmentrefer GROUP BY 1 "
               "HAVING count(*) <> 2 OR min(AssToolCompDate) = max(AssToolCompDate))") == 0
    assert one("SELECT count(*) FROM mhs501hospprovspell WHERE DischDateHospProvSpell < StartDateHospProvSpell") \
        == faults["spell_end_before_start"]
    assert one("SELECT count(*) FROM mhs101referral WHERE ReferralRequestReceivedDate < DATE '2024-04-01'") \
        == faults["referrals_out_of_year"]
    assert one("SELECT count(*) FROM experiencesurvey WHERE SurveyYear <> '2024-25'") == 0
    assert one("SELECT count(*) FROM talkingtherapiesreferral SEMI JOIN mhs001mpi USING (Person_ID)") == 0
    # the same person keeps their Person_ID (and provider) across years
    con.execute(f"CREATE VIEW last AS SELECT * FROM read_parquet('{region}/2023-24/MHS001MPI.parquet')")
    assert one("SELECT count(DISTINCT Person_ID) FROM mhs001mpi SEMI JOIN last USING (Person_ID)") > 0.2 * one(
        "SELECT count(DISTINCT Person_ID) FROM mhs001mpi")
    assert one("SELECT count(*) FROM mhs001mpi m JOIN last l USING (Person_ID) WHERE m.OrgIDProv <> l.OrgIDProv") == 0


def test_region_black_to_white_detention_ratio_is_planted(region):
    """CO01 by recorded MHS001MPI group straight from the files (NHS coding of the census groups)."""
    con = duckdb.connect()
    _register(con, region, YEAR)
    con.execute("CREATE TABLE letters AS SELECT * FROM (VALUES " + ", ".join(
        f"('{c.code}', '{c.group}')" for c in contract.ETHNIC_CATEGORIES) + ") AS t(letter, grp)")
    con.execute("CREATE TABLE census AS SELECT * FROM (VALUES " + ", ".join(
        f"({g.ons_code}, '{g.nhs_group}')" for g in contract.CENSUS_ETHNIC_GROUPS) + ") AS t(ons, grp)")
    rates = dict(con.execute("""
        WITH person AS (SELECT DISTINCT OrgIDProv, Person_ID, l.grp FROM mhs001mpi
                        JOIN letters l ON l.letter = left(trim(EthnicCategory), 1)),
        events AS (SELECT p.grp, count(*) AS n FROM mhs401mhactperiod m JOIN person p USING (OrgIDProv, Person_ID)
                   WHERE list_contains($codes, m.LegalStatusCode)
                     AND m.StartDateMHActLegalStatusClass BETWEEN DATE '2024-04-01' AND DATE '2025-03-31' GROUP BY 1),
        pop AS (SELECT c.grp, sum(Count) AS n FROM population JOIN census c ON c.ons = EthnicGroupCensus
                WHERE LADistrictAuth IN (SELECT LADistrictAuth FROM providers) GROUP BY 1)
        SELECT grp, events.n / pop.n * 1e5 FROM events JOIN pop USING (grp)""",
        {"codes": list(contract.DETENTION_CODES)}).fetchall())
    assert 3.0 <= rates["BLACK"] / rates["WHITE"] <= 4.5


def test_truth_shape_and_planted_figures(region):
    for root, scale in ((SAMPLE, "sample"), (region, "region")):
        truth = json.loads((root / "truth.json").read_text())
        assert set(truth) == {"seed", "scale", "coding_convention", "years", "parameters", "faults", "expected",
                              "ethnicity_valid_share"}
        assert truth["scale"] == scale and truth["coding_convention"] == "nhs"
        keys = {"year", "provider", "indicator_id", "breakdown", "group_code", "value", "expected_numerator", "denominator"}
        assert all(set(r) == keys for r in truth["expected"])
        assert {"AC01", "AC02", "CO01", "CO03", "CO04", "OU01", "EX01"} <= {r["indicator_id"] for r in truth["expected"]}
        assert {"ALL"} | set(truth["ethnicity_valid_share"][YEAR]) == {r["provider"] for r in truth["expected"]}
        ou01 = {r["group_code"]: r["value"] for r in truth["expected"] if r["provider"] == "ALL"
                and r["indicator_id"] == "OU01" and r["breakdown"] == "ethnic_group" and r["year"] == YEAR}
        assert ou01["WHITE"] == pytest.approx(51.2) and ou01["ASIAN"] == pytest.approx(45.2)
        derived = truth["parameters"]["derived"][YEAR]
        assert 3.3 <= derived["recorded_black_to_white_detention_ratio"] <= 4.2
        assert derived["recorded_other_black_agreement"] < 0.2
        assert derived["recorded_other_black_detentions_per_100k"] > 2.5 * derived["recorded_black_detentions_per_100k"]
        assert 0.06 <= derived["people_in_contact_share"] <= 0.075
    sample = json.loads((SAMPLE / "truth.json").read_text())
    assert sample["years"] == list(P.DEFAULT_YEARS)
    for shares in sample["ethnicity_valid_share"].values():
        assert all(0.85 <= v <= 0.95 for v in shares.values()) and any(v < 0.9 for v in shares.values())
    shares = json.loads((region / "truth.json").read_text())["ethnicity_valid_share"]
    assert min(shares[YEAR].values()) < 0.5 and min(shares["2023-24"].values()) >= 0.85
    assert all(v > 0 for k, v in json.loads((region / "truth.json").read_text())["faults"][YEAR]["ALL"].items())


def test_recorded_valid_shares_match_the_planted_ones():
    truth = json.loads((SAMPLE / "truth.json").read_text())
    con = duckdb.connect()
    for year, planted in truth["ethnicity_valid_share"].items():
        _register(con, SAMPLE, year)
        found = dict(con.execute("SELECT OrgIDProv, avg(CAST(regexp_matches(coalesce(EthnicCategory, ''), $re) AS INT)) "
                                 "FROM mhs001mpi GROUP BY 1", {"re": contract.ETHNICITY_VALID_REGEX}).fetchall())
        assert found.keys() == planted.keys()
        assert all(abs(found[p] - planted[p]) < 0.02 for p in planted)
        assert 0.5 < min(found.values()) < 0.9  # one provider warned, none withheld in the demo
