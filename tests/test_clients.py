"""The viewer's address and what limits count per (dashboard.clients), and the pieces of
dashboard.hardening that need no server: the log flood filter and the descriptor warning."""
from __future__ import annotations

import logging
import sys

from dashboard import clients, hardening
from dashboard.fmt import md_text
from dashboard.spreadsheet import safe_text


def test_proxy_headers_count_only_from_configured_proxies():
    trusted = clients.trusted_proxies({"VALRUMMET_TRUSTED_PROXIES": "127.0.0.1, ::1,172.16.0.0/12"})
    headers = {"x-real-ip": "203.0.113.7", "x-forwarded-for": "198.51.100.1, 203.0.113.8"}
    assert clients.client_address("127.0.0.1", headers, trusted) == "203.0.113.7"
    assert clients.client_address("172.17.0.1", headers, trusted) == "203.0.113.7"
    assert clients.client_address("127.0.0.1", {"x-forwarded-for": "1.2.3.4, 203.0.113.8"}, trusted) == "203.0.113.8"
    assert clients.client_address("127.0.0.2", headers, trusted) == "127.0.0.2"  # not a proxy
    assert clients.client_address("127.0.0.1", headers, clients.trusted_proxies({})) == "127.0.0.1"
    assert clients.client_address("127.0.0.1", {"x-real-ip": "inte en adress"}, trusted) == "127.0.0.1"


def test_limits_count_per_ipv4_address_and_per_ipv6_network():
    assert clients.client_key("203.0.113.7") == "203.0.113.7"
    assert clients.client_key("2001:db8:1:2:aaaa::1") == clients.client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert clients.client_key("::ffff:203.0.113.7") == "203.0.113.7"


def test_repeated_log_lines_are_rate_limited_and_tracebacks_shortened():
    clock = [0.0]
    flood = hardening.FloodFilter(per_minute=2, clock=lambda: clock[0])

    def record(msg: str, exc: BaseException | None = None, **extra) -> logging.LogRecord:
        r = logging.LogRecord("x", logging.ERROR, __file__, 1, msg, None,
                              (type(exc), exc, exc.__traceback__) if exc else None)
        r.__dict__.update(extra)
        return r

    try:
        raise KeyError("okänd")
    except KeyError:
        exc = sys.exc_info()[1]
    first = record("Uncaught app execution", exc)
    assert flood.filter(first) and first.exc_info  # the first: whole traceback
    passed = [r for r in (record("Uncaught app execution", exc) for _ in range(10)) if flood.filter(r)]
    assert len(passed) == 2 and all(r.exc_info is None and "igen: KeyError" in r.getMessage() for r in passed)
    clock[0] += 61
    again = record("Uncaught app execution", exc)
    assert flood.filter(again) and "[8 liknande rader utelämnade]" in again.getMessage()
    assert all(flood.filter(record("login ok", audit=True)) for _ in range(20))  # the audit trail is whole


def test_descriptor_warning_from_eighty_percent():
    assert hardening.fd_warning(799, 1000) is None
    assert "800 av 1000 fildeskriptorer används (80 %)" in hardening.fd_warning(800, 1000)


def test_formula_text_gets_an_apostrophe_and_numbers_do_not():
    for text in ("=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(1)", "\t=1", "\r=1"):
        assert safe_text(text) == "'" + text
    for value in ("-2,5", "-2.5", "+46", "1 234,5", "-3 %", "vanlig text", -2.5, 7, None):
        assert safe_text(value) == value


def test_markdown_in_names_is_escaped_and_plain_names_stay_as_written():
    assert md_text("**fet** ![bild](http://x.se/a.png)") == r"\*\*fet\*\* \!\[bild\](http\://x.se/a.png)"
    assert md_text("<img src=x> `kod` :red[röd] $x$ _kursiv_") == r"\<img src=x\> \`kod\` :red\[röd\] \$x\$ \_kursiv\_"
    assert md_text("- lista") == r"\- lista" and md_text("1. lista") == r"1\. lista"
    assert md_text("www.exempel.se") == r"www\.exempel.se"
    for plain in ("Upplands-Bro", "Arbetarepartiet-Socialdemokraterna", "dorrar_ok.csv: giltig", "S:t Eriks"):
        assert md_text(plain) == plain
    assert md_text("två\nrader") == "två rader"
