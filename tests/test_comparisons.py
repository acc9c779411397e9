"""Comparisons a statistician would sign: score intervals for ratios (against published worked
values), the median length of stay with a distribution-free interval, and the trend of a gap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sp

from pipeline import stats
from pipeline.trend import regression


def test_koopman_score_interval_for_a_ratio_of_proportions_matches_published_values():
    """Fagerland, Lydersen and Laake (2015), 7/34 against 1/34: Koopman asymptotic score 1.21 to 43
    (as published, to two figures); PropCIs::riskscoreci gives 1.220853 to 42.575718."""
    ratio, lower, upper = stats.proportion_ratio_score(7, 34, 1, 34)
    assert ratio == pytest.approx(7.0)
    assert (lower, upper) == pytest.approx((1.220853, 42.575718), rel=1e-6)
    assert (round(lower, 2), round(upper)) == (1.22, 43)


def test_score_interval_for_a_ratio_of_rates_matches_gu_et_al():
    """Gu, Ng, Tang and Schucany (2008): their score test of equal rates for 60 events in 51,477.5
    person-years against 30 in 54,308.7 has one-sided p 0.000316; of a ratio of 1.5 for the breast
    cancer data (41 in 28,010 against 15 in 19,017) 0.2398. The score interval is the set of ratios
    whose two-sided p is at least 5%, so each of its limits has p 0.05."""
    def p_values(r, x1, t1, x2, t2):  # the conditional score test the interval inverts
        d = r * t1 / t2
        z = (x1 - x2 * d) / np.sqrt((x1 + x2) * d)
        return 2 * sp.norm.sf(abs(z)), sp.norm.sf(z)

    assert p_values(1.0, 60, 51477.5, 30, 54308.7)[1] == pytest.approx(0.000316, abs=5e-7)
    assert p_values(1.5, 41, 28010, 15, 19017)[1] == pytest.approx(0.2398, abs=5e-4)  # published to 4 places
    ratio, lower, upper = stats.rate_ratio_score(41, 28010, 15, 19017)
    assert ratio == pytest.approx((41 / 28010) / (15 / 19017))
    p_two_sided = lambda r: p_values(r, 41, 28010, 15, 19017)  # noqa: E731
    assert p_two_sided(lower)[0] == pytest.approx(0.05, abs=1e-9)
    assert p_two_sided(upper)[0] == pytest.approx(0.05, abs=1e-9)


def test_ratio_intervals_stay_honest_at_zero_and_one_hundred_percent():
    """5 of 5 against 139 of 200 (69.5%): the log (Katz) interval collapses to 1.37-1.51, which
    excludes 1; the score interval must not (the difference is not significant: Fisher's exact p is 0.32)."""
    _, katz_lo, katz_hi = stats.proportion_ratio(5, 5, 139, 200)
    assert katz_lo > 1.3  # the old method's failure, so this test can fail
    _, lower, upper = stats.proportion_ratio_score(5, 5, 139, 200)
    assert lower < 1 < upper
    assert stats.proportion_ratio_score(0, 5, 139, 200)[1] == 0.0  # none: the lower limit is 0
    assert stats.proportion_ratio_score(5, 5, 0, 10)[2] == np.inf  # comparator none: no upper limit
    assert np.isnan(stats.proportion_ratio_score(0, 5, 0, 10)[0])
    assert stats.rate_ratio_score(0, 1000, 20, 4000)[1] == 0.0


def test_score_intervals_cover_the_true_ratio_for_small_counts():
    rng = np.random.default_rng(3)
    n1, n2, p1, p2 = 12, 400, 0.4, 0.2
    x1, x2 = rng.binomial(n1, p1, 4000), rng.binomial(n2, p2, 4000)
    _, lower, upper = stats.proportion_ratio_score(x1, np.full(4000, n1), x2, np.full(4000, n2))
    assert 0.93 <= np.mean((lower <= 2.0) & (2.0 <= upper)) <= 0.98
    c1, c2 = rng.poisson(6, 4000), rng.poisson(90, 4000)
    _, lower, upper = stats.rate_ratio_score(c1, np.full(4000, 1000), c2, np.full(4000, 30000))
    assert 0.93 <= np.mean((lower <= 2.0) & (2.0 <= upper)) <= 0.98


def test_median_interval_is_distribution_free_order_statistics():
    """For 20 values the 95% interval of the median is the 6th to 15th (binomial coverage 95.9%)."""
    values = np.arange(1, 21) * 3.0
    median, lower, upper = stats.median_ci(values[::-1])
    assert median == 31.5 and (lower, upper) == (18.0, 45.0)
    assert sp.binom.cdf(14, 20, 0.5) - sp.binom.cdf(5, 20, 0.5) >= 0.95
    rng = np.random.default_rng(5)
    covered = [stats.median_ci(rng.exponential(10, 40))[1:] for _ in range(600)]
    true = 10 * np.log(2)
    assert np.mean([lo <= true <= hi for lo, hi in covered]) >= 0.94


@pytest.mark.parametrize("method", ["rate", "proportion"])
def test_gap_trend_regression_recovers_a_planted_change_at_its_nominal_level(method):
    """A group x year term: with a planted ratio change of 0.85 a year the interval covers it about
    95% of the time; with none, 'changed' comes up about 5% of the time."""
    rng = np.random.default_rng(11 if method == "rate" else 12)
    years = np.arange(5)
    denominator, comp_denominator = np.full(5, 20000.0), np.full(5, 200000.0)
    base, comp = 0.004 * 1.05 ** years, 0.001 * 1.05 ** years
    hits, false = [], []
    for _ in range(150):
        for change, out in ((0.85, hits), (1.0, false)):
            p = base * change ** years
            draw = (lambda m, n: rng.poisson(m * n)) if method == "rate" else (lambda m, n: rng.binomial(n.astype(int), m))
            fitted = regression(draw(p, denominator), denominator, draw(comp, comp_denominator), comp_denominator, method)
            out.append(fitted[1] <= change <= fitted[2])
    assert np.mean(hits) >= 0.90
    assert np.mean(false) >= 0.90


def test_no_published_group_at_0_or_100_percent_has_a_ratio_interval_narrower_than_its_own(published_sample):
    """A group at 100% (say 5 of 5) has its own wide interval; its ratio to White British must be at
    least as uncertain: the ratio interval covers the group's own interval over White British's value."""
    import pandas as pd

    table = pd.read_csv(published_sample / "data" / "indicators.csv")
    own = table[(table["breakdown"] == "ethnic_category") & (table["group_code"] == "A")]
    own = own.set_index(["provider", "indicator_id", "statistic"])["value"]
    edge = table[table["value"].isin([0.0, 100.0]) & table["comparator_ratio"].notna() & table["unit"].str.startswith("%")]
    assert len(edge) > 0  # the sample has such groups, so this test can fail
    for _, r in edge.iterrows():
        comparator = own.loc[(r["provider"], r["indicator_id"], r["statistic"])]
        assert r["ratio_lower_95"] <= r["lower_95"] / comparator + 0.01, r.to_dict()
        assert r["ratio_upper_95"] >= r["upper_95"] / comparator - 0.01, r.to_dict()


def test_median_interval_takes_quantile_tests_order_statistics_for_every_sample_size():
    """median_ci finds the interval without building quantile_test's objects: the very same
    order statistics for every sample size up to 3,000, at 95% and at 99.8%."""
    for n in range(1, 3001):
        values = np.arange(n, 0, -1) * 1.5  # distinct, unsorted: the interval names its order statistics
        test = sp.quantile_test(values, q=float(np.median(values)), p=0.5)
        for level in (0.95, 0.998):
            expected = test.confidence_interval(level)
            np.testing.assert_equal(stats.median_ci(values, level),
                                    (np.median(values), expected.low, expected.high), err_msg=f"n={n} at {level}")
