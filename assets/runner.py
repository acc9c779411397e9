"""Materialise the asset graph for one year in-process and say how it ended (used by the CLI)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import dagster as dg

from assets.definitions import all_assets
from assets.partitions import financial_years
from assets.quality import ETHNICITY_CHECK
from assets.resources import AuditRun

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class Outcome:
    status: str  # published | blocked | bad_input | failed
    message: str = ""
    error_class: str = ""
    traceback: str = ""


def run_year(audit_run: AuditRun, selection: list[str] | None = None) -> Outcome:
    """Run the assets (or a selection of them) for the resource's year and classify the result."""
    year = audit_run.spec().year
    # The in-process executor runs one step at a time: render the reports in one step, on a pool.
    audit_run = AuditRun(**{**audit_run.model_dump(), "report_steps": "year"})
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(financial_years.name, [year])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = dg.materialize(
            all_assets,
            resources={"audit_run": audit_run},
            run_config=QUIET,
            raise_on_error=False,
            selection=selection,
            instance=instance,
            partition_key=year,
        )
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name == ETHNICITY_CHECK and not evaluation.passed:
            return Outcome("blocked", evaluation.description or "the ethnicity recording check failed")
    if result.success:
        return Outcome("published")
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            # Dagster wraps what the step raised: report that, the first error that is not Dagster's
            # own (a deeper cause is what it was raised from, e.g. an OSError before its path was added).
            while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
                error = error.cause
            prefix, _, rest = error.message.partition(": ")  # 'module.Class: message'
            message = (rest if rest and prefix.endswith(error.cls_name or "?") else error.message).strip()
            status = "bad_input" if error.cls_name in ("BadInput", "ConfigError", "LockHeld") else "failed"
            return Outcome(status, message, error.cls_name or "", error.to_string())
    return Outcome("failed", "the run failed before any step started")
