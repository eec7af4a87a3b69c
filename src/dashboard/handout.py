"""The hand-out: one A4 page per municipality to print from the browser (pages/utskrift.py).

Results in all three elections with the change and the county beside them, the municipality's
rank, council seats and margins (seat engine, when available) and – for a logged-in viewer –
the campaign activity from `dashboard.activity`. The frames here are built from the same cached
queries as the pages; the page only lays them out. The print stylesheet hides the selectors and
the app's chrome and sets A4 portrait.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import streamlit as st

from . import cache, fmt
from . import queries as q
from .state import COUNTY, ELECTION_DEFINITE, ELECTION_LABEL, ELECTIONS
from .ui import BUTTON_CSS

# What the printout leaves out and how the page is set. Streamlit's own header holds the top
# navigation and the toolbar; the keyed containers are this page's selectors and app.py's chrome.
PRINT_CSS = """
<style>
@media print {
  @page { size: A4 portrait; margin: 12mm 12mm 12mm 12mm; }
  html, body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  header, .st-key-utskrift_val, .st-key-utskrift_knappar, .st-key-chrome { display: none !important; }
  .stMain, .stMainBlockContainer, .block-container { padding: 0 !important; margin: 0 !important; max-width: none !important; }
  .st-key-utskrift_ark { font-size: 10pt; gap: 0.5rem !important; }
  .st-key-utskrift_ark p, .st-key-utskrift_ark li { font-size: 10pt !important; color: #000 !important; }
  .st-key-utskrift_ark h1 { font-size: 18pt !important; padding: 0 !important; }
  .st-key-utskrift_ark h3 { font-size: 12pt !important; padding: 0.2rem 0 0 0 !important; }
  .st-key-utskrift_ark table { break-inside: avoid; }
  .st-key-utskrift_ark th, .st-key-utskrift_ark td { font-size: 9pt !important; padding: 0.15rem 0.35rem !important; }
  /* Seats beside the campaign activity on paper too (Streamlit stacks columns on paper
     width), and no link that paper cannot follow. */
  .st-key-utskrift_ark [data-testid="stHorizontalBlock"] { display: flex !important; flex-wrap: nowrap !important; gap: 1rem !important; }
  .st-key-utskrift_ark [data-testid="stColumn"] { flex: 1 1 0 !important; min-width: 0 !important; width: auto !important; }
  .st-key-utskrift_ark [data-testid="stPageLink"] { display: none !important; }
}
</style>
"""


def kommun_frame(kommunkod: str, a: int, b: int, party: str) -> pd.DataFrame:
    """The municipality's and the county's rows in all three elections (compare_view)."""
    return q.compare_view((kommunkod,), a, b, party, True)


def rank(df: pd.DataFrame, kommunkod: str) -> tuple[int, int] | None:
    """(place, of) of the municipality by change, largest gain = 1; None without a figure."""
    known = df[df["change_pp"].notna()].sort_values("change_pp", ascending=False).reset_index(drop=True)
    hit = known.index[known["kommunkod"] == kommunkod]
    return (int(hit[0]) + 1, len(known)) if len(hit) else None


def _prel(row: pd.Series | None, side: str | None = None) -> str:
    """" (prel.)" when the row's figure of `side` (None: either year) rests on a preliminary count
    (short: the A4 table has nine columns; the caption says what it means)."""
    if row is None:
        return ""
    sides = (side,) if side else ("from", "to")
    return " (prel.)" if any(row.get(f"count_status_{s}") == "preliminary" for s in sides) else ""


def results_table(view: pd.DataFrame, ranks: dict[str, tuple[int, int] | None], kommunkod: str,
                  a: int, b: int, rank_prel: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per election, Swedish text cells: shares, change, votes, turnout, rank, county.
    A row whose municipal figures rest on a preliminary count says so in its first cell
    ("Regionval (prel.)"), as does a rank among municipalities of which some are preliminary
    (`rank_prel`: how many, per election). Marks stay out of the number cells: the A4 table has
    nine columns, and the caption says what "(prel.)" means."""
    rank_prel = rank_prel or {}
    rows = []
    for election in ELECTIONS:
        here = view[(view["election"] == election) & (view["kommunkod"] == kommunkod)]
        county = view[(view["election"] == election) & (view["kommunkod"] == COUNTY)]
        r = here.iloc[0] if len(here) else None
        c = county.iloc[0] if len(county) else None
        place = ranks.get(election)
        n_prel = rank_prel.get(election, 0)
        rows.append({
            "Val": ELECTION_LABEL[election] + _prel(r),
            f"Andel {a}": r["share_from_txt"] if r is not None else fmt.MISSING,
            f"Andel {b}": r["share_to_txt"] if r is not None else fmt.MISSING,
            "Förändring": r["change_pp_txt"] if r is not None else fmt.MISSING,
            f"Röster {b}": r["votes_to_txt"] if r is not None else fmt.MISSING,
            f"Valdeltagande {b}": r["turnout_to_txt"] if r is not None else fmt.MISSING,
            "Plats i länet (förändring)": (
                f"{place[0]} av {place[1]}" + (" (prel.)" if n_prel else "") if place else fmt.MISSING
            ),
            f"Hela länet {b}": c["share_to_txt"] + _prel(c, "to") if c is not None else fmt.MISSING,
            "Hela länet, förändring": c["change_pp_txt"] + _prel(c) if c is not None else fmt.MISSING,
        })
    return pd.DataFrame(rows)


def _seat_line(body: str, row: pd.Series | None, b: int) -> str:
    if row is None or fmt.is_missing(row.get("seats")):
        return f"{body} {b}: {fmt.MISSING}."
    text = f"{body} {b}: **{fmt.integer(row['seats'])} av {fmt.integer(row['council_size'])} mandat**."
    if not fmt.is_missing(row.get("votes_to_next_seat")):
        text += f" {fmt.integer(row['votes_to_next_seat'])} röster till ett mandat till"
        if not fmt.is_missing(row.get("margin_on_last_seat")):
            text += f"; sista mandatet vanns med {fmt.integer(row['margin_on_last_seat'])} rösters marginal"
        text += "."
    return text


def seat_lines(view: pd.DataFrame, kommunkod: str, b: int) -> list[str]:
    """Council seats and margins: the municipal council, and the region council (whole county)."""
    if "seats" not in view:
        return []
    kommun = view[(view["election"] == "kommun") & (view["kommunkod"] == kommunkod)]
    region = view[(view["election"] == "region") & (view["kommunkod"] == COUNTY)]
    return [
        _seat_line("Kommunfullmäktige", kommun.iloc[0] if len(kommun) else None, b),
        _seat_line("Regionfullmäktige (hela länet)", region.iloc[0] if len(region) else None, b),
    ]


def seat_count_status(kommunkod: str, b: int, party: str) -> str | None:
    """'final' / 'preliminary' of the votes the seats of `b` were computed from (the municipal
    council's and the region's; preliminary if either is), None without seat margins."""
    statuses = []
    for election, area in (("kommun", kommunkod), ("region", COUNTY)):
        margins = q.seat_margins(election, b, party)
        if margins is not None and "count_status" in margins:
            statuses += list(margins.loc[margins["area"] == area, "count_status"])
    if not statuses:
        return None
    return "preliminary" if "preliminary" in statuses else "final"


@cache.resource(max_entries=256)
def sheet(kommunkod: str, a: int, b: int, party: str) -> dict:
    """The public part of the sheet, built once per choice: {"results": results_table(...),
    "seats": seat_lines(...), "seat_status": seat_count_status(...), "rank_note": what "(prel.)"
    means and how many municipalities of each ranking rest on a preliminary count} (the pandas
    work behind them is ~30 ms; reruns reuse it)."""
    view = kommun_frame(kommunkod, a, b, party)
    changes = {e: q.municipality_change(e, a, b, party) for e in ELECTIONS}
    ranks = {e: rank(df, kommunkod) for e, df in changes.items()}
    rank_prel = {e: int((q.preliminary_mask(df) & df["change_pp"].notna()).sum()) for e, df in changes.items()}
    prel = q.preliminary_mask(view[view["kommunkod"] == kommunkod]).any()
    ranked = [f"{ELECTION_DEFINITE[e]} {n} av {len(changes[e])} kommuner" for e in ELECTIONS if (n := rank_prel[e])]
    rank_note = ("(prel.) = valnattens preliminära räkning" + (f" (i {', '.join(ranked)})" if ranked else "")
                 + "; gäller kommunens siffror och platsen i länet.") if ranked or prel else ""
    results = results_table(view, ranks, kommunkod, a, b, rank_prel)
    return {"results": results, "results_shown": results_by_measure(results), "seats": seat_lines(view, kommunkod, b),
            "seat_status": seat_count_status(kommunkod, b, party), "rank_note": rank_note}


def results_by_measure(results: pd.DataFrame) -> pd.DataFrame:
    """results_table turned on its side, as the sheet shows it: a row per measure, a column per
    election. Four columns fit a phone's width (390 px) and the A4 page alike; nine did not."""
    out = results.set_index("Val").T.map(_unbroken)
    out.index.name = None
    out.columns.name = None
    return out


_INSIDE_FIGURE = re.compile(r"(?<=\d) (?=\d{3}(?!\d)|%|p\.e\.)")


def _unbroken(text: str) -> str:
    """A figure that never breaks over two lines on a phone: "9,85 %", "+1,31 p.e.", "85 059"
    with no-break spaces ("2 av 26 (prel.)" still may)."""
    return _INSIDE_FIGURE.sub("\u00a0", text) if isinstance(text, str) else text


def _value(frame: pd.DataFrame, kommunkod: str, column: str):
    hit = frame.loc[frame["kommunkod"] == kommunkod, column] if column in frame else pd.Series(dtype="float64")
    return hit.iloc[0] if len(hit) else None


def activity_table(kommunkod: str, year: int, eligible: pd.DataFrame, kommuner: pd.DataFrame) -> pd.DataFrame:
    """The campaign `year` in the municipality: newspapers, cabins, doors, calls, activists.

    Only for a logged-in viewer (the caller checks): reads `dashboard.activity`. Missing figures
    are "uppgift saknas", never 0.
    """
    from . import activity
    from . import activity_analysis as aa

    def campaign(typ: str) -> pd.DataFrame:
        return aa.for_campaign(activity.current(typ), year)

    news = aa.newspapers_per_voter(campaign("tidningar"), eligible, kommuner)
    per = aa.activity_per_kommun(campaign("dorrknackning"), campaign("ringstugor"), campaign("aktivister"),
                                 eligible, kommuner)
    cabins = campaign("valstugor")
    n_cabins = int((cabins["kommunkod"] == kommunkod).sum()) if len(cabins) else None
    rows = [
        ("Tidningsexemplar", fmt.integer(_value(news, kommunkod, "copies"))),
        ("Exemplar per röstberättigad", fmt.number(_value(news, kommunkod, "per_voter"), 2)),
        ("Valstugor", fmt.integer(n_cabins) if n_cabins else fmt.MISSING),
        ("Knackade dörrar", fmt.integer(_value(per, kommunkod, "doors"))),
        ("Samtal vid dörren", fmt.integer(_value(per, kommunkod, "door_talks"))),
        ("Ringsamtal", fmt.integer(_value(per, kommunkod, "calls"))),
        ("Aktiva medlemmar", fmt.integer(_value(per, kommunkod, "activists"))),
    ]
    return pd.DataFrame(rows, columns=["Aktivitet", f"Valrörelsen {year}"])


def activity_notice() -> str | None:
    from . import activity

    return activity.notice()


def selections_text(kommun: str, party_name: str, a: int, b: int, logged_in: bool,
                    today: dt.date | None = None) -> str:
    """The line printed under the title: the selections, the data date, the print date."""
    today = today or dt.date.today()
    who = "med interna uppgifter" if logged_in else "offentliga uppgifter"
    return (f"Urval: kommun {kommun} · parti {party_name} · jämförelse {a} → {b} · {who}  \n"
            f"Data byggd {q.data_date()} · utskriven {today.isoformat()} · Valrummet, V Storstockholm")


# A print button (the browser's own print dialog; Ctrl+P does the same), styled as st.button.
_PRINT = st.components.v2.component(
    "valrummet_skriv_ut",
    html="""
<button type="button" class="vr-btn">Skriv ut (A4)</button>
""",
    css=BUTTON_CSS + """
.vr-btn { --vr-icon: "print"; }
""",
    js="""
export default function (component) {
  const btn = component.parentElement.querySelector(".vr-btn")
  if (btn) btn.onclick = () => window.print()
}
""",
)


def print_button() -> None:
    _PRINT(key="skriv_ut", width="content")
