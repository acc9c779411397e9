"""The planted truth: each indicator's expected value in each *recorded* ethnic group.

The expected events of true category t in a stratum are known from the planted rates; the
chance they are recorded in category g is the recording model of :mod:`ethnicity` (mixed over
acute and other people as the events are), so E[count in g] = sum_t E[events_t] x P(g | t).
Rates use the catchment population of the recorded group (NHS coding convention); counts are
(very nearly) Poisson around these values.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.synth import params as P
from pipeline.synth import rates as R
from pipeline.synth.ethnicity import N_TRUE, NOT_VALID, RECORDED_GROUP, recording_matrix
from pipeline.synth.population import CENSUS, TRUE_CODES, Provider, fsum, imd_mix
from pipeline.synth.services import good_experience, survey_frame

RATE_INDICATORS = ("AC01", "CO01", "CO02", "CO03", "CO04")
SHARE_INDICATORS = ("AC02", "OU01", "EX01")


def _lookup(by_group: dict, group: np.ndarray) -> np.ndarray:
    return np.array([by_group[g] for g in P.GROUPS])[group]


def _recorded(values: np.ndarray, true_idx: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Expected totals per recorded index (17) of per-stratum values of the given true categories."""
    per_true = np.bincount(true_idx, weights=values, minlength=N_TRUE)
    return np.array([fsum(per_true * matrix[:, j]) for j in range(matrix.shape[1])])


def provider_expectations(p: Provider, rates: dict, valid: float, tt_valid: float, spec: P.Scale) -> dict:
    """Expected numerators (and denominators) per recorded index for one provider-year."""
    t, g = p.true_idx, p.group
    normal, acute = recording_matrix(valid, False), recording_matrix(valid, True)
    a, share = P.ACUTE_SHARE, P.ACUTE_EVENT_SHARE
    seen = p.count * rates["contact"]

    def coercive(events_normal: np.ndarray, events_acute: np.ndarray) -> np.ndarray:
        return _recorded(events_normal, t, normal) + _recorded(events_acute, t, acute)

    out = {"AC01": (coercive(seen * (1 - a), seen * a), None)}
    spread = fsum(imd_mix(p)[0] * imd_mix(p)[1] ** 2)  # E[IMD factor^2]: detentions only
    for ind, kind, f2 in (("CO01", "detention", spread), ("CO02", "section136", 1.0), ("CO03", "cto", 1.0)):
        events = p.count * rates[kind]
        out[ind] = (coercive(events * (1 - share), events * share), None)
        # E[sum of squared events per person]: a person's events are Poisson, so the group's count
        # is overdispersed by 1 + lambda (repeat detentions); gaps.py uses it for the power
        per_seen = np.divide(rates[kind], rates["contact"], out=np.zeros_like(seen), where=rates["contact"] > 0)
        lam_n, lam_a = per_seen * (1 - share) / (1 - a), per_seen * share / a
        out[f"{ind}_second_moment"] = (coercive(events * (1 - share) * (1 + lam_n * f2),
                                                events * share * (1 + lam_a * f2)), None)
    classes = R.person_classes(rates)
    p_normal, p_acute = classes["restrained"]
    out["CO04"] = (coercive(seen * (1 - a) * p_normal, seen * a * p_acute), None)
    # CO05 for the gap trends only: interventions over hospital spells (bed days are spells x the
    # same mean stay in every group, which cancels in a ratio to White British)
    incidents, types = (1 + spec.incidents_per_person) * rates["incidents"], 1 + P.TYPES_PER_INCIDENT
    per_held = incidents * types
    s_normal, s_acute = classes["spells"]
    out["CO05"] = (coercive(seen * (1 - a) * p_normal * per_held, seen * a * p_acute * per_held),
                   coercive(seen * (1 - a) * s_normal, seen * a * s_acute))
    # a restrained person's interventions X: E[X^2] / E[X] (incidents 1 + Poisson, types 1 + Poisson)
    square = (incidents * P.TYPES_PER_INCIDENT + (incidents - 1) * types ** 2 + per_held ** 2) / per_held
    out["CO05_second_moment"] = (coercive(seen * (1 - a) * p_normal * per_held * square,
                                          seen * a * p_acute * per_held * square), None)
    refs = 1 + spec.extra_referrals
    ref_den = coercive(seen * (1 - a) * refs + seen * P.NOT_SEEN_SHARE * refs, seen * a * refs)
    justice = rates["justice"]
    ref_num = coercive((seen * (1 - a) + seen * P.NOT_SEEN_SHARE) * refs * justice, seen * a * refs * justice)
    out["AC02"] = (ref_num, ref_den)
    tt_matrix = np.zeros((N_TRUE, N_TRUE + 1))
    tt_matrix[:, :N_TRUE] = tt_valid * np.eye(N_TRUE)
    tt_matrix[:, NOT_VALID] = 1 - tt_valid
    tt_den = p.count * rates["talking_therapies"] * P.TT_ENDED_IN_YEAR * P.TT_CASENESS * _lookup(P.TT_FINISHED, g)
    out["OU01"] = (_recorded(tt_den * rates["recovery"], t, tt_matrix), _recorded(tt_den, t, tt_matrix))
    survey_matrix = np.zeros_like(tt_matrix)
    own = 1 - P.SURVEY_BLANK_ETHNICITY - P.SURVEY_NOT_STATED
    survey_matrix[:, :N_TRUE] = own * np.eye(N_TRUE)
    survey_matrix[:, NOT_VALID] = 1 - own
    answering = spec.survey_per_provider * (1 - P.SURVEY_NO_ANSWER) * survey_frame(p, rates)
    out["EX01"] = (_recorded(answering * good_experience(p), t, survey_matrix), _recorded(answering, t, survey_matrix))
    out["population"] = _population(p)
    # people in the patient index recorded 'Other Black' (P), and those of them truly P
    people_normal, people_acute = seen * (1 - a) + seen * P.NOT_SEEN_SHARE, seen * a
    pi = TRUE_CODES.index("P")
    recorded_p = coercive(people_normal, people_acute)[pi]
    true_p = (np.bincount(t, people_normal, N_TRUE)[pi] * normal[pi, pi]
              + np.bincount(t, people_acute, N_TRUE)[pi] * acute[pi, pi])
    out["other_black"] = (np.array([true_p]), np.array([recorded_p]))
    return out


def _population(p: Provider) -> dict[str, float]:
    """Catchment population by NHS group and by NHS category (census groups mapped, NHS coding)."""
    out = {"TOTAL": fsum(p.count)}
    for i, g in enumerate(CENSUS):
        n = fsum(p.count[p.ons == i])
        out[g.nhs_group] = out.get(g.nhs_group, 0.0) + n
        if g.nhs_code:
            out[g.nhs_code] = out.get(g.nhs_code, 0.0) + n
    return out


def add(total: dict | None, exp: dict) -> dict:
    """Sum two providers' expectations (people belong to one provider, so ALL is a plain sum)."""
    if total is None:
        return {k: dict(v) if k == "population" else (v[0].copy(), None if v[1] is None else v[1].copy())
                for k, v in exp.items()}
    for k, v in exp.items():
        if k == "population":
            for c, n in v.items():
                total[k][c] = total[k].get(c, 0.0) + n
        else:
            total[k] = (total[k][0] + v[0], None if v[1] is None else total[k][1] + v[1])
    return total


def rows(year: str, provider: str, exp: dict) -> list[dict]:
    """truth.json 'expected' rows for one provider (or ALL): total, groups and categories."""
    out = []
    cells = [("total", "TOTAL", list(range(N_TRUE + 1)))]
    cells += [("ethnic_group", g, [i for i, r in enumerate(RECORDED_GROUP) if r == g])
              for g in list(P.GROUPS) + ["NOT_KNOWN"]]
    cells += [("ethnic_category", c, [i]) for i, c in enumerate(TRUE_CODES)]
    for ind in RATE_INDICATORS + SHARE_INDICATORS:
        num, den = exp[ind]
        for breakdown, code, idx in cells:
            n = fsum(num[idx])
            d = fsum(den[idx]) if den is not None else exp["population"].get(code, 0.0)
            if d <= 0 or (den is None and code == "NOT_KNOWN"):
                continue
            out.append({"year": year, "provider": provider, "indicator_id": ind, "breakdown": breakdown,
                        "group_code": code, "value": round_sig(n / d * (1e5 if den is None else 100.0), 7),
                        "expected_numerator": round_sig(n, 7), "denominator": round_sig(d, 7)})
    return out


def year_truth(year: str, per_provider: dict[str, dict]) -> tuple[list[dict], dict]:
    """Rows for every provider and ALL, and a few derived national figures for the README."""
    total = None
    out = []
    for code, exp in per_provider.items():
        out += rows(year, code, exp)
        total = add(total, exp)
    out += rows(year, "ALL", total)
    pop = total["population"]
    derived = {
        "people_in_contact_share": float(fsum(total["AC01"][0]) / pop["TOTAL"]),
        "detentions_per_100k": float(fsum(total["CO01"][0]) / pop["TOTAL"] * 1e5),
        "recorded_black_to_white_detention_ratio": _ratio(total["CO01"][0], pop, "BLACK", "WHITE"),
        "recorded_black_to_white_cto_ratio": _ratio(total["CO03"][0], pop, "BLACK", "WHITE"),
        "recorded_other_black_detentions_per_100k": float(total["CO01"][0][TRUE_CODES.index("P")] / pop["P"] * 1e5),
        "recorded_black_detentions_per_100k": _rate(total["CO01"][0], pop, "BLACK"),
        "recorded_white_detentions_per_100k": _rate(total["CO01"][0], pop, "WHITE"),
        "recorded_other_black_agreement": float(total["other_black"][0][0] / total["other_black"][1][0]),
    }
    return out, derived


def _rate(num: np.ndarray, pop: dict, group: str) -> float:
    return float(math.fsum(num[i] for i, r in enumerate(RECORDED_GROUP) if r == group) / pop[group] * 1e5)


def _ratio(num: np.ndarray, pop: dict, a: str, b: str) -> float:
    return _rate(num, pop, a) / _rate(num, pop, b)


def round_sig(x: float, digits: int) -> float:
    """Enough significant digits for any test, and short lines in truth.json."""
    return float(f"{x:.{digits}g}")
