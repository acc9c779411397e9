"""Disclosure control: small counts hidden, the rest rounded, every figure from the published
counts, and further cells hidden only where differencing would narrow a hidden count."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import disclosure, estimates, stats
from builders import counts
from pipeline.differencing import Cells, HiddenRange, Sets, feasible_ranges, protect

NHS = HiddenRange(1, 4, 2)


def published(frame: pd.DataFrame, profile: str = "nhs", **kwargs) -> pd.DataFrame:
    controlled = disclosure.control(frame, profile, **kwargs)
    return estimates.published_table(controlled, None, "A", profile)


def row(frame: pd.DataFrame, code: str, breakdown: str = "ethnic_category") -> pd.Series:
    return frame[(frame.group_code == code) & (frame.breakdown == breakdown)].iloc[0]


def test_nhs_profile_hides_one_to_four_rounds_the_rest_and_keeps_zero():
    out = published(counts({"A": 122, "B": 3, "C": 0, "M": 48, "N": 52}))
    assert pd.isna(row(out, "B").numerator) and row(out, "B").suppressed == "nhs: count 1-4 (numerator)"
    assert np.isnan(row(out, "B").value) and row(out, "B").significance == ""
    assert row(out, "C").numerator == 0 and np.isnan(row(out, "C").value)  # a value needs 5 or more
    assert [row(out, c).numerator for c in ("A", "M", "N")] == [120, 50, 50]
    assert (out.suppressed != "nhs: complementary suppression").all()


def test_strict_profile_hides_zero_to_seven():
    out = published(counts({"A": 120, "B": 7, "C": 0, "M": 8}), "strict")
    assert pd.isna(row(out, "B").numerator) and pd.isna(row(out, "C").numerator)
    assert row(out, "M").numerator == 10


def test_every_figure_comes_from_the_published_counts():
    """8 of 12 is published as 10 of 10: the percentage is 100.0, not 66.7, and its interval and
    ratio are those of 10 of 10, so multiplying back gives only the published counts."""
    out = published(counts({"A": 40, "B": 8, "C": 30}, method="proportion", denominator={"A": 60, "B": 12, "C": 45}))
    irish = row(out, "B")
    assert (irish.numerator, irish.denominator) == (10, 10)
    assert irish.value == 100.0
    lower, upper = (round(x * 100, 1) for x in stats.wilson_ci(10, 10))
    assert (irish.lower_95, irish.upper_95) == (lower, upper)
    ratio = stats.proportion_ratio(10, 10, 40, 60)
    assert irish.comparator_ratio == round(ratio[0], 2)


def test_published_precision_is_one_decimal_for_values_and_two_for_ratios():
    out = published(counts({"A": 123, "M": 77, "N": 51}))
    shown = out[out.value.notna()]
    assert len(shown) >= 3
    for col in ("value", "lower_95", "upper_95"):
        assert (shown[col] == shown[col].round(1)).all(), col
    ratios = out["comparator_ratio"].dropna()
    assert len(ratios) and (ratios == ratios.round(2)).all()


def test_a_hidden_count_that_the_windows_already_protect_needs_no_partner():
    """Old rule: one hidden cell in a breakdown always took a second. Under the audit, a total of
    170 (168-172), White British 120 (118-122) and Caribbean 47 (45-49) leave Irish anywhere in
    -3 to 9: the whole range 1-4 is still possible, so nothing more is hidden."""
    out = published(counts({"A": 120, "B": 3, "M": 47}))
    assert (out.suppressed == "nhs: complementary suppression").sum() == 0
    assert out.numerator.isna().sum() == 1 + 0  # Irish only (its group White = A + B is 123, published)


def test_a_count_pinned_by_its_groups_total_gets_a_partner():
    """Caribbean 1, African 5, Other Black 0: Black (6) is published as 5 (5-7), so Caribbean would
    be 0-2, i.e. 1 or 2: narrower than 1-4. Hiding African would not help (it is 5-7 either way);
    hiding the Black total does, and the audit takes it."""
    out = published(counts({"A": 300, "M": 1, "N": 5, "P": 0, "H": 80}))
    assert pd.isna(row(out, "BLACK", "ethnic_group").numerator)
    assert row(out, "BLACK", "ethnic_group").suppressed == "nhs: complementary suppression"
    assert row(out, "N").numerator == 5  # African stays published


def test_the_comparator_is_never_the_partner_while_another_cell_can_do():
    """White = White British 5 + Irish 2 + Other White 0: hiding Irish alone, the published White
    (7, as 5-7) and White British (5-7) pin Irish to 0-2. White British is the smallest other cell
    but is the comparator: the White total is hidden instead, and every ratio survives."""
    out = published(counts({"A": 5, "B": 2, "C": 0, "M": 60, "N": 55}))
    assert row(out, "A").numerator == 5 and row(out, "A").suppressed == ""
    assert pd.isna(row(out, "WHITE", "ethnic_group").numerator)
    assert not pd.isna(row(out, "M").comparator_ratio)


def test_when_only_white_british_can_protect_a_count_the_reason_says_so():
    """The providers' White British counts (5, 5 and 2; all providers 12, published as 10) form a set
    of comparators only, which would pin the third provider's 2 to 1-2: a White British count is
    hidden, and the ratios compared with it say 'White British hidden to protect a small count', not
    'too few people'."""
    frames = [counts({"A": a, "B": 20, "M": 50, "N": 40}, provider=p) for p, a in (("P1", 5), ("P2", 5), ("P3", 2))]
    total = counts({"A": 12, "B": 60, "M": 150, "N": 120}, provider="ALL")
    out = published(pd.concat([*frames, total], ignore_index=True))
    hidden_wb = out[(out.group_code == "A") & (out.suppressed == "nhs: complementary suppression")]
    assert len(hidden_wb) == 1
    provider = hidden_wb.provider.iloc[0]
    mine = out[(out.provider == provider) & out.group_code.isin(["M", "N", "BLACK"])]
    assert (mine.suppressed == f"nhs: {disclosure.COMPARATOR_HIDDEN_RULE}").all()
    assert mine.comparator_ratio.isna().all() and mine.value.notna().all()


def test_england_in_a_national_run_is_published_unrounded():
    frame = pd.concat([counts({"A": 122, "M": 33}, provider="P1"), counts({"A": 122, "M": 33}, provider="ALL")])
    out = published(frame, exempt_providers=("ALL",))
    assert row(out[out.provider == "ALL"], "A").numerator == 122
    assert row(out[out.provider == "P1"], "A").numerator == 120


def test_a_ratio_hidden_for_a_small_white_british_count_says_why():
    out = published(counts({"A": 3, "M": 60, "N": 47}))
    black = row(out, "M")
    assert black.numerator == 60 and not np.isnan(black.value) and np.isnan(black.comparator_ratio)
    assert black.suppressed.endswith(disclosure.COMPARATOR_SMALL_RULE)


def test_last_years_hidden_value_hides_the_change_and_says_why():
    now = published(counts({"A": 120, "M": 60}))
    before = published(counts({"A": 110, "M": 2}))
    controlled = disclosure.control(counts({"A": 120, "M": 60}))
    out = estimates.published_table(controlled, before, "A")
    assert np.isnan(row(out, "M").change) and row(out, "M").suppressed == f"nhs: {disclosure.PREVIOUS_RULE}"
    assert row(out, "A").change == round(row(now, "A").value - row(before, "A").value, 1)


# ------------------------------------------------------------------ the differencing engine
def test_feasible_ranges_follow_every_set_to_a_fixed_point():
    """T = a + b and a = c + d. T published 5 (5-7), b published 5 (5-7), a and c hidden, d zero:
    a = T - b is -2..2, so 1-2; and c = a - d inherits it through the second set."""
    exact = np.array([6, 1, 5, 1, 0], float)
    primary = np.array([0, 1, 0, 1, 0], bool)
    cells = Cells(exact, primary, np.zeros(5, bool), np.zeros(5, bool))
    lo, hi = feasible_ranges(cells, Sets([(0, [1, 2]), (1, [3, 4])], exact), NHS)
    assert (lo[1], hi[1]) == (1, 2) and (lo[3], hi[3]) == (1, 2)
    exact[[0, 2]] = [13, 12]  # T 15 (13-17), b 10 (8-12): a is 1-9, c keeps 1-4
    lo, hi = feasible_ranges(Cells(exact, primary, cells.exempt, cells.avoid), Sets([(0, [1, 2]), (1, [3, 4])], exact), NHS)
    assert (lo[3], hi[3]) == (1, 4)


def test_protect_adds_nothing_where_nothing_is_narrowed_and_a_partner_where_it_is():
    exact = np.array([6, 1, 5, 0], float)  # total 6 (5-7) = 1 (hidden) + 5 (5-7) + 0
    cells = Cells(exact, exact == 1, np.zeros(4, bool), np.zeros(4, bool))
    sets = Sets([(0, [1, 2, 3])], exact)
    extra = protect(cells, sets, NHS)
    assert extra[0] and not extra[2]  # the total: hiding the 5 would leave the hidden cell at 1-2
    lo, hi = feasible_ranges(cells, sets, NHS)
    assert (lo[1], hi[1]) == (1, 4)


# ------------------------------------------------------------------ data quality
def test_quality_counts_are_controlled_and_audited_as_a_set():
    """The ethnicity statuses add up to the persons: invalid 3 alone hidden would be pinned by the
    total and the other statuses when they are exact zeros; the audit hides a partner."""
    measures = pd.DataFrame([
        {"provider": "P1", "measure": "DQ01", "table": "MHS001MPI", "field": "EthnicCategory", "check": c,
         "count": n, "total": 1003} for c, n in (("valid", 1000), ("not_stated", 0), ("not_known", 0),
                                                 ("invalid", 3), ("missing", 0))])
    out = disclosure.control_quality(measures)
    assert out.loc[out.check == "valid", "count"].iloc[0] == 1000
    assert out.loc[out.check == "invalid", "count_hidden"].iloc[0]
    assert "count 1-4" in out.loc[out.check == "invalid", "suppressed"].iloc[0]
    # 1003 (1001-1005) minus 1000 (998-1002): invalid is -1..7, so 1-4 stays whole: no partner needed
    assert out["count_hidden"].sum() == 1 and not out["total_hidden"].any()
