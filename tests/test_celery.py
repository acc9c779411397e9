"""The same job on Dagster's Celery executor (Redis broker, two workers on loopback) publishes
byte-identical outputs to the in-process run, each report rendered by a step of its own and the
year's reports spread over both workers. The test starts and stops every server itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, sample_years, seed_work
from servers import free_port, start, stop

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server not installed (make test installs it)")
BIN = Path(sys.executable).parent


LAUNCH = """
import json
import sys
import dagster as dg
from assets.definitions import audit_year
from assets.partitions import financial_years
year, extracts, out, work = sys.argv[1:5]
instance = dg.DagsterInstance.get()
instance.add_dynamic_partitions(financial_years.name, [year])
config = {"resources": {"audit_run": {"config": {"extracts": extracts, "out": out, "work": work,
                                                 "publication_date": "2025-07-15"}}}}
result = dg.execute_job(dg.reconstructable(audit_year), instance=instance, run_config=config,
                        tags={"dagster/partition": year})
# which process rendered each report (its step's output metadata)
rendered_by = {}
for entry in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_OUTPUT):
    event = entry.dagster_event
    if event.step_key.startswith("audit_report_pdfs.render_reports["):
        rendered_by[event.step_key] = event.event_specific_data.metadata["rendered_by"].value
print(json.dumps(rendered_by))
sys.exit(0 if result.success else 1)
"""


def test_celery_run_equals_the_in_process_run(tmp_path, published_sample):
    """The in-process run is the session's publication of the latest sample year (same extracts,
    publication date and configuration); the Celery run's work folder holds the earlier years'
    warehouses, as a data team's does after its first run."""
    year = sample_years()[-1]
    local = published_sample
    seed_work(tmp_path / "celery" / "work")

    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "MHAUDIT_EXECUTOR": "celery", "MHAUDIT_CELERY_BROKER": broker,
           "GX_ANALYTICS_ENABLED": "false", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    worker_config = tmp_path / "celery.yaml"
    worker_config.write_text(yaml.safe_dump({"execution": {"config": {"broker": broker, "backend": broker}}}))
    # create the instance's storage once, before three processes race to create it
    subprocess.run([sys.executable, "-c", "import dagster; dagster.DagsterInstance.get().get_runs()"],
                   env=env, cwd=ROOT, check=True, timeout=120)
    procs = [start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                    env, tmp_path / "redis.log")]
    try:
        time.sleep(1)
        for name in ("w1", "w2"):
            procs.append(start([str(BIN / "dagster-celery"), "worker", "start", "-y", str(worker_config),
                                 "-n", f"{name}@mhaudit", "-A", "dagster_celery.app", "-l", "warning",
                                 # one task at a time each: the year's reports must go to both workers
                                 "--", "--concurrency=1"],
                                env, tmp_path / f"{name}.log"))
        time.sleep(8)
        assert all(p.poll() is None for p in procs), (tmp_path / "w1.log").read_text()[-3000:]
        run = subprocess.run([sys.executable, "-c", LAUNCH, year, str(ROOT / "data" / "sample"),
                              str(tmp_path / "celery" / "out"), str(tmp_path / "celery" / "work")],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-4000:] + (tmp_path / "w1.log").read_text()[-2000:]
        # each report's step ran in a process of one of the workers (each worker is its own process group)
        rendered_by = json.loads(run.stdout.strip().splitlines()[-1])
        workers = {procs[1].pid: "w1", procs[2].pid: "w2"}
        by_worker = {step: workers.get(_process_group(int(by.rsplit(" ", 1)[1]))) for step, by in rendered_by.items()}
    finally:
        for proc in reversed(procs):
            stop(proc)
    worker_logs = (tmp_path / "w1.log").read_text() + (tmp_path / "w2.log").read_text()
    assert "Traceback" not in worker_logs, worker_logs[-3000:]

    reports = sorted(p.stem for p in (local / "reports").glob("*.pdf"))
    assert sorted(by_worker) == [f"audit_report_pdfs.render_reports[{code}]" for code in reports]
    assert set(by_worker.values()) == {"w1", "w2"}, by_worker  # both workers rendered reports of the year

    remote = tmp_path / "celery" / "out" / year
    files = sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(remote) for p in remote.rglob("*") if p.is_file())
    # Every published file, the data docs and the manifest included, is byte for byte the same.
    different = [str(f) for f in files if (local / f).read_bytes() != (remote / f).read_bytes()]
    assert different == []


def _process_group(pid: int) -> int | None:
    """The process group of a live process (from /proc), else None."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None
