-- AC04: Talking Therapies referrals whose first treatment fell in the year; ethnicity as
-- recorded by the Talking Therapies service.
SELECT OrgIDProv AS provider, Person_ID, EthnicCategory, CAST(NULL AS VARCHAR) AS sex, CAST(NULL AS VARCHAR) AS age_band, 1 AS numerator
FROM talkingtherapiesreferral
WHERE FirstTreatmentDate BETWEEN $start AND $end
