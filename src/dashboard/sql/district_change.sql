-- name: district_change
-- description: Share, turnout and change per voting district of one municipality; change only where the same district code exists in both years.
-- param election: choice(riksdag, region, kommun)
-- param from_year: int
-- param to_year: int
-- param kommunkod: text(^[0-9]{4}$)
-- param party: text
--
-- comparison: 'same_code'    the code exists in both years (boundaries may still have been adjusted)
--             'new_code'     the district exists only in to_year
--             'gone'         the district exists only in from_year
--             'collection'   a collection row (early votes not assigned to a district) in either year
--             'no_from_data' from_year has no district results for this election at all
-- from_code_same_name: for a new code, the from_year district with the same name, if any (a hint
--                      that the district was redrawn and re-coded; it is still not compared).
-- turnout_pct = votes cast / eligible × 100 (null where the electorate is unknown).
-- count_status_from/to: final / preliminary of each year's district row (riksdag 2026 districts
-- are preliminary); note_from/to: a caveat from area_notes (e.g. a result the source repeats for
-- two districts: counted once, the other district has no numbers), else NULL.
WITH t AS (
    SELECT t.year, t.area_code, t.area_name, t.is_collection, t.eligible, t.votes_cast, t.valid_votes,
           t.count_status, n.note
    FROM area_totals t
    LEFT JOIN area_notes n
      ON n.election = t.election AND n.year = t.year AND n.level = t.level AND n.area_code = t.area_code
    WHERE t.election = $election AND t.level = 'district' AND t.kommunkod = $kommunkod
      AND t.year IN ($from_year, $to_year)
),
v AS (
    SELECT year, area_code, votes, share_pct, precision
    FROM area_votes
    WHERE election = $election AND level = 'district' AND party = $party
      AND year IN ($from_year, $to_year)
),
d AS (
    SELECT t.*, v.votes, v.share_pct, v.precision,
           CASE WHEN t.eligible > 0 THEN 100.0 * t.votes_cast / t.eligible END AS turnout_pct
    FROM t
    LEFT JOIN v USING (year, area_code)
),
a AS (SELECT * FROM d WHERE year = $to_year),
b AS (SELECT * FROM d WHERE year = $from_year),
has_from AS (SELECT count(*) > 0 AS ok FROM b),
j AS (
    SELECT coalesce(a.area_code, b.area_code) AS district_code,
           coalesce(a.area_name, b.area_name) AS district_name,
           b.area_name AS district_name_from,
           coalesce(a.is_collection, false) OR coalesce(b.is_collection, false) AS is_collection,
           a.area_code IS NOT NULL AS in_to_year,
           b.area_code IS NOT NULL AS in_from_year,
           b.share_pct AS share_from,
           a.share_pct AS share_to,
           b.votes AS votes_from,
           a.votes AS votes_to,
           b.valid_votes AS valid_from,
           a.valid_votes AS valid_to,
           b.eligible AS eligible_from,
           a.eligible AS eligible_to,
           b.votes_cast AS votes_cast_from,
           a.votes_cast AS votes_cast_to,
           b.turnout_pct AS turnout_from,
           a.turnout_pct AS turnout_to,
           b.count_status AS count_status_from,
           a.count_status AS count_status_to,
           b.note AS note_from,
           a.note AS note_to
    FROM a
    FULL OUTER JOIN b ON a.area_code = b.area_code
)
SELECT j.*,
       CASE WHEN j.in_to_year AND NOT j.in_from_year AND NOT j.is_collection THEN
            (SELECT min(b2.area_code) FROM b AS b2
             WHERE lower(trim(b2.area_name)) = lower(trim(j.district_name)) AND NOT b2.is_collection)
       END AS from_code_same_name,
       CASE WHEN j.is_collection THEN 'collection'
            WHEN NOT (SELECT ok FROM has_from) THEN 'no_from_data'
            WHEN j.in_to_year AND j.in_from_year THEN 'same_code'
            WHEN j.in_to_year THEN 'new_code'
            ELSE 'gone' END AS comparison,
       CASE WHEN NOT j.is_collection AND j.in_to_year AND j.in_from_year
            THEN j.share_to - j.share_from END AS change_pp,
       CASE WHEN NOT j.is_collection AND j.in_to_year AND j.in_from_year
            THEN j.turnout_to - j.turnout_from END AS turnout_change_pp
FROM j
ORDER BY j.is_collection, j.district_code
