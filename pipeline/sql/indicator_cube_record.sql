-- The cube of an indicator whose units carry their own ethnicity (Talking Therapies records
-- and survey responses): the recorded EthnicCategory classed as for the patient index, with
-- the unit's own sex and age band. Units add up across providers.
CREATE OR REPLACE TEMP TABLE _cube AS
WITH labelled AS (
    SELECT u.provider,
           coalesce(r.code, 'NOT_KNOWN') AS category,
           coalesce(r.eth_group, 'NOT_KNOWN') AS eth_group,
           coalesce(u.sex, 'U') AS sex,
           u.age_band,
           u.numerator, u.denominator, u.denominator * u.denominator AS denominator_sq
    FROM _units AS u
    LEFT JOIN ref_ethnic_category AS r
      ON ethnic_status(u.EthnicCategory) = 'valid' AND r.code = left(trim(u.EthnicCategory), 1)
)
SELECT provider, category, eth_group, sex, age_band,
       sum(numerator) AS numerator, sum(denominator) AS denominator, sum(denominator_sq) AS denominator_sq
FROM labelled GROUP BY ALL
UNION ALL
SELECT 'ALL', category, eth_group, sex, age_band, sum(numerator), sum(denominator), sum(denominator_sq)
FROM labelled GROUP BY ALL;
