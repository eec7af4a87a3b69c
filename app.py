"""Valrummet – entry point: routing and shared chrome only; each page lives in pages/."""
from __future__ import annotations

import importlib

import streamlit as st

from dashboard import ui
from dashboard.errors import ValrummetError

st.set_page_config(
    page_title="Valrummet – V Storstockholm",
    page_icon="🗳️",  # an emoji: a Material icon favicon is fetched from Google Fonts
    layout="wide",
    initial_sidebar_state="collapsed",
)

PUBLIC_PAGES = [
    st.Page(
        "pages/oversikt.py",
        title="Översikt",
        icon=":material/dashboard:",
        default=True,
        help="Partiets andel och förändring i länet, regionen och riksdagsvalkretsarna, och hur många kommuner som gick upp eller ned.",
    ),
    st.Page(
        "pages/kommuner.py",
        title="Kommuner",
        icon=":material/map:",
        url_path="kommuner",
        help="Förändring per kommun för ett val: karta, rangordnad tabell och topplistor.",
    ),
    st.Page(
        "pages/jamfor.py",
        title="Jämför",
        icon=":material/compare_arrows:",
        url_path="jamfor",
        help="Två till åtta kommuner sida vid sida i alla tre valen, med länet som referens.",
    ),
    st.Page(
        "pages/valdistrikt.py",
        title="Valdistrikt",
        icon=":material/grid_view:",
        url_path="valdistrikt",
        help="En kommuns valdistrikt på karta och i tabell: andel, valdeltagande och förändring där distriktet finns båda åren.",
    ),
    st.Page(
        "pages/om_data.py",
        title="Om data",
        icon=":material/info:",
        url_path="om_data",
        help="Källor, definitioner, kända luckor och när data byggdes.",
    ),
]


def internal_pages() -> list:
    """Pages behind a login (activity, priorities, imports).

    The login work provides `dashboard.auth.internal_pages()`, returning the pages the signed-in
    user may see (an empty list when nobody is signed in). Until that module exists there are none.
    """
    try:
        auth = importlib.import_module("dashboard.auth")
    except ModuleNotFoundError as exc:
        if exc.name != "dashboard.auth":
            raise
        return []
    return list(auth.internal_pages())


sections: dict[str, list] = {"": PUBLIC_PAGES}
internal = internal_pages()
if internal:
    sections["Internt"] = internal

page = st.navigation(sections, position="top")

with st.container(horizontal=True, horizontal_alignment="right", key="chrome"):
    ui.copy_link()

try:
    page.run()
except ValrummetError as exc:
    # A problem the user (or the operator) can fix, e.g. data not built yet: say it plainly.
    st.error(str(exc), icon=":material/error:")
