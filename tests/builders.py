"""Tiny hand-made extracts with known answers, written in the contract's layout."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import contract

YEAR = "2024-25"
DEFAULTS = {"VARCHAR": "", "INTEGER": "", "BIGINT": "", "DATE": "", "DOUBLE": ""}


def write_table(path: Path, table: str, rows: list[dict]) -> Path:
    """One CSV with the contract's columns; unnamed columns get a sensible filler."""
    t = contract.table(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(t.column_names)
        for i, row in enumerate(rows):
            writer.writerow([row.get(c.name, _filler(c, i)) for c in t.columns])
    return path


def _filler(col: contract.Column, i: int) -> str:
    if col.nullable:
        return ""
    if col.type == "DATE":
        return "2024-06-01"
    if col.type in ("INTEGER", "BIGINT"):
        return "1"
    if col.codes:
        return col.codes[0]
    return f"{col.name}-{i}"


def write_extract(root: Path, tables: dict[str, list[dict]], year: str = YEAR) -> Path:
    """A whole extract folder: the given rows, every other table present but empty."""
    for t in contract.ALL_TABLES:
        folder = root / "reference" if t.reference else root / year
        write_table(folder / f"{t.name}.csv", t.name, tables.get(t.name, []))
    return root


def population(las: list[str], counts: dict[tuple[int, str, str], int], default: int = 1000) -> list[dict]:
    """Population rows for every LA x census group x sex x age band (``counts`` overrides)."""
    rows = []
    for la in las:
        for g in contract.CENSUS_ETHNIC_GROUPS:
            for sex in contract.SEX_CODES:
                for band in contract.AGE_BANDS:
                    rows.append({"LADistrictAuth": la, "Year": 2021, "EthnicGroupCensus": g.ons_code, "Sex": sex,
                                 "AgeBand": band, "Count": counts.get((g.ons_code, sex, band), default)})
    return rows


GROUP_OF = {c.code: c.group for c in contract.ETHNIC_CATEGORIES} | {"NOT_KNOWN": "NOT_KNOWN"}


def counts(categories: dict[str, float], provider: str = "P1", method: str = "rate",
           denominator: float | dict[str, float] = 10_000, indicator: str = "CO01") -> pd.DataFrame:
    """One provider's count table for one indicator: the given categories, their groups and the total."""
    rows = []
    dens = denominator if isinstance(denominator, dict) else {code: denominator for code in categories}
    groups: dict[str, float] = {}
    group_dens: dict[str, float] = {}
    for code, n in categories.items():
        groups[GROUP_OF[code]] = groups.get(GROUP_OF[code], 0) + n
        group_dens[GROUP_OF[code]] = group_dens.get(GROUP_OF[code], 0) + dens[code]
    all_dens = {**dens, **group_dens, "TOTAL": sum(dens.values())}
    comp = categories.get("A", 0)
    statistic = "crude rate" if method == "rate" else "proportion"
    for breakdown, cells in (("ethnic_category", categories), ("ethnic_group", groups),
                             ("total", {"TOTAL": sum(categories.values())})):
        for code, n in cells.items():
            den = all_dens[code]
            rows.append({"year": "2024-25", "provider": provider, "indicator_id": indicator, "indicator": indicator,
                         "statistic": statistic, "intervention_type": "", "breakdown": breakdown, "group_code": code,
                         "subgroup": "", "group_label": code,
                         "unit": "per 100,000", "direction": "worse", "method": method,
                         "multiplier": 100_000.0 if method == "rate" else 100.0, "numerator": float(n),
                         "denominator": float(den), "comp_numerator": float(comp), "comp_denominator": float(dens.get("A", 0)),
                         "units": np.nan, "value_sum": np.nan, "value_sumsq": np.nan, "value": np.nan,
                         "lower_95": np.nan, "upper_95": np.nan, "publishable": np.nan})
    return pd.DataFrame(rows)
