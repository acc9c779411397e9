"""The one Definitions object of mhaudit (workspace.yaml and [tool.dagster] point here)."""

from __future__ import annotations

import os

import dagster as dg

from assets.indicators import indicator_counts, published_indicators
from assets.ingest import raw_tables
from assets.partitions import annual_audit, audit_year_job, new_extract_years, only_years_with_extracts
from assets.quality import ethnicity_recording
from assets.reports import audit_report_pdfs, publication
from assets.resources import AuditRun

all_assets = [*raw_tables, ethnicity_recording, indicator_counts, published_indicators, audit_report_pdfs, publication]


# What a step of the multiprocess executor would import: imported once, by the forkserver each step
# is forked from. Named, because left out Dagster preloads only its executor (an empty list, not the
# job's module), and each step imported the code location, WeasyPrint and the instance's storage
# again: about 2.5 CPU-s a step. A name that no longer imports is skipped by the forkserver.
STEP_MODULES = ["assets.definitions", "pipeline.report.render", "pipeline.report.viewmodel", "pipeline.report.pdf_tags",
                "pipeline.report.svg_text", "weasyprint", "dagster._core.storage.sqlite_storage",
                "dagster._core.storage.local_compute_log_manager"]


def executor_from_environment() -> dg.ExecutorDefinition:
    """The executor chosen by configuration (MHAUDIT_EXECUTOR).

    ``multiprocess`` (default): steps in parallel on this machine (MHAUDIT_WORKERS at a time, default
    one per core; each report is a step), one DuckDB writer at a time.
    ``celery``: steps on Celery workers through a broker (MHAUDIT_CELERY_BROKER, default a
    local Redis); each report of a year is a step of its own, so a year's reports spread over every
    worker; steps of one year that need the same DuckDB file wait for each other
    (pipeline.warehouse.connect).
    """
    if os.environ.get("MHAUDIT_EXECUTOR", "multiprocess") == "celery":
        from dagster_celery import celery_executor

        broker = os.environ.get("MHAUDIT_CELERY_BROKER", "redis://127.0.0.1:6379/0")
        return celery_executor.configured({"broker": broker, "backend": os.environ.get("MHAUDIT_CELERY_BACKEND", broker)})
    return dg.multiprocess_executor.configured({
        "max_concurrent": int(os.environ.get("MHAUDIT_WORKERS") or os.cpu_count() or 2),
        "tag_concurrency_limits": [{"key": "mhaudit/duckdb", "value": "writer", "limit": 1}],
        # Steps fork from a server that has imported the code once (a spawned step imports it again:
        # about 3 s each, as long as a report takes to render).
        "start_method": {"forkserver": {"preload_modules": STEP_MODULES}},
    })


executor = only_years_with_extracts(executor_from_environment())

defs = dg.Definitions(
    assets=all_assets,
    jobs=[audit_year_job],
    schedules=[annual_audit],
    sensors=[new_extract_years],
    resources={"audit_run": AuditRun()},
    executor=executor,
)


def audit_year() -> dg.JobDefinition:
    """The audit job, resolved, for launching outside the webserver (e.g. on Celery)."""
    return defs.resolve_job_def("audit_year")
