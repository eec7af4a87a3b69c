-- name: area_change
-- description: A party's share and change for a whole area: county:LL (the county), region:LL (the region council area = the county), valkrets:NN (riksdag constituency, e.g. 02 = Stockholms län without Stockholm city; for region/kommun elections the constituency code LLVV / LLKKVV).
-- param election: choice(riksdag, region, kommun)
-- param from_year: int
-- param to_year: int
-- param party: text(^[^\x00]{1,80}$)
-- param area: text(^(county|region|valkrets):[0-9]{2,6}$)
-- count_status_from/to: final / preliminary of each year's row; source_from/to: its source id
-- (data/SOURCES.md); note_from/to: a caveat from area_notes, else NULL.
WITH target AS (
    SELECT split_part($area, ':', 2) AS code,
           CASE split_part($area, ':', 1)
               WHEN 'county' THEN 'county'
               WHEN 'region' THEN CASE WHEN $election = 'region' THEN 'region' ELSE 'county' END
               ELSE CASE $election WHEN 'riksdag' THEN 'riksdag_valkrets'
                                   WHEN 'region' THEN 'rf_valkrets'
                                   ELSE 'kommunvalkrets' END
           END AS level
),
a AS (
    SELECT t.year, t.level, t.area_code, t.area_name, t.eligible, t.votes_cast, t.valid_votes,
           t.count_status, t.source, n.note, v.votes, v.share_pct, v.precision,
           CASE WHEN t.eligible > 0 THEN 100.0 * t.votes_cast / t.eligible END AS turnout
    FROM area_totals t
    JOIN target g ON g.level = t.level AND g.code = t.area_code
    LEFT JOIN area_votes v
      ON v.election = t.election AND v.year = t.year AND v.level = t.level
     AND v.area_code = t.area_code AND v.party = $party
    LEFT JOIN area_notes n
      ON n.election = t.election AND n.year = t.year AND n.level = t.level AND n.area_code = t.area_code
    WHERE t.election = $election AND t.year IN ($from_year, $to_year)
)
SELECT $area AS area, g.level, g.code AS area_code,
       coalesce(t.area_name, f.area_name) AS area_name,
       f.share_pct AS share_from, t.share_pct AS share_to, t.share_pct - f.share_pct AS change_pp,
       f.votes AS votes_from, t.votes AS votes_to,
       f.valid_votes AS valid_from, t.valid_votes AS valid_to,
       f.turnout AS turnout_from, t.turnout AS turnout_to,
       f.precision AS precision_from, t.precision AS precision_to,
       f.count_status AS count_status_from, t.count_status AS count_status_to,
       f.source AS source_from, t.source AS source_to, f.note AS note_from, t.note AS note_to
FROM target g
LEFT JOIN a f ON f.year = $from_year
LEFT JOIN a t ON t.year = $to_year
