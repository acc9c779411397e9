"""Ingest: one asset per extract table, loaded into the run's DuckDB warehouse."""


import dagster as dg
from dagster import AssetExecutionContext

from assets.partitions import financial_years
from assets.resources import AuditRun, run_log
from pipeline import audit
from pipeline.contract import ALL_TABLES, Table, sql_name


# One writer at a time per DuckDB file: the multiprocess executor limits this tag to 1.
DUCKDB_WRITER = {"mhaudit/duckdb": "writer"}


def raw_table_asset(table: Table, deps: tuple[dg.AssetsDefinition, ...] = ()) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"raw_{sql_name(table)}",
        group_name="ingest",
        deps=deps,
        description=f"{table.description}: the {table.name} extract loaded into DuckDB with the contract's types.",
        pool="duckdb",
        op_tags=DUCKDB_WRITER,
        partitions_def=financial_years,
        kinds={"duckdb"},
    )
    def _asset(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
        with run_log(context):
            loaded = audit.ingest(audit_run.spec(context.partition_key), table)
        return dg.MaterializeResult(metadata={"rows": loaded.rows, "file": loaded.path, "sha256": loaded.sha256})

    return _asset


# The patient index first: a run asked for a provider it does not list stops there (the other
# tables are not loaded), and so does a run whose patient index is bad input.
raw_patient_index = raw_table_asset(next(t for t in ALL_TABLES if t.name == "MHS001MPI"))
raw_tables = [raw_patient_index] + [raw_table_asset(t, (raw_patient_index,)) for t in ALL_TABLES if t.name != "MHS001MPI"]
