"""Översikt: the district at a glance for the chosen year pair and party."""
import streamlit as st

from dashboard import figures, ui
from dashboard import queries as q
from dashboard import state
from dashboard.state import ELECTION_LABEL, ELECTIONS

ui.ensure_entrypoint()

st.title("Hur gick det i Storstockholm?")

with st.container(horizontal=True, vertical_alignment="bottom", key="oversikt_val"):
    a, b = state.period_selector(q.year_pairs())
    party = state.party_selector(q.parties("alla", a, b))
party_name = q.party_name(party)
period = state.period_text((a, b))

st.caption(
    f"{party_name}s andel av de giltiga rösterna {b} och förändringen i procentenheter (p.e.) sedan {a}."
)

ui.notes(q.missing_notes(a, b))

view = q.overview_view(a, b, party)

st.subheader("Andel och förändring")
with st.grid(3, gap="small", min_column_width=220):
    for title, share, change, covers, prel in view["area_cards"]:
        ui.share_metric(title + (" · preliminärt" if prel else ""), share, change, help=covers, period=period)
st.caption(
    "Riksdagsvalkretsen som heter ”Stockholms län” (valkrets 02) är länet utom Stockholms stad – här kallad "
    f"”{state.VALKRETS_REST}”. Stockholms stad är en egen valkrets (01). {state.COUNTY_FULL} = båda valkretsarna "
    "tillsammans. Regionvalet gäller hela länet."
)

st.subheader("Hur många av de 26 kommunerna gick upp eller ned?")
counts = view["counts"]
ui.preliminary(" ".join(view["prel_notes"]), key="oversikt_prel_antal")
ui.plotly(
    figures.overview_direction(a, b, party),
    alt=f"Antal kommuner där {party_name} ökade respektive minskade i varje val, {period}.",
    caption=(
        f"Antal kommuner där andelen ökade (upp) eller minskade (ned) {period}. "
        "”Uppgift saknas” = minst ett av åren saknas i data för kommunen. Inom parentes: hur många av "
        "förändringarna som vilar på preliminära siffror (valnatten)."
    ),
    key="oversikt_riktning",
)
ui.table(
    counts,
    ui.direction_cols(),
    key="oversikt_antal",
    file_stem=f"kommuner_upp_ned_{party}_{a}_{b}",
    alt="Antal kommuner upp och ned per val",
    note=f"{party_name}, förändring {period}, de 26 kommunerna i {state.COUNTY_FULL}. {' '.join(view['prel_notes'])}",
)

st.subheader("Upp i alla tre valen – och ned i alla tre")
left, right = st.columns(2)
for col, pattern, title in (
    (left, "upp i alla tre", "Ökade i alla tre valen"),
    (right, "ned i alla tre", "Minskade i alla tre valen"),
):
    with col:
        lines = view["mover_lines"][pattern]
        n_prel = view["mover_prel"][pattern]
        st.markdown(
            f"**{title}**"
            + (f" – {n_prel} av {len(lines)} vilar delvis på preliminära siffror (valnatten)" if n_prel else "")
            + "\n\n" + ("\n".join(f"- {line}" for line in lines) or "Inga kommuner.")
        )

fig = figures.overview_map(a, b, party)
ui.plotly(
    fig,
    alt=f"Karta: kommuner där {party_name} ökade i alla tre valen, minskade i alla tre, eller blandat, {period}.",
    caption="Karta över mönstret per kommun. Håll över en kommun för förändringen i varje val; listorna ovan säger samma sak i text.",
    key="oversikt_karta",
)

st.subheader("Topplistor per val")
st.caption(
    f"Som i utvärderingen: högst och lägst andel {b}, störst ökning och minskning {period}, tre kommuner per lista, "
    "och vilka kommuner som ökade och minskade." + (" ”(preliminärt)” = valnattens räkning." if view["prel_notes"] else "")
)
for election, tab in zip(ELECTIONS, st.tabs([ELECTION_LABEL[e] for e in ELECTIONS])):
    with tab:
        st.markdown(view["rankings"][election])
st.page_link("pages/kommuner.py", label="Alla 26 kommuner, val för val: sidan Kommuner", icon=":material/map:",
             query_params=state.link_params())

ui.small_print(
    source=q.source_text((a, b)) + " – se Om data.",
    definition=(
        "Andel = partiets röster / giltiga röster × 100. Förändring i procentenheter (p.e.) = andel "
        f"{b} − andel {a}."
    ),
    data_date=q.data_date(),
)
