"""The counts behind every data-quality rule, aggregated in DuckDB (nothing row-level leaves it).

One long table, ``quality_measures``: provider (and ALL) x measure x table x field x check, with
the count of records (or persons) in that class and the total they are out of. The SQL lives in
``pipeline/sql/dq*.sql``; DQ03 files are templates over the contract's table and column names
(identifiers only: values are always bound parameters).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline import contract
from pipeline.quality.rules import AGE_RANGE, DATE_PAIRS, EVENT_POPULATIONS, Rule, dq03_rules
from pipeline.warehouse import query, run_sql, sql_text, strip_comments, year_params

COLUMNS = ["provider", "measure", "table", "field", "check", "count", "total"]
STATUSES = list(contract.ETHNICITY_STATUSES)


def build_measures(con: duckdb.DuckDBPyConnection, year: str, providers: list[str]) -> pd.DataFrame:
    """Every DQ01-DQ03 count for ``providers`` and ALL (all providers in the extract), stored as
    ``quality_measures`` in the warehouse and returned."""
    params = year_params(year)
    frame = pd.concat([_dq01(con), _dq02(con, params), _dq03(con, params)], ignore_index=True)
    frame = frame[frame["provider"].isin(providers + ["ALL"])]
    frame = _complete(frame, providers + ["ALL"])
    con.register("_measures", frame)
    con.execute("CREATE OR REPLACE TABLE quality_measures AS SELECT * FROM _measures").fetchall()
    con.unregister("_measures")
    return frame


def _dq01(con) -> pd.DataFrame:
    wide = query(con, "SELECT * FROM dq01_ethnicity_recording")
    long = wide.melt(id_vars=["provider", "persons"], value_vars=STATUSES, var_name="check", value_name="count")
    return long.rename(columns={"persons": "total"}).assign(measure="DQ01", table="MHS001MPI", field="EthnicCategory")


def _dq02(con, params: dict) -> pd.DataFrame:
    run_sql(con, sql_text("dq02_event_ethnicity"), params)
    counts = query(con, "SELECT tbl AS \"table\", provider, status AS \"check\", n AS count FROM dq02_event_ethnicity")
    counts["total"] = counts.groupby(["table", "provider"])["count"].transform("sum")
    return counts.assign(measure="DQ02", field="EthnicCategory")


def _dq03(con, params: dict) -> pd.DataFrame:
    con.execute("CREATE OR REPLACE TEMP TABLE dq_mpi_persons AS SELECT DISTINCT OrgIDProv, Person_ID FROM mhs001mpi")
    parts = []
    rules = dq03_rules()
    for rule in rules:
        if rule.check != "unknown_person":
            frame = _run_check(con, rule, params)
            parts.append(frame.assign(measure="DQ03", table=rule.table, field=rule.field, check=rule.check))
    parts.append(_unknown_persons(con, [r for r in rules if r.check == "unknown_person"]))
    frame = pd.concat(parts, ignore_index=True)
    totals = frame.groupby(["measure", "table", "field", "check"], as_index=False)[["count", "total"]].sum(min_count=1)
    return pd.concat([frame, totals.assign(provider="ALL")], ignore_index=True)


def _run_check(con, rule: Rule, params: dict) -> pd.DataFrame:
    """One DQ03 template filled with the rule's (contract-checked) table and column names."""
    table = contract.table(rule.table)
    # 'present' and key checks name no single column.
    column = _column(table, rule.field) if rule.field in table.column_names else ""
    names = {"table": contract.sql_name(table), "column": column}
    bound: dict = {}
    if rule.check == "present":
        template = "dq03_table_rows"
    elif rule.check == "invalid" and rule.field == "AgeRepPeriodEnd":
        template, bound = "dq03_invalid_age", {"lo": AGE_RANGE[0], "hi": AGE_RANGE[1]}
    elif rule.check == "invalid" and rule.field == "LADistrictAuth":
        template = "dq03_unknown_la"
    elif rule.check == "invalid":
        template, bound = "dq03_invalid_code", {"codes": list(table.column(rule.field).codes)}
    elif rule.check == "end_before_start":
        start = next(s for t, s, e in DATE_PAIRS if t == rule.table and e == rule.field)
        template, names["start"], names["end"] = "dq03_end_before_start", _column(table, start), names["column"]
    elif rule.check == "outside_year":
        template, bound = "dq03_outside_year", {"start": params["start"], "end": params["end"]}
    elif rule.check == "empty_stratum":
        template, bound = "dq03_empty_stratum", {"sexes": list(contract.SEX_CODES), "bands": list(contract.AGE_BANDS)}
    elif rule.check == "duplicate_key":
        template, names["key"] = "dq03_duplicate_key", ", ".join(_column(table, c) for c in table.key)
    else:
        raise ValueError(f"no DQ03 template for check {rule.check!r}")
    text = strip_comments(sql_text(template)).format(**names)
    return con.execute(text, bound).df()


def _unknown_persons(con, rules: list[Rule]) -> pd.DataFrame:
    """Every event table's unknown-person check in one query (one join against the patient index)."""
    tables = [contract.table(r.table) for r in rules]
    # The table's position in the list is the only number formatted into the SQL.
    events = " UNION ALL ".join(
        f"SELECT {i} AS t, OrgIDProv, {_column(t, 'Person_ID')} AS Person_ID FROM {contract.sql_name(t)}"
        for i, t in enumerate(tables)
    )
    frame = con.execute(strip_comments(sql_text("dq03_unknown_person")).format(events=events)).df()
    frame["table"] = frame.pop("t").map(dict(enumerate(r.table for r in rules)))
    return frame.assign(measure="DQ03", field="Person_ID", check="unknown_person")


def _column(table: contract.Table, name: str) -> str:
    table.column(name)  # raises for a name the contract does not declare
    return f'"{name}"'


def _complete(frame: pd.DataFrame, providers: list[str]) -> pd.DataFrame:
    """A row for every provider and check, so a provider with no records shows zeros, not a gap."""
    keys = frame[["measure", "table", "field", "check"]].drop_duplicates()
    expected = _expected_keys()
    keys = pd.concat([expected, keys]).drop_duplicates()
    grid = keys.merge(pd.DataFrame({"provider": providers}), how="cross")
    out = grid.merge(frame, on=["provider", "measure", "table", "field", "check"], how="left")
    out["count"] = out["count"].fillna(0).astype("int64")
    # The ethnicity classes partition their population, so its total is their sum.
    classes = out["measure"].isin(["DQ01", "DQ02"])
    out.loc[classes, "total"] = out[classes].groupby(["provider", "measure", "table"])["count"].transform("sum")
    present = out["check"] == "present"
    out["total"] = out["total"].where(present, out["total"].fillna(0)).astype("Int64")
    order = {p: i for i, p in enumerate(providers)}
    out = out.sort_values(["provider", "measure"], key=lambda s: s.map(order) if s.name == "provider" else s,
                          kind="stable")
    return out[COLUMNS].reset_index(drop=True)


def _expected_keys() -> pd.DataFrame:
    rows = [("DQ01", "MHS001MPI", "EthnicCategory", s) for s in STATUSES]
    rows += [("DQ02", t, "EthnicCategory", s) for t, _, _ in EVENT_POPULATIONS for s in STATUSES]
    rows += [(r.measure, r.table, r.field, r.check) for r in dq03_rules()]
    return pd.DataFrame(rows, columns=["measure", "table", "field", "check"])
