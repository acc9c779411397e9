"""The whole asset graph, materialised in-process, and the command line on the committed sample."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.definitions import all_assets, defs
from assets.partitions import annual_audit, financial_years, new_extract_years, year_ended_before
from assets.resources import AuditRun
from assets.runner import run_year
from conftest import ROOT, seed_work
from pipeline.publish import verify

YEAR = "2024-25"
MHAUDIT = [sys.executable, "-m", "pipeline.cli"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    from pipeline.synth import generate

    root = tmp_path_factory.mktemp("generated")
    generate(root, scale="sample", years=[YEAR], seed=11)
    return root


def _resource(extracts: Path, tmp: Path, **kw) -> AuditRun:
    return AuditRun(extracts=str(extracts), out=str(tmp / "out"), work=str(tmp / "work"), year=YEAR,
                    publication_date="2025-07-15", **kw)


def test_definitions_validate():
    result = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_the_forkserver_preloads_modules_that_import():
    """The multiprocess executor's forkserver skips a preload module that fails to import, silently:
    every step would then import it again."""
    import importlib

    from assets.definitions import STEP_MODULES

    for name in STEP_MODULES:
        importlib.import_module(name)


def test_definitions_list_the_layers():
    groups = {key.to_user_string(): a.group_names_by_key[key] for a in all_assets for key in a.keys}
    assert set(groups.values()) == {"ingest", "quality", "indicators", "reports"}
    assert groups["raw_mhs001mpi"] == "ingest" and groups["publication"] == "reports"
    assert defs.resolve_asset_graph().get_all_asset_keys()


@pytest.fixture(scope="module")
def materialised(generated, tmp_path_factory):
    """The whole graph materialised in process for the generated year, as the UI launches it: the
    result, its instance and the folder of its out/ and work/."""
    tmp = tmp_path_factory.mktemp("materialised")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(financial_years.name, [YEAR])
    resource = AuditRun(extracts=str(generated), out=str(tmp / "out"), work=str(tmp / "work"),
                        publication_date="2025-07-15")
    result = dg.materialize(all_assets, resources={"audit_run": resource}, instance=instance, partition_key=YEAR)
    return result, instance, tmp


def test_whole_graph_materialises_in_process(generated, materialised):
    result, instance, tmp = materialised
    assert result.success
    published = tmp / "out" / YEAR
    providers = sorted(pd.read_csv(generated / "reference" / "Providers.csv")["OrgIDProv"].unique())
    assert sorted(p.stem for p in (published / "reports").glob("*.pdf")) == sorted(providers + ["ALL"])
    indicators = pd.read_csv(published / "data" / "indicators.csv")
    assert set(indicators["indicator_id"]) >= {"AC01", "CO01"}
    manifest = json.loads((published / "manifest.json").read_text())
    assert {i["table"] for i in manifest["inputs"]} >= {"MHS001MPI", "Population"}
    assert verify(published) == []
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["ethnic_category_mostly_valid"] is True
    # the pipeline's progress is in the run's own log, as the UI shows it
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("loaded MHS001MPI" in m for m in messages)
    assert any(re.search(r"rendered \w+ report \(publish\): \d+ pages in", m) for m in messages)
    # one render step per report (ALL's first), then the edition's pages once all are there
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"]
    renders = [s for s in steps if s.startswith("audit_report_pdfs.render_reports[")]
    assert renders[0] == "audit_report_pdfs.render_reports[ALL]"
    assert sorted(renders) == sorted(f"audit_report_pdfs.render_reports[{c}]" for c in providers + ["ALL"])
    assert steps.index("audit_report_pdfs.html_edition") > max(steps.index(s) for s in renders)


def test_failing_blocking_check_stops_the_reports_and_says_why(generated, tmp_path):
    bad = tmp_path / "bad"
    subprocess.run(["cp", "-r", str(generated), str(bad)], check=True)
    mpi_path = bad / YEAR / "MHS001MPI.csv"
    mpi = pd.read_csv(mpi_path, dtype=str, keep_default_na=False)
    mpi.loc[mpi.index % 10 < 7, "EthnicCategory"] = "99"  # 70% not known: below the 50% gate
    mpi.to_csv(mpi_path, index=False)
    outcome = run_year(_resource(bad, tmp_path))
    assert outcome.status == "blocked"
    assert "threshold 50%" in outcome.message
    assert not (tmp_path / "out" / YEAR).exists()


def test_cli_run_on_the_sample_publishes_everything(tmp_path):
    # Relative --out and --work, as `make run` uses them (out/ and .mhaudit/ under the working folder).
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    seed_work(tmp_path / "work")  # the earlier years' warehouses, as after a first run
    result = subprocess.run(
        MHAUDIT + ["run", "--extracts", str(ROOT / "data" / "sample"), "--out", "out", "--work", "work",
                   "--publication-date", "2025-07-15"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    latest = sorted(p.name for p in (ROOT / "data" / "sample").iterdir() if p.name[:2] == "20")[-1]
    published = tmp_path / "out" / latest
    for name in ("data/indicators.csv", "data/indicators.parquet", "data/data_quality.csv", "manifest.json",
                 "reports/ALL.pdf"):
        assert (published / name).is_file(), name
    assert "provider" in result.stderr and "published" in result.stderr  # the closing summary table
    assert "Traceback" not in result.stderr
    # Progress as it goes: each table loaded, each provider's data quality, each report rendered with
    # how many are done, the time so far and an estimate of the rest.
    for line in ("loaded MHS201CareContact", "validated data quality for RB6", "rendering 4 reports",
                 "rendered RB6 report", "rendered ALL report"):
        assert line in result.stderr, line
    rendered = [line for line in result.stderr.splitlines() if "rendered " in line]
    assert [re.search(r"report (\d) of 4, (\d+ min )?\d+ s elapsed", line).group(1) for line in rendered] == ["1", "2", "3", "4"]
    assert all("left" in line for line in rendered[:-1]) and "left" not in rendered[-1]


def test_cli_bad_input_exits_2_and_keeps_earlier_outputs(generated, materialised, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(materialised[2] / "out" / YEAR, out / YEAR)  # the earlier, good publication
    before = {p: p.read_bytes() for p in (out / YEAR).rglob("*") if p.is_file()}
    bad = tmp_path / "bad"
    subprocess.run(["cp", "-r", str(generated), str(bad)], check=True)
    path = bad / YEAR / "MHS401MHActPeriod.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[3], "2024-99-01", 1)
    path.write_text("\n".join(lines) + "\n")
    result = subprocess.run(MHAUDIT + ["run", "--extracts", str(bad), "--out", str(out), "--work",
                                       str(tmp_path / "w2"), "--publication-date", "2025-07-16"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "MHS401MHActPeriod.csv" in result.stderr and "line 4" in result.stderr
    assert "StartDateMHActLegalStatusClass" in result.stderr
    assert "Traceback" not in result.stderr
    after = {p: p.read_bytes() for p in (out / YEAR).rglob("*") if p.is_file()}
    assert after == before


def test_cli_help_shows_examples():
    for args in (["--help"], ["run", "--help"], ["validate", "--help"], ["synth", "--help"], ["verify", "--help"]):
        result = subprocess.run(MHAUDIT + args, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and "example" in result.stdout


def test_schedule_requests_the_year_that_ended_in_march(tmp_path):
    from datetime import datetime

    assert year_ended_before(datetime(2025, 7, 15)) == "2024-25"
    assert year_ended_before(datetime(2026, 2, 1)) == "2024-25"
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2025, 7, 15, 7))
        assert isinstance(annual_audit(context), dg.SkipReason)  # that year's extracts have not arrived
        instance.add_dynamic_partitions(financial_years.name, ["2024-25"])
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2025, 7, 15, 7))
        assert annual_audit(context).partition_key == "2024-25"


def test_sensor_adds_and_runs_each_newly_arrived_year(tmp_path):
    for year in ("2023-24", "2024-25"):
        (tmp_path / "ex" / year).mkdir(parents=True)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(financial_years.name, ["2023-24"])
        context = dg.build_sensor_context(instance=instance, cursor="registered",  # not its first evaluation
                                          resources={"audit_run": AuditRun(extracts=str(tmp_path / "ex"))})
        result = new_extract_years(context)
    assert [r.partition_key for r in result.run_requests] == ["2024-25"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["2024-25"]


def test_ui_partition_materialisation_equals_the_cli_and_verify_detects_changes(generated, materialised, tmp_path):
    result, _, ui = materialised
    assert result.success
    cli = tmp_path / "cli"
    result = subprocess.run(MHAUDIT + ["run", "--extracts", str(generated), "--year", YEAR, "--out", str(cli / "out"),
                                       "--work", str(cli / "work"), "--publication-date", "2025-07-15"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 3), result.stderr[-3000:]
    a, b = ui / "out" / YEAR, cli / "out" / YEAR
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files if f.suffix != ".html")

    ok = subprocess.run(MHAUDIT + ["verify", str(b)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "all files match" in ok.stderr
    with open(b / "data" / "indicators.csv", "a", encoding="utf-8") as fh:
        fh.write("tampered\n")
    bad = subprocess.run(MHAUDIT + ["verify", str(b)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "changed: data/indicators.csv" in bad.stdout


def test_cli_config_file_changes_the_thresholds_and_bad_config_exits_2(generated, tmp_path):
    config = tmp_path / "audit.toml"
    config.write_text("ethnicity_warn_below = 0.99\nethnicity_withhold_below = 0.95\n")
    result = subprocess.run(MHAUDIT + ["validate", "--extracts", str(generated), "--config", str(config),
                                       "--work", str(tmp_path / "w"), "--out", str(tmp_path / "o")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 3, result.stderr[-3000:]  # every provider is now below 95%
    assert "withheld" in result.stderr and not (tmp_path / "o" / YEAR).exists()
    config.write_text("ethnicity_warn_below = 0.99\nwithhold = 1\n")
    bad = subprocess.run(MHAUDIT + ["run", "--extracts", str(generated), "--config", str(config)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown setting(s) withhold" in bad.stderr
