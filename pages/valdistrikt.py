"""Valdistrikt: one municipality's voting districts – map, comparison where possible, table."""
import streamlit as st

from dashboard import maps, ui
from dashboard import queries as q
from dashboard import state
from dashboard.state import ELECTION_DEFINITE, ELECTION_LABEL, Key

ui.ensure_entrypoint()

st.title("Hur gick det i valdistrikten?")

kommuner_df = q.municipalities()
with st.container(horizontal=True, vertical_alignment="bottom", key="valdistrikt_val"):
    kommunkod = state.kommun_selector(kommuner_df)
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs())
    party = state.party_selector(q.parties(election, a, b))
    metric = state.choice_selector(
        "Visa på kartan",
        {"andel": "Andel", "forandring": "Förändring", "valdeltagande": "Valdeltagande"},
        "andel",
        key=Key.DISTRICT_METRIC,
    )
names = dict(zip(kommuner_df["kommunkod"], kommuner_df["kommun"]))
kommun = names.get(kommunkod, kommunkod)
party_name = q.party_name(party)
label = ELECTION_LABEL[election]

ui.notes(q.notes_for(election, a, b, level="district"))

df = q.districts_view(election, a, b, kommunkod, party)
facts = q.district_facts(election, a, b, kommunkod, party)
year, side, compare = facts["year"], facts["side"], facts["compare"]
if year is None:
    st.warning(
        f"Det finns inga resultat per valdistrikt för {label.lower()} {a} eller {b} i {kommun}.",
        icon=":material/warning:",
    )
    st.stop()

st.caption(
    f"{label} {year}, {kommun}: {party_name}s andel av de giltiga rösterna och valdeltagandet i varje "
    "valdistrikt"
    + (f", och förändringen sedan {a} där distriktet finns båda åren." if compare else ".")
)
if year != b:
    st.info(f"Valdistrikten visas för {year}: {label.lower()} {b} finns inte per valdistrikt.", icon=":material/info:")
if facts["summary"]:
    st.markdown(facts["summary"])
if facts["not_itemised"]:
    st.info(
        f"{party_name} redovisas inte per valdistrikt i källan (små partier ingår i ”övriga partier”).",
        icon=":material/info:",
    )

METRICS = {
    "andel": (f"share_{side}", f"Andel {year} (%)", False, maps.SEQUENTIAL, " %"),
    "forandring": ("change_pp", f"Förändring {a}–{b} (p.e.)", True, maps.DIVERGING, " p.e."),
    "valdeltagande": (f"turnout_{side}", f"Valdeltagande {year} (%)", False, maps.TURNOUT, " %"),
}
if metric == "forandring" and not compare:
    st.info("Förändring kan inte visas för de här åren; kartan visar andelen.", icon=":material/info:")
    metric = "andel"
value_col, title, diverging, scale, suffix = METRICS[metric]

geo_years = q.district_geo_years()
if year in geo_years:
    geo = q.district_geo(kommunkod, year)
    url = q.static_geo_url(f"valdistrikt_{state.COUNTY}_{year}.geojson")
    fig = ui.figure(
        ("valdistrikt_karta", election, a, b, kommunkod, party, metric, year),
        maps.choropleth,
        url or geo,
        facts["mappable"],
        id_col="district_code",
        featureidkey="properties.district_code",
        value_col=value_col,
        name_col="district_name",
        hover=[
            (f"Andel {a}", "share_from_txt"),
            (f"Andel {b}", "share_to_txt"),
            ("Förändring", "change_pp_txt"),
            (f"Valdeltagande {year}", f"turnout_{side}_txt"),
            ("Jämförelse", "comparison_txt"),
        ]
        if compare
        else [(f"Andel {year}", f"share_{side}_txt"), (f"Valdeltagande {year}", f"turnout_{side}_txt")],
        bbox=geo["bbox"],
        colorbar_title=title,
        diverging=diverging,
        colorscale=scale,
        tick_suffix=suffix,
        missing_reason_col="missing_reason" if metric == "forandring" else None,
        height=520,
    )
    ui.plotly(
        fig,
        alt=f"Karta över valdistrikten i {kommun}: {title.lower()} för {party_name} i {ELECTION_DEFINITE[election]}.",
        caption=(
            f"{title} per valdistrikt. "
            + (
                "Blått = ökning, rött = minskning; grått = ingen jämförelse (ny kod, uppsamlingsdistrikt) eller "
                "uppgift saknas – håll över distriktet för skälet. "
                if metric == "forandring"
                else "Mörkare = högre; grått = uppgift saknas. "
            )
            + "Förtidsröster som inte fördelats på distrikt har ingen yta och står sist i tabellen."
        ),
        key="valdistrikt_karta",
    )
else:
    st.info(f"Det finns ingen karta över valdistrikten {year}; tabellen nedan har alla siffror.", icon=":material/map:")

st.subheader(f"Valdistrikten i {kommun}")
cols = [
    ui.Col("district_code", "Kod"),
    ui.Col("district_name", "Valdistrikt"),
    *ui.change_cols(a, b),
    ui.Col("comparison_txt", "Jämförelse"),
]
ui.table(
    df,
    cols,
    key="valdistrikt_tabell",
    file_stem=f"valdistrikt_{kommunkod}_{election}_{party}_{a}_{b}",
    alt=f"Tabell över valdistrikten i {kommun}, {label.lower()} {a} och {b}",
    note=(
        f"{label}, {kommun}, {party_name}, {a} och {b}. Förändring bara där samma distriktskod finns båda åren. "
        f"Data byggd {q.data_date()}."
    ),
    height=420,
)

ui.small_print(
    source="SCB (2022) och Valmyndigheten (2018), slutliga resultat per valdistrikt; kartan: Valmyndighetens valgeografi 2022.",
    definition=(
        "Andel = partiets röster / giltiga röster × 100. Valdeltagande = antal röstande / röstberättigade × 100. "
        "Förändring jämförs bara där samma distriktskod finns båda åren; uppsamlingsdistrikten (förtidsröster ej "
        "fördelade på distrikt) räknas in i kommunens summa men jämförs inte."
    ),
    data_date=q.data_date(),
)
