-- CO06: admissions in the year with a detention starting within one day either side.
SELECT s.OrgIDProv AS provider, s.Person_ID,
       CAST(EXISTS (
           SELECT 1 FROM mhs401mhactperiod AS m
           WHERE m.Person_ID = s.Person_ID AND m.OrgIDProv = s.OrgIDProv
             AND list_contains($detention_codes, m.LegalStatusCode)
             AND abs(m.StartDateMHActLegalStatusClass - s.StartDateHospProvSpell) <= 1
       ) AS INTEGER) AS numerator,
       1 AS denominator
FROM mhs501hospprovspell AS s
WHERE s.StartDateHospProvSpell BETWEEN $start AND $end
