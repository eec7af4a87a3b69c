"""Official result files → tidy district rows, and aggregation to every higher level.

Each reader returns `(totals, votes)` in the shape of `area_totals` / `area_votes`
(docs/data-model.md) at district level; `aggregate` sums them to municipalities, constituencies,
regions, counties and the country. Collection rows ("Förtidsröster ej fördelade efter
valdistrikt", 2018 "Uppsamlingsdistrikt") are kept as districts with `is_collection` and are
included in every sum, as Valmyndigheten does.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SourceFileError
from .sources import read_csv, read_excel, to_int

TOTAL_COLS = [
    "election", "year", "level", "area_code", "area_name", "county_code", "kommunkod",
    "riksdag_valkrets_code", "rf_valkrets_code", "kommunvalkrets_code", "is_collection",
    "eligible", "votes_cast", "valid_votes", "count_status", "source",
]
VOTE_COLS = [
    "election", "year", "level", "area_code", "party", "votes", "votes_min", "votes_max",
    "share_pct", "precision", "source",
]
SCB_PARTIES = ["M", "C", "L", "KD", "MP", "S", "V", "SD", "ÖVR"]
COLLECTION_NAMES = ("Förtidsröster ej fördelade efter valdistrikt", "Uppsamlingsdistrikt")

# SCB table per election: (file, sheet, column renames to our names)
SCB_2022 = {
    "riksdag": ("ri_tab4_2022.xlsx", "RI_tab4"),
    "region": ("re_tab3_2022.xlsx", "RE_tab3"),
    "kommun": ("ko_tab3_2022.xlsx", "KO_tab3"),
}
SCB_COMMON = {
    "Valdistriktskod": "area_code",
    "Valdistriktsnamn": "area_name",
    "Antal röstberättigade": "eligible",
    "Antal röstande": "votes_cast",
    "Antal giltiga valsedlar": "valid_votes",
}


def _finish_district(df: pd.DataFrame, parties: list[str], path: Path, source: str):
    """Split a wide district frame into (totals, votes) with typed columns."""
    for col in ("eligible", "votes_cast", "valid_votes"):
        df[col] = to_int(path, df, col)
    for p in parties:
        df[p] = to_int(path, df, p, allow_missing=True)
    df["level"] = "district"
    df["count_status"] = "final"
    df["source"] = source
    for col in TOTAL_COLS:
        if col not in df.columns:
            df[col] = pd.NA
    if df.duplicated(["election", "year", "area_code"]).any():
        dup = df.loc[df.duplicated(["election", "year", "area_code"], keep=False), "area_code"].iloc[0]
        raise SourceFileError(path, f"valdistriktskoden {dup} förekommer flera gånger")
    totals = df[TOTAL_COLS].copy()
    votes = df.melt(
        id_vars=["election", "year", "level", "area_code", "source"],
        value_vars=parties, var_name="party", value_name="votes",
    )
    # A blank cell means the party did not stand there: no row, rather than an invented 0.
    votes = votes[votes["votes"].notna()].copy()
    return totals, votes


def _collection_codes(df: pd.DataFrame, valkrets_col: str) -> pd.Series:
    """Give collection rows a unique code: LLKK9800, or LLKK98VV when a municipality has
    one per constituency (e.g. Stockholm's six in 2022)."""
    code = df["area_code"].copy()
    coll = df["is_collection"]
    several = coll & df.groupby("kommunkod")["is_collection"].transform("sum").gt(1)
    code[several] = df.loc[several, "kommunkod"] + "98" + df.loc[several, valkrets_col].str.zfill(2)
    return code


def read_scb_2022(raw: Path, election: str):
    """SCB's final 2022 result table per voting district, all of Sweden."""
    fname, sheet = SCB_2022[election]
    path = raw / "scb_valresultat_2022_valdistrikt" / fname
    party_src = [("FP" if election == "kommun" and p == "L" else p) for p in SCB_PARTIES]
    needed = list(SCB_COMMON) + party_src
    if election == "riksdag":
        needed += ["Valkretskod"]
    elif election == "region":
        needed += ["Regionkod", "Kommunkod", "Valkretskod", "Kommun valkretskod", "Kommun valkretsnamn"]
    else:
        needed += ["Länskod", "Kommunkod", "Valkretskod", "Valkretsnamn"]
    df = read_excel(path, sheet, needed).rename(columns=SCB_COMMON)
    if election == "kommun":
        df = df.rename(columns={"FP": "L"})
    df["election"], df["year"] = election, 2022
    if not df["area_code"].str.fullmatch(r"\d{8}").all():
        bad = df.loc[~df["area_code"].str.fullmatch(r"\d{8}"), "area_code"].iloc[0]
        raise SourceFileError(path, f"valdistriktskoder ska ha 8 siffror, hittade '{bad}'")
    df["kommunkod"] = df["area_code"].str[:4]
    df["county_code"] = df["area_code"].str[:2]
    df["is_collection"] = df["area_code"].str.endswith("9800")
    if election == "riksdag":
        df["riksdag_valkrets_code"] = df["Valkretskod"].str.zfill(2)
        # The riksdag table has one collection row per municipal constituency but does not
        # name it; the rows come in constituency order (as in KO_tab3), so number them.
        ordinal = df.groupby(["kommunkod", "is_collection"]).cumcount().add(1).astype(str)
        df["area_code"] = _collection_codes(df.assign(kv=ordinal), "kv")
    elif election == "region":
        df["rf_valkrets_code"] = df["Regionkod"].str.zfill(2) + df["Valkretskod"].str.zfill(2)
        df["kv"] = df["Kommun valkretskod"].str.zfill(2)
        df["kommunvalkrets_code"] = df["kommunkod"] + df["kv"]
        df["area_code"] = _collection_codes(df, "kv")
    else:
        # Collection rows carry constituency code 99; their constituency is named instead.
        kv = df["Valkretskod"].str.zfill(2)
        names = (
            df.loc[kv != "99"].assign(kv=kv)
            .drop_duplicates(["kommunkod", "Valkretsnamn"])
            .set_index(["kommunkod", "Valkretsnamn"])["kv"]
        )
        looked_up = pd.Series(
            [names.get((k, n)) for k, n in zip(df["kommunkod"], df["Valkretsnamn"])], index=df.index
        )
        df["kv"] = kv.where(kv != "99", looked_up)
        if df["kv"].isna().any():
            row = int(df["kv"].isna().idxmax())
            raise SourceFileError(path, f"rad {row + 2}: valkretsen '{df.at[row, 'Valkretsnamn']}' finns inte i kommunen")
        df["kommunvalkrets_code"] = df["kommunkod"] + df["kv"]
        df["area_code"] = _collection_codes(df, "kv")
    return _finish_district(df, SCB_PARTIES, path, f"scb_{election}_2022")


VM_2018 = {"riksdag": ("2018_R_per_valdistrikt.xlsx", "R antal"), "region": ("2018_L_per_valdistrikt.xlsx", "L antal")}


def read_vm_2018(raw: Path, election: str):
    """Valmyndigheten's final 2018 riksdag/region results per voting district, all of Sweden."""
    fname, sheet = VM_2018[election]
    path = raw / "valmyndigheten_2018_valdistrikt" / fname
    base = ["LÄNSKOD", "KOMMUNKOD", "VALKRETSKOD", "VALDISTRIKTSKOD", "VALDISTRIKTSNAMN",
            "RÖSTER GILTIGA", "RÖSTANDE", "RÖSTBERÄTTIGADE", "OGEJ", "V", "ÖVR"]
    df = read_excel(path, sheet, base)
    cols = list(df.columns)
    parties = cols[cols.index("VALDISTRIKTSNAMN") + 1: cols.index("OGEJ")]
    lan, kom, dist = df["LÄNSKOD"].str.zfill(2), df["KOMMUNKOD"].str.zfill(2), df["VALDISTRIKTSKOD"].str.zfill(4)
    out = pd.DataFrame({
        "election": election, "year": 2018,
        "area_code": lan + kom + dist, "area_name": df["VALDISTRIKTSNAMN"],
        "county_code": lan, "kommunkod": lan + kom,
        "is_collection": df["VALDISTRIKTSNAMN"].eq("Uppsamlingsdistrikt"),
        "eligible": df["RÖSTBERÄTTIGADE"], "votes_cast": df["RÖSTANDE"], "valid_votes": df["RÖSTER GILTIGA"],
    })
    vk = df["VALKRETSKOD"].str.zfill(2)
    if election == "riksdag":
        out["riksdag_valkrets_code"] = vk
    else:
        out["rf_valkrets_code"] = lan + vk
    for p in parties:
        out[p] = df[p]
    return _finish_district(out, parties, path, f"valmyndigheten_{election}_2018")


LEVEL_KEYS = {
    "municipality": ("kommunkod", "kommunkod"),
    "kommunvalkrets": ("kommunvalkrets_code", "kommunkod"),
    "rf_valkrets": ("rf_valkrets_code", None),
    "riksdag_valkrets": ("riksdag_valkrets_code", None),
    "region": ("county_code", None),
    "county": ("county_code", None),
}


def aggregate(totals: pd.DataFrame, votes: pd.DataFrame, level: str, names: dict[str, str]):
    """Sum district rows (collection rows included) to `level`."""
    key, kommun_key = LEVEL_KEYS.get(level, (None, None))
    t = totals[totals["level"] == "district"].copy()
    if level == "country":
        t["_key"] = "SE"
    else:
        t["_key"] = t[key]
    t = t[t["_key"].notna()]
    meta = ["election", "year", "count_status", "source"]
    agg = t.groupby(["_key"] + meta, dropna=False).agg(
        county_code=("county_code", "first"),
        kommunkod=("kommunkod", "first"),
        eligible=("eligible", "sum"), votes_cast=("votes_cast", "sum"), valid_votes=("valid_votes", "sum"),
    ).reset_index()
    agg = agg.rename(columns={"_key": "area_code"})
    agg["level"] = level
    agg["area_name"] = agg["area_code"].map(names)
    agg["is_collection"] = False
    if kommun_key is None:
        agg["kommunkod"] = pd.NA
    if level == "country":
        agg["county_code"] = pd.NA
    for col in TOTAL_COLS:
        if col not in agg.columns:
            agg[col] = pd.NA
    v = votes.merge(t[["election", "year", "area_code", "_key"]], on=["election", "year", "area_code"])
    vagg = v.groupby(["election", "year", "_key", "party", "source"], dropna=False)["votes"].sum().reset_index()
    vagg = vagg.rename(columns={"_key": "area_code"})
    vagg["level"] = level
    return agg[TOTAL_COLS], vagg


def finish_votes(votes: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Fill bounds, precision and share (votes / valid votes × 100) for exact counts."""
    v = votes.copy()
    if "precision" not in v.columns:
        v["precision"] = pd.NA
    v["precision"] = v["precision"].fillna("exact")
    for col in ("votes_min", "votes_max"):
        if col not in v.columns:
            v[col] = pd.NA
        v[col] = v[col].astype("Int64").fillna(v["votes"].astype("Int64"))
    valid = totals[["election", "year", "level", "area_code", "valid_votes"]]
    v = v.merge(valid, on=["election", "year", "level", "area_code"], how="left", validate="many_to_one")
    computed = v["votes"].astype("Float64") / v["valid_votes"].astype("Float64") * 100
    if "share_pct" not in v.columns:
        v["share_pct"] = pd.NA
    v["share_pct"] = v["share_pct"].astype("Float64").where(v["precision"] == "share_only", computed)
    return v[VOTE_COLS]


def read_2018_kommun_shares(raw: Path, party_code) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2018 kommun election: party shares per municipality (no counts in any source)."""
    folder = raw / "valmyndigheten_2018_kommun_andelar" / "parties"
    files = sorted(folder.glob("party-result-municipality-*.csv"))
    if len(files) != 290:
        raise SourceFileError(folder, f"förväntade 290 kommunfiler party-result-municipality-*.csv, hittade {len(files)}")
    cols = ["VALTYP", "VALOMRÅDESKOD", "VALOMRÅDESNAMN", "PARTIBETECKNING", "PARTIFÖRKORTNING", "result_2018"]
    frames = [read_csv(f, cols, sep=";") for f in files]
    df = pd.concat(frames, ignore_index=True)
    df = df[df["VALTYP"] == "KF"]
    df = df[df["result_2018"].notna()].copy()
    df["kommunkod"] = df["VALOMRÅDESKOD"].str.zfill(4)
    df["share_pct"] = pd.to_numeric(df["result_2018"], errors="raise")
    df["party"] = [party_code(n, a) for n, a in zip(df["PARTIBETECKNING"], df["PARTIFÖRKORTNING"])]
    totals = df.drop_duplicates("kommunkod")[["kommunkod", "VALOMRÅDESNAMN"]].rename(columns={"VALOMRÅDESNAMN": "area_name"})
    totals = totals.assign(
        election="kommun", year=2018, level="municipality", area_code=totals["kommunkod"],
        county_code=totals["kommunkod"].str[:2], is_collection=False, count_status="final",
        source="oflyt_kf2018_shares",
    )
    for col in TOTAL_COLS:
        if col not in totals.columns:
            totals[col] = pd.NA
    votes = df.assign(
        election="kommun", year=2018, level="municipality", area_code=df["kommunkod"],
        votes=pd.NA, votes_min=pd.NA, votes_max=pd.NA, precision="share_only",
        source="oflyt_kf2018_shares",
    )[VOTE_COLS]
    return totals[TOTAL_COLS], votes
