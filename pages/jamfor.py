"""Jämför: 2–8 municipalities side by side across all three elections, the county as reference."""
import streamlit as st

from dashboard import figures, ui
from dashboard import queries as q
from dashboard import state
from dashboard.state import ELECTIONS, Key

ui.ensure_entrypoint()

st.title("Hur står sig kommunerna mot varandra?")

kommuner_df = q.municipalities()
with st.container(key="jamfor_val"):
    chosen = state.kommuner_selector(kommuner_df, default=q.default_comparison())
    with st.container(horizontal=True, vertical_alignment="bottom"):
        a, b = state.period_selector(q.year_pairs())
        party = state.party_selector(q.parties("alla", a, b))
        metric = state.choice_selector(
            "Visa",
            {"andel": "Andel", "forandring": "Förändring", "valdeltagande": "Valdeltagande", "roster": "Röster"},
            "andel",
            key=Key.COMPARE_METRIC,
        )
        with_county = state.toggle(
            "Länet som referens", True, key=Key.COUNTY_REF,
            help=f"Visa {state.COUNTY_FULL} som en extra, streckad stapel.",
        )
party_name = q.party_name(party)
period = state.period_text((a, b))

if len(chosen) < 2:
    st.info("Välj minst två kommuner (högst åtta) för att jämföra dem.", icon=":material/info:")
if not chosen:
    st.stop()

_, names = state.options(kommuner_df, "kommunkod", "kommun")
st.caption(
    f"{party_name} i {', '.join(names[c] for c in chosen)}"
    + (f" och {state.COUNTY_FULL}" if with_county else "")
    + f": riksdags-, region- och kommunvalet, {period}."
)
ui.notes([n for e in ELECTIONS for n in q.notes_for(e, a, b)])

df = q.compare_view(tuple(chosen), a, b, party, with_county)
prel_note = q.compare_prel(tuple(chosen), a, b, party, with_county)
ui.preliminary(prel_note, key="jamfor_prel")

x_title = figures.compare_axis_title(metric, a, b)
fig = figures.compare_chart(chosen, a, b, party, with_county, metric)
ui.plotly(
    fig,
    alt=f"Stapeldiagram i tre delar, ett per val: {x_title.lower()} för {party_name} i de valda kommunerna.",
    caption=(
        f"{x_title} per kommun, ett diagram per val. Värdet står vid varje stapel"
        + (f"; {state.COUNTY_FULL} är den mörka streckade stapeln märkt ”referens”."
           if with_county and metric != "roster" else ".")
        + (" (prel.) = preliminärt, valnatten." if prel_note else "")
        + (" Röster visas utan länet, som är för stort för samma skala." if metric == "roster" and with_county else "")
    ),
    key="jamfor_diagram",
)

st.subheader("Tabell")
ui.table(
    df,
    ui.compare_cols(a, b, df),
    key="jamfor_tabell",
    file_stem=f"jamfor_{party}_{a}_{b}",
    alt=f"Tabell: {party_name} i de valda kommunerna, tre val, {period}",
    note=(
        f"{party_name}, {period}. Andel = röster / giltiga röster × 100. {state.COUNTY_REFERENCE}: i riksdagsvalet "
        f"båda riksdagsvalkretsarna. {prel_note} Källa: {q.source_text((a, b))}. Data byggd {q.data_date()}."
    ),
)

st.markdown("**Öppna en kommuns valdistrikt**")
with st.container(horizontal=True, key="jamfor_lankar"):
    for code in chosen:
        st.page_link(
            "pages/valdistrikt.py",
            label=names[code],
            icon=":material/grid_view:",
            query_params=state.link_params(**{Key.KOMMUN: names[code]}),
        )

ui.small_print(
    source=q.source_text((a, b)) + " – se Om data.",
    definition=(
        "Andel = partiets röster / giltiga röster × 100. Förändring (p.e.) = andel "
        f"{b} − andel {a}. Valdeltagande = antal röstande / röstberättigade × 100. {state.COUNTY_FULL} i "
        f"riksdagsvalet = båda riksdagsvalkretsarna tillsammans: {state.VALKRETS_CITY} och {state.VALKRETS_REST}."
    ),
    data_date=q.data_date(),
)
