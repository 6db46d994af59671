"""Where Huiliu's own outbound HTTP may go.

Merchants give Huiliu URLs — webhook endpoints, their order API, channel media — and
Huiliu fetches them from inside the merchant-facing network. A URL that resolves to
loopback, a private range or link-local (cloud metadata at 169.254.169.254) would let a
merchant's setting reach Huiliu's own neighbours, so every outbound request goes through
``GuardedTransport``: it resolves the host and refuses any address in a blocked range unless
``HUILIU_OUTBOUND_ALLOW`` lists it (by default loopback, so the embedded deployment can call
the demo shop on the same machine; a hosted deployment sets it empty).

The check resolves the name itself just before httpx connects; a name that changes its
answer between the two (DNS rebinding) is not caught — deployments that must rule that out
put an egress proxy in front.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpx

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressBlocked(httpx.RequestError):
    """The destination is in a blocked range: final, retrying cannot help."""


def parse_allow(spec: str) -> tuple[IPNetwork, ...]:
    """``127.0.0.0/8, ::1`` → networks (a bare address is its own /32 or /128)."""
    out: list[IPNetwork] = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            out.append(ipaddress.ip_network(part, strict=False))
    return tuple(out)


def blocked(address: IPAddress, allow: Iterable[IPNetwork]) -> bool:
    if any(address in network for network in allow):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return blocked(address.ipv4_mapped, allow)
    return not address.is_global or address.is_multicast


async def check_host(host: str, port: int, allow: Iterable[IPNetwork]) -> None:
    """Raise ``EgressBlocked`` when ``host`` is, or resolves to, a blocked address."""
    allow = tuple(allow)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if blocked(address, allow):
            raise EgressBlocked(
                f"{host} resolves to {address}, a private, loopback or link-local address; "
                "outbound calls may not go there (HUILIU_OUTBOUND_ALLOW lists exceptions)"
            )


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks every request's destination first."""

    def __init__(self, allow: Iterable[IPNetwork], inner: httpx.AsyncBaseTransport | None = None):
        self._allow = tuple(allow)
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            await check_host(url.host, port, self._allow)
        except EgressBlocked as exc:
            exc.request = request
            raise
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def guarded_client(allow_spec: str, **kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose requests may only reach allowed destinations."""
    limits = kwargs.pop("limits", None)
    inner = httpx.AsyncHTTPTransport(limits=limits) if limits else httpx.AsyncHTTPTransport()
    return httpx.AsyncClient(transport=GuardedTransport(parse_allow(allow_spec), inner), **kwargs)
