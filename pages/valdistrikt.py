"""Valdistrikt: one municipality's voting districts – map, comparison where possible, table."""
import streamlit as st

from dashboard import figures, fmt, ui
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
_, names = state.options(kommuner_df, "kommunkod", "kommun")
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

if metric == "forandring" and not compare:
    st.info("Förändring kan inte visas för de här åren; kartan visar andelen.", icon=":material/info:")
metric = figures.district_metric(metric, compare)
title = figures.district_map_title(metric, a, b, year, side)

fig = figures.district_map(election, a, b, kommunkod, party, metric)
if fig is not None:
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

st.subheader(f"Valdistrikten i {fmt.md_text(kommun)}")
cols = ui.district_cols(a, b)
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
