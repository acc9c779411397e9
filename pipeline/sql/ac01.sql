-- AC01: people with at least one attended care contact in the year (one unit per person).
SELECT DISTINCT
    OrgIDProv AS provider,
    Person_ID,
    1 AS numerator
FROM mhs201carecontact
WHERE CareContDate BETWEEN $start AND $end
  AND list_contains($attended_codes, AttendOrDNACode)
