-- The numerator (and, for proportions, denominator) cube of one indicator: units from the
-- indicator's own query (_units: provider, Person_ID, numerator[, denominator]) given the
-- ethnic category, sex and age band of their person's MHS001MPI record for the same
-- provider. A unit whose person is not in MHS001MPI is 'Not known'. For all providers,
-- event units add up; person units ($per_person) count each person once.
CREATE OR REPLACE TEMP TABLE _cube AS
WITH labelled AS (
    SELECT u.provider, u.Person_ID, u.numerator, u.denominator, u.denominator * u.denominator AS denominator_sq,
           coalesce(e.category, 'NOT_KNOWN') AS category,
           coalesce(e.eth_group, 'NOT_KNOWN') AS eth_group,
           coalesce(e.sex, 'U') AS sex,
           e.age_band
    FROM _units AS u
    LEFT JOIN stg_person_ethnicity AS e USING (provider, Person_ID)
),
all_persons AS (
    SELECT u.Person_ID, max(u.numerator) AS numerator, max(u.denominator) AS denominator,
           max(u.denominator * u.denominator) AS denominator_sq
    FROM _units AS u
    GROUP BY u.Person_ID
),
all_units AS (
    SELECT 'ALL' AS provider, category, eth_group, sex, age_band, numerator, denominator, denominator_sq
    FROM labelled
    WHERE NOT $per_person
    UNION ALL
    SELECT 'ALL', coalesce(e.category, 'NOT_KNOWN'), coalesce(e.eth_group, 'NOT_KNOWN'),
           coalesce(e.sex, 'U'), e.age_band, p.numerator, p.denominator, p.denominator_sq
    FROM all_persons AS p
    LEFT JOIN stg_person_ethnicity_all AS e USING (Person_ID)
    WHERE $per_person
)
SELECT provider, category, eth_group, sex, age_band,
       sum(numerator) AS numerator, sum(denominator) AS denominator, sum(denominator_sq) AS denominator_sq
FROM labelled GROUP BY ALL
UNION ALL
SELECT provider, category, eth_group, sex, age_band,
       sum(numerator), sum(denominator), sum(denominator_sq)
FROM all_units GROUP BY ALL;
