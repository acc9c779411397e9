"""Indicators by ethnic group: the catalogue, its SQL run in DuckDB, and the statistics.

Row-level work happens in DuckDB: each indicator's SQL yields its units (people or events),
which ``indicator_cube.sql`` labels with ethnicity, sex and age band and sums to a small cube
(provider x category x sex x age band). Only that cube reaches pandas, where the breakdowns,
intervals and ratios to White British are computed with :mod:`pipeline.stats`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from pipeline import contract, funnel, stats
from pipeline.config import AuditConfig
from pipeline.standard import standard_population
from pipeline.warehouse import query, run_sql, sql_text, strip_comments, year_params

log = logging.getLogger("mhaudit")

CATALOGUE_PATH = Path(__file__).parent / "catalogue.yaml"
BREAKDOWNS: dict[str, list[str]] = {
    "total": [],
    "ethnic_group": ["eth_group"],
    "ethnic_category": ["category"],
    "ethnic_group_x_sex": ["eth_group", "sex"],
    "ethnic_group_x_age": ["eth_group", "age_band"],
}
METHODS = ("rate", "proportion", "event_rate", "mean")
DEFAULT_STATISTIC = {"rate": "crude rate", "proportion": "proportion", "event_rate": "rate", "mean": "mean"}
STANDARDISED = "age-sex standardised rate"
OUTPUT_COLUMNS = [
    "year", "provider", "indicator_id", "indicator", "statistic", "breakdown", "group_code", "group_label",
    "numerator", "denominator", "value", "lower_95", "upper_95", "comparator_ratio", "ratio_lower_95",
    "ratio_upper_95", "significance", "unit", "direction",
    "funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998", "funnel_position",
    "comp_numerator",
]
CHANGE_COLUMNS = ["previous_value", "change", "change_lower_95", "change_upper_95", "change_significance",
                  "previous_numerator"]
FUNNEL_KIND = {"crude rate": "rate", "proportion": "proportion", "rate": "rate"}


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
    higher_is: str
    sql: str
    breakdowns: tuple[str, ...]
    standardised: bool = False
    ethnicity: str = "mpi"
    min_age: int | None = None
    prepare: str | None = None
    variants: tuple[dict, ...] = ()
    caveats: tuple[str, ...] = ()

    @property
    def statistics(self) -> list[tuple[str, dict]]:
        """(statistic name, extra SQL parameters) for each variant, or the method's default."""
        if self.variants:
            return [(v["statistic"], v.get("params", {})) for v in self.variants]
        return [(DEFAULT_STATISTIC[self.method], {})]


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[Indicator]:
    """The indicator catalogue, checked for fields and values the pipeline understands."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue = []
    for entry in entries:
        ind = Indicator(**{**entry, "breakdowns": tuple(entry["breakdowns"]), "caveats": tuple(entry.get("caveats", ())),
                           "variants": tuple(entry.get("variants", ()))})
        unknown = set(ind.breakdowns) - BREAKDOWNS.keys()
        if ind.method not in METHODS or ind.counts not in ("persons", "events") or ind.ethnicity not in ("mpi", "record") or unknown:
            raise ValueError(f"catalogue entry {ind.id}: bad method, counts, ethnicity or breakdowns {sorted(unknown)}")
        catalogue.append(ind)
    return catalogue


def indicator_cube(con: duckdb.DuckDBPyConnection, ind: Indicator, params: dict) -> pd.DataFrame:
    """The small numerator/denominator cube of one indicator, per provider and for ALL."""
    unit_sql = strip_comments(sql_text(ind.sql)).strip().rstrip(";")
    names = [d[0] for d in con.execute(f"DESCRIBE {unit_sql}", {k: params[k] for k in _names(unit_sql)}).fetchall()]
    denominator = "denominator" if "denominator" in names else "CAST(NULL AS BIGINT) AS denominator"
    own = ", EthnicCategory, sex, age_band" if ind.ethnicity == "record" else ""
    run_sql(
        con,
        f"CREATE OR REPLACE TEMP TABLE _units AS SELECT provider, Person_ID, numerator, {denominator}{own} FROM ({unit_sql})",
        params,
    )
    cube_sql = "indicator_cube_record" if ind.ethnicity == "record" else "indicator_cube"
    run_sql(con, sql_text(cube_sql), {**params, "per_person": ind.counts == "persons"})
    return query(con, "SELECT * FROM _cube")


def compute_indicators(
    con: duckdb.DuckDBPyConnection, year: str, config: AuditConfig, catalogue: list[Indicator]
) -> pd.DataFrame:
    """Every catalogue indicator, per provider and ALL, for every breakdown it declares (unsuppressed)."""
    params = year_params(year)
    population = query(con, "SELECT * FROM stg_population")
    empty = empty_strata(population)
    if len(empty):
        shown = "; ".join(f"{r.provider} {r.category} sex {r.sex} {r.age_band}" for r in empty.head(5).itertuples())
        log.warning("the population extract has %s sex and age stratum(s) with no population (%s%s): a data error; "
                    "the age-sex standardised rates of those ethnic categories are not calculated",
                    len(empty), shown, "; ..." if len(empty) > 5 else "")
    providers = query(con, "SELECT DISTINCT OrgIDProv AS p FROM mhs001mpi UNION SELECT DISTINCT OrgIDProv FROM providers "
                           "UNION SELECT 'ALL' ORDER BY 1")["p"].tolist()
    frames = []
    for ind in catalogue:
        if ind.prepare:
            run_sql(con, sql_text(ind.prepare), params)
        pop = _population_for(ind, population)
        for statistic, extra in ind.statistics:
            cube = indicator_cube(con, ind, {**params, **extra})
            for breakdown in ind.breakdowns:
                frame = _breakdown(ind, cube, pop, breakdown, config.comparator, providers)
                frames.append(_with_statistics(ind, frame, statistic, config.comparator))
            if ind.standardised:
                frames.extend(_standardised(ind, cube, pop, b, config.comparator)
                              for b in ind.breakdowns if b in STANDARDISED_BREAKDOWNS)
    out = _with_funnels(pd.concat(frames, ignore_index=True), catalogue)
    out.insert(0, "year", year)
    return out[OUTPUT_COLUMNS].sort_values(
        ["indicator_id", "provider", "statistic", "breakdown", "group_code"], key=_provider_last
    ).reset_index(drop=True)


def empty_strata(population: pd.DataFrame) -> pd.DataFrame:
    """Provider x ethnic category x sex x age band strata with no population. methods.md: such a
    stratum is a data error, not a division by zero; the category's standardised rate is left
    empty and the run says so."""
    pop = population[population["sex"].isin(list(contract.SEX_CODES)) & population["age_band"].isin(contract.AGE_BANDS)
                     & population["category"].notna()]
    if pop.empty:
        return pd.DataFrame(columns=["provider", "category", "sex", "age_band", "population"])
    keys = ["provider", "category", "sex", "age_band"]
    total = pop.groupby(keys)["population"].sum()
    full = pd.MultiIndex.from_product([sorted(pop["provider"].unique()), sorted(pop["category"].unique()),
                                       list(contract.SEX_CODES), list(contract.AGE_BANDS)], names=keys)
    total = total.reindex(full, fill_value=0)
    return total[total <= 0].reset_index()


def with_change(values: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The change in each value since the previous year, with MOVER limits, where that year exists."""
    key = ["provider", "indicator_id", "statistic", "breakdown", "group_code"]
    if previous is None:
        return values.assign(**{c: (np.nan if c != "change_significance" else "") for c in CHANGE_COLUMNS})
    prev = previous[key + ["value", "lower_95", "upper_95", "numerator"]].rename(columns={
        "value": "previous_value", "lower_95": "_pl", "upper_95": "_pu", "numerator": "previous_numerator"})
    out = values.merge(prev, on=key, how="left")
    change, lower, upper = stats.difference_ci(out["value"], out["lower_95"], out["upper_95"],
                                               out["previous_value"], out["_pl"], out["_pu"])
    out = out.assign(change=change, change_lower_95=lower, change_upper_95=upper).drop(columns=["_pl", "_pu"])
    out["change_significance"] = np.select([out["change_lower_95"] > 0, out["change_upper_95"] < 0],
                                           ["increased", "decreased"], "similar")
    out.loc[out["change"].isna() | out["change_lower_95"].isna(), "change_significance"] = ""
    return out


def _with_funnels(frame: pd.DataFrame, catalogue: list[Indicator]) -> pd.DataFrame:
    """Each provider's funnel-plot limits (95%, 99.8%) around the all-provider value of the same
    indicator, statistic and group, at the provider's denominator, and where it lies."""
    key = ["indicator_id", "statistic", "breakdown", "group_code"]
    target = frame.loc[frame["provider"] == "ALL", key + ["value"]].rename(columns={"value": "target"})
    out = frame.merge(target, on=key, how="left")
    multiplier = out["indicator_id"].map({i.id: i.multiplier for i in catalogue}).to_numpy(float)
    out["direction"] = out["indicator_id"].map({i.id: i.higher_is for i in catalogue})
    for col in ("funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998"):
        out[col] = np.nan
    out["funnel_position"] = ""
    for statistic_kind in ("rate", "proportion"):
        rows = (out["provider"] != "ALL") & out["statistic"].map(FUNNEL_KIND).eq(statistic_kind) \
            & (out["denominator"] > 0) & out["target"].notna()
        if not rows.any():
            continue
        limits = funnel.limits_at(out.loc[rows, "target"], out.loc[rows, "denominator"], statistic_kind,
                                  multiplier[rows.to_numpy()])
        for name, values in limits.items():
            out.loc[rows, f"funnel_{name}"] = values
        out.loc[rows, "funnel_position"] = funnel.position(out.loc[rows, "value"], limits)
    return out.drop(columns="target")


def _population_for(ind: Indicator, population: pd.DataFrame) -> pd.DataFrame | None:
    if ind.method != "rate":
        return None
    if ind.min_age is None:
        return population
    adult = [b for b, (lo, _) in contract.AGE_BAND_BOUNDS.items() if lo >= ind.min_age]
    return population[population["age_band"].isin(adult)]


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


def _breakdown(ind: Indicator, cube: pd.DataFrame, population: pd.DataFrame | None, breakdown: str,
               comparator: str, providers: list[str]) -> pd.DataFrame:
    """Numerator, denominator and the comparator's numbers for every group of one breakdown."""
    keys = BREAKDOWNS[breakdown]
    num = _groups(cube, keys, ["numerator", "denominator", "denominator_sq"])
    if population is not None:
        pop = _groups(population, keys, ["population"])
        num = num.drop(columns="denominator").merge(pop, on=["provider", *keys], how="outer")
        num = num.rename(columns={"population": "denominator"})
    num["numerator"] = num["numerator"].fillna(0)
    num = _complete(num, keys, providers)
    # White British with the same sex or age band is the comparator of each group.
    comp_keys = [k for k in keys if k in ("sex", "age_band")]
    comp_cube = cube[cube["category"] == comparator]
    comp = _groups(comp_cube, comp_keys, ["numerator", "denominator"])
    if population is not None:
        comp_pop = _groups(population[population["category"] == comparator], comp_keys, ["population"])
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


def _complete(frame: pd.DataFrame, keys: list[str], providers: list[str]) -> pd.DataFrame:
    """Every group of the breakdown for every provider, with zero counts where nothing happened."""
    levels = {
        "eth_group": list(contract.ETHNIC_GROUPS),
        "category": list(contract.VALID_ETHNIC_CODES) + ["NOT_KNOWN"],
        "sex": list(contract.SEX_CODES),
        "age_band": list(contract.AGE_BANDS),
    }
    if keys:
        full = pd.MultiIndex.from_product([providers, *[levels[k] for k in keys]], names=["provider", *keys])
    else:
        full = pd.Index(providers, name="provider")
    out = frame.set_index(["provider", *keys]).reindex(full).reset_index()
    out["numerator"] = out["numerator"].fillna(0)
    return out


def _codes(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    if not keys:
        return pd.Series("TOTAL", index=frame.index)
    codes = frame[keys[0]].astype(str)
    for k in keys[1:]:
        codes = codes + "|" + frame[k].astype(str)
    return codes


_CATEGORY_LABELS = {c.code: c.label for c in contract.ETHNIC_CATEGORIES} | {"NOT_KNOWN": "Not known"}


_KEY_LABELS = {
    "eth_group": contract.ETHNIC_GROUPS,
    "category": _CATEGORY_LABELS,
    "sex": {code: label.lower() for code, label in contract.SEX_CODES.items()},
    "age_band": {band: f"aged {band}" for band in contract.AGE_BANDS},
}


def _labels(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """'Black, female, aged 18-34': each key's label, comma separated (column-wise: a row-wise
    apply took seconds at national scale)."""
    if not keys:
        return pd.Series("All people", index=frame.index, dtype=str)
    labels = frame[keys[0]].map(_KEY_LABELS[keys[0]]).astype(str)
    for k in keys[1:]:
        labels = labels + ", " + frame[k].map(_KEY_LABELS[k]).astype(str)
    return labels


def _with_statistics(ind: Indicator, frame: pd.DataFrame, statistic: str, comparator: str) -> pd.DataFrame:
    """Values, 95% limits, the ratio to White British and its significance."""
    num = frame["numerator"].to_numpy(float)
    den = frame["denominator"].to_numpy(float)
    cnum = frame["comp_numerator"].to_numpy(float)
    cden = frame["comp_denominator"].to_numpy(float)
    n = len(frame)
    value, lower, upper = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    ratio = (np.full(n, np.nan),) * 3
    if ind.method in ("rate", "event_rate"):
        ok = np.isfinite(den) & (den > 0)
        if ok.any():
            value[ok], lower[ok], upper[ok] = stats.rate_ci(num[ok], den[ok], multiplier=ind.multiplier)
        ratio = stats.rate_ratio(num, den, cnum, cden)
    elif ind.method == "proportion":
        ok = np.isfinite(den) & (den > 0)
        if ok.any():
            value[ok], lower[ok], upper[ok] = stats.proportion_ci(num[ok], den[ok], multiplier=ind.multiplier)
        ratio = stats.proportion_ratio(num, den, cnum, cden)
    else:  # mean: numerator is the number of units, denominator the sum of their values
        value, lower, upper = stats.mean_ci(den, frame["denominator_sq"].to_numpy(float), num)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (value / (cden / cnum), np.full(n, np.nan), np.full(n, np.nan))
        frame = frame.assign(denominator=np.nan)
    out = frame.assign(
        indicator_id=ind.id,
        indicator=ind.title,
        statistic=statistic,
        unit=ind.unit,
        value=value,
        lower_95=lower,
        upper_95=upper,
        comparator_ratio=ratio[0],
        ratio_lower_95=ratio[1],
        ratio_upper_95=ratio[2],
    )
    out["significance"] = stats.significance(out["ratio_lower_95"].to_numpy(), out["ratio_upper_95"].to_numpy())
    return _without_self_comparison(out, comparator)


def _without_self_comparison(frame: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """No ratio where there is nothing to compare: the total, 'Not known', and White British's own
    row (a group against itself would get a ratio of 1 with a meaningless interval)."""
    no_ratio = ((frame["breakdown"] == "total") | (frame["group_code"] == "NOT_KNOWN")
                | ((frame["breakdown"] == "ethnic_category") & (frame["group_code"] == comparator)))
    frame.loc[no_ratio, ["comparator_ratio", "ratio_lower_95", "ratio_upper_95"]] = np.nan
    frame.loc[no_ratio, "significance"] = ""
    return frame


STANDARDISED_BREAKDOWNS = ("total", "ethnic_group", "ethnic_category")


def _standardised(ind: Indicator, cube: pd.DataFrame, population: pd.DataFrame, breakdown: str,
                  comparator: str) -> pd.DataFrame:
    """Age-sex standardised rates (Dobson, ESP 2013) and their ratio to White British.

    Strata are sex x age band; people whose sex or age is not known are left out of the
    standardised numerator (they stay in the crude rate)."""
    keys = BREAKDOWNS[breakdown]
    strata = ["sex", "age_band"]
    weights = standard_population()
    counts = _groups(cube, keys + strata, ["numerator"])
    pops = _groups(population, keys + strata, ["population"])
    merged = pops.merge(counts, on=["provider", *keys, *strata], how="left").fillna({"numerator": 0})
    merged = merged[merged["sex"].isin(list(contract.SEX_CODES)) & merged["age_band"].isin(list(weights))]
    wide_n = merged.pivot_table(index=["provider", *keys], columns=strata, values="numerator", aggfunc="sum", fill_value=0)
    wide_p = merged.pivot_table(index=["provider", *keys], columns=strata, values="population", aggfunc="sum", fill_value=0)
    wide_n = wide_n.reindex(columns=wide_p.columns, fill_value=0)
    std = np.array([weights[age] / 2 for _, age in wide_p.columns])
    usable = (wide_p.to_numpy() > 0).all(axis=1)  # a stratum with no population cannot be standardised
    value = np.full(len(wide_p), np.nan)
    lower, upper = value.copy(), value.copy()
    if usable.any():
        value[usable], lower[usable], upper[usable] = stats.dsr(
            wide_n.to_numpy(float)[usable], wide_p.to_numpy(float)[usable], std, multiplier=ind.multiplier)
    frame = wide_p.index.to_frame(index=False)
    frame["numerator"] = wide_n.to_numpy().sum(axis=1)
    frame["denominator"] = wide_p.to_numpy().sum(axis=1)
    frame = _complete(frame, keys, sorted(set(frame["provider"])))
    # the comparator's strata, per provider
    comp_n = _groups(cube[cube["category"] == comparator], strata, ["numerator"])
    comp_p = _groups(population[population["category"] == comparator], strata, ["population"])
    comp_all = comp_p.merge(comp_n, on=["provider", *strata], how="left").fillna({"numerator": 0})
    comp_all = comp_all[comp_all["sex"].isin(list(contract.SEX_CODES)) & comp_all["age_band"].isin(list(weights))]
    cn = comp_all.pivot_table(index="provider", columns=strata, values="numerator", aggfunc="sum", fill_value=0)
    cp = comp_all.pivot_table(index="provider", columns=strata, values="population", aggfunc="sum", fill_value=0)
    cn = cn.reindex(index=wide_p.index.get_level_values("provider"), columns=wide_p.columns, fill_value=0)
    cp = cp.reindex(index=wide_p.index.get_level_values("provider"), columns=wide_p.columns, fill_value=0)
    ratio = [np.full(len(wide_p), np.nan) for _ in range(3)]
    both = usable & (cp.to_numpy() > 0).all(axis=1)
    if both.any():
        parts = stats.dsr_ratio(wide_n.to_numpy(float)[both], wide_p.to_numpy(float)[both],
                                cn.to_numpy(float)[both], cp.to_numpy(float)[both], std)
        for arr, part in zip(ratio, parts):
            arr[both] = part
    stats_frame = wide_p.index.to_frame(index=False).assign(
        value=value, lower_95=lower, upper_95=upper,
        comparator_ratio=ratio[0], ratio_lower_95=ratio[1], ratio_upper_95=ratio[2])
    frame = frame.merge(stats_frame, on=["provider", *keys], how="left")
    frame["breakdown"] = breakdown
    frame["group_code"] = _codes(frame, keys)
    frame["group_label"] = _labels(frame, keys)
    frame["significance"] = stats.significance(frame["ratio_lower_95"].to_numpy(), frame["ratio_upper_95"].to_numpy())
    frame = _without_self_comparison(frame, comparator)
    comp_counts = cn.to_numpy().sum(axis=1) if len(cn) else np.array([])
    frame = frame.merge(pd.DataFrame({"provider": wide_p.index.get_level_values("provider"), "comp_numerator": comp_counts})
                        .drop_duplicates("provider"), on="provider", how="left")
    return frame.assign(indicator_id=ind.id, indicator=ind.title, statistic=STANDARDISED, unit=ind.unit,
                        comp_denominator=np.nan)
