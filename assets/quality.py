"""Quality: the Great Expectations gate in front of everything published."""


import dagster as dg
from dagster import AssetExecutionContext

from assets.ingest import DUCKDB_WRITER, raw_tables
from assets.partitions import financial_years
from assets.resources import AuditRun
from pipeline import audit

ETHNICITY_CHECK = "ethnic_category_mostly_valid"


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
            description="No provider falls below the withhold threshold for ethnicity recording.",
        ),
    ],
)
def ethnicity_recording(context: AssetExecutionContext, audit_run: AuditRun):
    """DQ01 per provider: ethnicity recording validated by Great Expectations, and each provider's publish decision."""
    spec = audit_run.spec(context.partition_key)
    decisions = audit.validate(spec)
    share = audit.all_providers_share(spec)
    by_provider = {d.provider: f"{d.decision}: {d.reason}" for d in decisions}
    yield dg.MaterializeResult(metadata={
        "valid_share_all_providers": share,
        "decisions": dg.MetadataValue.json(by_provider),
        "withheld": sum(d.decision == "withhold" for d in decisions),
    })
    threshold = spec.config.ethnicity_withhold_below
    yield dg.AssetCheckResult(
        check_name=ETHNICITY_CHECK,
        passed=share >= threshold,
        metadata={"valid_share": share, "threshold": threshold},
        description=f"ethnicity valid for {share:.1%} of persons across all providers (threshold {threshold:.0%})",
    )
    withheld = [d.provider for d in decisions if d.decision == "withhold"]
    yield dg.AssetCheckResult(
        check_name="every_provider_publishable",
        passed=not withheld,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"withheld": dg.MetadataValue.json(withheld)},
    )
