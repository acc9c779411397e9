"""Run a year's audit job (or its reports) on Dagster's multiprocess executor: python -m benchmarks.fanout
<extracts> <out> <work> <year> <workers> [reports]. Prints the run's wall time and each step's."""

from __future__ import annotations

import os
import sys
import tempfile
import time

import dagster as dg


def main() -> None:
    extracts, out, work, year, workers = sys.argv[1:6]
    only_reports = sys.argv[6:] == ["reports"]
    os.environ["MHAUDIT_WORKERS"] = workers
    from assets.definitions import audit_year
    from assets.partitions import financial_years

    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)
        instance.add_dynamic_partitions(financial_years.name, [year])
        config = {"resources": {"audit_run": {"config": {"extracts": extracts, "out": out, "work": work,
                                                         "publication_date": "2025-07-15"}}},
                  "loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        started = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(audit_year), instance=instance, run_config=config,
                                tags={"dagster/partition": year},
                                asset_selection=[dg.AssetKey("audit_report_pdfs")] if only_reports else None)
        wall = time.perf_counter() - started
        steps = {}
        for event in instance.all_logs(result.run_id):
            dagster_event = event.dagster_event
            if dagster_event is None or dagster_event.step_key is None:
                continue
            if dagster_event.event_type_value == "STEP_START":
                steps[dagster_event.step_key] = [event.timestamp, None]
            elif dagster_event.event_type_value == "STEP_SUCCESS":
                steps[dagster_event.step_key][1] = event.timestamp
        print(f"success={result.success} wall={wall:.1f}")
        for key, (start, end) in steps.items():
            print(f"  {key:60} {(end or start) - start:7.1f}")


if __name__ == "__main__":
    main()
