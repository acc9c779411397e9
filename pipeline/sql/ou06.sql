-- OU06: referrals with paired ReQoL-10 scores (first and last, the last in the year) whose
-- last score is at least 5 points above the first.
WITH scores AS (
    SELECT OrgIDProv, UniqServReqID, Person_ID,
           arg_min(PersScore, AssToolCompDate) AS first_score,
           arg_max(PersScore, AssToolCompDate) AS last_score,
           max(AssToolCompDate) AS last_date,
           count(*) AS n
    FROM mhs606codedscoreassessmentrefer
    WHERE CodedAssToolType = $reqol_tool
    GROUP BY ALL
)
SELECT OrgIDProv AS provider, Person_ID, CAST(last_score - first_score >= 5 AS INTEGER) AS numerator, 1 AS denominator
FROM scores
WHERE n >= 2 AND last_date BETWEEN $start AND $end
