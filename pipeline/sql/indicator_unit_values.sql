-- The value each unit of a mean indicator carries (CO07: a spell's length of stay in days) with the
-- ethnic category and group of its person's MHS001MPI record at the provider, per provider and for
-- ALL (events add up), for the medians. Only the values and their groups: no identifiers.
SELECT u.provider, coalesce(e.category, 'NOT_KNOWN') AS category, coalesce(e.eth_group, 'NOT_KNOWN') AS eth_group,
       u.denominator AS value
FROM _units AS u
LEFT JOIN stg_person_ethnicity AS e USING (provider, Person_ID)
WHERE u.denominator IS NOT NULL
