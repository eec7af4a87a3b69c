-- name: district_results
-- description: One municipality's voting districts in one election: eligible voters, turnout and a party's votes and share. Collection rows (early votes not assigned to a district) are included and flagged.
-- count_status: final / preliminary (riksdag 2026 districts are preliminary); source: the row's
-- source id (data/SOURCES.md); note: a caveat on this district from area_notes, e.g. a result the
-- source repeats for two districts (counted once), else NULL.
-- param election: choice(riksdag, region, kommun)
-- param year: int
-- param kommunkod: text(^[0-9]{4}$)
-- param party: text(^[^\x00]{1,80}$)
SELECT t.area_code AS district_code, t.area_name AS district_name, t.is_collection,
       t.eligible, t.votes_cast, t.valid_votes,
       CASE WHEN t.eligible > 0 THEN 100.0 * t.votes_cast / t.eligible END AS turnout_pct,
       v.votes, v.share_pct, t.count_status, t.source, n.note
FROM area_totals t
LEFT JOIN area_votes v
  ON v.election = t.election AND v.year = t.year AND v.level = t.level
 AND v.area_code = t.area_code AND v.party = $party
LEFT JOIN area_notes n
  ON n.election = t.election AND n.year = t.year AND n.level = t.level AND n.area_code = t.area_code
WHERE t.election = $election AND t.year = $year AND t.level = 'district' AND t.kommunkod = $kommunkod
ORDER BY t.is_collection, t.area_code
