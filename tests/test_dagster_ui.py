"""The Dagster UI as a new data-team member meets it: a fresh `dagster dev` lists the extracts' years
as partitions with no manual step, and a year typed into 'Add a partition' with no extracts is
refused before any step starts, the reason in the run's failure. Also the sensor's two behaviours
and the executor's guard, evaluated directly."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import financial_years, new_extract_years
from assets.resources import AuditRun
from conftest import ROOT, SAMPLE, sample_years
from servers import free_port, start, stop

BIN = Path(os.sys.executable).parent
REPOSITORY = {"repositoryLocationName": "mhaudit", "repositoryName": "__repository__"}


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"query": query, "variables": variables or {}}).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


PARTITIONS = """query { partitionSetsOrError(repositorySelector: {repositoryLocationName: "mhaudit",
  repositoryName: "__repository__"}, pipelineName: "audit_year") {
  ... on PartitionSets { results { partitionsOrError { ... on Partitions { results { name } } } } } } }"""
ADD = """mutation($key: String!) { addDynamicPartition(repositorySelector: {repositoryLocationName: "mhaudit",
  repositoryName: "__repository__"}, partitionsDefName: "financial_year", partitionKey: $key) { __typename } }"""
LAUNCH = """mutation($key: String!) { launchRun(executionParams: {selector: {repositoryLocationName: "mhaudit",
  repositoryName: "__repository__", jobName: "audit_year"}, runConfigData: "{}",
  executionMetadata: {tags: [{key: "dagster/partition", value: $key}]}}) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
EVENTS = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events { __typename
  ... on RunFailureEvent { message error { message } } } } } }"""
RUNS = """query { runsOrError { ... on Runs { results { runId } } } }"""


def _partitions(port: int) -> list[str]:
    sets = _graphql(port, PARTITIONS)["partitionSetsOrError"]["results"]
    return [p["name"] for p in sets[0]["partitionsOrError"]["results"]] if sets else []


@pytest.fixture
def dagster_dev(tmp_path):
    """`dagster dev` (webserver and daemon) in the repository, with a new instance and nothing added."""
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "MHAUDIT_EXTRACTS": str(SAMPLE), "MHAUDIT_OUT": str(tmp_path / "out"),
           "MHAUDIT_WORK": str(tmp_path / "work"), "GX_ANALYTICS_ENABLED": "false"}
    proc = start([str(BIN / "dagster"), "dev", "-p", str(port)], env, tmp_path / "dev.log")
    try:
        yield port, proc, tmp_path / "dev.log"
    finally:
        stop(proc)


def _wait(condition, proc, log: Path, limit: float = 240):
    """Poll ``condition`` until it holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            found = condition()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"not reached within {limit} s: {log.read_text()[-3000:]}")


def test_fresh_dagster_dev_lists_the_years_and_refuses_one_without_extracts(dagster_dev):
    port, proc, log = dagster_dev
    years = _wait(lambda: _partitions(port), proc, log)
    assert years == sample_years()  # the sensor, running from the start, registered them: no manual step
    assert _graphql(port, RUNS)["runsOrError"]["results"] == []  # and started no run for them

    _graphql(port, ADD, {"key": "2030-31"})  # what 'Add a partition' does, accepting any key
    launched = _graphql(port, LAUNCH, {"key": "2030-31"})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = _wait(lambda: _graphql(port, RUN, {"id": run_id})["runOrError"]["status"] in ("FAILURE", "SUCCESS")
                   and _graphql(port, RUN, {"id": run_id})["runOrError"]["status"], proc, log)
    assert status == "FAILURE"
    events = _graphql(port, EVENTS, {"id": run_id})["logsForRun"]["events"]
    kinds = {e["__typename"] for e in events}
    assert "ExecutionStepStartEvent" not in kinds and "RunFailureEvent" in kinds, kinds
    failure = next(e for e in events if e["__typename"] == "RunFailureEvent")
    assert "there are no extracts for 2030-31" in failure["error"]["message"]
    assert "found: " + ", ".join(sample_years()) in failure["error"]["message"]


def test_sensor_first_registers_the_years_present_then_runs_each_that_arrives(tmp_path):
    assert new_extract_years.default_status == dg.DefaultSensorStatus.RUNNING
    extracts = tmp_path / "ex"
    for year in ("2023-24", "2024-25"):
        (extracts / year).mkdir(parents=True)
    resources = {"audit_run": AuditRun(extracts=str(extracts))}
    with dg.instance_for_test() as instance:
        first = new_extract_years(dg.build_sensor_context(instance=instance, resources=resources))
        assert first.dynamic_partitions_requests[0].partition_keys == ["2023-24", "2024-25"]
        assert first.run_requests == []
        instance.add_dynamic_partitions(financial_years.name, ["2023-24", "2024-25"])
        (extracts / "2025-26").mkdir()
        later = new_extract_years(dg.build_sensor_context(instance=instance, resources=resources, cursor="registered"))
        assert later.dynamic_partitions_requests[0].partition_keys == ["2025-26"]
        assert [r.partition_key for r in later.run_requests] == ["2025-26"]


LAUNCH_JOB = """
import sys
import dagster as dg
from assets.definitions import audit_year
from assets.partitions import financial_years
year, extracts, out, work = sys.argv[1:5]
instance = dg.DagsterInstance.get()
instance.add_dynamic_partitions(financial_years.name, [year])
config = {"resources": {"audit_run": {"config": {"extracts": extracts, "out": out, "work": work}}}}
result = dg.execute_job(dg.reconstructable(audit_year), instance=instance, run_config=config,
                        tags={"dagster/partition": year})
failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
print(sorted({e.event_type_value for e in result.all_events}))
print(failure.job_failure_data.error.message)
"""


def test_the_job_refuses_a_year_without_extracts_before_any_step(tmp_path):
    """The job's own executor (multiprocess here), not only the UI, refuses the year."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "GX_ANALYTICS_ENABLED": "false"}
    result = subprocess.run([os.sys.executable, "-c", LAUNCH_JOB, "2019-20", str(SAMPLE), str(tmp_path / "out"),
                             str(tmp_path / "work")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    kinds, message = result.stdout.strip().splitlines()[-2:]
    assert "STEP_START" not in kinds and "PIPELINE_FAILURE" in kinds
    assert "there are no extracts for 2019-20" in message
    assert not (tmp_path / "out").exists() and not (tmp_path / "work").exists()
