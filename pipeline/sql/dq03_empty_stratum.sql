-- DQ03 validity of the reference Population: sex x age band strata of an ethnic category in a
-- provider's catchment with no people. A data error (methods.md): that category cannot be
-- age-sex standardised.
WITH strata AS (
    SELECT provider, category, sex, age_band, sum(population) AS population
    FROM stg_population
    WHERE provider <> 'ALL' AND category IS NOT NULL
    GROUP BY ALL
),
grid AS (
    SELECT p.provider, c.code AS category, s.sex, b.age_band
    FROM (SELECT DISTINCT provider FROM strata) AS p
    CROSS JOIN ref_ethnic_category AS c
    CROSS JOIN (SELECT unnest($sexes) AS sex) AS s
    CROSS JOIN (SELECT unnest($bands) AS age_band) AS b
)
SELECT g.provider, count(*) FILTER (WHERE coalesce(st.population, 0) <= 0) AS count, count(*) AS total
FROM grid AS g
LEFT JOIN strata AS st USING (provider, category, sex, age_band)
GROUP BY g.provider
