"""The one Definitions object of mhaudit (workspace.yaml and [tool.dagster] point here)."""

from __future__ import annotations

import dagster as dg

from assets.indicators import indicator_values, published_indicators
from assets.ingest import raw_tables
from assets.partitions import annual_audit, audit_year_job, new_extract_years
from assets.quality import ethnicity_recording
from assets.reports import audit_report_pdfs, publication
from assets.resources import AuditRun

all_assets = [*raw_tables, ethnicity_recording, indicator_values, published_indicators, audit_report_pdfs, publication]

# Parallel steps in the UI never fight over a year's DuckDB file: one writer at a time.
executor = dg.multiprocess_executor.configured({
    "max_concurrent": 2,
    "tag_concurrency_limits": [{"key": "mhaudit/duckdb", "value": "writer", "limit": 1}],
})

defs = dg.Definitions(
    assets=all_assets,
    jobs=[audit_year_job],
    schedules=[annual_audit],
    sensors=[new_extract_years],
    resources={"audit_run": AuditRun()},
    executor=executor,
)
