"""Conformance of pipeline.stats / pipeline.funnel with PHEindicatormethods' own tests.

Reads the peer's fixtures from the shared reference folder (never copied into the
project): $MHAUDIT_PHE_REFERENCE, else <workspace>/shared/reference/phe. Tolerances are
those of that folder's README: relative 1e-9 for values stored at full precision; half a
unit of the last stored digit for the funnel CSVs (ratio/rate funnels may instead be
within 1e-8 relative); labels exactly.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import funnel, stats

REFERENCE = Path(os.environ.get("MHAUDIT_PHE_REFERENCE")
                 or Path(__file__).resolve().parents[2] / "shared" / "reference" / "phe")
if not REFERENCE.is_dir():
    pytest.skip(f"PHE reference fixtures not present (a user's clone): {REFERENCE}",
                allow_module_level=True)

FULL_PRECISION = 1e-9
LIMIT_COLUMNS = ["lower_2s", "upper_2s", "lower_3s", "upper_3s"]


def read(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, **kwargs)


def assert_full_precision(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float),
                               np.asarray(expected, dtype=float),
                               rtol=FULL_PRECISION, atol=0, equal_nan=True)


def half_unit(text: str) -> float:
    """Half a unit of the last digit of a number as printed (e.g. '1.25e-3' -> 5e-6)."""
    mantissa, _, exponent = text.strip().lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def assert_rounded(actual, printed: pd.Series, rel: float = 0.0, what: str = "") -> None:
    """Each value within half a unit of the printed value's last digit (or `rel`)."""
    actual = np.asarray(actual, dtype=float)
    expected = printed.astype(float).to_numpy()
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), what
    tolerance = np.array([half_unit(t) if isinstance(t, str) else 0.0 for t in printed])
    tolerance = np.maximum(tolerance, rel * np.abs(expected)) + 1e-12 * np.abs(expected)
    used = np.abs(actual - expected) / tolerance
    worst = int(np.nanargmax(used))
    assert np.nanmax(used) <= 1, (f"{what}: row {worst} got {actual[worst]!r}, "
                                  f"expected {printed.iloc[worst]} (tolerance {tolerance[worst]:g})")


# ------------------------------------------------------------------ interval helpers
def test_byars_and_wilson_limits_match_peer_unit_tests():
    cases = read("byars_wilson_limits.csv")
    for row in cases.itertuples():
        if row.function == "byars":
            got = stats.byars_ci(row.x, row.confidence)
        else:
            got = stats.wilson_ci(row.x, row.n, row.confidence)
        assert_full_precision(got, [row.lowercl, row.uppercl])
    assert np.isnan(cases.lowercl).sum() == 1  # Byar's x=1 at 99.8% goes negative -> NaN


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_proportion_ci_matches_peer(confidence):
    cases = read("proportion.csv").query("confidence == @confidence")
    for multiplier, rows in cases.groupby("multiplier"):
        got = stats.proportion_ci(rows.numerator, rows.denominator, multiplier, confidence)
        assert_full_precision(np.column_stack(got), rows[["value", "lowercl", "uppercl"]])


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_rate_ci_matches_peer(confidence):
    cases = read("rate.csv").query("confidence == @confidence")
    for multiplier, rows in cases.groupby("multiplier"):
        got = stats.rate_ci(rows.numerator, rows.denominator, multiplier, confidence)
        assert_full_precision(np.column_stack(got), rows[["value", "lowercl", "uppercl"]])


def test_poisson_ci_uses_the_peer_method_for_each_count():
    cases = read("rate.csv").dropna(subset=["numerator", "method"])
    for row in cases.itertuples():
        method = stats.exact_poisson_ci if row.method == "Exact" else stats.byars_ci
        assert_full_precision(stats.poisson_ci(row.numerator, row.confidence),
                              method(row.numerator, row.confidence))
    assert set(cases.method) == {"Exact", "Byars"}


# ------------------------------------------------------------------ DSR
def dsr_areas() -> dict[str, pd.DataFrame]:
    return dict(tuple(read("dsr_input.csv").groupby("area", sort=False)))


def test_dsr_matches_peer_for_each_area():
    areas = dsr_areas()
    expected = read("dsr_expected.csv").query("independent_events")
    assert len(expected) == 14
    for row in expected.itertuples():
        data = areas[row.area]
        got = stats.dsr(data["count"], data["pop"], data["stdpop"], row.multiplier, row.confidence)
        assert_full_precision(got, [row.value, row.lowercl, row.uppercl])


def test_dsr_2d_groups_match_peer():
    areas = dsr_areas()
    names = ["testdata_big", "testdata_small", "testdata_tiny"]  # same ESP2013 strata
    counts = np.vstack([areas[a]["count"] for a in names])
    pops = np.vstack([areas[a]["pop"] for a in names])
    expected = (read("dsr_expected.csv")
                .query("independent_events and multiplier == 100000 and confidence == 0.95")
                .set_index("area").loc[names])
    got = stats.dsr(counts, pops, areas["testdata_big"]["stdpop"])
    assert_full_precision(np.column_stack(got), expected[["value", "lowercl", "uppercl"]])


def test_dsr_nonindependent_matches_peer():
    data = read("dsr_nonindependent_input.csv")
    expected = read("dsr_expected.csv").query("not independent_events")
    assert len(expected) == 8
    for row in expected.itertuples():
        area = data[data.area == row.area]
        persons = area.pivot(index="eventfreq", columns="ageband", values="persons")
        strata = area.drop_duplicates("ageband").set_index("ageband").loc[persons.columns]
        got = stats.dsr_nonindependent(persons.to_numpy(), persons.index.to_numpy(),
                                       strata["pop"], strata["stdpop"],
                                       row.multiplier, row.confidence)
        # Stored values have 12-13 significant figures: 1e-9 relative still holds.
        assert_full_precision(got, [row.value, row.lowercl, row.uppercl])


# ------------------------------------------------------------------ validation rules
CALLS = {
    "proportion": lambda x, n, aux, c, m: stats.proportion_ci(x, n, m, c),
    "rate": lambda x, n, aux, c, m: stats.rate_ci(x, n, m, c),
    "wilson": lambda x, n, aux, c, m: stats.wilson_ci(x, n, c),
    "byars": lambda x, n, aux, c, m: stats.byars_ci(x, c),
    "dsr": lambda x, n, aux, c, m: stats.dsr(x, n, aux, m, c),
    "funnel_significance_proportion": lambda x, n, aux, c, m: funnel.funnel_significance(x, n),
}
VALIDATION = read("validation_cases.csv", dtype=str, keep_default_na=False)
RELEVANT = VALIDATION[VALIDATION.method.isin(CALLS)]  # ISR is not part of the API


def vector(text: str):
    return [float("nan") if v == "NA" else float(v) for v in text.split(";")] if text else None


def confidence_argument(text: str):
    if text in ("", "NA"):
        return None
    levels = vector(text)
    return levels[0] if len(levels) == 1 else tuple(levels)


@pytest.mark.parametrize("case", RELEVANT.to_dict("records"),
                         ids=[f"{m}: {c}" for m, c in zip(RELEVANT.method, RELEVANT.case)])
def test_validation_rules_match_peer(case):
    arguments = (vector(case["x"]), vector(case["n"]), vector(case["aux"]),
                 confidence_argument(case["confidence"]),
                 float(case["multiplier"]) if case["multiplier"] else None)
    call = CALLS[case["method"]]
    if case["expect"] == "error":
        with pytest.raises(ValueError):
            call(*arguments)
    else:
        result = call(*arguments)
        if case["method"] == "wilson":  # confidence 1: limits exactly 0 and 1
            assert np.all(np.asarray(result[0]) == 0) and np.all(np.asarray(result[1]) == 1)


def test_validation_fixture_covers_every_api_method():
    assert set(RELEVANT.method) == set(CALLS) and len(RELEVANT) == 45


# ------------------------------------------------------------------ funnels
def test_proportion_funnel_limits_match_peer():
    inputs = read("funnel_proportion_input.csv")
    expected = read("funnel_proportion_limits_expected.csv", dtype=str)
    scenarios = {"all_areas": inputs, "denominator_lt_31000": inputs[inputs.denominator < 31000]}
    for scenario, data in scenarios.items():
        rows = expected[expected.scenario == scenario]
        got = funnel.proportion_funnel_limits(data.numerator, data.denominator, multiplier=100)
        np.testing.assert_array_equal(got["population"], rows.Population.astype(float))
        for key in LIMIT_COLUMNS + ["baseline"]:
            column = key if key == "baseline" else f"{key}_limit"
            assert_rounded(got[key], rows[column], what=f"{scenario} {column}")


def test_proportion_funnel_significance_matches_peer():
    inputs = read("funnel_proportion_input.csv")
    got = funnel.funnel_significance(inputs.numerator, inputs.denominator)
    np.testing.assert_array_equal(got, inputs.significance)


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_funnel_limits_match_peer(ratio_type):
    inputs = read("funnel_ratio_input.csv")
    expected = read("funnel_ratio_limits_expected.csv", dtype=str)
    got = funnel.ratio_funnel_limits(inputs.obs, inputs.expected, ratio_type=ratio_type)
    np.testing.assert_array_equal(got["observed_events"], expected.Observed_events.astype(float))
    for key in LIMIT_COLUMNS:
        assert_rounded(got[f"{key}_exp_events"], expected[f"{key}_exp_events"], rel=1e-8, what=key)
        assert_rounded(got[key], expected[f"{key}_{ratio_type}"], rel=1e-8, what=key)


def test_ratio_funnel_significance_matches_peer():
    inputs = read("funnel_ratio_input.csv")
    got = funnel.funnel_significance(inputs.obs, inputs.expected, statistic="ratio")
    np.testing.assert_array_equal(got, inputs.significance)


def rate_scenario(name: str) -> dict:
    data = read("funnel_rate_input_and_points.csv")
    ev, rate = data.ev.to_numpy(float), data.rate.to_numpy(float)
    largest = np.argmax(ev)
    if name == "dsr":
        return dict(events=ev, rates=rate, rate_type="dsr")
    if name == "crude_maxev_to_5":
        ev[largest] = 5
        return dict(events=ev, rates=rate, rate_type="crude")
    pop = 1e5 * ev / rate
    ev[largest] = rate[largest] = 0
    keep = pop > pop.max() / 2
    return dict(events=ev[keep], rates=rate[keep], denominators=pop[keep], rate_type="crude")


@pytest.mark.parametrize("scenario", ["dsr", "crude_maxev_to_5",
                                      "crude_maxev_to_0_with_denominator"])
def test_rate_funnel_limits_match_peer(scenario):
    expected = read("funnel_rate_limits_expected.csv", dtype=str).query("scenario == @scenario")
    got = funnel.rate_funnel_limits(**rate_scenario(scenario), multiplier=1e5, years=3)
    np.testing.assert_array_equal(got["events"], expected.Events.astype(float))
    for key in LIMIT_COLUMNS:
        for suffix in ("_population_1_year", "_limit"):
            column = key + suffix
            assert_rounded(got[column.removesuffix("_limit")], expected[column], rel=1e-8,
                           what=f"{scenario} {column}")
    assert_rounded(got["baseline"], expected.baseline, rel=1e-8, what="baseline")


def test_rate_funnel_points_match_peer():
    data = read("funnel_rate_input_and_points.csv", dtype=str)
    ev, rate, pop = (data[c].astype(float).to_numpy() for c in ("ev", "rate", "pop"))
    largest = np.argmax(ev)
    ev_5, ev_0 = ev.copy(), ev.copy()
    ev_5[largest], ev_0[largest] = 5, 0
    scenarios = {
        "": funnel.rate_funnel_points(ev_5, rate, rate_type="dsr", multiplier=1e5, years=3),
        "_crude": funnel.rate_funnel_points(ev, rate, rate_type="crude", multiplier=1e5, years=3),
        "_crude_with_denom": funnel.rate_funnel_points(ev_0, rate, pop, rate_type="crude",
                                                       multiplier=1e5, years=5),
    }
    for suffix, (chart, denominator) in scenarios.items():
        assert_rounded(chart, data[f"rate_chart{suffix}"].replace("", np.nan), what=suffix)
        assert_rounded(denominator, data[f"denominator_derived{suffix}"], what=suffix)


@pytest.mark.parametrize("rate_type", ["dsr", "crude"])
@pytest.mark.parametrize("multiplier", [100000, 100])
@pytest.mark.parametrize("zero_row", ["with_0", "without_0"])
def test_rate_funnel_significance_matches_peer(rate_type, multiplier, zero_row):
    data = read("funnel_rate_significance.csv")
    if zero_row == "without_0":
        data = data[data["count"] > 0]
    rates = data.rate_dsr if rate_type == "dsr" else data[f"rate_crude_per_{multiplier}"]
    got = funnel.funnel_significance(data["count"], data["pop"], statistic="rate", rates=rates,
                                     rate_type=rate_type, multiplier=multiplier)
    np.testing.assert_array_equal(got, data[f"{rate_type}_per_{multiplier}_{zero_row}"])
