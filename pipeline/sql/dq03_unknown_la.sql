-- DQ03 validity: local authorities blank or in neither reference table (no denominator for them).
SELECT OrgIDProv AS provider,
       count(*) FILTER (WHERE {column} IS NULL OR {column} NOT IN (
           SELECT LADistrictAuth FROM providers UNION SELECT LADistrictAuth FROM population
       )) AS count,
       count(*) AS total
FROM {table}
GROUP BY ALL
