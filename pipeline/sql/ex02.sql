-- EX02: survey respondents for the year answering DignityRespect; numerator: DignityRespect = 1.
-- Ethnicity, sex and age band as the respondent gave them (the survey is not linked to Person_ID).
SELECT OrgIDProv AS provider, CAST(NULL AS VARCHAR) AS Person_ID, EthnicCategory,
       CASE WHEN Gender IN ('1', '2') THEN Gender END AS sex, AgeBand AS age_band,
       CAST(DignityRespect = 1 AS INTEGER) AS numerator, 1 AS denominator
FROM experiencesurvey
WHERE SurveyYear = $year AND DignityRespect IS NOT NULL
