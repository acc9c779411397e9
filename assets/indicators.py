"""Indicators: the catalogue computed by ethnic group, then disclosure-controlled for publication."""

from __future__ import annotations

import dagster as dg

from assets.quality import ethnicity_recording
from assets.resources import AuditRun
from pipeline import audit


@dg.asset(group_name="indicators", deps=[ethnicity_recording], pool="duckdb", kinds={"duckdb"})
def indicator_values(audit_run: AuditRun) -> dg.MaterializeResult:
    """Every catalogue indicator per provider and for all providers, with intervals and ratios (unsuppressed, never published)."""
    values = audit.compute(audit_run.spec())
    return dg.MaterializeResult(metadata={"rows": len(values), "indicators": sorted(values["indicator_id"].unique())})


@dg.asset(group_name="indicators", deps=[indicator_values], kinds={"csv", "parquet"})
def published_indicators(audit_run: AuditRun) -> dg.MaterializeResult:
    """The disclosure-controlled indicators.csv, indicators.parquet and data_quality.csv, staged for publication."""
    published = audit.publish_tables(audit_run.spec())
    return dg.MaterializeResult(metadata={
        "rows": len(published),
        "suppressed_rows": int((published["suppressed"] != "").sum()),
    })
