-- One row per provider and person: the recorded ethnic category classed as extracts.md says
-- (spaces ignored, the first character decides), its group under the run's coding
-- convention, sex and age band. A person listed twice for a provider keeps the better record.
-- Only persons listed more than once go through the window that picks it (a few thousand of four
-- million at national scale): ranking every person cost more than finding the repeated ones.
-- Joins on the identifiers are IS NOT DISTINCT FROM so blank ids group as PARTITION BY groups them.
CREATE OR REPLACE TABLE stg_person_ethnicity AS
WITH mpi AS (
    SELECT
        OrgIDProv AS provider,
        Person_ID,
        ethnic_status(EthnicCategory) AS status,
        CASE WHEN ethnic_status(EthnicCategory) = 'valid' THEN left(trim(EthnicCategory), 1) END AS letter,
        CASE WHEN Gender IN ('1', '2') THEN Gender ELSE 'U' END AS sex,
        AgeRepPeriodEnd AS age
    FROM mhs001mpi
),
classed AS (
    SELECT
        provider,
        Person_ID,
        status,
        coalesce(r.code, 'NOT_KNOWN') AS category,
        coalesce(r.eth_group, 'NOT_KNOWN') AS eth_group,
        sex,
        a.band AS age_band
    FROM mpi
    LEFT JOIN ref_ethnic_category AS r ON r.code = mpi.letter
    LEFT JOIN ref_age_band AS a ON a.age = mpi.age
),
repeated AS (
    SELECT provider, Person_ID FROM mpi GROUP BY ALL HAVING count(*) > 1
)
SELECT c.*
FROM classed AS c
ANTI JOIN repeated AS d ON d.provider IS NOT DISTINCT FROM c.provider AND d.Person_ID IS NOT DISTINCT FROM c.Person_ID
UNION ALL
SELECT c.*
FROM classed AS c
SEMI JOIN repeated AS d ON d.provider IS NOT DISTINCT FROM c.provider AND d.Person_ID IS NOT DISTINCT FROM c.Person_ID
QUALIFY row_number() OVER (
    PARTITION BY provider, Person_ID ORDER BY status = 'valid' DESC, category, sex, age_band
) = 1;

-- Across all providers a person is counted once, with the best of their records: a valid
-- code first, then the alphabetically first provider's (again ranking only persons listed twice).
CREATE OR REPLACE TABLE stg_person_ethnicity_all AS
WITH repeated AS (
    SELECT Person_ID FROM stg_person_ethnicity GROUP BY ALL HAVING count(*) > 1
)
SELECT s.* EXCLUDE (provider)
FROM stg_person_ethnicity AS s
ANTI JOIN repeated AS r ON r.Person_ID IS NOT DISTINCT FROM s.Person_ID
UNION ALL
SELECT s.* EXCLUDE (provider)
FROM stg_person_ethnicity AS s
SEMI JOIN repeated AS r ON r.Person_ID IS NOT DISTINCT FROM s.Person_ID
QUALIFY row_number() OVER (PARTITION BY Person_ID ORDER BY status = 'valid' DESC, provider) = 1;
