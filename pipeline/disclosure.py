"""Disclosure control: which counts are published, rounded or hidden (methods.md).

The rule: no published number reveals more about a count than the published count itself.

- Profile ``nhs`` (default): counts of 1 to 4 are hidden ('*'), every other count is rounded to
  the nearest 5, zero stays zero, and a value (rate, percentage) needs a numerator and a
  denominator of at least 5. Profile ``strict``: counts of 0 to 7 are hidden, then rounding to 5.
- Every figure derived from counts (values, intervals, ratios, changes, funnel positions) is
  computed afterwards from the *published* counts (:mod:`pipeline.estimates`), so multiplying
  back gives the reader nothing they do not already have.
- Secondary suppression by audit (:mod:`pipeline.differencing`): a further count is hidden only
  where what is published would narrow a hidden count to part of the hidden range.
- England in a national run (``exempt_providers``) is published unrounded, as NHS England does;
  its counts enter the audit as exact, and are hidden only when no provider's count can protect
  a small count instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.differencing import Cells, HiddenRange, Sets, protect


@dataclass(frozen=True)
class Profile:
    name: str
    suppress_from: int  # counts in [suppress_from, suppress_to] are hidden
    suppress_to: int
    rounding: int
    min_for_value: int  # a value needs numerator and denominator at least this

    def rule(self) -> str:
        return f"{self.name}: count {self.suppress_from}-{self.suppress_to}"

    @property
    def hidden(self) -> HiddenRange:
        return HiddenRange(self.suppress_from, self.suppress_to, self.rounding // 2)

    def small(self, counts: pd.Series | np.ndarray) -> np.ndarray:
        values = np.asarray(counts, float)
        return (values >= self.suppress_from) & (values <= self.suppress_to)


PROFILES = {
    "nhs": Profile("nhs", 1, 4, 5, 5),
    "strict": Profile("strict", 0, 7, 5, 8),
}
# The `suppressed` reasons. A reason ending in one of SCOPED hides only that part of a row.
COMPLEMENT_RULE = "complementary suppression"
COMPARATOR_HIDDEN_RULE = "White British hidden to protect a small count (ratio)"
COMPARATOR_SMALL_RULE = "White British count small (ratio)"
PREVIOUS_RULE = "last year's count small (change)"
STRATA_RULE = "standardised rate would single out a small count (standardised rate)"
SCOPED = ("(ratio)", "(change)", "(standardised rate)", "(median)")
VALUE_SCOPED = ("(standardised rate)", "(median)")  # the row's count is shown, its value hidden
BLOCK = ["year", "provider", "indicator_id", "statistic", "intervention_type"]
KEY = ["provider", "breakdown", "group_code", "subgroup"]
STANDARDISED = "age-sex standardised rate"
MEDIAN = "median"
# Figures not derived from counts are shown only from a published count of at least: a median (an
# order statistic: one unit's own value) 10; a standardised rate 15 (so at least 13 events, above
# PHEindicatormethods' 10), a published count deciding, never the exact one.
MEDIAN_MIN = 10
STANDARDISED_MIN = 15


def hides_own_numbers(reason: object) -> bool:
    """Whether a row's `suppressed` reason hid its own count and value (rather than only its ratio,
    its change since last year or its standardised rate)."""
    return isinstance(reason, str) and reason != "" and not reason.endswith(SCOPED)


def hides_value(reason: object) -> bool:
    """Whether a row's value (not only its ratio or change) is hidden."""
    return hides_own_numbers(reason) or (isinstance(reason, str) and reason.endswith(VALUE_SCOPED))


def round_count(counts: pd.Series | np.ndarray, base: int) -> np.ndarray:
    """Round to the nearest multiple of ``base``, halves away from zero (2.5 -> 5)."""
    arr = np.asarray(counts, float)
    return np.floor(arr / base + 0.5) * base


def control(counts: pd.DataFrame, profile_name: str = "nhs", exempt_providers: tuple[str, ...] = (),
            coding_convention: str = "nhs", comparator: str = contract.COMPARATOR_CODE) -> pd.DataFrame:
    """The published counts of an indicator count table (from :func:`pipeline.indicators.compute_indicators`).

    Returns the table with ``numerator``, ``denominator``, ``comp_numerator`` and
    ``comp_denominator`` as published (rounded; NaN where hidden), ``suppressed`` naming the rule
    that hid each row's numbers, ``value_hidden`` and ``ratio_reason`` (why a ratio is hidden, if
    it is). Standardised rows publish their crude row's counts and follow its decisions.
    """
    profile = PROFILES[profile_name]
    out = counts.reset_index(drop=True).copy()
    exempt = out["provider"].isin(exempt_providers).to_numpy()
    standardised = (out["statistic"] == STANDARDISED).to_numpy()
    hidden_num, hidden_den, complement = _audit(out, profile, exempt, standardised, coding_convention, comparator)
    num, den = out["numerator"].to_numpy(float), out["denominator"].to_numpy(float)

    reasons = np.full(len(out), "", dtype=object)
    small_num, small_den = profile.small(num) & ~exempt, profile.small(den) & ~exempt
    reasons[small_den] = f"{profile.rule()} (denominator)"
    reasons[small_num] = f"{profile.rule()} (numerator)"
    reasons[complement & (reasons == "")] = f"{profile.name}: {COMPLEMENT_RULE}"
    low_value = ((num < profile.min_for_value) | (np.nan_to_num(den, nan=np.inf) < profile.min_for_value)) & ~exempt
    value_hidden = hidden_num | hidden_den | low_value
    reasons[low_value & (reasons == "") & ~np.isnan(num)] = f"{profile.name}: value from fewer than {profile.min_for_value}"

    out["numerator"] = np.where(exempt, num, round_count(num, profile.rounding))
    out.loc[hidden_num, "numerator"] = np.nan
    out["denominator"] = np.where(exempt, den, round_count(den, profile.rounding))
    out.loc[hidden_den, "denominator"] = np.nan
    out["suppressed"] = reasons
    out["value_hidden"] = value_hidden
    out["exempt"] = exempt
    out = _standardised_follow_crude(out, standardised)
    return _comparators(out, profile, exempt, comparator)


def _audit(frame: pd.DataFrame, profile: Profile, exempt: np.ndarray, standardised: np.ndarray,
           coding_convention: str, comparator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Small counts hidden, then further counts hidden by the differencing audit. Identical count
    columns (AC02 and AC03 share their denominators, OU05's numerator is OU02's denominator) are one
    set of cells, so a count is hidden everywhere it appears or nowhere. Population denominators
    are public census figures: they are rounded and hidden when small, but not audited."""
    n = len(frame)
    num, den = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
    audited_den = frame["method"].isin(["proportion", "event_rate"]).to_numpy() & ~standardised
    occurrences = []  # (row, role, value)
    rows = np.flatnonzero(~standardised & ~np.isnan(num))
    occurrences.append(pd.DataFrame({"row": rows, "role": "numerator", "value": num[rows]}))
    rows = np.flatnonzero(audited_den & ~np.isnan(den))
    occurrences.append(pd.DataFrame({"row": rows, "role": "denominator", "value": den[rows]}))
    occ = pd.concat(occurrences, ignore_index=True)
    occ = occ.join(frame[["indicator_id", "statistic", "intervention_type", *KEY]], on="row")
    # one column of cells per (indicator, series, role); identical columns share their cells
    occ["column"] = occ["indicator_id"] + "/" + occ["statistic"] + "/" + occ["intervention_type"] + "/" + occ["role"]
    signature = occ.sort_values([*KEY]).groupby("column", sort=False).apply(
        lambda c: hash(tuple(zip(*(c[k] for k in KEY), c["value"]))), include_groups=False)
    occ["cls"] = occ["column"].map(signature)
    cells = occ.drop_duplicates(["cls", *KEY]).reset_index(drop=True)
    cell_of = dict(zip(zip(cells["cls"], *(cells[k] for k in KEY)), cells.index))
    occ["cell"] = [cell_of[k] for k in zip(occ["cls"], *(occ[k] for k in KEY))]

    exact = cells["value"].to_numpy(float)
    cell_exempt = exempt[cells["row"].to_numpy()]
    avoid = ((cells["breakdown"] == "ethnic_category") & (cells["group_code"] == comparator)).to_numpy()
    audit = Cells(exact, profile.small(exact) & ~cell_exempt, cell_exempt, avoid)
    sets = Sets(_sets(cells, coding_convention), exact)
    complement = protect(audit, sets, profile.hidden)

    hidden_num, hidden_den, extra = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    hidden_cell = audit.primary | complement
    for role, mask in (("numerator", hidden_num), ("denominator", hidden_den)):
        mine = occ[occ["role"] == role]
        mask[mine["row"].to_numpy()] = hidden_cell[mine["cell"].to_numpy()]
        extra[mine["row"].to_numpy()] |= complement[mine["cell"].to_numpy()]
    hidden_den |= profile.small(den) & ~exempt & ~audited_den  # populations
    return hidden_num, hidden_den, extra


def _sets(cells: pd.DataFrame, coding_convention: str) -> list[tuple[int, list[int]]]:
    """Every set of cells that adds up to a published total, as (total, parts) cell positions:
    a breakdown's groups or categories (to the total), a group's categories, sexes or age bands (to
    the group), and the providers' cells (to ALL's: people counted by two providers once, an offset
    taken as known)."""
    group_of = "nhs_group" if coding_convention == "nhs" else "census_group"
    parent = {g.nhs_code: getattr(g, group_of) for g in contract.CENSUS_ETHNIC_GROUPS if g.nhs_code}
    parent["NOT_KNOWN"] = "NOT_KNOWN"
    code = cells["group_code"].astype(str)
    breakdown = cells["breakdown"].astype(str)
    # a category's group is its parent; an intersectional row's (a sex or age band of a group) its own code
    group = np.where(breakdown == "ethnic_category", code.map(parent).fillna(""), code)
    cls, provider, subgroup = cells["cls"].astype(str), cells["provider"].astype(str), cells["subgroup"].astype(str)
    position = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_arrays([cls, provider, breakdown, code, subgroup]))
    position = position[~position.index.duplicated()]

    def find(*key) -> np.ndarray:
        return position.reindex(pd.MultiIndex.from_arrays(key)).to_numpy(float)

    n = len(cells)
    none = np.full(n, "")
    kinds = [  # (which cells are parts, the key of their set, the position of its total)
        (breakdown.isin(["ethnic_group", "ethnic_category"]).to_numpy(), [cls, provider, breakdown],
         find(cls, provider, np.full(n, "total"), np.full(n, "TOTAL"), none)),
        (breakdown.isin(["ethnic_category", "ethnic_group_x_sex", "ethnic_group_x_age"]).to_numpy(),
         [cls, provider, breakdown, pd.Series(group, index=cells.index)],
         find(cls, provider, np.full(n, "ethnic_group"), group, none)),
        ((provider != "ALL").to_numpy(), [cls, breakdown, code, subgroup],
         find(cls, np.full(n, "ALL"), breakdown, code, subgroup)),
    ]
    out: list[tuple[int, list[int]]] = []
    for parts, key, total in kinds:
        rows = np.flatnonzero(parts & ~np.isnan(total))
        if not len(rows):
            continue
        ids = pd.MultiIndex.from_arrays([k.to_numpy()[rows] for k in key]).factorize()[0]
        order = np.argsort(ids, kind="stable")
        bounds = np.flatnonzero(np.diff(ids[order])) + 1
        for members in np.split(rows[order], bounds):
            out.append((int(total[members[0]]), members.tolist()))
    return out


def _standardised_follow_crude(out: pd.DataFrame, standardised: np.ndarray) -> pd.DataFrame:
    """A standardised row publishes its crude row's counts and is hidden when they are."""
    if not standardised.any():
        return out
    key = ["provider", "indicator_id", "breakdown", "group_code", "subgroup"]
    crude = out.loc[~standardised & out["indicator_id"].isin(out.loc[standardised, "indicator_id"])]
    crude = crude.drop_duplicates(key).set_index(key)[["numerator", "denominator", "suppressed", "value_hidden"]]
    at = pd.MultiIndex.from_frame(out.loc[standardised, key])
    for col in crude.columns:
        out.loc[standardised, col] = crude[col].reindex(at).to_numpy()
    out["value_hidden"] = out["value_hidden"].astype(bool)
    return out


def _comparators(out: pd.DataFrame, profile: Profile, exempt: np.ndarray, comparator: str) -> pd.DataFrame:
    """The comparator's published counts on every row (what its ratio is computed from) and why a
    ratio is hidden. Ethnic groups and categories are compared with the White British row of their
    table, so its published counts and decisions; a group of one sex or age band with White British
    people of that sex or age band, whose counts are rounded and hidden when small like any other."""
    block = ["provider", "indicator_id", "statistic", "intervention_type"]
    own = out[(out["breakdown"] == "ethnic_category") & (out["group_code"] == comparator)]
    own = own.drop_duplicates(block).set_index(block)
    at = pd.MultiIndex.from_frame(out[block])
    grouped = out["breakdown"].isin(["ethnic_group", "ethnic_category"]).to_numpy()
    exact_num = out["comp_numerator"].to_numpy(float)
    exact_den = out["comp_denominator"].to_numpy(float)
    own_reason = own["suppressed"].reindex(at).fillna("").astype(str).to_numpy()
    own_hidden = own["value_hidden"].reindex(at).fillna(True).astype(bool).to_numpy()
    strata_small = (profile.small(exact_num) | profile.small(exact_den) | (exact_num < profile.min_for_value)
                    | (exact_den < profile.min_for_value)) & ~exempt
    comp_num = np.where(grouped, own["numerator"].reindex(at).to_numpy(float),
                        np.where(exempt, exact_num, round_count(exact_num, profile.rounding)))
    comp_den = np.where(grouped, own["denominator"].reindex(at).to_numpy(float),
                        np.where(exempt, exact_den, round_count(exact_den, profile.rounding)))
    hidden = np.where(grouped, own_hidden, strata_small)
    comp_num = np.where(hidden, np.nan, comp_num)
    comp_den = np.where(hidden, np.nan, comp_den)
    complemented = grouped & np.char.endswith(own_reason.astype(str), COMPLEMENT_RULE)
    reason = np.where(complemented, f"{profile.name}: {COMPARATOR_HIDDEN_RULE}",
                      np.where(hidden & (exact_num > 0), f"{profile.name}: {COMPARATOR_SMALL_RULE}", ""))
    out["comp_numerator"], out["comp_denominator"] = comp_num, comp_den
    out["ratio_reason"] = reason
    return out


def control_quality(measures: pd.DataFrame, profile_name: str = "nhs") -> pd.DataFrame:
    """The published counts of the data-quality measures (``pipeline.quality.measures``): small
    counts hidden, the rest rounded, and further counts hidden by the differencing audit over the
    ethnicity statuses of each measure (they add up to its total) and over the providers (they add
    up to ALL). Adds ``count_hidden``, ``total_hidden``, ``suppressed`` and, for the quality gate,
    what a reader knows of each count: ``count_low``/``count_high`` and ``total_low``/``total_high``
    (the published value, or the range of a hidden one)."""
    profile = PROFILES[profile_name]
    frame = measures.reset_index(drop=True).copy()
    statuses = frame["measure"].isin(["DQ01", "DQ02"]).to_numpy()
    # cells: each row's count, and each (provider, measure, table, field) total once
    frame["_total_key"] = np.where(statuses, frame["measure"] + "/" + frame["table"],
                                   frame["measure"] + "/" + frame["table"] + "/" + frame["field"] + "/" + frame["check"])
    totals = frame.drop_duplicates(["provider", "_total_key"])[["provider", "_total_key", "total"]].reset_index(drop=True)
    n_counts = len(frame)
    exact = np.concatenate([frame["count"].to_numpy(float), totals["total"].to_numpy(float)])
    known = ~np.isnan(exact)
    exact = np.nan_to_num(exact)
    total_at = {k: n_counts + i for i, k in enumerate(zip(totals["provider"], totals["_total_key"]))}
    frame["_total_cell"] = [total_at[k] for k in zip(frame["provider"], frame["_total_key"])]
    sets = [(total_at[k], list(rows.index)) for k, rows in frame[statuses].groupby(["provider", "_total_key"], sort=False)]
    for (_key), rows in frame[frame["provider"] != "ALL"].groupby(["measure", "table", "field", "check"], sort=False):
        total = frame.index[(frame["provider"] == "ALL") & (frame[["measure", "table", "field", "check"]] == _key).all(axis=1)]
        if len(total):
            sets.append((int(total[0]), list(rows.index)))
    providers_totals = totals[totals["provider"] != "ALL"]
    for key, rows in providers_totals.groupby("_total_key", sort=False):
        all_cell = total_at.get(("ALL", key))
        if all_cell is not None:
            sets.append((all_cell, [n_counts + i for i in rows.index]))
    avoid = np.concatenate([(frame["check"] == "valid").to_numpy(), np.zeros(len(totals), bool)])
    primary = profile.small(exact) & known
    cells = Cells(exact, primary, np.zeros(len(exact), bool), avoid)
    complement = protect(cells, Sets(sets, exact), profile.hidden)
    hidden = primary | complement

    count_hidden = hidden[:n_counts]
    total_hidden = hidden[frame["_total_cell"].to_numpy()]
    frame["count"] = pd.array(np.where(count_hidden, np.nan, round_count(frame["count"], profile.rounding)), dtype="Int64")
    rounded_total = round_count(frame["total"].astype(float), profile.rounding)
    frame["total"] = pd.array(np.where(total_hidden, np.nan, rounded_total), dtype="Int64")
    reasons = np.full(n_counts, "", dtype=object)
    small_count = profile.small(measures["count"].to_numpy(float))
    small_total = profile.small(measures["total"].astype(float).to_numpy())
    reasons[count_hidden & ~small_count] = f"{profile.name}: {COMPLEMENT_RULE} (count)"
    reasons[total_hidden & ~small_total] = f"{profile.name}: {COMPLEMENT_RULE} (total)"
    reasons[small_count] = f"{profile.rule()} (count)"
    reasons[small_total & ~small_count] = f"{profile.rule()} (total)"
    frame["count_hidden"], frame["total_hidden"] = count_hidden, total_hidden
    # what a reader knows of each count: the published value, or the range its rule leaves
    for col, hidden_mask, exact_values in (("count", count_hidden, measures["count"].to_numpy(float)),
                                           ("total", total_hidden, measures["total"].astype(float).to_numpy())):
        small = profile.small(exact_values)
        published = frame[col].astype(float).to_numpy()
        frame[f"{col}_low"] = np.where(hidden_mask, np.where(small, profile.suppress_from, profile.suppress_to + 1), published)
        frame[f"{col}_high"] = np.where(hidden_mask, np.where(small, profile.suppress_to, np.inf), published)
    frame["count_high"] = np.minimum(frame["count_high"], frame["total_high"].fillna(np.inf))
    frame["suppressed"] = reasons
    return frame.drop(columns=["_total_key", "_total_cell"])
