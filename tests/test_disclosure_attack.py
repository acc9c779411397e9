"""Attacking our own publication, as a reader would (issue: disclosure control that holds).

1. Multiplying back: for every published value, search every exact (numerator, denominator) in
   the rounding windows of the published counts; the value and its limits must be reproduced by
   the published counts themselves, and never by one other pair alone (which would be the exact
   counts given back).
2. Differencing: for every set of published cells adding up to a published total, a linear
   program (independent of the audit's own propagation) finds each hidden small count's range
   from everything published; it must be as wide as the hidden counts and zeros alone allow.
Both run on the committed sample and on a generated region year.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from pipeline import contract, funnel, stats
from pipeline.indicators import load_catalogue

CATALOGUE = {i.id: i for i in load_catalogue()}
LOW, HIGH, HALF = 1, 4, 2  # the nhs profile
STANDARDISED = "age-sex standardised rate"
SERIES = ["indicator_id", "statistic", "intervention_type"]
KEY = ["provider", *SERIES, "breakdown", "group_code", "subgroup"]


def _read(path: Path) -> pd.DataFrame:
    """indicators.csv as a reader loads it (empty text cells as empty strings, not missing)."""
    return pd.read_csv(path).fillna({"intervention_type": "", "subgroup": ""})


def _window(published: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of a published count: 0 exactly, or its rounding window above 1-4."""
    lo = np.where(published == 0, 0, np.maximum(published - HALF, HIGH + 1))
    return lo, np.where(published == 0, 0, published + HALF)


def _estimate(method: str, n: np.ndarray, d: np.ndarray, multiplier: float) -> tuple[np.ndarray, ...]:
    estimate = stats.proportion_ci if method == "proportion" else stats.rate_ci
    with np.errstate(all="ignore"):
        return tuple(np.array([round(v, 1) for v in np.asarray(a, float).tolist()]) for a in estimate(n, d, multiplier=multiplier))


def multiply_back(table: pd.DataFrame) -> list[str]:
    """Rows whose value and limits are not reproduced by their published counts, or are
    reproduced by exactly one other pair of counts in the rounding windows."""
    rows = table[table["value"].notna() & (table["statistic"] != STANDARDISED) & table["denominator"].notna()]
    problems = []
    offsets = np.arange(-HALF, HALF + 1)
    for _, r in rows.iterrows():
        ind = CATALOGUE[r["indicator_id"]]
        if ind.method == "mean":
            continue
        n_lo, n_hi = _window(np.array([r["numerator"]], float))
        d_lo, d_hi = _window(np.array([r["denominator"]], float))
        ns = np.unique(np.clip(r["numerator"] + offsets, n_lo, n_hi))
        ds = np.unique(np.clip(r["denominator"] + offsets, d_lo, d_hi))
        n, d = (a.ravel() for a in np.meshgrid(ns, ds))
        if ind.method == "proportion":
            n, d = n[n <= d], d[n <= d]
        value, lower, upper = _estimate(ind.method, n, d, ind.multiplier)
        same = (value == r["value"]) & (lower == r["lower_95"]) & (upper == r["upper_95"])
        pairs = set(zip(n[same], d[same]))
        mine = (r["numerator"], r["denominator"])
        if mine not in pairs or (len(pairs) == 1 and pairs != {mine}):
            problems.append(f"{r['provider']} {r['indicator_id']} {r['breakdown']} {r['group_code']}: "
                            f"published {mine} -> {r['value']}; consistent {sorted(pairs)[:3]}")
    return problems


def ratios_from_published_counts(table: pd.DataFrame) -> list[str]:
    """Every ratio to White British of a group or category equals the one computed from the
    published counts of the group and of the White British row."""
    block = ["provider", *SERIES]
    own = table[(table["breakdown"] == "ethnic_category") & (table["group_code"] == "A")].set_index(block)
    rows = table[table["comparator_ratio"].notna() & table["breakdown"].isin(["ethnic_group", "ethnic_category"])
                 & (table["statistic"] != STANDARDISED)]
    problems = []
    for _, r in rows.iterrows():
        ind = CATALOGUE[r["indicator_id"]]
        if ind.method == "mean":
            continue
        comp = own.loc[tuple(r[block])]
        ratio = stats.proportion_ratio_score if ind.method == "proportion" else stats.rate_ratio_score
        got = [round(float(x), 2) for x in ratio(r["numerator"], r["denominator"], comp["numerator"], comp["denominator"])]
        if got != [r["comparator_ratio"], r["ratio_lower_95"], r["ratio_upper_95"]]:
            problems.append(f"{r['provider']} {r['indicator_id']} {r['group_code']}: {got}")
    return problems


def funnels_from_published_values(table: pd.DataFrame) -> list[str]:
    """Funnel limits around ALL's value (from ALL's published counts) at the provider's published
    denominator."""
    key = KEY[1:]
    all_rows = table[table["provider"] == "ALL"].set_index(key)
    rows = table[table["funnel_lower_95"].notna()]
    problems = []
    for _, r in rows.iterrows():
        ind = CATALOGUE[r["indicator_id"]]
        kind = "proportion" if ind.method == "proportion" else "rate"
        target = all_rows.loc[tuple(r[key])]
        centre = float(target["numerator"]) / float(target["denominator"]) * ind.multiplier
        limits = funnel.limits_at(np.array([centre]), np.array([r["denominator"]], float), kind,
                                  np.array([ind.multiplier], float))
        if round(float(limits["lower_95"][0]), 1) != r["funnel_lower_95"]:  # Python's round, correctly rounded
            problems.append(f"{r['provider']} {r['indicator_id']} {r['group_code']}")
    return problems


def quality_from_published_counts(quality: pd.DataFrame) -> list[str]:
    rows = quality[quality["percent"].notna()]
    expected = pd.Series([round(100 * float(c) / float(t), 1) for c, t in zip(rows["count"], rows["total"])], index=rows.index)
    hidden = quality[quality["count"].isna() | quality["total"].isna()]
    return [f"{r.provider} {r.table} {r.check}" for r in rows[expected != rows["percent"]].itertuples()] + \
        [f"hidden but shown: {r.provider} {r.table} {r.check}" for r in hidden[hidden["percent"].notna()].itertuples()]


# ------------------------------------------------------------------ differencing by linear programming
def _groups_of() -> dict[str, str]:
    return {g.nhs_code: g.nhs_group for g in contract.CENSUS_ETHNIC_GROUPS if g.nhs_code} | {"NOT_KNOWN": "NOT_KNOWN"}


def _sets(cells: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """(total, parts) over the cells of one column: breakdowns to totals, categories, sexes and age
    bands to their group, providers to ALL."""
    parent = _groups_of()
    at = {k: i for i, k in enumerate(zip(cells["provider"], cells["breakdown"], cells["group_code"], cells["subgroup"]))}
    out = []
    for (provider, breakdown), block in cells.groupby(["provider", "breakdown"]):
        if breakdown in ("ethnic_group", "ethnic_category") and (provider, "total", "TOTAL", "") in at:
            out.append((at[(provider, "total", "TOTAL", "")], list(block.index)))
        if breakdown == "ethnic_category":
            keys = block["group_code"].map(parent)
        elif breakdown.startswith("ethnic_group_x_"):
            keys = block["group_code"]
        else:
            continue
        for group, parts in block.groupby(keys):
            if (provider, "ethnic_group", group, "") in at:
                out.append((at[(provider, "ethnic_group", group, "")], list(parts.index)))
    for (breakdown, group, subgroup), parts in cells[cells["provider"] != "ALL"].groupby(["breakdown", "group_code", "subgroup"]):
        if ("ALL", breakdown, group, subgroup) in at:
            out.append((at[("ALL", breakdown, group, subgroup)], list(parts.index)))
    return out


def _ranges(lo: np.ndarray, hi: np.ndarray, sets: list, exact: np.ndarray, cells: list[int]) -> np.ndarray:
    """LP minimum and maximum of each of ``cells`` subject to every set (offsets from the exact
    counts, i.e. a reader who knows everything but the hidden cells)."""
    n = len(lo)
    a_eq = np.zeros((len(sets), n))
    b_eq = np.zeros(len(sets))
    for k, (total, parts) in enumerate(sets):
        a_eq[k, parts] = 1
        a_eq[k, total] -= 1
        b_eq[k] = exact[parts].sum() - exact[total]
    bounds = list(zip(lo, np.where(np.isinf(hi), None, hi)))
    out = []
    for c in cells:
        objective = np.zeros(n)
        objective[c] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0, (c, low.message)
        out.append((low.fun, -high.fun))
    return np.array(out)


def differencing(table: pd.DataFrame, exact: pd.DataFrame, indicators: set[str] | None = None) -> list[str]:
    """Hidden small counts whose LP range from what is published is narrower than the range the
    hidden counts and zeros alone leave."""
    merged = table.merge(exact[KEY + ["numerator", "denominator"]], on=KEY, suffixes=("", "_exact"))
    merged = merged[merged["statistic"] != STANDARDISED]
    problems = []
    for (indicator, statistic, _kind), column in merged.groupby(SERIES):
        if indicators and indicator not in indicators:
            continue
        roles = ["numerator"] + (["denominator"] if CATALOGUE[indicator].method in ("proportion", "event_rate") else [])
        for role in roles:
            cells = column[column[f"{role}_exact"].notna()].reset_index(drop=True)
            truth = cells[f"{role}_exact"].to_numpy(float)
            shown = cells[role].to_numpy(float)
            small = (truth >= LOW) & (truth <= HIGH)
            hidden = np.isnan(shown)
            lo, hi = _window(np.nan_to_num(shown))
            lo, hi = lo.astype(float), hi.astype(float)
            lo[hidden & small], hi[hidden & small] = LOW, HIGH
            lo[hidden & ~small], hi[hidden & ~small] = HIGH + 1, np.inf
            targets = list(np.flatnonzero(hidden & small))
            if not targets:
                continue
            sets = _sets(cells)
            found = _ranges(lo, hi, sets, truth, targets)
            base_lo, base_hi = lo.copy(), hi.copy()
            base_lo[~small & (truth > 0)], base_hi[~small & (truth > 0)] = HIGH + 1, np.inf
            base = _ranges(base_lo, base_hi, sets, truth, targets)
            for c, (f, b) in zip(targets, zip(found, base)):
                if f[0] > b[0] + 1e-6 or f[1] < b[1] - 1e-6:
                    r = cells.iloc[c]
                    problems.append(f"{r['provider']} {indicator} {statistic} {role} {r['breakdown']} {r['group_code']}: "
                                    f"range {f} narrower than {b}")
    return problems


# ------------------------------------------------------------------ the publications attacked
def _exact(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT * FROM indicator_counts").df()


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> dict:
    """A generated region year, published (no reports) as a run does."""
    from pipeline import audit
    from pipeline.contract import ALL_TABLES
    from pipeline.synth import generate

    tmp = tmp_path_factory.mktemp("region_attack")
    generate(tmp / "extracts", scale="region", years=["2024-25"], seed=5)
    spec = audit.RunSpec(extracts=tmp / "extracts", out=tmp / "out", year="2024-25", work=tmp / "work",
                         publication_date="2025-07-15")
    for table in ALL_TABLES:
        audit.ingest(spec, table)
    audit.validate(spec)
    audit.compute(spec)
    table = audit.publish_tables(spec)
    quality = pd.read_csv(spec.staging / "data" / "data_quality.csv")
    return {"table": _read(spec.staging / "data" / "indicators.csv"), "quality": quality,
            "exact": _exact(spec.warehouse), "rows": len(table)}


@pytest.fixture(scope="module")
def sample(published_sample) -> dict:
    work = published_sample.parent.parent / "work" / f"{published_sample.name}.duckdb"
    return {"table": _read(published_sample / "data" / "indicators.csv"),
            "quality": pd.read_csv(published_sample / "data" / "data_quality.csv"), "exact": _exact(work)}


@pytest.fixture(params=["sample", "region"])
def publication(request) -> dict:
    return request.getfixturevalue(request.param)


def test_no_value_or_interval_gives_back_a_rounded_count(publication):
    table = publication["table"]
    assert table["value"].notna().sum() > 500
    assert multiply_back(table) == []


def test_ratios_funnels_and_quality_shares_come_from_published_numbers(publication):
    assert ratios_from_published_counts(publication["table"]) == []
    assert funnels_from_published_values(publication["table"]) == []
    assert quality_from_published_counts(publication["quality"]) == []


def test_no_hidden_count_is_narrowed_by_differencing(publication):
    # the region year on four indicators (one of each method, people and events) to keep the suite short
    indicators = {"AC01", "AC02", "CO01", "CO05", "OU01"} if "rows" in publication else None
    problems = differencing(publication["table"], publication["exact"], indicators)
    assert problems == [], problems[:5]


def test_the_attack_catches_values_from_exact_counts(sample):
    """The multiply-back attack fails on a table whose values come from the exact counts (the
    old behaviour), so it can catch a regression."""
    from pipeline.estimates import exact_table

    table = sample["table"].copy()
    exact = exact_table(sample["exact"])
    merged = table.merge(exact[KEY + ["value", "lower_95", "upper_95"]], on=KEY, suffixes=("", "_x"))
    shown = merged["value"].notna()
    for col in ("value", "lower_95", "upper_95"):
        merged.loc[shown, col] = merged.loc[shown, f"{col}_x"].round(1)
    assert len(multiply_back(merged)) > 50


def test_no_white_british_row_is_a_partner_while_another_cell_could_be(sample):
    """Each White British count the sample hides as a complement sits in a set where nothing else
    could be hidden instead: its White group (White, Irish, Other White) held no other publishable
    non-zero count, or its set across providers (White British at every provider, and all
    providers) holds a small hidden White British count and only White British cells."""
    table = sample["table"][sample["table"]["statistic"] != STANDARDISED]
    hidden = table[(table["group_code"] == "A") & (table["suppressed"] == "nhs: complementary suppression")]
    for _, r in hidden.iterrows():
        same = table[(table[SERIES] == r[SERIES]).all(axis=1)]
        mine = same[same["provider"] == r["provider"]]
        white = mine[((mine["breakdown"] == "ethnic_category") & mine["group_code"].isin(["B", "C"]))
                     | ((mine["breakdown"] == "ethnic_group") & (mine["group_code"] == "WHITE"))]
        no_other = not ((white["numerator"] > 0) & white["numerator"].notna()).any()
        across = same[(same["breakdown"] == "ethnic_category") & (same["group_code"] == "A")]
        small_wb = across["suppressed"].str.startswith("nhs: count 1-4").any()
        assert no_other or small_wb, r[["provider", "indicator_id", "statistic"]].to_dict()
