"""Disclosure control: the last step before any number is written (methods.md).

Profile ``nhs`` (default): counts of 1 to 4 are suppressed ('*'), every other published count is
rounded to the nearest 5, and a value (rate, percentage, interval, ratio) is published only when
its numerator and denominator are both publishable (5 or more). Profile ``strict``: counts of 0
to 7 are suppressed, then rounding to 5. Complementary suppression then hides a second cell in
any breakdown where exactly one cell was suppressed, so the hidden count cannot be recovered by
subtracting the others from the published total. Values are computed from unrounded counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import contract


@dataclass(frozen=True)
class Profile:
    name: str
    suppress_from: int  # counts in [suppress_from, suppress_to] are suppressed
    suppress_to: int
    rounding: int
    min_for_value: int  # a value needs numerator and denominator at least this

    def rule(self) -> str:
        low = f"{self.suppress_from}-{self.suppress_to}"
        return f"{self.name}: count {low}"


PROFILES = {
    "nhs": Profile("nhs", 1, 4, 5, 5),
    "strict": Profile("strict", 0, 7, 5, 8),
}
VALUE_COLUMNS = ["value", "lower_95", "upper_95", "comparator_ratio", "ratio_lower_95", "ratio_upper_95",
                 "funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998",
                 "previous_value", "change", "change_lower_95", "change_upper_95"]
PREVIOUS_COLUMNS = ["previous_value", "change", "change_lower_95", "change_upper_95"]
# Reasons for a row whose own numbers are published but whose ratio or change is not.
COMPARATOR_RULE = "comparator count hidden (ratio)"
PREVIOUS_RULE = "last year's count small (change)"


def hides_own_numbers(reason: object) -> bool:
    """Whether a row's `suppressed` reason hid its own count, value and interval (rather than only
    its ratio or its change since last year)."""
    return isinstance(reason, str) and reason != "" and not reason.endswith((COMPARATOR_RULE, PREVIOUS_RULE))


BLOCK = ["year", "provider", "indicator_id", "statistic", "breakdown"]


def round_count(counts: pd.Series, base: int) -> pd.Series:
    """Round to the nearest multiple of ``base``, halves away from zero (2.5 -> 5)."""
    arr = counts.to_numpy(float)
    return pd.Series(np.floor(arr / base + 0.5) * base, index=counts.index)


def apply(frame: pd.DataFrame, profile_name: str = "nhs", unrounded_providers: tuple[str, ...] = (),
          coding_convention: str = "nhs", comparator: str = contract.COMPARATOR_CODE) -> pd.DataFrame:
    """The publishable version of an indicator table, with ``suppressed`` naming each rule applied.

    ``unrounded_providers`` lists providers whose rows are published unrounded and unsuppressed
    (England totals in a national run, as NHS England publishes them). ``coding_convention``
    decides which categories make up each ethnic group (for complementary suppression);
    ``comparator`` is the category whose hidden row hides the ratios compared with it.
    """
    profile = PROFILES[profile_name]
    out = frame.copy()
    num = out["numerator"].astype(float)
    den = out["denominator"].astype(float)
    small_num = num.between(profile.suppress_from, profile.suppress_to)
    small_den = den.between(profile.suppress_from, profile.suppress_to)
    exempt = out["provider"].isin(unrounded_providers)
    reasons = pd.Series("", index=out.index, dtype=object)
    reasons[small_num & ~exempt] = f"{profile.rule()} (numerator)"
    reasons[small_den & ~small_num & ~exempt] = f"{profile.rule()} (denominator)"
    primary = reasons != ""
    complementary = _complementary(out, primary, coding_convention) & ~exempt
    reasons[complementary] = f"{profile.name}: complementary suppression"
    hidden = primary | complementary

    low_value = ((num < profile.min_for_value) | (den.fillna(np.inf) < profile.min_for_value)) & ~exempt
    value_hidden = hidden | low_value
    reasons[low_value & ~hidden & num.notna()] = f"{profile.name}: value from fewer than {profile.min_for_value}"

    for col in VALUE_COLUMNS:
        if col in out:
            out[col] = out[col].astype(float).where(~value_hidden)
    if "funnel_position" in out:
        out["funnel_position"] = out["funnel_position"].where(~value_hidden, "")
    if "previous_numerator" in out:  # last year's value follows the same rule as this year's
        prev_small = out["previous_numerator"].astype(float) < profile.min_for_value
        prev_small |= out["previous_numerator"].astype(float).between(profile.suppress_from, profile.suppress_to)
        prev_hidden = prev_small & ~exempt & out["previous_value"].notna()
        for col in PREVIOUS_COLUMNS:
            out[col] = out[col].where(~(prev_small & ~exempt))
        reasons[prev_hidden & (reasons == "")] = f"{profile.name}: {PREVIOUS_RULE}"
        out["change_significance"] = out["change_significance"].where(out["change"].notna(), "")
    # A ratio also reveals the comparator's count: hide it when the comparator is suppressible,
    # and when the comparator's own row is hidden for any reason (a complement, say), as its count
    # could be worked back from a group's published count and ratio.
    comp_hidden = _comparator_row_hidden(out, hidden, comparator)
    if "comp_numerator" in out:
        comp_hidden |= out["comp_numerator"].astype(float).between(profile.suppress_from, profile.min_for_value - 1)
    comp_hidden &= ~exempt
    ratio_hidden = comp_hidden & out["comparator_ratio"].notna()
    for col in ("comparator_ratio", "ratio_lower_95", "ratio_upper_95"):
        out[col] = out[col].where(~comp_hidden)
    reasons[ratio_hidden & (reasons == "")] = f"{profile.name}: {COMPARATOR_RULE}"
    out["significance"] = out["significance"].where(out["comparator_ratio"].notna(), "")

    rounded_num = round_count(num, profile.rounding).where(~hidden)
    rounded_den = round_count(den, profile.rounding).where(~(small_den & ~exempt))
    out["numerator"] = num.where(exempt, rounded_num).astype("Int64")
    out["denominator"] = den.where(exempt, rounded_den).round().astype("Int64")
    out["suppressed"] = reasons
    return out.drop(columns=[c for c in ("comp_numerator", "comp_denominator", "previous_numerator") if c in out])


def _comparator_row_hidden(frame: pd.DataFrame, hidden: pd.Series, comparator: str) -> pd.Series:
    """Rows compared with a published White British row (ethnic groups and categories of the same
    provider, indicator and statistic) whose White British row is hidden."""
    key = ["year", "provider", "indicator_id", "statistic"]
    own = (frame["breakdown"] == "ethnic_category") & (frame["group_code"] == comparator) & hidden
    gone = frame.loc[own, key].drop_duplicates().assign(_gone=True)
    if gone.empty:
        return pd.Series(False, index=frame.index)
    flagged = frame[key].merge(gone, on=key, how="left")["_gone"].fillna(False).to_numpy(bool)
    compared = frame["breakdown"].isin(["ethnic_group", "ethnic_category"]).to_numpy()
    return pd.Series(flagged & compared, index=frame.index)


def _complementary(frame: pd.DataFrame, primary: pd.Series, coding_convention: str = "nhs") -> pd.Series:
    """Second suppressed cells, so that no hidden count can be worked out by subtraction from a
    published total: in every block (one breakdown of one indicator) and in every part of a block
    that adds up to a published group (a group's categories; a group's sexes or age bands) where
    exactly one cell is hidden, the smallest other non-zero cell is hidden too. Repeated until
    nothing changes, as one new cell can leave another part with one."""
    hidden = primary.to_numpy(bool).copy()
    extra = np.zeros(len(frame), bool)
    numerator = frame["numerator"].to_numpy(float)
    parts = _parts(frame, coding_convention)
    for _ in range(10):
        changed = False
        for part in parts:  # positions, in the frame's order
            if hidden[part].sum() != 1:
                continue
            candidates = part[~hidden[part] & (numerator[part] > 0)]
            if len(candidates):
                pick = candidates[np.argsort(numerator[candidates], kind="stable")[0]]
                extra[pick] = hidden[pick] = changed = True
        if not changed:
            break
    return pd.Series(extra, index=frame.index)


def _parts(frame: pd.DataFrame, coding_convention: str) -> list[np.ndarray]:
    """The row sets that add up to a published total: each breakdown block, and within it each
    ethnic group's categories (under the run's coding convention: Chinese is in the Other group
    under NHS coding and in the Asian group under the census's) or each group's sexes or age bands."""
    frame = frame.reset_index(drop=True)  # positions
    detailed = frame["breakdown"] != "total"
    blocks = [block.index.to_numpy() for _, block in frame[detailed].groupby(BLOCK, sort=False)]
    categories = frame["breakdown"] == "ethnic_category"
    strata = frame["breakdown"].isin(["ethnic_group_x_sex", "ethnic_group_x_age"])
    strata_group = frame.loc[strata, "group_code"].astype(str).str.split("|").str[0]
    group_of = "nhs_group" if coding_convention == "nhs" else "census_group"
    parent = {g.nhs_code: getattr(g, group_of) for g in contract.CENSUS_ETHNIC_GROUPS if g.nhs_code}
    key = pd.Series(np.nan, index=frame.index, dtype=object)
    key[categories] = frame.loc[categories, "group_code"].map(parent)
    key[strata] = strata_group
    nested = key.notna()
    # The groups' parts first: a complement found there also completes its block.
    return [rows.index.to_numpy() for _, rows in frame[nested].groupby([*BLOCK, key[nested]], sort=False)] + blocks


def control_counts(frame: pd.DataFrame, columns: list[str], profile_name: str = "nhs") -> pd.DataFrame:
    """Counts in a quality table: small ones suppressed, the rest rounded; shares stay as computed
    from unrounded counts only where every count they rest on is publishable."""
    profile = PROFILES[profile_name]
    out = frame.copy()
    notes = pd.Series("", index=out.index, dtype=object)
    for col in columns:
        counts = out[col].astype(float)
        small = counts.between(profile.suppress_from, profile.suppress_to)
        notes[small] = (notes[small] + f"{col} ").str.lstrip()
        out[col] = round_count(counts, profile.rounding).where(~small).astype("Int64")
        if f"{col}_percent" in out:
            out[f"{col}_percent"] = out[f"{col}_percent"].where(~small)
    out["suppressed"] = notes.str.strip().map(lambda s: f"{profile.rule()}: {s}" if s else "")
    return out
