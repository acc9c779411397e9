"""Disclosure control: small counts hidden, the rest rounded, complementary suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import disclosure


def _block(counts: dict[str, float], denominator: float = 10_000, provider: str = "P1") -> pd.DataFrame:
    rows = []
    for code, n in counts.items():
        rows.append({"year": "2024-25", "provider": provider, "indicator_id": "CO01", "statistic": "crude rate",
                     "breakdown": "ethnic_group", "group_code": code, "numerator": n, "denominator": denominator,
                     "value": n / denominator * 1e5, "lower_95": 1.0, "upper_95": 2.0, "comparator_ratio": 1.5,
                     "ratio_lower_95": 1.1, "ratio_upper_95": 2.1, "significance": "higher"})
    return pd.DataFrame(rows)


def test_nhs_profile_hides_counts_of_one_to_four_and_their_values():
    out = disclosure.apply(_block({"WHITE": 120, "BLACK": 3, "ASIAN": 0, "MIXED": 47}))
    black = out[out.group_code == "BLACK"].iloc[0]
    assert pd.isna(black.numerator) and np.isnan(black.value) and np.isnan(black.comparator_ratio)
    assert black.suppressed.startswith("nhs: count 1-4")
    assert black.significance == ""


def test_zero_is_published_as_zero_but_its_rate_is_not():
    out = disclosure.apply(_block({"WHITE": 120, "ASIAN": 0, "MIXED": 47, "OTHER": 52}))
    asian = out[out.group_code == "ASIAN"].iloc[0]
    assert asian.numerator == 0
    assert np.isnan(asian.value)  # a value from fewer than 5 is not shown


def test_counts_are_rounded_to_the_nearest_five():
    out = disclosure.apply(_block({"WHITE": 122, "MIXED": 47, "OTHER": 52.5}))
    assert list(out.numerator) == [120, 45, 55]
    assert out.value.iloc[0] == pytest.approx(122 / 10_000 * 1e5)  # value from the unrounded count


def test_one_suppressed_cell_forces_a_second_the_smallest_other():
    out = disclosure.apply(_block({"WHITE": 120, "BLACK": 3, "ASIAN": 9, "MIXED": 47}))
    asian = out[out.group_code == "ASIAN"].iloc[0]
    assert pd.isna(asian.numerator)
    assert asian.suppressed == "nhs: complementary suppression"
    assert out[out.group_code == "MIXED"].numerator.iloc[0] == 45


def test_two_suppressed_cells_need_no_complement():
    out = disclosure.apply(_block({"WHITE": 120, "BLACK": 3, "ASIAN": 2, "MIXED": 47}))
    assert (out.suppressed == "nhs: complementary suppression").sum() == 0


def test_strict_profile_hides_zero_to_seven():
    out = disclosure.apply(_block({"WHITE": 120, "BLACK": 7, "ASIAN": 0, "MIXED": 8}), "strict")
    assert pd.isna(out[out.group_code == "BLACK"].numerator.iloc[0])
    assert pd.isna(out[out.group_code == "ASIAN"].numerator.iloc[0])
    assert out[out.group_code == "MIXED"].numerator.iloc[0] == 10


def test_exempt_provider_is_published_unrounded():
    out = disclosure.apply(_block({"WHITE": 122, "BLACK": 3}, provider="ALL"), unrounded_providers=("ALL",))
    assert list(out.numerator) == [122, 3]
    assert (out.suppressed == "").all()


def test_quality_counts_hide_small_counts_and_their_percentages():
    frame = pd.DataFrame({"provider": ["P1"], "persons": [1003], "invalid": [3], "invalid_percent": [0.3]})
    out = disclosure.control_counts(frame, ["persons", "invalid"])
    assert out.persons.iloc[0] == 1005
    assert pd.isna(out.invalid.iloc[0]) and np.isnan(out.invalid_percent.iloc[0])
    assert "invalid" in out.suppressed.iloc[0]


def test_a_ratio_hidden_for_a_small_comparator_count_says_why():
    """interfaces.md: suppressed values are empty with `suppressed` naming the rule, including a
    ratio hidden because the White British count it rests on is small."""
    frame = _block({"WHITE": 120, "BLACK": 60, "MIXED": 47}).assign(comp_numerator=[3, 3, 3], comp_denominator=900)
    out = disclosure.apply(frame)
    black = out[out.group_code == "BLACK"].iloc[0]
    assert black.numerator == 60 and not np.isnan(black.value)
    assert np.isnan(black.comparator_ratio) and black.significance == ""
    assert black.suppressed == f"nhs: {disclosure.COMPARATOR_RULE}"


def test_last_years_value_hidden_for_a_small_count_says_why():
    frame = _block({"WHITE": 120, "BLACK": 60, "MIXED": 47}).assign(
        previous_numerator=[110, 2, 40], previous_value=[1.0, 2.0, 3.0], change=[0.1, 0.2, 0.3],
        change_lower_95=[0.0, 0.0, 0.0], change_upper_95=[0.2, 0.4, 0.6], change_significance="similar")
    out = disclosure.apply(frame)
    black = out[out.group_code == "BLACK"].iloc[0]
    assert np.isnan(black.previous_value) and np.isnan(black.change) and black.numerator == 60
    assert black.suppressed == f"nhs: {disclosure.PREVIOUS_RULE}"
    assert out[out.group_code == "WHITE"].iloc[0].suppressed == ""


def _rows(breakdown: str, counts: dict[str, float]) -> pd.DataFrame:
    return _block(counts).assign(breakdown=breakdown)


def test_a_hidden_category_is_not_recoverable_from_its_groups_total():
    """methods.md: where one cell of a row or column with a published total is suppressed, a
    second is too. The Black group total is published, so hiding Caribbean (3) alone would let
    anyone subtract it out: the smallest other Black category goes too, and nothing outside it."""
    out = disclosure.apply(_rows("ethnic_category", {"A": 500, "B": 100, "C": 90, "M": 3, "N": 60, "P": 40,
                                                      "H": 70, "J": 80, "K": 50, "L": 30, "R": 0, "S": 25}))
    hidden = set(out.loc[out.numerator.isna(), "group_code"])
    assert hidden == {"M", "P"}
    assert out.set_index("group_code").loc["P", "suppressed"] == "nhs: complementary suppression"


def test_the_partner_comes_from_the_group_of_the_runs_coding_convention():
    """Chinese (R) is in the Other group under NHS coding and in the Asian group under the
    census's: its partner is the other Other category, or the smallest Asian one."""
    counts = {"A": 500, "H": 70, "J": 80, "K": 50, "L": 30, "R": 2, "S": 25}
    nhs = disclosure.apply(_rows("ethnic_category", counts))
    census = disclosure.apply(_rows("ethnic_category", counts), coding_convention="census")
    assert set(nhs.loc[nhs.numerator.isna(), "group_code"]) == {"R", "S"}
    assert set(census.loc[census.numerator.isna(), "group_code"]) == {"R", "L"}


def test_a_hidden_sex_or_age_stratum_takes_a_partner_within_its_group():
    out = disclosure.apply(_rows("ethnic_group_x_sex", {"BLACK|1": 3, "BLACK|2": 50, "WHITE|1": 100, "WHITE|2": 120}))
    assert set(out.loc[out.numerator.isna(), "group_code"]) == {"BLACK|1", "BLACK|2"}


def test_no_ratio_rests_on_a_hidden_white_british_count():
    """A White British count hidden as a complement must not be recoverable from another group's
    published count and its ratio: those ratios go too, and say why."""
    groups = _block({"WHITE": 300, "BLACK": 60, "MIXED": 47})
    categories = _rows("ethnic_category", {"A": 40, "B": 3, "C": 257, "M": 30, "N": 30})
    out = disclosure.apply(pd.concat([groups, categories], ignore_index=True).assign(comp_numerator=40))
    own = out[(out.breakdown == "ethnic_category") & (out.group_code == "A")].iloc[0]
    assert pd.isna(own.numerator)  # B (3) is hidden; A (40) is the smallest other White category
    for _, row in out[out.group_code.isin(["BLACK", "MIXED", "M", "N"])].iterrows():
        assert np.isnan(row.comparator_ratio) and row.significance == "", row.group_code
        assert row.suppressed == f"nhs: {disclosure.COMPARATOR_RULE}"
        assert not np.isnan(row.value)
