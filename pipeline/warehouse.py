"""The DuckDB warehouse of one run: connection, reference tables from the contract, SQL files.

SQL lives in ``pipeline/sql/<step>.sql`` with bound parameters (``$start``); values are never
formatted into SQL text. Reference tables (ethnic categories, census groups, age bands) are
built from :mod:`pipeline.contract` so the SQL never restates a code list.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from pipeline import contract
from pipeline.config import AuditConfig

SQL_DIR = Path(__file__).parent / "sql"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@contextmanager
def connect(path: Path | str, read_only: bool = False, wait: float = 900) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the run's DuckDB file, closed afterwards.

    DuckDB allows one writing process per file. When another step (in another process or on
    another worker of a distributed executor) holds it, wait for it rather than fail.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    con.execute("SET enable_progress_bar = false").fetchall()
    try:
        yield con
    finally:
        con.close()


def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, text: str, params: dict | None = None) -> None:
    """Run every statement of a SQL text, binding only the parameters each statement names."""
    params = params or {}
    for statement in _statements(text):
        names = set(_PARAM.findall(statement))
        missing = names - params.keys()
        if missing:
            raise KeyError(f"SQL parameter(s) {sorted(missing)} not supplied")
        con.execute(statement, {k: params[k] for k in names}).fetchall()


def query(con: duckdb.DuckDBPyConnection, text: str, params: dict | None = None) -> pd.DataFrame:
    """The result of one SELECT as a (small) DataFrame."""
    names = set(_PARAM.findall(text))
    return con.execute(text, {k: (params or {})[k] for k in names}).df()


def strip_comments(text: str) -> str:
    """SQL without its whole-line ``--`` comments (so a query can be wrapped in another)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def _statements(text: str) -> list[str]:
    return [s.strip() for s in strip_comments(text).split(";") if s.strip()]


def year_params(year: str) -> dict:
    """The bound parameters every indicator and staging query may use."""
    start, end = contract.year_bounds(year)
    return {
        "year": year,
        "start": start,
        "end": end,
        "start_year": int(year[:4]),
        "attended_codes": list(contract.ATTENDED_CODES),
        "detention_codes": list(contract.DETENTION_CODES),
        "section_136_code": contract.SECTION_136_CODE,
        "justice_codes": list(contract.JUSTICE_REFERRAL_CODES),
        "emergency_codes": list(contract.EMERGENCY_DEPARTMENT_CODES),
        "reqol_tool": contract.REQOL10_TOOL,
    }


def create_reference_tables(con: duckdb.DuckDBPyConnection, config: AuditConfig) -> None:
    """Ethnic categories, census groups and age bands as tables, under the run's coding convention."""
    census = pd.DataFrame(
        [
            (g.ons_code, g.nhs_code, g.nhs_group if config.coding_convention == "nhs" else g.census_group)
            for g in contract.CENSUS_ETHNIC_GROUPS
        ],
        columns=["ons_code", "category", "eth_group"],
    )
    groups = dict(zip(census["category"], census["eth_group"]))
    categories = pd.DataFrame(
        [(c.code, c.label, groups[c.code]) for c in contract.ETHNIC_CATEGORIES],
        columns=["code", "label", "eth_group"],
    )
    # One row per age, so a person's band is an equality join (a range join over four million
    # persons cost about half a second more at national scale).
    bands = pd.DataFrame(
        [(age, band) for band, (lo, hi) in contract.AGE_BAND_BOUNDS.items() for age in range(lo, hi + 1)],
        columns=["age", "band"],
    )
    population_bands = pd.DataFrame(contract.population_band_shares(), columns=["source", "band", "share"])
    for name, frame in (("ref_census_group", census), ("ref_ethnic_category", categories), ("ref_age_band", bands),
                        ("ref_population_band", population_bands)):
        con.register("_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame").fetchall()
        con.unregister("_frame")
    run_sql(con, sql_text("macros"))


def stage(con: duckdb.DuckDBPyConnection, year: str, config: AuditConfig) -> None:
    """Build the staging tables every indicator and quality measure reads."""
    create_reference_tables(con, config)
    params = year_params(year)
    for step in ("stg_person_ethnicity", "stg_population", "dq01_ethnicity_recording"):
        run_sql(con, sql_text(step), params)
