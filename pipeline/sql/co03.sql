-- CO03: community treatment orders starting in the year.
SELECT OrgIDProv AS provider, Person_ID, 1 AS numerator
FROM mhs404commtreatorder
WHERE StartDateCommTreatOrd BETWEEN $start AND $end
