"""The extract contract: every table the pipeline reads, declared once.

The loader, the synthetic generator, the data-quality suites and the docs all read this
module; nothing else restates a table, a column, a type or a code list. It follows
``shared/spec/extracts.md`` (a simplified MHSDS v6 and NHS Talking Therapies subset, with
MHSDS table and field names kept so an NHS data team can produce the files unrenamed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

DuckType = Literal["VARCHAR", "INTEGER", "BIGINT", "DATE", "DOUBLE"]


@dataclass(frozen=True)
class Column:
    """One column: its DuckDB type, whether the file must have it and whether blanks are allowed."""

    name: str
    type: DuckType
    description: str
    required: bool = True
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    # Identifier rules the loader enforces as bad input (not data quality): a regular expression
    # every non-blank value must match in full, values that are reserved, and a least value.
    pattern: str | None = None
    pattern_text: str = ""
    reserved: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True)
class Table:
    """One extract table with the column that decides which financial year a row is in."""

    name: str
    description: str
    columns: tuple[Column, ...]
    # Extract tables: a duplicated key is data quality (DQ03). Reference tables: bad input.
    key: tuple[str, ...] = ()
    event_date: str | None = None
    reference: bool = False
    person_level: bool = True
    # A provider with no rows in a required table has its report withheld (indicators.md).
    required_per_provider: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def duck_types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}


# --- code lists -------------------------------------------------------------------------

@dataclass(frozen=True)
class EthnicCategory:
    code: str
    label: str
    group: str


ETHNIC_CATEGORIES: tuple[EthnicCategory, ...] = (
    EthnicCategory("A", "White British", "WHITE"),
    EthnicCategory("B", "White Irish", "WHITE"),
    EthnicCategory("C", "Any other White background", "WHITE"),
    EthnicCategory("D", "White and Black Caribbean", "MIXED"),
    EthnicCategory("E", "White and Black African", "MIXED"),
    EthnicCategory("F", "White and Asian", "MIXED"),
    EthnicCategory("G", "Any other mixed background", "MIXED"),
    EthnicCategory("H", "Indian", "ASIAN"),
    EthnicCategory("J", "Pakistani", "ASIAN"),
    EthnicCategory("K", "Bangladeshi", "ASIAN"),
    EthnicCategory("L", "Any other Asian background", "ASIAN"),
    EthnicCategory("M", "Caribbean", "BLACK"),
    EthnicCategory("N", "African", "BLACK"),
    EthnicCategory("P", "Any other Black background", "BLACK"),
    EthnicCategory("R", "Chinese", "OTHER"),
    EthnicCategory("S", "Any other ethnic group", "OTHER"),
)
VALID_ETHNIC_CODES: tuple[str, ...] = tuple(c.code for c in ETHNIC_CATEGORIES)
NOT_STATED_CODE = "Z"
NOT_KNOWN_CODE = "99"

ETHNIC_GROUPS: dict[str, str] = {
    "WHITE": "White",
    "MIXED": "Mixed",
    "ASIAN": "Asian or Asian British",
    "BLACK": "Black or Black British",
    "OTHER": "Other ethnic groups",
    "NOT_KNOWN": "Not known",
}
COMPARATOR_CODE = "A"

# How a recorded EthnicCategory value is classed (extracts.md, as NHS England's DQ measures):
# surrounding spaces ignored, the first character decides.
ETHNICITY_STATUSES: dict[str, str] = {
    "valid": "Valid code (A to S)",
    "not_stated": "Not stated (Z)",
    "not_known": "Not known (99)",
    "invalid": "Invalid code",
    "missing": "Missing (blank)",
}
ETHNICITY_VALID_REGEX = r"^\s*[ABCDEFGHJKLMNPRS]"


@dataclass(frozen=True)
class CensusEthnicGroup:
    ons_code: int
    label: str
    nhs_code: str | None  # None: counted in its group's total only
    nhs_group: str  # group under NHS coding (Chinese in OTHER)
    census_group: str  # group under Census 2021 coding (Chinese in ASIAN)


CENSUS_ETHNIC_GROUPS: tuple[CensusEthnicGroup, ...] = (
    CensusEthnicGroup(13, "English, Welsh, Scottish, Northern Irish or British", "A", "WHITE", "WHITE"),
    CensusEthnicGroup(14, "Irish", "B", "WHITE", "WHITE"),
    CensusEthnicGroup(15, "Gypsy or Irish Traveller", None, "WHITE", "WHITE"),
    CensusEthnicGroup(16, "Roma", None, "WHITE", "WHITE"),
    CensusEthnicGroup(17, "Other White", "C", "WHITE", "WHITE"),
    CensusEthnicGroup(11, "White and Black Caribbean", "D", "MIXED", "MIXED"),
    CensusEthnicGroup(10, "White and Black African", "E", "MIXED", "MIXED"),
    CensusEthnicGroup(9, "White and Asian", "F", "MIXED", "MIXED"),
    CensusEthnicGroup(12, "Other Mixed or Multiple", "G", "MIXED", "MIXED"),
    CensusEthnicGroup(3, "Indian", "H", "ASIAN", "ASIAN"),
    CensusEthnicGroup(4, "Pakistani", "J", "ASIAN", "ASIAN"),
    CensusEthnicGroup(1, "Bangladeshi", "K", "ASIAN", "ASIAN"),
    CensusEthnicGroup(5, "Other Asian", "L", "ASIAN", "ASIAN"),
    CensusEthnicGroup(7, "Caribbean", "M", "BLACK", "BLACK"),
    CensusEthnicGroup(6, "African", "N", "BLACK", "BLACK"),
    CensusEthnicGroup(8, "Other Black", "P", "BLACK", "BLACK"),
    CensusEthnicGroup(2, "Chinese", "R", "OTHER", "ASIAN"),
    CensusEthnicGroup(18, "Arab", None, "OTHER", "OTHER"),
    CensusEthnicGroup(19, "Any other ethnic group", "S", "OTHER", "OTHER"),
)
CODING_CONVENTIONS = ("nhs", "census")

GENDER_CODES = {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}
SEX_CODES = {"1": "Male", "2": "Female"}
AGE_BANDS: tuple[str, ...] = ("0-15", "16-17", "18-34", "35-49", "50-64", "65+")
AGE_BAND_BOUNDS: dict[str, tuple[int, int]] = {
    "0-15": (0, 15), "16-17": (16, 17), "18-34": (18, 34),
    "35-49": (35, 49), "50-64": (50, 64), "65+": (65, 200),
}
SURVEY_AGE_BANDS: tuple[str, ...] = AGE_BANDS[1:]


def population_band_shares() -> list[tuple[str, str, float]]:
    """How a population count in a band of the extract goes into the audit's age bands:
    (band in the file, audit band, share). The audit's own bands map to themselves; five-year
    bands (extracts.md: '0-4', '5-9', ..., '85-89', '85+', '90+') are spread evenly over their
    single years of age, so 15-19 gives one fifth to 0-15, two to 16-17 and two to 18-34."""
    def band_of(age: int) -> str:
        return next(b for b, (lo, hi) in AGE_BAND_BOUNDS.items() if lo <= age <= hi)

    rows = [(band, band, 1.0) for band in AGE_BANDS]
    for lo in range(0, 90, 5):
        ages = range(lo, lo + 5)
        for band in dict.fromkeys(band_of(a) for a in ages):
            rows.append((f"{lo}-{lo + 4}", band, sum(band_of(a) == band for a in ages) / len(ages)))
    rows += [("85+", "65+", 1.0), ("90+", "65+", 1.0)]
    return rows


SOURCE_OF_REFERRAL: dict[str, str] = {
    "A1": "GP", "A2": "Health visitor", "A3": "Other primary health care",
    "A4": "Maternity service", "B1": "Self", "B2": "Carer or relative",
    "C1": "Social services", "C2": "Education service", "C3": "Housing service",
    "D1": "Employer", "D2": "Occupational health",
    "E1": "Police", "E2": "Courts", "E3": "Probation service", "E4": "Prison",
    "E5": "Court liaison and diversion service", "E6": "Youth offending team",
    "F1": "School nurse", "F2": "Hospital-based paediatrics", "F3": "Community-based paediatrics",
    "G1": "Independent sector medium secure", "G2": "Independent sector low secure",
    "G3": "Other independent sector mental health", "G4": "Voluntary sector",
    "H1": "Emergency department", "H2": "Other secondary care specialty",
    "I1": "Temporary transfer from another mental health trust",
    "I2": "Permanent transfer from another mental health trust",
    "M1": "Asylum services", "M2": "Telephone or electronic access service",
    "M3": "Out of area agency", "M4": "Drug or alcohol service", "M5": "Jobcentre Plus",
    "M6": "Other service or agency", "M7": "Single point of access", "M9": "Debt agency",
    "N3": "NHS Talking Therapies service", "P1": "Internal referral", "Q1": "Drop-in service",
}
JUSTICE_REFERRAL_CODES = ("E1", "E2", "E3", "E4", "E5", "E6")
EMERGENCY_DEPARTMENT_CODES = ("H1",)

CLINICAL_PRIORITY = {"1": "Emergency", "2": "Urgent", "3": "Routine", "4": "Very urgent"}
ATTEND_OR_DNA = {
    "0": "Not applicable", "2": "Cancelled by patient", "3": "Did not attend",
    "4": "Cancelled by provider", "5": "Attended on time", "6": "Arrived late, seen",
    "7": "Arrived late, not seen",
}
ATTENDED_CODES = ("5", "6")

LEGAL_STATUS: dict[str, str] = {
    "01": "Informal", "02": "Section 2", "03": "Section 3", "04": "Section 4",
    "05": "Section 5(2)", "06": "Section 5(4)", "07": "Section 35", "08": "Section 36",
    "09": "Section 37 with section 41 restrictions", "10": "Section 37", "11": "Section 38",
    "12": "Section 44", "13": "Section 46", "14": "Section 47 with section 49 restrictions",
    "15": "Section 47", "16": "Section 48 with section 49 restrictions", "17": "Section 48",
    "18": "Section 45A", "19": "Section 135", "20": "Section 136",
    "31": "Criminal Procedure (Insanity) Act", "32": "Other acts", "35": "Section 7 guardianship",
    "36": "Section 37 guardianship", "37": "Section 45A (limitation direction)",
    "38": "Section 45A (hospital direction)", "98": "Not applicable", "99": "Not known",
}
DETENTION_CODES: tuple[str, ...] = ("02", "03", "04") + tuple(f"{i:02d}" for i in range(7, 19)) + tuple(
    str(i) for i in range(31, 39) if str(i) in LEGAL_STATUS
)
SECTION_136_CODE = "20"

RESTRICTIVE_INTERVENTION_TYPES: dict[str, str] = {
    "01": "Prone restraint", "04": "Mechanical restraint", "05": "Seclusion",
    "06": "Segregation", "07": "Standing restraint", "09": "Supine restraint",
    "10": "Side restraint", "11": "Seated restraint", "12": "Kneeling restraint",
    "13": "Other physical restraint", "14": "Rapid tranquillisation (injection)",
    "15": "Other chemical restraint (injection)", "16": "Chemical restraint (oral)",
    "17": "Other chemical restraint",
}
REQOL10_TOOL = "1091071000000100"
SURVEY_ANSWERS = {"1": "Yes, always", "2": "Yes, sometimes", "3": "No"}


def _codes(mapping) -> tuple[str, ...]:
    return tuple(mapping)


def _c(name, type_, description, **kw) -> Column:
    return Column(name, type_, description, **kw)


# An organisation code as ODS issues them (e.g. RB6, RXT01, A81001): capital letters and digits,
# 3 to 6 of them. Codes name published files and data docs pages, so anything else is bad input;
# 'ALL' names the all-provider rows and report and is never a provider's code.
ORG_CODE_PATTERN = r"^[A-Z0-9]{3,6}$"
ALL_PROVIDERS = "ALL"
ORG_CODE_TEXT = "an organisation code of 3 to 6 capital letters and digits (ODS, e.g. RB6), not ALL"

PERSON_ID = _c("Person_ID", "VARCHAR", "Pseudonymised person identifier, unique across the extract")
ORG = _c("OrgIDProv", "VARCHAR", "Provider organisation code", pattern=ORG_CODE_PATTERN,
         pattern_text=ORG_CODE_TEXT, reserved=(ALL_PROVIDERS,))

TABLES: tuple[Table, ...] = (
    Table(
        "MHS001MPI", "Patient index: one row per person per provider per year",
        (
            PERSON_ID, ORG,
            _c("EthnicCategory", "VARCHAR", "NHS ethnic category code", nullable=True,
               codes=VALID_ETHNIC_CODES + (NOT_STATED_CODE, NOT_KNOWN_CODE)),
            _c("Gender", "VARCHAR", "1 male, 2 female, 9 indeterminate, X not known",
               nullable=True, codes=_codes(GENDER_CODES)),
            _c("AgeRepPeriodEnd", "INTEGER", "Age in years at the end of the reporting period", nullable=True),
            _c("LADistrictAuth", "VARCHAR", "ONS local authority of residence", nullable=True),
            _c("IMD_Decile", "INTEGER", "Index of Multiple Deprivation decile, 1 most deprived",
               nullable=True, codes=tuple(str(i) for i in range(1, 11))),
        ),
        key=("Person_ID", "OrgIDProv"), required_per_provider=True,
    ),
    Table(
        "MHS101Referral", "Referrals to secondary mental health services",
        (
            _c("UniqServReqID", "VARCHAR", "Referral identifier"), PERSON_ID, ORG,
            _c("ReferralRequestReceivedDate", "DATE", "Date the referral was received"),
            _c("SourceOfReferralMH", "VARCHAR", "Source of referral", nullable=True,
               codes=_codes(SOURCE_OF_REFERRAL)),
            _c("ServTeamTypeRefToMH", "VARCHAR", "Team type referred to", nullable=True),
            _c("ClinRespPriorityType", "VARCHAR", "Clinical response priority", nullable=True,
               codes=_codes(CLINICAL_PRIORITY)),
            _c("ServDischDate", "DATE", "Discharge from the service", nullable=True),
        ),
        key=("UniqServReqID",), event_date="ReferralRequestReceivedDate", required_per_provider=True,
    ),
    Table(
        "MHS201CareContact", "Care contacts",
        (
            _c("UniqCareContID", "VARCHAR", "Care contact identifier"),
            _c("UniqServReqID", "VARCHAR", "Referral the contact belongs to"), PERSON_ID, ORG,
            _c("CareContDate", "DATE", "Date of the contact"),
            _c("AttendOrDNACode", "VARCHAR", "Attendance; 5 or 6 is attended", nullable=True,
               codes=_codes(ATTEND_OR_DNA)),
        ),
        key=("UniqCareContID",), event_date="CareContDate", required_per_provider=True,
    ),
    Table(
        "MHS501HospProvSpell", "Hospital provider spells",
        (
            _c("UniqHospProvSpellID", "VARCHAR", "Hospital spell identifier"), PERSON_ID, ORG,
            _c("StartDateHospProvSpell", "DATE", "Admission date"),
            _c("DischDateHospProvSpell", "DATE", "Discharge date, blank while in hospital", nullable=True),
        ),
        key=("UniqHospProvSpellID",), event_date="StartDateHospProvSpell",
    ),
    Table(
        "MHS401MHActPeriod", "Mental Health Act legal status periods",
        (
            _c("UniqMHActEpisodeID", "VARCHAR", "Legal status episode identifier"), PERSON_ID, ORG,
            _c("StartDateMHActLegalStatusClass", "DATE", "Start of the legal status"),
            _c("EndDateMHActLegalStatusClass", "DATE", "End of the legal status", nullable=True),
            _c("LegalStatusCode", "VARCHAR", "Legal status classification", codes=_codes(LEGAL_STATUS)),
        ),
        key=("UniqMHActEpisodeID",), event_date="StartDateMHActLegalStatusClass",
    ),
    Table(
        "MHS404CommTreatOrder", "Community treatment orders (section 17A)",
        (
            _c("UniqCommTreatOrdID", "VARCHAR", "CTO identifier"), PERSON_ID, ORG,
            _c("StartDateCommTreatOrd", "DATE", "Start of the CTO"),
            _c("EndDateCommTreatOrd", "DATE", "End of the CTO", nullable=True),
        ),
        key=("UniqCommTreatOrdID",), event_date="StartDateCommTreatOrd",
    ),
    Table(
        "MHS505RestrictiveInterventInc", "Restrictive intervention incidents",
        (
            _c("RestrictiveIntIncID", "VARCHAR", "Incident identifier"),
            _c("UniqHospProvSpellID", "VARCHAR", "Hospital spell of the incident"), PERSON_ID, ORG,
            _c("StartDateRestrictiveIntInc", "DATE", "Date of the incident"),
        ),
        key=("RestrictiveIntIncID",), event_date="StartDateRestrictiveIntInc",
    ),
    Table(
        "MHS515RestrictiveInterventType", "Restrictive intervention types within an incident",
        (
            _c("RestrictiveIntTypeID", "VARCHAR", "Intervention type record identifier"),
            _c("RestrictiveIntIncID", "VARCHAR", "Incident the intervention belongs to"), ORG,
            _c("RestrictiveIntType", "VARCHAR", "Type of restrictive intervention",
               codes=_codes(RESTRICTIVE_INTERVENTION_TYPES)),
            _c("StartDateRestrictiveIntType", "DATE", "Start of the intervention"),
            _c("EndDateRestrictiveIntType", "DATE", "End of the intervention", nullable=True),
        ),
        key=("RestrictiveIntTypeID",), event_date="StartDateRestrictiveIntType", person_level=False,
    ),
    Table(
        "MHS606CodedScoreAssessmentRefer", "Coded assessment scores (ReQoL-10 patient-reported outcomes)",
        (
            _c("UniqServReqID", "VARCHAR", "Referral the score belongs to"), PERSON_ID, ORG,
            _c("CodedAssToolType", "VARCHAR", "SNOMED CT code of the assessment tool"),
            _c("PersScore", "INTEGER", "Score (ReQoL-10 total 0 to 40, higher is better)"),
            _c("AssToolCompDate", "DATE", "Date the assessment was completed"),
        ),
        event_date="AssToolCompDate",
    ),
    Table(
        "TalkingTherapiesReferral", "NHS Talking Therapies referrals, flattened",
        (
            _c("PathwayID", "VARCHAR", "Talking Therapies pathway identifier"), PERSON_ID, ORG,
            _c("EthnicCategory", "VARCHAR", "NHS ethnic category code as recorded by the service",
               nullable=True, codes=VALID_ETHNIC_CODES + (NOT_STATED_CODE, NOT_KNOWN_CODE)),
            _c("ReferralRequestReceivedDate", "DATE", "Date the referral was received"),
            _c("FirstTreatmentDate", "DATE", "First treatment appointment", nullable=True),
            _c("EndDate", "DATE", "Date the referral ended", nullable=True),
            _c("TreatmentSessions", "INTEGER", "Treatment sessions attended", nullable=True),
            _c("PHQ9_First", "INTEGER", "First PHQ-9 score (0 to 27)", nullable=True),
            _c("PHQ9_Last", "INTEGER", "Last PHQ-9 score (0 to 27)", nullable=True),
            _c("GAD7_First", "INTEGER", "First GAD-7 score (0 to 21)", nullable=True),
            _c("GAD7_Last", "INTEGER", "Last GAD-7 score (0 to 21)", nullable=True),
        ),
        key=("PathwayID",), event_date="ReferralRequestReceivedDate",
    ),
    Table(
        "ExperienceSurvey", "Community mental health survey responses (not linked to Person_ID)",
        (
            _c("RespondentID", "VARCHAR", "Respondent identifier"), ORG,
            _c("SurveyYear", "VARCHAR", "Financial year the survey covers, e.g. 2024-25"),
            _c("EthnicCategory", "VARCHAR", "NHS ethnic category code", nullable=True,
               codes=VALID_ETHNIC_CODES + (NOT_STATED_CODE, NOT_KNOWN_CODE)),
            _c("Gender", "VARCHAR", "1 male, 2 female, 9 indeterminate, X not known",
               nullable=True, codes=_codes(GENDER_CODES)),
            _c("AgeBand", "VARCHAR", "Age band", nullable=True, codes=SURVEY_AGE_BANDS),
            _c("OverallExperience", "INTEGER", "Overall experience 0 to 10", nullable=True,
               codes=tuple(str(i) for i in range(11))),
            _c("DignityRespect", "INTEGER", "Treated with dignity and respect", nullable=True,
               codes=_codes(SURVEY_ANSWERS)),
            _c("FeltListenedTo", "INTEGER", "Felt listened to", nullable=True, codes=_codes(SURVEY_ANSWERS)),
            _c("KnewCrisisContact", "INTEGER", "Knew whom to contact in a crisis", nullable=True,
               codes=_codes(SURVEY_ANSWERS)),
        ),
        key=("RespondentID",), person_level=False,
    ),
)

REFERENCE_TABLES: tuple[Table, ...] = (
    Table(
        "Population", "Census 2021 style resident population by local authority",
        (
            _c("LADistrictAuth", "VARCHAR", "ONS local authority code"),
            _c("Year", "INTEGER", "Year of the population estimate"),
            _c("EthnicGroupCensus", "INTEGER", "Census 2021 ethnic group (ONS code 1 to 19)",
               codes=tuple(str(g.ons_code) for g in CENSUS_ETHNIC_GROUPS)),
            _c("Sex", "VARCHAR", "1 male, 2 female", codes=_codes(SEX_CODES)),
            _c("AgeBand", "VARCHAR", "Age band: the audit's bands, or five-year bands spread over them",
               codes=tuple(dict.fromkeys(source for source, _, _ in population_band_shares()))),
            _c("Count", "BIGINT", "Resident population", minimum=0),
        ),
        key=("LADistrictAuth", "Year", "EthnicGroupCensus", "Sex", "AgeBand"), reference=True, person_level=False,
    ),
    Table(
        "Providers", "Provider catchments: one row per local authority served",
        (
            ORG,
            _c("ProviderName", "VARCHAR", "Provider name"),
            _c("LADistrictAuth", "VARCHAR", "ONS local authority code in the catchment"),
        ),
        key=("OrgIDProv", "LADistrictAuth"), reference=True, person_level=False,
    ),
)

ALL_TABLES: tuple[Table, ...] = TABLES + REFERENCE_TABLES
_BY_NAME = {t.name: t for t in ALL_TABLES}


def table(name: str) -> Table:
    """The contract of one table, by its extract name."""
    return _BY_NAME[name]


def sql_name(table_: Table | str) -> str:
    """The DuckDB table name for an extract table (lower case, e.g. ``mhs001mpi``)."""
    name = table_ if isinstance(table_, str) else table_.name
    return name.lower()


def classify_ethnicity(value: str | None) -> str:
    """Class a recorded EthnicCategory as valid, not_stated, not_known, invalid or missing."""
    if value is None:
        return "missing"
    v = value.strip()
    if not v:
        return "missing"
    if v == NOT_KNOWN_CODE:
        return "not_known"
    if v[0] == NOT_STATED_CODE:
        return "not_stated"
    if v[0] in VALID_ETHNIC_CODES:
        return "valid"
    return "invalid"


def is_org_code(value: str) -> bool:
    """Whether a value is a provider's organisation code (so safe in a file name); ALL is not."""
    return bool(re.fullmatch(ORG_CODE_PATTERN, value)) and value not in ORG.reserved


def is_report_code(value: str) -> bool:
    """Whether a value may name a report, a data docs run or a folder: a provider's code or ALL."""
    return value == ALL_PROVIDERS or is_org_code(value)


FINANCIAL_YEAR_PATTERN = r"^\d{4}-\d{2}$"


def is_financial_year(text: str) -> bool:
    """'2024-25' and the like: four digits, a hyphen and the next year's last two digits."""
    return bool(re.fullmatch(FINANCIAL_YEAR_PATTERN, text)) and f"{(int(text[:4]) + 1) % 100:02d}" == text[5:]


def year_bounds(year: str) -> tuple[str, str]:
    """First and last ISO dates of an NHS financial year such as '2024-25'."""
    if not is_financial_year(year):
        raise ValueError(f"'{year}' is not a financial year like 2024-25")
    start = int(year[:4])
    return f"{start}-04-01", f"{start + 1}-03-31"


def financial_year(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"

