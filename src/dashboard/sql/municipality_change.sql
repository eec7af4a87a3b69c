-- name: municipality_change
-- description: A party's share of valid votes per municipality of a county in two elections of one kind, and the change in percentage points.
-- param election: choice(riksdag, region, kommun)
-- param from_year: int
-- param to_year: int
-- param party: text(^[^\x00]{1,80}$)
-- param county: text(^[0-9]{2}$) = 01
-- Shares are percent of valid votes at full precision (round only for display); change_pp =
-- share_to − share_from. Every municipality of the county has a row: one without data for a
-- year, or where the party did not stand there, keeps NULLs (missing is not zero). Range counts
-- (known within ±1) have a NULL share and their bounds in share_*_min/max. The per-pair values
-- are defined in models/zz_mart_municipality_change.sql (from area_totals/area_votes). A party
-- that stood nowhere in the county in that election gives no rows. count_status_from/to say
-- whether each year's figure is final or preliminary (e.g. region 2026 outside Stockholm city:
-- preliminary, election night); source_from/to name the source (data/SOURCES.md) and
-- note_from/to carry a caveat from area_notes, if any.
SELECT * EXCLUDE (election, from_year, to_year, party, county_code)
FROM mart_municipality_change
WHERE election = $election AND from_year = $from_year AND to_year = $to_year
  AND party = $party AND county_code = $county
ORDER BY kommunkod
