-- OU07: discharges in the year followed by an admission of the same person (at any
-- provider) within 30 days.
SELECT d.OrgIDProv AS provider, d.Person_ID,
       CAST(EXISTS (
           SELECT 1 FROM mhs501hospprovspell AS a
           WHERE a.Person_ID = d.Person_ID AND a.UniqHospProvSpellID <> d.UniqHospProvSpellID
             AND a.StartDateHospProvSpell BETWEEN d.DischDateHospProvSpell AND d.DischDateHospProvSpell + 30
       ) AS INTEGER) AS numerator,
       1 AS denominator
FROM mhs501hospprovspell AS d
WHERE d.DischDateHospProvSpell BETWEEN $start AND $end
