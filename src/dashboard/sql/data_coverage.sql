-- name: data_coverage
-- description: Which area levels each election and year has in the county, and how many areas have counts and electorates.
-- param county: text(^[0-9]{2}$) = 01
-- count_status is 'preliminary' when any area of the level is; n_preliminary says how many
-- (region 2026: 25 of the 26 municipalities). sources: the source ids of the level's rows
-- (data/SOURCES.md), comma-separated.
SELECT election,
       year,
       level,
       CASE WHEN bool_or(count_status = 'preliminary') THEN 'preliminary' ELSE 'final' END AS count_status,
       count(*) AS n_areas,
       count(valid_votes) AS n_with_valid,
       count(eligible) AS n_with_eligible,
       count(*) FILTER (WHERE count_status = 'preliminary') AS n_preliminary,
       string_agg(DISTINCT source, ',' ORDER BY source) AS sources
FROM area_totals
WHERE county_code = $county
GROUP BY election, year, level
ORDER BY election, year, level
