"""AC01 and CO01 on a hand-made extract whose answers are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from builders import YEAR, population, write_extract
from pipeline import contract
from pipeline.config import AuditConfig
from pipeline.estimates import exact_table
from pipeline.indicators import compute_indicators, load_catalogue
from pipeline.load import load_year
from pipeline.warehouse import connect, stage

CELLS_PER_GROUP = 2 * len(contract.AGE_BANDS) * 1000  # 2 sexes x 6 age bands x 1000 people


def _person(pid, org, code, sex="1", age=30):
    return {"Person_ID": pid, "OrgIDProv": org, "EthnicCategory": code, "Gender": sex, "AgeRepPeriodEnd": age,
            "LADistrictAuth": "E1"}


def _contact(pid, org, code="5", date="2024-06-01"):
    return {"UniqCareContID": f"C-{pid}-{org}-{date}-{code}", "UniqServReqID": f"R-{pid}", "Person_ID": pid,
            "OrgIDProv": org, "CareContDate": date, "AttendOrDNACode": code}


def _detention(eid, pid, org, code, date="2024-09-01"):
    return {"UniqMHActEpisodeID": eid, "Person_ID": pid, "OrgIDProv": org,
            "StartDateMHActLegalStatusClass": date, "LegalStatusCode": code}


@pytest.fixture(scope="module")
def values(tmp_path_factory) -> pd.DataFrame:
    root = tmp_path_factory.mktemp("handmade")
    people = [_person(f"p{i}", "PR1", "A") for i in range(1, 5)] + [_person(f"p{i}", "PR1", "N") for i in range(5, 11)]
    people += [_person("p11", "PR1", "Z"), _person("p12", "PR1", "x"), _person("p5", "PR2", " N ")]
    contacts = [_contact(f"p{i}", "PR1") for i in range(1, 12)] + [_contact("p12", "PR1", code="3"), _contact("p5", "PR2")]
    contacts.append(_contact("p1", "PR1", date="2024-03-31"))  # before the year: changes nothing (p1 seen anyway)
    detentions = [
        _detention("d1", "p5", "PR1", "03"), _detention("d2", "p5", "PR1", "03", "2025-01-10"),
        _detention("d3", "p6", "PR1", "20"),  # section 136: a place of safety, not a detention
        _detention("d4", "p1", "PR1", "02", "2024-03-01"),  # starts before the year
        _detention("d5", "p2", "PR1", "02"), _detention("d6", "p99", "PR1", "03"),  # p99 not in MHS001MPI
        _detention("d7", "p5", "PR2", "37"),
    ]
    write_extract(root, {
        "MHS001MPI": people, "MHS201CareContact": contacts, "MHS401MHActPeriod": detentions,
        "Population": population(["E1", "E2"], {}),
        "Providers": [{"OrgIDProv": "PR1", "ProviderName": "One", "LADistrictAuth": "E1"},
                      {"OrgIDProv": "PR2", "ProviderName": "Two", "LADistrictAuth": "E2"}],
    })
    with connect(root / "w.duckdb") as con:
        load_year(con, root, YEAR)
        stage(con, YEAR, AuditConfig())
        return exact_table(compute_indicators(con, YEAR, AuditConfig(), load_catalogue()))


def _row(values, indicator, provider, breakdown, group, statistic="crude rate", subgroup=""):
    found = values[(values.indicator_id == indicator) & (values.provider == provider) & (values.statistic == statistic)
                   & (values.breakdown == breakdown) & (values.group_code == group) & (values.subgroup == subgroup)]
    assert len(found) == 1, (indicator, provider, breakdown, group)
    return found.iloc[0]


def test_ac01_counts_people_with_an_attended_contact_by_group(values):
    white = _row(values, "AC01", "PR1", "ethnic_group", "WHITE")
    assert white.numerator == 4
    assert white.denominator == 5 * CELLS_PER_GROUP  # British, Irish, Gypsy/Traveller, Roma, Other White
    assert white.value == pytest.approx(4 / (5 * CELLS_PER_GROUP) * 1e5)
    assert _row(values, "AC01", "PR1", "ethnic_group", "BLACK").numerator == 6
    # Z and invalid are 'Not known'; p12 only did not attend, so is not counted.
    assert _row(values, "AC01", "PR1", "ethnic_group", "NOT_KNOWN").numerator == 1
    assert _row(values, "AC01", "PR1", "total", "TOTAL").numerator == 11


def test_ac01_ratio_to_white_british(values):
    black = _row(values, "AC01", "PR1", "ethnic_group", "BLACK")
    expected = (6 / (3 * CELLS_PER_GROUP)) / (4 / CELLS_PER_GROUP)
    assert black.comparator_ratio == pytest.approx(expected)
    assert black.ratio_lower_95 < expected < black.ratio_upper_95
    assert _row(values, "AC01", "PR1", "total", "TOTAL").significance == ""


def test_white_british_own_row_has_no_ratio_to_itself(values):
    """The comparator against itself would be 'similar' with an interval around 1 that means
    nothing; its row keeps its value and interval but no ratio, in every statistic."""
    own = values[(values.breakdown == "ethnic_category") & (values.group_code == "A")]
    assert len(own) > 0 and own["value"].notna().any()
    assert own[["comparator_ratio", "ratio_lower_95", "ratio_upper_95"]].isna().all().all()
    assert (own["significance"] == "").all()
    others = values[(values.breakdown == "ethnic_category") & ~values.group_code.isin(["A", "NOT_KNOWN"])]
    assert others["ratio_lower_95"].notna().any()


def test_all_providers_count_each_person_once(values):
    # p5 is seen by both providers: counted at each provider but once across them.
    assert _row(values, "AC01", "PR2", "ethnic_group", "BLACK").numerator == 1
    assert _row(values, "AC01", "ALL", "ethnic_group", "BLACK").numerator == 6
    assert _row(values, "AC01", "ALL", "ethnic_group", "BLACK").denominator == 2 * 3 * CELLS_PER_GROUP


def test_co01_counts_detention_episodes_starting_in_the_year(values):
    assert _row(values, "CO01", "PR1", "ethnic_group", "BLACK").numerator == 2
    assert _row(values, "CO01", "PR1", "ethnic_group", "WHITE").numerator == 1
    assert _row(values, "CO01", "PR1", "ethnic_group", "NOT_KNOWN").numerator == 1  # person not in the index
    assert _row(values, "CO01", "ALL", "ethnic_group", "BLACK").numerator == 3  # events add up across providers
    assert _row(values, "CO01", "PR1", "ethnic_category", "N").numerator == 2


def test_every_group_is_listed_even_with_no_events(values):
    groups = values[(values.indicator_id == "CO01") & (values.provider == "PR1") & (values.breakdown == "ethnic_group")
                    & (values.statistic == "crude rate")]
    assert sorted(groups.group_code) == sorted(contract.ETHNIC_GROUPS)
    asian = _row(values, "CO01", "PR1", "ethnic_group", "ASIAN")
    assert asian.numerator == 0 and asian.value == 0 and asian.lower_95 == 0 and asian.upper_95 > 0


def test_intersectional_breakdowns_use_matching_comparator(values):
    row = _row(values, "AC01", "PR1", "ethnic_group_x_sex", "BLACK", subgroup="1")
    assert row.numerator == 6 and row.denominator == 3 * CELLS_PER_GROUP / 2
    assert row.comparator_ratio == pytest.approx((6 / (3 * CELLS_PER_GROUP / 2)) / (4 / (CELLS_PER_GROUP / 2)))
    assert _row(values, "AC01", "PR1", "ethnic_group_x_age", "BLACK", subgroup="18-34").numerator == 6


def test_standardised_rate_weights_strata_by_the_european_standard_population(values):
    # All 11 people seen at PR1 are men aged 18-34; each sex x age stratum holds 19 x 1000 people.
    row = _row(values, "AC01", "PR1", "total", "TOTAL", "age-sex standardised rate")
    weight = 20_700 / 2  # ESP 2013 ages 18-34, split equally between the sexes
    assert row.value == pytest.approx(11 / 19_000 * weight / 100_000 * 1e5)
    assert row.lower_95 < row.value < row.upper_95
    # fewer than 10 events: not published, as PHEindicatormethods
    assert pd.isna(_row(values, "AC01", "PR1", "ethnic_group", "BLACK", "age-sex standardised rate").value)


def test_whole_catalogue_runs_and_lists_every_indicator(values):
    assert set(values.indicator_id) == {i.id for i in load_catalogue()}
    co05 = values[values.indicator_id == "CO05"]
    assert set(co05.intervention_type) == {"all restrictive interventions", "prone restraint", "seclusion",
                                           "rapid tranquillisation"}
    assert set(co05.statistic) == {"rate"}  # the type is a column of its own, not a statistic
    assert set(values[values.indicator_id != "CO05"].intervention_type) == {""}


def test_five_year_population_bands_are_spread_over_the_audit_bands():
    """extracts.md accepts five-year population bands: spread evenly over single years of age,
    they give the same staged population as the audit's own bands."""
    import duckdb

    from pipeline.warehouse import create_reference_tables, run_sql, sql_text, year_params

    per_year = 10.0  # people in every single year of age, 0 to 94
    five = [(f"{lo}-{lo + 4}", 5 * per_year) for lo in range(0, 90, 5)] + [("90+", 5 * per_year)]
    own = [(band, (min(hi, 94) - lo + 1) * per_year) for band, (lo, hi) in contract.AGE_BAND_BOUNDS.items()]
    staged = []
    for bands in (five, own):
        con = duckdb.connect()
        create_reference_tables(con, AuditConfig())
        con.execute("CREATE TABLE providers AS SELECT 'PR1' AS OrgIDProv, 'E1' AS LADistrictAuth")
        con.execute("CREATE TABLE population (LADistrictAuth VARCHAR, Year INTEGER, EthnicGroupCensus INTEGER, "
                    "Sex VARCHAR, AgeBand VARCHAR, Count BIGINT)")
        con.executemany("INSERT INTO population VALUES ('E1', 2021, 1, '2', ?, ?)", bands)
        run_sql(con, sql_text("stg_population"), year_params(YEAR))
        staged.append(dict(con.execute("SELECT age_band, population FROM stg_population WHERE provider = 'PR1'").fetchall()))
    assert staged[0] == pytest.approx(staged[1]) and set(staged[0]) == set(contract.AGE_BANDS)
    assert staged[0]["16-17"] == pytest.approx(2 * per_year)


def test_a_stratum_without_population_is_reported_as_a_data_error(tmp_path, caplog):
    """methods.md: a stratum with population 0 is a data error, not a division by zero."""
    from pipeline.indicators import empty_strata

    white_british = next(g.ons_code for g in contract.CENSUS_ETHNIC_GROUPS if g.nhs_code == "A")
    write_extract(tmp_path, {
        "MHS001MPI": [_person("p1", "PR1", "A")],
        "Population": population(["E1"], {(white_british, "2", "65+"): 0}),
        "Providers": [{"OrgIDProv": "PR1", "ProviderName": "One", "LADistrictAuth": "E1"}],
    })
    with connect(tmp_path / "w.duckdb") as con:
        load_year(con, tmp_path, YEAR)
        stage(con, YEAR, AuditConfig())
        pop = con.execute("SELECT * FROM stg_population").df()
        empty = empty_strata(pop)
        assert empty[["provider", "category", "sex", "age_band"]].values.tolist() == [
            ["ALL", "A", "2", "65+"], ["PR1", "A", "2", "65+"]]
        assert empty_strata(pop.assign(population=1)).empty
        with caplog.at_level("WARNING", logger="mhaudit"):
            values = exact_table(compute_indicators(con, YEAR, AuditConfig(), [i for i in load_catalogue() if i.id == "CO01"]))
    assert "1 sex and age" not in caplog.text and "2 sex and age stratum(s) with no population" in caplog.text
    own = values[(values.provider == "PR1") & (values.statistic == "age-sex standardised rate")
                 & (values.breakdown == "ethnic_category") & (values.group_code == "A")]
    assert len(own) == 1 and own["value"].isna().all()


def test_co07_publishes_the_median_length_of_stay_with_its_interval_and_the_mean(tmp_path):
    """indicators.md: CO07 is the median and mean days of spells ending in the year. Twelve spells
    of White British people at PR1 (2, 4, ..., 24 days), one of an Indian person."""
    days = list(range(2, 25, 2))
    people = [_person(f"w{i}", "PR1", "A") for i in range(len(days))] + [_person("h1", "PR1", "H")]
    spells = [{"UniqHospProvSpellID": f"S{i}", "Person_ID": f"w{i}", "OrgIDProv": "PR1",
               "StartDateHospProvSpell": "2024-05-01",
               "DischDateHospProvSpell": (pd.Timestamp("2024-05-01") + pd.Timedelta(days=d)).date().isoformat()}
              for i, d in enumerate(days)]
    spells.append({"UniqHospProvSpellID": "S99", "Person_ID": "h1", "OrgIDProv": "PR1",
                   "StartDateHospProvSpell": "2024-05-01", "DischDateHospProvSpell": "2024-06-30"})
    write_extract(tmp_path, {"MHS001MPI": people, "MHS501HospProvSpell": spells,
                             "Population": population(["E1"], {}),
                             "Providers": [{"OrgIDProv": "PR1", "ProviderName": "One", "LADistrictAuth": "E1"}]})
    with connect(tmp_path / "w.duckdb") as con:
        load_year(con, tmp_path, YEAR)
        stage(con, YEAR, AuditConfig())
        counts = compute_indicators(con, YEAR, AuditConfig(), [i for i in load_catalogue() if i.id == "CO07"])
    values = exact_table(counts)
    median = _row(values, "CO07", "PR1", "ethnic_category", "A", "median")
    mean = _row(values, "CO07", "PR1", "ethnic_category", "A", "mean")
    assert median.value == 13.0 and (median.lower_95, median.upper_95) == (6.0, 20.0)  # 3rd and 10th of 12
    assert mean.value == pytest.approx(13.0) and mean.numerator == 12 and pd.isna(mean.denominator)
    assert _row(values, "CO07", "ALL", "total", "TOTAL", "median").numerator == 13
    co07 = next(i for i in load_catalogue() if i.id == "CO07")
    assert co07.published_statistics == ["median", "mean"]
    assert co07.definition == "Length of stay of hospital spells ending in the year: the median and the mean, in days."
