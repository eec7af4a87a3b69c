"""The internal pages (campaign activity, priorities, imports): shown only to signed-in users.

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
    PageSpec("pages/internal/importera.py", "Importera", ":material/upload_file:", "importera",
             "Ladda upp aktivitetsfiler och Valmyndighetens resultatfiler."),
]
