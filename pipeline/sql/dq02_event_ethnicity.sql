-- DQ02: the DQ01 breakdown for persons with each kind of event in the year, per provider and
-- for all providers (persons once). MHSDS events take the person's MHS001MPI record for the same
-- provider (a person not there counts as missing; DQ03 reports them); Talking Therapies
-- referrals and survey responses carry their own EthnicCategory.
CREATE OR REPLACE TABLE dq02_event_ethnicity AS
WITH events AS (
    SELECT 'MHS101Referral' AS tbl, OrgIDProv AS provider, Person_ID
    FROM mhs101referral
    WHERE ReferralRequestReceivedDate BETWEEN $start AND $end
    UNION ALL
    SELECT 'MHS401MHActPeriod', OrgIDProv, Person_ID
    FROM mhs401mhactperiod
    WHERE list_contains($detention_codes, LegalStatusCode)
      AND StartDateMHActLegalStatusClass BETWEEN $start AND $end
    UNION ALL
    SELECT 'MHS505RestrictiveInterventInc', OrgIDProv, Person_ID
    FROM mhs505restrictiveinterventinc
    WHERE StartDateRestrictiveIntInc BETWEEN $start AND $end
),
persons AS (
    SELECT DISTINCT tbl, provider, Person_ID FROM events
),
classed AS (
    SELECT p.tbl, p.provider, coalesce(s.status, 'missing') AS status
    FROM persons AS p
    LEFT JOIN stg_person_ethnicity AS s ON s.provider = p.provider AND s.Person_ID = p.Person_ID
    UNION ALL
    SELECT p.tbl, 'ALL', coalesce(s.status, 'missing')
    FROM (SELECT DISTINCT tbl, Person_ID FROM persons) AS p
    LEFT JOIN stg_person_ethnicity_all AS s ON s.Person_ID = p.Person_ID
),
own_records AS (
    SELECT 'TalkingTherapiesReferral' AS tbl, OrgIDProv AS provider, ethnic_status(EthnicCategory) AS status
    FROM talkingtherapiesreferral
    WHERE ReferralRequestReceivedDate BETWEEN $start AND $end
    UNION ALL
    SELECT 'ExperienceSurvey', OrgIDProv, ethnic_status(EthnicCategory)
    FROM experiencesurvey
    WHERE SurveyYear = $year
)
SELECT tbl, provider, status, count(*) AS n
FROM (
    SELECT * FROM classed
    UNION ALL SELECT * FROM own_records
    UNION ALL SELECT tbl, 'ALL', status FROM own_records
)
GROUP BY ALL;
