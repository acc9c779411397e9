"""NHS Talking Therapies referrals and the community mental health survey, for one provider-year.

Both record ethnicity themselves (not from MHS001MPI): Talking Therapies codes are right or
not known; survey respondents give their own category or leave it blank.
"""

from __future__ import annotations

import numpy as np

from pipeline import contract
from pipeline.synth import io
from pipeline.synth import params as P
from pipeline.synth.ethnicity import draw_plain
from pipeline.synth.persons import IdSpace
from pipeline.synth.population import SEXES, TRUE_CODES, Provider, fsum


def _lookup(by_group: dict, group: np.ndarray) -> np.ndarray:
    return np.array([by_group[g] for g in P.GROUPS])[group]


def _between(rng, lo, hi, n) -> np.ndarray:
    return rng.integers(lo, hi + 1, n)


def talking_therapies(rng: np.random.Generator, p: Provider, rates: dict, valid_share: float, year: tuple[int, int],
                      ids: IdSpace, counters: dict) -> dict:
    """TalkingTherapiesReferral columns: finishing and recovery planted by true group."""
    start, end = year
    s = np.repeat(np.arange(len(p.count)), rng.poisson(p.count * rates["talking_therapies"]))
    n = len(s)
    group = p.group[s]
    ended = rng.random(n) < P.TT_ENDED_IN_YEAR
    finished = ended & (rng.random(n) < _lookup(P.TT_FINISHED, group))
    case = rng.random(n) < P.TT_CASENESS
    recovered = finished & case & (rng.random(n) < rates["recovery"][s])
    sessions = np.where(finished, 2 + rng.poisson(5, n), np.where(ended, rng.integers(0, 2, n), rng.poisson(1.5, n)))
    phq0 = np.where(case, _between(rng, 10, 27, n), _between(rng, 0, 9, n))
    gad0 = np.where(case, _between(rng, 8, 21, n), _between(rng, 0, 7, n))
    # last scores: recovered and non-cases below caseness; other finished cases still at caseness
    low = recovered | (finished & ~case)
    phq1 = np.where(low, _between(rng, 0, 9, n), _between(rng, 10, 27, n))
    gad1 = np.where(low, _between(rng, 0, 7, n), _between(rng, 0, 21, n))
    phq1, gad1 = np.where(sessions >= 2, phq1, phq0), np.where(sessions >= 2, gad1, gad0)
    duration = _between(rng, 20, 300, n)
    ref_day = np.where(ended, start + (rng.random(n) * (end - duration - start + 1)).astype(np.int64),
                       _between(rng, start, end, n))
    first_treat = np.minimum(ref_day + _between(rng, 7, 40, n), np.where(ended, ref_day + duration, end))
    counter = counters.get("tt_person", 0)
    counters["tt_person"] = counter + n
    pathway = counters.get("W", 0)
    counters["W"] = pathway + n
    return {
        "PathwayID": ids.events("W", p.index, pathway, n),
        "Person_ID": ids.person_ids(p.index, ids.tt_serial(n, counter)),
        "OrgIDProv": io.repeat(p.code, n),
        "EthnicCategory": draw_plain(rng, p.true_idx[s], valid_share),
        "ReferralRequestReceivedDate": io.dates(ref_day),
        "FirstTreatmentDate": io.dates(first_treat, (sessions == 0) | (first_treat > end)),
        "EndDate": io.dates(ref_day + duration, ~ended),
        "TreatmentSessions": io.ints(sessions),
        "PHQ9_First": io.ints(phq0), "PHQ9_Last": io.ints(phq1, sessions == 0),
        "GAD7_First": io.ints(gad0), "GAD7_Last": io.ints(gad1, sessions == 0),
    }


def survey_frame(p: Provider, rates: dict) -> np.ndarray:
    """Sampling weights of respondents over strata: seen people aged 16+."""
    w = p.count * rates["contact"] * (p.band >= 1)
    return w / fsum(w)


def good_experience(p: Provider) -> np.ndarray:
    """P(overall experience 7-10) per stratum, by the respondent's true category."""
    code = np.array(TRUE_CODES)[p.true_idx]
    by_group = np.array([P.GOOD_EXPERIENCE[g] for g in P.GROUPS])[p.group]
    return np.where(code == contract.COMPARATOR_CODE, P.GOOD_EXPERIENCE["A"], by_group)


def survey(rng: np.random.Generator, p: Provider, rates: dict, year: str, spec: P.Scale, ids: IdSpace,
           counters: dict) -> dict:
    """ExperienceSurvey columns: respondents drawn from the expected mix of people seen."""
    n = spec.survey_per_provider
    s = rng.choice(len(p.count), n, p=survey_frame(p, rates))
    good = rng.random(n) < good_experience(p)[s]
    score = np.where(good, _between(rng, 7, 10, n), _between(rng, 0, 6, n))
    u = rng.random(n)
    eth = p.true_idx[s].copy()
    eth[u < P.SURVEY_BLANK_ETHNICITY + P.SURVEY_NOT_STATED] = len(TRUE_CODES)  # 'Z'
    vocab = list(TRUE_CODES) + [contract.NOT_STATED_CODE]
    answers = lambda probs: io.ints(1 + rng.choice(3, n, p=probs), rng.random(n) < 0.02)  # noqa: E731
    start = counters.get("V", 0)
    counters["V"] = start + n
    return {
        "RespondentID": ids.events("V", p.index, start, n), "OrgIDProv": io.repeat(p.code, n),
        "SurveyYear": io.repeat(year, n), "EthnicCategory": io.codes(vocab, eth, u < P.SURVEY_BLANK_ETHNICITY),
        "Gender": io.codes(list(SEXES), p.sex[s]), "AgeBand": io.codes(contract.AGE_BANDS, p.band[s]),
        "OverallExperience": io.ints(score, rng.random(n) < P.SURVEY_NO_ANSWER),
        "DignityRespect": answers([0.6, 0.3, 0.1]), "FeltListenedTo": answers([0.5, 0.35, 0.15]),
        "KnewCrisisContact": answers([0.55, 0.2, 0.25]),
    }
