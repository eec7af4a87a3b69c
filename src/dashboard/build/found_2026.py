"""The 2026 elections in Stockholm County from third-party copies of Valmyndigheten's results.

No original Valmyndigheten file for 2026 could be obtained; `raw/found_2026/` holds faithful
copies kept in other public repositories (PROVENANCE_found_2026.md says where from and how they
were checked). The build reads them into the same long tables as every other election. Each row
names its file (`source`) and how far the count had come (`count_status`); every sum a file
implies is checked here, and a file that breaks one stops the build with a message naming the
file and the field.

| election | level | count_status | source |
|---|---|---|---|
| riksdag | municipality (26), riksdag_valkrets 01/02, county 01, country | final | kisabaka_rd2026_slutlig |
| riksdag | district (1 426 ordinary districts; no collection districts) | preliminary | calcetinletal_rd2026_valdistrikt |
| kommun | kommunvalkrets (34), municipality (26), county 01 | final | rykatkin_kfrf2026_slutlig (+ ordnaswe_valdeltagande_2026 for eligible and votes cast of the municipality and county rows) |
| region | rf_valkrets (12), region 01, county 01 | final | rykatkin_kfrf2026_slutlig (+ ordnaswe… for region/county eligible and votes cast) |
| region | municipality 0180 | final | the sum of rf_valkrets 0101–0106, which together are exactly Stockholm city (checked on the 2022 district table) |
| region | the other 25 municipalities | preliminary | willrydh_kfrf2026_preliminar (election night) |

The other 27 riksdag constituencies and the other counties stay from Bippen/PoliSim
(`bippen_rd2026_valkrets`, in pipeline.py). Where both copies hold the same area (constituencies
01 and 02, county 01, Sweden) kisabaka's rows are used, because they itemise the small parties;
the build refuses if the two disagree on any figure both give.

Preliminary rows are never summed into final ones: district rows are not aggregated, and every
sum here is over rows of one count. Later official files imported with `import-results` take
precedence area by area (vm_import.store.PRECEDENCE_SQL).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import SourceFileError
from .sources import read_csv, read_json, require_file, sha256

FOLDER = "found_2026"
YEAR = 2026
COUNTY = "01"
RIKSDAG_PARTIES = ["S", "M", "SD", "C", "V", "KD", "L", "MP"]
PARTIKOD = {"0001": "M", "0002": "S", "0003": "L", "0004": "C", "0005": "V", "0055": "MP",
            "0068": "KD", "0110": "SD"}

RD_FINAL = "results__kisabaka_val-resultat__RD2026_slutlig__EXCERPT_stockholms_lan.json"
KFRF_FINAL = "muni_structure_2026__OliverRykatkin_H-H__KF_RF2026_slutlig__stockholms_lan_EXCERPT.json"
RF_PRELIM = "area-results-2026__willrydh__RF2026_preliminar__region01_EXCERPT.json"
KF_PRELIM = "area-results-2026__willrydh__KF2026_preliminar__stockholms_lan_EXCERPT.json"
TURNOUT = "valdeltagande_2026__ordnaswe_val26__stockholms_lan_EXCERPT.csv"
DISTRICTS = "valdistrikt_RD2026_preliminar__Calcetinletal_elecciones-suecia__stockholms_lan.csv"
DISTRICTS_META = "valdistrikt_RD2026_preliminar__Calcetinletal_elecciones-suecia__stockholms_lan.meta.json"

SRC_RD = "kisabaka_rd2026_slutlig"
SRC_KFRF = "rykatkin_kfrf2026_slutlig"
SRC_RF_PRELIM = "willrydh_kfrf2026_preliminar"
SRC_TURNOUT = "ordnaswe_valdeltagande_2026"
SRC_DISTRICTS = "calcetinletal_rd2026_valdistrikt"
# Rows whose votes come from one file and eligible/votes cast from the other.
SRC_KFRF_TURNOUT = f"{SRC_KFRF}+{SRC_TURNOUT}"

# What each source is. Repository, path and commit come from the files' own metadata where
# they carry it (`meta`: which file and key); for the two files without metadata they are
# taken from PROVENANCE_found_2026.md (§1, §5) and written here once.
SOURCES = {
    SRC_RD: {
        "files": [RD_FINAL],
        "origin": "Riksdagsvalet 2026, slutlig räkning (Valmyndighetens resultatbackend …_S.json, "
                  "uppdaterad 19 september 2026 14:53), per kommun, riksdagsvalkrets 01/02 och riket; "
                  "utdrag för Stockholms län",
        "repository": "kisabaka/val-resultat", "path": "data/results.json",
        "commit": "087b109c806442b6f09dbac46d4dbcc41fbc9507",
        "licence": "Offentliga uppgifter (Valmyndigheten), tredjepartskopia; repot har ingen licensfil.",
        "count": "slutlig",
        "checks": "partiernas röster = giltiga; giltiga + ogiltiga = totalt; de 25 kommunerna = valkrets 02 i "
                  "varje fält; riket och valkrets 01/02 = Bippen/PoliSim-kopian; röstande och röstberättigade = "
                  "valdeltagandefilen.",
    },
    SRC_KFRF: {
        "files": [KFRF_FINAL],
        "meta": (KFRF_FINAL, "_meta"),
        "origin": "Kommunfullmäktige- och regionfullmäktigevalet 2026, slutlig räkning (Valmyndighetens "
                  "resultatfiler, valkretsLista/mandatfordelning): röster per kommunvalkrets och regionvalkrets, "
                  "slutliga mandat, fasta mandat per valkrets, utjämningsmandat och spärr; utdrag för Stockholms län",
        "licence": "Offentliga uppgifter (Valmyndigheten), tredjepartskopia; repot: MIT (kod), publicerad data "
                   "CC BY-NC 4.0 enligt repots LICENSE.",
        "count": "slutlig",
        "checks": "partiernas röster = giltiga i varje kommunvalkrets; mandaten = fullmäktiges storlek; fasta + "
                  "utjämningsmandat = storleken; mandatmotorn ger exakt samma mandat i alla 26 kommuner och Region "
                  "Stockholm. Regionvalet per kommun finns här bara för Stockholms stad: summan av regionvalkretsarna "
                  "0101–0106, som enligt valdistrikten 2022 är exakt Stockholms stad.",
    },
    SRC_RF_PRELIM: {
        "files": [RF_PRELIM],
        "meta": (RF_PRELIM, "_meta"),
        "origin": "Regionfullmäktigevalet 2026 i Region Stockholm, preliminär räkning (valnatten; Valmyndighetens "
                  "signerade resultatfil p/rf/Val_2026_preliminar_01_RF.zip, summering per kommun). "
                  "Uppsamlingsdistrikt och sent räknade förtidsröster ingår inte.",
        "licence": "Offentliga uppgifter (Valmyndigheten), tredjepartskopia; repot har ingen licensfil.",
        "count": "preliminär",
        "checks": "partiernas röster + övriga = giltiga; giltiga + ogiltiga = totalt; kommunerna summerar till "
                  "regionen. Används bara för regionvalet per kommun utanför Stockholms stad, där ingen slutlig "
                  "siffra finns.",
    },
    SRC_TURNOUT: {
        "files": [TURNOUT],
        "origin": "Röstande (giltiga + ogiltiga), röstberättigade och valdeltagande per kommun 2026 i riksdags-, "
                  "region- och kommunvalet, slutliga; utdrag för Stockholms län",
        "repository": "ordnaswe/val26", "path": "data/valdeltagande_2026.csv",
        "commit": "6e9c0fba4e0773dd18b54283aaf1c2d439b875d4",
        "licence": "Offentliga uppgifter (Valmyndigheten), tredjepartskopia; repot har ingen licensfil.",
        "count": "slutlig",
        "checks": "kommunerna summerar till länet/regionen; valdeltagandet räknas om exakt; riksdagsvalets rader = "
                  "kisabaka-kopian. Ger röstberättigade och röstande till de slutliga kommun- och regionraderna "
                  "(källa `…+ordnaswe_valdeltagande_2026`) och tabellen turnout.",
    },
    SRC_DISTRICTS: {
        "files": [DISTRICTS, DISTRICTS_META],
        "meta": (DISTRICTS_META, None),
        "origin": "Riksdagsvalet 2026 per valdistrikt, preliminär räkning (Valmyndighetens p/rd/"
                  "Val_2026_preliminar_00_RD.zip): de 1 426 ordinarie valdistrikten i Stockholms län, giltiga röster "
                  "och de åtta riksdagspartierna. Uppsamlingsdistrikt, sent räknade förtidsröster och röstberättigade "
                  "finns inte i filen.",
        "licence": "Offentliga uppgifter (Valmyndigheten), tredjepartskopia; repot: MIT (kod).",
        "count": "preliminär",
        "checks": "övriga partier (giltiga − de åtta) mellan 0 och 8 % i varje distrikt; distrikten summerar till "
                  "88–98 % av de slutliga kommunsiffrorna. Sundbyberg 01830127 och 01830129 har identiska siffror i "
                  "källan: de räknas en gång, vid 01830127, och 01830129 saknar egna siffror (tabellen area_notes).",
    },
}
REPLACED_BY = ("Ersätts av Valmyndighetens egna resultatfiler när de importeras (`python -m dashboard "
               "import-results`): en importerad fil går före denna kopia för samma val, nivå och område, "
               "och slutlig räkning går före preliminär.")

TOTAL_KEYS = ["election", "year", "level", "area_code"]


@dataclass
class Found2026:
    """Rows for the warehouse tables (same columns as pipeline's), and the sources behind them."""

    totals: pd.DataFrame
    votes: pd.DataFrame
    seats: pd.DataFrame
    councils: pd.DataFrame
    turnout: pd.DataFrame
    notes: pd.DataFrame


# ------------------------------------------------------------------------ reading helpers

def _path(raw: Path, name: str) -> Path:
    return require_file(raw / FOLDER / name)


def _get(path: Path, obj, where: str, key, kind=None):
    """obj[key], checked: a missing field or a wrong type names the file and the field."""
    try:
        value = obj[key]
    except (KeyError, IndexError, TypeError):
        raise SourceFileError(path, f"fältet '{where}' saknas") from None
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SourceFileError(path, f"fältet '{where}' ska vara ett heltal ≥ 0, är {value!r}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SourceFileError(path, f"fältet '{where}' ska vara ett tal, är {value!r}")
    elif kind is not None and not isinstance(value, kind):
        raise SourceFileError(path, f"fältet '{where}' har fel typ ({type(value).__name__})")
    return value


def _counts(path: Path, obj: dict, where: str) -> dict[str, int]:
    """A {party: count} object, every count checked."""
    return {k: _get(path, obj, f"{where}.{k}", k, "count") for k in obj}


def _total_row(level: str, code: str, name, *, eligible=None, votes_cast=None, valid=None,
               status: str, source: str, election: str, kommunkod=None, county=COUNTY,
               riksdag_valkrets_code=None) -> dict:
    return {
        "election": election, "year": YEAR, "level": level, "area_code": code, "area_name": name,
        "county_code": county, "kommunkod": kommunkod, "riksdag_valkrets_code": riksdag_valkrets_code,
        "rf_valkrets_code": None, "kommunvalkrets_code": None, "is_collection": False,
        "eligible": eligible, "votes_cast": votes_cast, "valid_votes": valid,
        "count_status": status, "source": source,
    }


def _vote_rows(election: str, level: str, code: str, votes: dict[str, int], source: str) -> list[dict]:
    return [{"election": election, "year": YEAR, "level": level, "area_code": code, "party": p,
             "votes": n, "source": source} for p, n in votes.items()]


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {p: a.get(p, 0) + b.get(p, 0) for p in {**a, **b}}


# ------------------------------------------------------------------------ turnout (ordnaswe)

TURNOUT_ELECTION = {"RD": "riksdag", "RF": "region", "KF": "kommun"}
TURNOUT_LEVEL = {"kommun": "municipality", "län": "county", "region": "region"}


def read_turnout(raw: Path, names: dict[str, str], county_name: str, region_name: str) -> pd.DataFrame:
    """Ballots cast, electorate and turnout per area as the valdeltagande file gives them (final)."""
    area_names = {"municipality": names, "county": {COUNTY: county_name}, "region": {COUNTY: region_name}}
    path = _path(raw, TURNOUT)
    df = read_csv(path, ["valtyp", "niva", "kod", "roster", "rostberattigade", "valdeltagande_pct"])
    rows = []
    for i, r in df.iterrows():
        line = i + 2
        election = TURNOUT_ELECTION.get(r["valtyp"])
        level = TURNOUT_LEVEL.get(r["niva"])
        if election is None or level is None:
            raise SourceFileError(path, f"rad {line}: okänt valtyp/niva '{r['valtyp']}'/'{r['niva']}'")
        try:
            cast, eligible = int(r["roster"]), int(r["rostberattigade"])
            pct = float(r["valdeltagande_pct"])
        except (TypeError, ValueError):
            raise SourceFileError(path, f"rad {line}: kolumnerna 'roster', 'rostberattigade' och "
                                        f"'valdeltagande_pct' ska vara tal") from None
        if not 0 < cast <= eligible:
            raise SourceFileError(path, f"rad {line}: 'roster' {cast} ska vara mellan 1 och 'rostberattigade' {eligible}")
        if abs(round(100 * cast / eligible, 2) - pct) > 0.0051:
            raise SourceFileError(path, f"rad {line}: valdeltagandet {pct} stämmer inte med {cast} / {eligible}")
        code = str(r["kod"]).zfill(4 if level == "municipality" else 2)
        rows.append({"election": election, "year": YEAR, "level": level, "area_code": code,
                     "area_name": area_names[level].get(code),
                     "eligible": eligible, "votes_cast": cast, "turnout_pct": 100 * cast / eligible,
                     "count_status": "final", "source": SRC_TURNOUT})
    out = pd.DataFrame(rows)
    if out.duplicated(["election", "level", "area_code"]).any():
        dup = out[out.duplicated(["election", "level", "area_code"])].iloc[0]
        raise SourceFileError(path, f"{dup['election']} {dup['area_code']} förekommer två gånger")
    for election, g in out.groupby("election"):
        munis = g[g.level == "municipality"]
        if set(munis.area_code) != set(names):
            raise SourceFileError(path, f"{election}: kommunerna ska vara länets 26, hittade {len(munis)}")
        for _, top in g[g.level != "municipality"].iterrows():
            for col in ("eligible", "votes_cast"):
                if munis[col].sum() != top[col]:
                    raise SourceFileError(path, f"{election}: kommunernas {col} summerar till {munis[col].sum()}, "
                                                f"raden för {top['level']} {top['area_code']} har {top[col]}")
    return out


def _turnout_of(turnout: pd.DataFrame, election: str, level: str, code: str) -> tuple[int, int]:
    row = turnout[(turnout.election == election) & (turnout.level == level) & (turnout.area_code == code)]
    if len(row) != 1:
        raise SourceFileError(Path(FOLDER) / TURNOUT, f"röstande och röstberättigade saknas för {election} {level} {code}")
    return int(row.eligible.iloc[0]), int(row.votes_cast.iloc[0])


# ------------------------------------------------------------------------ riksdag final (kisabaka)

def read_rd_final(raw: Path, codes, names: dict[str, str], county_name: str, turnout: pd.DataFrame):
    """Riksdag 2026, final: municipalities, constituencies 01/02, county 01 and Sweden."""
    path = _path(raw, RD_FINAL)
    doc = read_json(path)
    if _get(path, doc, "count", "count") != "slutlig" or _get(path, doc, "valtyp", "valtyp") != "RD":
        raise SourceFileError(path, "filen ska vara riksdagsvalet (valtyp RD), slutlig räkning (count 'slutlig')")
    parties = []
    for i, p in enumerate(_get(path, doc, "parties", "parties", list)):
        kod = _get(path, p, f"parties[{i}].code", "code", str)
        abbr = _get(path, p, f"parties[{i}].abbr", "abbr", str)
        name = _get(path, p, f"parties[{i}].name", "name", str)
        if kod == "OVR":
            parties.append("ÖVR")
        elif kod in PARTIKOD:
            parties.append(PARTIKOD[kod])
        else:
            parties.append(codes.match(name, abbr, kod))
    if len(set(parties)) != len(parties):
        raise SourceFileError(path, "samma parti förekommer två gånger i 'parties'")

    def area(obj, where):
        votes = _get(path, obj, f"{where}.votes", "votes", list)
        if len(votes) != len(parties):
            raise SourceFileError(path, f"'{where}.votes' har {len(votes)} tal, 'parties' {len(parties)}")
        v = {p: _get(path, votes, f"{where}.votes[{i}]", i, "count") for i, p in enumerate(parties)}
        f = {k: _get(path, obj, f"{where}.{k}", k, "count")
             for k in ("valid", "invalid", "blank", "total", "electorate", "counted", "toCount")}
        if sum(v.values()) != f["valid"]:
            raise SourceFileError(path, f"{where}: partiernas röster summerar till {sum(v.values())}, 'valid' är {f['valid']}")
        if f["valid"] + f["invalid"] != f["total"] or f["blank"] > f["invalid"]:
            raise SourceFileError(path, f"{where}: 'valid' + 'invalid' ska vara 'total' (och 'blank' ≤ 'invalid')")
        if f["counted"] != f["toCount"]:
            raise SourceFileError(path, f"{where}: bara {f['counted']} av {f['toCount']} distrikt räknade – ingen slutlig räkning")
        return v, f

    totals, votes = [], []

    def emit(level, code, name, v, f, **kw):
        totals.append(_total_row(level, code, name, eligible=f["electorate"], votes_cast=f["total"],
                                 valid=f["valid"], status="final", source=SRC_RD, election="riksdag", **kw))
        votes.extend(_vote_rows("riksdag", level, code, v, SRC_RD))

    riket = _get(path, doc, "riket", "riket", dict)
    v, f = area(riket, "riket")
    emit("country", "SE", "Sverige", v, f, county=None)
    valkretsar = _get(path, doc, "valkretsar", "valkretsar", dict)
    kretsar = {}
    for code in ("01", "02"):
        obj = _get(path, valkretsar, f"valkretsar.{code}", code, dict)
        kretsar[code] = area(obj, f"valkretsar.{code}")
        emit("riksdag_valkrets", code, _get(path, obj, f"valkretsar.{code}.name", "name", str), *kretsar[code])
    kommuner = _get(path, doc, "kommuner", "kommuner", dict)
    # Stockholm city is riksdag constituency 01; the file lists the other 25 municipalities.
    if set(kommuner) | {"0180"} != set(names) or "0180" in kommuner:
        raise SourceFileError(path, f"'kommuner' ska vara länets 25 kommuner utom Stockholm (0180), "
                                    f"hittade {len(kommuner)}")
    emit("municipality", "0180", names["0180"], *kretsar["01"], kommunkod="0180")
    sum_v: dict[str, int] = {}
    sum_f: dict[str, int] = {}
    for code in sorted(kommuner):
        obj = kommuner[code]
        if _get(path, obj, f"kommuner.{code}.valkrets", "valkrets", str) != "02":
            raise SourceFileError(path, f"kommuner.{code}.valkrets ska vara '02'")
        v, f = area(obj, f"kommuner.{code}")
        emit("municipality", code, names[code], v, f, kommunkod=code)
        sum_v, sum_f = _add(sum_v, v), _add(sum_f, f)
    v02, f02 = kretsar["02"]
    for key, a, b in [*((p, sum_v.get(p), v02[p]) for p in v02),
                      *((k, sum_f.get(k), f02[k]) for k in ("valid", "invalid", "total", "electorate"))]:
        if a != b:
            raise SourceFileError(path, f"de 25 kommunerna summerar till {a} för '{key}', valkrets 02 har {b}")
    emit("county", COUNTY, county_name, _add(kretsar["01"][0], v02), _add(kretsar["01"][1], f02))
    # The valdeltagande file's riksdag rows are the same count: they must agree.
    for t in totals:
        if t["level"] in ("municipality", "county"):
            eligible, cast = _turnout_of(turnout, "riksdag", t["level"], t["area_code"])
            if (eligible, cast) != (t["eligible"], t["votes_cast"]):
                raise SourceFileError(path, f"{t['area_code']}: röstberättigade/röstande {t['eligible']}/{t['votes_cast']}, "
                                            f"men {TURNOUT} har {eligible}/{cast}")
    kommun_valkrets = {c: "02" for c in kommuner} | {"0180": "01"}
    return pd.DataFrame(totals), pd.DataFrame(votes), kommun_valkrets


def replace_overlap(totals: pd.DataFrame, votes: pd.DataFrame, new_t: pd.DataFrame, new_v: pd.DataFrame,
                    raw: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """kisabaka's riksdag rows replace Bippen's for the same areas, after checking that every
    figure both copies give (valid, eligible, votes cast, the eight parties) is the same."""
    keys = new_t[TOTAL_KEYS]
    old_t = totals.merge(keys, on=TOTAL_KEYS)
    for _, o in old_t.iterrows():
        n = new_t[(new_t.level == o.level) & (new_t.area_code == o.area_code)].iloc[0]
        diffs = [c for c in ("valid_votes", "eligible", "votes_cast") if pd.notna(o[c]) and int(o[c]) != int(n[c])]
        ov = votes[(votes.election == o.election) & (votes.year == o.year) & (votes.level == o.level)
                   & (votes.area_code == o.area_code)].set_index("party")["votes"]
        nv = new_v[(new_v.level == o.level) & (new_v.area_code == o.area_code)].set_index("party")["votes"]
        diffs += [p for p in RIKSDAG_PARTIES if p in ov.index and int(ov[p]) != int(nv.get(p, -1))]
        if diffs:
            raise SourceFileError(raw / FOLDER / RD_FINAL,
                                  f"{o.level} {o.area_code}: {', '.join(diffs)} skiljer sig från {o.source} "
                                  "(två kopior av samma slutliga räkning ska vara lika)")
    mark = keys.assign(_drop=True)
    totals = totals.merge(mark, on=TOTAL_KEYS, how="left")
    totals = totals[totals._drop.isna()].drop(columns="_drop")
    votes = votes.merge(mark, on=TOTAL_KEYS, how="left")
    votes = votes[votes._drop.isna()].drop(columns="_drop")
    return pd.concat([totals, new_t], ignore_index=True), pd.concat([votes, new_v], ignore_index=True)


# ------------------------------------------------------------------------ kommun + region final (H-H)

def _party_of(key: str, party_names: dict[str, str], codes) -> str:
    """A muni_structure party key (letters, a local abbreviation, or pNNNN) → our code."""
    if key in RIKSDAG_PARTIES:
        return key
    name = party_names.get(key)
    if key[:1] == "p" and key[1:].isdigit():
        return codes.match(name, None, key[1:])
    return codes.match(name, key)


def _kommunvalkrets_code(path: Path, kod: str, kommun: str, where: str) -> str:
    if kod == kommun:
        return kommun + "00"  # an undivided municipality: one constituency LLKK00
    if len(kod) == 6 and kod.isdigit() and kod.startswith(kommun):
        return kod
    raise SourceFileError(path, f"'{where}.kod' ska vara {kommun} eller {kommun}NN, är '{kod}'")


def read_kfrf_final(raw: Path, codes, names: dict[str, str], county_name: str, region_name: str,
                    turnout: pd.DataFrame, stockholm_rf: set[str], rf_names_2022: dict[str, str]):
    """Kommun and region 2026, final, with the official seats, council sizes, thresholds and
    fixed seats per constituency."""
    path = _path(raw, KFRF_FINAL)
    doc = read_json(path)
    meta = _get(path, doc, "_meta", "_meta", dict)
    party_names = _get(path, meta, "_meta.party_names", "party_names", dict)
    totals, votes, seats, councils = [], [], [], []

    def council(election, code, obj, where, council_name):
        size = _get(path, obj, f"{where}.total_seats", "total_seats", "count")
        n_adj = _get(path, obj, f"{where}.n_utjamning", "n_utjamning", "count")
        threshold = _get(path, obj, f"{where}.threshold_pct", "threshold_pct", "number")
        s = _counts(path, _get(path, obj, f"{where}.seats", "seats", dict), f"{where}.seats")
        if sum(s.values()) != size:
            raise SourceFileError(path, f"{where}: mandaten summerar till {sum(s.values())}, 'total_seats' är {size}")
        for key, n in s.items():
            seats.append({"election": election, "year": YEAR, "area_code": code, "area_name": council_name,
                          "party": _party_of(key, party_names, codes), "seats": n})
        level = "municipality" if election == "kommun" else "region"
        councils.append({"election": election, "year": YEAR, "level": level, "area_code": code,
                         "council_code": code, "area_name": council_name, "council_size": size,
                         "adjustment_seats": n_adj, "threshold_pct": float(threshold), "fixed_seats": None,
                         "source": SRC_KFRF})
        return size, n_adj

    def fixed_seats(election, level, code, council_code, name, fixed):
        councils.append({"election": election, "year": YEAR, "level": level, "area_code": code,
                         "council_code": council_code, "area_name": name, "council_size": None,
                         "adjustment_seats": None, "threshold_pct": None, "fixed_seats": fixed,
                         "source": SRC_KFRF})

    def check_seats(where, fixed_sum, n_adj, size):
        if fixed_sum + n_adj != size:
            raise SourceFileError(path, f"{where}: fasta mandat {fixed_sum} + utjämningsmandat {n_adj} ≠ {size}")

    def constituencies(obj, where):
        out = []
        for i, vk in enumerate(_get(path, obj, f"{where}.valkretsar", "valkretsar", list)):
            w = f"{where}.valkretsar[{i}]"
            kod = _get(path, vk, f"{w}.kod", "kod", str)
            name = _get(path, vk, f"{w}.namn", "namn", str)
            fixed = _get(path, vk, f"{w}.fasta", "fasta", "count")
            valid = _get(path, vk, f"{w}.valid_votes", "valid_votes", "count")
            raw_votes = _counts(path, _get(path, vk, f"{w}.votes", "votes", dict), f"{w}.votes")
            v: dict[str, int] = {}
            for key, n in raw_votes.items():
                p = _party_of(key, party_names, codes)
                if p in v:
                    raise SourceFileError(path, f"{w}.votes: två nycklar ger partikoden {p}")
                v[p] = n
            out.append((w, kod, name, fixed, valid, v))
        return out

    kf = _get(path, doc, "KF", "KF", dict)
    if set(kf) != set(names):
        raise SourceFileError(path, f"'KF' ska ha länets 26 kommuner, hittade {len(kf)}")
    county_v: dict[str, int] = {}
    county_t = {"eligible": 0, "votes_cast": 0, "valid": 0}
    for kommun in sorted(kf):
        obj, where = kf[kommun], f"KF.{kommun}"
        size, n_adj = council("kommun", kommun, obj, where, names[kommun])
        muni_v: dict[str, int] = {}
        muni_valid = fixed_sum = 0
        for w, kod, name, fixed, valid, v in constituencies(obj, where):
            code = _kommunvalkrets_code(path, kod, kommun, w)
            if sum(v.values()) != valid:
                raise SourceFileError(path, f"{w}: partiernas röster summerar till {sum(v.values())}, "
                                            f"'valid_votes' är {valid}")
            totals.append(_total_row("kommunvalkrets", code, name, valid=valid, status="final",
                                     source=SRC_KFRF, election="kommun", kommunkod=kommun))
            votes.extend(_vote_rows("kommun", "kommunvalkrets", code, v, SRC_KFRF))
            fixed_seats("kommun", "kommunvalkrets", code, kommun, name, fixed)
            muni_v, muni_valid, fixed_sum = _add(muni_v, v), muni_valid + valid, fixed_sum + fixed
        check_seats(where, fixed_sum, n_adj, size)
        eligible, cast = _turnout_of(turnout, "kommun", "municipality", kommun)
        if cast < muni_valid:
            raise SourceFileError(path, f"{where}: {muni_valid} giltiga röster men bara {cast} röstande i {TURNOUT}")
        totals.append(_total_row("municipality", kommun, names[kommun], eligible=eligible, votes_cast=cast,
                                 valid=muni_valid, status="final", source=SRC_KFRF_TURNOUT, election="kommun",
                                 kommunkod=kommun))
        votes.extend(_vote_rows("kommun", "municipality", kommun, muni_v, SRC_KFRF_TURNOUT))
        county_v = _add(county_v, muni_v)
        for k, n in (("eligible", eligible), ("votes_cast", cast), ("valid", muni_valid)):
            county_t[k] += n
    totals.append(_total_row("county", COUNTY, county_name, eligible=county_t["eligible"],
                             votes_cast=county_t["votes_cast"], valid=county_t["valid"], status="final",
                             source=SRC_KFRF_TURNOUT, election="kommun"))
    votes.extend(_vote_rows("kommun", "county", COUNTY, county_v, SRC_KFRF_TURNOUT))

    # Region Stockholm: 12 constituencies with 10 parties itemised; the rest is ÖVR.
    rf = _get(path, doc, "RF", "RF", dict)
    if set(rf) != {COUNTY}:
        raise SourceFileError(path, f"'RF' ska ha region {COUNTY}, hittade {sorted(rf)}")
    obj, where = rf[COUNTY], f"RF.{COUNTY}"
    size, n_adj = council("region", COUNTY, obj, where, region_name)
    region_v: dict[str, int] = {}
    region_valid = fixed_sum = 0
    rf_rows = {}
    for w, kod, name, fixed, valid, v in constituencies(obj, where):
        if not (len(kod) == 4 and kod.isdigit() and kod.startswith(COUNTY)):
            raise SourceFileError(path, f"'{w}.kod' ska vara en regionvalkrets {COUNTY}NN, är '{kod}'")
        other = valid - sum(v.values())
        if other < 0:
            raise SourceFileError(path, f"{w}: partiernas röster {sum(v.values())} överstiger 'valid_votes' {valid}")
        v = {**v, "ÖVR": other}
        rf_rows[kod] = (name, valid, v)
        totals.append(_total_row("rf_valkrets", kod, name, valid=valid, status="final", source=SRC_KFRF,
                                 election="region"))
        votes.extend(_vote_rows("region", "rf_valkrets", kod, v, SRC_KFRF))
        fixed_seats("region", "rf_valkrets", kod, COUNTY, name, fixed)
        region_v, region_valid, fixed_sum = _add(region_v, v), region_valid + valid, fixed_sum + fixed
    check_seats(where, fixed_sum, n_adj, size)
    eligible, cast = _turnout_of(turnout, "region", "region", COUNTY)
    for level, name in (("region", region_name), ("county", county_name)):
        totals.append(_total_row(level, COUNTY, name, eligible=eligible, votes_cast=cast, valid=region_valid,
                                 status="final", source=SRC_KFRF_TURNOUT, election="region"))
        votes.extend(_vote_rows("region", level, COUNTY, region_v, SRC_KFRF_TURNOUT))
    # Stockholm city = exactly the region constituencies its 2022 districts lie in (checked by
    # the caller on the 2022 table): its region result is final, the sum of those constituencies.
    for kod in sorted(stockholm_rf):
        if kod not in rf_rows or rf_rows[kod][0] != rf_names_2022.get(kod):
            raise SourceFileError(path, f"regionvalkrets {kod} ({rf_names_2022.get(kod)}) saknas eller har bytt namn "
                                        f"2026 ({rf_rows.get(kod, ('saknas',))[0]}): Stockholms stads regionval kan inte "
                                        "summeras ur valkretsarna")
    city_v: dict[str, int] = {}
    for kod in sorted(stockholm_rf):
        city_v = _add(city_v, rf_rows[kod][2])
    city_valid = sum(rf_rows[k][1] for k in stockholm_rf)
    eligible, cast = _turnout_of(turnout, "region", "municipality", "0180")
    if cast < city_valid:
        raise SourceFileError(path, f"Stockholms stad: {city_valid} giltiga röster i regionvalet men {cast} röstande")
    totals.append(_total_row("municipality", "0180", names["0180"], eligible=eligible, votes_cast=cast,
                             valid=city_valid, status="final", source=SRC_KFRF_TURNOUT, election="region",
                             kommunkod="0180"))
    votes.extend(_vote_rows("region", "municipality", "0180", city_v, SRC_KFRF_TURNOUT))
    note = {"election": "region", "year": YEAR, "level": "municipality", "area_code": "0180",
            "kind": "sum_of_constituencies",
            "note": f"Slutligt: summan av regionvalkretsarna {', '.join(sorted(stockholm_rf))}, som tillsammans är "
                    "exakt Stockholms stad (kontrollerat mot valdistrikten 2022). Röstande och röstberättigade ur "
                    "valdeltagandefilen."}
    return (pd.DataFrame(totals), pd.DataFrame(votes), pd.DataFrame(seats), pd.DataFrame(councils), note,
            party_names)


def stockholm_rf_constituencies(region_2022_districts: pd.DataFrame, kommunkod: str = "0180") -> set[str]:
    """The region constituencies that together are exactly one municipality, from the 2022
    district table: every district of the municipality lies in them, and none of another."""
    d = region_2022_districts
    mine = set(d.loc[d.kommunkod == kommunkod, "rf_valkrets_code"].dropna())
    others = set(d.loc[d.rf_valkrets_code.isin(mine), "kommunkod"])
    if not mine or others != {kommunkod}:
        raise SourceFileError("scb_valresultat_2022_valdistrikt/re_tab3_2022.xlsx",
                              f"regionvalkretsarna {sorted(mine)} täcker inte exakt kommun {kommunkod} "
                              f"(de innehåller distrikt i {sorted(others)})")
    return mine


# ------------------------------------------------------------------------ region preliminary (willrydh)

def read_rf_preliminary(raw: Path, codes, names: dict[str, str], abbrev_names: dict[str, str], skip: set[str]):
    """Region 2026 per municipality, preliminary (election night), for the municipalities in
    no final file. eligible/votes cast are those of the same preliminary count."""
    path = _path(raw, RF_PRELIM)
    doc = read_json(path)
    kommuner = _get(path, doc, "kommuner", "kommuner", list)
    totals, votes = [], []
    seen = set()
    for i, k in enumerate(kommuner):
        where = f"kommuner[{i}]"
        code = _get(path, k, f"{where}.code", "code", str)
        if code not in names or code in seen:
            raise SourceFileError(path, f"{where}.code '{code}' är ingen (ny) kommun i länet")
        seen.add(code)
        f = {key: _get(path, k, f"{where}.{key}", key, "count")
             for key in ("valid", "invalid", "totalVotes", "eligible", "other", "counted", "total_d")}
        v: dict[str, int] = {}
        for j, t in enumerate(_get(path, k, f"{where}.parties", "parties", list)):
            w = f"{where}.parties[{j}]"
            kod = _get(path, t, f"{w}[0]", 0, str)
            abbr = _get(path, t, f"{w}[1]", 1, str)
            n = _get(path, t, f"{w}[2]", 2, "count")
            p = PARTIKOD.get(kod) or codes.match(abbrev_names.get(abbr), abbr, kod)
            if p in v:
                raise SourceFileError(path, f"{w}: partikoden {p} förekommer två gånger")
            v[p] = n
        v["ÖVR"] = f["other"]
        if sum(v.values()) != f["valid"] or f["valid"] + f["invalid"] != f["totalVotes"]:
            raise SourceFileError(path, f"{where} ({code}): partier + 'other' ska vara 'valid' och "
                                        "'valid' + 'invalid' ska vara 'totalVotes'")
        if code in skip:
            continue
        totals.append(_total_row("municipality", code, names[code], eligible=f["eligible"],
                                 votes_cast=f["totalVotes"], valid=f["valid"], status="preliminary",
                                 source=SRC_RF_PRELIM, election="region", kommunkod=code))
        votes.extend(_vote_rows("region", "municipality", code, v, SRC_RF_PRELIM))
    if seen != set(names):
        raise SourceFileError(path, f"'kommuner' ska ha länets 26 kommuner, hittade {len(seen)}")
    return pd.DataFrame(totals), pd.DataFrame(votes)


# ------------------------------------------------------------------------ riksdag districts (Calcetinletal)

def read_rd_districts(raw: Path, names: dict[str, str], kommun_valkrets: dict[str, str]):
    """Riksdag 2026 per voting district, preliminary: the 1 426 ordinary districts.

    Districts with identical numbers in every column within one municipality are one result
    reported twice: the numbers stay on the first code only; the other code keeps its row with
    no numbers, and both get a note (area_notes)."""
    path = _path(raw, DISTRICTS)
    cols = ["valdistriktskod", "valdistriktsnamn", "kommunkod", "giltiga_roster", *RIKSDAG_PARTIES, "ovriga_beraknat"]
    df = read_csv(path, cols)
    for c in ["giltiga_roster", *RIKSDAG_PARTIES, "ovriga_beraknat"]:
        num = pd.to_numeric(df[c], errors="coerce")
        bad = num.isna() | (num < 0) | (num % 1 != 0)
        if bad.any():
            i = int(bad.idxmax())
            raise SourceFileError(path, f"rad {i + 2}, kolumn '{c}': '{df.at[i, c]}' är inget heltal ≥ 0")
        df[c] = num.astype("int64")
    for i, r in df.iterrows():
        code, kommun = str(r.valdistriktskod), str(r.kommunkod)
        if not (len(code) == 8 and code.isdigit() and code.startswith(kommun)) or kommun not in names:
            raise SourceFileError(path, f"rad {i + 2}, kolumn 'valdistriktskod': '{code}' ska ha 8 siffror och börja "
                                        f"med en kommunkod i länet ('kommunkod' {kommun})")
        other = r.giltiga_roster - sum(r[p] for p in RIKSDAG_PARTIES)
        if other < 0 or other != r.ovriga_beraknat:
            raise SourceFileError(path, f"rad {i + 2}: 'ovriga_beraknat' ska vara 'giltiga_roster' minus de åtta "
                                        f"partierna = {other}, är {r.ovriga_beraknat}")
    if df.valdistriktskod.duplicated().any():
        dup = df.loc[df.valdistriktskod.duplicated(), "valdistriktskod"].iloc[0]
        raise SourceFileError(path, f"valdistriktskoden {dup} förekommer två gånger")
    df = df.sort_values("valdistriktskod").reset_index(drop=True)
    numbers = ["kommunkod", "giltiga_roster", *RIKSDAG_PARTIES]
    first = df.groupby(numbers, sort=False)["valdistriktskod"].transform("first")
    repeated = first != df.valdistriktskod
    notes = []
    for _, r in df[repeated].iterrows():
        notes.append({"election": "riksdag", "year": YEAR, "level": "district", "area_code": r.valdistriktskod,
                      "kind": "duplicate_in_source",
                      "note": f"Källan har exakt samma siffror här som för {first[_]}; de räknas en gång, vid "
                              f"{first[_]}, så detta distrikt saknar egna siffror."})
        notes.append({"election": "riksdag", "year": YEAR, "level": "district", "area_code": first[_],
                      "kind": "duplicate_in_source",
                      "note": f"Källan har exakt samma siffror här som för {r.valdistriktskod}; de räknas en gång, "
                              "här. Vilket av de två distrikten de egentligen gäller går inte att avgöra."})
    totals = pd.DataFrame({
        "election": "riksdag", "year": YEAR, "level": "district", "area_code": df.valdistriktskod,
        "area_name": df.valdistriktsnamn, "county_code": COUNTY, "kommunkod": df.kommunkod,
        "riksdag_valkrets_code": df.kommunkod.map(kommun_valkrets), "rf_valkrets_code": None,
        "kommunvalkrets_code": None, "is_collection": False, "eligible": pd.NA, "votes_cast": pd.NA,
        "valid_votes": df.giltiga_roster.astype("Int64").mask(repeated), "count_status": "preliminary",
        "source": SRC_DISTRICTS,
    })
    long = df[~repeated].melt(id_vars=["valdistriktskod"], value_vars=[*RIKSDAG_PARTIES, "ovriga_beraknat"],
                             var_name="party", value_name="votes")
    votes = pd.DataFrame({"election": "riksdag", "year": YEAR, "level": "district",
                          "area_code": long.valdistriktskod,
                          "party": long.party.replace({"ovriga_beraknat": "ÖVR"}), "votes": long.votes,
                          "source": SRC_DISTRICTS})
    return totals, votes, notes


# ------------------------------------------------------------------------ everything, and the sources

def read_found_2026(raw: Path, codes, names: dict[str, str], county_name: str, region_name: str,
                    region_2022_districts: pd.DataFrame, rf_names_2022: dict[str, str]):
    """Every 2026 row from raw/found_2026. `names`: municipality code → name for county 01."""
    turnout = read_turnout(raw, names, county_name, region_name)
    rd_t, rd_v, kommun_valkrets = read_rd_final(raw, codes, names, county_name, turnout)
    stockholm_rf = stockholm_rf_constituencies(region_2022_districts)
    kf_t, kf_v, seats, councils, city_note, party_names = read_kfrf_final(
        raw, codes, names, county_name, region_name, turnout, stockholm_rf, rf_names_2022)
    # The preliminary file gives abbreviations only; the final file of the same election names them.
    rf_t, rf_v = read_rf_preliminary(raw, codes, names, party_names, skip={"0180"})
    d_t, d_v, notes = read_rd_districts(raw, names, kommun_valkrets)
    notes.append(city_note)
    totals = pd.concat([rd_t, kf_t, rf_t, d_t], ignore_index=True)
    votes = pd.concat([rd_v, kf_v, rf_v, d_v], ignore_index=True)
    if totals.duplicated(TOTAL_KEYS).any():
        raise SourceFileError(raw / FOLDER, "samma område förekommer två gånger bland 2026-raderna")
    return Found2026(totals=totals, votes=votes, seats=seats, councils=councils, turnout=turnout,
                     notes=pd.DataFrame(notes))


def source_entries(raw: Path) -> list[dict]:
    """build_info / SOURCES.md entries: each file with its checksum, and where it came from
    (repository, path, commit: from the file's own metadata where it has them)."""
    out = []
    for sid, info in SOURCES.items():
        origin = {k: info.get(k) for k in ("repository", "path", "commit")}
        if "meta" in info:
            fname, key = info["meta"]
            meta = read_json(_path(raw, fname))
            meta = meta.get(key, {}) if key else meta
            origin = {"repository": meta.get("source_repository"), "path": meta.get("source_path"),
                      "commit": meta.get("source_commit")}
            if not all(origin.values()):
                raise SourceFileError(raw / FOLDER / fname, "source_repository, source_path och source_commit "
                                                            "ska finnas i filens metadata")
        for name in info["files"]:
            out.append({"id": sid, "path": f"raw/{FOLDER}/{name}", "sha256": sha256(_path(raw, name)),
                        "origin_repository": origin["repository"], "origin_path": origin["path"],
                        "origin_commit": origin["commit"], "count_status": info["count"]})
    return out


def sources_markdown(entries: list[dict]) -> list[str]:
    """The SOURCES.md sections of the 2026 sources."""
    lines = []
    for sid, info in SOURCES.items():
        files = [e for e in entries if e["id"] == sid]
        if not files:
            continue
        e = files[0]
        lines += [
            f"## {sid}", "",
            f"- Ursprung: {info['origin']}",
            f"- Tredjepartskopia ur github.com/{e['origin_repository']}, fil `{e['origin_path']}`, "
            f"commit `{e['origin_commit']}` (se shared/data/raw/found_2026/PROVENANCE_found_2026.md)",
            f"- Räkning: {info['count']}",
            f"- Kontroller: {info['checks']}",
            f"- Licens/villkor: {info['licence']}",
            f"- {REPLACED_BY}",
            "- Filer:",
        ]
        lines += [f"  - `{s['path']}` (sha256 `{s['sha256'][:16]}…`)" for s in files]
        lines.append("")
    return lines

