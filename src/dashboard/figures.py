"""The pages' charts for a choice of selections: which frame, which builder, which settings.

Each function returns the cached figure (`ui.figure`, keyed by every selection that shapes it),
so a page lays it out and `dashboard.warm` can build the ones a meeting is likely to ask for
before it does, with exactly the same inputs. The builders themselves are pure
(`dashboard.charts`, `dashboard.maps`); the data comes from `dashboard.queries`.
"""
from __future__ import annotations

from collections.abc import Sequence

from . import charts, maps, ui
from . import queries as q
from .state import COUNTY, COUNTY_REFERENCE, ELECTION_LABEL, ELECTIONS, options

# Jämför: metric -> (value column, text column, axis title, signed colours, the column that marks
# a preliminary figure: the later year's for a level, either year's for a change)
COMPARE_METRICS = {
    "andel": ("share_to", "share_to_txt", "Andel {b} (%)", False, "prel_to"),
    "forandring": ("change_pp", "change_pp_txt", "Förändring {a} → {b} (p.e.)", True, "prel"),
    "valdeltagande": ("turnout_to", "turnout_to_txt", "Valdeltagande {b} (%)", False, "prel_to"),
    "roster": ("votes_to", "votes_to_txt", "Röster {b} (antal)", False, "prel_to"),
}

PATTERN_COLOURS = {
    "upp i alla tre": charts.GAIN,
    "ned i alla tre": charts.LOSS,
    "blandat": "#f2f2f2",
    "uppgift saknas": maps.MISSING_FILL,
}


def direction_labels(counts) -> list[str]:
    """Bar labels of the direction chart: the election, and how many of its municipalities'
    changes rest on a preliminary count ("Regionval (25 av 26 preliminärt)")."""
    labels = []
    for r in counts.itertuples():
        n = int(r.upp + r.ned + r.oförändrad + r.saknas)
        prel = int(getattr(r, "preliminärt", 0) or 0)
        labels.append(f"{r.val} ({prel} av {n} preliminärt)" if prel else r.val)
    return labels


def overview_direction(a: int, b: int, party: str):
    """Översikt: per election, how many municipalities went up or down."""
    counts = q.overview_view(a, b, party)["counts"]
    return ui.figure(("oversikt_riktning", a, b, party), lambda c: charts.direction_bars(c.assign(val=direction_labels(c))),
                     counts)


def overview_map(a: int, b: int, party: str):
    """Översikt: municipalities that rose in all three elections, fell in all three, or mixed."""
    geo = q.kommun_geo()
    return ui.figure(
        ("oversikt_karta", a, b, party),
        maps.category_map,
        q.static_geo_url("kommuner.geojson") or geo,
        q.overview_view(a, b, party)["movers"],
        id_col="kommunkod",
        featureidkey="properties.kommunkod",
        category_col="pattern",
        categories=PATTERN_COLOURS,
        name_col="kommun",
        hover=[
            ("Riksdagsval", "change_riksdag_hover"),
            ("Regionval", "change_region_hover"),
            ("Kommunval", "change_kommun_hover"),
            ("Mönster", "pattern"),
        ],
        bbox=geo["bbox"],
    )


def compare_axis_title(metric: str, a: int, b: int) -> str:
    return COMPARE_METRICS[metric][2].format(a=a, b=b)


def compare_chart(chosen: Sequence[str], a: int, b: int, party: str, with_county: bool, metric: str):
    """Jämför: one panel per election, a bar per chosen municipality (+ the county)."""
    value_col, text_col, _, signed, mark_col = COMPARE_METRICS[metric]
    df = q.compare_view(tuple(chosen), a, b, party, with_county)
    # The county's vote count would dwarf every municipality on the same scale.
    chart_df = df[~df["is_reference"]] if metric == "roster" else df
    return ui.figure(
        ("jamfor", tuple(chosen), a, b, party, with_county, metric),
        charts.small_multiples,
        chart_df,
        facet_col="election",
        facets=[(e, ELECTION_LABEL[e]) for e in ELECTIONS],
        name_col="kommun",
        value_col=value_col,
        text_col=text_col,
        x_title=compare_axis_title(metric, a, b),
        reference_name=COUNTY_REFERENCE if with_county else None,
        signed=signed,
        mark_col=mark_col,
    )


def kommuner_hover(a: int, b: int) -> list[tuple[str, str]]:
    return [
        (f"Andel {a}", "share_from_txt"),
        (f"Andel {b}", "share_to_txt"),
        ("Förändring", "change_pp_txt"),
        (f"Röster {b}", "votes_to_txt"),
        (f"Valdeltagande {b}", "turnout_to_txt"),
        (f"Räkning {b}", "count_to_txt"),
    ]


def kommuner_map(election: str, a: int, b: int, party: str, selected: str | None):
    """Kommuner: change per municipality on a diverging map, `selected` outlined."""
    geo = q.kommun_geo()
    return ui.figure(
        ("kommuner_karta", election, a, b, party, selected),
        maps.choropleth,
        q.static_geo_url("kommuner.geojson") or geo,
        q.kommuner_view(election, a, b, party),
        id_col="kommunkod",
        featureidkey="properties.kommunkod",
        value_col="change_pp",
        name_col="kommun",
        hover=kommuner_hover(a, b),
        bbox=geo["bbox"],
        colorbar_title="Förändring (p.e.)",
        diverging=True,
        tick_suffix=" p.e.",
        selected=selected,
    )


def kommuner_bars(election: str, a: int, b: int, party: str, selected: str | None):
    """Kommuner: the same change as ranked bars, `selected` highlighted."""
    df = q.kommuner_view(election, a, b, party)
    _, names = options(q.municipalities(), "kommunkod", "kommun")
    return ui.figure(
        ("kommuner_staplar", election, a, b, party, selected),
        charts.ranked_bars,
        df,
        value_col="change_pp",
        text_col="change_pp_txt",
        name_col="kommun",
        x_title=f"Förändring {a} → {b} (p.e.)",
        highlight=names.get(selected),
        mark_col="prel",
    )


# Valdistrikt: metric -> (value column or "{side}" template, title template, diverging, scale, suffix)
DISTRICT_METRICS = {
    "andel": ("share_{side}", "Andel {year} (%)", False, maps.SEQUENTIAL, " %"),
    "forandring": ("change_pp", "Förändring {a}–{b} (p.e.)", True, maps.DIVERGING, " p.e."),
    "valdeltagande": ("turnout_{side}", "Valdeltagande {year} (%)", False, maps.TURNOUT, " %"),
}


def district_metric(metric: str, compare: bool, has_turnout: bool = True) -> str:
    """The metric the map can show: a change only where districts can be compared, turnout
    only where the year has an electorate (riksdag 2026 districts have none); else the share."""
    if metric == "forandring" and not compare:
        return "andel"
    if metric == "valdeltagande" and not has_turnout:
        return "andel"
    return metric


def district_map_title(metric: str, a: int, b: int, year: int, side: str) -> str:
    return DISTRICT_METRICS[metric][1].format(a=a, b=b, year=year, side=side)


def district_map(election: str, a: int, b: int, kommunkod: str, party: str, metric: str):
    """Valdistrikt: the municipality's districts of the year shown, coloured by `metric`, on the
    district map of that year or, where it has none (2026), of the nearest year with one
    (`district_facts`' geo_year; only districts whose code is on that map are drawn). None when
    no district can be drawn."""
    facts = q.district_facts(election, a, b, kommunkod, party)
    year, side, compare, geo_year = facts["year"], facts["side"], facts["compare"], facts["geo_year"]
    if year is None or geo_year is None or facts["mappable"].empty:
        return None
    metric = district_metric(metric, compare, facts["has_turnout"])
    column, _, diverging, scale, suffix = DISTRICT_METRICS[metric]
    # By URL the browser fetches the geometry once; the server then needs only the bounds.
    url = q.static_geo_url(f"valdistrikt_{COUNTY}_{geo_year}.geojson")
    if url and (bbox := q.district_bboxes(geo_year).get(kommunkod)) is not None:
        geo = url
    else:  # the geometry goes inside the chart (no static serving)
        full = q.district_geo(kommunkod, geo_year)
        geo, bbox = url or full, full["bbox"]
    status = [("Räkning", f"count_{side}_txt")] if facts["preliminary"] else []
    return ui.figure(
        ("valdistrikt_karta", election, a, b, kommunkod, party, metric, year, geo_year),
        maps.choropleth,
        geo,
        facts["mappable"],
        id_col="district_code",
        featureidkey="properties.district_code",
        value_col=column.format(side=side),
        name_col="district_name",
        hover=[
            (f"Andel {a}", "share_from_txt"),
            (f"Andel {b}", "share_to_txt"),
            ("Förändring", "change_pp_txt"),
            (f"Valdeltagande {year}", f"turnout_{side}_txt"),
            ("Jämförelse", "comparison_txt"),
            *status,
        ]
        if compare
        else [(f"Andel {year}", f"share_{side}_txt"), (f"Valdeltagande {year}", f"turnout_{side}_txt"), *status],
        bbox=bbox,
        colorbar_title=district_map_title(metric, a, b, year, side),
        diverging=diverging,
        colorscale=scale,
        tick_suffix=suffix,
        missing_reason_col="missing_reason" if metric == "forandring" else "missing_share_reason",
        height=520,
    )
