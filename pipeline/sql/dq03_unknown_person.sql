-- DQ03 referential integrity: events whose Person_ID has no MHS001MPI record at the same provider.
SELECT e.OrgIDProv AS provider,
       count(*) FILTER (WHERE m.Person_ID IS NULL) AS count,
       count(*) AS total
FROM {table} AS e
LEFT JOIN (SELECT DISTINCT OrgIDProv, Person_ID FROM mhs001mpi) AS m
    ON m.OrgIDProv = e.OrgIDProv AND m.Person_ID = e.Person_ID
GROUP BY ALL
