-- DQ03 dates in the year: records whose event date falls outside $start to $end.
SELECT OrgIDProv AS provider,
       count(*) FILTER (WHERE NOT coalesce({column} BETWEEN $start AND $end, false)) AS count,
       count(*) AS total
FROM {table}
GROUP BY ALL
