"""Valrummet – entry point: routing and shared chrome only; each page lives in pages/."""
from __future__ import annotations

import streamlit as st

from dashboard import startup

# A fresh process: the database file is prepared in the background while this first run
# imports the rest (the production launcher has done both before the server answered).
startup.begin()

from dashboard import auth, clients, login_http, meeting, page_registry, run_slots, state, ui, upload_guard  # noqa: E402
from dashboard.errors import ValrummetError  # noqa: E402

PUBLIC_PAGES = [
    page_registry.page(
        "pages/oversikt.py",
        title="Översikt",
        icon=":material/dashboard:",
        url_path="",  # the root; /oversikt is HOME_ALIAS below
        default=True,
        help="Partiets andel och förändring i länet, regionen och riksdagsvalkretsarna, och hur många kommuner som gick upp eller ned.",
    ),
    page_registry.page(
        "pages/kommuner.py",
        title="Kommuner",
        icon=":material/map:",
        url_path="kommuner",
        help="Förändring per kommun för ett val: karta, rangordnad tabell och topplistor.",
    ),
    page_registry.page(
        "pages/jamfor.py",
        title="Jämför",
        icon=":material/compare_arrows:",
        url_path="jamfor",
        help="Två till åtta kommuner sida vid sida i alla tre valen, med länet som referens.",
    ),
    page_registry.page(
        "pages/valdistrikt.py",
        title="Valdistrikt",
        icon=":material/grid_view:",
        url_path="valdistrikt",
        help="En kommuns valdistrikt på karta och i tabell: andel, valdeltagande och förändring där distriktet finns båda åren.",
    ),
    page_registry.page(
        "pages/kalender.py",
        title="Kalender",
        icon=":material/calendar_month:",
        url_path="kalender",
        help="Offentliga möten och evenemang i valrörelsen: bekräftade, utan namn på personer.",
    ),
    page_registry.page(
        "pages/om_data.py",
        title="Om data",
        icon=":material/info:",
        url_path="om_data",
        help="Källor, definitioner, kända luckor och när data byggdes.",
    ),
]


HANDOUT = page_registry.page(
    "pages/utskrift.py",
    title="Utskrift",
    icon=":material/print:",
    url_path="utskrift",
    help="En A4-sida per kommun att dela ut: resultat i alla tre valen, förändring, mandat och marginaler.",
)


def internal_pages() -> list:
    """Pages behind a login (activity, priorities, imports): `dashboard.auth.internal_pages()`
    returns them only for a logged-in viewer, so an anonymous session never registers them."""
    return list(auth.internal_pages())


# Streamlit serves the default page at "/" only; /oversikt (typed, or an old link) opens the
# same page through this hidden alias instead of "page not found".
HOME_ALIAS = page_registry.page("pages/oversikt.py", title="Översikt", icon=":material/dashboard:",
                                url_path="oversikt", visibility="hidden")


def main() -> None:
    """One run: page config, navigation (what this viewer may see), chrome, the page."""
    st.set_page_config(
        page_title="Valrummet – V Storstockholm",
        page_icon="🗳️",  # an emoji: a Material icon favicon is fetched from Google Fonts
        layout="wide",
        initial_sidebar_state="collapsed",
    )
    public = [*PUBLIC_PAGES, HANDOUT, HOME_ALIAS]
    public_paths = {p.url_path for p in public}
    logged_in = auth.is_logged_in()
    locked = auth.login_required() and not logged_in
    if locked:
        # Everything behind the login: the login stands in for the default page and for whatever
        # path was asked for, so after the login the same URL (a rerun of the same page hash)
        # opens the real page.
        sections: dict[str, list] = {"": [
            auth.login_page(default=True, stand_in_for=""),
            auth.login_page(public_paths={""}, hidden=True),
        ]}
    else:
        sections = {"": public}
        internal = internal_pages()
        if internal:
            # The login page stays registered but out of the menu: a session that logged in on
            # /logga_in lands on "Du är inloggad" instead of "page not found".
            sections["Internt"] = [*internal, auth.login_page(hidden=True)]
        else:
            sections[""] = [*public, auth.login_page(public_paths)]

    # Meeting mode shows the pages' numbers: never to a viewer the login keeps out (issue 16).
    meeting_mode = meeting.active() and not locked
    page = st.navigation(sections, position="hidden" if meeting_mode else "top")
    login_http.render_pending()  # a login or logout of this run: the browser sets or deletes its cookie

    if meeting_mode:
        meeting.style()
    else:
        with st.container(horizontal=True, horizontal_alignment="right", vertical_alignment="center", key="chrome"):
            if page.url_path in meeting.PAGES_WITH_SCREENS and not locked:
                st.button("Mötesläge", icon=":material/co_present:", on_click=meeting.enter, key="moteslage",
                          help="Stora siffror, ett budskap per skärm – för att visa på en skärm vid mötet.")
            ui.copy_link()
            if logged_in:
                st.button("Logga ut", icon=":material/logout:", on_click=auth.logout, key="logga_ut")

    # Where a link's value that was not understood is reported, above the page (dashboard.state).
    state.url_notices()
    try:
        if not (meeting_mode and meeting.render(page)):
            page.run()
    except ValrummetError as exc:
        # A problem the user (or the operator) can fix, e.g. data not built yet: say it plainly.
        st.error(str(exc), icon=":material/error:")


# The whole run holds one of the process's run slots: when a room opens the link in the same
# second, the scripts run one at a time (by default), oldest first, in turns between client
# addresses (dashboard.run_slots). Whether the run showed a file uploader decides whether the
# session may upload (dashboard.upload_guard).
with run_slots.slot(clients.client_key(clients.current_address())), upload_guard.run():
    main()
