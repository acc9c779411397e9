"""Planted parameters of the synthetic extracts, as data, calibrated to public figures (synthetic.md).

Rates are per resident per year by the person's *true* NHS ethnic group, multiplied by an age
factor, a sex factor and a mild provider factor. Everything here is copied into truth.json.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

DEFAULT_SEED = 20240401
DEFAULT_YEARS = ("2020-21", "2021-22", "2022-23", "2023-24", "2024-25")


@dataclass(frozen=True)
class Scale:
    """Size and shape of one scale (people in contact ~ population x 6.7%)."""

    providers: int
    population_per_provider: int
    fmt: str  # csv | parquet
    extra_referrals: float  # referrals per person = 1 + Poisson(extra_referrals)
    contacts_per_referral: float  # for seen people's referrals: 1 + Poisson(contacts - 1)
    reqol_share: float  # share of seen people's referrals with a paired ReQoL-10 score
    survey_per_provider: int
    incidents_per_person: float  # restrictive intervention incidents = 1 + Poisson(this)
    faults: bool  # duplicated ids, unknown persons, bad dates (not in the sample)
    size_spread: float  # lognormal sd of provider population sizes
    narrowing_every: int  # every n-th provider by minority population narrows its gaps (GAP_TRENDS)


SCALES: dict[str, Scale] = {
    # The sample keeps one referral and about one contact per person, and a smaller population, so
    # five years of data/sample stay under 6 MB; indicators are per person or per referral, so
    # their truth is unaffected.
    "sample": Scale(3, 25_000, "csv", 0.0, 1.0, 0.05, 250, 2.0, False, 0.0, 3),
    "region": Scale(10, 450_000, "parquet", 0.46, 5.4, 0.3, 250, 5.5, True, 0.3, 2),
    "national": Scale(60, 945_000, "parquet", 0.46, 5.4, 0.3, 250, 5.5, True, 0.35, 8),
}
SAMPLE_WHITE_BRITISH = (0.42, 0.78, 0.93)  # inner city, mixed, rural
SAMPLE_VALID_SHARE = (0.93, 0.87, 0.92)  # the second provider gets the report's warning

# Census 2021, England, approximate shares by ONS code (synthetic.md).
CENSUS_SHARES = {
    13: 0.735, 14: 0.009, 15: 0.002, 16: 0.001, 17: 0.063,
    11: 0.009, 10: 0.004, 9: 0.008, 12: 0.008,
    3: 0.033, 4: 0.027, 1: 0.011, 5: 0.017,
    7: 0.011, 6: 0.025, 8: 0.005,
    2: 0.008, 18: 0.006, 19: 0.016,
}
MINORITY_MIX_SD = 0.4  # lognormal noise on each provider's non-White-British mix
# Age structure by census group: minority groups are younger, so crude and standardised rates differ.
AGE_SHARES = {
    "older": {"0-15": 0.17, "16-17": 0.022, "18-34": 0.20, "35-49": 0.18, "50-64": 0.20, "65+": 0.228},
    "younger": {"0-15": 0.27, "16-17": 0.03, "18-34": 0.29, "35-49": 0.21, "50-64": 0.13, "65+": 0.07},
}
OLDER_GROUPS = (13, 14, 17)
FEMALE_SHARE = {"0-15": 0.49, "16-17": 0.49, "18-34": 0.50, "35-49": 0.50, "50-64": 0.51, "65+": 0.55}

GROUPS = ("WHITE", "MIXED", "ASIAN", "BLACK", "OTHER")
# Per resident per year by true NHS group, before age, sex and provider factors; solved so the
# *recorded* national crude rates hit synthetic.md (detentions White 65.8, Black 245 per 100,000;
# CTOs Black:White ~7.7; restrained people White 21, Black 106, Mixed 67, Asian 25; contact 6.7%).
RATES = {
    "contact": {"WHITE": 0.0691, "MIXED": 0.0838, "ASIAN": 0.0503, "BLACK": 0.0786, "OTHER": 0.0608},
    "detention": {"WHITE": 92.2e-5, "MIXED": 173e-5, "ASIAN": 103e-5, "BLACK": 239e-5, "OTHER": 144e-5},
    "section136": {"WHITE": 45e-5, "MIXED": 90e-5, "ASIAN": 40e-5, "BLACK": 130e-5, "OTHER": 60e-5},
    "cto": {"WHITE": 8.49e-5, "MIXED": 24.3e-5, "ASIAN": 10.4e-5, "BLACK": 51.1e-5, "OTHER": 11.3e-5},
    "restrictive": {"WHITE": 29e-5, "MIXED": 78.3e-5, "ASIAN": 31.5e-5, "BLACK": 107e-5, "OTHER": 27.1e-5},
    "informal_admission": {"WHITE": 170e-5, "MIXED": 170e-5, "ASIAN": 130e-5, "BLACK": 170e-5, "OTHER": 150e-5},
    "talking_therapies": {"WHITE": 0.042, "MIXED": 0.042, "ASIAN": 0.030, "BLACK": 0.032, "OTHER": 0.032},
}
RATE_AXIS = {"contact": "contact", "detention": "coercion", "section136": "coercion", "cto": "coercion",
             "restrictive": "coercion", "informal_admission": "coercion", "talking_therapies": "talking_therapies"}
AGE_FACTORS = {
    "contact": {"0-15": 0.7, "16-17": 1.2, "18-34": 1.25, "35-49": 1.15, "50-64": 0.95, "65+": 0.85},
    "coercion": {"0-15": 0.05, "16-17": 0.7, "18-34": 1.6, "35-49": 1.35, "50-64": 0.85, "65+": 0.45},
    "talking_therapies": {"0-15": 0.0, "16-17": 0.1, "18-34": 1.3, "35-49": 1.2, "50-64": 1.0, "65+": 0.5},
}
SEX_FACTORS = {"contact": {"1": 0.95, "2": 1.05}, "coercion": {"1": 1.25, "2": 0.75},
               "talking_therapies": {"1": 0.75, "2": 1.25}}
# The national detention trend: at 'steady' providers the Black detention rate grows by this share
# a year (factor 1 in 2023-24); with the 'narrowing' providers' fall (GAP_TRENDS) the national ratio
# is ~3.5 in 2022-23 and ~4.0 in 2024-25.
BLACK_DETENTION_TREND = {"per_year": 0.12, "base_year": 2023}
# Planted trends in the gap to White British (issue 13). Providers ranked by minority (not White
# British) population take turns: every Scale.narrowing_every-th (the largest first) is 'narrowing',
# the others 'steady'. At a narrowing provider the group's rate behind each key indicator is
# multiplied by (1 + per_year) ** (year - base_year); at a steady one it is unchanged, apart from the
# national detention trend above. White British rates never change, so the ratio to White British
# moves exactly as the group's rate. Sized for a group x year test over five years at a region-scale
# provider with a large minority population (power in truth.json 'gap_trends'); base years keep the
# national figures of synthetic.md true in the years they name (restraint 2021-22, the rest 2023-24).
GAP_TRENDS = {
    "CO01": {"group": "BLACK", "kind": "detention", "per_year": -0.15, "base_year": 2023},
    "CO02": {"group": "BLACK", "kind": "section136", "per_year": -0.18, "base_year": 2023},
    "CO04": {"group": "BLACK", "kind": "restrictive", "per_year": -0.2, "base_year": 2021},
    "CO05": {"group": "BLACK", "kind": "interventions", "per_year": -0.2, "base_year": 2021},
    "AC02": {"group": "BLACK", "kind": "justice", "per_year": -0.08, "base_year": 2023},
    "OU01": {"group": "ASIAN", "kind": "recovery", "per_year": 0.06, "base_year": 2023},
}
PROVIDER_VARIATION = 0.15  # each provider's rates are the defaults x U(0.85, 1.15), per kind

# A few people in contact are 'acute': they carry most coercive events and are the ones most
# often misrecorded (asked nobody, recorded as 'Any other ...'), which is why recorded
# 'Other Black' has a detention rate far above the other Black groups.
ACUTE_SHARE = 0.06
ACUTE_EVENT_SHARE = 0.8  # share of coercive events (and restrained people) among acute people
COERCIVE = ("detention", "section136", "cto", "restrictive", "informal_admission")

# Detention rate in IMD decile 1 is 3.5 x decile 10; factors are normalised to average 1 over
# each provider's decile mix, so a group's mean rate is unchanged.
IMD_RATIO = 3.5
IMD_DEPRIVATION_TILT = 0.12  # decile weights (1 + tilt x (5.5 - d) x deprivation), deprivation in [-1, 1]

DETENTION_SECTIONS = {"02": 0.50, "03": 0.40, "04": 0.01, "07": 0.01, "10": 0.03, "09": 0.02, "11": 0.01,
                      "15": 0.01, "17": 0.01}
JUSTICE_SHARE = {"WHITE": 0.040, "MIXED": 0.050, "ASIAN": 0.045, "BLACK": 0.056, "OTHER": 0.048}
ED_SHARE = 0.08
OTHER_SOURCES = {"A1": 0.5, "B1": 0.15, "C1": 0.1, "A3": 0.1, "P1": 0.1, "M7": 0.05}
PRIORITY = {"1": 0.05, "2": 0.25, "3": 0.65, "4": 0.05}  # ClinRespPriorityType
NOT_SEEN_SHARE = 0.08  # people referred but never seen: in MHS001MPI, not in AC01
ATTEND_LATER = {"5": 0.78, "6": 0.05, "3": 0.09, "2": 0.04, "4": 0.03, "7": 0.01}
RESTRICTIVE_TYPES = {"01": 0.12, "04": 0.03, "05": 0.12, "06": 0.03, "07": 0.08, "09": 0.1, "10": 0.05,
                     "11": 0.05, "12": 0.02, "13": 0.2, "14": 0.1, "15": 0.02, "16": 0.06, "17": 0.02}
TYPES_PER_INCIDENT = 0.4  # 1 + Poisson
MEAN_STAY_DAYS = 30

# NHS Talking Therapies (2023-24): finishing a course (>= 2 sessions) and recovery, by group.
TT_FINISHED = {"WHITE": 0.397, "MIXED": 0.36, "ASIAN": 0.345, "BLACK": 0.340, "OTHER": 0.35}
TT_RECOVERY = {"WHITE": 0.512, "MIXED": 0.458, "ASIAN": 0.452, "BLACK": 0.495, "OTHER": 0.438}
TT_CASENESS = 0.88
TT_ENDED_IN_YEAR = 0.8
TT_VALID_SHARE_RANGE = (0.88, 0.96)

# Survey: P(overall experience 7-10) by the respondent's own category (White British highest).
GOOD_EXPERIENCE = {"A": 0.60, "WHITE": 0.58, "MIXED": 0.54, "ASIAN": 0.53, "BLACK": 0.53, "OTHER": 0.52}
SURVEY_BLANK_ETHNICITY = 0.04
SURVEY_NOT_STATED = 0.01
SURVEY_NO_ANSWER = 0.03

# Recorded ethnicity in MHS001MPI: per provider-year a planted valid share; the rest split below.
VALID_SHARE_RANGE = (0.85, 0.93)  # so that Z and 99 together are 5-15%
LOW_QUALITY_SHARE = 0.42  # one provider in the last year, region and national: report withheld
NOT_VALID_SPLIT = {"Z": 0.60, "99": 0.30, "invalid": 0.05, "missing": 0.05}
INVALID_CODES = ("X", "0", "I", "a", "c", "9")
PADDED_SHARE = 0.01  # ' A ' (valid: spaces ignored)
SUBCODE_SHARE = 0.01  # 'CA' style local sub-codes (valid for their first letter)
# Misclassification: with this probability a valid record is an 'Any other ...' code drawn
# from the true group's targets (ONS: recorded 'Other Black' agrees with the census < 20%).
MISCLASSIFY = {"normal": {"WHITE": 0.045, "MIXED": 0.10, "ASIAN": 0.05, "BLACK": 0.22, "OTHER": 0.10},
               "acute": {"WHITE": 0.12, "MIXED": 0.12, "ASIAN": 0.12, "BLACK": 0.12, "OTHER": 0.12}}
MISCLASSIFY_TARGETS = {
    "WHITE": {"C": 0.35, "S": 0.25, "G": 0.1, "P": 0.3},
    "MIXED": {"G": 0.3, "P": 0.4, "S": 0.2, "C": 0.1},
    "ASIAN": {"L": 0.45, "S": 0.3, "P": 0.25},
    "BLACK": {"P": 0.85, "S": 0.15},
    "OTHER": {"S": 0.45, "L": 0.2, "P": 0.35},
}
RECUR_SHARE = 0.4  # share of a year's people who were in the same provider's index last year
ODD_GENDER = 0.005  # Gender '9' or 'X'
MISSING_AGE = 0.005
MISSING_IMD = 0.03

# Data-quality faults per provider-year (region and national), as shares of the table's rows.
FAULTS = {
    "duplicated_person_rows": ("MHS001MPI", 0.001),
    "contacts_unknown_person": ("MHS201CareContact", 0.002),
    "mha_unknown_person": ("MHS401MHActPeriod", 0.01),
    "spell_end_before_start": ("MHS501HospProvSpell", 0.003),
    "mha_end_before_start": ("MHS401MHActPeriod", 0.003),
    "referrals_out_of_year": ("MHS101Referral", 0.002),
    "detentions_out_of_year": ("MHS401MHActPeriod", 0.005),
}


def as_dict() -> dict:
    """Every planted parameter, JSON-ready, for truth.json."""
    names = [n for n in globals() if n.isupper() and n not in ("DEFAULT_YEARS",)]
    out = {n.lower(): globals()[n] for n in names}
    out["scales"] = {k: asdict(v) for k, v in SCALES.items()}
    out["census_shares"] = {str(k): v for k, v in CENSUS_SHARES.items()}
    out["faults"] = {k: {"table": t, "share_of_rows": s} for k, (t, s) in FAULTS.items()}
    return out
