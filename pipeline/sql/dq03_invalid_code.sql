-- DQ03 validity: records whose code is not in the contract's list ($codes; blank counts as not valid).
SELECT OrgIDProv AS provider,
       count(*) FILTER (WHERE NOT coalesce(list_contains($codes, {column}), false)) AS count,
       count(*) AS total
FROM {table}
GROUP BY ALL
