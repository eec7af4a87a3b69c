-- name: municipality_change
-- description: A party's share of valid votes per municipality of a county in two elections of one kind, and the change in percentage points.
-- param election: choice(riksdag, region, kommun)
-- param from_year: int
-- param to_year: int
-- param party: text(^[^\x00]{1,80}$)
-- param county: text(^[0-9]{2}$) = 01
-- Shares are percent of valid votes at full precision (round only for display); change_pp =
-- share_to − share_from. Every municipality of the county has a row: one without data for a
-- year, or where the party did not stand, keeps NULLs (missing is not zero). Range counts
-- (known within ±1) have a NULL share and their bounds in share_*_min/max. The per-pair values
-- are defined in models/zz_mart_municipality_change.sql (from area_totals/area_votes).
SELECT k.kommunkod, k.kommun,
       p.share_from, p.share_to, p.change_pp, p.votes_from, p.votes_to,
       t.valid_from, t.valid_to, t.eligible_from, t.eligible_to, t.turnout_from, t.turnout_to,
       p.precision_from, p.precision_to,
       p.share_from_min, p.share_from_max, p.share_to_min, p.share_to_max,
       t.count_status_from, t.count_status_to, t.source_from, t.source_to
FROM population k
LEFT JOIN mart_municipality_pair t
  ON t.kommunkod = k.kommunkod AND t.election = $election
 AND t.from_year = $from_year AND t.to_year = $to_year
LEFT JOIN mart_municipality_party_pair p
  ON p.kommunkod = k.kommunkod AND p.election = $election
 AND p.from_year = $from_year AND p.to_year = $to_year AND p.party = $party
WHERE k.county_code = $county AND k.year = (SELECT max(year) FROM population)
ORDER BY k.kommunkod
