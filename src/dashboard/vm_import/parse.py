"""Read one result zip (`Val_2026_slutlig_0180_KF.zip` …) into warehouse rows.

Everything is checked before a row is produced: the zip and member names, every field the
importer uses (schema.py), the arithmetic (parties + other parties = valid; valid + invalid =
cast) and that the totals in mandatfordelning/summering equal the sums over the districts.
Any problem raises ResultFileError naming the zip, the member and the field, in Swedish.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from ..errors import SourceFileError
from . import schema
from .parties import BUCKET, PartyConflict, PartyRegistry

ELECTIONS = {"RD": "riksdag", "RF": "region", "KF": "kommun"}
COUNT_STATUS = {"preliminar": "preliminary", "preliminär": "preliminary", "slutlig": "final"}
KINDS = ("rostfordelning", "mandatfordelning", "summering")
SIGN_SUFFIX = "_sign.sha256"
# Large parts of final files that the importer never reads (personal votes, elected members):
# dropped while parsing so a 260 MB riksdag file does not have to be held as Python objects.
_PRUNE = ("listRoster", "summeradePersonroster", "personroster", "kvalificeradeForPersonvalLista",
          "valda", "ledamoter", "ersattareList")

_ZIP_RE = re.compile(
    r"^(?P<prefix>(?P<kind>[A-Za-z]+)_(?P<year>\d{4})(?:\d{4})?)_(?P<count>[a-zä]+)_"
    r"(?P<area>[0-9A-Z]+)_(?P<vt>[A-Z]+)\.zip$"
)
ZIP_PATTERN = "Val_<år>_<preliminar|slutlig>_<områdeskod>_<RD|RF|KF>.zip"

# Zip bombs (issue 16). Valmyndigheten's largest file, the final riksdag zip for all of Sweden,
# is ~24 MB zipped and ~260 MB unzipped (personal votes included), JSON packs about 10:1. A
# member may unpack to at most MAX_MEMBER_BYTES, a zip to MAX_UNPACKED_BYTES in all, and no
# member of over RATIO_FLOOR bytes more than MAX_RATIO times its packed size. Sizes are checked
# as declared in the zip before anything is unpacked, and again while unpacking.
MAX_MEMBER_BYTES = 400 * 1024 * 1024
MAX_UNPACKED_BYTES = 600 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 12  # three JSON files and their signatures, with room to spare
SIGN_MAX_BYTES = 64 * 1024  # a _sign.sha256 member holds a digest or a signature
_CHUNK = 1024 * 1024


class ResultFileError(SourceFileError):
    """A result zip (or one of its members) is not as documented."""

    def __init__(self, zip_name: str, problem: str, member: str | None = None):
        self.zip_name = zip_name
        self.member = member
        super().__init__(f"{zip_name} › {member}" if member else zip_name, problem)


class IncompleteFinal(ResultFileError):
    """A final-count file where not every district has its final count yet."""


class NothingCounted(ResultFileError):
    """A preliminary file published before any of its districts was counted."""


class SkipFile(Exception):
    """A known file the importer deliberately does not import (reason in Swedish)."""


@dataclass(frozen=True)
class ZipName:
    name: str
    prefix: str
    year: int
    count_status: str
    rakning: str
    area: str
    valtyp: str

    @property
    def election(self) -> str:
        return ELECTIONS[self.valtyp]

    @property
    def scope(self) -> tuple[str, int, str]:
        return (self.election, self.year, self.area)


def parse_zip_name(name: str) -> ZipName:
    """Check a zip's name; raises ResultFileError or SkipFile (OS roll-ups)."""
    m = _ZIP_RE.match(name)
    if not m:
        raise ResultFileError(name, f"okänt filnamn, förväntat {ZIP_PATTERN}")
    if m["kind"] == "Genrep":
        raise ResultFileError(
            name, "filen kommer från Valmyndighetens generalrepetition (Genrep) och är testdata – "
                  "den importeras inte")
    if m["kind"] != "Val":
        raise ResultFileError(name, f"okänt prefix '{m['prefix']}', förväntat Val_<år>")
    if m["count"] not in COUNT_STATUS:
        raise ResultFileError(
            name, f"okänt räkningstillfälle '{m['count']}' i filnamnet (preliminar eller slutlig)")
    vt, area = m["vt"], m["area"]
    if vt not in ELECTIONS:
        raise ResultFileError(
            name, f"valtypen '{vt}' stöds inte (bara RD riksdag, RF region och KF kommun)")
    if area == "OS":
        raise SkipFile("överordnad summering (OS) importeras inte – importera kommunernas och "
                       "regionernas egna filer")
    expected = {"RD": r"00", "RF": r"[0-9]{2}", "KF": r"[0-9]{4}"}[vt]
    if not re.fullmatch(expected, area):
        what = {"RD": "00", "RF": "en länskod med 2 siffror",
                "KF": "en kommunkod med 4 siffror"}[vt]
        raise ResultFileError(name, f"områdeskoden '{area}' passar inte {vt}-filer ({what})")
    return ZipName(name, m["prefix"], int(m["year"]), COUNT_STATUS[m["count"]], m["count"],
                   area, vt)


@dataclass
class Unit:
    """Votes of one area as given by the file (a district or a file total)."""

    cast: int | None
    valid: int
    parties: dict[str, int]
    ovr: int | None  # rosterOvrigaPartier; None when the node is absent
    eligible: int | None = None
    collection: bool = False


@dataclass
class ParsedZip:
    name: ZipName
    sha256: str
    size: int
    members: list[dict]
    meta: dict
    complete: bool
    districts_counted: int
    districts_in_file: int
    totals: list[dict] = field(default_factory=list)
    votes: list[dict] = field(default_factory=list)

    @property
    def source(self) -> str:
        return f"vm_resultatfil:{self.name.name}"

    def parties_used(self) -> set[str]:
        return {row["party"] for row in self.votes}


def _prune(obj: dict) -> dict:
    for key in _PRUNE:
        obj.pop(key, None)
    return obj


class _Reader:
    """Parses one zip; keeps the zip and member names for error messages."""

    def __init__(self, zn: ZipName, registry: PartyRegistry, names: dict):
        self.zn = zn
        self.registry = registry
        self.names = names  # (level, area_code) -> name from the base tables
        self.member: str | None = None

    def fail(self, problem: str, cls=ResultFileError):
        raise cls(self.zn.name, problem, self.member)

    # -- zip and members -------------------------------------------------------------------
    def read(self, data: bytes) -> ParsedZip:
        zn = self.zn
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, EOFError, ValueError, OSError):
            self.fail("är inte en läsbar zip-fil (trasig eller avkortad?)")
        with zf:
            self._check_sizes(infos)
            jsons, signs = self._classify([i for i in infos if not i.is_dir()])
            self._budget = MAX_UNPACKED_BYTES
            raw = {kind: self._read_member(zf, name) for kind, name in jsons.items()}
            members = []
            for kind, name in jsons.items():
                digest = hashlib.sha256(raw[kind]).hexdigest()
                sign = signs.get(name)
                status = "saknas"
                if sign is not None:
                    content = self._read_member(zf, sign, cap=SIGN_MAX_BYTES)
                    self.member = name
                    status = self._check_sign(content, digest, sign)
                members.append({"name": name, "kind": kind, "sha256": digest,
                                "signature": status})
        docs = {kind: self._load_json(jsons[kind], raw.pop(kind)) for kind in list(jsons)}
        meta = self._check_roots(docs, jsons)
        return self._build(docs, jsons, meta, data, members)

    def _classify(self, infos) -> tuple[dict[str, str], dict[str, str]]:
        allowed = ("…rostfordelning….json, …mandatfordelning….json, …summering….json "
                   f"och deras …{SIGN_SUFFIX}")
        jsons: dict[str, str] = {}
        signs: dict[str, str] = {}
        names = {i.filename for i in infos}
        for info in infos:
            name = info.filename
            if "/" in name or "\\" in name:
                self.fail(f"oväntad fil i en mapp i zip-filen: '{name}' (förväntat {allowed})")
            if name.endswith(SIGN_SUFFIX):
                base = name[: -len(SIGN_SUFFIX)]
                target = base if base.endswith(".json") else base + ".json"
                if target not in names:
                    self.fail(f"signaturfilen '{name}' hör inte till någon JSON-fil i zip-filen")
                signs[target] = name
                continue
            kinds = [k for k in KINDS if k in name.lower()] if name.endswith(".json") else []
            if len(kinds) != 1:
                self.fail(f"okänd fil i zip-filen: '{name}' (förväntat {allowed})")
            if kinds[0] in jsons:
                self.fail(f"zip-filen innehåller två {kinds[0]}-filer: "
                          f"'{jsons[kinds[0]]}' och '{name}'")
            jsons[kinds[0]] = name
        for kind in ("rostfordelning", "mandatfordelning"):
            if kind not in jsons:
                self.fail(f"zip-filen saknar {kind}-filen (…_{kind}_…_{self.zn.valtyp}.json)")
        if "summering" in jsons and self.zn.valtyp == "KF":
            self.fail(f"oväntad summeringsfil '{jsons['summering']}' i en KF-fil")
        return jsons, signs

    def _check_sizes(self, infos) -> None:
        """Refuse a zip whose members say they unpack to more than the caps, before unpacking."""
        if len(infos) > MAX_MEMBERS:
            self.fail(f"zip-filen har {len(infos)} filer; en resultatfil har högst {MAX_MEMBERS}")
        total = 0
        for info in infos:
            self.member = info.filename
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
                self.fail(f"filen packas upp till {_mb(info.file_size)} från {_mb(info.compress_size)} "
                          f"(mer än {MAX_RATIO} gånger) – så packas inga valresultat; filen ser ut som en "
                          "zip-bomb och läses inte")
            if info.file_size > MAX_MEMBER_BYTES:
                self.fail(_too_big(info.file_size, MAX_MEMBER_BYTES, "uppackad"))
            total += info.file_size
        self.member = None
        if total > MAX_UNPACKED_BYTES:
            self.fail(_too_big(total, MAX_UNPACKED_BYTES, "uppackad zip-fil"))

    def _read_member(self, zf: zipfile.ZipFile, name: str, cap: int = MAX_MEMBER_BYTES) -> bytearray:
        """The member's bytes, unpacked in chunks; stops as soon as a cap is passed (the sizes a
        zip declares can lie)."""
        self.member = name
        info = zf.getinfo(name)
        limit = min(cap, getattr(self, "_budget", MAX_UNPACKED_BYTES))
        out = bytearray()
        try:
            with zf.open(info) as member:
                while chunk := member.read(_CHUNK):
                    out += chunk
                    if len(out) > limit:
                        self.fail(_too_big(len(out), limit, "uppackad") + " (mer än zip-filen anger)")
                    if len(out) > RATIO_FLOOR and len(out) > MAX_RATIO * max(1, info.compress_size):
                        self.fail(f"filen packas upp till mer än {MAX_RATIO} gånger sin packade storlek "
                                  "– filen ser ut som en zip-bomb och läses inte")
        except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, OSError, NotImplementedError,
                RuntimeError) as exc:
            crc = "CRC" in str(exc)
            self.fail("filens kontrollsumma (CRC) stämmer inte – zip-filen är trasig" if crc
                      else "filen kan inte packas upp (trasig eller avkortad zip-fil, eller en "
                           "komprimering eller kryptering som inte stöds)")
        self._budget = getattr(self, "_budget", MAX_UNPACKED_BYTES) - len(out)
        return out  # json and hashlib take a bytearray: no second copy of a large member

    def _check_sign(self, content: bytes, digest: str, sign: str) -> str:
        # The files' own checksum: verified when it is a plain SHA-256 hex digest; a real
        # signature cannot be checked offline and is only recorded.
        text = content.decode("ascii", errors="replace").strip()
        token = text.split()[0].lower() if text else ""
        if re.fullmatch(r"[0-9a-f]{64}", token):
            if token != digest:
                self.fail(f"kontrollsumman i {sign} stämmer inte med filen (den är ändrad "
                          "eller trasig)")
            return "kontrollerad"
        return "ej kontrollerad"

    def _load_json(self, name: str, data: bytes):
        self.member = name
        try:
            doc = json.loads(data, object_hook=_prune, parse_int=_parse_int)
        except UnicodeDecodeError as exc:
            self.fail(f"filen är inte UTF-8-kodad text ({exc.reason} vid byte {exc.start})")
        except json.JSONDecodeError as exc:
            self.fail(f"ogiltig JSON på rad {exc.lineno}, kolumn {exc.colno}: {exc.msg}")
        except _HugeNumber as exc:
            self.fail(f"filen innehåller ett tal med {exc.digits} siffror – så stora tal finns inte i "
                      "valresultat; filen läses inte")
        except RecursionError:
            self.fail("JSON-filen är nästlad för djupt (listor eller objekt i tusentals nivåer) – så ser "
                      "inga valresultat ut; filen läses inte")
        except (ValueError, MemoryError) as exc:
            self.fail(f"JSON-filen kan inte läsas ({type(exc).__name__})")
        if not isinstance(doc, dict):
            self.fail("JSON-filen ska innehålla ett objekt")
        if "helaLandet" in doc:
            self.fail("filen är en överordnad summering (helaLandet), som inte importeras")
        kind = next(k for k in KINDS if k in name.lower())
        try:
            err = schema.first_error(kind, doc)
        except RecursionError:
            self.fail("JSON-filen är nästlad för djupt för att kontrolleras – filen läses inte")
        if err is not None:
            self.fail(schema.describe(err) + self._context(doc, list(err.absolute_path)))
        return doc

    @staticmethod
    def _context(doc, path) -> str:
        # Name the district/municipality/constituency an error sits in.
        node, label = doc, ""
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(part, int) and isinstance(node, dict):
                code = node.get("valdistriktskod") or node.get("kommunkod") or node.get("kod")
                name = node.get("namn") or node.get("namnValkrets")
                if code or name:
                    label = " ".join(str(x) for x in (code, name) if x)
        return f" ({label})" if label else ""

    # -- roots -----------------------------------------------------------------------------
    def _check_roots(self, docs: dict, jsons: dict) -> dict:
        zn = self.zn
        for kind, doc in docs.items():
            self.member = jsons[kind]
            if doc.get("test") is True:
                self.fail("filen är märkt som testdata (test: true) och importeras inte")
            if doc["valtyp"] != zn.valtyp:
                self.fail(f"valtyp är '{doc['valtyp']}' men filnamnet säger {zn.valtyp}")
            status = COUNT_STATUS[doc["rakningstillfalle"]]
            if status != zn.count_status:
                self.fail(f"rakningstillfalle är '{doc['rakningstillfalle']}' men filnamnet "
                          f"säger '{zn.rakning}'")
            if doc["valtillfalle"] != zn.prefix:
                self.fail(f"valtillfalle är '{doc['valtillfalle']}' men filnamnet säger "
                          f"'{zn.prefix}'")
            if "valdatum" in doc and int(doc["valdatum"][:4]) != zn.year:
                self.fail(f"valdatum {doc['valdatum']} passar inte valåret {zn.year} i filnamnet")
        main = docs["rostfordelning"]
        self.member = jsons["rostfordelning"]
        return {
            "valtillfalle": main["valtillfalle"],
            "rakningstillfalle": main["rakningstillfalle"],
            "valdatum": main.get("valdatum"),
            "senasteUppdateringstid": max(d["senasteUppdateringstid"] for d in docs.values()),
            "antalUppdateringar": main.get("antalUppdateringar"),
            "antalValdistriktRaknade": main["antalValdistriktRaknade"],
            "antalValdistriktSomSkaRaknas": main["antalValdistriktSomSkaRaknas"],
        }

    # -- votes -----------------------------------------------------------------------------
    def _unit(self, rf: dict, cast, where: str) -> Unit:
        """Parse a (non-null) rostfordelning object and check its arithmetic."""
        rpm, ejpm = rf["rosterPaverkaMandat"], rf["rosterEjPaverkaMandat"]
        parties: dict[str, int] = {}
        for j, p in enumerate(rpm["partiRoster"]):
            try:
                code = self.registry.resolve(p["partikod"], p["partiforkortning"],
                                             p["partibeteckning"], p.get("fargkod"))
            except PartyConflict as exc:
                self.fail(f"{where}.rostfordelning.rosterPaverkaMandat.partiRoster[{j}]: {exc}")
            if code in parties:
                self.fail(f"{where}: partiet {code} ({p['partibeteckning']}) förekommer två "
                          "gånger i partiRoster")
            parties[code] = int(p["antalRoster"])
        bucket = rpm.get("rosterOvrigaPartier")
        ovr = int(bucket["antalRoster"]) if bucket is not None else None
        valid = int(rpm["antalRoster"])
        if sum(parties.values()) + (ovr or 0) != valid:
            self.fail(f"{where}: partiernas röster ({_n(sum(parties.values()))}) + övriga partier "
                      f"({_n(ovr or 0)}) = {_n(sum(parties.values()) + (ovr or 0))} är inte lika "
                      f"med rosterPaverkaMandat.antalRoster ({_n(valid)})")
        invalid = int(ejpm["antalRoster"])
        parts = [ejpm.get(k) for k in ("rosterEjAnmaltDeltagande", "blankaRoster", "ovrigaOgiltiga")]
        if all(p is not None for p in parts) and sum(p["antalRoster"] for p in parts) != invalid:
            self.fail(f"{where}: ogiltiga röster (ej anmält deltagande + blanka + övriga ogiltiga = "
                      f"{_n(sum(p['antalRoster'] for p in parts))}) är inte lika med "
                      f"rosterEjPaverkaMandat.antalRoster ({_n(invalid)})")
        if cast is not None and valid + invalid != cast:
            self.fail(f"{where}: giltiga ({_n(valid)}) + ogiltiga ({_n(invalid)}) röster är inte "
                      f"lika med totaltAntalRoster ({_n(cast)})")
        return Unit(cast=None if cast is None else int(cast), valid=valid, parties=parties, ovr=ovr)

    def _krets(self, code: str, lankod: str, kommunkod: str, where: str) -> str:
        vt = self.zn.valtyp
        if vt == "RD" and len(code) == 2:
            return code
        if vt == "RF":
            if len(code) == 2:
                return lankod + code
            if len(code) == 4 and code.startswith(lankod):
                return code
        if vt == "KF":
            if len(code) == 2:
                return kommunkod + code
            if len(code) == 6 and code.startswith(kommunkod):
                return code
        form = {"RD": "2 siffror", "RF": f"2 siffror eller 4 som börjar med {lankod}",
                "KF": f"2 siffror eller 6 som börjar med {kommunkod}"}[vt]
        self.fail(f"{where}: valkretskoden '{code}' har okänd form för {vt} (förväntat {form})")

    def _build(self, docs, jsons, meta, data: bytes, members) -> ParsedZip:
        zn = self.zn
        self.member = jsons["rostfordelning"]
        n_total = meta["antalValdistriktSomSkaRaknas"]
        uncounted = sum(d["rostfordelning"] is None for d in docs["rostfordelning"]["valdistrikt"])
        complete = uncounted == 0 and meta["antalValdistriktRaknade"] == n_total
        if zn.count_status == "final" and not complete:
            self.fail(
                f"den slutliga räkningen är inte klar ({meta['antalValdistriktRaknade']} av "
                f"{n_total} valdistrikt räknade, {uncounted} utan rostfordelning) – importera den "
                "preliminära filen tills vidare", IncompleteFinal)
        districts = []  # (row-info dict, Unit)
        seen: set[str] = set()
        for i, d in enumerate(docs["rostfordelning"]["valdistrikt"]):
            code, lan, kommun = d["valdistriktskod"], d["lankod"], d["kommunkod"]
            where = f"valdistrikt[{i}] ({code} {d['namn']})"
            collection = d["valdistriktstyp"] == "uppsamlingsdistrikt"
            if d["valomradeskod"] != zn.area:
                self.fail(f"{where}: valomradeskod '{d['valomradeskod']}' är inte filens "
                          f"områdeskod '{zn.area}'")
            if not kommun.startswith(lan):
                self.fail(f"{where}: kommunkod {kommun} hör inte till länskod {lan}")
            if zn.valtyp == "KF" and kommun != zn.area:
                self.fail(f"{where}: kommunkod {kommun} är inte filens kommun {zn.area}")
            if zn.valtyp == "RF" and lan != zn.area:
                self.fail(f"{where}: länskod {lan} är inte filens region {zn.area}")
            if len(code) != 8 and not collection:
                self.fail(f"{where}: valdistriktskoden ska ha 8 siffror")
            if not code.startswith(kommun):
                self.fail(f"{where}: valdistriktskoden börjar inte med kommunkoden {kommun}")
            if code in seen:
                self.fail(f"{where}: valdistriktskoden förekommer två gånger")
            seen.add(code)
            kvk = d.get("kommunvalkretsKod")
            if kvk is None and zn.valtyp == "KF":
                kvk = self._krets(d["kretskod"], lan, kommun, where)
            if kvk is not None and not kvk.startswith(kommun):
                self.fail(f"{where}: kommunvalkretsKod {kvk} börjar inte med kommunkoden {kommun}")
            # kretskod is election-specific; for KF the kommunvalkrets code above is used.
            krets = None if zn.valtyp == "KF" else self._krets(d["kretskod"], lan, kommun, where)
            if d["rostfordelning"] is None:
                continue
            if d["totaltAntalRoster"] is None:
                self.fail(f"{where}: totaltAntalRoster saknar värde fast distriktet är räknat")
            unit = self._unit(d["rostfordelning"], d["totaltAntalRoster"], where)
            unit.eligible = d["antalRostberattigade"]
            unit.collection = collection
            info = {"code": code, "name": d["namn"], "lan": lan, "kommun": kommun, "krets": krets,
                    "kvk": kvk, "kvk_name": d.get("kommunvalkretsNamn")}
            districts.append((info, unit))

        if not districts:
            self.fail("inget valdistrikt är räknat ännu – det finns inget att importera",
                      NothingCounted)

        parsed = ParsedZip(
            name=zn, sha256=hashlib.sha256(data).hexdigest(), size=len(data), members=members,
            meta=meta, complete=complete, districts_counted=len(districts),
            districts_in_file=len(districts) + uncounted,
        )
        self._rows = parsed
        for info, unit in districts:
            self._emit("district", info["code"], info["name"], unit, county=info["lan"],
                       kommunkod=info["kommun"], is_collection=unit.collection,
                       riksdag_valkrets_code=info["krets"] if zn.valtyp == "RD" else None,
                       rf_valkrets_code=info["krets"] if zn.valtyp == "RF" else None,
                       kommunvalkrets_code=info["kvk"])
        getattr(self, f"_levels_{zn.valtyp}")(docs, jsons, districts)
        return parsed

    # -- levels above district -------------------------------------------------------------
    def _levels_RD(self, docs, jsons, districts):
        self._municipalities(docs, jsons, districts)
        area = self._area_total(docs, jsons)
        self._valkretsar(docs, jsons, districts, "riksdag_valkrets", lambda i: i["krets"])
        for lan, group in _group(districts, lambda i: i["lan"]).items():
            self._emit("county", lan, self._name("county", lan), _aggregate(group), county=lan)
        self.member = jsons["mandatfordelning"]
        self._emit_checked("country", "SE", area, districts, county=None,
                           where="valomrade")

    def _levels_RF(self, docs, jsons, districts):
        self._municipalities(docs, jsons, districts)
        area = self._area_total(docs, jsons)
        self._valkretsar(docs, jsons, districts, "rf_valkrets", lambda i: i["krets"])
        self.member = jsons["mandatfordelning"]
        self._emit_checked("region", self.zn.area, area, districts, county=self.zn.area,
                           where="valomrade")

    def _levels_KF(self, docs, jsons, districts):
        area = self._area_total(docs, jsons)
        self._valkretsar(docs, jsons, districts, "kommunvalkrets", lambda i: i["kvk"])
        self.member = jsons["mandatfordelning"]
        self._emit_checked("municipality", self.zn.area, area, districts,
                           county=self.zn.area[:2], kommunkod=self.zn.area, where="valomrade")

    def _area_total(self, docs, jsons) -> tuple[str, Unit | None]:
        self.member = jsons["mandatfordelning"]
        v = docs["mandatfordelning"]["valomrade"]
        if v["kod"] != self.zn.area:
            self.fail(f"valomrade.kod '{v['kod']}' är inte filens områdeskod '{self.zn.area}'")
        unit = None
        if v["rostfordelning"] is not None:
            unit = self._unit(v["rostfordelning"], v.get("totaltAntalRoster"), "valomrade")
        return v["namn"], unit

    def _municipalities(self, docs, jsons, districts):
        groups = _group(districts, lambda i: i["kommun"])
        given: dict[str, tuple[str, Unit | None, str]] = {}
        if "summering" in docs:
            self.member = jsons["summering"]
            for k, item in enumerate(docs["summering"]["kommuner"]):
                where = f"kommuner[{k}] ({item['kommunkod']} {item['namn']})"
                if item["kommunkod"] in given:
                    self.fail(f"{where}: kommunen förekommer två gånger")
                unit = None
                if item["rostfordelning"] is not None:
                    unit = self._unit(item["rostfordelning"], item["totaltAntalRoster"], where)
                given[item["kommunkod"]] = (item["namn"], unit, where)
            for kommun in groups:
                if kommun not in given:
                    self.fail(f"kommunen {kommun} har räknade valdistrikt men saknas i "
                              "summeringsfilen")
        for kommun in sorted(set(groups) | set(given)):
            name, unit, where = given.get(kommun, (self._name("municipality", kommun), None, ""))
            self._emit_checked("municipality", kommun, (name, unit), groups.get(kommun, []),
                               county=kommun[:2], kommunkod=kommun, where=where)

    def _valkretsar(self, docs, jsons, districts, level, key):
        groups = _group(districts, key)
        v = docs["mandatfordelning"]["valomrade"]
        self.member = jsons["mandatfordelning"]
        given: dict[str, tuple[str, Unit | None, str]] = {}
        for k, item in enumerate(v.get("valkretsLista") or []):
            where = f"valomrade.valkretsLista[{k}] ({item['kod']} {item['namnValkrets']})"
            code = self._krets(item["kod"], self.zn.area[:2], self.zn.area, where)
            if code in given:
                self.fail(f"{where}: valkretsen förekommer två gånger")
            unit = None
            if item["rostfordelning"] is not None:
                unit = self._unit(item["rostfordelning"], item.get("totaltAntalRoster"), where)
            given[code] = (item["namnValkrets"], unit, where)
        if given:
            for code in groups:
                if code not in given:
                    self.fail(f"valkretsen {code} har räknade valdistrikt men saknas i "
                              "valomrade.valkretsLista")
        for code in sorted(set(groups) | set(given)):
            members = groups.get(code, [])
            fallback = None
            if level == "kommunvalkrets":
                fallback = next((i["kvk_name"] for i, _ in members if i["kvk_name"]), None)
                if fallback is None and code.endswith("00"):
                    # an undivided kommun: its one kommunvalkrets carries the kommun's name
                    fallback = v["namn"]
            name, unit, where = given.get(code, (fallback or self._name(level, code), None, ""))
            lan = members[0][0]["lan"] if members else self.zn.area[:2]
            if self.zn.valtyp == "RD":
                lans = {i["lan"] for i, _ in members}
                lan = lans.pop() if len(lans) == 1 else None
            self._emit_checked(level, code, (name, unit), members, county=lan,
                               kommunkod=self.zn.area if level == "kommunvalkrets" else None,
                               where=where)

    def _name(self, level: str, code: str) -> str | None:
        return self.names.get((level, code))

    def _emit_checked(self, level, code, given, members, *, where, county, kommunkod=None):
        """Emit an aggregate row: the file's own total when given (after checking it against
        the district sums), else the district sums."""
        name, unit = given
        if not members:
            if unit is not None and (unit.valid or unit.cast):
                self.fail(f"{where}: har {_n(unit.valid)} giltiga röster men inget räknat "
                          "valdistrikt")
            return
        agg = _aggregate(members)
        if unit is not None:
            self._compare(unit, agg, where)
            unit.eligible = agg.eligible
            if unit.cast is None:
                unit.cast = agg.cast
            agg = unit
        self._emit(level, code, name, agg, county=county, kommunkod=kommunkod)

    def _compare(self, unit: Unit, agg: Unit, where: str) -> None:
        checks = [("totaltAntalRoster", unit.cast, agg.cast),
                  ("rosterPaverkaMandat.antalRoster", unit.valid, agg.valid)]
        checks += [(f"röster för {p}", unit.parties[p], agg.parties[p])
                   for p in unit.parties if p in agg.parties]
        for what, file_value, district_sum in checks:
            if file_value is not None and file_value != district_sum:
                self.fail(f"{where}: {what} är {_n(file_value)} men summan över valdistrikten "
                          f"är {_n(district_sum)}")

    def _emit(self, level, code, name, unit: Unit, *, county, kommunkod=None,
              is_collection=False, riksdag_valkrets_code=None, rf_valkrets_code=None,
              kommunvalkrets_code=None):
        zn, source = self.zn, self._rows.source
        self._rows.totals.append({
            "election": zn.election, "year": zn.year, "level": level, "area_code": code,
            "area_name": name, "county_code": county, "kommunkod": kommunkod,
            "riksdag_valkrets_code": riksdag_valkrets_code, "rf_valkrets_code": rf_valkrets_code,
            "kommunvalkrets_code": kommunvalkrets_code, "is_collection": is_collection,
            "eligible": unit.eligible, "votes_cast": unit.cast, "valid_votes": unit.valid,
            "count_status": zn.count_status, "source": source,
        })
        items = list(unit.parties.items())
        if unit.ovr is not None:
            items.append((BUCKET, unit.ovr))
        for party, votes in items:
            self._rows.votes.append({
                "election": zn.election, "year": zn.year, "level": level, "area_code": code,
                "party": party, "votes": votes, "votes_min": votes, "votes_max": votes,
                "share_pct": votes / unit.valid * 100 if unit.valid else None,
                "precision": "exact", "source": source,
            })


class _HugeNumber(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


MAX_DIGITS = 100  # counts in a result file have at most 8 digits (the electorate); room for any id


def _parse_int(text: str) -> int:
    """JSON integers; a number of absurd length is refused before Python converts it."""
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _HugeNumber(digits)
    return int(text)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB".replace(",", " ")


def _too_big(n: int, cap: int, what: str) -> str:
    return (f"filen är för stor {what}: {_mb(n)}, högst {_mb(cap)} godtas (Valmyndighetens största "
            "resultatfil, riksdagsvalet för hela landet, är omkring 260 MB uppackad)")


def _group(districts, key) -> dict[str, list]:
    out: dict[str, list] = {}
    for info, unit in districts:
        out.setdefault(key(info), []).append((info, unit))
    return out


def _aggregate(members) -> Unit:
    """Sum districts. A party is summed only where its count is exact in every district (listed,
    or the district has no other-parties votes); the rest goes to ÖVR."""
    units = [u for _, u in members]
    valid = sum(u.valid for u in units)
    names = dict.fromkeys(p for u in units for p in u.parties)
    exact = {p: sum(u.parties.get(p, 0) for u in units) for p in names
             if all(p in u.parties or not u.ovr for u in units)}
    rest = valid - sum(exact.values())
    has_bucket = rest != 0 or any(u.ovr is not None for u in units)
    ordinary = [u for u in units if not u.collection]
    eligible = (sum(u.eligible for u in ordinary)
                if ordinary and all(u.eligible is not None for u in ordinary) else None)
    return Unit(cast=sum(u.cast for u in units), valid=valid, parties=exact,
                ovr=rest if has_bucket else None, eligible=eligible)


def _n(value: int) -> str:
    """Swedish thousands separator."""
    return f"{value:,}".replace(",", " ")


def parse_zip(name: str, data: bytes, registry: PartyRegistry,
              names: dict | None = None) -> ParsedZip:
    """Validate and read one result zip into area_totals/area_votes rows."""
    zn = parse_zip_name(name)
    return _Reader(zn, registry, names or {}).read(data)
