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
    # The riksdag election is the only one with district results in both default years.
    election = state.election_selector(default=state.DISTRICT_DEFAULT_ELECTION)
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

# A choice without district results in one of its years: offer the nearest one that has them
# (the offer says what is missing, so the notes do not say it again).
alternative = q.district_alternative(election, a, b)
ui.notes([n for n in q.notes_for(election, a, b, level="district")
          if alternative is None or "finns inte per valdistrikt" not in n])
if alternative is not None:
    alt_election, alt_a, alt_b = alternative
    lacking = [y for y in (a, b) if not q.has_districts(q.coverage(), election, y)]

    def _switch() -> None:
        # Callbacks run before the rerun, so the bound selectors (and the URL) take the new choice.
        st.session_state[Key.ELECTION] = alt_election
        st.session_state[Key.PERIOD] = state.period_label((alt_a, alt_b))

    with st.container(border=True, key="valdistrikt_narmast"):
        st.markdown(
            f"**{ELECTION_DEFINITE[election].capitalize()} {' och '.join(map(str, lacking))} finns inte per "
            f"valdistrikt**, så {ELECTION_DEFINITE[election]} {a} → {b} kan inte jämföras distrikt för distrikt. "
            f"Närmaste val med resultat per valdistrikt båda åren: **{ELECTION_DEFINITE[alt_election]} "
            f"{alt_a} → {alt_b}**."
            + (f" Nedan visas {ELECTION_DEFINITE[election]} {b if a in lacking else a} per valdistrikt."
               if len(lacking) == 1 else "")
        )
        st.button(
            f"Visa {ELECTION_DEFINITE[alt_election]} {alt_a} → {alt_b}",
            on_click=_switch,
            key="valdistrikt_byt",
            type="primary",
            icon=":material/swap_horiz:",
        )

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
    f"{label} {year}, {kommun}: {party_name}s andel av de giltiga rösterna"
    + (" och valdeltagandet" if facts["has_turnout"] else "")
    + " i varje valdistrikt"
    + (f", och förändringen sedan {a} där distriktet finns båda åren." if compare else ".")
)
if year != b and alternative is None:
    st.info(f"Valdistrikten visas för {year}: {label.lower()} {b} finns inte per valdistrikt.", icon=":material/info:")
if facts["preliminary"]:
    ui.preliminary(
        f"{ELECTION_DEFINITE[election].capitalize()} {year} per valdistrikt är valnattens preliminära räkning"
        + (
            "; förtidsröster som inte fördelats på valdistrikt (uppsamlingsdistrikt) ingår inte, så distrikten "
            "summerar inte till kommunens slutliga resultat"
            if facts["no_collection"] else ""
        )
        + ".",
        key="valdistrikt_prel",
    )
if facts["summary"]:
    st.markdown(facts["summary"])
if compare:
    c = facts["counts"]
    with st.container(horizontal=True, key="valdistrikt_antal"):
        st.metric("Jämförs (samma kod båda åren)", f"{c['compared']} av {c['to']}", border=True, height="stretch",
                  help=f"Valdistrikt {b} vars kod fanns {a} och som har siffror båda åren.")
        st.metric(f"Ny kod {b} (jämförs inte)", str(c["new"]), border=True, height="stretch")
        st.metric(f"Fanns bara {a}", str(c["gone"]), border=True, height="stretch")
        st.metric("Samma kod, nytt namn", str(c["renamed"]), border=True, height="stretch",
                  help="Jämförs, men ett nytt namn tyder på att gränserna kan ha ändrats. Skälet står i tabellen.")
for code, name, note in facts["notes"]:
    st.info(f"**{code} {q.md_name(name)}:** {note}", icon=":material/info:")
if facts["not_itemised"]:
    st.info(
        f"{party_name} redovisas inte per valdistrikt i källan (små partier ingår i ”övriga partier”).",
        icon=":material/info:",
    )

if metric == "forandring" and not compare:
    st.info("Förändring kan inte visas för de här åren; kartan visar andelen.", icon=":material/info:")
if metric == "valdeltagande" and not facts["has_turnout"]:
    st.info(
        f"Valdeltagande kan inte visas för {year}: antal röstberättigade per valdistrikt saknas. Kartan visar andelen.",
        icon=":material/info:",
    )
metric = figures.district_metric(metric, compare, facts["has_turnout"])
title = figures.district_map_title(metric, a, b, year, side)

n_places = len(facts["mappable"]) + facts["not_drawn"]
if facts["geo_year"] is not None and facts["geo_year"] != year:
    geo_text = (
        f"Det finns ingen karta över valdistrikten {year}: kartan har {facts['geo_year']} års gränser, och ett distrikt "
        f"ritas där dess kod fanns {facts['geo_year']}. "
    )
else:
    geo_text = ""
if facts["not_drawn"]:
    geo_text += (
        f"{facts['not_drawn']} av {n_places} valdistrikt {year} har en kod som inte finns på kartan och ritas inte; "
        "de står i tabellen. "
    )

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
            + geo_text
            + ("Förtidsröster som inte fördelats på distrikt har ingen yta och står sist i tabellen." if
               bool(facts["shown"]["is_collection"].any()) else "")
        ),
        key="valdistrikt_karta",
    )
else:
    st.info(f"Det finns ingen karta över valdistrikten {year}; tabellen nedan har alla siffror. {geo_text}",
            icon=":material/map:")

st.subheader(f"Valdistrikten i {fmt.md_text(kommun)}")
cols = ui.district_cols(a, b, facts)
ui.table(
    df,
    cols,
    key="valdistrikt_tabell",
    file_stem=f"valdistrikt_{kommunkod}_{election}_{party}_{a}_{b}",
    alt=f"Tabell över valdistrikten i {kommun}, {label.lower()} {a} och {b}",
    note=(
        f"{label}, {kommun}, {party_name}, {a} och {b}. Förändring bara där samma distriktskod finns båda åren; "
        "samma kod betyder inte alltid samma gränser. "
        + (f"{year}: preliminär räkning (valnatten). " if facts["preliminary"] else "")
        + f"Källa: {q.source_text((a, b), ('district',), (election,))}. Data byggd {q.data_date()}."
    ),
    height=420,
)

ui.small_print(
    source=(
        q.source_text((a, b), ("district",), (election,))
        + f"; kartan: Valmyndighetens valgeografi {facts['geo_year'] or '–'} – se Om data."
    ),
    definition=(
        "Andel = partiets röster / giltiga röster × 100. Valdeltagande = antal röstande / röstberättigade × 100. "
        "Förändring jämförs bara där samma distriktskod finns båda åren; ett distrikt med nytt namn eller kraftigt "
        "ändrat antal röstberättigade flaggas, eftersom gränserna kan ha ändrats. Uppsamlingsdistrikten "
        "(förtidsröster ej fördelade på distrikt) räknas in i kommunens summa men jämförs inte."
    ),
    data_date=q.data_date(),
)
