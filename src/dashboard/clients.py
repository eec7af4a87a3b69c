"""Who is asking: the viewer's address, for per-client limits, the login slow-down and the log.

Behind the proxy every connection comes from nginx, and the viewer's address is the `X-Real-IP`
(else the last `X-Forwarded-For` entry) that nginx sets. Anyone can send those headers, so they
are believed only from the proxies named in `VALRUMMET_TRUSTED_PROXIES` (addresses or networks,
comma separated; deploy/run-backends.sh and the systemd unit name 127.0.0.1 and ::1, where
nginx runs). From any other peer the peer's own address counts.

Limits are kept per *client key*: the IPv4 address, or the /64 network of an IPv6 address (one
phone or home gets a whole /64, so one IPv6 address per limit would be trivial to sidestep).

The launcher's middleware (dashboard.hardening) works the key out once per connection and hands
it to the session in the header `HEADER`, after removing any copy the client sent.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from functools import lru_cache

HEADER = "x-valrummet-client"
ENV = "VALRUMMET_TRUSTED_PROXIES"
LOCAL = "127.0.0.1"  # Streamlit reports a loopback peer as "no address"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _parse(text: str) -> tuple[Network, ...]:
    nets = []
    for item in text.replace(" ", ",").split(","):
        if item.strip():
            try:
                nets.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                import logging

                logging.getLogger(__name__).warning("%s: '%s' är ingen adress eller nätverk; ignoreras", ENV, item)
    return tuple(nets)


def trusted_proxies(environ: Mapping[str, str] | None = None) -> tuple[Network, ...]:
    """The networks whose X-Real-IP / X-Forwarded-For are believed (none by default)."""
    return _parse((environ if environ is not None else os.environ).get(ENV, ""))


def _ip(text: str | None):
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return (value or "").strip()


def client_address(peer: str | None, headers: Mapping[str, str],
                   trusted: tuple[Network, ...] | None = None) -> str:
    """The viewer's address: the proxy's X-Real-IP (or last X-Forwarded-For) when the peer is a
    trusted proxy and the header holds an address, else the peer itself."""
    trusted = trusted_proxies() if trusted is None else trusted
    peer_ip = _ip(peer)
    if peer_ip is not None and any(peer_ip in net for net in trusted):
        forwarded = _ip(_header(headers, "x-real-ip"))
        if forwarded is None:
            chain = _header(headers, "x-forwarded-for")
            forwarded = _ip(chain.split(",")[-1]) if chain else None
        if forwarded is not None:
            return str(forwarded)
    return str(peer_ip) if peer_ip is not None else (peer or "okänd")


def client_key(address: str) -> str:
    """What limits count per: an IPv4 address, or an IPv6 address's /64 network."""
    ip = _ip(address)
    if ip is None:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# Set by dashboard.hardening when its middleware runs in this process: only then is HEADER ours.
MIDDLEWARE_INSTALLED = False


def current_address() -> str:
    """The address of the viewer of the running session (for the log and the login slow-down)."""
    import streamlit as st

    try:
        headers = st.context.headers
        if MIDDLEWARE_INSTALLED:
            given = headers.get(HEADER)
            if given:
                return given
        return client_address(st.context.ip_address or LOCAL, headers)
    except Exception:  # outside a session (tests, CLI)
        return "okänd"
