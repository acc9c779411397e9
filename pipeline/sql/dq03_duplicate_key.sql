-- DQ03 uniqueness: records beyond the first with the same key, per provider. Keys are reduced to
-- their 64-bit hash and sorted, so a repeated hash is one equal to its neighbour (at national
-- scale sorting 30 million hashes costs about two thirds of the CPU of grouping them in a hash
-- table, and half the wall time); only hashes seen more than once are grouped again on the key
-- itself, so a hash collision is never counted as a duplicate. NULL keys group together, as in a
-- GROUP BY on the key.
WITH hashed AS (
    SELECT hash(OrgIDProv, {key}) AS h FROM {table}
),
repeated AS (
    SELECT DISTINCT h FROM (SELECT h, lag(h) OVER (ORDER BY h) AS previous FROM hashed) WHERE h = previous
),
duplicates AS (
    SELECT OrgIDProv AS provider, count(*) AS n
    FROM {table}
    WHERE hash(OrgIDProv, {key}) IN (SELECT h FROM repeated)
    GROUP BY OrgIDProv, {key}
    HAVING count(*) > 1
)
SELECT t.provider, coalesce(d.count, 0) AS count, t.total
FROM (SELECT OrgIDProv AS provider, count(*) AS total FROM {table} GROUP BY ALL) AS t
LEFT JOIN (SELECT provider, sum(n - 1) AS count FROM duplicates GROUP BY ALL) AS d USING (provider)
