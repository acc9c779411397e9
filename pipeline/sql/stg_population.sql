-- Catchment population by provider (and for all providers: the union of catchments, each
-- local authority once) x NHS ethnic category x group x sex x age band, from the latest
-- population year not after the start of the financial year.
CREATE OR REPLACE TABLE stg_population AS
WITH chosen AS (
    SELECT coalesce(max(Year) FILTER (WHERE Year <= $start_year), min(Year)) AS year FROM population
),
pop AS (
    -- Five-year bands are spread over the audit's bands (ref_population_band); a band that is
    -- neither passes through as it is, and drops out of every age breakdown.
    SELECT p.LADistrictAuth, c.category, c.eth_group, p.Sex AS sex,
           coalesce(b.band, p.AgeBand) AS age_band, p.Count * coalesce(b.share, 1) AS n
    FROM population AS p
    JOIN ref_census_group AS c ON c.ons_code = p.EthnicGroupCensus
    LEFT JOIN ref_population_band AS b ON b.source = trim(p.AgeBand)
    WHERE p.Year = (SELECT year FROM chosen)
),
catchment AS (
    SELECT DISTINCT OrgIDProv AS provider, LADistrictAuth FROM providers
)
SELECT provider, category, eth_group, sex, age_band, sum(n) AS population
FROM pop JOIN catchment USING (LADistrictAuth)
GROUP BY ALL
UNION ALL
SELECT 'ALL', category, eth_group, sex, age_band, sum(n)
FROM pop
WHERE LADistrictAuth IN (SELECT LADistrictAuth FROM catchment)
GROUP BY ALL;
