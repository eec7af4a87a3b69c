"""Import result zips into data/imported/: collect inputs, validate all, then replace atomically.

Rules (docs/importing-results.md):
* one zip covers one *scope* (election, year, area code: `00` riksdag, `01` region, `0180`
  kommun); its rows replace the rows of the previous file for that scope;
* a final count replaces a preliminary one; a preliminary never replaces a final one;
  a file older (senasteUppdateringstid) than the imported one of the same status is refused;
  the same file (same SHA-256) again is skipped;
* when one import holds both counts for a scope the final is used if it is complete, else the
  preliminary;
* everything is validated first; on any error nothing under data/ changes.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import ValrummetError
from ..paths import data_dir as default_data_dir
from . import store
from .derive import DERIVED_SOURCE, derived_rows
from .parse import (IncompleteFinal, NothingCounted, ParsedZip, ResultFileError, SkipFile,
                    parse_zip, parse_zip_name)
from .parties import BUCKET, RIKSDAG_PARTIKOD, PartyRegistry

_LOG = logging.getLogger(__name__)

ELECTION_SV = {"riksdag": "riksdagsvalet", "region": "regionvalet", "kommun": "kommunvalet"}
STATUS_SV = {"final": "slutlig", "preliminary": "preliminär"}
_MD5_LINE = re.compile(r"^(?P<md5>[0-9a-fA-F]{32}) [ *](?P<path>\S.*)$")


class ImportRefused(ValrummetError):
    """One or more files were refused; nothing was changed. `problems` lists each message."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        head = "Importen avbröts – ingenting har ändrats."
        super().__init__(head + "\n" + "\n".join(f"• {p}" for p in problems))


@dataclass
class _Input:
    name: str
    origin: str
    load: Any  # () -> bytes
    md5: str | None = None  # expected, from index.md5

    def data(self) -> bytes:
        data = self.load()
        if self.md5 is not None and hashlib.md5(data).hexdigest() != self.md5.lower():
            raise ResultFileError(self.name, "md5-summan stämmer inte med index.md5 (filen är "
                                             "ändrad, trasig eller från en annan version)")
        return data


@dataclass
class ImportSummary:
    """What an import did (or, with dry_run, would do)."""

    imported: list[dict] = field(default_factory=list)  # manifest entries
    replaced: list[dict] = field(default_factory=list)  # entries that were replaced
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    history: list[Path] = field(default_factory=list)
    dry_run: bool = False
    # Why the database of the new state could not be prepared (`prepare`); the import itself
    # stands, the first query reports the problem again.
    not_prepared: str = ""

    def to_frame(self) -> pd.DataFrame:
        cols = ["file", "election", "year", "area_code", "count_status", "sha256"]
        rows = [{c: e[c] for c in cols} | {"area_totals_rows": e["rows"]["area_totals"],
                                            "area_votes_rows": e["rows"]["area_votes"]}
                for e in self.imported]
        return pd.DataFrame(rows, columns=[*cols, "area_totals_rows", "area_votes_rows"])

    def message(self) -> str:
        lines = []
        verb = "Kontrollerad (inget sparat)" if self.dry_run else "Importerad"
        for e in self.imported:
            lines.append(
                f"{verb}: {e['file']} – {ELECTION_SV[e['election']]} {e['year']}, område "
                f"{e['area_code']}, {STATUS_SV[e['count_status']]} räkning "
                f"(uppdaterad {e['senasteUppdateringstid']}), {_n(e['districts_counted'])} "
                f"valdistrikt, {_n(e['rows']['area_totals'])} områdesrader och "
                f"{_n(e['rows']['area_votes'])} partirader")
        for e in self.replaced:
            lines.append(f"Ersatt: {e['file']} ({STATUS_SV[e['count_status']]}, importerad "
                         f"{e['imported_at'][:19].replace('T', ' ')})")
        for name, reason in self.skipped:
            lines.append(f"Hoppade över: {name} – {reason}")
        if not lines:
            lines.append("Inga resultatfiler att importera.")
        if self.not_prepared:
            lines.append(f"Obs: databasen kunde inte förberedas efter importen: {self.not_prepared}")
        return "\n".join(lines)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


# -- inputs ----------------------------------------------------------------------------------
def _read_index(text: str, where: str) -> list[tuple[str, str]]:
    """(md5, relative path) per line of an index.md5."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _MD5_LINE.match(line.rstrip("\r"))
        if not m:
            raise ResultFileError(where, f"rad {lineno} har fel form, förväntat "
                                         f"'<md5>  ./<sökväg>': {line[:80]!r}")
        out.append((m["md5"], m["path"].removeprefix("./")))
    return out


def _from_path(path: Path, inputs: list[_Input], skipped: list) -> None:
    if not path.exists():
        raise ResultFileError(str(path), "filen eller mappen finns inte")
    if path.is_dir():
        zips = sorted(path.rglob("*.zip"))
        if not zips:
            raise ResultFileError(str(path), "mappen innehåller inga zip-filer")
        md5 = {}
        if (path / "index.md5").is_file():
            for digest, rel in _read_index((path / "index.md5").read_text("utf-8"),
                                           str(path / "index.md5")):
                md5[rel] = digest
        for z in zips:
            inputs.append(_Input(z.name, str(z), z.read_bytes,
                                 md5.get(z.relative_to(path).as_posix())))
    elif path.name.endswith(".md5"):
        text = path.read_text("utf-8")
        entries = [(d, r) for d, r in _read_index(text, str(path)) if r.endswith(".zip")]
        if not text.strip():
            skipped.append((path.name, "index.md5 är tom – Valmyndigheten har inte publicerat "
                                       "några resultat ännu"))
            return
        missing = 0
        for digest, rel in entries:
            z = path.parent / rel
            if not z.is_file():
                z = path.parent / Path(rel).name
            if not z.is_file():
                missing += 1
                continue
            inputs.append(_Input(z.name, str(z), z.read_bytes, digest))
        if missing:
            skipped.append((path.name, f"{_n(missing)} av {_n(len(entries))} zip-filer i "
                                       "index.md5 finns inte bredvid den"))
    elif path.suffix.lower() == ".zip":
        inputs.append(_Input(path.name, str(path), path.read_bytes))
    else:
        raise ResultFileError(str(path), "okänd filtyp – ange zip-filer, en mapp med zip-filer "
                                         "eller index.md5")


def _from_upload(item) -> tuple[str, bytes]:
    if isinstance(item, tuple) and len(item) == 2:
        name, content = item
    elif hasattr(item, "name") and (hasattr(item, "getvalue") or hasattr(item, "read")):
        name = item.name
        content = item.getvalue() if hasattr(item, "getvalue") else item.read()
    else:
        raise ValrummetError("En uppladdad fil saknar namn – ange (filnamn, innehåll).")
    return Path(str(name)).name, bytes(content)


def _collect(items: Iterable) -> tuple[list[_Input], list[tuple[str, str]], list[str]]:
    inputs: list[_Input] = []
    skipped: list[tuple[str, str]] = []
    problems: list[str] = []
    uploads: list[tuple[str, bytes]] = []
    for item in items:
        try:
            if isinstance(item, (str, os.PathLike)):
                _from_path(Path(item), inputs, skipped)
            else:
                uploads.append(_from_upload(item))
        except ValrummetError as exc:
            problems.append(str(exc))
    index = {}
    for name, content in uploads:
        if name.endswith(".md5"):
            try:
                text = content.decode("utf-8")
                index.update({Path(r).name: d for d, r in _read_index(text, name)})
            except (UnicodeDecodeError, ValrummetError) as exc:
                problems.append(str(exc) if isinstance(exc, ValrummetError)
                                else f"Fel i källfilen {name}: filen är inte text")
    for name, content in uploads:
        if not name.endswith(".md5"):
            inputs.append(_Input(name, f"uppladdad fil {name}", lambda c=content: c,
                                 index.get(name)))
    return inputs, skipped, problems


# -- import ----------------------------------------------------------------------------------
@dataclass
class _Base:
    registry: PartyRegistry
    names: dict  # (level, area_code) -> area_name from the base tables
    parties: set[str]  # codes in data/parties.parquet (and the built-in ones)
    areas: dict  # election -> county -> area codes (derive.py)


def _base_state(data_dir: Path) -> _Base:
    base_rows = []
    if (data_dir / "parties.parquet").is_file():
        base_rows = pq.read_table(data_dir / "parties.parquet",
                                  columns=["party", "name"]).to_pylist()
    imported_rows = []
    for folder in store.election_dirs(data_dir):
        imported_rows += store.read_table(folder, "parties").to_pylist()
    names: dict[tuple[str, str], str] = {}
    areas: dict[str, dict[str, set[str]]] = {}
    if (data_dir / "area_totals.parquet").is_file():
        df = pq.read_table(data_dir / "area_totals.parquet", columns=[
            "election", "year", "level", "area_code", "area_name", "county_code"]).to_pandas()
        named = df.dropna(subset=["area_name"]).sort_values("year")
        names = {(lv, code): name for lv, code, name in
                 zip(named["level"], named["area_code"], named["area_name"])}
        # Which areas make a complete county/country (derive.py): the latest base election.
        for election, level in (("kommun", "municipality"), ("region", "region")):
            sel = df[(df["election"] == election) & (df["level"] == level)]
            sel = sel[sel["year"] == sel["year"].max()]
            for county, code in zip(sel["county_code"], sel["area_code"]):
                areas.setdefault(election, {}).setdefault(county, set()).add(code)
    registry = PartyRegistry.from_rows(base_rows, imported_rows)
    builtin = {*RIKSDAG_PARTIKOD.values(), BUCKET}
    return _Base(registry, names, {r["party"] for r in base_rows} | builtin, areas)


def _parse_all(inputs: list[_Input], registry, names, skipped, problems) -> list[ParsedZip]:
    by_scope: dict[tuple, dict[str, list[_Input]]] = {}
    for inp in inputs:
        try:
            zn = parse_zip_name(inp.name)
        except SkipFile as exc:
            skipped.append((inp.name, str(exc)))
            continue
        except ResultFileError as exc:
            problems.append(str(exc))
            continue
        by_scope.setdefault(zn.scope, {}).setdefault(zn.count_status, []).append(inp)

    parsed: list[ParsedZip] = []
    for scope in sorted(by_scope):
        statuses = by_scope[scope]
        order = [s for s in ("final", "preliminary") if s in statuses]
        for status in order:
            candidates = statuses[status]
            try:
                datas = [c.data() for c in candidates]
                if len({hashlib.sha256(d).hexdigest() for d in datas}) > 1:
                    raise ResultFileError(
                        candidates[0].name, "flera olika filer för samma område och räkning: "
                        + ", ".join(c.origin for c in candidates))
                result = parse_zip(candidates[0].name, datas[0], registry, names)
            except NothingCounted as exc:
                skipped.append((candidates[0].name, exc.problem))
                continue
            except IncompleteFinal as exc:
                if "preliminary" in statuses:
                    skipped.append((candidates[0].name, exc.problem + " (den preliminära filen "
                                                                      "används)"))
                    continue
                problems.append(str(exc))
                break
            except ResultFileError as exc:
                problems.append(str(exc))
                break
            except OSError as exc:
                problems.append(f"Fel i källfilen {candidates[0].origin}: kan inte läsas ({exc})")
                break
            except Exception as exc:  # anything unforeseen in a hostile file: refused, not a traceback
                _LOG.warning("result file %s: %s: %s", candidates[0].name, type(exc).__name__, str(exc)[:200])
                problems.append(f"Fel i källfilen {candidates[0].name}: filen kan inte läsas "
                                f"({type(exc).__name__}) – den är inte en resultatfil i Valmyndighetens format")
                break
            parsed.append(result)
            for other in order[order.index(status) + 1:]:
                for c in statuses[other]:
                    skipped.append((c.name, "den slutliga räkningen för samma område finns i "
                                            "samma import"))
            break
    return parsed


def _check_against_current(parsed: list[ParsedZip], data_dir: Path, skipped, problems):
    """Apply the preliminary/final rules against what is imported now; returns the zips to
    write and the entries they replace."""
    current: dict[tuple, dict] = {}
    for folder in store.election_dirs(data_dir):
        for e in store.read_manifest(folder)["files"]:
            current[(e["election"], e["year"], e["area_code"])] = e
    todo, replaced = [], []
    for p in parsed:
        old = current.get(p.name.scope)
        if old is None:
            todo.append(p)
            continue
        what = f"{ELECTION_SV[p.name.election]} {p.name.year}, område {p.name.area}"
        if old["sha256"] == p.sha256:
            skipped.append((p.name.name, "redan importerad (samma kontrollsumma)"))
            continue
        if old["count_status"] == "final" and p.name.count_status == "preliminary":
            problems.append(
                f"Fel i källfilen {p.name.name}: den slutliga räkningen för {what} är redan "
                f"importerad ({old['file']}) – en preliminär räkning ersätter inte en slutlig")
            continue
        if (old["count_status"] == p.name.count_status
                and p.meta["senasteUppdateringstid"] < old["senasteUppdateringstid"]):
            problems.append(
                f"Fel i källfilen {p.name.name}: filen (uppdaterad "
                f"{p.meta['senasteUppdateringstid']}) är äldre än den redan importerade "
                f"{old['file']} (uppdaterad {old['senasteUppdateringstid']}) för {what}")
            continue
        todo.append(p)
        replaced.append(old)
    return todo, replaced


def _entry(p: ParsedZip, imported_at: str) -> dict:
    return {
        "file": p.name.name, "source": p.source, "election": p.name.election,
        "year": p.name.year, "area_code": p.name.area, "count_status": p.name.count_status,
        "rakningstillfalle": p.meta["rakningstillfalle"], "valtillfalle": p.meta["valtillfalle"],
        "valdatum": p.meta["valdatum"],
        "senasteUppdateringstid": p.meta["senasteUppdateringstid"],
        "antalUppdateringar": p.meta["antalUppdateringar"],
        "districts_counted": p.districts_counted, "districts_in_file": p.districts_in_file,
        "districts_total": p.meta["antalValdistriktSomSkaRaknas"],
        "districts_reported_counted": p.meta["antalValdistriktRaknade"],
        "complete": p.complete, "sha256": p.sha256, "bytes": p.size, "members": p.members,
        "imported_at": imported_at,
        "rows": {"area_totals": len(p.totals), "area_votes": len(p.votes)},
    }


def _prepare(data_dir: Path, key: tuple[str, int], new: list[ParsedZip], replaced: list[dict],
             base: _Base, imported_at: str, tmp_root: Path) -> Path:
    election, year = key
    folder = store.election_dir(data_dir, election, year)
    manifest = store.read_manifest(folder) or {"files": []}
    # rows of replaced files and the county/country sums (recomputed below) go
    drop = sorted({e["source"] for e in replaced if (e["election"], e["year"]) == key}
                  | {DERIVED_SOURCE})
    merged = {}
    for name, attr in (("area_totals", "totals"), ("area_votes", "votes")):
        old = store.read_table(folder, name)
        old = old.filter(pc.invert(pc.is_in(old["source"], pa.array(drop))))
        merged[name] = pa.concat_tables(
            [old] + [store.to_table(getattr(p, attr), name) for p in new])
    extra_totals, extra_votes = derived_rows(election, year, merged["area_totals"],
                                             merged["area_votes"], base.areas.get(election, {}),
                                             base.names)
    tables = {}
    for name, extra in (("area_totals", extra_totals), ("area_votes", extra_votes)):
        table = pa.concat_tables([merged[name], store.to_table(extra, name)])
        sort = [("level", "ascending"), ("area_code", "ascending")]
        if name == "area_votes":
            sort.append(("party", "ascending"))
        tables[name] = table.sort_by(sort)
    used = set(tables["area_votes"]["party"].to_pylist()) - base.parties
    old_parties = {r["party"]: r for r in store.read_table(folder, "parties").to_pylist()}
    party_rows = [old_parties.get(code) or base.registry.extra[code] for code in sorted(used)]
    tables["parties"] = store.to_table(party_rows, "parties")
    files = [e for e in manifest["files"] if e["source"] not in drop]
    files += [_entry(p, imported_at) for p in new]
    files.sort(key=lambda e: e["area_code"])
    status = "final" if all(e["count_status"] == "final" for e in files) else "preliminary"
    levels = sorted(set(tables["area_totals"]["level"].to_pylist()))
    tables["elections"] = store.to_table([{
        "election": election, "year": year, "count_status": status, "levels": ",".join(levels),
        "source": ",".join(e["source"] for e in files),
    }], "elections")
    manifest = {"format": 1, "election": election, "year": year, "updated_at": imported_at,
                "count_status": status, "files": files}
    tmp = tmp_root / f"{election}_{year}"
    store.write_folder(tmp, tables, manifest)
    return tmp


def import_files(paths: Iterable, data_dir: Path | str | None = None, *,
                 dry_run: bool = False, prepare: bool = False) -> ImportSummary:
    """Validate and import result zips.

    `paths`: zip files, folders of zips, index.md5 files (zips beside them), or uploads as
    `(file name, bytes)` or file-like objects with `.name` (e.g. Streamlit's UploadedFile; an
    uploaded index.md5 is used to check the md5 of the uploaded zips).
    Raises ImportRefused (nothing changed) when any file is bad.
    `prepare`: after an import, recompute the seat table of the imported elections
    (`seat_table.refresh`) and build the database file of the new state now (the command and
    the import page do), rather than when the next query needs it.
    """
    data_dir = Path(data_dir or default_data_dir())
    if not data_dir.is_dir():
        raise ValrummetError(f"Datamappen {data_dir} finns inte.")
    single_upload = (isinstance(paths, tuple) and len(paths) == 2
                     and isinstance(paths[1], (bytes, bytearray)))
    if isinstance(paths, (str, os.PathLike)) or single_upload or hasattr(paths, "getvalue"):
        paths = [paths]
    inputs, skipped, problems = _collect(paths)
    summary = ImportSummary(skipped=skipped, dry_run=dry_run)
    if not inputs and not skipped and not problems:
        problems.append("Inga resultatfiler angavs.")
    base = _base_state(data_dir)
    parsed = _parse_all(inputs, base.registry, base.names, skipped, problems)
    if problems:
        raise ImportRefused(problems)

    with store.locked(data_dir):
        todo, replaced = _check_against_current(parsed, data_dir, skipped, problems)
        if problems:
            raise ImportRefused(problems)
        now = datetime.now().astimezone()
        imported_at = now.isoformat(timespec="microseconds")
        summary.imported = [_entry(p, imported_at) for p in todo]
        summary.replaced = replaced
        if dry_run or not todo:
            return summary
        root = store.imported_root(data_dir)
        tmp_root = root / f".tmp-{uuid.uuid4().hex}"
        try:
            groups: dict[tuple, list[ParsedZip]] = {}
            for p in todo:
                groups.setdefault((p.name.election, p.name.year), []).append(p)
            prepared = {
                f"{key[0]}_{key[1]}": _prepare(data_dir, key, group, replaced, base,
                                               imported_at, tmp_root)
                for key, group in sorted(groups.items())
            }
            summary.history = store.swap_in(data_dir, prepared, now.strftime("%Y%m%dT%H%M%S%f"))
        finally:
            shutil.rmtree(tmp_root, ignore_errors=True)
    _reset_db()
    if prepare:
        from ..seat_table import refresh

        try:
            refresh(data_dir)
        except ValrummetError as exc:  # e.g. a data folder without the base tables
            summary.not_prepared = str(exc)
    return summary


def _reset_db() -> None:
    # A running app must reload data/ to see the import.
    try:
        from .. import db
    except ImportError:
        return
    db.reset_connections()
