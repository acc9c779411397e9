-- CO05: restrictive interventions (incident x type) of the given types starting in the year,
-- per occupied bed day in the year. Units are interventions (numerator) and hospital spells
-- (their bed days inside the year, the denominator), each with its person.
WITH interventions AS (
    SELECT i.OrgIDProv AS provider, i.Person_ID, 1 AS numerator, 0 AS denominator
    FROM mhs515restrictiveinterventtype AS t
    JOIN mhs505restrictiveinterventinc AS i USING (RestrictiveIntIncID, OrgIDProv)
    WHERE t.StartDateRestrictiveIntType BETWEEN $start AND $end
      AND list_contains($intervention_types, t.RestrictiveIntType)
),
bed_days AS (
    SELECT OrgIDProv AS provider, Person_ID, 0 AS numerator,
           least(coalesce(DischDateHospProvSpell, CAST($end AS DATE) + 1), CAST($end AS DATE) + 1)
             - greatest(StartDateHospProvSpell, CAST($start AS DATE)) AS denominator
    FROM mhs501hospprovspell
    WHERE StartDateHospProvSpell <= CAST($end AS DATE)
      AND coalesce(DischDateHospProvSpell, CAST($end AS DATE)) >= CAST($start AS DATE)
      AND coalesce(DischDateHospProvSpell, StartDateHospProvSpell) >= StartDateHospProvSpell
)
SELECT * FROM interventions
UNION ALL
SELECT * FROM bed_days
