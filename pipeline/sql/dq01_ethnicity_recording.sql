-- DQ01: how ethnicity is recorded in the patient index, per provider and for all providers
-- (persons counted once, with their best record).
CREATE OR REPLACE TABLE dq01_ethnicity_recording AS
WITH persons AS (
    SELECT provider, Person_ID, status FROM stg_person_ethnicity
    UNION ALL
    SELECT 'ALL', Person_ID, status FROM stg_person_ethnicity_all
)
SELECT
    provider,
    count(*) AS persons,
    count(*) FILTER (WHERE status = 'valid') AS valid,
    count(*) FILTER (WHERE status = 'not_stated') AS not_stated,
    count(*) FILTER (WHERE status = 'not_known') AS not_known,
    count(*) FILTER (WHERE status = 'invalid') AS invalid,
    count(*) FILTER (WHERE status = 'missing') AS missing,
    count(*) FILTER (WHERE status = 'valid') / count(*) AS valid_share,
    100 * count(*) FILTER (WHERE status = 'valid') / count(*) AS valid_percent,
    100 * count(*) FILTER (WHERE status = 'not_stated') / count(*) AS not_stated_percent,
    100 * count(*) FILTER (WHERE status = 'not_known') / count(*) AS not_known_percent,
    100 * count(*) FILTER (WHERE status = 'invalid') / count(*) AS invalid_percent,
    100 * count(*) FILTER (WHERE status = 'missing') / count(*) AS missing_percent
FROM persons
GROUP BY provider
ORDER BY provider = 'ALL', provider;
