"""Outbound calls refuse private, loopback and link-local destinations (SSRF) unless
HUILIU_OUTBOUND_ALLOW lists them."""

from __future__ import annotations

import ipaddress

import pytest

from huiliu.config import Settings
from huiliu.integrations.egress import EgressBlocked, blocked, guarded_client, parse_allow
from tests.receiver import Receiver


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.5.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "::1",
        "fc00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_loopback_link_local_and_multicast_are_blocked(address: str) -> None:
    assert blocked(ipaddress.ip_address(address), ())


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert not blocked(ipaddress.ip_address(address), ())


def test_the_allow_list_lets_named_networks_through() -> None:
    allow = parse_allow("127.0.0.0/8, ::1, 10.20.0.0/16")
    assert not blocked(ipaddress.ip_address("127.0.0.1"), allow)
    assert not blocked(ipaddress.ip_address("::ffff:127.0.0.1"), allow)
    assert not blocked(ipaddress.ip_address("10.20.3.4"), allow)
    assert blocked(ipaddress.ip_address("10.21.3.4"), allow)


def test_a_bad_allow_list_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="outbound_allow"):
        Settings(secret_key="0" * 32, outbound_allow="10.0.0.0/33")


async def test_a_request_to_loopback_is_refused_unless_allowed(receiver: Receiver) -> None:
    url = receiver.url("egress")
    async with guarded_client("") as strict:
        with pytest.raises(EgressBlocked, match="loopback"):
            await strict.post(url, content=b"{}")
        with pytest.raises(EgressBlocked):
            await strict.get(url.replace("127.0.0.1", "localhost"))  # a name resolving there
    assert receiver.received("egress") == []
    async with guarded_client("127.0.0.0/8,::1/128") as lenient:
        response = await lenient.post(url, content=b"{}")
    assert response.status_code == 200
    assert len(receiver.received("egress")) == 1
