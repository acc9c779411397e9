-- OU04: reliable deterioration (see talking_therapies_outcomes.sql for the flags).
SELECT provider, Person_ID, EthnicCategory, CAST(NULL AS VARCHAR) AS sex, CAST(NULL AS VARCHAR) AS age_band,
       CAST(finished AND deteriorated AS INTEGER) AS numerator, CAST(finished AS INTEGER) AS denominator
FROM tt_outcomes
