"""Financial years as partitions, the annual schedule, the sensor for the years in the extracts,
and the executor guard that refuses a year with no extracts before any step starts."""

from pathlib import Path

import dagster as dg

from assets.resources import AuditRun
from pipeline.contract import financial_year
from pipeline.load import available_years, input_files

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


# Running from the start, so a fresh UI lists the years in the extracts without a manual step.
@dg.sensor(job=audit_year_job, minimum_interval_seconds=3600, default_status=dg.DefaultSensorStatus.RUNNING)
def new_extract_years(context: dg.SensorEvaluationContext, audit_run: AuditRun):
    """Adds a partition for every year folder in the extracts. Its first evaluation registers the
    years already there (run them from the UI); after that a year that arrives is added and run."""
    extracts = Path(audit_run.extracts)
    known = set(context.instance.get_dynamic_partitions(financial_years.name))
    new = [y for y in available_years(extracts) if y not in known] if extracts.is_dir() else []
    first = context.cursor is None
    context.update_cursor("registered")
    if not new:
        return dg.SkipReason(f"no new financial year in {extracts}")
    add = [financial_years.build_add_request(new)]
    if first:
        return dg.SensorResult(dynamic_partitions_requests=add,
                               skip_reason=f"registered {', '.join(new)} as partitions: launch them from the UI")
    return dg.SensorResult(dynamic_partitions_requests=add,
                           run_requests=[dg.RunRequest(run_key=f"arrived-{y}", partition_key=y) for y in new])


class YearsWithExtracts(dg.Executor):
    """The wrapped executor, started only when the run's year has extracts: a year typed into 'Add a
    partition' with none is refused before any step starts, the reason in the run's failure."""

    def __init__(self, inner: dg.Executor) -> None:
        self.inner = inner

    def execute(self, plan_context, execution_plan):
        year = plan_context.dagster_run.tags.get("dagster/partition")
        if year:
            config = plan_context.run_config.get("resources", {}).get("audit_run", {}).get("config", {})
            input_files(Path(AuditRun(**config).extracts), year)  # BadInput names the folder and the years there
        yield from self.inner.execute(plan_context, execution_plan)

    def __getattr__(self, name: str):
        # everything else is the wrapped executor's (the Celery executor's workers read its broker,
        # backend and app arguments from the run's executor)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def retries(self):
        return self.inner.retries

    @property
    def step_dependency_config(self):
        return self.inner.step_dependency_config


def only_years_with_extracts(executor: dg.ExecutorDefinition) -> dg.ExecutorDefinition:
    """``executor`` (with its configuration) behind the :class:`YearsWithExtracts` guard."""
    return dg.ExecutorDefinition(
        name=executor.name, config_schema=executor.config_schema, requirements=executor.get_requirements,
        executor_creation_fn=lambda init: YearsWithExtracts(executor.executor_creation_fn(init)),
        description=executor.description,
    )
