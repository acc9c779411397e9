"""Quality: the Great Expectations gate in front of everything published."""


import dagster as dg
from dagster import AssetExecutionContext

from assets.ingest import DUCKDB_WRITER, raw_tables
from assets.partitions import financial_years
from assets.resources import AuditRun, run_log
from pipeline import audit

ETHNICITY_CHECK = "ethnic_category_mostly_valid"
# Advisory checks, one per suite after the gate's own: a failure warns, it never blocks.
SUITE_CHECKS = {
    "ethnic_category_mostly_valid_in_event_tables": "dq02_event_ethnicity",
    "fields_valid_and_dates_in_year": "dq03_fields_and_dates",
    "ids_unique_and_persons_known": "dq03_ids_and_persons",
}
DESCRIPTIONS = {
    "ethnic_category_mostly_valid_in_event_tables": "For every provider, persons with referrals, detentions and "
    "restrictive interventions, Talking Therapies referrals and survey respondents mostly have a valid ethnic category (DQ02).",
    "fields_valid_and_dates_in_year": "For every provider, coded fields hold valid codes, ends follow starts and "
    "event dates fall in the year (DQ03).",
    "ids_unique_and_persons_known": "For every provider, record ids are unique and every event's person is in the "
    "patient index (DQ03).",
}


@dg.asset(
    group_name="quality",
    deps=raw_tables,
    pool="duckdb",
    op_tags=DUCKDB_WRITER,
    partitions_def=financial_years,
    kinds={"duckdb", "great_expectations"},
    check_specs=[
        dg.AssetCheckSpec(
            ETHNICITY_CHECK,
            asset="ethnicity_recording",
            blocking=True,
            description="Across all providers, ethnic category is validly recorded for at least the withhold threshold of persons.",
        ),
        dg.AssetCheckSpec(
            "every_provider_publishable",
            asset="ethnicity_recording",
            description="No provider's report is withheld by the quality gate.",
        ),
        *[dg.AssetCheckSpec(name, asset="ethnicity_recording", description=DESCRIPTIONS[name]) for name in SUITE_CHECKS],
    ],
)
def ethnicity_recording(context: AssetExecutionContext, audit_run: AuditRun):
    """DQ01-DQ03 per provider, validated by Great Expectations, each provider's publish decision, data_quality.csv and the data docs behind the auditor's index."""
    spec = audit_run.spec(context.partition_key)
    with run_log(context):
        run = audit.validate(spec)
    share = audit.all_providers_share(spec)
    docs = dg.MetadataValue.path(str(spec.out / spec.year / "validation" / "index.html"))
    yield dg.MaterializeResult(metadata={
        "valid_share_all_providers": share,
        "decisions": dg.MetadataValue.json({d.provider: f"{d.decision}: {d.reason}" for d in run.decisions}),
        "withheld": sum(d.decision == "withhold" for d in run.decisions),
        "data_docs": docs,
    })
    threshold = spec.config.ethnicity_withhold_below
    yield dg.AssetCheckResult(
        check_name=ETHNICITY_CHECK,
        passed=share >= threshold,
        metadata={"valid_share": share, "threshold": threshold, "data_docs": docs},
        description=f"ethnicity valid for {share:.1%} of persons across all providers (threshold {threshold:.0%})",
    )
    withheld = {d.provider: d.reason for d in run.decisions if d.decision == "withhold"}
    yield dg.AssetCheckResult(
        check_name="every_provider_publishable",
        passed=not withheld,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"withheld": dg.MetadataValue.json(withheld), "data_docs": docs},
    )
    for name, suite in SUITE_CHECKS.items():
        passed, numbers = run.suite_outcome(suite)
        yield dg.AssetCheckResult(
            check_name=name,
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"percent_by_provider": dg.MetadataValue.json(numbers), "data_docs": docs},
        )
