"""The warehouse against official totals, and its invariants (docs/data-model.md)."""
from __future__ import annotations

import json

import pytest

from dashboard.paths import data_dir

from .conftest import first


def total(q, election, year, level, code, col):
    return first(q("SELECT * FROM area_totals WHERE election=$e AND year=$y AND level=$l AND area_code=$c",
                   {"e": election, "y": year, "l": level, "c": code}), col)


def votes(q, election, year, level, code, party):
    return first(q("SELECT * FROM area_votes WHERE election=$e AND year=$y AND level=$l AND area_code=$c AND party=$p",
                   {"e": election, "y": year, "l": level, "c": code, "p": party}), "votes")


def test_riksdag_2022_sweden_official_totals(q):
    assert total(q, "riksdag", 2022, "country", "SE", "valid_votes") == 6_477_970
    assert total(q, "riksdag", 2022, "country", "SE", "eligible") == 7_775_390
    assert total(q, "riksdag", 2022, "country", "SE", "votes_cast") == 6_547_801
    assert votes(q, "riksdag", 2022, "country", "SE", "V") == 437_050


def test_riksdag_2018_sweden_official_totals(q):
    assert total(q, "riksdag", 2018, "country", "SE", "valid_votes") == 6_476_725
    assert total(q, "riksdag", 2018, "country", "SE", "votes_cast") == 6_535_271
    assert total(q, "riksdag", 2018, "country", "SE", "eligible") == 7_495_936
    assert votes(q, "riksdag", 2018, "country", "SE", "V") == 518_454


def test_stockholm_city_riksdag_2022_share(q):
    share = first(q("SELECT share_pct FROM area_votes WHERE election='riksdag' AND year=2022 "
                    "AND level='municipality' AND area_code='0180' AND party='V'"), "share_pct")
    assert round(share, 2) == 11.73
    assert share == pytest.approx(71171 / 606754 * 100)


def test_riksdag_2026_constituencies(q):
    # PROVENANCE §9: valid 6 767 429, V 568 781 nationally; Stockholm city 85 059 / 652 543.
    assert total(q, "riksdag", 2026, "country", "SE", "valid_votes") == 6_767_429
    assert votes(q, "riksdag", 2026, "country", "SE", "V") == 568_781
    assert votes(q, "riksdag", 2026, "riksdag_valkrets", "01", "V") == 85_059
    assert total(q, "riksdag", 2026, "riksdag_valkrets", "01", "valid_votes") == 652_543
    assert votes(q, "riksdag", 2026, "riksdag_valkrets", "02", "V") == 71_843
    assert total(q, "riksdag", 2026, "riksdag_valkrets", "02", "valid_votes") == 887_078
    # Stockholm city is constituency 01 exactly; every municipality of the county has 2026 rows.
    m = q("SELECT area_code FROM area_totals WHERE election='riksdag' AND year=2026 AND level='municipality'")
    assert len(m) == 26 and set(m.area_code.str[:2]) == {"01"}
    assert votes(q, "riksdag", 2026, "municipality", "0180", "V") == 85_059


def test_collection_rows_belong_to_their_municipality(q):
    # Stockholm city 2022 kommun: six collection rows, one per constituency, in the total.
    rows = q("SELECT area_code, valid_votes FROM area_totals WHERE election='kommun' AND year=2022 "
             "AND level='district' AND kommunkod='0180' AND is_collection ORDER BY area_code")
    assert rows.area_code.tolist() == [f"018098{i:02d}" for i in range(1, 7)]
    s = q("SELECT sum(valid_votes) s FROM area_totals WHERE election='kommun' AND year=2022 "
          "AND level='district' AND kommunkod='0180'")
    assert first(s, "s") == total(q, "kommun", 2022, "municipality", "0180", "valid_votes") == 612_296
    assert q("SELECT count(*) n FROM area_totals WHERE year=2022 AND level='district' AND county_code='01' "
             "AND election='riksdag' AND NOT is_collection").n.iloc[0] == 1378


@pytest.mark.parametrize("election,year", [("riksdag", 2022), ("region", 2022), ("kommun", 2022),
                                           ("riksdag", 2018), ("region", 2018)])
def test_districts_sum_to_municipalities(q, election, year):
    diff = q("""
        WITH d AS (SELECT kommunkod, sum(eligible) e, sum(votes_cast) c, sum(valid_votes) v
                   FROM area_totals WHERE election=$e AND year=$y AND level='district' GROUP BY kommunkod)
        SELECT count(*) n, sum(CASE WHEN d.v = m.valid_votes AND d.c = m.votes_cast AND d.e = m.eligible THEN 1 ELSE 0 END) ok
        FROM area_totals m JOIN d ON d.kommunkod = m.area_code
        WHERE m.election=$e AND m.year=$y AND m.level='municipality'""", {"e": election, "y": year})
    assert diff.n.iloc[0] in (289, 290)
    assert diff.ok.iloc[0] == diff.n.iloc[0]


def test_party_votes_sum_to_valid_votes_everywhere(q):
    """Every area with exact counts: Σ party votes = valid votes. Range areas: the bounds
    bracket the valid votes."""
    bad = q("""
        SELECT t.election, t.year, t.level, t.area_code, t.valid_votes,
               sum(v.votes_min) lo, sum(v.votes_max) hi, bool_and(v.precision = 'exact') exact
        FROM area_totals t JOIN area_votes v USING (election, year, level, area_code)
        WHERE v.precision <> 'share_only'
        GROUP BY ALL
        HAVING NOT (lo <= t.valid_votes AND t.valid_votes <= hi) OR (exact AND lo <> t.valid_votes)""")
    assert bad.empty, bad.head()
    n = q("SELECT count(*) n FROM area_totals t WHERE valid_votes IS NOT NULL")
    assert n.n.iloc[0] > 30_000


def test_ranges_kept_where_counts_are_not_unique(q):
    # PROVENANCE §12: Stockholm (0180) KF 2022 constituency 1 keeps ±1 for six tiny parties,
    # e.g. FI 1 888–1 889, and so does the municipality total.
    r = q("SELECT * FROM area_votes WHERE election='kommun' AND year=2022 AND level='kommunvalkrets' "
          "AND area_code='018001' AND precision='range'")
    assert len(r) == 6
    fi = r[r.party == "FI"]
    assert (fi.votes_min.iloc[0], fi.votes_max.iloc[0]) == (1888, 1889)
    assert fi.votes.isna().all() and fi.share_pct.isna().all()
    m = q("SELECT count(*) n FROM area_votes WHERE election='kommun' AND year=2022 AND level='municipality' "
          "AND area_code='0180' AND precision='range'")
    assert m.n.iloc[0] == 6


def test_local_parties_itemised_in_the_county(q):
    def v(code, party, election="kommun", year=2022):
        return first(q("SELECT v.votes FROM area_votes v JOIN parties p USING (party) WHERE election=$e AND year=$y "
                       "AND level='municipality' AND area_code=$c AND p.name=$n",
                       {"e": election, "y": year, "c": code, "n": party}), "votes")
    assert v("0182", "Nackalistan") == 7567
    assert v("0186", "Lidingöpartiet") == 5282
    assert v("0114", "Väsbys Bästa") == 3337
    assert v("0114", "Väsbys Bästa", year=2018) == 2443
    # Outside the county the SCB tables lump other parties together.
    assert q("SELECT count(*) n FROM area_votes WHERE election='kommun' AND year=2022 AND level='municipality' "
             "AND area_code='0580' AND party='ÖVR'").n.iloc[0] == 1


def test_kommun_2018_is_shares_only_outside_the_county(q):
    out = q("""SELECT precision, count(*) n, count(votes) with_votes FROM area_votes
               WHERE election='kommun' AND year=2018 AND level='municipality' AND area_code NOT LIKE '01%'
               GROUP BY precision""")
    assert out.precision.tolist() == ["share_only"] and out.with_votes.iloc[0] == 0
    t = q("SELECT count(*) n, count(valid_votes) v FROM area_totals WHERE election='kommun' AND year=2018 "
          "AND level='municipality'")
    assert (t.n.iloc[0], t.v.iloc[0]) == (290, 26)
    # Upplands Väsby 2018 V share from the source, bit for bit (PROVENANCE §10).
    s = q("SELECT share_pct FROM area_votes WHERE election='kommun' AND year=2018 AND area_code='0114' AND party='V'")
    assert s.share_pct.iloc[0] == 7.598020841142514


def test_official_seats(q):
    s = q("SELECT party, seats FROM seats_official WHERE election='region' AND year=2022 AND area_code='01' AND seats > 0")
    assert dict(zip(s.party, s.seats)) == {"S": 50, "M": 31, "V": 18, "SD": 16, "KD": 10, "C": 9, "L": 9, "MP": 6}
    sizes = q("SELECT area_code, sum(seats) n FROM seats_official WHERE election='kommun' AND year=2022 GROUP BY area_code")
    assert len(sizes) == 290
    assert dict(zip(sizes.area_code, sizes.n))["0186"] == 61  # Lidingö grew from 51 (PROVENANCE §5)


def test_every_municipality_and_county_district_has_geometry(q):
    geo = data_dir() / "geo"
    kommuner = {f["properties"]["kommunkod"] for f in json.loads((geo / "kommuner.geojson").read_text())["features"]}
    codes = set(q("SELECT DISTINCT area_code FROM area_totals WHERE level='municipality'").area_code)
    assert codes <= kommuner and len(kommuner) == 290
    districts = {f["properties"]["district_code"] for f in
                 json.loads((geo / "valdistrikt_01_2022.geojson").read_text())["features"]}
    county = set(q("SELECT area_code FROM area_totals WHERE year=2022 AND level='district' AND county_code='01' "
                   "AND NOT is_collection AND election='kommun'").area_code)
    assert county == districts and len(county) == 1378


def test_population(q):
    p = q("SELECT * FROM population WHERE year=2022 AND kommunkod='0180'")
    assert p.kommun.iloc[0] == "Stockholm"
    assert 950_000 < p.population.iloc[0] < 1_000_000
    assert q("SELECT count(*) n FROM population WHERE year=2022").n.iloc[0] == 290
