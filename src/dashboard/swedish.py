"""Streamlit's own English, in Swedish (issue 18).

Streamlit 1.67 has no locale setting: its uploader says "Upload" and "50MB per file", its table
toolbar "Download as CSV", its screen-reader labels "Help for Namn" and "Expand sidebar", and
plotly's mode bar "Zoom in". The page script (`PAGE_JS`, run by the small components every page
has: "Kopiera länk", and meeting mode's keys) relabels those strings where they appear – text,
`aria-label`, `title`, `placeholder`, plotly's `data-title` – with a MutationObserver, so a
string that React draws again is relabelled again. The same script marks the document Swedish
and closes the side menu after a page is picked in it (on a phone it covers the page).

`FORBIDDEN_ENGLISH` is what the browser tests look for on every page: when a new Streamlit
version brings a new English string, the test names it, and it goes into `EXACT`.
"""
from __future__ import annotations

import json

# Whole strings (text or label, trimmed) -> Swedish.
EXACT: dict[str, str] = {
    # page chrome and navigation
    "Skip to main content": "Hoppa till innehållet",
    "Sidebar": "Sidomeny",
    "Collapse sidebar": "Stäng sidomenyn",
    "Expand sidebar": "Öppna sidomenyn",
    "App pages": "Sidor",
    "Main menu": "Huvudmeny",
    "Print": "Skriv ut",
    "Record screen": "Spela in skärmen",
    "Record a screencast": "Spela in skärmen",
    "Link to heading": "Länk till rubriken",
    "Running...": "Räknar …",
    "Stop": "Stoppa",
    "Rerun": "Kör igen",
    "Close": "Stäng",
    "Open": "Öppna",
    "Copy to clipboard": "Kopiera",
    "Copied": "Kopierat",
    "Connecting": "Ansluter",
    "Please wait...": "Vänta …",
    "Connection error": "Anslutningen bröts",
    # selectboxes, multiselects, dates
    "Choose an option": "Välj",
    "Choose options": "Välj",
    "No results": "Inga träffar",
    "No options to select": "Inget att välja",
    "Clear all": "Rensa alla",
    "Clear value": "Rensa",
    "Selected values": "Valda",
    "Choose date": "Välj datum",
    "Previous month.": "Föregående månad",
    "Next month.": "Nästa månad",
    "Previous month": "Föregående månad",
    "Next month": "Nästa månad",
    # tables (the toolbar, the column menu, the search)
    "Show/hide columns": "Visa/dölj kolumner",
    "Download as CSV": "Ladda ner som CSV",
    "Search": "Sök",
    "Fullscreen": "Helskärm",
    "Close fullscreen": "Stäng helskärm",
    "Exit fullscreen": "Stäng helskärm",
    "Sort ascending": "Sortera stigande",
    "Sort descending": "Sortera fallande",
    "Autosize": "Anpassa bredd",
    "Pin column": "Lås kolumnen",
    "Unpin column": "Lås upp kolumnen",
    "Hide column": "Dölj kolumnen",
    "Show all": "Visa alla",
    "Hide all": "Dölj alla",
    # the uploader
    "Upload": "Ladda upp",
    "Browse files": "Välj fil",
    "Drag and drop file here": "Dra och släpp filen här",
    "Drag and drop files here": "Dra och släpp filerna här",
    "file upload": "filuppladdning",
    "Delete": "Ta bort",
    "Remove file": "Ta bort filen",
    "Add files": "Lägg till filer",
    "Add file": "Lägg till fil",
    # plotly's mode bar and maps
    "Download plot as a PNG": "Ladda ner diagrammet som PNG",
    "Download plot": "Ladda ner diagrammet",
    "Zoom": "Zooma",
    "Pan": "Panorera",
    "Zoom in": "Zooma in",
    "Zoom out": "Zooma ut",
    "Autoscale": "Anpassa skalan",
    "Reset axes": "Återställ axlarna",
    "Reset view": "Återställ vyn",
    "Reset": "Återställ",
    "Box Select": "Markera område",
    "Lasso Select": "Markera fritt",
    "Toggle Spike Lines": "Visa/dölj hjälplinjer",
    "Show closest data on hover": "Visa närmaste värde",
    "Compare data on hover": "Jämför värden",
    "Double-click to zoom back out": "Dubbelklicka för att zooma ut",
    "Toggle attribution": "Visa/dölj källa",
    "Map": "Karta",
    "chevron_left icon": "Föregående",
    "chevron_right icon": "Nästa",
}

# Strings that start with English and go on with the app's own words ("Help for Namn").
PREFIXES: list[tuple[str, str]] = [
    ("Help for ", "Hjälp: "),
    ("Remove ", "Ta bort "),
    ("Show/hide columns: ", "Visa/dölj kolumner: "),
    ("Download as CSV: ", "Ladda ner som CSV: "),
    ("Search: ", "Sök: "),
    ("Fullscreen: ", "Helskärm: "),
    ("Made with Streamlit", "Byggd med Streamlit"),
    ("year, ", "år, "),
    ("month, ", "månad, "),
    ("day, ", "dag, "),
    ("Selected Date: ", "Valt datum: "),
]

# Patterns (JavaScript regular expressions, anchored) -> replacement ($1 = first group).
PATTERNS: list[tuple[str, str]] = [
    (r"^(?:Limit )?(\d+(?:\.\d+)?)\s?MB per file$", "Högst $1 MB per fil"),
    (r"^(?:Limit )?(\d+(?:\.\d+)?)\s?MB per file • (.+)$", "Högst $1 MB per fil • $2"),
    (r"^(\d+)\.(\d+)\s?(B|KB|MB|GB)$", "$1,$2 $3"),  # a file's size: 131.0B -> 131,0 B
    (r"^(.+), (\d+)\.(\d+)\s?(B|KB|MB|GB)$", "$1, $2,$3 $4"),  # an uploaded file's label
    (r"^[a-z_]+ icon$", "ikon"),  # a Material icon's label in Markdown (":material/schedule:")
]

# Words and phrases that must never be on a page (visible text, aria-label, title, placeholder,
# plotly's data-title). Whole words, case-sensitive: "Sort" is also Swedish ("sort" = kind).
FORBIDDEN_ENGLISH: tuple[str, ...] = (
    "Upload", "Download", "Browse", "Drag and drop", "per file", "Search", "Fullscreen", "Show/hide",
    "Help for", "Expand", "Collapse", "Sidebar", "sidebar", "Main menu", "App pages", "Link to heading",
    "Skip to", "Choose", "Select", "Selected", "Remove", "Clear", "Close", "Open", "No results", "Copy",
    "Zoom", "Pan", "Autoscale", "Reset", "Toggle", "Print", "Record", "Made with", "Running", "Rerun",
    "Stop", "Sort ascending", "Sort descending", "Autosize", "Pin column", "Hide column", "icon",
    "Delete", "file upload", "Map", "Please", "Loading", "Connecting", "Add",
)


def _js_config() -> str:
    return json.dumps({"exact": EXACT, "prefixes": PREFIXES, "patterns": PATTERNS}, ensure_ascii=False)


# A JavaScript module prelude for a component: defines `valrummetPage()`, which the component's
# default export calls. Installs itself once per browser tab.
PAGE_JS = """
const VR_SV = %s
function valrummetPage() {
  document.documentElement.lang = "sv"
  if (window.__valrummetPage) return
  window.__valrummetPage = true
  const patterns = VR_SV.patterns.map(([re, to]) => [new RegExp(re), to])
  const skip = '[data-testid="stIconMaterial"], code, pre, script, style, textarea, input'
  const attrs = ["aria-label", "title", "placeholder", "data-title", "alt"]
  const swedish = (value) => {
    const text = value.trim()
    if (!text) return null
    let out = VR_SV.exact[text]
    if (out === undefined) {
      for (const [en, sv] of VR_SV.prefixes) if (text.startsWith(en)) { out = sv + text.slice(en.length); break }
    }
    if (out === undefined) {
      for (const [re, to] of patterns) if (re.test(text)) { out = text.replace(re, to); break }
    }
    return out === undefined ? null : value.replace(text, out)
  }
  const fixElement = (el) => {
    for (const a of attrs) {
      const v = el.getAttribute(a)
      const sv = v && swedish(v)
      if (sv && sv !== v) el.setAttribute(a, sv)
    }
  }
  const fixText = (node) => {
    const sv = swedish(node.nodeValue)
    if (sv && sv !== node.nodeValue && !(node.parentElement && node.parentElement.closest(skip))) node.nodeValue = sv
  }
  const fixTree = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return fixText(root)
    if (root.nodeType !== Node.ELEMENT_NODE) return
    fixElement(root)
    for (const el of root.querySelectorAll("[aria-label],[title],[placeholder],[data-title],[alt]")) fixElement(el)
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) fixText(n)
  }
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "childList") r.addedNodes.forEach(fixTree)
      else if (r.type === "characterData") fixText(r.target)
      else fixElement(r.target)
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true,
                              attributeFilter: attrs })
  fixTree(document.body)

  // The side menu holds the page links on a narrow screen and covers the page there: close it
  // once a page is picked.
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest('[data-testid="stSidebarNav"] a')
    if (!link) return
    setTimeout(() => {
      const bar = document.querySelector('[data-testid="stSidebar"]')
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button')
      if (bar && bar.getAttribute("data-collapsed") === "false" && close) close.click()
    }, 0)
  }, true)
}
""" % _js_config()
