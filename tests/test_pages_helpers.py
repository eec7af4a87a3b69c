"""The pure parts behind the pages: Swedish formats, URL labels, derived tables, figures, exports."""
from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from dashboard import charts, fmt, maps, queries, state, ui


# --- fmt -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [(11.729795, "11,73 %"), (0.004, "0,00 %"), (None, "uppgift saknas"), (np.nan, "uppgift saknas"), (pd.NA, "uppgift saknas")],
)
def test_pct(value, expected):
    assert fmt.pct(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(1.6745, "+1,67 p.e."), (-0.40131, "−0,40 p.e."), (0.0, "0,00 p.e."), (-0.001, "0,00 p.e."), (None, "uppgift saknas")],
)
def test_pp_sign_and_real_minus(value, expected):
    assert fmt.pp(value) == expected


def test_integer_and_ranges():
    assert fmt.integer(437050) == "437 050"
    assert fmt.integer(6477970) == "6 477 970"
    assert fmt.integer(pd.NA) == "uppgift saknas"
    assert fmt.count_range(1888, 1889) == "1 888–1 889"
    assert fmt.pct_range(None, 0.31, 0.32) == "0,31–0,32 %"
    assert fmt.pct_range(None, None, None) == "uppgift saknas"


def test_styler_keeps_numbers_and_says_missing():
    df = pd.DataFrame({"Andel (%)": [11.729795, None], "Röster (antal)": pd.array([71171, None], dtype="Int64")})
    html = fmt.styler(df, pct_cols=["Andel (%)"], int_cols=["Röster (antal)"]).to_html()
    assert "11,73 %" in html and "71 171" in html and "uppgift saknas" in html
    assert df["Andel (%)"].dtype == "float64"


# --- state ---------------------------------------------------------------------------------


def test_period_labels_round_trip():
    assert state.period_label((2018, 2022)) == "2018-2022"
    assert state.parse_period("2022-2026") == (2022, 2026)
    assert state.period_text((2018, 2022)) == "2018 → 2022"


def test_selector_options_are_read_once_and_shared_read_only():
    df = pd.DataFrame({"kommunkod": ["0127", "0180"], "kommun": ["Botkyrka", "Stockholm"]})
    codes, names = state.options(df, "kommunkod", "kommun")
    assert codes == ("0127", "0180") and dict(names) == {"0127": "Botkyrka", "0180": "Stockholm"}
    again = state.options(df, "kommunkod", "kommun")
    assert again[0] is codes and again[1] is names  # no per-session copies
    with pytest.raises(TypeError):
        names["0127"] = "changed"  # type: ignore[index]


def test_party_labels_unique_for_urls():
    df = pd.DataFrame({"party": ["Skp", "SKP", "V"], "name": ["SKP", "SKP", "Vänsterpartiet"]})
    labels = queries.party_labels(df)["label"].tolist()
    assert labels == ["SKP (Skp)", "SKP (SKP)", "Vänsterpartiet"]


# --- derived tables ------------------------------------------------------------------------


def _changes():
    rows = []
    for election, changes in {
        "riksdag": [0.4, -1.2, 0.1, None],
        "region": [1.3, -0.1, -0.2, 0.5],
        "kommun": [1.9, -0.4, 0.3, 0.2],
    }.items():
        for (code, name), change in zip([("0123", "Järfälla"), ("0117", "Österåker"), ("0114", "Upplands Väsby"), ("0180", "Stockholm")], changes):
            rows.append({"election": election, "kommunkod": code, "kommun": name, "change_pp": change})
    return pd.DataFrame(rows)


def test_direction_counts_and_missing():
    counts = queries.direction_counts(_changes()).set_index("election")
    assert counts.loc["riksdag", ["upp", "ned", "saknas"]].tolist() == [2, 1, 1]
    assert counts.loc["region", ["upp", "ned"]].tolist() == [2, 2]


def test_consistent_movers():
    movers = queries.consistent_movers(_changes()).set_index("kommun")
    assert movers.loc["Järfälla", "pattern"] == "upp i alla tre"
    assert movers.loc["Österåker", "pattern"] == "ned i alla tre"
    assert movers.loc["Upplands Väsby", "pattern"] == "blandat"
    assert movers.loc["Stockholm", "pattern"] == "uppgift saknas"
    assert len(movers) == 4


def test_top_lists_only_gains_as_gains():
    df = pd.DataFrame(
        {
            "kommunkod": ["a", "b", "c"],
            "kommun": ["A", "B", "C"],
            "share_to": [10.0, 5.0, None],
            "change_pp": [1.0, 0.5, None],
        }
    )
    df = queries.add_text(df.assign(share_from=np.nan, votes_from=pd.NA, votes_to=pd.NA, turnout_from=np.nan, turnout_to=np.nan))
    lists = queries.top_lists(df)
    assert lists["Störst ökning"]["text"].tolist() == ["+1,00 p.e.", "+0,50 p.e."]
    assert lists["Störst minskning"].empty
    assert lists["Lägst andel"]["kommun"].tolist() == ["B", "A"]


def test_coverage_notes():
    cov = pd.DataFrame(
        [
            ("kommun", 2018, "municipality", "final", 26, 26, 0),
            ("kommun", 2022, "municipality", "final", 26, 26, 26),
            ("riksdag", 2022, "municipality", "final", 26, 26, 26),
            ("riksdag", 2026, "municipality", "preliminary", 1, 1, 1),
            ("riksdag", 2026, "riksdag_valkrets", "preliminary", 2, 2, 2),
        ],
        columns=["election", "year", "level", "count_status", "n_areas", "n_with_valid", "n_with_eligible"],
    )
    assert queries.coverage_notes(cov, "kommun", 2018, 2022) == [
        'Kommunval 2018: antal röstberättigade saknas, så valdeltagandet visas som "uppgift saknas".'
    ]
    notes = queries.coverage_notes(cov, "riksdag", 2022, 2026)
    assert notes[0].startswith("Riksdagsval 2026 finns bara per riksdagsvalkrets")
    assert "länet utom Stockholms stad" in notes[0]
    assert queries.coverage_notes(cov, "kommun", 2022, 2026) == ["Kommunval 2026 finns inte i data."]
    assert queries.coverage_notes(cov, "riksdag", 2022, 2026, level="district")[0] == (
        "Riksdagsval 2022 finns inte per valdistrikt i data."
    )


def test_preliminary_marks_counts_lists_and_notes():
    df = pd.DataFrame({
        "kommunkod": ["a", "b", "c", "d"], "kommun": ["A", "B", "C", "D"],
        "share_from": [9.0, 5.0, 4.0, 3.0], "share_to": [10.0, 6.0, 3.0, 2.0], "change_pp": [1.0, 1.0, -1.0, -1.0],
        "votes_from": pd.NA, "votes_to": pd.NA, "turnout_from": np.nan, "turnout_to": np.nan,
        "count_status_from": "final", "count_status_to": ["final", "preliminary", "preliminary", "preliminary"],
    })
    assert queries.preliminary_note(df, "region", 2022, 2026) == (
        "Preliminärt, valnatten: regionvalet 2026 i 3 av 4 kommuner (alla utom A).")
    assert queries.preliminary_note(df.assign(count_status_to="final"), "region", 2022, 2026) == ""
    counts = queries.direction_counts(df.assign(election="region")).set_index("election")
    assert counts.loc["region", ["upp", "ned", "preliminärt"]].tolist() == [2, 2, 3]
    text = queries.add_text(df)
    lists = queries.top_lists(text)
    assert lists["Högst andel"]["prel"].tolist() == [False, True, True, True]
    assert queries.top_text(lists)["Störst ökning"] == "1. A: +1,00 p.e.\n2. B: +1,00 p.e. (preliminärt)"
    assert queries.top_prel_text(lists)["Störst minskning"] == "2 av 2 preliminärt (valnatten)"
    assert text["count_to_txt"].tolist() == ["slutlig", *["preliminär (valnatten)"] * 3]
    assert text["prel_to"].tolist() == [False, True, True, True]
    bars = charts.ranked_bars(text, value_col="change_pp", text_col="change_pp_txt", name_col="kommun",
                              x_title="x", mark_col="prel")
    assert sorted(bars.data[0].y) == ["A", "B (prel.)", "C (prel.)", "D (prel.)"]
    assert figures_direction_labels(counts.reset_index()) [1] == "Regionval (3 av 4 preliminärt)"


def figures_direction_labels(counts):
    from dashboard import figures

    return figures.direction_labels(counts)


def test_source_text_says_who_published_and_what_is_preliminary():
    cov = pd.DataFrame(
        [
            ("region", 2022, "municipality", "final", 26, 0, "scb_region_2022"),
            ("kommun", 2018, "municipality", "final", 26, 0, "party_votes_stockholm"),
            ("region", 2018, "municipality", "final", 26, 0, "valmyndigheten_region_2018"),
            ("region", 2026, "municipality", "preliminary", 26, 25, "kopia_a,kopia_b+x"),
            ("region", 2026, "region", "final", 1, 0, "kopia_b+x"),
            ("riksdag", 2026, "district", "preliminary", 1426, 1426, "kopia_c"),
            ("kommun", 2030, "municipality", "final", 26, 0, "vm_resultatfil:Val_2030_slutlig_0114_KF.zip"),
        ],
        columns=["election", "year", "level", "count_status", "n_areas", "n_preliminary", "sources"],
    )
    assert queries.source_text_from(cov, (2018, 2022)) == (
        "2018: Valmyndigheten, slutligt; kommunvalet härlett ur officiella andelar; 2022: SCB, slutligt")
    assert queries.source_text_from(cov, (2026,)) == (
        "2026: kopior av Valmyndighetens resultat (tredje part), slutligt utom regionvalet per kommun "
        "(25 av 26 kommuner), som är preliminärt (valnatten)")
    assert queries.source_text_from(cov, (2026,), ("district",)).endswith("preliminärt (valnatten)")
    assert queries.source_text_from(cov, (2030,)) == "2030: Valmyndighetens resultatfiler (importerade), slutligt"
    assert "slutliga resultat" not in queries.source_text_from(cov, (2018, 2022, 2026))


def test_nearest_district_choice_and_map_year():
    cov = pd.DataFrame(
        [(e, y, "district") for e, years in {"riksdag": (2018, 2022, 2026), "region": (2018, 2022),
                                              "kommun": (2022,)}.items() for y in years],
        columns=["election", "year", "level"],
    )
    pairs = [(2018, 2022), (2018, 2026), (2022, 2026)]
    assert queries.district_alternative_from(cov, pairs, "kommun", 2022, 2026) == ("riksdag", 2022, 2026)
    assert queries.district_alternative_from(cov, pairs, "kommun", 2018, 2022) == ("riksdag", 2018, 2022)
    assert queries.district_alternative_from(cov, pairs, "region", 2022, 2026) == ("riksdag", 2022, 2026)
    assert queries.district_alternative_from(cov, pairs, "region", 2018, 2022) is None
    assert queries.district_alternative_from(cov, pairs, "riksdag", 2022, 2026) is None
    assert queries.geometry_year(2026, (2022,)) == 2022
    assert queries.geometry_year(2018, (2022,)) == 2022
    assert queries.geometry_year(2022, (2018, 2022)) == 2022
    assert queries.geometry_year(2026, ()) is None


def test_year_pairs():
    cov = pd.DataFrame({"year": [2018, 2022, 2022, 2026]})
    assert queries.year_pairs_from(cov) == [(2018, 2022), (2018, 2026), (2022, 2026)]


def test_district_summary():
    df = pd.DataFrame(
        {
            "is_collection": [False, False, False, True],
            "in_to_year": [True, True, False, True],
            "comparison": ["same_code", "new_code", "gone", "collection"],
        }
    )
    assert queries.district_summary(df, 2018, 2022).startswith(
        "1 av 2 valdistrikt 2022 fanns med samma kod 2018 och jämförs; 1 har en ny kod"
    )
    renamed = df.assign(renamed=[True, False, False, False], valid_from=[1, None, 2, 3], valid_to=[None, 1, None, 3])
    assert queries.district_summary(renamed, 2022, 2026) == (
        "1 av 2 valdistrikt 2026 fanns med samma kod 2022 och jämförs (1 av dem har bytt namn – gränserna kan ha "
        "ändrats); 1 med samma kod saknar egna siffror (se anmärkningen); 1 har en ny kod och jämförs inte; "
        "1 distrikt från 2022 finns inte längre. Samma kod betyder inte alltid samma gränser."
    )
    assert queries.district_counts(renamed) == {"same": 1, "compared": 0, "renamed": 1, "new": 1, "gone": 1, "to": 2}


# --- figures -------------------------------------------------------------------------------

SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"kod": k}, "geometry": {"type": "Polygon", "coordinates": [[[x, 59], [x + 1, 59], [x + 1, 60], [x, 60], [x, 59]]]}}
        for k, x in (("a", 17), ("b", 18), ("c", 19))
    ],
}


def test_view_fits_bbox():
    center, zoom = maps.view((17.24, 58.67, 19.68, 60.28))
    assert 59.4 < center["lat"] < 59.6 and abs(center["lon"] - 18.46) < 0.01
    # a 380 px wide map at this zoom shows at least the 2.44° of longitude
    assert 380 * 360 / (512 * 2**zoom) >= 2.44


def test_symmetric_limit():
    assert maps.symmetric_limit(pd.Series([-0.3, 2.2, None])) == 2.5
    assert maps.symmetric_limit(pd.Series([None])) == 0.5


def test_choropleth_missing_is_grey_and_each_shape_sent_once():
    df = pd.DataFrame({"kod": ["a", "b", "c"], "namn": ["A", "B", "C"], "v": [1.5, None, -0.5]})
    df = fmt.with_text(df, v="pp")
    fig = maps.choropleth(
        SQUARE, df, id_col="kod", featureidkey="properties.kod", value_col="v", name_col="namn",
        hover=[("Förändring", "v_txt")], bbox=(17, 59, 20, 60), colorbar_title="Förändring (p.e.)",
        diverging=True, selected="c",
    )
    missing, values, selected = fig.data
    assert list(missing.locations) == ["b"] and missing.colorscale[0][1] == maps.MISSING_FILL
    assert list(missing.customdata[0]) == ["B", "uppgift saknas"]
    assert list(values.locations) == ["a", "c"]
    assert (values.zmin, values.zmax, values.zmid) == (-1.5, 1.5, 0)
    assert [f["properties"]["kod"] for f in values.geojson["features"]] == ["a", "c"]
    assert [f["properties"]["kod"] for f in selected.geojson["features"]] == ["c"]
    assert fig.layout.map.style == "white-bg"
    assert fig.layout.separators == ", "


def test_geojson_url_passes_through():
    assert maps.subset("app/static/geo/k.geojson", "properties.kod", ["a"]) == "app/static/geo/k.geojson"


def test_ranked_bars_largest_on_top_missing_last():
    df = pd.DataFrame({"namn": ["A", "B", "C"], "v": [0.5, None, 2.0]})
    df = fmt.with_text(df, v="pp")
    fig = charts.ranked_bars(df, value_col="v", text_col="v_txt", name_col="namn", x_title="p.e.")
    bar = fig.data[0]
    assert list(bar.y) == ["B", "A", "C"]  # plotly draws the first at the bottom
    assert list(bar.text) == ["uppgift saknas", "+0,50 p.e.", "+2,00 p.e."]


def test_small_multiples_reference_is_marked():
    df = pd.DataFrame(
        {
            "election": ["riksdag", "riksdag"],
            "kommun": ["Botkyrka", "Stockholms län (referens)"],
            "v": [10.3, 8.6],
            "t": ["10,30 %", "8,60 %"],
        }
    )
    fig = charts.small_multiples(
        df, facet_col="election", facets=[("riksdag", "Riksdagsval")], name_col="kommun", value_col="v",
        text_col="t", x_title="Andel (%)", reference_name="Stockholms län (referens)",
    )
    bar = fig.data[0]
    assert list(bar.marker.pattern.shape) == ["", "/"]
    assert list(bar.text) == ["10,30 %", "8,60 %"]


# --- exports -------------------------------------------------------------------------------


def test_csv_and_excel_exports():
    cols = [ui.Col("kommun", "Kommun"), ui.Col("share", "Andel 2022 (%)", "pct"), ui.Col("change", "Förändring (p.e.)", "pp")]
    shown = ui._display_frame(pd.DataFrame({"kommun": ["Botkyrka"], "share": [11.929], "change": [-0.4], "x": [1]}), cols)
    csv = ui.to_csv(shown).decode("utf-8-sig")
    assert csv.splitlines() == ["Kommun;Andel 2022 (%);Förändring (p.e.)", "Botkyrka;11,929;-0,4"]
    book = openpyxl.load_workbook(io.BytesIO(ui.to_excel(shown, cols, note="Källa: SCB")))
    sheet = book["Data"]
    assert [c.value for c in sheet[1]] == ["Kommun", "Andel 2022 (%)", "Förändring (p.e.)"]
    assert sheet["B2"].value == pytest.approx(11.929) and sheet["B2"].number_format == "0.00"
    assert sheet["C2"].number_format == "+0.00;-0.00;0.00"
    assert book["Om tabellen"]["A1"].value == "Källa: SCB"


# --- tables at phone width (issue 18) ------------------------------------------------------------


def test_table_columns_fit_a_phone():
    """The first column is pinned and no wider than ui.NAME_WIDTH, the second (the key figure)
    no wider than ui.KEY_WIDTH, so both fit a 390 px phone's table (358 px, a row marker of 33)."""
    shown = pd.DataFrame({
        "Valdistrikt": ["Johannes 5 Monica Zetterlunds Park", "Domkyrko 1 Gamla stan inre"],
        "Förändring 2022–2026 (p.e.)": [-0.2, 1.1],
        "Anmärkning": [None, None],  # all missing: no width to measure
    })
    cols = [ui.Col("district_name", "Valdistrikt"), ui.change_col(2022, 2026), ui.Col("note", "Anmärkning")]
    config = ui.column_config(shown, cols)
    name, key = config["Valdistrikt"], config["Förändring 2022–2026 (p.e.)"]
    assert name["pinned"] is True and name["width"] == ui.NAME_WIDTH
    assert key["label"] == "Förändring (p.e.)" and key["help"] == "Förändring 2022–2026 (p.e.)"
    assert key.get("width") is None  # the short header is narrow enough on its own
    assert "Anmärkning" not in config
    assert 33 + ui.NAME_WIDTH + ui.KEY_WIDTH <= 358
    short = pd.DataFrame({"Kommun": ["Botkyrka"], "Upp (antal kommuner)": [3]})
    config = ui.column_config(short, [ui.Col("kommun", "Kommun"), ui.Col("upp", "Upp (antal kommuner)", "int")])
    assert list(config) == ["Kommun"] and config["Kommun"]["pinned"] is True and config["Kommun"]["width"] is None


def test_change_tables_put_the_change_beside_the_name():
    assert [c.name for c in ui.kommuner_cols(2022, 2026)][:2] == ["kommun", "change_pp"]
    assert [c.name for c in ui.compare_cols(2022, 2026)][:3] == ["kommun", "val", "change_pp"]
    compare = ui.compare_cols(2022, 2026)
    assert sum(c.width for c in compare[:3]) <= 358 and compare[1].pinned
    assert [c.name for c in ui.district_cols(2022, 2026)][:2] == ["district_name", "change_pp"]
    assert ui.district_cols(2022, 2026)[-1].name == "district_code"


def test_scatter_names_neither_overlap_nor_leave_the_chart():
    """Tidningar's municipalities (2018 → 2022, from the embedded evaluation): at a phone's plot
    size no two names overlap, the rightmost name is drawn to the left of its point, and a
    crowded pair puts one name below."""
    from dashboard import activity_analysis as aa
    from dashboard import internal_ui as iu

    kommuner = queries.municipalities()
    per_voter = aa.newspapers_per_voter(iu.campaign_frame("tidningar", 2022), iu.kommun_eligible(2022), kommuner)
    df = aa.beside_change(kommuner, per_voter, queries.municipality_change("kommun", 2018, 2022, "V"))
    d = df[df["per_voter"].notna() & df["change_pp"].notna()]
    assert len(d) >= 8
    xs, ys, names = d["per_voter"].astype(float).tolist(), d["change_pp"].astype(float).tolist(), d["kommun"].tolist()
    where = iu.label_positions(xs, ys, names)
    assert where[xs.index(max(xs))].endswith("left")  # "Vallentuna" is not cut at the right edge
    assert sum(w is not None for w in where) >= len(where) - 1  # at most one name left to the hover
    ux = (max(xs) * 1.1) / iu.PHONE_PLOT_PX[0]
    uy = ((max(ys) - min(ys)) * 1.1) / iu.PHONE_PLOT_PX[1]
    boxes = []
    for x, y, n, w in zip(xs, ys, names, where):
        if w is None:
            continue
        width, height = len(n) * 6.5 * ux, 14 * uy
        v, side = w.split()
        left = x - width / 2 if side == "center" else x if side == "right" else x - width
        bottom = y if v == "top" else y - height if v == "bottom" else y - height / 2
        boxes.append((left, left + width, bottom, bottom + height))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]), (a, b)


def test_maps_show_the_whole_county():
    """The county's maps fit the area into the map's own plot area (the figure less its legend or
    colour bar) at the narrowest width drawn: Norrtälje's northern tip is not cut (issue 18)."""
    import math

    bbox = queries.kommun_geo()["bbox"]
    west, south, east, north = bbox

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    for figure_height, below in ((360, maps.LEGEND_PX), (460, maps.COLORBAR_PX)):
        _, zoom = maps.view(bbox, height_px=figure_height - below)
        px_per_radian = 512 * 2 ** zoom / (2 * math.pi)
        assert (merc(north) - merc(south)) * px_per_radian <= figure_height - below
        assert math.radians(east - west) * px_per_radian <= maps.MAP_MIN_WIDTH
