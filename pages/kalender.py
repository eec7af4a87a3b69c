"""Kalender (public): the open part of the booking calendar – confirmed public events only,
without any person's name (issue 20)."""
import streamlit as st

from dashboard import queries as q
from dashboard import ui
from dashboard.calendar import http, pagedata, views
from dashboard.calendar import model as M
from dashboard.calendar import widgets as W

ui.ensure_entrypoint()

st.title("Vad händer i valrörelsen?")
st.caption("Möten, torgmöten och andra evenemang som Vänsterpartiet Storstockholm har bekräftat och gjort "
           "offentliga. Interna möten och förfrågningar visas inte här.")

kommuner = q.municipalities()
kommun_names = pagedata.kommun_names()
view = W.view_selector({"manad": "Månad", "lista": "Lista"}, "manad")
with st.container(horizontal=True, vertical_alignment="bottom", key="oppen_val"):
    day = W.day_selector()
    kommun = W.kommun_selector(kommuner)
    kind = W.kind_selector()

key = pagedata.revision()
first, after = pagedata.month_bounds(day)
month_title = f"{M.MONTHS[first.month - 1].capitalize()} {first.year}"
events = pagedata.public_events(key, first, after, kommun, kind)

W.step_buttons("månad", month_title)
if view == "manad":
    st.html(pagedata.month_html(key, first, W.today(), (None, kommun, None, kind), True))
    st.caption(f"{len(events)} offentliga evenemang i {month_title.lower()}"
               + (f" i {kommun_names.get(kommun, kommun)}" if kommun else "") + ". På en mobil visas antalet per dag; "
               "välj Lista för rubriker och platser.")
else:
    shown = views.table(events, public=True, kommun_names=kommun_names)
    if shown.empty:
        st.info(f"Inga offentliga evenemang i {month_title.lower()}.", icon=":material/event_busy:")
    else:
        ui.table(shown, [ui.Col("start", "Start"), ui.Col("titel", "Evenemang"), ui.Col("slut", "Slut"),
                         ui.Col("typ", "Typ"), ui.Col("kommun", "Kommun"), ui.Col("plats", "Plats")],
                 key="oppen_lista", file_stem=f"kalender_{first:%Y_%m}",
                 alt=f"Tabell: offentliga evenemang i {month_title.lower()}")

with st.container(horizontal=True, key="oppen_ics"):
    st.download_button(
        "Hela kalendern (.ics)", data=lambda: http.feed_bytes("public"), file_name="vansterpartiet_storstockholm.ics",
        mime="text/calendar", icon=":material/calendar_add_on:", on_click="ignore", key="oppen_ics_fil",
        help="För Google Kalender, Outlook eller telefonens kalender. Laddar du ner den igen uppdateras "
             "evenemangen i stället för att dubbleras.")
if http.installed():
    st.caption("Prenumerera i din kalender (den uppdateras av sig själv) med adressen:")
    st.code(http.absolute(http.public_path(), "kalender"), language=None)
st.caption("**Källa:** distriktets bokningskalender (Valrummet). Bara bekräftade, offentliga evenemang; "
           "tider i svensk tid.")
