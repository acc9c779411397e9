-- DQ03 validity: ages blank or outside $lo to $hi years.
SELECT OrgIDProv AS provider,
       count(*) FILTER (WHERE {column} IS NULL OR {column} NOT BETWEEN $lo AND $hi) AS count,
       count(*) AS total
FROM {table}
GROUP BY ALL
