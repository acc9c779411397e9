"""The sample's published data for people and programs: provider names, one variable per column,
datapackage.json validated by Frictionless, the same descriptions on the Parquet columns, and the
spreadsheet read back with openpyxl holding indicators.csv's values."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from frictionless import validate

from pipeline import dictionary
from pipeline.indicators import load_catalogue
from pipeline.workbook import COLUMNS, SHEETS


@pytest.fixture(scope="module")
def data(published_sample) -> Path:
    return published_sample / "data"


@pytest.fixture(scope="module")
def csv(data) -> pd.DataFrame:
    return pd.read_csv(data / "indicators.csv", dtype={"subgroup": str, "group_code": str}, keep_default_na=False,
                       na_values={c: [""] for c in ("numerator", "denominator", "value", "lower_95", "upper_95",
                                                    "comparator_ratio", "ratio_lower_95", "ratio_upper_95",
                                                    "previous_value", "change", "change_lower_95", "change_upper_95",
                                                    "funnel_lower_95", "funnel_upper_95", "funnel_lower_998",
                                                    "funnel_upper_998")})


def test_rows_name_their_provider_and_keep_one_variable_per_column(csv, published_sample):
    providers = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "sample" / "reference" / "Providers.csv")
    names = dict(zip(providers["OrgIDProv"], providers["ProviderName"])) | {"ALL": "All providers"}
    assert (csv["provider_name"] == csv["provider"].map(names)).all()
    assert not csv["group_code"].str.contains("|", regex=False).any()
    sex = csv[csv["breakdown"] == "ethnic_group_x_sex"]
    age = csv[csv["breakdown"] == "ethnic_group_x_age"]
    assert len(sex) and set(sex["subgroup"]) == {"1", "2"} and set(age["subgroup"]) == {"0-15", "16-17", "18-34",
                                                                                         "35-49", "50-64", "65+"}
    assert (csv.loc[~csv["breakdown"].str.startswith("ethnic_group_x_"), "subgroup"] == "").all()
    co05 = csv[csv["indicator_id"] == "CO05"]
    assert set(co05["intervention_type"]) == {"all restrictive interventions", "prone restraint", "seclusion",
                                              "rapid tranquillisation"}
    assert set(co05["statistic"]) == {"rate"} and (csv.loc[csv["indicator_id"] != "CO05", "intervention_type"] == "").all()
    key = ["provider", "indicator_id", "statistic", "intervention_type", "breakdown", "group_code", "subgroup"]
    assert not csv.duplicated(key).any()


def test_datapackage_validates_with_frictionless_and_describes_every_csv(data):
    report = validate(data / dictionary.DATAPACKAGE)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:10]
    package = json.loads((data / dictionary.DATAPACKAGE).read_text())
    assert sorted(r["path"] for r in package["resources"]) == sorted(
        p.name for p in data.iterdir() if p.suffix in (".csv", ".parquet"))
    year = data.parent.name
    previous = next(f for r in package["resources"] if r["path"] == "indicators.csv" for f in r["schema"]["fields"]
                    if f["name"] == "previous_value")
    assert f"for {int(year[:4]) - 1}-{year[2:4]}" in previous["description"]  # which year previous_value is
    for resource in package["resources"]:
        for field in resource["schema"]["fields"]:
            assert len(field["description"]) > 20, (resource["path"], field["name"])


def test_frictionless_finds_a_value_outside_the_dictionary(data, tmp_path):
    """The validation can fail: a breakdown the dictionary does not list, and a count that is not a
    whole number, are errors."""
    copy = tmp_path / "data"
    copy.mkdir()
    for name in ("indicators.csv", "data_quality.csv", dictionary.DATAPACKAGE):
        (copy / name).write_bytes((data / name).read_bytes())
    package = json.loads((copy / dictionary.DATAPACKAGE).read_text())
    package["resources"] = [r for r in package["resources"] if r["path"].endswith(".csv")]
    (copy / dictionary.DATAPACKAGE).write_text(json.dumps(package))
    frame = pd.read_csv(copy / "indicators.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "breakdown"] = "ethnic_group_x_region"
    frame.loc[1, "numerator"] = "12.5"
    frame.to_csv(copy / "indicators.csv", index=False)
    errors = validate(copy / dictionary.DATAPACKAGE).flatten(["fieldName", "type"])
    assert ["breakdown", "constraint-error"] in errors and ["numerator", "type-error"] in errors


def test_an_undescribed_csv_or_column_is_refused(data, tmp_path):
    copy = tmp_path / "data"
    copy.mkdir()
    (copy / "indicators.csv").write_bytes((data / "indicators.csv").read_bytes())
    (copy / "extra.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="extra.csv has no entry"):
        dictionary.write_datapackage(copy, "2024-25", title="t", created="2025-07-15")
    (copy / "extra.csv").unlink()
    frame = pd.read_csv(copy / "indicators.csv").assign(new_column=1)
    frame.to_csv(copy / "indicators.csv", index=False)
    with pytest.raises(ValueError, match="new_column"):
        dictionary.write_datapackage(copy, "2024-25", title="t", created="2025-07-15")


def test_parquet_columns_carry_the_dictionary_descriptions(data):
    schema = pq.read_schema(data / "indicators.parquet")
    table = dictionary.load_dictionary(data.parent.name)["indicators.csv"]
    assert schema.names == [c.name for c in table.columns]
    for field in schema:
        assert field.metadata[b"description"].decode() == table.column(field.name).description
    assert schema.metadata[b"description"].decode() == table.description


def test_spreadsheet_holds_the_values_of_indicators_csv(data, csv):
    """Each domain's sheet is that domain's rows of indicators.csv in order: every number the same,
    '*' only where the CSV has none and names why, blank where there is none for another reason."""
    book = openpyxl.load_workbook(data / f"{data.parent.name}-audit.xlsx", read_only=True)
    assert book.sheetnames == ["Notes", *SHEETS.values(), "Data quality"]
    domains = {i.id: i.domain for i in load_catalogue()}
    stars = checked = 0
    for domain, name in SHEETS.items():
        rows = list(book[name].iter_rows(values_only=True))
        assert list(rows[0]) == [heading for heading, _, _ in COLUMNS]
        mine = csv[csv["indicator_id"].map(domains) == domain]
        assert len(rows) - 1 == len(mine), name
        for sheet_row, (_, r) in zip(rows[1:], mine.iterrows()):
            for cell, (_, column, kind) in zip(sheet_row, COLUMNS):
                if kind == "text":
                    continue
                if pd.isna(r[column]):
                    assert cell in (None, "*"), (name, column, cell)
                    if cell == "*":
                        assert r["suppressed"] != "", (name, column)
                        stars += 1
                else:
                    assert cell == pytest.approx(float(r[column]), abs=1e-9), (name, column, cell, r[column])
                    checked += 1
            assert sheet_row[0] == r["provider"] and sheet_row[1] == r["provider_name"] and sheet_row[7] == r["group_label"]
    assert checked > 10_000 and stars > 100
    quality = pd.read_csv(data / "data_quality.csv", dtype={"provider": str})
    rows = list(book["Data quality"].iter_rows(values_only=True))
    assert len(rows) - 1 == len(quality)
    for cells, (_, q) in zip(rows[1:], quality.iterrows()):
        assert cells[0] == q["provider"] and cells[2] == q["measure"]
        for cell, column in ((cells[6], "count"), (cells[7], "total"), (cells[8], "percent")):
            if pd.isna(q[column]):
                assert cell == ("*" if isinstance(q["suppressed"], str) else None), (cells, column)
            else:
                assert cell == pytest.approx(float(q[column])), (cells, column)


def test_manifest_lists_every_input_read_the_extracts_folder_and_the_environment(published_sample):
    """The run read last year's extracts (for the change since last year): they are listed with this
    year's and the reference tables, each with its checksum, beside the Python and library versions."""
    from importlib import metadata

    from pipeline.load import sha256

    manifest = json.loads((published_sample / "manifest.json").read_text())
    sample = Path(manifest["extracts"])
    assert sample == (Path(__file__).resolve().parents[1] / "data" / "sample")
    year = published_sample.name
    previous = f"{int(year[:4]) - 1}-{year[2:4]}"
    years = {i["year"] for i in manifest["inputs"]}
    assert years == {year, previous, "reference"}
    listed = {i["file"] for i in manifest["inputs"]}
    on_disk = {p.relative_to(sample).as_posix() for folder in (year, previous, "reference")
               for p in (sample / folder).iterdir()}
    assert listed == on_disk
    assert all(i["sha256"] == sha256(sample / i["file"]) for i in manifest["inputs"])
    environment = manifest["environment"]
    assert environment["python"].startswith("3.11") and environment["platform"]
    for name in ("dagster", "duckdb", "great-expectations", "pandas", "weasyprint", "jinja2"):
        assert environment["libraries"][name] == metadata.version(name)
