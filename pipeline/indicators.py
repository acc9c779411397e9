"""Indicators by ethnic group: the catalogue, its SQL run in DuckDB, and the statistics.

Row-level work happens in DuckDB: each indicator's SQL yields its units (people or events),
which ``indicator_cube.sql`` labels with ethnicity, sex and age band and sums to a small cube
(provider x category x sex x age band). Only that cube reaches pandas, where it becomes the
*count table*: every breakdown's exact numerator and denominator and the comparator's. That table
never leaves the warehouse: :mod:`pipeline.disclosure` decides what is published of it and
:mod:`pipeline.estimates` derives every published figure from the published counts. Two figures
cannot be derived from counts and are computed here, each with its exact value and whether it
is ``publishable``: the age-sex standardised rate (from strata that are never published;
:mod:`pipeline.strata` decides whether it may be published at all) and the median of a value the
units carry (CO07's length of stay: an order statistic; see disclosure.MEDIAN_MIN).
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

from pipeline import contract, disclosure, estimates, stats, strata
from pipeline.config import AuditConfig
from pipeline.differencing import Cells, windows
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
MEDIAN = disclosure.MEDIAN
COUNT_COLUMNS = [
    "year", "provider", "indicator_id", "indicator", "statistic", "intervention_type", "breakdown", "group_code",
    "subgroup", "group_label",
    "unit", "direction", "method", "multiplier", "numerator", "denominator", "comp_numerator", "comp_denominator",
    "units", "value_sum", "value_sumsq", "value", "lower_95", "upper_95", "publishable",
]


@dataclass(frozen=True)
class Series:
    """One published series of an indicator: a statistic, of one restrictive-intervention type
    where the catalogue splits the indicator by type (CO05). Rows of a series share both columns."""

    statistic: str
    intervention_type: str = ""

    @property
    def name(self) -> str:
        return self.intervention_type or self.statistic

    def of(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``rows`` that belong to this series."""
        kind = rows["intervention_type"].fillna("") if "intervention_type" in rows else ""
        return rows[(rows["statistic"] == self.statistic) & (kind == self.intervention_type)]


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
    trend: bool = False
    sentence: str = "{value} for {group}"
    quality_table: str = "MHS001MPI"

    @property
    def variant_params(self) -> list[tuple[Series, dict]]:
        """(series, extra SQL parameters) for each variant, or the method's default statistic: the
        series computed from counts (a mean's median comes from the same units)."""
        default = DEFAULT_STATISTIC[self.method]
        if self.variants:
            return [(Series(v.get("statistic", default), v.get("intervention_type", "")), v.get("params", {}))
                    for v in self.variants]
        return [(Series(default), {})]

    @property
    def series(self) -> list[Series]:
        """The catalogue's series of this indicator, in order (the age-sex standardised rate, where
        published, is a further series: :data:`STANDARDISED`)."""
        return [s for s, _ in self.variant_params]

    @property
    def published_series(self) -> list[Series]:
        """Every series the published table holds for this indicator, the primary first."""
        if self.method == "mean":
            return [Series(MEDIAN), *self.series]
        return self.series + ([Series(STANDARDISED)] if self.standardised else [])

    @property
    def published_statistics(self) -> list[str]:
        return list(dict.fromkeys(s.statistic for s in self.published_series))

    @property
    def primary(self) -> Series:
        """The series tables by category, sex and age show (the median of a length of stay; all
        restrictive interventions)."""
        return self.published_series[0]

    @property
    def primary_statistic(self) -> str:
        return self.primary.statistic

    @property
    def definition(self) -> str:
        """The measure in one sentence, as the report prints it."""
        if self.method == "mean":
            return f"{self.numerator}: the median and the mean, in {self.unit}."
        return f"{self.numerator}, {self.unit}. Denominator: {self.denominator[:1].lower()}{self.denominator[1:]}."


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
    """The exact count table of every catalogue indicator, per provider and ALL, for every breakdown
    it declares (never published as it is: see :func:`pipeline.disclosure.control`)."""
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
        for series, extra in ind.variant_params:
            cube = indicator_cube(con, ind, {**params, **extra})
            for breakdown in ind.breakdowns:
                frames.append(_counts(ind, _breakdown(ind, cube, pop, breakdown, config.comparator, providers), series))
            if ind.standardised:
                frames.extend(_standardised(ind, cube, pop, b, config) for b in ind.breakdowns if b in STANDARDISED_BREAKDOWNS)
            if ind.method == "mean":
                frames.extend(_medians(ind, query(con, sql_text("indicator_unit_values")), frames[-len(ind.breakdowns):]))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "year", year)
    return out[COUNT_COLUMNS].sort_values(
        ["indicator_id", "provider", "statistic", "intervention_type", "breakdown", "group_code", "subgroup"],
        key=_provider_last
    ).reset_index(drop=True)


def _counts(ind: Indicator, frame: pd.DataFrame, series: Series) -> pd.DataFrame:
    """One breakdown's rows of the count table. A mean's numerator is its number of units; the
    summed values (days) stay beside it for the mean, which is not a count."""
    out = frame.assign(indicator_id=ind.id, indicator=ind.title, statistic=series.statistic,
                       intervention_type=series.intervention_type, unit=ind.unit,
                       direction=ind.higher_is, method=ind.method, multiplier=float(ind.multiplier),
                       units=np.nan, value_sum=np.nan, value_sumsq=np.nan, value=np.nan, lower_95=np.nan,
                       upper_95=np.nan, publishable=np.nan)
    if ind.method == "mean":
        out = out.assign(units=out["numerator"], value_sum=out["denominator"], value_sumsq=out["denominator_sq"],
                         denominator=np.nan, comp_denominator=np.nan)
    return out


def _medians(ind: Indicator, units: pd.DataFrame, means: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The median of the units' values with its distribution-free 95% interval, for each row of
    the mean's breakdowns (same counts); published from a published count of :data:`MEDIAN_MIN`
    (pipeline.estimates decides, on the published count)."""
    units = pd.concat([units, units.assign(provider="ALL")], ignore_index=True)
    out = []
    for frame in means:
        keys = BREAKDOWNS[frame["breakdown"].iloc[0]]
        found = {}
        for key, values in units.groupby(["provider", *keys])["value"]:
            found[key if keys else (key[0],)] = stats.median_ci(values.to_numpy(float))
        at = list(zip(frame["provider"], *[frame[k] for k in keys]))
        estimates = np.array([found.get(k, (np.nan,) * 3) for k in at], dtype=float).reshape(-1, 3)
        out.append(frame.assign(statistic=MEDIAN, value=estimates[:, 0], lower_95=estimates[:, 1],
                                upper_95=estimates[:, 2], publishable=True))
    return out


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
    num["group_code"], num["subgroup"] = _codes(num, keys)
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


def _codes(frame: pd.DataFrame, keys: list[str]) -> tuple[pd.Series, pd.Series]:
    """``group_code`` (the ethnic group or category, TOTAL for all people) and ``subgroup`` (the
    sex code or age band of an intersectional row, empty elsewhere): one variable per column."""
    none = pd.Series("", index=frame.index, dtype=object)
    if not keys:
        return pd.Series("TOTAL", index=frame.index, dtype=object), none
    return frame[keys[0]].astype(str), frame[keys[1]].astype(str) if len(keys) > 1 else none


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


# As NHS England's Mental Health Act statistics: standardised rates for all people, the ethnic groups
# and the comparator (White British); the other detailed categories have crude rates only (their
# strata are mostly too small to standardise, and a standardised rate's strata must not be singled out).
STANDARDISED_BREAKDOWNS = ("total", "ethnic_group", "ethnic_category")


def _standardised(ind: Indicator, cube: pd.DataFrame, population: pd.DataFrame, breakdown: str,
                  config: AuditConfig) -> pd.DataFrame:
    """Age-sex standardised rates (Dobson, ESP 2013) of one breakdown, and whether each may be
    published (``publishable``: its total count has 10 or more events and, published to
    :data:`pipeline.estimates.STANDARDISED_DECIMALS` decimals, it singles out no small stratum count).

    Strata are sex x age band; people whose sex or age is not known are left out of the
    standardised numerator (they stay in the crude rate)."""
    keys = BREAKDOWNS[breakdown]
    strata = ["sex", "age_band"]
    weights = standard_population()
    if breakdown == "ethnic_category":
        cube, population = cube[cube["category"] == config.comparator], population[population["category"] == config.comparator]
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
    safe = usable & ~np.isnan(value)
    if safe.any():
        safe[safe] = ~_singles_out(ind, cube, keys, wide_n[safe], wide_p[safe], std, (value[safe], lower[safe], upper[safe]),
                                   config)
    frame = wide_p.index.to_frame(index=False)
    frame["numerator"] = wide_n.to_numpy().sum(axis=1)
    frame["denominator"] = wide_p.to_numpy().sum(axis=1)
    frame = _complete(frame, keys, sorted(set(frame["provider"])))
    if breakdown == "ethnic_category":
        frame = frame[frame["category"] == config.comparator]
    comp_n = _groups(cube[cube["category"] == config.comparator], [], ["numerator"]).set_index("provider")["numerator"]
    comp_p = _groups(population[population["category"] == config.comparator], [], ["population"])
    comp_p = comp_p.set_index("provider")["population"]
    stats_frame = wide_p.index.to_frame(index=False).assign(value=value, lower_95=lower, upper_95=upper, publishable=safe)
    frame = frame.merge(stats_frame, on=["provider", *keys], how="left")
    frame["breakdown"] = breakdown
    frame["group_code"], frame["subgroup"] = _codes(frame, keys)
    frame["group_label"] = _labels(frame, keys)
    frame["comp_numerator"] = frame["provider"].map(comp_n).fillna(0).to_numpy(float)
    frame["comp_denominator"] = frame["provider"].map(comp_p).to_numpy(float)
    return frame.assign(indicator_id=ind.id, indicator=ind.title, statistic=STANDARDISED, intervention_type="",
                        unit=ind.unit,
                        direction=ind.higher_is, method=ind.method, multiplier=float(ind.multiplier),
                        units=np.nan, value_sum=np.nan, value_sumsq=np.nan)


def _singles_out(ind: Indicator, cube: pd.DataFrame, keys: list[str], wide_n: pd.DataFrame, wide_p: pd.DataFrame,
                 std: np.ndarray, exact: tuple[np.ndarray, ...], config: AuditConfig) -> np.ndarray:
    """Whether each group's standardised rate, as published, singles out a small stratum count,
    given what else a reader has: the group's total count (and, where published, its counts by sex
    and by age band) to their rounding windows. Uncounted people (sex or age not known) are taken
    as known to the reader, which errs towards not publishing."""
    profile = disclosure.PROFILES[config.disclosure_profile]
    index = wide_n.index.to_frame(index=False)
    exempt = (index["provider"] == "ALL").to_numpy() & config.national_run
    strata_n = wide_n.to_numpy(float)

    def window(exact_counts: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cells = Cells(exact_counts, profile.small(exact_counts) & ~exempt, exempt, np.zeros(len(exact_counts), bool))
        lo, hi = windows(cells, profile.hidden)
        return lo - (exact_counts - known), hi - (exact_counts - known)

    whole = _groups(cube, keys, ["numerator"]).set_index(["provider", *keys])["numerator"]
    total = whole.reindex(wide_n.index).fillna(0).to_numpy(float)
    margins = []
    if keys == ["eth_group"]:
        for margin, breakdown in (("sex", "ethnic_group_x_sex"), ("age_band", "ethnic_group_x_age")):
            if breakdown not in ind.breakdowns:
                continue
            published = _groups(cube, [*keys, margin], ["numerator"]).set_index(["provider", *keys, margin])["numerator"]
            for level in wide_n.columns.get_level_values(margin).unique():
                mask = (wide_n.columns.get_level_values(margin) == level)
                at = pd.MultiIndex.from_frame(index.assign(**{margin: level}))
                count = published.reindex(at).fillna(0).to_numpy(float)
                margins.append((mask, *window(count, strata_n[:, mask].sum(axis=1))))
    decimals = estimates.STANDARDISED_DECIMALS
    published = tuple(estimates.rounded(e, decimals) for e in exact)
    return strata.singles_out(strata_n, wide_p.to_numpy(float), std, ind.multiplier, published, decimals,
                              window(total, strata_n.sum(axis=1)), profile.hidden, margins)
