-- One row per provider and person: the recorded ethnic category classed as extracts.md says
-- (spaces ignored, the first character decides), its group under the run's coding
-- convention, sex and age band. A person listed twice for a provider keeps the better record.
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
)
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
QUALIFY row_number() OVER (
    PARTITION BY provider, Person_ID ORDER BY status = 'valid' DESC, category, sex, age_band
) = 1;

-- Across all providers a person is counted once, with the best of their records: a valid
-- code first, then the alphabetically first provider's.
CREATE OR REPLACE TABLE stg_person_ethnicity_all AS
SELECT * EXCLUDE (provider)
FROM stg_person_ethnicity
QUALIFY row_number() OVER (PARTITION BY Person_ID ORDER BY status = 'valid' DESC, provider) = 1;
