"""Utskrift: one municipality on one A4 page – results, seats, and activity when logged in."""
import streamlit as st

from dashboard import auth, fmt, handout, ui
from dashboard import queries as q
from dashboard import state

ui.ensure_entrypoint()

st.html(handout.PRINT_CSS)

kommuner = q.municipalities()
with st.container(horizontal=True, vertical_alignment="bottom", key="utskrift_val"):
    kommunkod = state.kommun_selector(kommuner)
    a, b = state.period_selector(q.year_pairs())
    party = state.party_selector(q.parties("alla", a, b))
with st.container(horizontal=True, vertical_alignment="center", key="utskrift_knappar"):
    handout.print_button()
    st.caption("Skriver ut på en A4-sida (stående). Valen ovan och menyn kommer inte med på papperet.")

_, names = state.options(kommuner, "kommunkod", "kommun")
kommun = names.get(kommunkod, kommunkod)
party_name = q.party_name(party)
logged_in = auth.is_logged_in()
sheet = handout.sheet(kommunkod, a, b, party)

with st.container(key="utskrift_ark"):
    st.title(f"{fmt.md_text(kommun)}: {fmt.md_text(party_name)} {a} → {b}", anchor=False)
    st.caption(handout.selections_text(kommun, party_name, a, b, logged_in))
    ui.notes(q.missing_notes(a, b))

    st.subheader("Resultat i de tre valen", anchor=False)
    st.table(
        sheet["results_shown"],
        alt=f"{party_name} i {kommun}: andel, förändring, röster och valdeltagande i riksdags-, region- och kommunvalet",
    )
    st.caption(
        "Andel = röster / giltiga röster × 100; förändring i procentenheter (p.e.). Plats i länet = kommunens "
        "förändring bland länets 26 kommuner (1 = störst ökning). Hela länet: i riksdagsvalet båda "
        "riksdagsvalkretsarna, i regionvalet Region Stockholm, i kommunvalet de 26 kommunvalen. "
        + sheet["rank_note"]
    )

    # Seats beside the campaign activity: the page must stay one A4 sheet.
    seats = sheet["seats"]
    left, right = st.columns(2, gap="medium") if logged_in else (st.container(), None)
    with left:
        if seats:
            st.subheader(f"Mandat och marginaler {b}", anchor=False)
            st.markdown("\n".join(f"- {line}" for line in seats))
            counted = {"final": "de slutliga rösterna", "preliminary": "valnattens preliminära röster"}.get(
                sheet["seat_status"], "rösterna")
            st.caption(f"Beräknade med valsystemets regler på {counted} {b}: underlag inför valet {b + 4}.")
    if right is not None:
        with right:
            st.subheader(f"Valrörelsen {b} i {fmt.md_text(kommun)} (internt)", anchor=False)
            eligible = q.municipality_change("kommun", a, b, party)[["kommunkod", "eligible_to"]].rename(
                columns={"eligible_to": "eligible"})
            st.table(
                handout.activity_table(kommunkod, b, eligible, kommuner),
                hide_index=True,
                alt=f"Kampanjaktivitet i {kommun} under valrörelsen {b}",
            )
            notice = handout.activity_notice()
            if notice:
                st.caption(notice)

    ui.small_print(
        source=q.source_text((a, b)) + " – se Om data.",
        definition="Andel = röster / giltiga röster × 100. Valdeltagande = röstande / röstberättigade × 100.",
        data_date=q.data_date(),
    )
