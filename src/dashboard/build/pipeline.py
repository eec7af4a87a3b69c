"""The build: official files in `shared/data/raw` (+ derived county counts) → `data/`.

Everything is built into a temporary folder and checked first; only a complete, consistent
build replaces the files in `data/`, so a missing or malformed raw file leaves `data/` as it was.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .. import pandas_default_strings
from ..errors import SourceFileError
from . import found_2026 as F
from . import results as R
from .sources import read_csv, read_json, require_file, sha256, slug

RIKSDAG_PARTIES = ["S", "M", "SD", "C", "V", "KD", "L", "MP"]

SOURCE_INFO = {
    "scb_valresultat_2022_valdistrikt": (
        "SCB, slutligt valresultat 2022 per valdistrikt (RI_tab4, RE_tab3, KO_tab3), via github.com/sidebo/valresultat",
        "Officiell statistik (SCB). Repot anger ingen licens.",
    ),
    "valmyndigheten_2018_valdistrikt": (
        "Valmyndigheten, röstfördelning per valdistrikt, riksdagsvalet och landstingsvalen 2018 (slutligt), via github.com/sidebo/valresultat",
        "Offentlig handling (Valmyndigheten). Repot anger ingen licens.",
    ),
    "valmyndigheten_2018_kommun_andelar": (
        "Valmyndigheten 2018_K_per_kommun (andelar per parti och kommun), beräknade av github.com/oflyt/val-2022-visualisering",
        "CC BY-NC-SA 4.0 (ange källa, icke-kommersiellt, dela lika).",
    ),
    "party_votes_stockholm": (
        "Härledda röstetal för alla partier i Stockholms län (KF 2022, RF 2022, KF 2018), återvunna ur officiella andelar "
        "och låsta av SCB:s summor (shared/data/raw/PROVENANCE.md §12); ±1-intervall behålls som intervall",
        "Härlett ur offentliga data (valvaka-2026: MIT; oflyt: CC BY-NC-SA 4.0).",
    ),
    "bippen_polisim_riksdag2026_valkrets": (
        "Valmyndigheten, riksdagsvalet 2026 slutligt per riksdagsvalkrets (RD_NN_S.json), via github.com/Bippen/PoliSim. "
        "Används för de 27 valkretsarna och 20 länen utanför Stockholms län; för valkrets 01 och 02, Stockholms län och "
        "riket används kisabaka-kopian (samma siffror, kontrolleras vid varje bygge, men den specificerar småpartierna)",
        "Offentliga data (Valmyndigheten), tredjepartskopia; ingen licensfil.",
    ),
    "scb_mandat_2022": (
        "SCB/Valmyndigheten, mandatfördelning 2022 (Kfmandat, Ltledamoter; lokala partier ur Mandatfördelning 2018–2022), via github.com/poyansandnell/Valkompassen",
        "Offentlig statistik; repot anger ingen licens.",
    ),
    "scb_kommundata_panel": (
        "SCB folkmängd 31 dec per kommun (panel municip_data), via github.com/mattiasnordin/Regression",
        "Offentlig statistik (SCB); repot anger ingen licens.",
    ),
    "geo": (
        "Kommungränser (okfse/sweden-geojson; oflyt/val-2022-visualisering från SCB:s digitala gränser) och "
        "Valmyndighetens valdistriktsgeografi 2022 för Stockholms län (hemphen/Val2022)",
        "okfse: fri användning; oflyt: CC BY-NC-SA 4.0; hemphen/Val2022: MIT.",
    ),
}


def region_name(county_name: str) -> str:
    """'Stockholms län' → 'Region Stockholm' (the council area of the county)."""
    base = county_name.removesuffix(" län")
    if county_name.endswith("s län") and not base.endswith("ss"):
        base = base[:-1]
    return f"Region {base}"


# ---------------------------------------------------------------- parties

class PartyCodes:
    """One code per party across sources: the riksdag parties by letter, others by their
    registered abbreviation when it is unambiguous, else by name."""

    MAIN_BY_NAME = {
        "arbetarepartiet-socialdemokraterna": "S", "moderaterna": "M", "sverigedemokraterna": "SD",
        "centerpartiet": "C", "vansterpartiet": "V", "kristdemokraterna": "KD",
        "liberalerna": "L", "liberalerna-tidigare-folkpartiet": "L", "miljopartiet-de-grona": "MP",
    }

    def __init__(self, names_abbrevs: pd.DataFrame):
        df = names_abbrevs.dropna(subset=["name"]).copy()
        df["abbrev"] = df["abbrev"].fillna("").str.strip()
        df["key"] = df["name"].map(slug)
        df = df.drop_duplicates(["key", "abbrev"])
        with_abbrev = df[df["abbrev"] != ""]
        names_per_abbrev = with_abbrev.groupby("abbrev")["key"].nunique()
        self._by_key: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._colours: dict[str, str] = {}
        self._reserved: set[str] = set()
        for row in df.itertuples():
            code = self.MAIN_BY_NAME.get(row.key)
            if code is None:
                if row.abbrev and names_per_abbrev.get(row.abbrev, 0) == 1 and row.abbrev not in RIKSDAG_PARTIES:
                    code = row.abbrev
                else:
                    code = row.name
            self._by_key.setdefault(row.key, code)
            self._names.setdefault(code, row.name)
            colour = getattr(row, "colour", None)
            if isinstance(colour, str) and colour.startswith("#"):
                self._colours.setdefault(code, colour)

    def code(self, name: str, abbrev: str | None = None) -> str:
        key = slug(name)
        if key in self.MAIN_BY_NAME:
            return self.MAIN_BY_NAME[key]
        if key in self._by_key:
            return self._by_key[key]
        code = (abbrev or "").strip() or name
        self._by_key[key] = code
        self._names.setdefault(code, name)
        return code

    def codes(self) -> set[str]:
        """Every code given out or reserved so far."""
        return set(self._names) | set(self._by_key.values()) | self._reserved

    def reserve(self, used: set[str]) -> None:
        """Codes already in the tables without a name here (e.g. the 2018 district files'
        column headers): a new party must not get one of them by accident."""
        self._reserved |= set(used)

    def match(self, name: str | None, abbrev: str | None = None, partikod: str | None = None) -> str:
        """The code of a party named in a later source (2026), consistent with the earlier ones.

        1. The same name (case, accents and punctuation ignored) as a known party: its code.
           Also the name with its abbreviation in parentheses ('NY REFORM' (NR) = 'NY REFORM (NR)').
        2. The abbreviation is already a code (case ignored; a party of the party lists before a
           bare column header) and the source gives no name, or one name's words contain the
           other's ('Volt' = 'Volt Sverige', 'SKP KOMMUNISTERNA' = 'SKP'): that code.
        3. Otherwise a new party: its abbreviation, else its name, else `P<partikod>` – the first
           that is not a code yet (case ignored). An abbreviation taken by a party of another
           name is never reused ('Mälaröpartiet' (Ö) is not assumed to be 2022's 'Öpartiet' (Ö)).
        """
        abbrev = (abbrev or "").strip()
        if name:
            key = slug(name)
            if key in self.MAIN_BY_NAME:
                return self.MAIN_BY_NAME[key]
            if key in self._by_key:
                return self._by_key[key]
            if abbrev and slug(f"{name} ({abbrev})") in self._by_key:
                code = self._by_key[slug(f"{name} ({abbrev})")]
                self._by_key[key] = code
                return code
        known = self.codes()
        if not name and not abbrev and partikod and self._names.get(f"P{partikod}", "").startswith("Partikod "):
            return f"P{partikod}"  # the same unnamed party again
        if abbrev:
            mine = set(slug(name).split("-")) if name else set()
            same = sorted((c for c in known if c.casefold() == abbrev.casefold()),
                          key=lambda c: (c not in self._names, c != abbrev, c))
            for code in same:
                other = set(slug(self._names.get(code, code)).split("-"))
                if not name or mine <= other or other <= mine:
                    if name:
                        self._by_key[slug(name)] = code
                    return code
        taken = {c.casefold() for c in known}
        for candidate in (abbrev if abbrev != (name or "") else "", name or "", f"P{partikod}" if partikod else ""):
            if candidate and candidate.casefold() not in taken:
                break
        else:
            raise ValueError(f"no free party code for {name!r} ({abbrev!r}, partikod {partikod!r})")
        self._names[candidate] = name or abbrev or f"Partikod {partikod} (namnet saknas i källan)"
        if name:
            self._by_key[slug(name)] = candidate
        return candidate

    def table(self, used: set[str]) -> pd.DataFrame:
        rows = []
        for code in sorted(used):
            kind = "riksdag" if code in RIKSDAG_PARTIES else "bucket" if code == "ÖVR" else "other"
            name = "Övriga partier" if code == "ÖVR" else self._names.get(code, code)
            rows.append({"party": code, "name": name, "colour": self._colours.get(code), "kind": kind})
        return pd.DataFrame(rows)


def _party_names(raw: Path) -> pd.DataFrame:
    folder = raw / "valmyndigheten_2018_kommun_andelar" / "parties"
    frames = []
    for f in sorted(folder.glob("party-result-*.csv")):
        df = read_csv(f, ["PARTIBETECKNING", "PARTIFÖRKORTNING", "color"], sep=";")
        frames.append(df.rename(columns={"PARTIBETECKNING": "name", "PARTIFÖRKORTNING": "abbrev", "color": "colour"}))
    if not frames:
        raise SourceFileError(folder, "inga party-result-*.csv hittades")
    return pd.concat(frames, ignore_index=True)[["name", "abbrev", "colour"]]


# ---------------------------------------------------------------- derived county counts

def _derived_votes(path: Path, election: str, levels: dict[str, str], codes: PartyCodes):
    cols = ["level", "kommunkod", "area_code", "area_name", "party", "scb_column", "votes",
            "votes_min", "votes_max", "status", "area_valid_votes"]
    df = read_csv(path, cols)
    unknown = set(df["level"]) - set(levels)
    if unknown:
        raise SourceFileError(path, f"okänd nivå i kolumnen 'level': {', '.join(sorted(unknown))}")
    df["level"] = df["level"].map(levels)
    df["party"] = [s if isinstance(s, str) and s else codes.code(p) for s, p in zip(df["scb_column"], df["party"])]
    for c in ("votes", "votes_min", "votes_max", "area_valid_votes"):
        df[c] = pd.to_numeric(df[c]).astype("Int64")
    df["precision"] = df["status"].map({"SCB": "exact", "exact": "exact", "range": "range"})
    if df["precision"].isna().any():
        raise SourceFileError(path, "kolumnen 'status' ska vara SCB, exact eller range")
    df = df.assign(election=election, year=2022, source="party_votes_stockholm")
    return df


def _replace_county_parties(totals, votes, derived: pd.DataFrame, path: Path):
    """Swap SCB's parties+ÖVR for the itemised counts where the derived file has the area;
    the valid votes must agree with SCB's exactly."""
    keys = derived[["election", "year", "level", "area_code", "area_valid_votes"]].drop_duplicates()
    check = keys.merge(totals, on=["election", "year", "level", "area_code"], how="left")
    bad = check[check["valid_votes"].astype("Int64") != check["area_valid_votes"]]
    if len(bad):
        r = bad.iloc[0]
        raise SourceFileError(path, f"giltiga röster för {r['level']} {r['area_code']} är {r['area_valid_votes']}, SCB har {r['valid_votes']}")
    k = keys[["election", "year", "level", "area_code"]].assign(_drop=True)
    votes = votes.merge(k, how="left", on=["election", "year", "level", "area_code"])
    votes = votes[votes["_drop"].isna()].drop(columns="_drop")
    add = derived[["election", "year", "level", "area_code", "party", "votes", "votes_min", "votes_max", "precision", "source"]]
    return pd.concat([votes, add], ignore_index=True)


def _sum_to_county(totals, votes, election, year, county="01", from_level="municipality"):
    """County row as the sum of its municipality rows (bounds summed, range if any part is)."""
    t = totals[(totals.election == election) & (totals.year == year) & (totals.level == from_level) & (totals.county_code == county)]
    v = votes.merge(t[["election", "year", "level", "area_code"]], on=["election", "year", "level", "area_code"])
    for c in ("votes_min", "votes_max"):
        v[c] = (v[c] if c in v.columns else pd.Series(pd.NA, index=v.index)).astype("Int64").fillna(v["votes"].astype("Int64"))
    v["precision"] = (v["precision"] if "precision" in v.columns else pd.Series(pd.NA, index=v.index)).fillna("exact")
    agg = v.groupby("party").agg(votes=("votes", lambda s: s.sum() if s.notna().all() else pd.NA),
                                 votes_min=("votes_min", "sum"), votes_max=("votes_max", "sum"),
                                 rng=("precision", lambda s: (s == "range").any())).reset_index()
    agg["precision"] = agg["rng"].map({True: "range", False: "exact"})
    agg = agg.drop(columns="rng").assign(election=election, year=year, level="county", area_code=county, source=t["source"].iloc[0])
    agg.loc[agg["precision"] == "range", "votes"] = pd.NA
    row = {
        "election": election, "year": year, "level": "county", "area_code": county,
        "county_code": county, "is_collection": False, "count_status": t["count_status"].iloc[0], "source": t["source"].iloc[0],
    }
    for c in ("eligible", "votes_cast", "valid_votes"):
        row[c] = t[c].sum() if t[c].notna().all() else pd.NA
    return row, agg


# ---------------------------------------------------------------- 2026 riksdag per constituency

def _riksdag_2026(raw: Path, valkrets_codes: dict[str, str], valkrets_county: dict[str, str]):
    path = raw / "bippen_polisim_riksdag2026_valkrets" / "valkrets_votes_2026.csv"
    cols = ["valkrets", "valid", "eligible", "cast"] + RIKSDAG_PARTIES
    df = read_csv(path, cols, sep=";", comment="#")
    df["code"] = df["valkrets"].map(valkrets_codes)
    if df["code"].isna().any():
        raise SourceFileError(path, f"okänd riksdagsvalkrets '{df.loc[df['code'].isna(), 'valkrets'].iloc[0]}'")
    if len(df) != 29:
        raise SourceFileError(path, f"förväntade 29 riksdagsvalkretsar, hittade {len(df)}")
    for c in ["valid", "eligible", "cast"] + RIKSDAG_PARTIES:
        df[c] = pd.to_numeric(df[c], errors="raise").astype("Int64")
    df["ÖVR"] = df["valid"] - df[RIKSDAG_PARTIES].sum(axis=1)
    if (df["ÖVR"] < 0).any():
        raise SourceFileError(path, "partiernas röster överstiger antalet giltiga röster")
    src = "bippen_rd2026_valkrets"
    totals = pd.DataFrame({
        "election": "riksdag", "year": 2026, "level": "riksdag_valkrets", "area_code": df["code"],
        "area_name": df["valkrets"], "county_code": df["code"].map(valkrets_county), "is_collection": False,
        "eligible": df["eligible"], "votes_cast": df["cast"], "valid_votes": df["valid"],
        "count_status": "final", "source": src,
    })
    votes = df.melt(id_vars=["code"], value_vars=RIKSDAG_PARTIES + ["ÖVR"], var_name="party", value_name="votes")
    votes = votes.rename(columns={"code": "area_code"}).assign(election="riksdag", year=2026, level="riksdag_valkrets", source=src)
    return totals, votes


# ---------------------------------------------------------------- seats, population

def _seats_official(raw: Path, codes: PartyCodes, kommun_names: pd.DataFrame, county_names: dict[str, str]) -> pd.DataFrame:
    mpath = raw / "scb_mandat_2022" / "mandates.json"
    lpath = raw / "scb_mandat_2022" / "localParties.json"
    mand, local = read_json(mpath), read_json(lpath)
    try:
        party_names = {p["id"]: p["name"] for p in local["parties"]}
    except (KeyError, TypeError) as exc:
        raise SourceFileError(lpath, "förväntade 'parties' med id och name") from exc
    # kommun slugs: the name; when two names slug alike (Håbo 0305, Habo 0643) the later
    # code gets the county added, as the source does ('habo-jonkopings-lan').
    kslug: dict[str, str] = {}
    for r in kommun_names.sort_values("kommunkod").itertuples():
        s = slug(r.kommun)
        if s in kslug:
            s = slug(f"{r.kommun} {county_names[r.county_code]}")
        kslug[s] = r.kommunkod
    rslug: dict[str, str] = {}
    # Two regions go by names other than their county's; the rest match the county name.
    by_name = {n: c for c, n in county_names.items()}
    for alias, county in (("sormland", "Södermanlands län"), ("jamtland-harjedalen", "Jämtlands län")):
        if county in by_name:
            rslug[alias] = by_name[county]
    for code, name in county_names.items():
        base = name.replace(" län", "")
        for cand in (slug(name), slug(base), slug(base[:-1]) if base.endswith("s") else None):
            if cand:
                rslug.setdefault(cand, code)
    rows = []
    for election, table in (("kommun", "kommun"), ("region", "region")):
        for key, seats in mand.get(table, {}).items():
            if election == "kommun":
                area = kslug.get(key)
            else:
                area = rslug.get(key) or next((c for s, c in rslug.items() if key.startswith(s)), None)
                if key == "gotland":
                    continue  # Gotland's council is its KF; no regional election
            if area is None:
                if not any(seats.values()):
                    continue  # an empty placeholder entry ('bara': all zeros)
                raise SourceFileError(mpath, f"okänt område '{key}' under '{table}'")
            for party, n in seats.items():
                rows.append({"election": election, "year": 2022, "area_code": area, "party": party, "seats": int(n)})
            for lp in local.get(table, {}).get(key, []):
                name = party_names.get(lp["partyId"], lp["partyId"])
                rows.append({"election": election, "year": 2022, "area_code": area, "party": codes.code(name), "seats": int(lp["seats"])})
    df = pd.DataFrame(rows)
    n_kommun = df[df.election == "kommun"].area_code.nunique()
    if n_kommun != 290:
        raise SourceFileError(mpath, f"förväntade mandat för 290 kommuner, hittade {n_kommun}")
    df = df.groupby(["election", "year", "area_code", "party"], as_index=False)["seats"].sum()
    names = dict(zip(kommun_names.kommunkod, kommun_names.kommun))
    df["area_name"] = [names.get(a) if e == "kommun" else region_name(county_names.get(a, a)) for e, a in zip(df.election, df.area_code)]
    df["year"] = df["year"].astype("int16")
    return df[["election", "year", "area_code", "area_name", "party", "seats"]].sort_values(["election", "area_code", "party"]).reset_index(drop=True)


def _population(raw: Path) -> pd.DataFrame:
    path = raw / "scb_kommundata_panel" / "municip_data.csv"
    df = read_csv(path, ["municip_code", "municip_name", "county_code", "year", "pop"])
    out = pd.DataFrame({
        "kommunkod": df["municip_code"].str.zfill(4), "kommun": df["municip_name"],
        "county_code": df["county_code"].str.zfill(2), "year": pd.to_numeric(df["year"]).astype("int16"),
        "population": pd.to_numeric(df["pop"]).astype("Int64"),
    })
    return out.sort_values(["year", "kommunkod"]).reset_index(drop=True)


# ---------------------------------------------------------------- orchestration

def _typed(totals: pd.DataFrame, votes: pd.DataFrame):
    totals = totals.copy()
    totals["year"] = totals["year"].astype("int16")
    for c in ("eligible", "votes_cast", "valid_votes"):
        totals[c] = pd.to_numeric(totals[c]).astype("Int64")
    totals["is_collection"] = totals["is_collection"].astype(bool)
    for c in ("election", "level", "area_code", "area_name", "county_code", "kommunkod", "riksdag_valkrets_code",
              "rf_valkrets_code", "kommunvalkrets_code", "count_status", "source"):
        totals[c] = totals[c].astype("string")
    votes = votes.copy()
    votes["year"] = votes["year"].astype("int16")
    for c in ("votes", "votes_min", "votes_max"):
        votes[c] = pd.to_numeric(votes[c]).astype("Int64")
    votes["share_pct"] = votes["share_pct"].astype("Float64")
    for c in ("election", "level", "area_code", "party", "precision", "source"):
        votes[c] = votes[c].astype("string")
    order = {"country": 0, "county": 1, "region": 2, "riksdag_valkrets": 3, "rf_valkrets": 4, "municipality": 5, "kommunvalkrets": 6, "district": 7}
    totals = totals.sort_values(["election", "year", "level", "area_code"], key=lambda s: s.map(order) if s.name == "level" else s).reset_index(drop=True)
    votes = votes.sort_values(["election", "year", "level", "area_code", "party"], key=lambda s: s.map(order) if s.name == "level" else s).reset_index(drop=True)
    return totals, votes


def build_tables(raw: Path, derived: Path) -> dict[str, pd.DataFrame]:
    """Read every source and return the tidy tables (nothing written)."""
    codes = PartyCodes(_party_names(raw))
    all_t, all_v = [], []
    district_sets = []
    for election in ("riksdag", "region", "kommun"):
        district_sets.append(R.read_scb_2022(raw, election))
    for election in ("riksdag", "region"):
        district_sets.append(R.read_vm_2018(raw, election))
    # names for aggregate areas, taken from the 2022 tables
    ri22, re22, ko22 = district_sets[0][0], district_sets[1][0], district_sets[2][0]
    kommun_names = _kommun_names(raw)
    missing = set(ko22.kommunkod) - set(kommun_names.kommunkod)
    if missing:
        raise SourceFileError(raw / "scb_kommundata_panel" / "municip_data22.csv", f"kommunkoder saknas: {sorted(missing)[:5]}")
    county_names = _county_names(raw)
    valkrets_names = _riksdag_valkrets_names(raw)
    names = {
        "municipality": dict(zip(kommun_names.kommunkod, kommun_names.kommun)),
        "county": county_names, "region": {k: region_name(v) for k, v in county_names.items()},
        "riksdag_valkrets": valkrets_names, "country": {"SE": "Sverige"},
        "rf_valkrets": _rf_valkrets_names(raw), "kommunvalkrets": _kommunvalkrets_names(raw),
    }
    levels_by_election = {
        "riksdag": ["municipality", "riksdag_valkrets", "county", "country"],
        "region": ["municipality", "rf_valkrets", "region", "county", "country"],
        "kommun": ["municipality", "kommunvalkrets", "county", "country"],
    }
    for t, v in district_sets:
        election = t["election"].iloc[0]
        all_t.append(t), all_v.append(v)
        for level in levels_by_election[election]:
            if level == "kommunvalkrets" and t["kommunvalkrets_code"].isna().all():
                continue
            at, av = R.aggregate(t, v, level, names.get(level, {}))
            all_t.append(at), all_v.append(av)
    totals = pd.concat(all_t, ignore_index=True)
    votes = pd.concat(all_v, ignore_index=True)

    # Stockholm County: every party itemised (kommun 2022, region 2022)
    dpath = derived / "kf2022_votes_per_party_kommun_valkrets_stockholms_lan.csv"
    kf = _derived_votes(dpath, "kommun", {"kommun": "municipality", "kommunvalkrets": "kommunvalkrets"}, codes)
    votes = _replace_county_parties(totals, votes, kf, dpath)
    rpath = derived / "rf2022_votes_per_party_kommun_valkrets_region_stockholm.csv"
    rf = _derived_votes(rpath, "region", {"kommun": "municipality", "rf_valkrets": "rf_valkrets", "region": "region"}, codes)
    votes = _replace_county_parties(totals, votes, rf, rpath)
    rf_county = rf[rf.level == "region"].assign(level="county")
    votes = _replace_county_parties(totals, votes, rf_county, rpath)
    row, agg = _sum_to_county(totals, votes, "kommun", 2022)
    votes = votes[~((votes.election == "kommun") & (votes.year == 2022) & (votes.level == "county") & (votes.area_code == "01"))]
    votes = pd.concat([votes, agg], ignore_index=True)

    # 2018 kommun: shares for all of Sweden; counts for the county (derived)
    kt, kv = R.read_2018_kommun_shares(raw, codes.code)
    kt18, kv18 = _kommun_2018_counts(derived, codes)
    kv = kv[~kv.area_code.isin(kt18.area_code)]
    kt = pd.concat([kt[~kt.area_code.isin(kt18.area_code)], kt18], ignore_index=True)
    kt["area_name"] = kt["area_code"].map(names["municipality"]).fillna(kt["area_name"])
    totals = pd.concat([totals, kt], ignore_index=True)
    votes = pd.concat([votes, kv, kv18], ignore_index=True)
    row18, agg18 = _sum_to_county(totals, votes, "kommun", 2018)
    row18["area_name"] = county_names["01"]
    totals = pd.concat([totals, pd.DataFrame([row18])], ignore_index=True)
    votes = pd.concat([votes, agg18], ignore_index=True)

    # 2026 riksdag per constituency
    vk_county = ri22[~ri22.is_collection].drop_duplicates("riksdag_valkrets_code").set_index("riksdag_valkrets_code")["county_code"].to_dict()
    t26, v26 = _riksdag_2026(raw, {v: k for k, v in valkrets_names.items()}, vk_county)
    totals = pd.concat([totals, t26], ignore_index=True)
    votes = pd.concat([votes, v26], ignore_index=True)
    for level, keyfun in (("county", lambda t: t["county_code"]), ("country", lambda t: "SE")):
        t = t26.copy()
        t["_k"] = keyfun(t)
        agg_t = t.groupby("_k").agg(eligible=("eligible", "sum"), votes_cast=("votes_cast", "sum"), valid_votes=("valid_votes", "sum")).reset_index()
        agg_t = agg_t.rename(columns={"_k": "area_code"}).assign(
            election="riksdag", year=2026, level=level, is_collection=False, count_status="final", source="bippen_rd2026_valkrets")
        agg_t["county_code"] = agg_t["area_code"] if level == "county" else pd.NA
        agg_t["area_name"] = agg_t["area_code"].map(county_names if level == "county" else {"SE": "Sverige"})
        vv = v26.merge(t[["area_code", "_k"]], on="area_code").groupby(["_k", "party"])["votes"].sum().reset_index()
        vv = vv.rename(columns={"_k": "area_code"}).assign(election="riksdag", year=2026, level=level, source="bippen_rd2026_valkrets")
        totals = pd.concat([totals, agg_t], ignore_index=True)
        votes = pd.concat([votes, vv], ignore_index=True)

    # Official seats 2022 before the 2026 parties are coded, so the 2022 codes do not depend
    # on the 2026 files.
    seats = _seats_official(raw, codes, kommun_names, county_names)

    # 2026 in Stockholm County: every level the found_2026 copies hold (build/found_2026.py)
    codes.reserve(set(votes["party"]) | set(seats["party"]))
    county_kommuner = kommun_names[kommun_names.county_code == "01"]
    found = F.read_found_2026(
        raw, codes, dict(zip(county_kommuner.kommunkod, county_kommuner.kommun)), county_names["01"],
        names["region"]["01"], re22[re22.county_code == "01"], names["rf_valkrets"])
    rd = found.totals.election.eq("riksdag") & ~found.totals.level.eq("district")
    rd_keys = found.totals.loc[rd, ["election", "year", "level", "area_code"]]
    totals, votes = F.replace_overlap(totals, votes, found.totals[rd], found.votes.merge(rd_keys), raw)
    totals = pd.concat([totals, found.totals[~rd]], ignore_index=True)
    votes = pd.concat([votes, found.votes.merge(found.totals.loc[~rd, ["election", "year", "level", "area_code"]])],
                      ignore_index=True)
    seats = pd.concat([seats, found.seats], ignore_index=True)

    for col in R.TOTAL_COLS:
        if col not in totals.columns:
            totals[col] = pd.NA
    totals = totals[R.TOTAL_COLS]
    votes = R.finish_votes(votes, totals)
    totals, votes = _typed(totals, votes)

    elections = (
        totals.groupby(["election", "year", "count_status"]).agg(levels=("level", lambda s: ",".join(sorted(set(s)))),
                                                                 source=("source", lambda s: ",".join(sorted(set(s))))).reset_index()
    )
    elections["year"] = elections["year"].astype("int16")
    pop = _population(raw)
    seats["year"] = seats["year"].astype("int16")
    seats = seats.sort_values(["election", "year", "area_code", "party"]).reset_index(drop=True)
    parties = codes.table(set(votes["party"]) | set(seats["party"]))
    return {
        "area_totals": totals, "area_votes": votes, "elections": elections,
        "population": pop, "seats_official": seats, "parties": parties,
        "councils": _typed_councils(found.councils), "area_notes": _typed_notes(found.notes),
        "turnout": _typed_turnout(found.turnout),
    }


def _typed_councils(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["year"] = out["year"].astype("int16")
    for c in ("council_size", "adjustment_seats", "fixed_seats"):
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    out["threshold_pct"] = pd.to_numeric(out["threshold_pct"]).astype("Float64")
    for c in ("election", "level", "area_code", "council_code", "area_name", "source"):
        out[c] = out[c].astype("string")
    return out.sort_values(["election", "year", "council_code", "level", "area_code"]).reset_index(drop=True)


def _typed_notes(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["year"] = out["year"].astype("int16")
    for c in ("election", "level", "area_code", "kind", "note"):
        out[c] = out[c].astype("string")
    return out.sort_values(["election", "year", "level", "area_code"]).reset_index(drop=True)


def _typed_turnout(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["year"] = out["year"].astype("int16")
    for c in ("eligible", "votes_cast"):
        out[c] = out[c].astype("Int64")
    out["turnout_pct"] = out["turnout_pct"].astype("Float64")
    for c in ("election", "level", "area_code", "area_name", "count_status", "source"):
        out[c] = out[c].astype("string")
    order = {"country": 0, "county": 1, "region": 2, "municipality": 3}
    return out.sort_values(["election", "year", "level", "area_code"],
                           key=lambda s: s.map(order) if s.name == "level" else s).reset_index(drop=True)


def _kommun_names(raw: Path) -> pd.DataFrame:
    """Municipality names from SCB's panel (current names: the 2022 result table still says
    'Malung' for Malung-Sälen)."""
    path = raw / "scb_kommundata_panel" / "municip_data22.csv"
    df = read_csv(path, ["municip_code", "municip_name", "county_code"])
    return pd.DataFrame({"kommunkod": df["municip_code"].str.zfill(4), "kommun": df["municip_name"],
                         "county_code": df["county_code"].str.zfill(2)})


def _county_names(raw: Path) -> dict[str, str]:
    df = R.read_excel(raw / "scb_valresultat_2022_valdistrikt" / "ko_tab3_2022.xlsx", "KO_tab3", ["Länskod", "Länsnamn"])
    return dict(df.drop_duplicates("Länskod")[["Länskod", "Länsnamn"]].values)


def _riksdag_valkrets_names(raw: Path) -> dict[str, str]:
    df = R.read_excel(raw / "scb_valresultat_2022_valdistrikt" / "ri_tab4_2022.xlsx", "RI_tab4", ["Valkretskod", "Valkretsnamn"])
    return dict(df.drop_duplicates("Valkretskod")[["Valkretskod", "Valkretsnamn"]].values)


def _rf_valkrets_names(raw: Path) -> dict[str, str]:
    df = R.read_excel(raw / "scb_valresultat_2022_valdistrikt" / "re_tab3_2022.xlsx", "RE_tab3", ["Regionkod", "Valkretskod", "Valkretsnamn"])
    df = df.drop_duplicates(["Regionkod", "Valkretskod"])
    return {r + v: n for r, v, n in df[["Regionkod", "Valkretskod", "Valkretsnamn"]].values}


def _kommunvalkrets_names(raw: Path) -> dict[str, str]:
    df = R.read_excel(raw / "scb_valresultat_2022_valdistrikt" / "ko_tab3_2022.xlsx", "KO_tab3", ["Kommunkod", "Valkretskod", "Valkretsnamn"])
    df = df[df["Valkretskod"] != "99"].drop_duplicates(["Kommunkod", "Valkretskod"])
    return {k + v.zfill(2): n for k, v, n in df[["Kommunkod", "Valkretskod", "Valkretsnamn"]].values}


def _kommun_2018_counts(derived: Path, codes: PartyCodes):
    path = derived / "kf2018_votes_per_party_kommun_stockholms_lan.csv"
    df = read_csv(path, ["kommunkod", "kommunnamn", "party", "party_abbrev", "votes", "kommun_valid_votes"])
    df["votes"] = pd.to_numeric(df["votes"]).astype("Int64")
    valid = df[df.party == "__valid_votes__"][["kommunkod", "kommunnamn", "votes"]].rename(columns={"votes": "valid_votes"})
    if len(valid) != 26:
        raise SourceFileError(path, f"förväntade '__valid_votes__' för 26 kommuner, hittade {len(valid)}")
    src = "party_votes_stockholm"
    totals = valid.assign(election="kommun", year=2018, level="municipality", area_code=valid.kommunkod,
                          area_name=valid.kommunnamn, county_code="01", is_collection=False,
                          eligible=pd.NA, votes_cast=pd.NA, count_status="final", source=src)
    parties = df[df.party != "__valid_votes__"].copy()
    parties["party"] = [
        "ÖVR" if p == "__parties_not_listed_by_oflyt__" else codes.code(p, a)
        for p, a in zip(parties["party"], parties["party_abbrev"])
    ]
    votes = parties.assign(election="kommun", year=2018, level="municipality", area_code=parties.kommunkod, source=src)
    votes = votes[["election", "year", "level", "area_code", "party", "votes", "source"]]
    sums = votes.groupby("area_code")["votes"].sum()
    check = valid.set_index("kommunkod")["valid_votes"]
    if not (sums.reindex(check.index) == check).all():
        raise SourceFileError(path, "partiernas röster summerar inte till __valid_votes__")
    return totals, votes


def source_list(raw: Path, derived: Path, extra: list[dict] | None = None) -> list[dict]:
    files = {
        "scb_valresultat_2022_valdistrikt": ["ri_tab4_2022.xlsx", "re_tab3_2022.xlsx", "ko_tab3_2022.xlsx"],
        "valmyndigheten_2018_valdistrikt": ["2018_R_per_valdistrikt.xlsx", "2018_L_per_valdistrikt.xlsx"],
        "bippen_polisim_riksdag2026_valkrets": ["valkrets_votes_2026.csv"],
        "scb_mandat_2022": ["mandates.json", "localParties.json"],
        "scb_kommundata_panel": ["municip_data.csv"],
    }
    out = []
    for sid, names in files.items():
        for n in names:
            p = raw / sid / n
            out.append({"id": sid, "path": f"raw/{sid}/{n}", "sha256": sha256(require_file(p))})
    folder = raw / "valmyndigheten_2018_kommun_andelar" / "parties"
    out.append({"id": "valmyndigheten_2018_kommun_andelar", "path": "raw/valmyndigheten_2018_kommun_andelar/parties/*.csv (311 filer)",
                "sha256": _hash_many(sorted(folder.glob("*.csv")))})
    for f in sorted(derived.glob("*.csv")):
        out.append({"id": "party_votes_stockholm", "path": f"derived/party_votes_stockholm/{f.name}", "sha256": sha256(f)})
    out += F.source_entries(raw)
    return out + list(extra or [])


def _hash_many(paths) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(sha256(p).encode())
    return h.hexdigest()


def write_sources_md(path: Path, sources: list[dict]) -> None:
    lines = [
        "# Källor för data/", "",
        "Skrivs av `python -m dashboard build`; ändra inte för hand. Ursprung och kontroller: "
        "`shared/data/raw/PROVENANCE.md`. Definitioner: `docs/data-model.md`.", "",
    ]
    for sid, (origin, licence) in SOURCE_INFO.items():
        files = [s for s in sources if s["id"] == sid]
        if not files:
            continue
        lines += [f"## {sid}", "", f"- Ursprung: {origin}", f"- Licens/villkor: {licence}", "- Filer:"]
        lines += [f"  - `{s['path']}` (sha256 `{s['sha256'][:16]}…`)" for s in files]
        lines.append("")
    lines += F.sources_markdown(sources)
    path.write_text("\n".join(lines), encoding="utf-8")


def build(raw: Path, derived: Path, out: Path, static: Path | None = None) -> dict:
    """Build everything into a temporary folder, then move it into `out` file by file.

    `static`: Streamlit's static folder; the map GeoJSON is copied to `static/geo/` so the
    browser fetches it once by URL (Streamlit refuses to serve symlinks there).
    """
    with pandas_default_strings():
        return _build(raw, derived, out, static)


def _build(raw: Path, derived: Path, out: Path, static: Path | None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    tables = build_tables(raw, derived)
    tmp = Path(tempfile.mkdtemp(prefix=".build-tmp-", dir=out))
    try:
        geo_sources = []
        try:
            from .geo import build_geo
        except ImportError:
            build_geo = None
        if build_geo is not None:
            geo_sources = [dict(s, id="geo") for s in build_geo(raw, tmp)]
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
        sources = source_list(raw, derived, geo_sources)
        write_sources_md(tmp / "SOURCES.md", sources)
        info = {
            "built_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "rows": {k: int(len(v)) for k, v in tables.items()},
            "sources": sources,
        }
        (tmp / "build_info.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for f in sorted(tmp.rglob("*")):
            if f.is_file():
                target = out / f.relative_to(tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)
        if static is not None and (out / "geo").is_dir():
            (static / "geo").mkdir(parents=True, exist_ok=True)
            for f in sorted((out / "geo").glob("*.geojson")):
                tmp_copy = static / "geo" / f".{f.name}.tmp"
                shutil.copyfile(f, tmp_copy)
                os.replace(tmp_copy, static / "geo" / f.name)
        # Seats and margins of every party in every council depend only on these files: computed
        # now (seat_margins.parquet), with the database file, rather than while a viewer waits.
        from ..seat_table import refresh

        refresh(out)
        return info
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
