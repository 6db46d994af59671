"""The phone channel: a PBX's signed CTI events (and the FreeSWITCH event-socket connector)
become call records in the caller's one history — a ringing call pops up for agents beside
the customer's SMS conversation, the agent who answers serves it, a missed call waits in
the queue as a call-back task, replays store once, out-of-order events keep the call's
state right, bad signatures and bodies store nothing."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import orjson
import pytest

from huiliu.channels import actions as channel_actions
from huiliu.channels import service as channels_service
from huiliu.channels.base import Identity, Inbound
from huiliu.channels.phone import freeswitch, listener
from huiliu.channels.phone.adapter import FreeSwitchConfig
from huiliu.channels.phone.numbers import e164
from huiliu.integrations.merchant_api import signature
from tests.clients import Connect, bearer
from tests.factories import World
from tests.fake_freeswitch import FakeFreeSwitch
from tests.server import ThreadServer

T = TypeVar("T")
CUSTOMER = "+8613800138000"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def phone_account(http: httpx.AsyncClient, world: World, **config: Any) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/tenant/channels",
        json={"type": "phone", "name": "400 热线", "config": config},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    return account


def token_of(account: dict[str, Any]) -> str:
    return str(account["inbound_url"].rsplit("/", 1)[1])


async def post_raw(
    http: httpx.AsyncClient, account: dict[str, Any], raw: bytes, *, secret: str = ""
) -> httpx.Response:
    timestamp = str(int(time.time()))
    key = secret or account["generated"]["secret"]
    return await http.post(
        f"/channels/phone/{token_of(account)}/events",
        content=raw,
        headers={
            "content-type": "application/json",
            "x-huiliu-timestamp": timestamp,
            "x-huiliu-signature": signature(key, timestamp, raw),
        },
    )


def call_event(call_id: str, event: str, after_s: float = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{call_id}/{event}",
        "call_id": call_id,
        "event": event,
        "at": (T0 + timedelta(seconds=after_s)).isoformat(),
        "caller": "138-0013-8000",
        "callee": "4008001234",
        "direction": "inbound",
        **extra,
    }


async def post(
    http: httpx.AsyncClient, account: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    r = await post_raw(http, account, orjson.dumps(body))
    assert r.status_code in (200, 201), r.text
    answer: dict[str, Any] = r.json()
    return answer


async def messages(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    r = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200, r.text
    return list(r.json()["messages"])


async def calls(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    return [
        m["content"] for m in await messages(http, world, cid) if m["content"]["type"] == "call"
    ]


async def conversation(http: httpx.AsyncClient, world: World, cid: int) -> dict[str, Any]:
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def sms_customer(server: ThreadServer, http: httpx.AsyncClient, world: World) -> int:
    """The customer wrote earlier by SMS: what the SMS adapter hands the channel core — an
    identity on the SMS channel that vouches for the E.164 number (merge key ``phone``)."""
    r = await http.post(
        "/api/v1/tenant/channels",
        json={"type": "api", "name": "短信网关", "config": {"webhook_url": "http://127.0.0.1:9/x"}},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account_id = r.json()["id"]

    async def receive(runtime: Any) -> int:
        async with runtime.db.read() as session:
            account = await channels_service.get(
                session, tenant_id=world.tenant_id, account_id=account_id
            )
        received = await channel_actions.receive(
            runtime,
            account,
            Inbound(
                external_id="sms-1",
                sender=Identity(
                    channel="sms",
                    external_id=CUSTOMER,
                    phone=CUSTOMER,
                    merge_keys=(("phone", CUSTOMER),),
                ),
                content={"type": "text", "text": "我的快递三天了还没到"},
            ),
        )
        assert received.conversation_id is not None
        return received.conversation_id

    cid = await server.call(receive(server.runtime))
    return int((await conversation(http, world, cid))["contact_id"])


async def test_a_ringing_call_pops_up_with_the_sms_history_then_the_answering_agent_serves_it(
    server: ThreadServer, http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    contact_id = await sms_customer(server, http, world)
    answering = world.agents[1]
    account = await phone_account(http, world, extensions={"8001": answering.email})
    assert account["secrets_set"] == ["secret"]
    sock = await connect("agent", answering.token)

    rang = await post(http, account, call_event("c-1", "ringing"))
    assert rang["status"] == "stored"
    assert rang["state"] == "ringing"
    cid = rang["conversation_id"]
    popped = await sock.recv_type("message.new")
    while popped["message"]["content"]["type"] != "call":
        popped = await sock.recv_type("message.new")
    assert popped["message"]["conversation_id"] == cid
    assert popped["message"]["content"] == {
        "type": "call",
        "call_id": "c-1",
        "direction": "inbound",
        "status": "ringing",
        "caller": "138-0013-8000",
        "callee": "4008001234",
    }
    conv = await conversation(http, world, cid)
    assert conv["channel"] == "phone"
    assert conv["contact_id"] == contact_id
    history = await http.get(
        f"/api/v1/conversations?contact_id={contact_id}", headers=bearer(answering.token)
    )
    assert sorted(c["channel"] for c in history.json()) == ["api", "phone"]

    answered = await post(
        http, account, call_event("c-1", "answered", 12, agent={"extension": "8001"})
    )
    assert answered["state"] == "answered"
    assert (await conversation(http, world, cid))["assignee_id"] == answering.id

    ended = await post(
        http,
        account,
        call_event("c-1", "ended", 200, recording_url="https://pbx.example.com/rec/c-1.wav"),
    )
    assert ended["state"] == "ended"
    records = await calls(http, world, cid)
    assert [r["status"] for r in records] == ["ringing", "answered", "ended"]
    assert records[1]["agent_id"] == answering.id
    assert records[1]["wait_s"] == 12
    assert records[2]["duration_s"] == 188
    assert records[2]["recording_url"] == "https://pbx.example.com/rec/c-1.wav"
    # The call was the service: its conversation closes when it ends.
    assert (await conversation(http, world, cid))["status"] == "closed"

    # The PBX resends everything: stored once.
    before = len(await messages(http, world, cid))
    for name in ("ringing", "answered", "ended"):
        again = await post_raw(http, account, orjson.dumps(call_event("c-1", name)))
        assert again.status_code == 200
        assert again.json()["status"] == "duplicate"
    assert len(await messages(http, world, cid)) == before


async def test_a_missed_call_waits_in_the_groups_queue_as_a_call_back_task(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await http.post(
        "/api/v1/groups", json={"name": "电话回拨"}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 201, r.text
    group_id = r.json()["id"]
    account = await phone_account(http, world, group_id=group_id)
    await post(http, account, call_event("c-2", "ringing"))
    await post(http, account, call_event("c-2", "ivr", 5, ivr_keys="2"))
    missed = await post(http, account, call_event("c-2", "ended", 40))
    assert missed["state"] == "missed"
    cid = missed["conversation_id"]
    records = await calls(http, world, cid)
    assert [r["status"] for r in records] == ["ringing", "missed"]
    assert records[1]["wait_s"] == 40
    assert records[1]["ivr_keys"] == "2"
    conv = await conversation(http, world, cid)
    assert conv["status"] == "open"
    assert conv["assignee_id"] is None
    assert conv["group_id"] == group_id
    queue = await http.get(
        f"/api/v1/groups/{group_id}/queue", headers=bearer(world.supervisor.token)
    )
    assert [e["conversation_id"] for e in queue.json()["entries"]] == [cid]


async def test_events_out_of_order_keep_the_call_right(
    http: httpx.AsyncClient, world: World
) -> None:
    account = await phone_account(http, world, extensions={"8002": world.agent.email})
    # The hang-up comes first: a missed call; its ringing and a late answer change nothing.
    first = await post(http, account, call_event("c-3", "ended", 30))
    assert first["state"] == "missed"
    cid = first["conversation_id"]
    late_ring = await post(http, account, call_event("c-3", "ringing"))
    late_answer = await post(
        http, account, call_event("c-3", "answered", 10, agent={"extension": "8002"})
    )
    assert late_ring["status"] == late_answer["status"] == "ignored"
    assert late_answer["state"] == "missed"
    assert [r["status"] for r in await calls(http, world, cid)] == ["missed"]
    assert (await conversation(http, world, cid))["assignee_id"] is None

    # An answer before its ringing: the answer is the screen pop, the ringing fills the wait.
    answered = await post(
        http, account, call_event("c-4", "answered", 9, agent={"email": world.agent.email})
    )
    assert answered["state"] == "answered"
    assert (await post(http, account, call_event("c-4", "ringing")))["status"] == "ignored"
    ended = await post(http, account, call_event("c-4", "ended", 69))
    records = await calls(http, world, ended["conversation_id"])
    assert [r["status"] for r in records][-2:] == ["answered", "ended"]
    assert records[-1]["wait_s"] == 9
    assert records[-1]["duration_s"] == 60
    assert records[-1]["agent_id"] == world.agent.id


async def test_a_bad_signature_or_body_is_refused_and_stores_nothing(
    http: httpx.AsyncClient, world: World
) -> None:
    account = await phone_account(http, world)
    body = orjson.dumps(call_event("c-5", "ringing"))
    forged = await post_raw(http, account, body, secret="x" * 40)
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    broken = await post_raw(http, account, b'{"id": "e-1", "call_id": ')
    assert broken.status_code == 422
    assert broken.json()["code"] == "invalid_json"
    unknown = await post_raw(http, account, orjson.dumps({**call_event("c-5", "x"), "event": "x"}))
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "event"
    naive = await post_raw(
        http, account, orjson.dumps({**call_event("c-5", "ringing"), "at": "2026-12-01T10:00:00"})
    )
    assert naive.status_code == 422
    assert "time zone" in naive.json()["detail"]
    events = await http.get(
        f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
    )
    assert events.json() == []
    listed = await http.get("/api/v1/conversations", headers=bearer(world.supervisor.token))
    assert listed.json() == []


async def test_an_agents_text_into_a_phone_conversation_fails_with_the_reason(
    http: httpx.AsyncClient, world: World
) -> None:
    account = await phone_account(http, world, extensions={"8003": world.agent.email})
    await post(http, account, call_event("c-6", "ringing"))
    answered = await post(
        http, account, call_event("c-6", "answered", 3, agent={"extension": "8003"})
    )
    cid = answered["conversation_id"]
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"client_msg_id": "t-1", "content": {"type": "text", "text": "稍后给您回电"}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code in (200, 201), r.text

    async def failed() -> list[dict[str, Any]] | None:
        states = (
            await http.get(
                f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
            )
        ).json()
        return states if states and states[0]["status"] == "failed" else None

    states = await eventually(failed)
    assert "carries calls" in states[0]["error"]
    note = await http.post(
        f"/api/v1/conversations/{cid}/notes",
        json={"text": "客户要求下午回电"},
        headers=bearer(world.agent.token),
    )
    assert note.status_code == 201, note.text


@pytest.fixture
async def fake_switch(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFreeSwitch]:
    # The shared server's connector at test speed (it reads these on every round).
    monkeypatch.setattr(listener, "ACCOUNTS_POLL_S", 0.2)
    monkeypatch.setattr(listener, "BACKOFF_S", 0.2)
    switch = FakeFreeSwitch(password=secrets.token_hex(8))
    await switch.start()
    yield switch
    await switch.stop()


def a_leg(uid: str, **headers: str) -> dict[str, str]:
    return {
        "Unique-ID": uid,
        "Call-Direction": "inbound",
        "Caller-Caller-ID-Number": "13900139000",
        "Caller-Destination-Number": "4008001234",
        **headers,
    }


async def test_the_freeswitch_connector_records_calls_and_reconnects_after_a_drop(
    http: httpx.AsyncClient, world: World, fake_switch: FakeFreeSwitch
) -> None:
    account = await phone_account(
        http,
        world,
        extensions={"1001": world.agent.email},
        freeswitch={
            "host": "127.0.0.1",
            "port": fake_switch.port,
            "recording_url_template": "https://pbx.example.com/rec/{file}",
        },
        freeswitch_password=fake_switch.password,
    )
    assert "freeswitch_password" not in account["config"]
    try:
        await fake_switch.wait_subscribed(1)
        assert fake_switch.auth_attempts == [fake_switch.password]
        assert fake_switch.subscriptions[0].startswith("event plain CHANNEL_CREATE")
        uid = "a1b2c3d4-0001"
        await fake_switch.send_event("CHANNEL_CREATE", **a_leg(uid))
        # The agent's leg being rung is another channel: not a call of its own.
        await fake_switch.send_event(
            "CHANNEL_CREATE",
            **a_leg(
                "b-leg-0001", variable_originating_leg_uuid=uid, **{"Call-Direction": "outbound"}
            ),
        )
        await fake_switch.send_event("DTMF", **a_leg(uid, **{"DTMF-Digit": "3"}))
        await fake_switch.send_event(
            "CHANNEL_BRIDGE",
            **a_leg(uid, **{"Other-Type": "originatee", "Other-Leg-Destination-Number": "1001"}),
        )
        await fake_switch.send_event(
            "CHANNEL_HANGUP_COMPLETE",
            **a_leg(
                uid,
                **{"Hangup-Cause": "NORMAL_CLEARING", "variable_billsec": "95"},
                variable_recording_file="/var/lib/freeswitch/recordings/a1b2.wav",
            ),
        )

        async def phone_conversations() -> list[dict[str, Any]] | None:
            listed = (
                await http.get("/api/v1/conversations", headers=bearer(world.supervisor.token))
            ).json()
            found = [c for c in listed if c["channel"] == "phone"]
            return found or None

        async def records_of(count: int) -> list[dict[str, Any]] | None:
            convs = await phone_conversations()
            if not convs:
                return None
            got = [r for c in convs for r in await calls(http, world, c["id"])]
            return got if len(got) >= count else None

        records = await eventually(lambda: records_of(3))
        assert [r["status"] for r in records] == ["ringing", "answered", "ended"]
        assert {r["call_id"] for r in records} == {uid}
        assert records[0]["caller"] == "13900139000"
        assert records[1]["agent_id"] == world.agent.id
        assert records[1]["ivr_keys"] == "3"
        assert records[2]["recording_url"] == "https://pbx.example.com/rec/a1b2.wav"

        # The switch goes away; the connector comes back and goes on recording.
        await fake_switch.drop()
        await fake_switch.wait_subscribed(2)
        await fake_switch.send_event("CHANNEL_CREATE", **a_leg("a1b2c3d4-0002"))
        await fake_switch.send_event(
            "CHANNEL_HANGUP_COMPLETE",
            **a_leg("a1b2c3d4-0002", **{"Hangup-Cause": "ORIGINATOR_CANCEL"}),
        )
        records = await eventually(lambda: records_of(5))
        assert [r["status"] for r in records if r["call_id"] == "a1b2c3d4-0002"] == [
            "ringing",
            "missed",
        ]
    finally:
        await http.patch(
            f"/api/v1/tenant/channels/{account['id']}",
            json={"active": False},
            headers=bearer(world.admin.token),
        )


async def test_a_wrong_event_socket_password_is_retried_with_back_off_and_harms_nothing(
    http: httpx.AsyncClient, world: World, fake_switch: FakeFreeSwitch
) -> None:
    account = await phone_account(
        http,
        world,
        freeswitch={"host": "127.0.0.1", "port": fake_switch.port},
        freeswitch_password="not-" + fake_switch.password,
    )
    try:

        async def refused_twice() -> bool:
            return len(fake_switch.auth_attempts) >= 2

        await eventually(refused_twice)
        assert fake_switch.subscriptions == []
        # The server goes on serving the PBX's REST events meanwhile.
        rang = await post(http, account, call_event("c-7", "ringing"))
        assert rang["state"] == "ringing"
    finally:
        await http.patch(
            f"/api/v1/tenant/channels/{account['id']}",
            json={"active": False},
            headers=bearer(world.admin.token),
        )


async def test_a_transfer_moves_the_conversation_to_the_agent_who_takes_the_call(
    http: httpx.AsyncClient, world: World
) -> None:
    first, second = world.agents
    account = await phone_account(
        http, world, extensions={"8101": first.email, "8102": second.email}
    )
    await post(http, account, call_event("c-8", "ringing"))
    answered = await post(
        http, account, call_event("c-8", "answered", 5, agent={"extension": "8101"})
    )
    cid = answered["conversation_id"]
    assert (await conversation(http, world, cid))["assignee_id"] == first.id
    moved = await post(
        http,
        account,
        call_event("c-8", "transferred", 60, agent={"extension": "8102"}, queue="售后"),
    )
    assert moved["state"] == "transferred"
    assert (await conversation(http, world, cid))["assignee_id"] == second.id
    # An extension nobody is mapped to: the call goes on without a named agent.
    unknown = await post(
        http, account, call_event("c-9", "answered", 1, agent={"extension": "9999"})
    )
    records = await calls(http, world, unknown["conversation_id"])
    assert "agent_id" not in records[-1]
    ended = await post(http, account, call_event("c-8", "ended", 90))
    records = [r for r in await calls(http, world, cid) if r["call_id"] == "c-8"]
    assert [r["status"] for r in records] == ["ringing", "answered", "transferred", "ended"]
    assert records[2]["agent_id"] == second.id
    assert records[2]["queue"] == "售后"
    assert records[3]["duration_s"] == 85
    # The customer's other call (c-9) is still going: the conversation stays open.
    assert (await conversation(http, world, ended["conversation_id"]))["status"] == "open"


def test_numbers_become_e164_and_non_numbers_none() -> None:
    assert e164("138-0013-8000", country_code="86") == CUSTOMER
    assert e164("+86 138 0013 8000", country_code="86") == CUSTOMER
    assert e164("008613800138000", country_code="86") == CUSTOMER
    assert e164("8613800138000", country_code="86") == CUSTOMER
    assert e164("010-8888 6666", country_code="86") == "+861088886666"
    assert e164("anonymous", country_code="86") is None
    assert e164("8001", country_code="86") is None  # an extension


def test_an_event_plain_body_is_url_decoded_and_only_the_callers_leg_counts() -> None:
    body = (
        b"Event-Name: CHANNEL_BRIDGE\nCore-UUID: core-1\nEvent-Sequence: 7\n"
        b"Event-Date-Timestamp: 1764554412000000\nUnique-ID: u-1\nCall-Direction: inbound\n"
        b"Caller-Caller-ID-Number: 13800138000\nCaller-Destination-Number: 4008001234\n"
        b"Other-Type: originatee\nOther-Leg-Destination-Number: 8001\n"
        b"variable_cc_queue: %E5%94%AE%E5%90%8E%40default\n\n"
    )
    fields = freeswitch.parse_event_plain(body)
    assert fields["variable_cc_queue"] == "售后@default"
    event = freeswitch.to_cti(fields, FreeSwitchConfig(host="127.0.0.1"))
    assert event is not None
    assert (event.id, event.event, event.call_id) == (
        "fs:core-1:7:CHANNEL_BRIDGE",
        "answered",
        "u-1",
    )
    assert event.agent is not None
    assert event.agent.extension == "8001"
    assert event.queue == "售后@default"
    assert event.at == datetime(2025, 12, 1, 2, 0, 12, tzinfo=UTC)
    b_leg = {**fields, "Event-Name": "CHANNEL_CREATE", "variable_originating_leg_uuid": "u-0"}
    assert freeswitch.to_cti(b_leg, FreeSwitchConfig(host="127.0.0.1")) is None


def test_a_sip_header_naming_the_agent_by_email_wins_over_the_extension() -> None:
    fields = {
        "Event-Name": "CHANNEL_BRIDGE",
        "Unique-ID": "u-2",
        "Caller-Caller-ID-Number": "13800138000",
        "Caller-Destination-Number": "4008001234",
        "Other-Leg-Destination-Number": "8001",
        "variable_sip_h_X-Huiliu-Agent": "wang@shop.example.com",
    }
    event = freeswitch.to_cti(fields, FreeSwitchConfig(host="127.0.0.1"))
    assert event is not None
    assert event.agent is not None
    assert (event.agent.email, event.agent.extension) == ("wang@shop.example.com", None)
