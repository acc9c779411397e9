"""Planted parameters of the synthetic extracts, calibrated to public national figures (synthetic.md).

Rates are per person per year in the resident population, by the person's true NHS ethnic group,
then multiplied by age and sex factors; every value here is copied into truth.json.
"""

from __future__ import annotations

from pipeline import contract

DEFAULT_SEED = 20240401
DEFAULT_YEARS = ("2023-24", "2024-25")

# Census 2021, England, approximate shares by ONS code (synthetic.md).
CENSUS_SHARES = {
    13: 0.735, 14: 0.009, 15: 0.002, 16: 0.001, 17: 0.063,
    11: 0.009, 10: 0.004, 9: 0.008, 12: 0.008,
    3: 0.033, 4: 0.027, 1: 0.011, 5: 0.017,
    7: 0.011, 6: 0.025, 8: 0.005,
    2: 0.008, 18: 0.006, 19: 0.016,
}
# Age structure: minority groups are younger, which is why crude and standardised rates differ.
AGE_SHARES = {
    "older": {"0-15": 0.17, "16-17": 0.022, "18-34": 0.20, "35-49": 0.18, "50-64": 0.20, "65+": 0.228},
    "younger": {"0-15": 0.27, "16-17": 0.03, "18-34": 0.29, "35-49": 0.21, "50-64": 0.13, "65+": 0.07},
}
OLDER_GROUPS = {13, 14, 17}

SCALES = {
    # providers, population per provider, extra referrals per person (1 + Poisson), contacts per
    # referral, share of referrals with ReQoL scores; the sample has fewer events per person to
    # stay small on disk (the indicators are rates per person or per referral, so unaffected)
    "sample": {"providers": 3, "population": 65_000, "referrals_per_person": 0.2, "contacts_per_referral": 1.3,
               "reqol_share": 0.1, "survey": 250},
    "region": {"providers": 10, "population": 450_000, "referrals_per_person": 0.6, "contacts_per_referral": 4.5,
               "reqol_share": 0.3, "survey": 250},
    "national": {"providers": 60, "population": 945_000, "referrals_per_person": 0.6, "contacts_per_referral": 4.5,
                 "reqol_share": 0.3, "survey": 250},
}
SAMPLE_WHITE_BRITISH = (0.42, 0.78, 0.92)  # inner city, mixed, rural
SAMPLE_VALID_SHARE = (0.93, 0.87, 0.91)  # one provider between the warning and withhold thresholds

GROUPS = ("WHITE", "MIXED", "ASIAN", "BLACK", "OTHER")
# Per person per year, by true NHS group (before age and sex factors).
RATES = {
    "contact": {"WHITE": 0.082, "MIXED": 0.094, "ASIAN": 0.060, "BLACK": 0.100, "OTHER": 0.075},
    "detention": {"WHITE": 84e-5, "MIXED": 200e-5, "ASIAN": 95e-5, "BLACK": 300e-5, "OTHER": 150e-5},
    "cto": {"WHITE": 8e-5, "MIXED": 30e-5, "ASIAN": 10e-5, "BLACK": 62e-5, "OTHER": 18e-5},
    "restrictive": {"WHITE": 27e-5, "MIXED": 87e-5, "ASIAN": 32e-5, "BLACK": 138e-5, "OTHER": 52e-5},
    "section136": {"WHITE": 45e-5, "MIXED": 90e-5, "ASIAN": 40e-5, "BLACK": 130e-5, "OTHER": 60e-5},
    "informal_admission": {"WHITE": 170e-5, "MIXED": 170e-5, "ASIAN": 130e-5, "BLACK": 170e-5, "OTHER": 150e-5},
    "talking_therapies": {"WHITE": 0.040, "MIXED": 0.040, "ASIAN": 0.028, "BLACK": 0.030, "OTHER": 0.030},
}
AGE_FACTORS = {
    "contact": {"0-15": 0.7, "16-17": 1.2, "18-34": 1.25, "35-49": 1.15, "50-64": 0.95, "65+": 0.85},
    "coercion": {"0-15": 0.05, "16-17": 0.7, "18-34": 1.6, "35-49": 1.35, "50-64": 0.85, "65+": 0.45},
    "talking_therapies": {"0-15": 0.0, "16-17": 0.0, "18-34": 1.3, "35-49": 1.2, "50-64": 1.0, "65+": 0.5},
}
SEX_FACTORS = {"contact": {"1": 0.95, "2": 1.05}, "coercion": {"1": 1.25, "2": 0.75},
               "talking_therapies": {"1": 0.75, "2": 1.25}}
RATE_AGE_SEX = {"contact": "contact", "detention": "coercion", "cto": "coercion", "restrictive": "coercion",
                "section136": "coercion", "informal_admission": "coercion", "talking_therapies": "talking_therapies"}
PROVIDER_VARIATION = 0.15  # each provider's rates vary by up to +/- 15% around the national defaults

# Detention rate in IMD decile 1 is 3.5 times decile 10; factors average 1 so a group's rate holds.
IMD_RATIO = 3.5

JUSTICE_SHARE = {"WHITE": 0.040, "MIXED": 0.050, "ASIAN": 0.045, "BLACK": 0.056, "OTHER": 0.048}
ED_SHARE = 0.08
NOT_SEEN_SHARE = 0.08  # people referred but never seen (in MHS001MPI, not in AC01)

# NHS Talking Therapies (2023-24): finishing a course and recovery by group.
TT_FINISHED = {"WHITE": 0.397, "MIXED": 0.36, "ASIAN": 0.345, "BLACK": 0.340, "OTHER": 0.35}
TT_RECOVERY = {"WHITE": 0.512, "MIXED": 0.458, "ASIAN": 0.452, "BLACK": 0.495, "OTHER": 0.438}
TT_CASENESS = 0.88
TT_ENDED_IN_YEAR = 0.8

# Survey: good overall experience (7 to 10 out of 10).
GOOD_EXPERIENCE = {"A": 0.58, "minority": 0.53}

# Recorded ethnicity: per provider the share recorded with a valid code; the rest split below.
VALID_SHARE_RANGE = (0.85, 0.95)
LOW_QUALITY_SHARE = 0.45  # one provider-year below the withhold threshold (region and national)
NOT_VALID_SPLIT = {"Z": 0.55, "99": 0.30, "invalid": 0.08, "blank": 0.07}
INVALID_CODES = ("X", "0", "I", "a", "b", "9")
PADDED_SHARE = 0.01  # ' A ' (valid: spaces ignored)
SUBCODE_SHARE = 0.01  # 'CA' style local sub-codes (valid for their letter)
# Misclassification into an 'Any other ...' code of another group, and Caribbean/African into
# 'Other Black': recorded 'Other Black' agrees with the truth less than 20% of the time.
MISCLASSIFY_OTHER_GROUP = 0.02
BLACK_TO_OTHER_BLACK = 0.12
ANY_OTHER = {"WHITE": "C", "MIXED": "G", "ASIAN": "L", "BLACK": "P", "OTHER": "S"}
TT_VALID_SHARE = 0.9

# Data-quality faults, per year and provider, in the region and national scales (share of rows).
FAULTS = {"duplicated_persons": 0.001, "contacts_unknown_person": 0.002, "spell_end_before_start": 0.002,
          "referrals_out_of_year": 0.002}


def nhs_group(ons_code: int) -> str:
    return next(g.nhs_group for g in contract.CENSUS_ETHNIC_GROUPS if g.ons_code == ons_code)


def nhs_code(ons_code: int) -> str:
    """The code a person of this census group is recorded with when recorded correctly."""
    g = next(g for g in contract.CENSUS_ETHNIC_GROUPS if g.ons_code == ons_code)
    return g.nhs_code or ANY_OTHER[g.nhs_group]
