-- CO02: section 136 (police place of safety) episodes starting in the year.
SELECT OrgIDProv AS provider, Person_ID, 1 AS numerator
FROM mhs401mhactperiod
WHERE StartDateMHActLegalStatusClass BETWEEN $start AND $end
  AND LegalStatusCode = $section_136_code
