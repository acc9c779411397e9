"""Indicators: the catalogue computed by ethnic group, then disclosure-controlled for publication."""


import dagster as dg
from dagster import AssetExecutionContext

from assets.ingest import DUCKDB_WRITER
from assets.partitions import financial_years
from assets.quality import ethnicity_recording
from assets.resources import AuditRun
from pipeline import audit


@dg.asset(group_name="indicators", deps=[ethnicity_recording], pool="duckdb", op_tags=DUCKDB_WRITER,
          partitions_def=financial_years, kinds={"duckdb"})
def indicator_values(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """Every catalogue indicator per provider and for all providers, with intervals and ratios (unsuppressed, never published)."""
    values = audit.compute(audit_run.spec(context.partition_key))
    return dg.MaterializeResult(metadata={"rows": len(values), "indicators": sorted(values["indicator_id"].unique())})


@dg.asset(group_name="indicators", deps=[indicator_values], partitions_def=financial_years, kinds={"csv", "parquet"})
def published_indicators(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """The disclosure-controlled indicators.csv, indicators.parquet and data_quality.csv, staged for publication."""
    published = audit.publish_tables(audit_run.spec(context.partition_key))
    return dg.MaterializeResult(metadata={
        "rows": len(published),
        "suppressed_rows": int((published["suppressed"] != "").sum()),
    })
