-- DQ03 uniqueness: records beyond the first with the same key, per provider.
SELECT provider, sum(n - 1) AS count, sum(n) AS total
FROM (SELECT OrgIDProv AS provider, count(*) AS n FROM {table} GROUP BY OrgIDProv, {key})
GROUP BY provider
