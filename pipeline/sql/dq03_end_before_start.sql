-- DQ03 date order: records that end before they start (a blank end, still open, is fine).
SELECT OrgIDProv AS provider,
       count(*) FILTER (WHERE {end} < {start}) AS count,
       count(*) AS total
FROM {table}
GROUP BY ALL
