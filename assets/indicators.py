"""Indicators: the catalogue's exact counts by ethnic group, then the published figures derived from the
disclosure-controlled counts."""


import dagster as dg
from dagster import AssetExecutionContext

from assets.ingest import DUCKDB_WRITER
from assets.partitions import financial_years
from assets.quality import ethnicity_recording
from assets.resources import AuditRun, run_log
from pipeline import audit


@dg.asset(group_name="indicators", deps=[ethnicity_recording], pool="duckdb", op_tags=DUCKDB_WRITER,
          partitions_def=financial_years, kinds={"duckdb"})
def indicator_counts(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """Every catalogue indicator's exact counts per provider and for all providers (kept in the warehouse, never published)."""
    with run_log(context):
        counts = audit.compute(audit_run.spec(context.partition_key))
    return dg.MaterializeResult(metadata={"rows": len(counts), "indicators": sorted(counts["indicator_id"].unique())})


@dg.asset(group_name="indicators", deps=[indicator_counts], partitions_def=financial_years, kinds={"csv", "parquet"})
def published_indicators(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """indicators.csv and .parquet (disclosure-controlled counts and every figure derived from them), the spreadsheet and datapackage.json, staged for publication."""
    with run_log(context):
        published = audit.publish_tables(audit_run.spec(context.partition_key))
    return dg.MaterializeResult(metadata={
        "rows": len(published),
        "suppressed_rows": int((published["suppressed"] != "").sum()),
    })
