"""Atomic publishing: a killed or failed run leaves the earlier year byte-for-byte as it was,
the next run recovers, and a run that withholds a provider still publishes the others (exit 3)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE, publish_sample, sample_years, seed_work
from pipeline import publish

MHAUDIT = [sys.executable, "-m", "pipeline.cli"]
ENV = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def earlier(published_sample, tmp_path) -> tuple[Path, str]:
    """A copy of a good publication of the latest sample year, as a previous run left it."""
    out = tmp_path / "out"
    shutil.copytree(published_sample, out / published_sample.name)
    return out, published_sample.name


@pytest.mark.parametrize("kill_when", ["", "data"], ids=["staging-appears", "tables-written"])
def test_killed_run_leaves_the_earlier_year_untouched_and_the_next_run_recovers(earlier, tmp_path, kill_when):
    out, year = earlier
    before = _snapshot(out / year)
    watch = publish.staging_dir(out, year) / kill_when
    seed_work(tmp_path / "w")
    proc = subprocess.Popen(MHAUDIT + ["run", "--out", str(out), "--work", str(tmp_path / "w"), "--year", year,
                                       "--publication-date", "2025-07-16"],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not watch.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert _snapshot(out / year) == before
    assert publish.staging_dir(out, year).exists()  # the half-written year is left aside, never in place

    folder = publish_sample(out, tmp_path / "w2", year)
    assert folder == out / year and publish.verify(folder) == []
    assert not publish.staging_dir(out, year).exists()
    assert (folder / "validation" / "index.html").is_file()


def test_recover_finishes_a_swap_killed_between_its_two_renames(earlier):
    out, year = earlier
    before = _snapshot(out / year)
    previous = out / f".previous-{year}"
    os.rename(out / year, previous)  # killed after the first rename: nothing at <out>/<year>
    publish.recover(out, year)
    assert _snapshot(out / year) == before and not previous.exists()
    shutil.copytree(out / year, previous)  # killed after the second rename: a stale previous copy
    publish.recover(out, year)
    assert _snapshot(out / year) == before and not previous.exists()


def test_publication_refuses_a_year_whose_reports_are_not_all_staged(earlier, published_sample):
    """Report steps may run on other workers: the year is moved into place only when every
    provider's PDF and HTML page is staged; otherwise the earlier year stays as it was."""
    from pipeline import audit
    from pipeline.errors import MhauditError

    out, year = earlier
    before = _snapshot(out / year)
    staging = publish.staging_dir(out, year)
    shutil.copytree(published_sample, staging)
    (staging / "manifest.json").unlink()
    provider = sorted(p.stem for p in (staging / "reports").glob("*.pdf") if p.stem != "ALL")[0]
    (staging / "html" / provider / "index.html").unlink()
    spec = audit.RunSpec(extracts=SAMPLE, out=out, year=year, work=published_sample.parents[1] / "work",
                         publication_date="2025-07-15")
    with pytest.raises(MhauditError, match=f"reports missing from .*: html/{provider}/index.html$"):
        audit.finalise(spec)
    assert _snapshot(out / year) == before
    # with the page back, the same staged year publishes
    shutil.copyfile(published_sample / "html" / provider / "index.html", staging / "html" / provider / "index.html")
    assert _snapshot(audit.finalise(spec)) == _snapshot(published_sample)


def test_publication_refuses_a_year_whose_extract_changed_after_it_was_loaded(earlier, published_sample, tmp_path):
    """Parquet extracts are read in place by every stage: a file changed during the run would give
    figures from unchecked data, so the year is not published."""
    from pipeline import audit
    from pipeline.errors import MhauditError

    out, year = earlier
    before = _snapshot(out / year)
    extracts = tmp_path / "extracts"
    shutil.copytree(SAMPLE, extracts)
    shutil.copytree(published_sample, publish.staging_dir(out, year))
    changed = next((extracts / year).glob("MHS401*"))
    changed.write_bytes(changed.read_bytes() + changed.read_bytes().splitlines(keepends=True)[-1])
    spec = audit.RunSpec(extracts=extracts, out=out, year=year, work=published_sample.parents[1] / "work",
                         publication_date="2025-07-15")
    with pytest.raises(MhauditError, match=f"{year}/{changed.name} changed in .* after the run loaded and checked it"):
        audit.finalise(spec)
    assert _snapshot(out / year) == before


def test_run_withholding_one_provider_publishes_the_rest_and_exits_3(tmp_path):
    year = sample_years()[-1]
    extracts = tmp_path / "ex"
    shutil.copytree(SAMPLE, extracts)
    path = extracts / year / "MHS001MPI.csv"
    mpi = pd.read_csv(path, dtype=str, keep_default_na=False)
    poor = sorted(mpi["OrgIDProv"].unique())[0]
    rows = mpi.index[mpi["OrgIDProv"] == poor]
    mpi.loc[rows[: int(len(rows) * 0.8)], "EthnicCategory"] = "99"  # 80% not known: below the 50% gate
    mpi.to_csv(path, index=False)
    out = tmp_path / "out"
    seed_work(tmp_path / "w")  # the earlier years are the sample's: their warehouses are reused
    result = subprocess.run(MHAUDIT + ["run", "--extracts", str(extracts), "--year", year, "--out", str(out),
                                       "--work", str(tmp_path / "w"), "--publication-date", "2025-07-15"],
                            cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert result.returncode == 3, result.stderr[-3000:]
    assert "withheld" in result.stderr and "Traceback" not in result.stderr
    providers = sorted(mpi["OrgIDProv"].unique())
    assert sorted(p.stem for p in (out / year / "reports").glob("*.pdf")) == sorted(providers + ["ALL"])
    quality = pd.read_csv(out / year / "data" / "data_quality.csv", dtype=str, keep_default_na=False)
    gate = quality[quality["measure"] == "GATE"].set_index("provider")["result"]
    assert gate[poor] == "withhold"
    assert all(gate[p] in ("publish", "warn") for p in providers if p != poor)
    assert publish.verify(out / year) == []


def _verify_cli(folder: Path, capsys) -> tuple[int, str]:
    from pipeline import cli

    status = cli.main(["verify", str(folder)])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_verify_says_plainly_when_there_is_no_publication_to_check(tmp_path, earlier, capsys):
    out, year = earlier
    status, message = _verify_cli(tmp_path / "nowhere", capsys)
    assert status == 2 and "does not exist" in message and "give a published year" in message and "Traceback" not in message
    (out / year / "manifest.json").write_text("{not json", encoding="utf-8")
    status, message = _verify_cli(out / year, capsys)
    assert status == 1 and "manifest.json is not valid JSON" in message
    (out / year / "manifest.json").unlink()
    status, message = _verify_cli(out / year, capsys)
    assert status == 1 and "missing: manifest.json" in message


def _rewrite_manifest(folder: Path, change) -> None:
    """Tamper as a second run would have: its own manifest over the files that are there."""
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    manifest["outputs"] = publish.output_checksums(folder)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_verify_finds_files_of_another_run_that_a_manifest_was_written_over(earlier, capsys):
    out, year = earlier
    folder = out / year
    assert publish.verify(folder) == []
    validations = folder / "validation" / "validations"
    runs = sorted(validations.glob("*/*/*"))  # Great Expectations: one run per suite, named by the year
    assert [r.relative_to(validations).parts[1:] for r in runs] == [(year, "20250715T000000.000000Z")] * 4

    _rewrite_manifest(folder, lambda m: m["parameters"].update(publication_date="2025-07-16"))
    problems = publish.verify(folder)
    assert "disagrees: reports/ALL.pdf is dated 2025-07-15, the manifest's publication date is 2025-07-16" in problems
    assert (f"disagrees: validation/validations/dq01_ethnicity_recording/{year}/20250715T000000.000000Z is a "
            "validation run of 20250715, the manifest's publication date is 2025-07-16") in problems
    status, message = _verify_cli(folder, capsys)
    assert status == 1 and "disagrees" in message

    _rewrite_manifest(folder, lambda m: m["parameters"].update(publication_date="2025-07-15"))
    run = next((validations / "dq02_event_ethnicity" / year).iterdir())
    os.rename(run, run.with_name("20250716T000000.000000Z"))  # one data docs run of another day
    shutil.copytree(validations / "dq03_ids_and_persons" / year, validations / "dq03_ids_and_persons" / "2023-24")
    (folder / "reports" / "RRJ.pdf").unlink()  # and a report missing, its manifest entry too
    _rewrite_manifest(folder, lambda m: None)
    problems = publish.verify(folder)
    assert [p for p in problems if "20250716" in p] == [
        f"disagrees: validation/validations/dq02_event_ethnicity/{year}/20250716T000000.000000Z is a validation run "
        "of 20250716, the manifest's publication date is 2025-07-15"]
    assert [p for p in problems if "2023-24" in p or "runs" in p] == [
        "disagrees: validation/validations/dq03_ids_and_persons/2023-24/20250715T000000.000000Z is a validation run "
        f"of 2023-24, the manifest's year is {year}",
        "disagrees: validation/validations/dq03_ids_and_persons holds 2 validation runs, a publication one"]
    assert any(p.startswith("disagrees: the files are for different providers (reports: ALL, RB6, RMD; "
                            "validation/index.html: ALL, RB6, RMD, RRJ; ") for p in problems)
