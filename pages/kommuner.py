"""Kommuner: per-municipality change for one election and year pair – map, ranking, lists."""
import streamlit as st

from dashboard import figures, fmt, ui
from dashboard import queries as q
from dashboard import state
from dashboard.state import ELECTION_DEFINITE, ELECTION_LABEL, Key

ui.ensure_entrypoint()

st.title("Hur gick det i kommunerna?")

with st.container(horizontal=True, vertical_alignment="bottom", key="kommuner_val"):
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs())
    party = state.party_selector(q.parties(election, a, b))
    view_mode = state.choice_selector(
        "Visa", {"karta": "Karta", "staplar": "Staplar"}, "karta", key="vy",
        help="Karta eller rangordnade staplar – samma siffror.",
    )
    selected = state.kommun_selector(
        q.municipalities(), default=None, label="Markerad kommun",
        help="Klicka på en kommun i kartan, staplarna eller tabellen – eller välj här.",
    )
party_name = q.party_name(party)
period = state.period_text((a, b))
label = ELECTION_LABEL[election]

st.caption(
    f"{label}: {party_name}s andel av de giltiga rösterna i varje kommun {a} och {b}, och förändringen "
    f"i procentenheter (p.e.). Klicka på en kommun i kartan eller tabellen för att öppna den."
)
ui.notes(q.notes_for(election, a, b))

df = q.kommuner_view(election, a, b, party)
county = q.area_change(election, a, b, party, f"county:{state.COUNTY}")
_, names = state.options(q.municipalities(), "kommunkod", "kommun")

extras = q.kommuner_extras(election, a, b, party)
row = extras["counts"]
n = len(df)
with st.container(horizontal=True, key="kommuner_nyckeltal"):
    ui.share_metric(
        f"{state.COUNTY_FULL}, {label.lower()} {b}" + (" · preliminärt" if extras["county_prel"] else ""),
        county["share_to"].iloc[0] if len(county) else None,
        county["change_pp"].iloc[0] if len(county) else None,
        period=period,
        help="Summan för länets 26 kommuner" if election == "kommun" else
        "Hela Stockholms län (i riksdagsvalet båda riksdagsvalkretsarna tillsammans)" if election == "riksdag" else
        "Region Stockholm, som omfattar hela länet",
    )
    st.metric("Kommuner som ökade", f"{row['upp']} av {n}", border=True, height="stretch")
    st.metric("Kommuner som minskade", f"{row['ned']} av {n}", border=True, height="stretch")
    if row["saknas"]:
        st.metric("Uppgift saknas", f"{row['saknas']} av {n}", border=True, height="stretch")
    if extras["n_prel"]:
        st.metric("Preliminärt räknade (valnatten)", f"{extras['n_prel']} av {n}", border=True, height="stretch",
                  help="Kommuner vars siffror i något av åren bara finns som preliminär räkning från valnatten. "
                       "De ingår i antalen ovan och i topplistorna.")
ui.preliminary(extras["prel_note"], key="kommuner_prel")



def _mark(code: str | None) -> None:
    # Callbacks run before the rerun, so the bound selector (and the URL) can still change.
    if code in names:
        st.session_state[Key.KOMMUN] = code


def _pick_on_chart(chart_key: str) -> None:
    for point in ui.selected_points(chart_key):
        if point.get("location") in names:
            return _mark(point["location"])
        label_y = str(point.get("y", "")).replace("<b>", "").replace("</b>", "").removesuffix(" (prel.)")
        by_name = {v: k for k, v in names.items()}
        if label_y in by_name:
            return _mark(by_name[label_y])


def _pick_in_table() -> None:
    i = ui.selected_row("kommuner_tabell")
    if i is not None:
        _mark(df.iloc[i]["kommunkod"])

if view_mode == "karta":
    fig = figures.kommuner_map(election, a, b, party, selected)
    ui.plotly(
        fig,
        alt=f"Karta: förändring för {party_name} i {ELECTION_DEFINITE[election]} per kommun, {period}.",
        caption=(
            f"Förändring i procentenheter {period}. Blått = ökning, rött = minskning, vitt = ingen förändring; "
            "grått = uppgift saknas. Skalan är symmetrisk kring noll. Siffrorna står i tabellen och när du håller "
            "över en kommun" + (" (där står också om siffran är preliminär)." if extras["n_prel"] else ".")
        ),
        key="kommuner_karta",
        on_select=lambda: _pick_on_chart("kommuner_karta"),
    )
else:
    fig = figures.kommuner_bars(election, a, b, party, selected)
    ui.plotly(
        fig,
        alt=f"Stapeldiagram: förändring för {party_name} i {ELECTION_DEFINITE[election]} per kommun, {period}, störst ökning överst.",
        caption=(
            f"Förändring i procentenheter {period}, störst ökning överst. Kommuner utan siffror står sist med "
            "”uppgift saknas”." + (" (prel.) = preliminärt, valnatten." if extras["n_prel"] else "")
        ),
        key="kommuner_staplar",
        on_select=lambda: _pick_on_chart("kommuner_staplar"),
    )

st.subheader("Alla kommuner, rangordnade efter förändring")
cols = ui.kommuner_cols(a, b, df)
ui.table(
    df,
    cols,
    key="kommuner_tabell",
    file_stem=f"kommuner_{election}_{party}_{a}_{b}",
    alt=f"Tabell: {party_name} per kommun i {ELECTION_DEFINITE[election]} {a} och {b}",
    note=(
        f"{label}, {party_name}, {period}. Andel = röster / giltiga röster × 100. {extras['prel_note']} "
        f"Källa: {q.source_text((a, b))}. Data byggd {q.data_date()}."
    ),
    on_select=_pick_in_table,
)

if selected in names:
    name = names[selected]
    with st.container(border=True, key="kommuner_oppna"):
        st.markdown(f"**Vald kommun: {fmt.md_text(name)}**")
        with st.container(horizontal=True):
            st.page_link(
                "pages/valdistrikt.py",
                label=f"Valdistrikten i {fmt.md_text(name)}",
                icon=":material/grid_view:",
                # the election shown here, also when it is this page's default (Valdistrikt's is riksdag)
                query_params=state.link_params(**{Key.KOMMUN: name, Key.ELECTION: label}),
            )
            st.page_link(
                "pages/jamfor.py",
                label=f"Jämför {fmt.md_text(name)} med andra kommuner",
                icon=":material/compare_arrows:",
                query_params=state.link_params(**{Key.KOMMUNER: [name]}),
            )

st.subheader("Topplistor")
ui.top_lists(extras["top_text"], extras["top_prel"])

ui.small_print(
    source=q.source_text((a, b)) + " – se Om data.",
    definition=(
        "Andel = partiets röster / giltiga röster × 100. Förändring (p.e.) = andel "
        f"{b} − andel {a}. Valdeltagande = antal röstande / röstberättigade × 100."
    ),
    data_date=q.data_date(),
)
