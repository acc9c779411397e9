-- OU05: finished a course of treatment (see talking_therapies_outcomes.sql for the flags).
SELECT provider, Person_ID, EthnicCategory, CAST(NULL AS VARCHAR) AS sex, CAST(NULL AS VARCHAR) AS age_band,
       CAST(finished AS INTEGER) AS numerator, CAST(true AS INTEGER) AS denominator
FROM tt_outcomes
