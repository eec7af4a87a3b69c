-- Staging model: one row per election × year × municipality with its totals and turnout
-- (turnout = votes cast / eligible voters × 100, only where the electorate is known), its count
-- status, source and caveat note (area_notes, e.g. how a final figure was summed), if any.
CREATE TABLE stg_municipality_totals AS
SELECT t.election, t.year, t.area_code AS kommunkod, t.area_name, t.county_code, t.eligible,
       t.votes_cast, t.valid_votes, t.count_status, t.source, n.note,
       CASE WHEN t.eligible > 0 THEN 100.0 * t.votes_cast / t.eligible END AS turnout
FROM area_totals t
LEFT JOIN area_notes n
  ON n.election = t.election AND n.year = t.year AND n.level = t.level AND n.area_code = t.area_code
WHERE t.level = 'municipality'
ORDER BY t.election, t.year, t.area_code
