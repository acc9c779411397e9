"""Every published format carries input values as text (issue 16): CSV cells cannot start a
formula, the PDF prints markup and template syntax literally, the data docs carry no name at
all, and nothing but an organisation code ever names a file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SAMPLE
from pipeline import cli, contract, publish
from pipeline.report.render import ReportJob, render_all
from pipeline.spreadsheet import FORMULA_STARTS, neutralise_formulas
from test_hostile import YEAR, outside, snapshot


@pytest.mark.parametrize("value, published", [
    ("=HYPERLINK(\"http://x.test\",\"y\")", "'=HYPERLINK(\"http://x.test\",\"y\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("Trust = good", "Trust = good"), ("18-34", "18-34"), ("", ""), ("'=1", "'=1"),
])
def test_text_cells_that_would_start_a_formula_get_an_apostrophe(value, published):
    for dtype in (object, "string"):
        frame = pd.DataFrame({"name": pd.Series([value], dtype=dtype)})
        assert neutralise_formulas(frame)["name"].iloc[0] == published


def test_numbers_and_missing_values_are_left_as_they_are():
    frame = pd.DataFrame({"ratio": [-0.5, 1.25], "count": [-3, 4], "label": [None, "-"]})
    out = neutralise_formulas(frame)
    assert out["ratio"].tolist() == [-0.5, 1.25] and out["count"].tolist() == [-3, 4]
    assert pd.isna(out["label"].iloc[0]) and out["label"].iloc[1] == "'-"
    assert frame["label"].iloc[1] == "-"  # a copy: the caller's frame is unchanged


@pytest.mark.parametrize("code, ok", [("RB6", True), ("RXT01", True), ("A81001", True), ("R1A", True),
                                      ("ALL", False), ("RB", False), ("A810012", False), ("rb6", False),
                                      (" RB6", False), ("R-6", False), ("../x", False), ("RB6\n", False)])
def test_organisation_code_rule(code, ok):
    assert contract.is_org_code(code) is ok
    assert contract.is_report_code(code) is (ok or code == "ALL")


@pytest.mark.parametrize("year, ok", [("2024-25", True), ("1999-00", True), ("2024-26", False), ("2024-5", False),
                                      ("2024-25/../2023-24", False), ("2024-25\n", False), ("abcd-ef", False)])
def test_financial_year_rule(year, ok):
    assert contract.is_financial_year(year) is ok


@pytest.mark.parametrize("scale", ["sample", "region", "national"])
def test_synthetic_providers_have_valid_codes_at_every_scale(scale):
    from pipeline.synth.population import make_providers

    for seed in range(20):
        codes = [p.code for p in make_providers(np.random.default_rng(seed), scale)]
        assert all(contract.is_org_code(c) for c in codes), codes


def test_committed_sample_codes_follow_the_rule():
    for path in SAMPLE.rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "OrgIDProv" in frame:
            assert all(contract.is_org_code(c) for c in frame["OrgIDProv"].unique()), path


def test_the_renderer_refuses_a_report_named_by_anything_but_a_code(tmp_path):
    for code, target in (("../../evil", tmp_path / "reports" / "../../evil.pdf"),
                         ("RB6", tmp_path / "reports" / "RB7.pdf"), ("a/b", tmp_path / "reports" / "a/b.pdf")):
        with pytest.raises(ValueError, match="not an organisation code"):
            list(render_all([ReportJob(context={"provider": code}, target=target, publication_date="2025-07-15")]))
    assert list(tmp_path.iterdir()) == []


def test_the_data_docs_refuse_a_provider_or_run_named_by_anything_but_a_code(tmp_path):
    from pipeline.quality.suites import run_suites

    for providers in (["<img src=x onerror=alert(1)>"], ["RB6", "ALL"], ["a/b"]):
        with pytest.raises(ValueError, match="not organisation codes"):
            run_suites(pd.DataFrame(), providers, [], tmp_path / "docs", None, "nhs", "2024-25")
    for year in ("../2024-25", "2024-25<i>", "2024"):  # the year names the run's folder
        with pytest.raises(ValueError, match="not a financial year"):
            run_suites(pd.DataFrame(), ["RB6"], [], tmp_path / "docs", None, "nhs", year)
    assert not (tmp_path / "docs").exists()


NAME = "=1+1 <i>{{7*7}}</i> &amp;"


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def test_a_provider_name_with_markup_and_a_formula_is_published_as_text(tmp_path, published_sample, capsys,
                                                                       monkeypatch):
    """Also the --providers option on an earlier year (one full run serves both, to keep the suite fast):
    only that provider and ALL are published, and the other year's publication is left as it was."""
    if not shutil.which("pdftotext"):
        pytest.skip("needs pdftotext (poppler-utils)")
    extracts, out, year = tmp_path / "extracts", tmp_path / "out", "2023-24"
    shutil.copytree(SAMPLE, extracts)
    shutil.copytree(published_sample, out / YEAR)
    other_year = snapshot(out / YEAR)
    providers = pd.read_csv(extracts / "reference" / "Providers.csv", dtype=str)
    providers.loc[providers["OrgIDProv"] == "RB6", "ProviderName"] = NAME
    providers.to_csv(extracts / "reference" / "Providers.csv", index=False)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    around = outside(tmp_path)

    status = cli.main(["run", "--extracts", str(extracts), "--out", str(out), "--work", str(tmp_path / "work"),
                       "--year", year, "--providers", "RB6", "--publication-date", "2025-07-16"])
    assert status == 0, capsys.readouterr().err[-3000:]
    assert outside(tmp_path) == around and sorted(p.name for p in out.iterdir()) == [year, YEAR]
    assert snapshot(out / YEAR) == other_year and publish.verify(out / year) == []
    assert sorted(p.name for p in (out / year / "reports").glob("*.pdf")) == ["ALL.pdf", "RB6.pdf"]
    indicators = pd.read_csv(out / year / "data" / "indicators.csv", dtype=str, keep_default_na=False)
    assert set(indicators["provider"]) == {"RB6", "ALL"} and (indicators["year"] == year).all()

    for path in (out / year / "data").glob("*.csv"):  # no cell a spreadsheet would run as a formula
        cells = pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel()
        assert not [c for c in cells if c.startswith(FORMULA_STARTS) and not _number(c)], path
        if "provider_name" in pd.read_csv(path, nrows=0).columns:  # interfaces.md: the provider's name, as text
            assert "'" + NAME in cells and NAME not in cells
    text = subprocess.run(["pdftotext", "-raw", str(out / year / "reports" / "RB6.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert NAME in " ".join(text.split())  # printed as it is: no markup, no template, no formula
    pages = [p.read_text(encoding="utf-8") for p in (out / year / "validation").rglob("*.html")]
    # GX's pages carry codes only; the auditor's index names the provider, escaped and never evaluated
    assert pages and not any("<i>" in page for page in pages)
    index = (out / year / "validation" / "index.html").read_text(encoding="utf-8")
    assert "=1+1 &lt;i&gt;{{7*7}}&lt;/i&gt; &amp;amp;" in index
