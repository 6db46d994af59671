"""The SMS channel end to end against a fake Twilio on loopback: texts signed as Twilio
signs them become conversations, agents' and the bot's replies go out through Twilio's
Messages API with their delivery state, and forged, repeated or malformed pushes store
nothing."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.clients import Connect, bearer
from tests.conftest import make_settings
from tests.factories import World
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, inbound_params, push
from tests.kb_data import enable_bot
from tests.server import ThreadServer
from tests.services import Backend, free_port

FROM = "+15005550006"


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


def number() -> str:
    return "+1415" + str(secrets.randbelow(10**7)).zfill(7)


async def sms_account(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio, **config: Any
) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/tenant/channels",
        json={
            "type": "sms",
            "name": "客服短信",
            "config": {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_number": FROM,
                "api_base": twilio.base_url,
                **config,
            },
        },
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    return account


async def messages(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    """The conversation's messages, without the system's events."""
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    return [m for m in page.json()["messages"] if m["content"]["type"] != "event"]


async def conversation_of(http: httpx.AsyncClient, world: World, account: dict[str, Any]) -> int:
    events = (
        await http.get(
            f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
        )
    ).json()
    stored = [e for e in events if e["status"] == "stored"]
    assert stored, events
    cid: int = stored[0]["conversation_id"]
    return cid


async def delivery(http: httpx.AsyncClient, world: World, cid: int) -> dict[str, Any]:
    """The conversation's last delivery state once it is no longer pending."""
    for _ in range(150):
        states = (
            await http.get(
                f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
            )
        ).json()
        if states and states[-1]["status"] != "pending":
            state: dict[str, Any] = states[-1]
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"the delivery stayed pending: {states}")


async def test_a_text_opens_a_conversation_and_the_agents_reply_goes_out_as_sms(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    assert account["secrets_set"] == ["auth_token"]
    assert "auth_token" not in account["config"]
    customer = number()
    r = await push(http, account["inbound_url"], inbound_params(customer, "我的快递到哪了"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml")
    assert r.text.endswith("<Response></Response>")
    cid = await conversation_of(http, world, account)
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    ).json()
    assert conv["channel"] == "sms"
    contact = (
        await http.get(
            f"/api/v1/contacts/{conv['contact_id']}", headers=bearer(world.supervisor.token)
        )
    ).json()
    assert contact["phone"] == customer
    assert [m["content"] for m in await messages(http, world, cid)] == [
        {"type": "text", "text": "我的快递到哪了"}
    ]
    agent = world.agent
    claim = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(agent.token))
    assert claim.status_code == 200, claim.text
    twilio.answer(customer, twilio.error(503, 20500, "Internal Server Error"))  # then accepted
    reply = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "明天送达"}},
        headers=bearer(agent.token),
    )
    assert reply.status_code == 201, reply.text
    got = await twilio.wait(lambda s: any(x.answered == 201 for x in s), to=customer)
    assert [x.answered for x in got] == [503, 201]
    assert all(x.authorized for x in got)
    assert got[-1].form == {"To": customer, "From": FROM, "Body": "明天送达"}
    assert await delivery(http, world, cid) == {
        "message_id": reply.json()["message_id"],
        "status": "sent",
        "error": None,
    }


async def test_the_same_text_pushed_twice_is_stored_once(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    params = inbound_params(number(), "在吗")
    assert (await push(http, account["inbound_url"], params)).status_code == 200
    assert (await push(http, account["inbound_url"], params)).status_code == 200
    cid = await conversation_of(http, world, account)
    assert [m["content"]["text"] for m in await messages(http, world, cid)] == ["在吗"]


async def test_a_forged_signature_is_refused_logged_and_stores_nothing(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    account = await sms_account(http, world, twilio)
    url = account["inbound_url"]
    params = inbound_params(number(), "转账给我")
    with caplog.at_level(logging.WARNING, logger="huiliu.channels.sms.api"):
        forged = await push(http, url, params, auth_token="not-the-token-" + "y" * 10)
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    assert any("bad signature" in r.getMessage() for r in caplog.records)
    # Signed for other parameters than the ones sent: changed on the way.
    tampered = await http.post(
        url,
        data={**dict(params), "Body": "改过的"},
        headers={"x-twilio-signature": (await _signature_of(url, params))},
    )
    assert tampered.status_code == 401
    unsigned = await http.post(url, data=dict(params))
    assert unsigned.status_code == 401
    events = (
        await http.get(
            f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
        )
    ).json()
    assert events == []


async def _signature_of(url: str, params: list[tuple[str, str]]) -> str:
    from tests.fake_twilio import signature

    return signature(AUTH_TOKEN, url, params)


async def test_a_malformed_push_is_refused_clearly_and_stores_nothing(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    url = account["inbound_url"]
    no_sid = [(k, v) for k, v in inbound_params(number(), "hi") if k != "MessageSid"]
    r = await push(http, url, no_sid)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_message"
    assert "MessageSid" in r.json()["detail"]
    not_a_form = await http.post(
        url, content=b"\xff\xfe{json?", headers={"x-twilio-signature": "x"}
    )
    assert not_a_form.status_code == 422
    assert not_a_form.json()["code"] == "invalid_form"
    unknown = await push(http, url.rsplit("/", 1)[0] + "/nosuchtoken", inbound_params(FROM, "x"))
    assert unknown.status_code == 404
    events = (
        await http.get(
            f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
        )
    ).json()
    assert events == []


async def test_behind_a_proxy_the_signature_covers_the_public_url(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio, public_url="https://support.example.com")
    path = "/channels/sms/" + account["inbound_url"].rsplit("/", 1)[1]
    params = inbound_params(number(), "你好")
    # Twilio called the public address (its https port or not); the proxy forwarded here.
    ok = await push(http, path, params, signed_url="https://support.example.com" + path)
    assert ok.status_code == 200, ok.text
    ported = await push(
        http,
        path,
        inbound_params(number(), "你好"),
        signed_url="https://support.example.com:443" + path,
    )
    assert ported.status_code == 200, ported.text
    internal = await push(http, path, inbound_params(number(), "你好"))  # signed for this URL
    assert internal.status_code == 401


async def test_a_refusal_by_twilio_fails_the_delivery_with_its_reason(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    customer = number()
    await push(http, account["inbound_url"], inbound_params(customer, "STOP", OptOutType="STOP"))
    cid = await conversation_of(http, world, account)
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    twilio.answer(
        customer,
        twilio.error(400, 21610, "Attempt to send to unsubscribed recipient"),
        twilio.error(400, 21610, "Attempt to send to unsubscribed recipient"),
    )
    reply = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "好的"}},
        headers=bearer(world.agent.token),
    )
    assert reply.status_code == 201, reply.text
    state = await delivery(http, world, cid)
    assert state["status"] == "failed"
    assert "21610" in state["error"]
    assert "opted out" in state["error"]
    assert len(twilio.sent(customer)) == 1  # a refusal is final: not retried


async def test_mms_media_is_copied_only_from_twilios_own_host(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    other = FakeTwilio()  # a second host on loopback: where a forged URL might point
    other.start()
    try:
        account = await sms_account(http, world, twilio)
        params = inbound_params(
            number(),
            "看图",
            NumMedia="2",
            MediaUrl0=twilio.media_url("ME1"),
            MediaContentType0="image/png",
            MediaUrl1=other.media_url("ME2"),
            MediaContentType1="image/png",
        )
        before = len(twilio.media_requests)  # the fake serves both backends' runs
        r = await push(http, account["inbound_url"], params)
        assert r.status_code == 200, r.text
        assert other.media_requests == []  # never fetched
        assert len(twilio.media_requests) == before + 1
        assert twilio.media_requests[-1][1] is not None  # with the account's credentials
        cid = await conversation_of(http, world, account)
        got = [m["content"] for m in await messages(http, world, cid)]
        assert got[0] == {"type": "text", "text": "看图"}
        assert got[1]["type"] == "image"
        assert got[1]["url"].startswith(str(http.base_url).rstrip("/") + "/files/")
        assert got[1]["width"] == 1
        image = await http.get(got[1]["url"])
        assert image.status_code == 200
        assert image.content.startswith(b"\x89PNG")
        assert got[2] == {
            "type": "text",
            "text": f"[MMS attachment, not fetched] {other.media_url('ME2')}",
        }
        # Twilio retrying the same push fetches nothing again.
        await push(http, account["inbound_url"], params)
        assert len(twilio.media_requests) == before + 1
    finally:
        other.stop()


async def test_the_bots_menu_goes_out_numbered_and_a_digit_picks_its_button(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    await enable_bot(
        http,
        world,
        name="小汇",
        menu=[
            {"id": "ship", "label": "发货时间", "action": "answer", "text": "48 小时内发货"},
            {"id": "human", "label": "人工客服", "action": "handoff"},
        ],
    )
    account = await sms_account(http, world, twilio)
    customer = number()
    await push(http, account["inbound_url"], inbound_params(customer, "你好"))
    got = await twilio.wait(lambda s: any("1. 发货时间" in x.form["Body"] for x in s), to=customer)
    menu = next(x.form["Body"] for x in got if "1. 发货时间" in x.form["Body"])
    assert "2. 人工客服" in menu
    await push(http, account["inbound_url"], inbound_params(customer, "1"))
    await twilio.wait(lambda s: any(x.form["Body"] == "48 小时内发货" for x in s), to=customer)
    cid = await conversation_of(http, world, account)
    picked = [
        m["content"] for m in await messages(http, world, cid) if m["sender"]["type"] == "contact"
    ]
    assert picked[-1] == {"type": "text", "text": "发货时间", "button_id": "menu:ship"}


async def test_a_long_reply_goes_out_in_parts_and_a_huge_one_is_refused(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    customer = number()
    await push(http, account["inbound_url"], inbound_params(customer, "说明书"))
    cid = await conversation_of(http, world, account)
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    long_text = ("第一步，打开包装。" * 200).strip()  # 1800 characters
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": long_text}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    got = await twilio.wait(lambda s: len(s) == 2, to=customer)
    assert all(len(x.form["Body"]) <= 1600 for x in got)
    assert "".join(x.form["Body"] for x in got) == long_text


async def test_a_carriers_undelivered_report_fails_the_delivery(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio, connect: Connect
) -> None:
    public = "https://support.example.com"
    account = await sms_account(http, world, twilio, public_url=public)
    token = account["inbound_url"].rsplit("/", 1)[1]
    path = f"/channels/sms/{token}"
    customer = number()
    params = inbound_params(customer, "订单号 1234")
    assert (await push(http, path, params, signed_url=public + path)).status_code == 200
    cid = await conversation_of(http, world, account)
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    sock = await connect("agent", world.agent.token)
    await sock.send({"type": "resume", "cursors": {}})
    reply = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "已发货"}},
        headers=bearer(world.agent.token),
    )
    assert (await delivery(http, world, cid))["status"] == "sent"
    sent = twilio.sent(customer)[-1]
    assert sent.form["StatusCallback"] == f"{public}{path}/status"
    report = [
        ("MessageSid", str(sent.sid)),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30003"),
        ("AccountSid", ACCOUNT_SID),
        ("To", customer),
    ]
    forged = await push(http, path + "/status", report, signed_url="https://evil.example" + path)
    assert forged.status_code == 401
    r = await push(http, path + "/status", report, signed_url=f"{public}{path}/status")
    assert r.status_code == 200, r.text
    await sock.recv_type("delivery.updated", timeout=10)  # the "sent" one
    update = await sock.recv_type("delivery.updated", timeout=10)
    assert update["message_id"] == reply.json()["message_id"]
    assert update["status"] == "failed"
    assert update["error"] == "undelivered by the carrier: Twilio error 30003"
    assert (await delivery(http, world, cid))["status"] == "failed"


async def test_bad_settings_name_their_field(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    admin = bearer(world.admin.token)
    base = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    cases = [
        ({**base}, "config.messaging_service_sid"),  # neither a number nor a service
        ({**base, "from_number": "4155550100"}, "config.from_number"),  # not E.164
        ({**base, "from_number": FROM, "api_base": "http://evil.example"}, "config.api_base"),
        ({**base, "from_number": FROM, "public_url": "https://x.example/p"}, "config.public_url"),
    ]
    for config, field in cases:
        r = await http.post(
            "/api/v1/tenant/channels",
            json={"type": "sms", "name": "x", "config": config},
            headers=admin,
        )
        assert r.status_code == 422, (config, r.text)
        assert r.json()["field"] == field
    types = (await http.get("/api/v1/channels/types", headers=bearer(world.agent.token))).json()
    sms = next(t for t in types if t["channel"] == "sms")
    assert sms["secret_fields"] == ["auth_token"]
    assert sms["reply_window_s"] is None
    weibo = next(t for t in types if t["channel"] == "weibo")
    assert weibo["reply_window_s"] == 48 * 3600


@pytest.fixture(scope="module")
def guarded_server(backend: Backend) -> Iterator[ThreadServer]:
    """A server whose egress guard allows no private or loopback address (a hosted
    deployment's HUILIU_OUTBOUND_ALLOW="")."""
    srv = ThreadServer(make_settings(backend, outbound_allow=""), free_port())
    srv.start()
    yield srv
    srv.stop()


async def test_media_on_a_blocked_address_is_not_fetched(
    guarded_server: ThreadServer, world: World, twilio: FakeTwilio
) -> None:
    async with httpx.AsyncClient(base_url=guarded_server.base_url, timeout=10) as http:
        account = await sms_account(http, world, twilio)  # api_base on loopback: not allowed
        customer = number()
        before = len(twilio.media_requests)
        params = inbound_params(
            customer,
            "图片",
            NumMedia="1",
            MediaUrl0=twilio.media_url("ME9"),
            MediaContentType0="image/png",
        )
        assert (await push(http, account["inbound_url"], params)).status_code == 200
        assert len(twilio.media_requests) == before  # the guard refused the address
        cid = await conversation_of(http, world, account)
        got = [m["content"] for m in await messages(http, world, cid)]
        assert got[1] == {
            "type": "text",
            "text": f"[MMS attachment, not fetched] {twilio.media_url('ME9')}",
        }


async def test_a_switched_off_account_refuses_texts_and_too_long_ones_are_rejected(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    huge = await push(http, account["inbound_url"], inbound_params(number(), "长" * 6000))
    assert huge.status_code == 422
    assert huge.json()["field"] == "Body"
    r = await http.patch(
        f"/api/v1/tenant/channels/{account['id']}",
        json={"active": False},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text
    off = await push(http, account["inbound_url"], inbound_params(number(), "在吗"))
    assert off.status_code == 403
    assert off.json()["code"] == "channel_inactive"
    events = (
        await http.get(
            f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
        )
    ).json()
    assert [e["status"] for e in events] == ["rejected"]


async def test_a_reply_to_an_api_base_the_egress_guard_blocks_fails_for_good(
    settings: Any, twilio: FakeTwilio
) -> None:
    # The adapter alone (the shared server's outbox worker would take a queued job): what
    # the worker of a deployment with HUILIU_OUTBOUND_ALLOW="" gets.
    from datetime import UTC, datetime

    from huiliu.channels.base import Outgoing, Recipient, Services
    from huiliu.channels.sms.adapter import ADAPTER
    from huiliu.conversations.schemas import MessageOut, Sender
    from huiliu.integrations.egress import guarded_client

    customer = number()
    outgoing = Outgoing(
        tenant_id=1,
        account_id=1,
        config={
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_number": FROM,
            "api_base": twilio.base_url,
        },
        conversation_id=1,
        message=MessageOut(
            id=1,
            conversation_id=1,
            seq=2,
            sender=Sender(type="agent", id=1),
            content={"type": "text", "text": "收到"},
            created_at=datetime.now(UTC),
        ),
        recipient=Recipient(contact_id=1, external_id=customer),
    )
    async with guarded_client("") as client:
        sent = await ADAPTER.deliver(Services(None, client, settings), outgoing)  # type: ignore[arg-type]
    assert sent.status == "failed"
    assert sent.error is not None
    assert "private, loopback or link-local" in sent.error
    assert twilio.sent(customer) == []
