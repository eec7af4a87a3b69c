"""Meeting mode (`?mote=1`): the page's message as big numbers, one per screen.

For a screen at the front of a room: no navigation or controls, large type, black on white, and
one statement per screen ("Kommunvalet 2022, hela länet: 11,58 %, +1,01 p.e."). The screens are
built from the same cached queries as the page they stand in for, with the page's selections
read from the URL (the labels the bound selectors write there), so a link from the ordinary page
plus `&mote=1` shows that view. `?skarm=N` is the screen; the arrow keys, PageUp/PageDown (a
presenter's clicker) and the buttons step through them. Pages without screens (Om data, the
internal pages, the hand-out) run as they are, in large type.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from . import fmt, swedish
from . import queries as q
from . import state
from .state import ELECTION_DEFINITE, ELECTION_LABEL, ELECTIONS, Key

PARAM = "mote"
SCREEN = "skarm"
PAGES_WITH_SCREENS = ("", "oversikt", "kommuner", "jamfor", "valdistrikt")  # url paths; "" and "oversikt" = Översikt
_ON = {"1", "ja", "true", "on"}


@dataclass(frozen=True)
class Slide:
    """One screen: what it is about, the big value, and the change or comparison."""

    kicker: str  # "Kommunvalet 2018 → 2022 · alla 26 kommuner"
    value: str  # "11,58 %" or a short list of names
    detail: str = ""  # "+1,01 p.e. sedan 2018"
    note: str = ""  # what the area covers, in small print


def active() -> bool:
    return str(st.query_params.get(PARAM, "")).strip().lower() in _ON


# --- building the screens (pure: frames in, slides out) ------------------------------------------


def _arrow(change) -> str:
    if fmt.is_missing(change):
        return ""
    return "▲ " if change > 0 else "▼ " if change < 0 else "● "


def change_text(change, from_year: int) -> str:
    if fmt.is_missing(change):
        return f"förändring sedan {from_year}: {fmt.MISSING}"
    return f"{_arrow(change)}{fmt.pp(change)} sedan {from_year}"


def overview_slides(view: dict[str, pd.DataFrame], party_name: str, a: int, b: int) -> list[Slide]:
    """Översikt: each area's share and change, how many municipalities rose per election, and
    the municipalities that rose (fell) in all three."""
    counts = view["counts"].set_index("election")
    movers = view["movers"]
    order = {"region": ["region:01"], "kommun": ["county:01"], "riksdag": ["county:01", "valkrets:01", "valkrets:02"]}
    slides = []
    for election in ("region", "kommun", "riksdag"):
        sub = view["areas"][view["areas"]["election"] == election].set_index("area")
        for area in order[election]:
            if area not in sub.index:
                continue
            row = sub.loc[area]
            title = str(row["name"])
            prel = "preliminary" in (row.get("count_status_from"), row.get("count_status_to"))
            slides.append(Slide(
                kicker=f"{party_name} · {ELECTION_DEFINITE[election].capitalize()} {b} · {title}",
                value=fmt.pct(row.get("share_to")),
                detail=change_text(row.get("change_pp"), a),
                note=str(row["covers"]) + (" Preliminärt, valnatten." if prel else ""),
            ))
        if election in counts.index:
            c = counts.loc[election]
            n = int(c[["upp", "ned", "oförändrad", "saknas"]].sum())
            prel = int(c.get("preliminärt", 0) or 0)
            slides.append(Slide(
                kicker=f"{party_name} · {ELECTION_DEFINITE[election].capitalize()} {a} → {b} · kommunerna",
                value=f"Upp i {int(c['upp'])} av {n}",
                detail=f"ned i {int(c['ned'])}" + (f", uppgift saknas för {int(c['saknas'])}" if c["saknas"] else ""),
                note="Antal av länets kommuner där andelen ökade respektive minskade."
                + (f" Preliminärt, valnatten: {prel} av {n} kommuner." if prel else ""),
            ))
    for pattern, title in (("upp i alla tre", "Ökade i alla tre valen"), ("ned i alla tre", "Minskade i alla tre valen")):
        rows = movers[movers["pattern"] == pattern]
        names = list(rows["kommun"])
        prel = [e for e in ELECTIONS if f"prel_{e}" in rows and rows[f"prel_{e}"].any()]
        slides.append(Slide(
            kicker=f"{party_name} · {a} → {b} · {title.lower()}",
            value=", ".join(names) if names else "Ingen kommun",
            detail=f"{len(names)} av {len(movers)} kommuner",
            note="Riksdags-, region- och kommunvalet."
            + (" Preliminärt, valnatten: " + ", ".join(ELECTION_DEFINITE[e] for e in prel) + " per kommun."
               if prel and names else ""),
        ))
    return slides


def ranking_slides(df: pd.DataFrame, county: pd.DataFrame, election: str, party_name: str, a: int, b: int,
                   n: int = 3) -> list[Slide]:
    """Kommuner without a marked municipality: the county, the count up/down, top gains and losses."""
    label = ELECTION_DEFINITE[election].capitalize()
    slides = []
    if len(county):
        slides.append(Slide(
            kicker=f"{party_name} · {label} {b} · {state.COUNTY_FULL}",
            value=fmt.pct(county["share_to"].iloc[0]),
            detail=change_text(county["change_pp"].iloc[0], a),
            note="Preliminärt, valnatten." if q.preliminary_mask(county).iloc[0] else "",
        ))
    df = df.assign(_prel=q.preliminary_mask(df))
    prel = int((df["_prel"] & df["change_pp"].notna()).sum())
    up, down = int((df["change_pp"] > 0).sum()), int((df["change_pp"] < 0).sum())
    slides.append(Slide(kicker=f"{party_name} · {label} {a} → {b} · kommunerna", value=f"Upp i {up} av {len(df)}",
                        detail=f"ned i {down}",
                        note=f"Preliminärt, valnatten: {prel} av {len(df)} kommuner." if prel else ""))
    for title, rows in (("störst ökning", df[df["change_pp"] > 0].nlargest(n, "change_pp")),
                        ("störst minskning", df[df["change_pp"] < 0].nsmallest(n, "change_pp"))):
        slides.append(Slide(
            kicker=f"{party_name} · {label} {a} → {b} · {title}",
            value="\n".join(f"{r.kommun} {fmt.pp(r.change_pp)}" for r in rows.itertuples()) or "Ingen kommun",
            note=(f"Preliminärt, valnatten: {int(rows['_prel'].sum())} av {len(rows)}." if rows["_prel"].any() else ""),
        ))
    return slides


def kommun_slides(kommun: str, changes: pd.DataFrame, seats: pd.DataFrame | None, party_name: str,
                  a: int, b: int, elections: Sequence[str] = ELECTIONS) -> list[Slide]:
    """One municipality: its share and change in each election, then its council seats.

    `changes` has one row per election (columns election, share_to, change_pp, and prel: the
    figures rest on a preliminary count); `seats` is the seat_margins row for the municipality
    (or None).
    """
    by = changes.set_index("election")
    slides = []
    for election in elections:
        if election not in by.index:
            continue
        row = by.loc[election]
        slides.append(Slide(
            kicker=f"{party_name} · {kommun} · {ELECTION_DEFINITE[election]} {b}",
            value=fmt.pct(row.get("share_to")),
            detail=change_text(row.get("change_pp"), a),
            note="Preliminärt, valnatten." if bool(row.get("prel", False)) else "",
        ))
    if seats is not None and len(seats):
        s = seats.iloc[0]
        counted = "valnattens preliminära röster" if s.get("count_status") == "preliminary" else "de slutliga rösterna"
        slides.append(Slide(
            kicker=f"{party_name} · {kommun} · kommunfullmäktige {b}",
            value=f"{fmt.integer(s['seats'])} av {fmt.integer(s['council_size'])} mandat",
            detail=(f"{fmt.integer(s['votes_to_next_seat'])} röster till ett mandat till · "
                    f"marginal på sista mandatet {fmt.integer(s['margin_on_last_seat'])} röster"),
            note=f"Beräknat med valsystemets regler (jämkade uddatalsmetoden) på {counted}.",
        ))
    return slides


# --- the URL's selections --------------------------------------------------------------------------


def _election() -> str:
    raw = st.query_params.get(Key.ELECTION)
    code = state.resolve(raw, state.ELECTION_ALIASES) if raw is not None else state.DEFAULT_ELECTION
    if code is None:
        state.dropped_from_link(Key.ELECTION, raw, ELECTION_LABEL[state.DEFAULT_ELECTION])
        return state.DEFAULT_ELECTION
    if raw is not None:
        state.canonical_in_link(Key.ELECTION, ELECTION_LABEL[code])
    return code


def _period() -> tuple[int, int]:
    pairs = q.year_pairs()
    default = state.default_pair(pairs)
    raw = st.query_params.get(Key.PERIOD)
    if raw is None:
        return default
    pair = state.resolve_period(raw, pairs)
    if pair is None:
        state.dropped_from_link(Key.PERIOD, raw, state.period_text(default),
                                state.UNKNOWN if state.period_code(raw) is None else "finns inte i data")
        return default
    state.canonical_in_link(Key.PERIOD, state.period_label(pair))
    return pair


def _party(a: int, b: int) -> str:
    parties = q.parties("alla", a, b)
    _, labels = state.options(parties, "party", "label")
    raw = st.query_params.get(Key.PARTY)
    if raw is None:
        return state.DEFAULT_PARTY
    code = state.resolve_party(raw)
    if code is None or code not in labels:
        state.dropped_from_link(Key.PARTY, raw, labels.get(state.DEFAULT_PARTY, state.DEFAULT_PARTY),
                                state.UNKNOWN if code is None else state.UNAVAILABLE)
        return state.DEFAULT_PARTY
    state.canonical_in_link(Key.PARTY, labels[code])
    return code


def _kommun_codes(values: Sequence[str]) -> list[str]:
    m = q.municipalities()
    aliases = state.kommun_alias_table(m)
    codes = [state.resolve(v, aliases) for v in values]
    return [c for c in codes if c is not None]


def _kommun(default: str | None) -> str | None:
    raw = st.query_params.get(Key.KOMMUN)
    if raw is None:
        return default
    code = state.resolve(raw, state.kommun_alias_table(q.municipalities()))
    if code is None:
        state.dropped_from_link(Key.KOMMUN, raw, _kommun_name(default) if default else "hela länet")
        return default
    state.canonical_in_link(Key.KOMMUN, _kommun_name(code))
    return code


def _kommun_name(code: str) -> str:
    m = q.municipalities()
    return dict(zip(m["kommunkod"], m["kommun"])).get(code, code)


def _kommun_changes(code: str, a: int, b: int, party: str) -> pd.DataFrame:
    rows = []
    for election in ELECTIONS:
        m = q.municipality_change(election, a, b, party)
        hit = m[m["kommunkod"] == code]
        if len(hit):
            rows.append(hit.iloc[0][["share_to", "change_pp"]].to_dict()
                        | {"election": election, "prel": bool(q.preliminary_mask(hit).iloc[0])})
    return pd.DataFrame(rows, columns=["election", "share_to", "change_pp", "prel"])


def _seats(code: str, b: int, party: str) -> pd.DataFrame | None:
    margins = q.seat_margins("kommun", b, party)
    if margins is None or "area" not in margins:
        return None
    return margins[margins["area"] == code]


def slides_for(url_path: str) -> list[Slide] | None:
    """The screens standing in for the page at `url_path` ("" = Översikt), or None."""
    a, b = _period()
    party = _party(a, b)
    party_name = q.party_name(party)
    if url_path in ("", "oversikt"):
        return overview_slides(q.overview_view(a, b, party), party_name, a, b)
    if url_path == "kommuner":
        election = _election()
        code = _kommun(None)
        if code:
            return kommun_slides(_kommun_name(code), _kommun_changes(code, a, b, party), _seats(code, b, party),
                                 party_name, a, b, elections=[election])
        df = q.kommuner_view(election, a, b, party)
        county = q.area_change(election, a, b, party, f"county:{state.COUNTY}")
        return ranking_slides(df, county, election, party_name, a, b)
    if url_path == "valdistrikt":
        code = _kommun(state.DEFAULT_KOMMUN)
        return kommun_slides(_kommun_name(code), _kommun_changes(code, a, b, party), _seats(code, b, party),
                             party_name, a, b)
    if url_path == "jamfor":
        chosen = _kommun_codes(st.query_params.get_all(Key.KOMMUNER)) or q.default_comparison()
        slides = []
        for code in chosen[:8]:
            slides += kommun_slides(_kommun_name(code), _kommun_changes(code, a, b, party), None, party_name, a, b,
                                    elections=["kommun"])
        return slides
    return None


# --- drawing ------------------------------------------------------------------------------------

# Large type for the back of the room: everything in rem grows with the root size; the slide's
# own parts are sized from the viewport. Black on white. Applies only in meeting mode.
_CSS = """
<style>
html { font-size: 22px; }
.st-key-mote_skarm { color: #000; background: #fff; min-height: 70vh; display: flex;
  flex-direction: column; justify-content: center; }
.st-key-mote_skarm p { color: #000; }
.st-key-mote_kicker p { font-size: clamp(1.2rem, 2.6vw, 2.6rem); font-weight: 600; line-height: 1.25; }
.st-key-mote_value p { font-size: clamp(3rem, 11vw, 11rem); font-weight: 800; line-height: 1.05;
  white-space: pre-line; }
.st-key-mote_value_long p { font-size: clamp(2rem, 5.5vw, 5.5rem); }
.st-key-mote_detail p { font-size: clamp(1.5rem, 4vw, 4rem); font-weight: 600; }
.st-key-mote_note p { font-size: clamp(0.9rem, 1.4vw, 1.4rem); color: #222; }
/* The step buttons stay in view at the bottom of the window, however tall the screen's text. */
.st-key-mote_knappar { position: sticky; bottom: 0; z-index: 2; background: #fff; padding: 0.4rem 0; }
.stMainBlockContainer { padding-top: 4.5rem; }
@media (max-width: 640px) {
  html { font-size: 18px; }
  .st-key-mote_skarm { min-height: 0; }
}
</style>
"""


def style() -> None:
    st.html(_CSS)


# Steps through the screens with the keyboard (arrows, PageUp/PageDown as a clicker sends, space);
# also runs the page script (dashboard.swedish), since meeting mode has no "Kopiera länk".
_KEYS = st.components.v2.component(
    "valrummet_mote_tangenter",
    html="""
<span class="vr-keys" aria-hidden="true"></span>
""",
    js=swedish.PAGE_JS + """
export default function (component) {
  const { setTriggerValue } = component
  valrummetPage()
  if (window.__vrMoteKeys) document.removeEventListener("keydown", window.__vrMoteKeys)
  const handler = (e) => {
    const t = e.target
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return
    if (["ArrowRight", "PageDown", " "].includes(e.key)) { e.preventDefault(); setTriggerValue("step", 1) }
    else if (["ArrowLeft", "PageUp"].includes(e.key)) { e.preventDefault(); setTriggerValue("step", -1) }
  }
  window.__vrMoteKeys = handler
  document.addEventListener("keydown", handler)
  return () => document.removeEventListener("keydown", handler)
}
""",
)


def screen_index(n: int) -> int:
    """The current screen (0-based) from ?skarm= (1-based), clamped to 0…n−1."""
    try:
        i = int(st.query_params.get(SCREEN, "1")) - 1
    except ValueError:
        i = 0
    return min(max(i, 0), max(n - 1, 0))


def _go(n: int, step: int) -> Callable[[], None]:
    def move() -> None:
        st.query_params[SCREEN] = str(min(max(screen_index(n) + step, 0), n - 1) + 1)

    return move


def _on_key(n: int) -> None:
    step = getattr(st.session_state.get("mote_tangenter"), "step", None)
    if step in (1, -1):
        _go(n, int(step))()


def enter() -> None:
    """Button callback: switch the current page to meeting mode (the URL keeps the choice)."""
    st.query_params[PARAM] = "1"


def leave() -> None:
    """Button callback: back to the ordinary page, with the selections kept."""
    for key in (PARAM, SCREEN):
        if key in st.query_params:
            del st.query_params[key]


def show(slides: list[Slide]) -> None:
    """Draw the current screen, the step buttons and a way out."""
    n = len(slides)
    i = screen_index(n)
    raw = st.query_params.get(SCREEN)
    if raw is not None and raw != str(i + 1):
        # ?skarm=99 of ten screens shows the tenth: the address says so too, and the viewer is told.
        if raw.strip().lstrip("0") != str(i + 1):
            state.dropped_from_link(SCREEN, raw, f"skärm {i + 1} av {n}", "finns inte")
        state.canonical_in_link(SCREEN, str(i + 1))
    slide = slides[i] if slides else Slide("Inget att visa", fmt.MISSING)
    with st.container(key="mote_skarm"):
        _md(slide.kicker, "mote_kicker")
        _md(slide.value, "mote_value_long" if len(slide.value) > 14 else "mote_value")
        if slide.detail:
            _md(slide.detail, "mote_detail")
        if slide.note:
            _md(slide.note, "mote_note")
    _KEYS(key="mote_tangenter", on_step_change=lambda: _on_key(n), width="content")
    with st.container(horizontal=True, vertical_alignment="center", key="mote_knappar"):
        st.button("Föregående", icon=":material/arrow_back:", on_click=_go(n, -1), disabled=i == 0,
                  key="mote_foregaende")
        st.caption(f"Skärm {i + 1} av {n}")
        st.button("Nästa", icon=":material/arrow_forward:", on_click=_go(n, 1), disabled=i >= n - 1,
                  key="mote_nasta", type="primary")
        st.button("Avsluta mötesläge", icon=":material/close:", on_click=leave, key="mote_avsluta")


def _md(text: str, key: str) -> None:
    # A keyed container gives the CSS a stable class (.st-key-<key>) to size the text by.
    with st.container(key=key):
        st.markdown(_escape(text))


def _escape(text: str) -> str:
    """Plain text in markdown: names and numbers must not turn into markup (lines kept)."""
    return "  \n".join(fmt.md_text(line) for line in text.split("\n"))


def render(page) -> bool:
    """Meeting-mode screens for `page` (from st.navigation); False when it has none."""
    slides = slides_for(page.url_path)
    if slides is None:
        return False
    show(slides)
    return True
