"""Ingest: one asset per extract table, loaded into the run's DuckDB warehouse."""

from __future__ import annotations

import dagster as dg

from assets.resources import AuditRun
from pipeline import audit
from pipeline.contract import ALL_TABLES, Table, sql_name


def raw_table_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"raw_{sql_name(table)}",
        group_name="ingest",
        description=f"{table.description}: the {table.name} extract loaded into DuckDB with the contract's types.",
        pool="duckdb",
        kinds={"duckdb"},
    )
    def _asset(audit_run: AuditRun) -> dg.MaterializeResult:
        loaded = audit.ingest(audit_run.spec(), table)
        return dg.MaterializeResult(metadata={"rows": loaded.rows, "file": loaded.path, "sha256": loaded.sha256})

    return _asset


raw_tables = [raw_table_asset(t) for t in ALL_TABLES]
