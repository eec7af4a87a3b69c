"""The hand-out: one A4 page per municipality to print from the browser (pages/utskrift.py).

Results in all three elections with the change and the county beside them, the municipality's
rank, council seats and margins (seat engine, when available) and – for a logged-in viewer –
the campaign activity from `dashboard.activity`. The frames here are built from the same cached
queries as the pages; the page only lays them out. The print stylesheet hides the selectors and
the app's chrome and sets A4 portrait.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from . import cache, fmt
from . import queries as q
from .state import COUNTY, ELECTION_LABEL, ELECTIONS

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


def results_table(view: pd.DataFrame, ranks: dict[str, tuple[int, int] | None], kommunkod: str,
                  a: int, b: int) -> pd.DataFrame:
    """One row per election, Swedish text cells: shares, change, votes, turnout, rank, county."""
    rows = []
    for election in ELECTIONS:
        here = view[(view["election"] == election) & (view["kommunkod"] == kommunkod)]
        county = view[(view["election"] == election) & (view["kommunkod"] == COUNTY)]
        r = here.iloc[0] if len(here) else None
        c = county.iloc[0] if len(county) else None
        place = ranks.get(election)
        rows.append({
            "Val": ELECTION_LABEL[election],
            f"Andel {a}": r["share_from_txt"] if r is not None else fmt.MISSING,
            f"Andel {b}": r["share_to_txt"] if r is not None else fmt.MISSING,
            "Förändring": r["change_pp_txt"] if r is not None else fmt.MISSING,
            f"Röster {b}": r["votes_to_txt"] if r is not None else fmt.MISSING,
            f"Valdeltagande {b}": r["turnout_to_txt"] if r is not None else fmt.MISSING,
            "Plats i länet (förändring)": f"{place[0]} av {place[1]}" if place else fmt.MISSING,
            f"Länet {b}": c["share_to_txt"] if c is not None else fmt.MISSING,
            "Länet förändring": c["change_pp_txt"] if c is not None else fmt.MISSING,
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


@cache.resource(max_entries=256)
def sheet(kommunkod: str, a: int, b: int, party: str) -> dict:
    """The public part of the sheet, built once per choice: {"results": results_table(...),
    "seats": seat_lines(...)} (the pandas work behind them is ~30 ms; reruns reuse it)."""
    view = kommun_frame(kommunkod, a, b, party)
    ranks = {e: rank(q.municipality_change(e, a, b, party), kommunkod) for e in ELECTIONS}
    return {"results": results_table(view, ranks, kommunkod, a, b), "seats": seat_lines(view, kommunkod, b)}


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


# A print button (the browser's own print dialog; Ctrl+P does the same).
_PRINT = st.components.v2.component(
    "valrummet_skriv_ut",
    html="""
<button type="button" class="vr-print">Skriv ut (A4)</button>
""",
    css="""
.vr-print {
  font: inherit; cursor: pointer; padding: 0.25rem 0.75rem;
  color: var(--st-text-color); background: var(--st-background-color);
  border: 1px solid var(--st-border-color); border-radius: var(--st-button-radius);
}
.vr-print:hover, .vr-print:focus-visible { border-color: var(--st-primary-color); color: var(--st-primary-color); }
""",
    js="""
export default function (component) {
  const btn = component.parentElement.querySelector(".vr-print")
  if (btn) btn.onclick = () => window.print()
}
""",
)


def print_button() -> None:
    _PRINT(key="skriv_ut", width="content")
