"""The field map on the internal pages (issue 19): selectors, the cached data per choice, the
pydeck map with its click events, the selected district, placing a cabin, and the print view.

Shared by Valstugor and the voting-district view of Aktiviteter. Numbers come from
`dashboard.field` (pure) and the named queries; the map from `dashboard.deck` (pure). Every
selection that shapes the view is a URL-bound widget, so a shared link opens the same map,
measure, district and cabin.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re

import pandas as pd
import streamlit as st

from . import activity, auth, cache, deck, field, fmt, state
from . import internal_ui as iu
from . import queries as q
from .activity import edit
from .activity.reference import COUNTY_NAME, load_reference
from .state import COUNTY


class Key:
    """URL parameters of the field map."""

    MEASURE = "farg"
    RADIUS = "radie"
    PLACE = "distrikt"
    CABIN = "stuga"
    GAP = "lucka"
    UNIT = "forening"
    W_MOB = "w_mob"
    W_OVERT = "w_overt"


MAP_KEY = "faltkarta"
MESSAGE_KEY = "_falt_meddelande"
BASE_KEY = "_falt_version"
NONE = ""  # "no district / no cabin chosen"
RADIUS_OPTIONS = {str(r): field.RADIUS_LABEL[r] for r in field.RADII_M}
TILE_URL_ENV = "VALRUMMET_TILE_URL"
TILE_ATTRIBUTION_ENV = "VALRUMMET_TILE_ATTRIBUTION"
KNOCKED_LINE = ([255, 120, 0, 255], 3.0)  # door-knocked districts: a thick orange border
SELECTED_LINE = ([17, 17, 17, 255], 4.0)
MAX_NAME = 120


# --- selectors ---------------------------------------------------------------------------------------


def measure_selector(options: list[str], default: str) -> str:
    """What the districts' colour shows, bound to `?farg=` (a list: six labels do not fit a phone's row)."""
    labels = {k: field.MEASURES[k].label for k in options}
    state.from_link(Key.MEASURE, labels, state.choice_code(labels), labels[default])
    value = st.selectbox(
        "Färga efter", options, index=options.index(default), format_func=lambda k: field.MEASURES[k].label,
        key=Key.MEASURE, bind="query-params",
        help="Vad valdistriktens färg visar. Siffrorna för alla mått står i tabellen under kartan.",
    )
    return value or default


def radius_selector() -> int:
    value = state.choice_selector(
        "Räckvidd", RADIUS_OPTIONS, str(field.DEFAULT_RADIUS_M), key=Key.RADIUS,
        help="Hur långt från en valstuga ett valdistrikts mittpunkt får ligga för att räknas som nära.",
    )
    return int(value)


def weight_sliders() -> dict[str, int]:
    """The knock score's two weights, bound to the URL like the priority weights."""
    def reset() -> None:
        st.session_state[Key.W_MOB] = field.KNOCK_WEIGHTS["mob"]
        st.session_state[Key.W_OVERT] = field.KNOCK_WEIGHTS["overt"]

    with st.container(border=True, key="falt_vikter"):
        st.markdown("**Vikter för knackpoängen** (0 = räknas inte). Vikterna står i länken.")
        with st.container(horizontal=True):
            mob = st.slider("Mobilisering", 0, field.MAX_WEIGHT, field.KNOCK_WEIGHTS["mob"], step=1, key=Key.W_MOB,
                            bind="query-params",
                            help="Partiets andel av distriktets icke-röstare: andel × röstberättigade × "
                                 "(1 − valdeltagande).")
            overt = st.slider("Övertalning", 0, field.MAX_WEIGHT, field.KNOCK_WEIGHTS["overt"], step=1,
                              key=Key.W_OVERT, bind="query-params",
                              help="Röster som behövs för att återta förra valets andel i distriktet "
                                   "(0 där partiet ökade).")
        st.button("Återställ standardvikter", key="falt_aterstall", on_click=reset, icon=":material/restart_alt:")
    return {"mob": mob, "overt": overt}


@cache.resource()
def _places() -> pd.DataFrame:
    c = field.load_centres()
    names = dict(zip(q.municipalities()["kommunkod"], q.municipalities()["kommun"]))
    return pd.DataFrame({
        "code": [NONE, *c["district_code"]],
        "label": ["Inget valt", *[f"{n} ({k})" for n, k in zip(c["district_name"], c["district_code"])]],
        "kommun": [None, *c["kommunkod"].map(names)],
    })


def place_selector() -> str | None:
    """The selected voting district (a named place; the map's click sets it), bound to `?distrikt=`."""
    codes, labels = state.options(_places(), "code", "label")
    state.from_link(Key.PLACE, labels, state.choice_code(labels), labels[NONE])
    value = st.selectbox(
        "Valt valdistrikt", codes, index=0, format_func=lambda c: labels.get(c, c), key=Key.PLACE,
        bind="query-params",
        help="Klicka på ett valdistrikt i kartan, eller välj en plats ur listan över länets valdistrikt.",
    )
    return None if value in (None, NONE) else value


def cabin_key(row) -> str:
    """A cabin's identity across versions: municipality, name and opening day (the file's key)."""
    opens = row["öppnar"] if "öppnar" in row else None
    day = "" if fmt.is_missing(opens) else pd.Timestamp(opens).date().isoformat()
    return f"{row['kommunkod']}|{row['namn']}|{day}"


def cabin_selector(opts: pd.DataFrame) -> str | None:
    """The selected cabin of the campaign (`district_data()["cabin_options"]`), bound to `?stuga=`."""
    codes, labels = state.options(opts, "key", "label")
    state.from_link(Key.CABIN, labels, state.choice_code(labels), labels.get(NONE, "ingen"))
    value = st.selectbox(
        "Vald valstuga", codes, index=0, format_func=lambda c: labels.get(c, c), key=Key.CABIN,
        bind="query-params", help="Klicka på en valstuga i kartan eller välj här.",
    )
    return None if value in (None, NONE) else value


def cabin_options(cabins: pd.DataFrame) -> pd.DataFrame:
    """key, label of every cabin, with "none" first (labels made unique with the opening day)."""
    names = dict(zip(q.municipalities()["kommunkod"], q.municipalities()["kommun"]))
    keys = [cabin_key(r) for _, r in cabins.iterrows()]
    labels = [f"{r['namn']} ({names.get(r['kommunkod'], r['kommunkod'])})" for _, r in cabins.iterrows()]
    dup = pd.Series(labels).duplicated(keep=False)
    labels = [f"{lab} {k.rsplit('|', 1)[1]}" if d else lab for lab, k, d in zip(labels, keys, dup)]
    return pd.DataFrame({"key": [NONE, *keys], "label": ["Ingen vald", *labels]})


# --- data per choice (cached) -------------------------------------------------------------------------


@cache.resource(max_entries=16)
def electorate_year(to_year: int) -> int | None:
    """The kommun election whose district electorate counts for coverage (field.electorate_year)."""
    cov = q.coverage()
    years = sorted(set(cov.loc[(cov["election"] == "kommun") & (cov["level"] == "district"), "year"].astype(int)))
    centres = field.load_centres()
    matches = {y: field.electorate_match(centres, iu.district_results("kommun", y, y)) for y in years if y <= to_year}
    return field.electorate_year(matches, to_year)


@cache.resource(max_entries=64)
def district_data(election: str, a: int, b: int, radius_m: int, weights: tuple, token: str) -> dict:
    """Everything per district for one choice: the frame the map, the cards and the tables use.

    `token` is activity.token(): a placed cabin or a new door-knocking file gives a new entry."""
    ey = electorate_year(b)
    results = iu.district_results(election, a, b)
    electorate = iu.district_results("kommun", ey, ey) if ey else results.iloc[0:0]
    cabins = iu.campaign_frame("valstugor", b).reset_index(drop=True)
    doors = iu.campaign_frame("dorrknackning", b)
    d = field.district_frame(field.load_centres(), results, electorate, cabins, doors, radius_m, dict(weights))
    names = dict(zip(q.municipalities()["kommunkod"], q.municipalities()["kommun"]))
    d["kommun"] = d["kommunkod"].map(names)
    d["cabin_km"] = d["cabin_m"] / 1000
    d["near_txt"] = d["near"].map({True: "ja", False: "nej"}).astype("string")
    areas = field.units(activity.associations(), field.load_centres(), q.municipalities())
    d = d.merge(areas[["district_code", "unit"]].drop_duplicates("district_code"), on="district_code", how="left")
    return {"districts": d, "cabins": cabins, "doors": doors, "electorate_year": ey, "areas": areas,
            "unplaced_doors": field.unplaced_doors(doors), "cabin_options": cabin_options(cabins),
            "by_code": d.set_index("district_code", drop=False)}


@cache.resource(max_entries=64)
def coverage_tables(election: str, a: int, b: int, radius_m: int, weights: tuple, token: str) -> dict:
    """Coverage of the county, per municipality and per association (or municipality when no
    association file is loaded). An area whose municipality has cabins without a position gets
    no coverage figure: the missing cabins could cover it."""
    data = district_data(election, a, b, radius_m, weights, token)
    d, cabins, areas = data["districts"], data["cabins"], data["areas"]
    kommuner = q.municipalities()
    counts = field.cabin_counts(cabins)
    unpositioned = set(counts.loc[counts["unpositioned"] > 0, "unit_id"])

    per_kommun = field.coverage_by(d, d[["district_code", "kommunkod"]].rename(columns={"kommunkod": "unit_id"}))
    per_kommun = kommuner[["kommunkod", "kommun"]].merge(per_kommun.rename(columns={"unit_id": "kommunkod"}),
                                                        on="kommunkod", how="left")
    per_kommun = per_kommun.merge(counts.rename(columns={"unit_id": "kommunkod"}), on="kommunkod", how="left")
    blocked = per_kommun["kommunkod"].isin(unpositioned)
    per_kommun.loc[blocked, ["near_pct", "eligible_near", "districts_near"]] = None
    change = q.municipality_change(election, a, b, iu.PARTY)[["kommunkod", "share_to", "change_pp"]]
    per_kommun = per_kommun.merge(change, on="kommunkod", how="left")
    per_kommun["cabins_per_10k"] = per_kommun["cabins"] / per_kommun["eligible"].where(per_kommun["eligible"] > 0) * 1e4

    per_unit = field.coverage_by(d, areas)
    meta = areas.drop_duplicates("unit_id")[["unit_id", "unit", "kommunkod", "scope"]]
    per_unit = meta.merge(per_unit, on="unit_id", how="left")
    per_unit.loc[per_unit["kommunkod"].isin(unpositioned), ["near_pct", "eligible_near", "districts_near"]] = None
    per_unit["kommun"] = per_unit["kommunkod"].map(dict(zip(kommuner["kommunkod"], kommuner["kommun"])))
    per_unit = per_unit.sort_values(["kommun", "unit"]).reset_index(drop=True)

    units = per_unit.drop_duplicates("unit_id")[["unit_id", "unit"]].reset_index(drop=True)
    county = field.coverage_by(d, d[["district_code"]].assign(unit_id=COUNTY)).iloc[0].to_dict()
    if unpositioned:
        county.update(near_pct=None, eligible_near=None)
    return {"kommun": per_kommun, "units": per_unit, "unit_options": units, "county": county,
            "unpositioned": sorted(unpositioned), "by_association": len(activity.associations()) > 0}


@cache.resource(max_entries=64)
def gap_table(election: str, a: int, b: int, radius_m: int, weights: tuple, by: str, token: str) -> tuple:
    data = district_data(election, a, b, radius_m, weights, token)
    return field.gaps(data["districts"], by)


@cache.resource(max_entries=64)
def unit_gaps(election: str, a: int, b: int, radius_m: int, weights: tuple, by: str, token: str,
              unit_id: str | None, cols: tuple) -> tuple[str, pd.DataFrame]:
    """(the area's name, its gaps as Swedish text) for the print view."""
    data = district_data(election, a, b, radius_m, weights, token)
    gaps, _ = gap_table(election, a, b, radius_m, weights, by, token)
    areas = data["areas"]
    here = areas[areas["unit_id"] == unit_id]
    name = here["unit"].iloc[0] if len(here) else ""
    return name, iu.text_frame(gaps[gaps["district_code"].isin(set(here["district_code"]))], list(cols))


@cache.resource(max_entries=64)
def knock_table(election: str, a: int, b: int, radius_m: int, weights: tuple, token: str) -> pd.DataFrame:
    d = district_data(election, a, b, radius_m, weights, token)["districts"]
    return d.sort_values(["rank"], na_position="last").reset_index(drop=True)


# --- the map ------------------------------------------------------------------------------------------


def tile_settings() -> tuple[str | None, str]:
    """The base map's tile URL and attribution (environment; none by default: no base map)."""
    url = (os.environ.get(TILE_URL_ENV) or "").strip() or None
    return url, (os.environ.get(TILE_ATTRIBUTION_ENV) or "").strip()


def _geo(name: str) -> str | dict:
    """The static file's URL (fetched once by the browser), or the GeoJSON itself without static serving."""
    url = q.static_geo_url(name)
    if url:
        return url
    if name.startswith("valdistrikt"):
        return q._district_geo_all()
    return q.kommun_geo()


def map_and_legend(election: str, a: int, b: int, radius_m: int, weights: tuple, measure: str,
                   kommunkod: str | None, place: str | None, cabin: str | None, outline_knocked: bool,
                   token: str) -> tuple[deck.RenderedDeck, field.Legend]:
    """The map (built once per choice and base-map setting) and its legend."""
    return _map_and_legend(election, a, b, radius_m, weights, measure, kommunkod, place, cabin, outline_knocked,
                           token, tile_settings())


@cache.resource(max_entries=128)
def _map_and_legend(election: str, a: int, b: int, radius_m: int, weights: tuple, measure: str,
                    kommunkod: str | None, place: str | None, cabin: str | None, outline_knocked: bool,
                    token: str, tiles: tuple[str | None, str]) -> tuple[deck.RenderedDeck, field.Legend]:
    data = district_data(election, a, b, radius_m, weights, token)
    d, cabins = data["districts"], data["cabins"]
    m = field.MEASURES[measure]
    colours, legend = field.classify(d[m.column], m, a, b)
    fill = dict(zip(d["district_code"], colours))
    outlines = {}
    if outline_knocked:
        outlines.update({c: KNOCKED_LINE for c in d.loc[d["knocked"], "district_code"]})
    if place:
        outlines[place] = SELECTED_LINE
    pos = field.positioned(cabins)
    names = dict(zip(q.municipalities()["kommunkod"], q.municipalities()["kommun"]))
    kind = pos["typ"].fillna("valstuga") if "typ" in pos else pd.Series("valstuga", index=pos.index)
    marks = pd.DataFrame({
        "lon": pos["lon"], "lat": pos["lat"], "district_name": pos["namn"].astype(str),
        "district_code": [f"{k}, {names.get(c, c)}" for k, c in zip(kind, pos["kommunkod"])],
        "selected": [cabin_key(r) == cabin for _, r in pos.iterrows()],
        "key": [cabin_key(r) for _, r in pos.iterrows()],
    })
    center, zoom = view(kommunkod)
    tile_url, attribution = tiles
    rendered = deck.field_map(
        districts_geo=_geo("valdistrikt_01_2022.geojson"), kommuner_geo=_geo("kommuner.geojson"),
        fill=fill, missing_fill=field.MISSING_RGBA, outlines=outlines, cabins=marks, radius_m=radius_m,
        kommuner=list(q.municipalities()["kommunkod"]), center=center, zoom=zoom,
        # what the colours depend on, as a short digest (the store token holds server paths)
        token=hashlib.blake2b(repr((measure, a, b, election, place, outline_knocked, token)).encode(),
                              digest_size=8).hexdigest(),
        tile_url=tile_url, tile_attribution=attribution,
    )
    return rendered, legend


def view(kommunkod: str | None) -> tuple[dict, float]:
    """The map's initial center and zoom: the municipality's districts, or the county."""
    bbox = q.district_bboxes().get(kommunkod) if kommunkod else None
    return deck.view_for(bbox or q.kommun_geo()["bbox"], 700, 520)


def _on_map_select() -> None:
    # Runs before the rerun, so the bound selectors (and the URL) still change.
    try:
        objects = st.session_state[MAP_KEY].selection.get("objects", {})
    except (KeyError, AttributeError):
        return
    for obj in objects.get(deck.DISTRICT_LAYER, []):
        code = (obj.get("properties") or {}).get("district_code")
        if code in set(_places()["code"]):
            st.session_state[Key.PLACE] = code
            return
    for obj in objects.get(deck.CABIN_LAYER, []):
        if obj.get("key"):
            st.session_state[Key.CABIN] = obj["key"]
            return


def draw_map(rendered: deck.RenderedDeck, legend: field.Legend, *, alt: str, caption: str) -> None:
    st.pydeck_chart(rendered, on_select=_on_map_select, selection_mode="single-object", key=MAP_KEY,
                    height=520, alt=alt)
    draw_legend(legend)
    st.caption(caption)


def draw_legend(legend: field.Legend) -> None:
    """The colour classes as swatches with their ranges (the numbers are also in the table)."""
    chips = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:4px;margin:0 12px 4px 0;white-space:nowrap">'
        f'<span style="width:14px;height:14px;border:1px solid #888;background:rgba({r},{g},{b},{a / 255:.2f})">'
        f"</span>{_escape(text)}</span>"
        for (r, g, b, a), text in legend.entries
    )
    st.html(f'<div role="group" aria-label="Teckenförklaring: {_escape(legend.title)}" '
            f'style="font-size:0.85rem;line-height:1.4"><b>{_escape(legend.title)}:</b> {chips}</div>')


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


md = fmt.md_text  # one escaping rule for text from files and forms (issue 16)


# --- the selected district and cabin -------------------------------------------------------------------


def results_note(d: pd.DataFrame, label: str, year: int) -> None:
    """Say how many of the map's districts have results: a later election's districts may have
    other codes than the 2022 map's, and those are grey, not zero."""
    n, total = int(d["share_to"].notna().sum()), len(d)
    if 0 < n < total:
        st.info(f"{fmt.integer(n)} av {fmt.integer(total)} valdistrikt på kartan har resultat för {label.lower()} "
                f"{year} med samma distriktskod; övriga är gråa (kartan har 2022 års valdistrikt).",
                icon=":material/info:")


def district_card(by_code: pd.DataFrame, code: str, radius_m: int, a: int, b: int, election_text: str) -> None:
    """The selected district's numbers (`by_code`: district_data()["by_code"])."""
    if code not in by_code.index:
        return
    r = by_code.loc[code]
    near = {True: "ja", False: "nej"}.get(r["near"] if not fmt.is_missing(r["near"]) else None, fmt.MISSING)
    cabin = (f"{md(r['cabin_name'])}, {fmt.number(r['cabin_km'], 1)} km" if not fmt.is_missing(r["cabin_name"])
             else fmt.MISSING)
    lines = [
        f"**{r['district_name']}** ({r['kommun']}, valdistrikt {code})",
        f"{election_text}: andel {fmt.pct(r['share_to'])}, förändring {a}–{b} {fmt.pp(r['change_pp'])}, "
        f"valdeltagande {fmt.pct(r['turnout_to'])}",
        f"Röstberättigade (kommunvalet): {fmt.integer(r['eligible'])} · närmaste valstuga: {cabin} · "
        f"inom {field.RADIUS_LABEL[radius_m]}: {near}",
        f"Mobiliseringspotential {_count(r['mobilisation'], 'personer')} · övertalningspotential "
        f"{_count(r['persuasion'], 'röster')} · knackpoäng {fmt.number(r['score'], 0)} "
        f"(plats {fmt.integer(r['rank'])})",
        "Knackade dörrar i valrörelsen: " + (fmt.integer(r["doors"]) if r["knocked"] else "inga rader i filen"),
    ]
    if not fmt.is_missing(r.get("unit")):
        lines.append(f"Område: {md(r['unit'])}")
    with st.container(border=True, key="falt_distrikt"):
        st.markdown("  \n".join(lines))


def _count(value, unit: str) -> str:
    return fmt.MISSING if fmt.is_missing(value) else f"{fmt.integer(value)} {unit}"


# --- placing and moving cabins -------------------------------------------------------------------------


def _message(kind: str, text: str) -> None:
    st.session_state[MESSAGE_KEY] = (kind, text)


def show_message() -> None:
    kind, text = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    elif kind == "error":
        st.error(text, icon=":material/error:")


def check_position(lat, lon) -> str | None:
    """A Swedish message when (lat, lon) cannot be a cabin's position, else None."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return "Latitud och longitud måste vara tal (decimalgrader, t.ex. 59,39 och 17,96)."
    west, south, east, north = field.COUNTY_BOUNDS
    if not (south <= lat <= north and west <= lon <= east):
        return (f"Positionen ({fmt.number(lat, 5)}; {fmt.number(lon, 5)}) ligger utanför {COUNTY_NAME} "
                f"(latitud {fmt.number(south, 1)}–{fmt.number(north, 1)}, longitud {fmt.number(west, 1)}–"
                f"{fmt.number(east, 1)}).")
    if not bool(load_reference().in_county([lat], [lon])[0]):
        return f"Positionen ({fmt.number(lat, 5)}; {fmt.number(lon, 5)}) ligger utanför {COUNTY_NAME}s gräns."
    return None


def check_name(name: str, kommunkod: str, rows: pd.DataFrame, keep: str | None = None) -> str | None:
    """A Swedish message when `name` cannot name a new cabin in the municipality, else None."""
    if not name:
        return "Namnet saknas: skriv stugans namn."
    if len(name) > MAX_NAME:
        return f"Namnet är för långt ({len(name)} tecken, högst {MAX_NAME})."
    if re.search(r"[\x00-\x1f\x7f]", name):
        return "Namnet innehåller otillåtna tecken (radbrytning eller styrtecken)."
    same = rows[(rows["kommunkod"] == kommunkod) & (rows["namn"].astype(str).str.casefold() == name.casefold())]
    if keep is not None:
        same = same[[cabin_key(r) != keep for _, r in same.iterrows()]]
    if len(same):
        return (f"Det finns redan en valstuga som heter \u201d{md(name)}\u201d i kommunen (valstugefilen, rad "
                f"{int(same['rad'].iloc[0]) if 'rad' in same and not fmt.is_missing(same['rad'].iloc[0]) else '?'}). "
                "Välj ett annat namn.")
    return None


def _save(action: str, code: str, campaign: int) -> None:
    """The form's callback: build the edited cabin file and store it as a new version."""
    user = auth.current_user()
    if user is None:
        return _message("error", "Du måste vara inloggad för att placera eller flytta valstugor.")
    place = centres_by_code().loc[code]
    lat, lon = st.session_state.get(f"falt_lat_{code}"), st.session_state.get(f"falt_lon_{code}")
    if problem := check_position(lat, lon):
        return _message("error", problem)
    base = st.session_state.get(BASE_KEY)
    rows, version = edit.rows_now("valstugor")
    if action == "ny":
        name = str(st.session_state.get(f"falt_namn_{code}") or "").strip()
        if problem := check_name(name, place["kommunkod"], rows):
            return _message("error", problem)
        kind = st.session_state.get("falt_typ") or "valstuga"
        new = {c: pd.NA for c in rows.columns}
        new.update(namn=name, kommunkod=place["kommunkod"], kommun=place["kommunkod"], typ=kind, lat=float(lat),
                   lon=float(lon), område=place["district_name"], valår=campaign,
                   anteckning=f"placerad i fältkartan i valdistrikt {code}")
        edited = pd.concat([rows, pd.DataFrame([new]).astype(rows.dtypes.to_dict(), errors="ignore")],
                           ignore_index=True)
        what = f"ny valstuga \u201d{name}\u201d i {place['district_name']}"
        shown = f"ny valstuga \u201d{md(name)}\u201d i {place['district_name']}"
        chosen = cabin_key({"kommunkod": place["kommunkod"], "namn": name, "öppnar": None})
    else:
        key = st.session_state.get("falt_flytta") or NONE
        hits = [i for i, r in rows.iterrows() if cabin_key(r) == key]
        if not hits:
            return _message("error", "Välj vilken valstuga som ska flyttas.")
        edited = rows.copy()
        edited.loc[hits[0], ["lat", "lon"]] = [float(lat), float(lon)]
        what = f"flyttade \u201d{rows.loc[hits[0], 'namn']}\u201d till {place['district_name']}"
        shown = f"flyttade \u201d{md(rows.loc[hits[0], 'namn'])}\u201d till {place['district_name']}"
        chosen = key
    try:
        res = edit.save_edit("valstugor", edited, base_version=base or version, user=user, description=what)
    except edit.EditConflict as exc:
        return _message("error", md(str(exc)))
    except activity.ActivityValidationError as exc:
        lines = "\n".join(f"- {md(i.text())}" for i in exc.report.errors[:10])
        return _message("error", f"Valstugefilen skulle bli ogiltig, så ingenting sparades:\n{lines}")
    st.session_state[Key.CABIN] = chosen
    warn = "".join(f" Obs: {md(w.message)}." for w in res.report.warnings if w.row is not None)
    _message("success", f"Sparat: {shown}. Valstugefilen har en ny version ({res.version}); den förra finns kvar "
                        f"i historiken.{warn}")


def placement_panel(code: str | None, opts: pd.DataFrame, campaign: int, selected_cabin: str | None) -> None:
    """Place a new cabin in the selected district, or move a cabin there (logged-in viewers)."""
    with st.container(border=True, key="falt_placera"):
        st.markdown(f"**Placera eller flytta en valstuga** (valrörelsen {campaign})")
        if not auth.is_logged_in():
            st.info("Logga in för att placera valstugor.", icon=":material/lock:")
            return
        if code is None:
            st.caption("Klicka på ett valdistrikt i kartan, eller välj en plats i listan \u201dValt valdistrikt\u201d, "
                       "så kan du placera en ny valstuga där eller flytta en befintlig dit.")
            return
        place = centres_by_code().loc[code]
        # The version this form shows: a save based on it must not overwrite a newer one.
        st.session_state[BASE_KEY] = activity.store.pointer("valstugor")
        action = st.segmented_control(
            "Vad vill du göra?", ["ny", "flytta"], default="ny", required=True, key="falt_atgard",
            format_func={"ny": "Ny valstuga här", "flytta": "Flytta en valstuga hit"}.get,
        ) or "ny"
        with st.form(f"falt_form_{code}", border=False, enter_to_submit=False):
            if action == "ny":
                st.text_input("Namn", value=f"Valstuga i {place['district_name']}", max_chars=MAX_NAME,
                              key=f"falt_namn_{code}")
                st.selectbox("Typ", ["valstuga", "mobil"], key="falt_typ",
                             format_func={"valstuga": "valstuga (fast)", "mobil": "mobil (stånd som flyttas)"}.get)
            else:
                keys = [k for k in opts["key"] if k]
                labels = dict(zip(opts["key"], opts["label"]))
                st.selectbox("Valstuga", keys, index=keys.index(selected_cabin) if selected_cabin in keys else 0,
                             format_func=labels.get, key="falt_flytta",
                             placeholder="Inga valstugor i valrörelsen" if not keys else None)
            with st.container(horizontal=True):
                st.number_input("Latitud", value=float(place["place_lat"]), format="%.5f", step=0.0005,
                                key=f"falt_lat_{code}")
                st.number_input("Longitud", value=float(place["place_lon"]), format="%.5f", step=0.0005,
                                key=f"falt_lon_{code}")
            st.caption("Positionen är en punkt mitt i valdistriktet; ändra den om stugan ska stå på en viss plats.")
            st.form_submit_button(
                "Placera valstugan här" if action == "ny" else "Flytta valstugan hit", type="primary",
                icon=":material/add_location_alt:", on_click=_save, args=(action, code, campaign),
            )


@cache.resource(max_entries=16)
def _history(token: str) -> pd.DataFrame:
    return activity.history("valstugor")


@cache.resource(max_entries=16)
def evaluation_lines(token: str) -> list[str]:
    """What the 2023 evaluation says about cabins district-wide, while the embedded default is in use."""
    if activity.info("valstugor").origin != activity.ORIGIN_STANDARD:
        return []
    summary = activity.default_summary()
    return summary.loc[summary["typ"] == "valstugor", "formulering"].tolist()


@cache.resource()
def centres_by_code() -> pd.DataFrame:
    return field.load_centres().set_index("district_code")


def history_panel() -> None:
    """The cabin file's versions, newest first, and a way back (nothing is ever deleted)."""
    if not st.toggle("Visa valstugefilens historik", False, key="falt_historik",
                     help="Varje sparad version av valstugefilen; en tidigare version kan göras aktuell igen."):
        return
    hist = _history(activity.token())
    with st.container(border=True, key="falt_historik_box"):
        st.caption(f"{len(hist)} versioner, nyaste först. Ingen version tas bort.")
        shown = hist.head(12).assign(aktuell=hist["aktuell"].map({True: "ja", False: ""}))
        st.table(shown.rename(columns={"version": "Version", "importerad": "Sparad", "ursprung": "Ursprung",
                                       "fil": "Ändring eller fil", "rader": "Rader", "aktuell": "Aktuell"}),
                 hide_index=True)
        with st.form("falt_aterstall_form", border=False):
            pick = st.selectbox("Återställ version", list(hist["version"]), key="falt_aterstall_version")
            if st.form_submit_button("Återställ", icon=":material/restore:"):
                activity.restore("valstugor", pick)
                _message("success", f"Version {pick} är åter aktuell. Inga versioner har tagits bort.")
                st.rerun()


# --- printing the gaps per area ------------------------------------------------------------------------

PRINT_CSS = """
<style>
@media print {
  @page { size: A4 portrait; margin: 12mm; }
  body * { visibility: hidden !important; }
  .st-key-falt_utskrift, .st-key-falt_utskrift * { visibility: visible !important; }
  .st-key-falt_utskrift { position: absolute; left: 0; top: 0; width: 100%; }
  .st-key-falt_utskrift_knapp { display: none !important; }
  .st-key-falt_utskrift table { break-inside: auto; font-size: 9pt; }
}
</style>
"""


def unit_selector(units: pd.DataFrame) -> str | None:
    """The area to print (`coverage_tables()["unit_options"]`), bound to `?forening=`."""
    codes, labels = state.options(units, "unit_id", "unit")
    if not codes:
        return None
    return st.selectbox("Område att skriva ut", codes, format_func=lambda c: labels.get(c, c), key=Key.UNIT,
                        bind="query-params", help="En partiförening (eller en kommun när ingen föreningsfil finns).")


def today() -> str:
    return dt.date.today().isoformat()
