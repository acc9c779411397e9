-- CO04: people subject to at least one restrictive intervention in the year (one unit per person).
SELECT DISTINCT OrgIDProv AS provider, Person_ID, 1 AS numerator
FROM mhs505restrictiveinterventinc
WHERE StartDateRestrictiveIntInc BETWEEN $start AND $end
