-- name: data_coverage
-- description: Which area levels each election and year has in the county, and how many areas have counts and electorates.
-- param county: text(^[0-9]{2}$) = 01
SELECT election,
       year,
       level,
       CASE WHEN bool_or(count_status = 'preliminary') THEN 'preliminary' ELSE 'final' END AS count_status,
       count(*) AS n_areas,
       count(valid_votes) AS n_with_valid,
       count(eligible) AS n_with_eligible
FROM area_totals
WHERE county_code = $county
GROUP BY election, year, level
ORDER BY election, year, level
