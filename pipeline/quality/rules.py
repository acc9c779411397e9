"""What the data-quality suites check, as data: one rule per Great Expectations expectation.

Every rule validates one number per provider (a percentage, or whether a table has records)
that DuckDB has already aggregated, so no suite ever sees a row of patient data. The tables,
fields and code lists come from :mod:`pipeline.contract`; ethnicity thresholds from
:class:`pipeline.config.AuditConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline import contract
from pipeline.config import AuditConfig

SUITES: dict[str, str] = {
    "dq01_ethnicity_recording": "DQ01 ethnicity recording in the patient index, and the tables a report needs",
    "dq02_event_ethnicity": "DQ02 ethnicity recording of persons with each kind of event",
    "dq03_fields_and_dates": "DQ03 fields the indicators rely on: valid codes, date order, dates in the year",
    "dq03_ids_and_persons": "DQ03 identifiers unique and every event's person in the patient index",
}

# DQ03 is advisory (a failure warns, it never withholds). The share of records that may fail a
# field check comes from AuditConfig.field_failing_warn_above; duplicated ids double-count
# events, so none is tolerated whatever the configuration.
AGE_RANGE = (0, 120)
# Duplicated ids double-count events; a population stratum with no people is a data error that
# leaves a category unstandardised: neither is tolerated.
NONE_TOLERATED = ("duplicate_key", "empty_stratum")

# Fields whose codes the indicators read (indicators.md, DQ03).
CODE_FIELDS: tuple[tuple[str, str], ...] = (
    ("MHS001MPI", "Gender"),
    ("MHS101Referral", "SourceOfReferralMH"),
    ("MHS201CareContact", "AttendOrDNACode"),
    ("MHS401MHActPeriod", "LegalStatusCode"),
    ("MHS515RestrictiveInterventType", "RestrictiveIntType"),
)
# (table, start, end) for every table with an end date; a blank end (still open) is fine.
DATE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("MHS101Referral", "ReferralRequestReceivedDate", "ServDischDate"),
    ("MHS501HospProvSpell", "StartDateHospProvSpell", "DischDateHospProvSpell"),
    ("MHS401MHActPeriod", "StartDateMHActLegalStatusClass", "EndDateMHActLegalStatusClass"),
    ("MHS404CommTreatOrder", "StartDateCommTreatOrd", "EndDateCommTreatOrd"),
    ("MHS515RestrictiveInterventType", "StartDateRestrictiveIntType", "EndDateRestrictiveIntType"),
    ("TalkingTherapiesReferral", "ReferralRequestReceivedDate", "EndDate"),
)
# Talking Therapies is a separate data set: its people need not be in the MHSDS patient index.
NOT_IN_PATIENT_INDEX = ("MHS001MPI", "TalkingTherapiesReferral")

# DQ02 populations: (table, who, where the ethnic category comes from).
EVENT_POPULATIONS: tuple[tuple[str, str, str], ...] = (
    ("MHS101Referral", "persons referred in the year", "MHS001MPI"),
    ("MHS401MHActPeriod", "persons detained in the year (Parts II and III of the Act)", "MHS001MPI"),
    ("MHS505RestrictiveInterventInc", "persons subject to a restrictive intervention in the year", "MHS001MPI"),
    ("TalkingTherapiesReferral", "Talking Therapies referrals received in the year", "the referral record"),
    ("ExperienceSurvey", "survey respondents for the year", "the response"),
)


@dataclass(frozen=True)
class Rule:
    """One expectation: a number per provider that must be at least (min) or at most (max) a threshold."""

    suite: str
    measure: str  # DQ01 | DQ02 | DQ03: the data_quality.csv rows it judges
    table: str
    field: str
    check: str
    bound: str  # min | max
    threshold: float
    level: str  # withhold | warn: what failing it means for the provider's report
    text: str  # the rule in plain English, shown in the data docs and data_quality.csv
    column: str  # the name of the validated number in the suite's frame

    @property
    def id(self) -> str:
        return f"{self.suite}:{self.column}:{self.level}"

    @property
    def complement(self) -> bool:
        """DQ02 validates the share *not* validly recorded, so a provider with no such persons passes."""
        return self.measure == "DQ02"

    def threshold_text(self) -> str:
        if self.check == "present":
            return f"{self.level} if none"
        if self.complement:
            return f"{self.level} below {100 - self.threshold:g}%"
        return f"{self.level} {'below' if self.bound == 'min' else 'above'} {self.threshold:g}%"


def rules(config: AuditConfig) -> list[Rule]:
    """Every rule of every suite, in the order the data docs show them."""
    out: list[Rule] = []
    valid = "MHS001MPI.EthnicCategory valid %"
    for level, share in (("withhold", config.ethnicity_withhold_below), ("warn", config.ethnicity_warn_below)):
        out.append(Rule("dq01_ethnicity_recording", "DQ01", "MHS001MPI", "EthnicCategory", "valid", "min", 100 * share,
                        level, f"At least {share:.0%} of persons in the patient index have a valid ethnic category "
                        f"(A to S); below it the report is {'withheld' if level == 'withhold' else 'published with a warning'}.",
                        valid))
    warn_at = 100 * config.ethnicity_warn_below
    for name, who, source in EVENT_POPULATIONS:
        out.append(Rule("dq02_event_ethnicity", "DQ02", name, "EthnicCategory", "valid", "max", 100 - warn_at, "warn",
                        f"At most {100 - warn_at:g}% of {who} lack a valid ethnic category (from {source}); "
                        "a provider with none passes.", f"{name} ethnicity not valid %"))
    return out + dq03_rules(config)


def _dq03(suite: str, table: str, field: str, check: str, text: str, config: AuditConfig) -> Rule:
    limit = 0.0 if check in NONE_TOLERATED else 100 * config.field_failing_warn_above
    return Rule(suite, "DQ03", table, field, check, "max", limit, "warn",
                f"{text}: at most {limit:g}% of records may fail; a provider with no records passes.",
                f"{table}.{field} {check.replace('_', ' ')} %")


def dq03_rules(config: AuditConfig = AuditConfig()) -> list[Rule]:
    """The rules on tables and fields other than ethnicity."""
    fields, ids = "dq03_fields_and_dates", "dq03_ids_and_persons"
    out = [
        Rule("dq01_ethnicity_recording", "DQ03", t.name, "", "present", "min", 1, "withhold",
             f"{t.name} has records for the provider (1 yes, 0 no); without them the report is withheld.",
             f"{t.name} has records")
        for t in contract.TABLES if t.required_per_provider
    ]
    for table, field in CODE_FIELDS:
        codes = ", ".join(contract.table(table).column(field).codes)
        out.append(_dq03(fields, table, field, "invalid", f"{field} is one of the contract's codes ({codes})", config))
    lo, hi = AGE_RANGE
    out.append(_dq03(fields, "MHS001MPI", "AgeRepPeriodEnd", "invalid", f"AgeRepPeriodEnd is a whole number {lo} to {hi}", config))
    out.append(_dq03(fields, "MHS001MPI", "LADistrictAuth", "invalid",
                     "LADistrictAuth is a local authority in the reference Providers or Population", config))
    for table, start, end in DATE_PAIRS:
        out.append(_dq03(fields, table, end, "end_before_start", f"{end} is not before {start}", config))
    out.append(_dq03(fields, "Population", "Count", "empty_stratum",
                     "Every sex and age band of each ethnic category in the provider's catchment has people "
                     "(otherwise a data error: that category cannot be age-sex standardised)", config))
    for t in contract.TABLES:
        if t.event_date:
            out.append(_dq03(fields, t.name, t.event_date, "outside_year", f"{t.event_date} falls inside the financial year", config))
    for t in contract.TABLES:
        if t.key:
            out.append(_dq03(ids, t.name, "+".join(t.key), "duplicate_key", f"{' and '.join(t.key)} identif{'y' if len(t.key) > 1 else 'ies'} one record", config))
    for t in contract.TABLES:
        if t.person_level and "Person_ID" in t.column_names and t.name not in NOT_IN_PATIENT_INDEX:
            out.append(_dq03(ids, t.name, "Person_ID", "unknown_person",
                             "Person_ID is in MHS001MPI for the same provider", config))
    return out
