-- DQ03 referential integrity: events whose Person_ID has no MHS001MPI record at the same provider
-- (dq_mpi_persons: the patient index's distinct persons, built once for every table's check).
SELECT e.OrgIDProv AS provider,
       count(*) FILTER (WHERE m.Person_ID IS NULL) AS count,
       count(*) AS total
FROM {table} AS e
LEFT JOIN dq_mpi_persons AS m
    ON m.OrgIDProv = e.OrgIDProv AND m.Person_ID = e.Person_ID
GROUP BY ALL
