-- name: municipality_change
-- description: A party's share of valid votes per municipality of a county in two elections of one kind, and the change in percentage points.
-- param election: choice(riksdag, region, kommun)
-- param from_year: int
-- param to_year: int
-- param party: text(^[^\x00]{1,80}$)
-- param county: text(^[0-9]{2}$) = 01
-- Shares are percent of valid votes at full precision (round only for display). A municipality
-- without data for a year keeps its row with NULLs (missing is not zero); so does one where the
-- party did not stand. Range counts (known within ±1) have a NULL share and their bounds in
-- share_*_min/max. Municipality totals come from models/stg_municipality.sql.
WITH kommuner AS (
    SELECT kommunkod, kommun
    FROM population
    WHERE county_code = $county AND year = (SELECT max(year) FROM population)
),
totals AS (
    SELECT t.year, t.area_code AS kommunkod, t.eligible, t.valid_votes, t.count_status, t.source,
           CASE WHEN t.eligible > 0 THEN 100.0 * t.votes_cast / t.eligible END AS turnout
    FROM area_totals t
    WHERE t.election = $election AND t.level = 'municipality' AND t.county_code = $county
      AND t.year IN ($from_year, $to_year)
),
party AS (
    SELECT year, kommunkod, votes, share_pct, precision, share_min, share_max
    FROM stg_municipality
    WHERE election = $election AND party = $party AND county_code = $county
      AND year IN ($from_year, $to_year)
)
SELECT k.kommunkod, k.kommun,
       pf.share_pct AS share_from, pt.share_pct AS share_to, pt.share_pct - pf.share_pct AS change_pp,
       pf.votes AS votes_from, pt.votes AS votes_to,
       tf.valid_votes AS valid_from, tt.valid_votes AS valid_to,
       tf.eligible AS eligible_from, tt.eligible AS eligible_to,
       tf.turnout AS turnout_from, tt.turnout AS turnout_to,
       pf.precision AS precision_from, pt.precision AS precision_to,
       pf.share_min AS share_from_min, pf.share_max AS share_from_max,
       pt.share_min AS share_to_min, pt.share_max AS share_to_max,
       tf.count_status AS count_status_from, tt.count_status AS count_status_to,
       tf.source AS source_from, tt.source AS source_to
FROM kommuner k
LEFT JOIN totals tf ON tf.kommunkod = k.kommunkod AND tf.year = $from_year
LEFT JOIN totals tt ON tt.kommunkod = k.kommunkod AND tt.year = $to_year
LEFT JOIN party pf ON pf.kommunkod = k.kommunkod AND pf.year = $from_year
LEFT JOIN party pt ON pt.kommunkod = k.kommunkod AND pt.year = $to_year
ORDER BY k.kommunkod
