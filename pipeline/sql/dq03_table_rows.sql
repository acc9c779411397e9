-- Records per provider in a table the report cannot do without.
SELECT OrgIDProv AS provider, count(*) AS count, NULL::BIGINT AS total
FROM {table}
GROUP BY ALL
