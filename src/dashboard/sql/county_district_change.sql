-- name: county_district_change
-- description: Every voting district of a county in one election: eligible voters, turnout, a party's votes and share in the later year, and the change where the same district code exists in both years.
-- param election: choice(riksdag, region, kommun)
-- param from_year: int
-- param to_year: int
-- param party: text(^[^\x00]{1,80}$)
-- param county: text(^[0-9]{2}$) = 01
-- One row per district of to_year (collection rows included and flagged; they have no electorate
-- of their own and are never compared). change_pp only where the same, non-collection code
-- exists in from_year; same code does not always mean same boundaries. Turnout = votes cast /
-- eligible × 100, only where eligible > 0. Used by the internal pages: cabin coverage (eligible
-- voters near a cabin), the gaps list and the door-knocking measures of the field map.
-- count_status (of to_year) / count_status_from: final or preliminary; note: a caveat from
-- area_notes, else NULL.
WITH t AS (
    SELECT t.year, t.area_code, t.area_name, t.kommunkod, t.is_collection, t.eligible, t.votes_cast, t.valid_votes,
           t.count_status, n.note
    FROM area_totals t
    LEFT JOIN area_notes n
      ON n.election = t.election AND n.year = t.year AND n.level = t.level AND n.area_code = t.area_code
    WHERE t.election = $election AND t.level = 'district' AND t.county_code = $county
      AND t.year IN ($from_year, $to_year)
),
v AS (
    SELECT year, area_code, votes, share_pct
    FROM area_votes
    WHERE election = $election AND level = 'district' AND party = $party
      AND year IN ($from_year, $to_year)
),
d AS (
    SELECT t.*, v.votes, v.share_pct
    FROM t
    LEFT JOIN v USING (year, area_code)
)
SELECT a.area_code AS district_code, a.area_name AS district_name, a.kommunkod, a.is_collection,
       a.eligible, a.count_status,
       a.votes AS votes_to, a.valid_votes AS valid_to, a.share_pct AS share_to,
       a.votes_cast AS cast_to,
       CASE WHEN a.eligible > 0 THEN a.votes_cast * 100.0 / a.eligible END AS turnout_to,
       b.votes AS votes_from, b.valid_votes AS valid_from, b.share_pct AS share_from,
       CASE WHEN b.eligible > 0 THEN b.votes_cast * 100.0 / b.eligible END AS turnout_from,
       CASE WHEN NOT a.is_collection AND b.area_code IS NOT NULL AND NOT b.is_collection
            THEN a.share_pct - b.share_pct END AS change_pp,
       (b.area_code IS NOT NULL AND NOT a.is_collection AND NOT b.is_collection) AS comparable,
       b.count_status AS count_status_from, a.note
FROM d a
LEFT JOIN d b ON b.area_code = a.area_code AND b.year = $from_year
WHERE a.year = $to_year
ORDER BY a.kommunkod, a.is_collection, a.area_code
