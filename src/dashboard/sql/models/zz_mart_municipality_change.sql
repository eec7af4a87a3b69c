-- Mart models for municipality_change.sql, built once at load so the page query is a lookup:
-- every earlier/later pair of years of each election, per municipality (totals) and per
-- municipality and party (votes and shares). Shares are percent of valid votes; the change is
-- in percentage points. A party absent in one year keeps NULLs there (missing, not zero).
CREATE TABLE mart_municipality_pair AS
WITH years AS (SELECT DISTINCT election, year FROM stg_municipality_totals),
pairs AS (
    SELECT a.election, a.year AS from_year, b.year AS to_year
    FROM years a JOIN years b ON a.election = b.election AND a.year < b.year
),
munis AS (SELECT DISTINCT election, kommunkod, county_code FROM stg_municipality_totals)
SELECT p.election, p.from_year, p.to_year, m.kommunkod, m.county_code,
       f.valid_votes AS valid_from, t.valid_votes AS valid_to,
       f.eligible AS eligible_from, t.eligible AS eligible_to,
       f.turnout AS turnout_from, t.turnout AS turnout_to,
       f.count_status AS count_status_from, t.count_status AS count_status_to,
       f.source AS source_from, t.source AS source_to,
       f.note AS note_from, t.note AS note_to
FROM pairs p
JOIN munis m ON m.election = p.election
LEFT JOIN stg_municipality_totals f ON f.election = p.election AND f.year = p.from_year AND f.kommunkod = m.kommunkod
LEFT JOIN stg_municipality_totals t ON t.election = p.election AND t.year = p.to_year AND t.kommunkod = m.kommunkod
WHERE f.kommunkod IS NOT NULL OR t.kommunkod IS NOT NULL
ORDER BY p.election, p.from_year, p.to_year, m.kommunkod;

CREATE TABLE mart_municipality_party_pair AS
WITH pairs AS (SELECT DISTINCT election, from_year, to_year FROM mart_municipality_pair),
keys AS (SELECT DISTINCT election, kommunkod, party FROM stg_municipality)
SELECT p.election, p.from_year, p.to_year, k.kommunkod, k.party,
       f.share_pct AS share_from, t.share_pct AS share_to, t.share_pct - f.share_pct AS change_pp,
       f.votes AS votes_from, t.votes AS votes_to,
       f.precision AS precision_from, t.precision AS precision_to,
       f.share_min AS share_from_min, f.share_max AS share_from_max,
       t.share_min AS share_to_min, t.share_max AS share_to_max
FROM pairs p
JOIN keys k ON k.election = p.election
LEFT JOIN stg_municipality f ON f.election = p.election AND f.year = p.from_year AND f.kommunkod = k.kommunkod AND f.party = k.party
LEFT JOIN stg_municipality t ON t.election = p.election AND t.year = p.to_year AND t.kommunkod = k.kommunkod AND t.party = k.party
WHERE f.party IS NOT NULL OR t.party IS NOT NULL
ORDER BY p.election, k.party, p.from_year, p.to_year, k.kommunkod;

-- The flat mart the query reads: every municipality of a county × every party that stood
-- anywhere in that county in that election × every pair of years in the data, with NULLs where a year or
-- the party is missing. One filtered scan answers municipality_change.
CREATE TABLE mart_municipality_change AS
WITH k AS (
    SELECT kommunkod, kommun, county_code FROM population
    WHERE year = (SELECT max(year) FROM population)
),
-- every pair of election years in the data, for every election: a pair where one year has no
-- such election still gives rows (its side stays NULL), as the pages offer the same pairs
years AS (SELECT DISTINCT year FROM area_totals),
pairs AS (
    SELECT e.election, a.year AS from_year, b.year AS to_year
    FROM (SELECT DISTINCT election FROM stg_municipality) e, years a, years b
    WHERE a.year < b.year
),
county_parties AS (SELECT DISTINCT election, county_code, party FROM stg_municipality)
SELECT g.election, g.from_year, g.to_year, cp.party, k.county_code, k.kommunkod, k.kommun,
       p.share_from, p.share_to, p.change_pp, p.votes_from, p.votes_to,
       t.valid_from, t.valid_to, t.eligible_from, t.eligible_to, t.turnout_from, t.turnout_to,
       p.precision_from, p.precision_to,
       p.share_from_min, p.share_from_max, p.share_to_min, p.share_to_max,
       t.count_status_from, t.count_status_to, t.source_from, t.source_to, t.note_from, t.note_to
FROM pairs g
JOIN county_parties cp ON cp.election = g.election
JOIN k ON k.county_code = cp.county_code
LEFT JOIN mart_municipality_pair t
  ON t.election = g.election AND t.from_year = g.from_year AND t.to_year = g.to_year
 AND t.kommunkod = k.kommunkod
LEFT JOIN mart_municipality_party_pair p
  ON p.election = g.election AND p.from_year = g.from_year AND p.to_year = g.to_year
 AND p.kommunkod = k.kommunkod AND p.party = cp.party
ORDER BY g.election, cp.party, g.from_year, g.to_year, k.county_code, k.kommunkod;

DROP TABLE mart_municipality_party_pair;
DROP TABLE mart_municipality_pair;
