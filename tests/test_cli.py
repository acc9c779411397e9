"""The command line's answers to a new data-team member: the version, `validate --out` (validated,
not published, data_quality.csv and the data docs where it says), and `verify` given a folder of years."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from conftest import ROOT, SAMPLE, sample_years

MHAUDIT = [sys.executable, "-m", "pipeline.cli"]


def test_version_names_the_package_and_commit():
    result = subprocess.run(MHAUDIT + ["--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith(f"mhaudit {metadata.version('mhaudit')}+g"), result.stdout


def test_validate_out_writes_data_quality_and_data_docs_there_and_publishes_nothing(published_sample, tmp_path):
    year = sample_years()[-1]
    checks = tmp_path / "checks"
    result = subprocess.run(MHAUDIT + ["validate", "--extracts", str(SAMPLE), "--year", year, "--out", str(checks),
                                       "--work", str(tmp_path / "work")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]  # the sample has a warning but nothing withheld
    said = result.stderr
    assert f"validated {year}" in said and "nothing is published" in said
    assert "mhaudit: published" not in said and "would carry a warning" in said and "would be published" in said
    assert f"{checks / 'data' / 'data_quality.csv'}" in said and f"{checks / 'validation' / 'index.html'}" in said
    assert (checks / "validation" / "index.html").is_file() and (checks / "validation" / "gx_index.html").is_file()
    # the same table a run publishes
    assert (checks / "data" / "data_quality.csv").read_bytes() == \
        (published_sample / "data" / "data_quality.csv").read_bytes()
    assert sorted(p.name for p in checks.iterdir()) == ["data", "validation"]
    assert not list((tmp_path / "work").glob("**/.staging-*"))


def test_validate_defaults_to_a_folder_it_names(tmp_path):
    config = tmp_path / "audit.toml"
    config.write_text("ethnicity_warn_below = 0.99\nethnicity_withhold_below = 0.95\n")
    result = subprocess.run(MHAUDIT + ["validate", "--extracts", str(SAMPLE), "--config", str(config),
                                       "--work", str(tmp_path / "work")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 3, result.stderr[-3000:]  # the gate decides: every provider below 95%
    folder = Path("out") / f"{sample_years()[-1]}-validation"
    assert f"{folder / 'validation' / 'index.html'}" in result.stderr and "would be withheld" in result.stderr
    assert (tmp_path / folder / "data" / "data_quality.csv").is_file()


def test_verify_checks_each_year_of_a_folder_or_says_which_folder_to_give(published_sample, tmp_path):
    out = published_sample.parent
    result = subprocess.run(MHAUDIT + ["verify", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{published_sample}: all files match the manifest" in result.stderr
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    result = subprocess.run(MHAUDIT + ["verify", str(empty)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "give a published year, e.g. out/2024-25, or the folder of years" in result.stderr
    assert "Errno" not in result.stderr and "Traceback" not in result.stderr
