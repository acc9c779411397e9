-- CO01: detention episodes (Parts II and III of the Mental Health Act) starting in the year.
SELECT
    OrgIDProv AS provider,
    Person_ID,
    1 AS numerator
FROM mhs401mhactperiod
WHERE StartDateMHActLegalStatusClass BETWEEN $start AND $end
  AND list_contains($detention_codes, LegalStatusCode)
