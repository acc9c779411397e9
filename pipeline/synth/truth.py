"""The planted truth: the expected value of each indicator in each *recorded* ethnic group.

A person's recorded category depends only on their true category and their provider's
recording quality (:func:`recording_matrix`), so the expected count of events recorded in
group G is the sum over true categories of the expected events times the chance that
category is recorded in G. Values are those the pipeline estimates; its 95% intervals should
contain them about 95% of the time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.synth import params as P

TRUE = list(contract.VALID_ETHNIC_CODES)  # true categories (Gypsy/Roma as C, Arab as S)
RECORDED = TRUE + ["NOT_KNOWN"]
GROUP_OF = {c.code: c.group for c in contract.ETHNIC_CATEGORIES} | {"NOT_KNOWN": "NOT_KNOWN"}


def recording_matrix(valid_share: np.ndarray, tt: bool = False) -> np.ndarray:
    """P(recorded code | true code) per provider: shape (providers, 16 true, 17 recorded)."""
    m = np.zeros((len(valid_share), len(TRUE), len(RECORDED)))
    for i, c in enumerate(TRUE):
        row = np.zeros(len(RECORDED))
        if tt:
            row[i] = 1.0
        else:
            g = GROUP_OF[c]
            for h in P.GROUPS:
                if h != g:
                    row[RECORDED.index(P.ANY_OTHER[h])] += P.MISCLASSIFY_OTHER_GROUP / (len(P.GROUPS) - 1)
            stay = 1 - P.MISCLASSIFY_OTHER_GROUP
            b = P.BLACK_TO_OTHER_BLACK if c in ("M", "N") else 0.0
            row[i] += stay * (1 - b)
            row[RECORDED.index("P")] += stay * b
        m[:, i, :] = valid_share[:, None] * row[None, :]
        m[:, i, -1] = 1 - valid_share
    return m


def expected_rows(year: str, strata: pd.DataFrame, rates: dict, matrix: np.ndarray, codes, scale: dict) -> list[dict]:
    """Expected values of AC01, CO01, CO03, CO04 (rates), AC02, OU01 and EX01 (proportions)."""
    true_code = strata["ons"].map(P.nhs_code).to_numpy()
    group = strata["ons"].map(P.nhs_group).to_numpy()
    counts = strata["count"].to_numpy(float)
    seen = counts * rates["contact"]
    referrals = seen * (1 + P.NOT_SEEN_SHARE) * (1 + scale["referrals_per_person"])
    tt_den = counts * rates["talking_therapies"] * P.TT_ENDED_IN_YEAR * P.TT_CASENESS * pd.Series(group).map(P.TT_FINISHED).to_numpy()
    quantities = {
        "AC01": (seen, None), "CO01": (counts * rates["detention"], None), "CO03": (counts * rates["cto"], None),
        "CO04": (counts * rates["restrictive"], None),
        "AC02": (referrals * pd.Series(group).map(P.JUSTICE_SHARE).to_numpy(), referrals),
        "OU01": (tt_den * pd.Series(group).map(P.TT_RECOVERY).to_numpy(), tt_den),
    }
    provider = strata["provider"].to_numpy()
    tt_matrix = recording_matrix(np.full(matrix.shape[0], P.TT_VALID_SHARE), tt=True)
    rows = []
    # population denominators under the NHS convention, by recorded group and category
    pop_by = _population(strata)
    for ind, (num, den) in quantities.items():
        m = tt_matrix if ind == "OU01" else matrix
        exp_num = _by_recorded(num, true_code, provider, m)
        exp_den = _by_recorded(den, true_code, provider, m) if den is not None else None
        rows += _rows(year, ind, exp_num, exp_den, pop_by, codes)
    # EX01: respondents sampled from people seen, recorded as they are (5% blank)
    survey = _survey_expectation(seen, true_code, provider, len(codes))
    rows += _rows(year, "EX01", survey[0], survey[1], pop_by, codes)
    return rows


def _by_recorded(values, true_code, provider, matrix) -> np.ndarray:
    """Expected totals per provider and recorded code: shape (providers, 17)."""
    per_true = np.zeros((matrix.shape[0], len(TRUE)))
    np.add.at(per_true, (provider, [TRUE.index(c) for c in true_code]), values)
    return np.einsum("pt,ptr->pr", per_true, matrix)


def _population(strata: pd.DataFrame) -> dict:
    frame = strata.assign(group=strata["ons"].map(P.nhs_group),
                          code=strata["ons"].map({g.ons_code: g.nhs_code for g in contract.CENSUS_ETHNIC_GROUPS}))
    return {
        "group": frame.groupby(["provider", "group"])["count"].sum(),
        "category": frame.dropna(subset=["code"]).groupby(["provider", "code"])["count"].sum(),
        "total": frame.groupby("provider")["count"].sum(),
    }


def _rows(year, ind, num, den, pop_by, codes) -> list[dict]:
    rate = den is None
    multiplier = 1e5 if rate else 100.0
    out = []
    for p_index, provider in [(i, c) for i, c in enumerate(codes)] + [(None, "ALL")]:
        n_row = num.sum(axis=0) if p_index is None else num[p_index]
        d_row = None if rate else (den.sum(axis=0) if p_index is None else den[p_index])

        def denominator(kind, key=None):
            if not rate:
                return None
            series = pop_by[kind]
            if kind == "total":
                return float(series.sum() if p_index is None else series.loc[p_index])
            frame = series.groupby(level=1).sum() if p_index is None else series.loc[p_index]
            return float(frame.get(key, 0.0))

        cells = [("total", "TOTAL", n_row.sum(), d_row.sum() if d_row is not None else denominator("total"))]
        for g in P.GROUPS:
            idx = [i for i, c in enumerate(RECORDED) if GROUP_OF[c] == g]
            cells.append(("ethnic_group", g, n_row[idx].sum(),
                          d_row[idx].sum() if d_row is not None else denominator("group", g)))
        for i, c in enumerate(TRUE):
            cells.append(("ethnic_category", c, n_row[i], d_row[i] if d_row is not None else denominator("category", c)))
        for breakdown, code, n_exp, d in cells:
            if not d:
                continue
            out.append({"year": year, "provider": provider, "indicator_id": ind, "breakdown": breakdown,
                        "group_code": code, "value": float(n_exp / d * multiplier),
                        "expected_numerator": float(n_exp), "denominator": float(d)})
    return out


def _survey_expectation(seen, true_code, provider, n_providers):
    """Expected good-experience respondents and respondents per recorded code (blank 5%)."""
    respondents = np.zeros((n_providers, len(RECORDED)))
    good = np.zeros_like(respondents)
    for p in range(n_providers):
        mask = provider == p
        share = np.zeros(len(TRUE))
        np.add.at(share, [TRUE.index(c) for c in true_code[mask]], seen[mask])
        share = share / share.sum() * 250
        g = np.array([P.GOOD_EXPERIENCE["A"] if c == "A" else P.GOOD_EXPERIENCE["minority"] for c in TRUE])
        respondents[p, :-1] = share * 0.95 * 0.97
        respondents[p, -1] = share.sum() * 0.05 * 0.97
        good[p, :-1] = share * 0.95 * 0.97 * g
        good[p, -1] = (share * g).sum() * 0.05 * 0.97
    return good, respondents
