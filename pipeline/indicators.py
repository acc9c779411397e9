"""Indicators by ethnic group: the catalogue, its SQL run in DuckDB, and the statistics.

Row-level work happens in DuckDB: each indicator's SQL yields its units (people or events),
which ``indicator_cube.sql`` labels with ethnicity, sex and age band and sums to a small cube
(provider x category x sex x age band). Only that cube reaches pandas, where the breakdowns,
intervals and ratios to White British are computed with :mod:`pipeline.stats`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from pipeline import contract, stats
from pipeline.config import AuditConfig
from pipeline.warehouse import query, run_sql, sql_text, year_params

CATALOGUE_PATH = Path(__file__).parent / "catalogue.yaml"
BREAKDOWNS: dict[str, list[str]] = {
    "total": [],
    "ethnic_group": ["eth_group"],
    "ethnic_category": ["category"],
    "ethnic_group_x_sex": ["eth_group", "sex"],
    "ethnic_group_x_age": ["eth_group", "age_band"],
}
OUTPUT_COLUMNS = [
    "year", "provider", "indicator_id", "indicator", "statistic", "breakdown", "group_code", "group_label",
    "numerator", "denominator", "value", "lower_95", "upper_95", "comparator_ratio", "ratio_lower_95",
    "ratio_upper_95", "significance", "unit",
]


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see catalogue.yaml for the meaning of each field)."""

    id: str
    title: str
    domain: str
    numerator: str
    denominator: str
    phrase: str
    method: str
    unit: str
    multiplier: float
    counts: str
    standardised: bool
    higher_is: str
    sql: str
    breakdowns: tuple[str, ...]
    caveats: tuple[str, ...] = ()


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[Indicator]:
    """The indicator catalogue, checked for fields and values the pipeline understands."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue = []
    for entry in entries:
        ind = Indicator(**{**entry, "breakdowns": tuple(entry["breakdowns"]), "caveats": tuple(entry.get("caveats", ()))})
        unknown = set(ind.breakdowns) - BREAKDOWNS.keys()
        if ind.method not in ("rate", "proportion") or ind.counts not in ("persons", "events") or unknown:
            raise ValueError(f"catalogue entry {ind.id}: bad method, counts or breakdowns {sorted(unknown)}")
        catalogue.append(ind)
    return catalogue


def indicator_cube(con: duckdb.DuckDBPyConnection, ind: Indicator, params: dict) -> pd.DataFrame:
    """The small numerator/denominator cube of one indicator, per provider and for ALL."""
    unit_sql = sql_text(ind.sql).strip().rstrip(";")
    names = [d[0] for d in con.execute(f"DESCRIBE {unit_sql}", {k: params[k] for k in _names(unit_sql)}).fetchall()]
    denominator = "denominator" if "denominator" in names else "CAST(NULL AS BIGINT) AS denominator"
    run_sql(
        con,
        f"CREATE OR REPLACE TEMP TABLE _units AS SELECT provider, Person_ID, numerator, {denominator} FROM ({unit_sql})",
        params,
    )
    run_sql(con, sql_text("indicator_cube"), {**params, "per_person": ind.counts == "persons"})
    return query(con, "SELECT * FROM _cube")


def compute_indicators(
    con: duckdb.DuckDBPyConnection, year: str, config: AuditConfig, catalogue: list[Indicator]
) -> pd.DataFrame:
    """Every catalogue indicator, per provider and ALL, for every breakdown it declares (unsuppressed)."""
    params = year_params(year)
    population = query(con, "SELECT * FROM stg_population")
    frames = []
    for ind in catalogue:
        cube = indicator_cube(con, ind, params)
        for breakdown in ind.breakdowns:
            frame = _breakdown(ind, cube, population if ind.method == "rate" else None, breakdown)
            frames.append(_with_statistics(ind, frame, config))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "year", year)
    return out[OUTPUT_COLUMNS].sort_values(
        ["indicator_id", "provider", "statistic", "breakdown", "group_code"], key=_provider_last
    ).reset_index(drop=True)


def _names(sql: str) -> set[str]:
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))


def _provider_last(col: pd.Series) -> pd.Series:
    return col.map(lambda v: ("~" if v == "ALL" else "") + str(v)) if col.name == "provider" else col


def _groups(cube: pd.DataFrame, keys: list[str], measure: list[str]) -> pd.DataFrame:
    frame = cube
    if "sex" in keys:
        frame = frame[frame["sex"].isin(list(contract.SEX_CODES))]
    if "age_band" in keys:
        frame = frame[frame["age_band"].notna()]
    if "category" in keys:
        frame = frame[frame["category"].notna()]
    return frame.groupby(["provider", *keys], dropna=False)[measure].sum().reset_index()


def _breakdown(ind: Indicator, cube: pd.DataFrame, population: pd.DataFrame | None, breakdown: str) -> pd.DataFrame:
    """Numerator, denominator and the comparator's numbers for every group of one breakdown."""
    keys = BREAKDOWNS[breakdown]
    num = _groups(cube, keys, ["numerator", "denominator"])
    if population is not None:
        pop = _groups(population, keys, ["population"])
        num = num.drop(columns="denominator").merge(pop, on=["provider", *keys], how="outer")
        num = num.rename(columns={"population": "denominator"})
    num["numerator"] = num["numerator"].fillna(0)
    num = _complete(num, keys, breakdown)
    # White British with the same sex or age band is the comparator of each group.
    comp_keys = [k for k in keys if k in ("sex", "age_band")]
    comp_cube = cube[cube["category"] == contract.COMPARATOR_CODE]
    comp = _groups(comp_cube, comp_keys, ["numerator", "denominator"])
    if population is not None:
        comp_pop = _groups(population[population["category"] == contract.COMPARATOR_CODE], comp_keys, ["population"])
        comp = comp.drop(columns="denominator").merge(comp_pop, on=["provider", *comp_keys], how="outer")
        comp = comp.rename(columns={"population": "denominator"})
    comp["numerator"] = comp["numerator"].fillna(0)
    comp = comp.rename(columns={"numerator": "comp_numerator", "denominator": "comp_denominator"})
    num = num.merge(comp, on=["provider", *comp_keys], how="left")
    if breakdown == "total":
        num[["comp_numerator", "comp_denominator"]] = np.nan
    num["breakdown"] = breakdown
    num["group_code"] = _codes(num, keys)
    num["group_label"] = _labels(num, keys)
    return num


def _complete(frame: pd.DataFrame, keys: list[str], breakdown: str) -> pd.DataFrame:
    """Every group of the breakdown for every provider, with zero counts where nothing happened."""
    if not keys:
        return frame
    levels = {
        "eth_group": list(contract.ETHNIC_GROUPS),
        "category": list(contract.VALID_ETHNIC_CODES) + ["NOT_KNOWN"],
        "sex": list(contract.SEX_CODES),
        "age_band": list(contract.AGE_BANDS),
    }
    full = pd.MultiIndex.from_product([frame["provider"].unique(), *[levels[k] for k in keys]], names=["provider", *keys])
    out = frame.set_index(["provider", *keys]).reindex(full).reset_index()
    out["numerator"] = out["numerator"].fillna(0)
    return out


def _codes(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    if not keys:
        return pd.Series("TOTAL", index=frame.index)
    return frame[keys].astype(str).agg("|".join, axis=1)


_CATEGORY_LABELS = {c.code: c.label for c in contract.ETHNIC_CATEGORIES} | {"NOT_KNOWN": "Not known"}


def _labels(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    def label(row) -> str:
        parts = []
        for k in keys:
            v = row[k]
            if k == "eth_group":
                parts.append(contract.ETHNIC_GROUPS[v])
            elif k == "category":
                parts.append(_CATEGORY_LABELS[v])
            elif k == "sex":
                parts.append(contract.SEX_CODES[v].lower())
            else:
                parts.append(f"aged {v}")
        return ", ".join(parts) if parts else "All people"

    return frame.apply(label, axis=1) if len(frame) else pd.Series(dtype=str)


def _with_statistics(ind: Indicator, frame: pd.DataFrame, config: AuditConfig) -> pd.DataFrame:
    """Values, 95% limits, the ratio to White British and its significance."""
    num = frame["numerator"].to_numpy(float)
    den = frame["denominator"].to_numpy(float)
    ok = np.isfinite(den) & (den > 0)
    value = np.full(len(frame), np.nan)
    lower, upper = value.copy(), value.copy()
    cnum = frame["comp_numerator"].to_numpy(float)
    cden = frame["comp_denominator"].to_numpy(float)
    if ind.method == "rate":
        if ok.any():
            value[ok], lower[ok], upper[ok] = stats.rate_ci(num[ok], den[ok], multiplier=ind.multiplier)
        ratio = stats.rate_ratio(num, den, cnum, cden)
    else:
        if ok.any():
            value[ok], lower[ok], upper[ok] = stats.proportion_ci(num[ok], den[ok], multiplier=ind.multiplier)
        ratio = stats.proportion_ratio(num, den, cnum, cden)
    out = frame.assign(
        indicator_id=ind.id,
        indicator=ind.title,
        statistic="crude rate" if ind.method == "rate" else "proportion",
        unit=ind.unit,
        value=value,
        lower_95=lower,
        upper_95=upper,
        comparator_ratio=ratio[0],
        ratio_lower_95=ratio[1],
        ratio_upper_95=ratio[2],
    )
    out["significance"] = stats.significance(out["ratio_lower_95"].to_numpy(), out["ratio_upper_95"].to_numpy())
    out.loc[out["breakdown"] == "total", ["comparator_ratio", "ratio_lower_95", "ratio_upper_95", "significance"]] = (
        np.nan, np.nan, np.nan, "")
    return out
