"""A year's audit job on Dagster's multiprocess executor with a given number of worker processes,
as `dagster dev` runs it: every step, or (``reports``) only the report steps of a staged year.

    python -m benchmarks.fanout <extracts> <out> <work> <year> <workers> [reports]

Prints one JSON line: the run's wall time, how many reports it rendered and the span from the
first report step's start to the last one's end (seconds).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings

import dagster as dg

RENDER_STEP = "audit_report_pdfs.render_reports["


def main() -> None:
    extracts, out, work, year, workers = sys.argv[1:6]
    os.environ["MHAUDIT_WORKERS"] = workers  # read when the job's executor is built, here and in its steps
    from assets.definitions import audit_year
    from assets.partitions import financial_years

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)
        instance.add_dynamic_partitions(financial_years.name, [year])
        config = {"resources": {"audit_run": {"config": {"extracts": extracts, "out": out, "work": work,
                                                         "publication_date": "2025-07-15"}}},
                  "loggers": {"console": {"config": {"log_level": "ERROR"}}}}
        selection = [dg.AssetKey("audit_report_pdfs")] if sys.argv[6:] == ["reports"] else None
        started = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(audit_year), instance=instance, run_config=config,
                                tags={"dagster/partition": year}, asset_selection=selection)
        wall = time.perf_counter() - started
        if not result.success:
            sys.exit("the run failed")
        starts, ends = {}, {}
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is not None and (event.step_key or "").startswith(RENDER_STEP):
                if event.event_type_value == "STEP_START":
                    starts[event.step_key] = entry.timestamp
                elif event.event_type_value == "STEP_SUCCESS":
                    ends[event.step_key] = entry.timestamp
    print(json.dumps({"workers": int(workers), "wall": wall, "reports": len(ends),
                      "render_span": max(ends.values()) - min(starts.values())}))


if __name__ == "__main__":
    main()
