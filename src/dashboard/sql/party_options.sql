-- name: party_options
-- description: Parties with results in the county for one election (or all three) and a year pair; V first, then by votes.
-- param election: choice(riksdag, region, kommun, alla)
-- param from_year: int
-- param to_year: int
-- param county: text(^[0-9]{2}$) = 01
WITH areas AS (
    SELECT election, year, level, area_code
    FROM area_totals
    WHERE county_code = $county
      AND level IN ('municipality', 'riksdag_valkrets', 'region', 'county')
      AND year IN ($from_year, $to_year)
      AND ($election = 'alla' OR election = $election)
),
present AS (
    SELECT v.party,
           bool_or(v.year = $from_year) AS in_from_year,
           bool_or(v.year = $to_year) AS in_to_year,
           -- only for ordering: the party's size in the later year
           max(coalesce(v.share_pct, 0)) FILTER (WHERE v.year = $to_year) AS max_share_to
    FROM area_votes v
    JOIN areas a USING (election, year, level, area_code)
    GROUP BY v.party
)
SELECT pr.party,
       coalesce(p.name, pr.party) AS name,
       p.colour,
       coalesce(p.kind, 'other') AS kind,
       pr.in_from_year,
       pr.in_to_year
FROM present pr
LEFT JOIN parties p USING (party)
ORDER BY CASE WHEN pr.party = 'V' THEN 0
              WHEN p.kind = 'riksdag' THEN 1
              WHEN p.kind = 'bucket' THEN 3
              ELSE 2 END,
         pr.max_share_to DESC NULLS LAST,
         pr.party
