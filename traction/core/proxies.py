"""Reverse proxies the administrator named, and the client address behind them.

Headers such as ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are only as trustworthy as
whoever sent them: any client can write them. Traction believes them only when the
request's peer address (``REMOTE_ADDR``) is one of ``TRACTION_TRUSTED_PROXIES`` (addresses
or CIDR networks; none by default). ``TrustedProxyMiddleware`` runs first and drops the
forwarded headers of every other request, so Django's ``SECURE_PROXY_SSL_HEADER`` (the
https check behind secure cookies and the SSL redirect) and ``client_address`` below never
see a value a client made up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TRACTION_TRUSTED_PROXIES: '{entry}' is not an IP address or network "
                "(write for example 127.0.0.1 or 10.0.0.0/8)."
            ) from exc
    return tuple(networks)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRACTION_TRUSTED_PROXIES))


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # [v6]:port
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # v4:port
        address = address.split(":", 1)[0]
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def is_trusted(address: str | None, networks: Iterable[Network] | None = None) -> bool:
    if not address:
        return False
    parsed = _parse(address)
    if parsed is None:
        return False
    return any(parsed in net for net in (trusted_networks() if networks is None else networks))


def client_address(request: HttpRequest) -> str | None:
    """The address of the client that sent the request, as far as it can be known.

    The peer address itself, unless the peer is a trusted proxy: then the
    ``X-Forwarded-For`` chain is read from the right (the entry the proxy itself appended)
    and the first address that is not another trusted proxy is the client.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    if not networks or not is_trusted(peer, networks):
        return peer
    chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    for entry in reversed(chain):
        parsed = _parse(entry)
        if parsed is None:
            break  # a malformed entry: do not believe anything left of it
        if not any(parsed in net for net in networks):
            return str(parsed)
    return peer


def limit_address(address: str | None) -> str | None:
    """The address limits on guessing and requests count by: an IPv4 address as it is, an
    IPv6 one as its /64 network (written as the network's first address). One home or
    server gets a whole /64, billions of addresses: counted one by one, each new address
    would start afresh. An IPv4 address carried in IPv6 (``::ffff:a.b.c.d``) is that IPv4
    address."""
    parsed = _parse(address) if address else None
    if parsed is None:
        return address or None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False).network_address)
    return str(parsed)


class TrustedProxyMiddleware:
    """Drop forwarded headers that did not come from a trusted proxy (see module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
