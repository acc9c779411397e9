"""Unit tests for pipeline.stats and pipeline.funnel: edge cases, validation, invariants.

Expected numbers come from published worked examples or closed forms that the module
does not use (e.g. Poisson P(K=0) = exp(-mu)), never from the code under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2, norm

from pipeline import funnel, stats

Z95 = norm.ppf(0.975)


# ------------------------------------------------------------------ Wilson
def test_wilson_ci_matches_newcombe_worked_example():
    # Newcombe (1998), Stat Med 17:857, method 3: 81/263 -> 0.2553 to 0.3662.
    lower, upper = stats.wilson_ci(81, 263)
    assert lower == pytest.approx(0.2553, abs=5e-5)
    assert upper == pytest.approx(0.3662, abs=5e-5)


def test_wilson_ci_handles_zero_numerator():
    lower, upper = stats.wilson_ci(0, 40)
    assert lower == 0
    assert upper == pytest.approx(Z95 ** 2 / (40 + Z95 ** 2), rel=1e-12)


def test_wilson_ci_handles_numerator_equal_to_denominator():
    lower, upper = stats.wilson_ci(40, 40)
    assert upper == pytest.approx(1, abs=1e-15)
    assert lower == pytest.approx(40 / (40 + Z95 ** 2), rel=1e-12)


def test_wilson_ci_confidence_one_gives_zero_to_one():
    assert stats.wilson_ci([3, 7], [10, 10], 1) == (pytest.approx([0, 0]), pytest.approx([1, 1]))


def test_wilson_ci_missing_input_gives_nan():
    lower, upper = stats.wilson_ci([np.nan, 5], [10, np.nan])
    assert np.isnan(lower).all() and np.isnan(upper).all()


def test_proportion_ci_scales_value_and_limits_by_multiplier():
    value, lower, upper = stats.proportion_ci(81, 263)
    assert value == pytest.approx(100 * 81 / 263)
    assert (lower, upper) == pytest.approx(tuple(100 * v for v in stats.wilson_ci(81, 263)))


def test_proportion_ci_without_confidence_returns_value_only():
    value, lower, upper = stats.proportion_ci(5, 20, multiplier=1, confidence=None)
    assert value == 0.25 and math.isnan(lower) and math.isnan(upper)


# ------------------------------------------------------------------ Poisson
def test_exact_poisson_ci_at_count_zero_has_lower_zero():
    lower, upper = stats.exact_poisson_ci(0)
    assert lower == 0
    assert upper == pytest.approx(-math.log(0.025), rel=1e-12)  # P(K=0; mu) = 0.025


def test_exact_poisson_ci_at_count_one_solves_the_tail_equations():
    lower, upper = stats.exact_poisson_ci(1)
    assert 1 - math.exp(-lower) == pytest.approx(0.025, rel=1e-9)  # P(K>=1; lower)
    assert math.exp(-upper) * (1 + upper) == pytest.approx(0.025, rel=1e-9)  # P(K<=1; upper)


def test_poisson_ci_uses_exact_below_ten_and_byars_from_ten():
    assert stats.poisson_ci(9) == stats.exact_poisson_ci(9)
    assert stats.poisson_ci(9) != stats.byars_ci(9)
    assert stats.poisson_ci(10) == stats.byars_ci(10)
    assert stats.poisson_ci(10) != stats.exact_poisson_ci(10)
    assert stats.poisson_ci(0) == stats.exact_poisson_ci(0)


def test_byars_ci_approximates_exact_limits_for_large_counts():
    byars, exact = stats.byars_ci(100), stats.exact_poisson_ci(100)
    assert byars == pytest.approx(exact, rel=1e-3)


def test_byars_ci_negative_lower_limit_becomes_nan():
    lower, upper = stats.byars_ci(1, 0.998)
    assert math.isnan(lower) and upper > 1


def test_rate_ci_allows_count_above_population():
    rate, lower, upper = stats.rate_ci(250, 220)
    assert rate == pytest.approx(250 / 220 * 1e5) and lower < rate < upper


def test_rate_ci_is_count_limits_over_population():
    rate, lower, upper = stats.rate_ci([5, 50], [1000, 1000], multiplier=1000)
    exact, byars = stats.exact_poisson_ci(5), stats.byars_ci(50)
    np.testing.assert_allclose(lower, [exact[0], byars[0]], rtol=1e-12)
    np.testing.assert_allclose(upper, [exact[1], byars[1]], rtol=1e-12)
    np.testing.assert_allclose(rate, [5, 50])


@pytest.mark.parametrize("function, args", [
    (stats.wilson_ci, ([0, 3, 50], [10, 10, 60])),
    (stats.proportion_ci, ([0, 3, 50], [10, 10, 60])),
    (stats.poisson_ci, ([0, 9, 10, 500],)),
    (stats.byars_ci, ([10, 500],)),
    (stats.exact_poisson_ci, ([0, 9],)),
    (stats.rate_ci, ([0, 9, 10, 500], [100, 200, 300, 400])),
    (stats.rate_ratio, ([5, 20], [100, 200], [8, 30], [150, 250])),
    (stats.proportion_ratio, ([5, 20], [100, 200], [8, 30], [150, 250])),
])
def test_vectorised_arrays_match_scalar_calls(function, args):
    vectorised = function(*args)
    for i in range(len(args[0])):
        scalar = function(*(a[i] for a in args))
        assert all(isinstance(v, float) for v in scalar)
        np.testing.assert_allclose([v[i] for v in vectorised], scalar, rtol=1e-15)


def test_confidence_998_widens_the_interval_and_accepts_percentages():
    narrow, wide = stats.rate_ci(30, 1000), stats.rate_ci(30, 1000, confidence=0.998)
    assert wide[1] < narrow[1] and wide[2] > narrow[2]
    assert stats.rate_ci(30, 1000, confidence=99.8) == wide
    assert stats.wilson_ci(3, 10, 0.998)[0] < stats.wilson_ci(3, 10)[0]


# ------------------------------------------------------------------ DSR
STD = np.array([5000.0, 5500, 6000, 6500])


def test_dsr_equals_crude_rate_when_population_mirrors_the_standard():
    counts, pops = np.array([12.0, 7, 30, 40]), STD / 5
    rate, lower, upper = stats.dsr(counts, pops, STD)
    assert rate == pytest.approx(counts.sum() / pops.sum() * 1e5, rel=1e-12)
    assert lower < rate < upper


def test_dsr_2d_equals_row_by_row_1d():
    counts = np.array([[12, 7, 30, 40], [1, 2, 3, 2], [50, 60, 70, 80]], dtype=float)
    pops = np.array([[900, 800, 1200, 1000], [500, 500, 500, 500], [2000, 2100, 2200, 2300]])
    grouped = stats.dsr(counts, pops, STD, multiplier=1000, confidence=0.998)
    assert all(len(a) == 3 for a in grouped)
    for g in range(3):
        np.testing.assert_allclose([a[g] for a in grouped],
                                   stats.dsr(counts[g], pops[g], STD, 1000, 0.998),
                                   rtol=1e-15, equal_nan=True)


def test_dsr_total_count_below_ten_is_not_published():
    assert all(math.isnan(v) for v in stats.dsr([1, 2, 3, 3], [100] * 4, STD))
    assert not any(math.isnan(v) for v in stats.dsr([1, 2, 3, 4], [100] * 4, STD))


def test_dsr_treats_missing_counts_as_zero():
    assert stats.dsr([10, np.nan, 5, 5], [100] * 4, STD) == stats.dsr([10, 0, 5, 5], [100] * 4, STD)


@pytest.mark.parametrize("populations", [[100, 0, 100, 100], [100, -5, 100, 100],
                                         [100, np.nan, 100, 100]])
def test_dsr_rejects_zero_negative_or_missing_population(populations):
    with pytest.raises(ValueError, match="populations.*index 1"):
        stats.dsr([10, 5, 5, 5], populations, STD)


@pytest.mark.parametrize("kwargs, match", [
    (dict(counts=[10, -1, 5, 5]), "counts"),
    (dict(standard_populations=[5000, -1, 6000, 6500]), "standard_populations"),
    (dict(standard_populations=[5000, np.nan, 6000, 6500]), "standard_populations"),
    (dict(counts=[10, 5, 5]), "align"),
    (dict(multiplier=-1), "multiplier"),
])
def test_dsr_rejects_bad_input(kwargs, match):
    arguments = dict(counts=[10, 5, 5, 5], populations=[100] * 4, standard_populations=STD)
    with pytest.raises(ValueError, match=match):
        stats.dsr(**(arguments | kwargs))


def test_dsr_nonindependent_with_single_events_equals_dsr():
    counts, pops = np.array([12.0, 7, 30, 40]), np.array([900, 800, 1200, 1000])
    assert stats.dsr_nonindependent(counts[None, :], [1], pops, STD) == pytest.approx(
        stats.dsr(counts, pops, STD), rel=1e-14)


def test_dsr_nonindependent_repeat_events_widen_the_interval():
    persons, pops = np.array([[10.0, 7, 30, 40], [1, 1, 5, 5]]), np.array([900, 800, 1200, 1000])
    value, lower, upper = stats.dsr_nonindependent(persons, [1, 2], pops, STD)
    events = persons[0] + 2 * persons[1]
    same_value, naive_lower, naive_upper = stats.dsr(events, pops, STD)
    assert value == pytest.approx(same_value, rel=1e-14)
    assert lower < naive_lower and upper > naive_upper


# ------------------------------------------------------------------ ratios
def test_rate_ratio_is_symmetric():
    forward, backward = stats.rate_ratio(30, 1000, 20, 1500), stats.rate_ratio(20, 1500, 30, 1000)
    assert forward[0] == pytest.approx(1 / backward[0])
    assert forward[1] == pytest.approx(1 / backward[2])
    assert forward[2] == pytest.approx(1 / backward[1])


def test_rate_ratio_uses_log_scale_standard_error():
    ratio, lower, upper = stats.rate_ratio(30, 1000, 20, 1500)
    assert ratio == pytest.approx(2.25)
    assert math.log(upper / lower) == pytest.approx(2 * Z95 * math.sqrt(1 / 30 + 1 / 20))
    assert math.sqrt(lower * upper) == pytest.approx(ratio)


@pytest.mark.parametrize("args", [(0, 1000, 20, 1500), (30, 1000, 0, 1500), (30, 0, 20, 1500),
                                  (30, 1000, 20, np.nan)])
def test_rate_ratio_is_nan_when_undefined(args):
    assert all(math.isnan(v) for v in stats.rate_ratio(*args))


def test_proportion_ratio_uses_katz_log_method():
    ratio, lower, upper = stats.proportion_ratio(30, 100, 20, 200)
    assert ratio == pytest.approx(3.0)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 20 - 1 / 200)
    assert (lower, upper) == pytest.approx((3 * math.exp(-Z95 * se), 3 * math.exp(Z95 * se)))


def test_proportion_ratio_is_nan_when_undefined_and_rejects_numerator_above_denominator():
    assert all(math.isnan(v) for v in stats.proportion_ratio(0, 100, 20, 200))
    assert all(math.isnan(v) for v in stats.proportion_ratio(0, 0, 20, 200))
    with pytest.raises(ValueError, match="numerator2"):
        stats.proportion_ratio(5, 100, 201, 200)


def test_significance_labels():
    labels = stats.significance([1.1, 0.5, 0.9, np.nan, 1.0], [1.5, 0.95, 1.2, 2, 1.3])
    assert labels.tolist() == ["higher", "lower", "similar", "", "similar"]
    assert stats.significance(0.2, 0.99) == "lower"


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("call, match", [
    (lambda: stats.wilson_ci([5, -1], [10, 10]), r"numerator .*-1 at index 1"),
    (lambda: stats.wilson_ci(11, 10), "numerator must be less than or equal to denominator"),
    (lambda: stats.proportion_ci(11, 10), "numerator"),
    (lambda: stats.wilson_ci(1, 0), "denominator must be greater than zero"),
    (lambda: stats.proportion_ci([1, 2], [5, -5]), "denominator.*index 1"),
    (lambda: stats.rate_ci(-1, 100), "count"),
    (lambda: stats.rate_ci(5, 0), "population must be greater than zero"),
    (lambda: stats.poisson_ci(-2), "count"),
    (lambda: stats.byars_ci(-2), "count"),
    (lambda: stats.exact_poisson_ci(-2), "count"),
    (lambda: stats.rate_ratio(-1, 100, 5, 100), "count1"),
    (lambda: stats.rate_ratio(1, 100, 5, -100), "population2"),
    (lambda: stats.proportion_ci(1, 10, multiplier=0), "multiplier"),
])
def test_invalid_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("confidence", [0, 0.5, 0.8, 1.5, 50, 130, -0.95, (0.95, 0.998), "high"])
@pytest.mark.parametrize("function, args", [
    (stats.wilson_ci, (5, 10)), (stats.poisson_ci, (5,)), (stats.rate_ci, (5, 10)),
    (stats.dsr, ([10, 5, 5, 5], [100] * 4, STD)), (stats.rate_ratio, (5, 10, 6, 10)),
])
def test_confidence_outside_accepted_range_raises(function, args, confidence):
    with pytest.raises(ValueError, match="confidence"):
        function(*args, confidence=confidence)


# ------------------------------------------------------------------ funnels
def test_funnel_axis_reproduces_r_digit_count_quirk():
    assert [funnel._r_nchar(v) for v in (7, 123456, 120000, 100000)] == [1, 6, 6, 5]


def test_funnel_axis_has_100_increasing_points_within_range():
    axis = funnel.funnel_axis([400, 950, 3000])
    assert len(axis) == 100 and axis[0] == 1 and axis[-1] == 3200  # 3150 up to 2 s.f.
    assert np.all(np.diff(axis) >= 1) and np.all(axis == np.round(axis))


def test_funnel_axis_starts_at_rounded_minimum_for_narrow_ranges():
    assert funnel.funnel_axis([5000, 8000])[0] == 4000  # 4750 down to 1 s.f.


def test_proportion_funnel_limits_are_normal_limits_around_the_average():
    limits = funnel.proportion_funnel_limits([30, 70], [100, 100], at=[50, 400], multiplier=100)
    half_width = 100 * norm.ppf(0.999) * np.sqrt(0.25 / np.array([50, 400]))
    np.testing.assert_allclose(limits["upper_3s"] - 50, half_width)
    np.testing.assert_allclose(50 - limits["lower_3s"], half_width)
    assert limits["baseline"].tolist() == [50, 50]


def test_proportion_funnel_limits_are_clipped_to_0_and_100():
    limits = funnel.proportion_funnel_limits([1, 99], [100, 100], at=[2], multiplier=100)
    assert limits["lower_3s"][0] == 0 and limits["upper_3s"][0] == 100


def test_poisson_funnel_mean_is_close_to_the_chi_squared_quantile():
    observed = np.array([1.0, 5, 50, 400])
    np.testing.assert_allclose(funnel.poisson_funnel_mean(observed, 0.025, "lower"),
                               chi2.ppf(0.975, 2 * observed + 2) / 2, rtol=1e-4)
    np.testing.assert_allclose(funnel.poisson_funnel_mean(observed, 0.001, "upper"),
                               chi2.ppf(0.001, 2 * observed) / 2, rtol=1e-4)


def test_funnel_significance_flags_clear_outliers():
    numerators, denominators = [500, 100, 100, 100, 10], [1000, 1000, 1000, 1000, 1000]
    labels = funnel.funnel_significance(numerators, denominators)
    assert labels[0] == "High (0.001)" and labels[-1] == "Low (0.001)"
    ratios = funnel.funnel_significance([200, 100, 40], [100, 100, 100], statistic="ratio")
    assert ratios.tolist() == ["High (0.001)", "Not significant", "Low (0.001)"]


def test_funnel_significance_marks_small_dsr_counts_not_applicable():
    labels = funnel.funnel_significance([5, 200, 300], statistic="rate", rates=[50, 100, 120],
                                        rate_type="dsr", multiplier=1e5)
    assert labels[0] == "Not applicable for events less than 10 for dsrs"


def test_funnel_significance_rejects_zero_denominator():
    with pytest.raises(ValueError, match="denominators"):
        funnel.funnel_significance([1, 2], [10, 0])


def test_mean_ci_matches_phe_mean_formula_from_sums():
    values = np.array([33.09375, 48.38596, 64.83495, 67.98475, 80.0, 12.5])
    mean, lower, upper = stats.mean_ci(values.sum(), (values ** 2).sum(), len(values))
    from scipy import stats as sps
    half = sps.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    assert mean == pytest.approx(values.mean(), rel=1e-12)
    assert (lower, upper) == pytest.approx((values.mean() - half, values.mean() + half), rel=1e-10)


def test_mean_ci_needs_two_values_for_limits():
    mean, lower, upper = stats.mean_ci(np.array([5.0, 0.0]), np.array([25.0, 0.0]), np.array([1, 0]))
    assert mean[0] == 5.0 and np.isnan(lower[0]) and np.isnan(mean[1])


def test_dsr_ratio_of_identical_groups_is_one_with_symmetric_log_limits():
    counts, pops, std = [30, 40, 50], [1000, 2000, 3000], [5000, 6000, 7000]
    ratio, lower, upper = stats.dsr_ratio(counts, pops, counts, pops, std)
    assert ratio == pytest.approx(1.0)
    assert lower * upper == pytest.approx(1.0) and lower < 1 < upper


def test_difference_ci_reduces_to_the_sum_of_squared_half_widths_when_symmetric():
    d, lower, upper = stats.difference_ci(10.0, 8.0, 12.0, 6.0, 5.0, 7.0)
    assert d == 4.0
    assert (lower, upper) == pytest.approx((4 - math.sqrt(4 + 1), 4 + math.sqrt(4 + 1)))


def test_difference_ci_newcombe_worked_example():
    # Newcombe (1998), example (a): 56/70 vs 48/80, Wilson intervals; MOVER gives 0.0524 to 0.3339.
    l1, u1 = stats.wilson_ci(56, 70)
    l0, u0 = stats.wilson_ci(48, 80)
    d, lower, upper = stats.difference_ci(56 / 70, l1, u1, 48 / 80, l0, u0)
    assert d == pytest.approx(0.2)
    assert (round(lower, 4), round(upper, 4)) == (0.0524, 0.3339)
