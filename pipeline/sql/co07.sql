-- CO07: length of stay of hospital spells ending in the year, in days (the mean's units).
SELECT OrgIDProv AS provider, Person_ID, 1 AS numerator,
       DischDateHospProvSpell - StartDateHospProvSpell AS denominator
FROM mhs501hospprovspell
WHERE DischDateHospProvSpell BETWEEN $start AND $end
  AND DischDateHospProvSpell >= StartDateHospProvSpell
