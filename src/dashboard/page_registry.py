"""Page objects: the internal pages' list, and `page()`, which makes each `st.Page` once per session.

The internal pages (campaign activity, priorities, imports) are shown only to signed-in users:
`app.py` asks `dashboard.auth.internal_pages()` for the pages a viewer may see; that function
builds `st.Page` objects from this list only after login, so an anonymous session never
registers them and their names never reach the browser.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the repo root
    title: str
    icon: str
    url_path: str
    help: str


INTERNAL_PAGES: list[PageSpec] = [
    PageSpec("pages/internal/tidningar.py", "Tidningar", ":material/newspaper:", "tidningar",
             "Tidningsexemplar per röstberättigad mot förändring, per val."),
    PageSpec("pages/internal/valstugor.py", "Valstugor", ":material/storefront:", "valstugor",
             "Valstugor på karta, täckning per kommun och luckor."),
    PageSpec("pages/internal/aktiviteter.py", "Aktiviteter", ":material/directions_walk:", "aktiviteter",
             "Dörrknackning, ringstugor och aktivister per kommun bredvid förändringen."),
    PageSpec("pages/internal/prioriteringar.py", "Prioriteringar", ":material/flag:", "prioriteringar",
             "Prioriterade partiföreningar utifrån öppna kriterier och vikter."),
    PageSpec("pages/internal/bokningar.py", "Bokningar", ":material/event_available:", "bokningar",
             "Bokningskalender för talare, kandidater och stora aktiviteter: förfrågningar, beslut och krockar."),
    PageSpec("pages/internal/importera.py", "Importera", ":material/upload_file:", "importera",
             "Ladda upp aktivitetsfiler och Valmyndighetens resultatfiler."),
]


_SESSION_KEY = "_valrummet_pages"
_MAX_PER_SESSION = 64  # the login stands in for any unknown path; probing must not grow this


def page(path: str, **kwargs):
    """`st.Page(path, **kwargs)`, made once per session and reused on its reruns.

    app.py runs on every rerun, and an `st.Page` resolves and checks its file when it is made
    (~0.2 ms each, ~10 a run). A page object holds per-session state (st.navigation marks the
    one it returns as runnable, and running it clears the mark), so it is never shared between
    sessions."""
    import streamlit as st

    made = st.session_state.get(_SESSION_KEY)
    if made is None or len(made) >= _MAX_PER_SESSION:
        made = st.session_state[_SESSION_KEY] = {}
    key = (path, tuple(sorted(kwargs.items())))
    hit = made.get(key)
    if hit is None:
        hit = made[key] = st.Page(path, **kwargs)
    return hit
