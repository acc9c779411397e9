"""The synthetic generator: the contract exactly, consistent tables, deterministic, the planted truth visible."""

from __future__ import annotations

import csv
import filecmp
import json
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE
from pipeline import contract
from pipeline.config import AuditConfig
from pipeline.indicators import compute_indicators, load_catalogue
from pipeline.load import input_files, load_table
from pipeline.synth import DEFAULT_SEED, SCALES, generate
from pipeline.synth import params as P
from pipeline.warehouse import connect, stage

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
    """Five years (the default) of a region: the planted gap trends need them all."""
    root = tmp_path_factory.mktemp("region")
    generate(root, scale="region", seed=3)
    return root


def test_sample_files_follow_the_contract_exactly():
    for year in P.DEFAULT_YEARS:
        _check_contract(SAMPLE, year)


def test_region_files_follow_the_contract_exactly(region):
    for year in P.DEFAULT_YEARS:
        _check_contract(region, year)


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    generate(tmp_path, scale="sample", seed=DEFAULT_SEED)
    assert _same_tree(tmp_path, SAMPLE) == []
    assert sorted(p.name for p in SAMPLE.iterdir() if p.is_dir() and p.name[:2] == "20") == list(P.DEFAULT_YEARS)
    assert len(P.DEFAULT_YEARS) == 5
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()) < 6_000_000  # 'a few MB at most'


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
                              "ethnicity_valid_share", "gap_trends"}
        assert truth["years"] == list(P.DEFAULT_YEARS)
        assert truth["scale"] == scale and truth["coding_convention"] == "nhs"
        keys = {"year", "provider", "indicator_id", "breakdown", "group_code", "value", "expected_numerator", "denominator"}
        assert all(set(r) == keys for r in truth["expected"])
        assert {"AC01", "AC02", "CO01", "CO02", "CO03", "CO04", "OU01", "EX01"} == {r["indicator_id"] for r in truth["expected"]}
        assert {"ALL"} | set(truth["ethnicity_valid_share"][YEAR]) == {r["provider"] for r in truth["expected"]}
        # recovery as synthetic.md gives it for 2023-24, the base year of the planted OU01 trend
        ou01 = {r["group_code"]: r["value"] for r in truth["expected"] if r["provider"] == "ALL"
                and r["indicator_id"] == "OU01" and r["breakdown"] == "ethnic_group" and r["year"] == "2023-24"}
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


def _minority_ranking(root: Path) -> list[str]:
    """Providers by their catchment's population not White British (ONS 13), largest first."""
    con = duckdb.connect()
    _register(con, root, YEAR)
    return [r[0] for r in con.execute("""SELECT OrgIDProv FROM population JOIN (SELECT DISTINCT OrgIDProv, LADistrictAuth
        FROM providers) USING (LADistrictAuth) GROUP BY 1 ORDER BY sum(Count) FILTER (WHERE EthnicGroupCensus <> 13) DESC,
        1""").fetchall()]


def test_gap_trends_are_planted_per_provider_indicator_and_group(region):
    for root, scale in ((SAMPLE, "sample"), (region, "region")):
        truth = json.loads((root / "truth.json").read_text())
        roles = {p["code"]: p["trend"] for p in truth["parameters"]["providers"]}
        every = SCALES[scale].narrowing_every
        assert roles == {code: "narrowing" if rank % every == 0 else "steady"
                         for rank, code in enumerate(_minority_ranking(root))}
        assert set(roles.values()) == {"narrowing", "steady"}
        records = {(r["provider"], r["indicator_id"], r["group_code"]): r for r in truth["gap_trends"]}
        assert set(records) == {(p, i, g) for p in [*roles, "ALL"] for i in P.GAP_TRENDS for g in P.GROUPS}
        assert set(P.GAP_TRENDS) == {"CO01", "CO02", "CO04", "CO05", "AC02", "OU01"}
        for (provider, ind, group), r in records.items():
            assert list(r["expected_ratio"]) == truth["years"] and 0 <= r["power"] <= 1
            if provider == "ALL":
                continue
            trend = P.GAP_TRENDS[ind]
            if roles[provider] == "narrowing" and group == trend["group"]:
                planted, verdict = trend["per_year"], "narrowing"
            elif roles[provider] == "steady" and (ind, group) == ("CO01", "BLACK"):
                planted, verdict = P.BLACK_DETENTION_TREND["per_year"], "widening"  # the national detention trend
            else:
                planted, verdict = 0.0, "steady"
            assert (r["role"], r["planted_change_per_year"], r["verdict"]) == (roles[provider], planted, verdict)
            # the recorded ratio moves as planted, less (misrecorded people dilute the group: much less
            # in a mostly White British catchment, where many recorded 'Other Black' people are White);
            # an unplanted one barely moves (misrecorded people of a planted group, CO05's bed-day
            # compensation), too little for a five-year test to see
            change = r["expected_change_per_year"]
            if planted:
                assert 0 < change / planted <= 1, r
            else:
                assert abs(change) < 0.03 and r["power"] < 0.1, r
    sample = json.loads((SAMPLE / "truth.json").read_text())
    assert {p["code"]: p["trend"] for p in sample["parameters"]["providers"]} == {
        "RB6": "narrowing", "RMD": "steady", "RRJ": "steady"}  # the inner-city provider narrows
    # a region-scale provider's five years can detect its narrowing on every key indicator
    powers = _narrowing_powers(json.loads((region / "truth.json").read_text()))
    assert max(min(p.values()) for p in powers.values()) >= 0.8, powers
    assert all(p.keys() == P.GAP_TRENDS.keys() for p in powers.values())


def _narrowing_powers(truth: dict) -> dict[str, dict[str, float]]:
    """{narrowing provider: {indicator: power of a five-year test}}."""
    out: dict[str, dict[str, float]] = {}
    for r in truth["gap_trends"]:
        if r["provider"] != "ALL" and r["verdict"] == "narrowing":
            out.setdefault(r["provider"], {})[r["indicator_id"]] = r["power"]
    return out


def test_national_detention_figures_hold_in_the_years_synthetic_md_names():
    """Truth only (no data written): Black to White detentions ~3.5 in 2022-23 and ~4.0 in 2024-25
    at national scale, with the narrowing providers' fall in the mix."""
    from pipeline.synth import truth
    from pipeline.synth.population import make_providers
    from pipeline.synth.rates import assign_roles, stratum_rates

    providers = make_providers(np.random.Generator(np.random.PCG64(DEFAULT_SEED)), "national")
    assign_roles(providers, "national")
    assert 0 < sum(p.trend == "narrowing" for p in providers) < len(providers) / 4
    derived = {}
    for year in ("2022-23", "2023-24", "2024-25"):
        exp = {p.code: truth.provider_expectations(p, stratum_rates(p, int(year[:4])), 0.9, 0.92, SCALES["national"])
               for p in providers}
        derived[year] = truth.year_truth(year, exp)[1]
    ratio = {y: d["recorded_black_to_white_detention_ratio"] for y, d in derived.items()}
    assert ratio["2022-23"] == pytest.approx(3.56, abs=0.1) and ratio["2024-25"] == pytest.approx(3.99, abs=0.1)
    assert derived["2024-25"]["recorded_black_detentions_per_100k"] == pytest.approx(262.4, rel=0.05)
    assert derived["2024-25"]["recorded_white_detentions_per_100k"] == pytest.approx(65.8, rel=0.05)


KEY_TABLES = ("MHS001MPI", "MHS101Referral", "MHS401MHActPeriod", "MHS501HospProvSpell", "MHS505RestrictiveInterventInc",
              "MHS515RestrictiveInterventType", "TalkingTherapiesReferral", "Population", "Providers")


def _key_counts(root: Path, year: str) -> pd.DataFrame:
    """The pipeline's own counts of the key indicators by ethnic group, with White British's beside them."""
    catalogue = [replace(i, breakdowns=("ethnic_group",), standardised=False, variants=i.variants[:1])
                 for i in load_catalogue() if i.id in P.GAP_TRENDS]
    with connect(root / f"{year}.duckdb") as con:
        for name, path in input_files(root, year).items():
            if name in KEY_TABLES:
                load_table(con, contract.table(name), path)
        stage(con, year, AuditConfig())
        return compute_indicators(con, year, AuditConfig(), catalogue)


def _log_slope(y: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Slope a year (and its standard error) of log(y / n) for Poisson counts y with exposures n:
    a two-parameter log-linear model fitted by Newton's method."""
    x = np.column_stack([np.ones(len(y)), np.arange(len(y)) - (len(y) - 1) / 2])
    beta = np.array([np.log(y.sum() / n.sum()), 0.0])
    for _ in range(30):
        mu = n * np.exp(x @ beta)
        info = x.T @ (mu[:, None] * x)
        beta = beta + np.linalg.solve(info, x.T @ (y - mu))
    return float(beta[1]), float(np.sqrt(np.linalg.inv(info)[1, 1]))


@pytest.fixture(scope="module")
def region_counts(region, tmp_path_factory) -> pd.DataFrame:
    """The pipeline's counts of the key indicators in each of the region's five years."""
    truth = json.loads((region / "truth.json").read_text())
    root = tmp_path_factory.mktemp("region_counts") / "x"
    shutil.copytree(region, root, ignore=shutil.ignore_patterns("*.duckdb"))
    counts = pd.concat([_key_counts(root, y) for y in truth["years"]])
    return counts.set_index(["provider", "indicator_id", "group_code", "year"]).sort_index()


def test_generated_counts_follow_the_planted_gap_trends(region, region_counts):
    """Over the five years the pipeline's counts move as truth.json says: every provider's change in
    the ratio to White British is within 3 standard errors of the planted one (Poisson, scaled by the
    planted dispersion), and the best-powered narrowing provider's narrowing shows on all six indicators."""
    truth = json.loads((region / "truth.json").read_text())
    counts = region_counts
    top = max((min(p.values()), code) for code, p in _narrowing_powers(truth).items())[1]
    checked = 0
    for r in truth["gap_trends"]:
        if r["provider"] == "ALL" or r["group_code"] not in ("BLACK", "ASIAN"):
            continue
        rows = counts.loc[(r["provider"], r["indicator_id"], r["group_code"])].loc[truth["years"]]
        group = _log_slope(rows.numerator.to_numpy(float), rows.denominator.to_numpy(float))
        white_british = _log_slope(rows.comp_numerator.to_numpy(float), rows.comp_denominator.to_numpy(float))
        change = group[0] - white_british[0]
        se = np.hypot(group[1], white_british[1]) * np.sqrt(r["dispersion"])
        assert abs(change - np.log1p(r["expected_change_per_year"])) < 3 * se, r
        if r["provider"] == top and r["verdict"] == "narrowing":
            assert change / se * np.sign(r["planted_change_per_year"]) > 1.96, r
            checked += 1
    assert checked == len(P.GAP_TRENDS)


def test_the_trend_test_recovers_the_planted_verdicts(region, region_counts):
    """pipeline.trend's own model, on the counts as published (rounded to 5), calls the best-powered
    narrowing provider's gaps 'narrowing' on (nearly) every key indicator and never 'widening', the steady providers' Black
    detention gap (the national trend) 'widening' where the planted test has the power, and a change
    in about 5% of the gaps planted steady (a 5% test: the overdispersed counts must not inflate it)."""
    from pipeline.disclosure import round_count
    from pipeline.indicators import load_catalogue
    from pipeline.trend import GROUPS, fit_gaps, verdict

    truth = json.loads((region / "truth.json").read_text())
    methods = {i.id: i.method for i in load_catalogue()}
    top = max((min(p.values()), code) for code, p in _narrowing_powers(truth).items())[1]
    published = region_counts.reset_index()
    published = published[published["group_code"].isin(GROUPS)].copy()
    for col in ("numerator", "denominator", "comp_numerator", "comp_denominator"):
        published[col] = round_count(published[col], 5)
    fitted = {key: fit_gaps(rows, methods[key[1]]) for key, rows in published.groupby(["provider", "indicator_id"])}
    found, steady = {}, []
    for r in truth["gap_trends"]:
        if r["provider"] == "ALL" or r["group_code"] not in ("BLACK", "ASIAN"):
            continue
        rows = published[(published["provider"] == r["provider"]) & (published["indicator_id"] == r["indicator_id"])
                         & (published["group_code"] == r["group_code"])]
        pooled = rows[["numerator", "denominator", "comp_numerator", "comp_denominator"]].sum()
        change = fitted[(r["provider"], r["indicator_id"])][r["group_code"]]
        called = verdict(*change[1:3], pooled.numerator * pooled.comp_denominator >= pooled.comp_numerator * pooled.denominator)
        if r["provider"] == top and r["verdict"] == "narrowing":
            found[r["indicator_id"]] = called
        elif r["verdict"] == "widening" and r["power"] >= 0.9:
            assert called == "widening", r
        elif r["verdict"] == "steady":
            steady.append(called)
    # the planted power (0.81-0.95 each) assumes the dispersion known; the model estimates it
    assert found.keys() == P.GAP_TRENDS.keys() and "widening" not in found.values(), found
    assert list(found.values()).count("narrowing") >= 5, found
    assert len(steady) >= 50 and steady.count("no significant change") >= 0.88 * len(steady), steady
