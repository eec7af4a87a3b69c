-- name: county_municipalities
-- description: The municipalities of a county (code, name, latest population), in Swedish alphabetical order.
-- param county: text(^[0-9]{2}$) = 01
WITH m AS (
    SELECT kommunkod, arg_max(area_name, year) AS kommun
    FROM area_totals
    WHERE level = 'municipality' AND county_code = $county
    GROUP BY kommunkod
),
p AS (
    SELECT kommunkod, arg_max(population, year) AS population, max(year) AS population_year
    FROM population
    WHERE county_code = $county
    GROUP BY kommunkod
)
SELECT m.kommunkod, m.kommun, p.population, p.population_year
FROM m
LEFT JOIN p USING (kommunkod)
ORDER BY m.kommun COLLATE sv
