"""Översikt: the district at a glance for the chosen year pair and party."""
import streamlit as st

from dashboard import figures, ui
from dashboard import queries as q
from dashboard import state

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
    for title, share, change, covers in view["area_cards"]:
        ui.share_metric(title, share, change, help=covers, period=period)
st.caption(
    "”Stockholms län” i riksdagsvalet är riksdagsvalkretsen utan Stockholms stad; "
    "stadens röster räknas i valkretsen Stockholms kommun. Regionvalet gäller hela länet."
)

st.subheader("Hur många av de 26 kommunerna gick upp eller ned?")
counts = view["counts"]
ui.plotly(
    figures.overview_direction(a, b, party),
    alt=f"Antal kommuner där {party_name} ökade respektive minskade i varje val, {period}.",
    caption=(
        f"Antal kommuner där andelen ökade (upp) eller minskade (ned) {period}. "
        "”Uppgift saknas” = minst ett av åren saknas i data för kommunen."
    ),
    key="oversikt_riktning",
)
ui.table(
    counts,
    ui.direction_cols(),
    key="oversikt_antal",
    file_stem=f"kommuner_upp_ned_{party}_{a}_{b}",
    alt="Antal kommuner upp och ned per val",
    note=f"{party_name}, förändring {period}, 26 kommuner i Stockholms län.",
)

st.subheader("Upp i alla tre valen – och ned i alla tre")
left, right = st.columns(2)
for col, pattern, title in (
    (left, "upp i alla tre", "Ökade i alla tre valen"),
    (right, "ned i alla tre", "Minskade i alla tre valen"),
):
    with col:
        lines = view["mover_lines"][pattern]
        st.markdown(f"**{title}**\n\n" + ("\n".join(f"- {line}" for line in lines) or "Inga kommuner."))

fig = figures.overview_map(a, b, party)
ui.plotly(
    fig,
    alt=f"Karta: kommuner där {party_name} ökade i alla tre valen, minskade i alla tre, eller blandat, {period}.",
    caption="Karta över mönstret per kommun. Håll över en kommun för förändringen i varje val; listorna ovan säger samma sak i text.",
    key="oversikt_karta",
)

ui.small_print(
    source="SCB och Valmyndigheten (slutliga resultat); kommunvalet 2018 härlett ur officiella andelar – se Om data.",
    definition=(
        "Andel = partiets röster / giltiga röster × 100. Förändring i procentenheter (p.e.) = andel "
        f"{b} − andel {a}."
    ),
    data_date=q.data_date(),
)
