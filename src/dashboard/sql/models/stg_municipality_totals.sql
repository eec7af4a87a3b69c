-- Staging model: one row per election × year × municipality with its totals and turnout
-- (turnout = votes cast / eligible voters × 100, only where the electorate is known).
CREATE TABLE stg_municipality_totals AS
SELECT election, year, area_code AS kommunkod, area_name, county_code, eligible, votes_cast,
       valid_votes, count_status, source,
       CASE WHEN eligible > 0 THEN 100.0 * votes_cast / eligible END AS turnout
FROM area_totals
WHERE level = 'municipality'
ORDER BY election, year, area_code
