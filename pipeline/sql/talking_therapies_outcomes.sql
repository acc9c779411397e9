-- Talking Therapies referrals ending in the year with the flags OU01-OU05 are built from
-- (indicators.md): finished (2+ sessions), caseness at start and end (PHQ-9 >= 10 or
-- GAD-7 >= 8), reliable improvement and deterioration (PHQ-9 by 6, GAD-7 by 4).
CREATE OR REPLACE TEMP TABLE tt_outcomes AS
SELECT OrgIDProv AS provider, Person_ID, EthnicCategory,
       coalesce(TreatmentSessions >= 2, false) AS finished,
       coalesce(PHQ9_First >= 10, false) OR coalesce(GAD7_First >= 8, false) AS case_start,
       coalesce(PHQ9_Last >= 10, false) OR coalesce(GAD7_Last >= 8, false) AS case_end,
       (coalesce(PHQ9_First - PHQ9_Last >= 6, false) OR coalesce(GAD7_First - GAD7_Last >= 4, false))
         AND NOT (coalesce(PHQ9_Last - PHQ9_First >= 6, false) OR coalesce(GAD7_Last - GAD7_First >= 4, false))
         AS improved,
       coalesce(PHQ9_Last - PHQ9_First >= 6, false) OR coalesce(GAD7_Last - GAD7_First >= 4, false) AS deteriorated
FROM talkingtherapiesreferral
WHERE EndDate BETWEEN $start AND $end
