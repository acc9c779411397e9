"""Financial years as partitions, the annual schedule and the sensor for newly arrived years."""

from pathlib import Path

import dagster as dg

from assets.resources import AuditRun
from pipeline.contract import financial_year
from pipeline.load import available_years

financial_years = dg.DynamicPartitionsDefinition(name="financial_year")

audit_year_job = dg.define_asset_job(
    "audit_year",
    selection=dg.AssetSelection.all(),
    partitions_def=financial_years,
    description="Validate, compute and publish one financial year.",
)


def year_ended_before(day) -> str:
    """The financial year that ended on the 31 March before ``day``."""
    return financial_year(day.year - 1 if day.month > 3 else day.year - 2)


# Each July the audit runs for the financial year that ended in March, once that year's
# extracts have arrived (MHSDS data for March is final by then).
@dg.schedule(cron_schedule="0 7 15 7 *", job=audit_year_job, execution_timezone="Europe/London")
def annual_audit(context: dg.ScheduleEvaluationContext):
    year = year_ended_before(context.scheduled_execution_time)
    if not context.instance.has_dynamic_partition(financial_years.name, year):
        return dg.SkipReason(f"no extracts for {year} yet: the new_extract_years sensor adds the year when they arrive")
    return dg.RunRequest(run_key=f"annual-{year}", partition_key=year)


@dg.sensor(job=audit_year_job, minimum_interval_seconds=3600)
def new_extract_years(context: dg.SensorEvaluationContext, audit_run: AuditRun):
    """Adds a partition, and starts its run, for every year folder that appears in the extracts."""
    extracts = Path(audit_run.extracts)
    known = set(context.instance.get_dynamic_partitions(financial_years.name))
    new = [y for y in available_years(extracts) if y not in known] if extracts.is_dir() else []
    if not new:
        return dg.SkipReason(f"no new financial year in {extracts}")
    return dg.SensorResult(
        dynamic_partitions_requests=[financial_years.build_add_request(new)],
        run_requests=[dg.RunRequest(run_key=f"arrived-{y}", partition_key=y) for y in new],
    )
