"""The priority scorecard (issue 5): explicit criteria, adjustable weights, reasons per row.

The criteria, their thresholds and default weights live in a versioned file
(`src/dashboard/config/priority_criteria.toml`); what each *measure* means is defined here in
MEASURES. A unit is a party association when an association file is loaded, else a
municipality. Pure functions, no Streamlit: the page passes the frames in.

Scoring, so anyone at the table can check it:
* per criterion, a unit's score is its place among the units with a value, from 0 (worst) to
  1 (best) (average rank for ties; direction "lower" reverses the order);
* the total is the weighted mean of the scores of the criteria with a value, 0–100; a missing
  value leaves the criterion out for that unit (it does not count as 0);
* a criterion is *met* when the value passes the threshold in the file ("<= 0.5").
"""
from __future__ import annotations

import math
import operator
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import fmt
from .errors import ValrummetError

CRITERIA_FILE = Path(__file__).resolve().parent / "config" / "priority_criteria.toml"
MAX_WEIGHT = 10

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_MEETS_RE = re.compile(r"^\s*(<=|>=|<|>)\s*(-?\d+(?:[.,]\d+)?)\s*$")


@dataclass(frozen=True)
class Measure:
    label: str  # what the value is, with its unit (table header)
    decimals: int
    unit: str  # after the number in text ("%", " p.e.", " per 1000 invånare")
    signed: bool = False


MEASURES: dict[str, Measure] = {
    "votes_to_next_seat_pct": Measure("Röster till nästa mandat (% av röstberättigade)", 2, " %"),
    "margin_on_last_seat_pct": Measure("Marginal för sista mandatet (% av röstberättigade)", 2, " %"),
    "change_pp": Measure("Förändring (p.e.)", 2, " p.e.", signed=True),
    "share_vs_peers_pp": Measure("Andel mot liknande kommuner (p.e.)", 2, " p.e.", signed=True),
    "rentals_per_1000": Measure("Hyresrätter per 1000 invånare", 0, " per 1000 invånare"),
    "activists_per_10k": Measure("Aktivister per 10 000 röstberättigade", 1, " per 10 000 röstberättigade"),
    "cabins_per_10k": Measure("Valstugor per 10 000 röstberättigade", 2, " per 10 000 röstberättigade"),
}


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    measure: str
    direction: str  # "higher" | "lower"
    weight: float
    op: str
    threshold: float
    why: str

    @property
    def param(self) -> str:
        """URL parameter of this criterion's weight."""
        return f"w_{self.key}"

    def meets(self, value) -> bool | None:
        if fmt.is_missing(value):
            return None
        return bool(_OPS[self.op](float(value), self.threshold))

    def threshold_text(self) -> str:
        m = MEASURES[self.measure]
        sym = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}[self.op]
        return f"{sym} {fmt.number(self.threshold, _decimals(self.threshold, m.decimals))}{m.unit}"


def _decimals(x: float, at_least: int) -> int:
    text = f"{x:g}"
    return max(at_least if "." in text else 0, len(text.split(".")[1]) if "." in text else 0)


@dataclass(frozen=True)
class Criteria:
    version: str
    title: str
    seat_election: str
    peer_count: int
    items: tuple[Criterion, ...]
    path: Path

    def defaults(self) -> dict[str, float]:
        return {c.key: c.weight for c in self.items}


def load_criteria(path: Path | None = None) -> Criteria:
    """Read and check the criteria file; errors name the file and the criterion."""
    path = Path(path or CRITERIA_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValrummetError(f"Kriteriefilen {path} saknas.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValrummetError(f"Kriteriefilen {path} går inte att läsa: {exc}.") from None
    for field in ("version", "criterion"):
        if field not in raw:
            raise ValrummetError(f"Kriteriefilen {path}: fältet '{field}' saknas.")
    items, seen = [], set()
    for i, c in enumerate(raw["criterion"], start=1):
        where = f"Kriteriefilen {path}, kriterium {i} ({c.get('key', '?')})"
        missing = [f for f in ("key", "label", "measure", "direction", "weight", "meets") if f not in c]
        if missing:
            raise ValrummetError(f"{where}: fältet {', '.join(repr(m) for m in missing)} saknas.")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,20}", c["key"]) or c["key"] in seen:
            raise ValrummetError(f"{where}: 'key' ska vara unik, små bokstäver a–z, siffror eller _.")
        seen.add(c["key"])
        if c["measure"] not in MEASURES:
            raise ValrummetError(f"{where}: okänt mått '{c['measure']}'. Kända: {', '.join(MEASURES)}.")
        if c["direction"] not in ("higher", "lower"):
            raise ValrummetError(f"{where}: 'direction' ska vara \"higher\" eller \"lower\", inte '{c['direction']}'.")
        w = c["weight"]
        if not isinstance(w, (int, float)) or not 0 <= w <= MAX_WEIGHT:
            raise ValrummetError(f"{where}: 'weight' ska vara ett tal från 0 till {MAX_WEIGHT}, inte '{w}'.")
        m = _MEETS_RE.match(str(c["meets"]))
        if not m:
            raise ValrummetError(f"{where}: 'meets' ska vara t.ex. \"<= 0.5\" eller \"> 0\", inte '{c['meets']}'.")
        items.append(Criterion(c["key"], c["label"], c["measure"], c["direction"], float(w), m.group(1),
                               float(m.group(2).replace(",", ".")), c.get("why", "")))
    return Criteria(str(raw["version"]), raw.get("title", "Prioriteringskriterier"),
                    raw.get("seat_election", "kommun"), int(raw.get("peer_count", 5)), tuple(items), path)


# --- inputs per unit ---------------------------------------------------------------------------


def _rate(num, den, scale: float) -> float:
    if fmt.is_missing(num) or fmt.is_missing(den) or float(den) <= 0:
        return math.nan
    return float(num) / float(den) * scale


def peers(kommuner: pd.DataFrame, share: pd.Series, n: int) -> pd.DataFrame:
    """For each municipality, the `n` others closest in population (log scale) that have a
    share, and their mean share. Columns kommunkod, peer_share, peer_names."""
    k = kommuner[["kommunkod", "kommun", "population"]].copy()
    k["share"] = k["kommunkod"].map(share).astype("float64")
    logpop = np.log(pd.to_numeric(k["population"], errors="coerce").astype("float64"))
    rows = []
    for i, r in k.iterrows():
        others = k[(k.index != i) & k["share"].notna() & logpop.notna()]
        if not np.isfinite(logpop[i]) or others.empty:
            rows.append((r.kommunkod, math.nan, ""))
            continue
        near = others.assign(_d=(logpop[others.index] - logpop[i]).abs()).sort_values(["_d", "kommunkod"]).head(n)
        rows.append((r.kommunkod, float(near["share"].mean()), ", ".join(near["kommun"])))
    return pd.DataFrame(rows, columns=["kommunkod", "peer_share", "peer_names"])


def municipal_inputs(
    kommuner: pd.DataFrame,
    change: pd.DataFrame,
    eligible: pd.DataFrame,
    seats: pd.DataFrame | None,
    rentals: pd.DataFrame,
    activists: pd.DataFrame,
    cabins: pd.DataFrame,
    peer_count: int = 5,
) -> pd.DataFrame:
    """One row per municipality with the raw inputs of every measure.

    `kommuner`: kommunkod, kommun, population; `change`: municipality_change of the chosen
    election; `eligible`: kommunkod, eligible (kommun election of the later year); `seats`:
    seat_margins (or None); activity frames already restricted to the campaign.
    """
    out = kommuner[["kommunkod", "kommun", "population"]].copy()
    out = out.merge(eligible[["kommunkod", "eligible"]], on="kommunkod", how="left")
    out["council_eligible"] = out["eligible"]
    out = out.merge(change[["kommunkod", "share_to", "change_pp"]], on="kommunkod", how="left")
    out["share_kommun"] = out["share_to"]
    out["scope"] = "kommunen"
    if seats is not None and len(seats):
        s = seats[["area", "seats", "votes_to_next_seat", "margin_on_last_seat"]].rename(columns={"area": "kommunkod"})
        out = out.merge(s, on="kommunkod", how="left")
    else:
        out = out.assign(seats=pd.NA, votes_to_next_seat=pd.NA, margin_on_last_seat=pd.NA)
    out = out.merge(peers(kommuner, change.set_index("kommunkod")["share_to"], peer_count), on="kommunkod", how="left")
    r = rentals.dropna(subset=["hyresrätter_per_1000"])
    if "år" in r.columns:  # the latest year per municipality (unknown years last)
        r = r.sort_values("år", na_position="first")
    out["rentals_per_1000"] = out["kommunkod"].map(r.groupby("kommunkod")["hyresrätter_per_1000"].last())
    out["activists"] = out["kommunkod"].map(activists.groupby("kommunkod")["aktiva"].sum(min_count=1))
    out["cabins"] = out["kommunkod"].map(cabins.groupby("kommunkod").size())
    out["unit_id"] = out["kommunkod"]
    out["unit"] = out["kommun"]
    return out


def _match(values: pd.Series, ids: set[str]) -> pd.Series:
    norm = values.astype("string").str.strip().str.lower()
    return norm.isin(ids).fillna(False)


def association_inputs(
    associations: pd.DataFrame,
    municipal: pd.DataFrame,
    activists: pd.DataFrame,
    cabins: pd.DataFrame,
    districts: pd.DataFrame | None = None,
    cabin_district: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per association: its own figures where the files allow, else its municipality's.

    `districts`: county_district_change of the chosen election (votes/valid per district and
    eligible); when an association lists its voting districts, its share, change and electorate
    are summed over them. `cabin_district`: the district of each cabin (same index as `cabins`),
    to count cabins per association where a municipality has several. Council-level measures
    (seats, comparison with similar municipalities, rentals) are the municipality's.
    """
    muni = municipal.set_index("kommunkod")
    per_kommun = associations.groupby("kommunkod").size()
    rows = []
    for a in associations.itertuples(index=False):
        k = a.kommunkod
        m = muni.loc[k] if k in muni.index else None
        alone = per_kommun.get(k, 0) == 1
        codes = [c for c in str(a.valdistrikt or "").split() if c] if not fmt.is_missing(a.valdistrikt) else []
        row = {c: (m[c] if m is not None else pd.NA) for c in municipal.columns if c != "kommunkod"}
        row.update(kommunkod=k, unit_id=a.förening_id, unit=a.förening, scope="kommunen")
        if not alone:
            row.update(eligible=pd.NA, share_to=pd.NA, change_pp=pd.NA, activists=pd.NA, cabins=pd.NA,
                       scope="ingen uppgift för föreningens område")
        if codes and districts is not None and len(districts):
            d = districts[districts["district_code"].isin(codes)]
            vt, valt = d["votes_to"].sum(min_count=1), d["valid_to"].sum(min_count=1)
            row["eligible"] = d["eligible"].sum(min_count=1)
            row["share_to"] = _rate(vt, valt, 100)
            cmp = d[d["comparable"].fillna(False)]
            if len(cmp):
                row["change_pp"] = _rate(cmp["votes_to"].sum(), cmp["valid_to"].sum(), 100) - _rate(
                    cmp["votes_from"].sum(), cmp["valid_from"].sum(), 100)
            elif alone:
                row["change_pp"] = m["change_pp"] if m is not None else pd.NA
            row["scope"] = f"föreningens {len(codes)} valdistrikt"
        ids = {str(a.förening_id).strip().lower(), str(a.förening).strip().lower()}
        own = activists[_match(activists["förening"], ids)] if "förening" in activists else activists.iloc[0:0]
        if len(own):
            row["activists"] = own["aktiva"].sum(min_count=1)
        if not alone and codes and cabin_district is not None:
            here = cabins[cabins["kommunkod"] == k]
            if len(here) and cabin_district.reindex(here.index).notna().all():
                row["cabins"] = int(cabin_district.reindex(here.index).isin(codes).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def measure_values(inputs: pd.DataFrame) -> pd.DataFrame:
    """The value of every measure per unit (NaN where unknown)."""
    f = lambda c: pd.to_numeric(inputs[c], errors="coerce").astype("float64")  # noqa: E731
    seats = f("seats")
    out = pd.DataFrame(index=inputs.index)
    out["votes_to_next_seat_pct"] = f("votes_to_next_seat") / f("council_eligible").where(lambda s: s > 0) * 100
    out["margin_on_last_seat_pct"] = (f("margin_on_last_seat") / f("council_eligible").where(lambda s: s > 0) * 100).where(seats > 0)
    out["change_pp"] = f("change_pp")
    out["share_vs_peers_pp"] = f("share_kommun") - f("peer_share")
    out["rentals_per_1000"] = f("rentals_per_1000")
    out["activists_per_10k"] = f("activists") / f("eligible").where(lambda s: s > 0) * 10_000
    out["cabins_per_10k"] = f("cabins") / f("eligible").where(lambda s: s > 0) * 10_000
    return out


# --- the reasons in words --------------------------------------------------------------------------


def _value_text(measure: str, value) -> str:
    m = MEASURES[measure]
    return fmt.number(value, m.decimals, sign=m.signed) + m.unit


def why_text(measure: str, row: pd.Series, value, context: dict) -> str:
    """One sentence: the value and what it is made of (Swedish)."""
    if measure == "votes_to_next_seat_pct":
        if fmt.is_missing(row.get("votes_to_next_seat")):
            return f"uppgift saknas (ingen mandatberäkning för {context.get('seat_text', 'valet')})"
        return (f"{fmt.integer(row['votes_to_next_seat'])} röster till ett mandat till = "
                f"{_value_text(measure, value)} av de röstberättigade i kommunen")
    if measure == "margin_on_last_seat_pct":
        if not fmt.is_missing(row.get("seats")) and int(row["seats"]) == 0:
            return "inga mandat att försvara"
        if fmt.is_missing(row.get("margin_on_last_seat")):
            return f"uppgift saknas (ingen mandatberäkning för {context.get('seat_text', 'valet')})"
        return (f"{fmt.integer(row['margin_on_last_seat'])} röster kan förloras utan att förlora något av "
                f"{fmt.integer(row['seats'])} mandat = {_value_text(measure, value)} av de röstberättigade")
    if measure == "change_pp":
        if fmt.is_missing(value):
            return f"uppgift saknas ({context.get('change_text', '')})".replace(" ()", "")
        return f"{fmt.pp(value)} {context.get('change_text', '')} ({row.get('scope', 'kommunen')})".strip()
    if measure == "share_vs_peers_pp":
        if fmt.is_missing(value):
            return "uppgift saknas"
        return (f"{fmt.pct(row['share_kommun'])} mot i snitt {fmt.pct(row['peer_share'])} i de kommuner som liknar "
                f"mest i folkmängd ({row['peer_names']})")
    if measure == "rentals_per_1000":
        return "uppgift saknas" if fmt.is_missing(value) else _value_text(measure, value)
    if measure in ("activists_per_10k", "cabins_per_10k"):
        raw, noun = ("activists", "aktiva") if measure == "activists_per_10k" else ("cabins", "valstugor")
        if fmt.is_missing(row.get(raw)):
            return "uppgift saknas"
        if fmt.is_missing(value):
            return f"{fmt.integer(row[raw])} {noun} (antalet röstberättigade i området saknas)"
        return f"{fmt.integer(row[raw])} {noun} = {_value_text(measure, value)}"
    return _value_text(measure, value)


# --- the scorecard ------------------------------------------------------------------------------------


def _scores(values: pd.Series, direction: str) -> pd.Series:
    """Place among the known values: 0 (worst) … 1 (best); one known value scores 0,5."""
    known = values.notna()
    n = int(known.sum())
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    if n == 0:
        return out
    if n == 1:
        out[known] = 0.5
        return out
    ranks = values[known].rank(method="average", ascending=(direction == "higher"))
    out[known] = (ranks - 1) / (n - 1)
    return out


def scorecard(inputs: pd.DataFrame, criteria: Criteria, weights: dict[str, float] | None = None,
              context: dict | None = None, missing_as_zero: bool = False) -> pd.DataFrame:
    """Scores, met criteria and reasons per unit, ranked (1 = highest total).

    A criterion without a value is left out of a unit's weighted mean; with `missing_as_zero`
    it counts instead with score 0 (a stricter reading that favours units with full data).

    Columns per criterion key k: value_k, score_k, meets_k (True/False/NA), why_k. Overall:
    total (0–100, NA when no criterion has a value), rank, n_known, n_meets, meets_text,
    reasons (one line per criterion), plus the input columns.
    """
    weights = {**criteria.defaults(), **(weights or {})}
    context = context or {}
    values = measure_values(inputs)
    out = inputs.reset_index(drop=True).copy()
    values = values.reset_index(drop=True)
    num = pd.Series(0.0, index=out.index)
    den = pd.Series(0.0, index=out.index)
    n_known = pd.Series(0, index=out.index)
    n_meets = pd.Series(0, index=out.index)
    met_labels: list[list[str]] = [[] for _ in range(len(out))]
    reasons: list[list[str]] = [[] for _ in range(len(out))]
    for c in criteria.items:
        v = values[c.measure]
        s = _scores(v, c.direction)
        w = float(weights.get(c.key, c.weight))
        meets = [c.meets(x) for x in v]  # True / False / None (no value)
        out[f"value_{c.key}"] = v
        out[f"score_{c.key}"] = s
        out[f"meets_{c.key}"] = pd.array(meets, dtype="boolean")
        out[f"why_{c.key}"] = [why_text(c.measure, out.loc[i], v[i], context) for i in out.index]
        known = v.notna()
        n_known += known.astype(int)
        counted = pd.Series(True, index=out.index) if missing_as_zero else known
        n_meets += pd.Series([m is True for m in meets], index=out.index).astype(int)
        if w > 0:
            num += (s.fillna(0) * w).where(counted, 0)
            den += pd.Series(w, index=out.index).where(counted, 0)
        for i in out.index:
            mark = "✓" if meets[i] is True else "✗" if meets[i] is False else "–"
            reasons[i].append(f"{mark} {c.label}: {out.at[i, f'why_{c.key}']} (gräns {c.threshold_text()})")
            if meets[i] is True:
                met_labels[i].append(c.label)
    out["total"] = (num / den.where(den > 0) * 100).astype("float64")
    out["n_known"] = n_known
    out["n_meets"] = n_meets
    out["n_criteria"] = len(criteria.items)
    out["meets_text"] = [", ".join(m) if m else "inga" for m in met_labels]
    out["reasons"] = ["\n".join(r) for r in reasons]
    out = out.sort_values(["total", "unit"], ascending=[False, True], na_position="last").reset_index(drop=True)
    out["rank"] = pd.array(np.where(out["total"].notna(), np.arange(1, len(out) + 1), np.nan), dtype="Int64")
    return out


def compare_with_list(card: pd.DataFrame, listed: pd.DataFrame, by_association: bool) -> tuple[pd.DataFrame, int]:
    """Mark units on the district's own priority list and where the two rankings disagree.

    `listed`: priority_associations() rows (kommunkod, förening). With association units a row
    naming an association matches that association; a row without one matches every
    association of its municipality. The computed "top" is as long as the district's list.
    Returns the card with `on_list` (bool) and `disagreement` (text or NA), and the list length.
    """
    out = card.copy()
    if by_association and "förening" in listed.columns:
        named = listed[listed["förening"].notna()]
        ids = {str(x).strip().lower() for x in named["förening"]}
        whole = set(listed.loc[listed["förening"].isna(), "kommunkod"])
        on = _match(out["unit_id"], ids) | _match(out["unit"], ids) | out["kommunkod"].isin(whole)
    else:
        on = out["kommunkod"].isin(set(listed["kommunkod"]))
    out["on_list"] = on.astype(bool)
    n = int(out["on_list"].sum())
    text = pd.Series(pd.NA, index=out.index, dtype="string")
    if n:
        rank = out["rank"]
        top = rank.notna() & (rank <= n)
        text[out["on_list"] & ~top] = [
            f"på distriktets lista, men beräknad plats {fmt.integer(r) if not fmt.is_missing(r) else fmt.MISSING}"
            for r in rank[out["on_list"] & ~top]
        ]
        text[~out["on_list"] & top] = [f"beräknad plats {fmt.integer(r)} (bland de {n} högsta), men inte på distriktets lista"
                                      for r in rank[~out["on_list"] & top]]
    out["disagreement"] = text
    return out, n
