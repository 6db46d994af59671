"""The channel core through the API channel (a merchant's own system posting its customers'
messages, receiving replies on a signed webhook): channel accounts, inbound de-duplication
and signatures, one customer across channels, replies through the outbox with their
delivery state, and the reply window."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any, ClassVar

import httpx
import orjson
import pytest
from pydantic import BaseModel

from huiliu.channels import base
from huiliu.channels.base import Outgoing, Sent, Services
from huiliu.integrations.merchant_api import signature
from huiliu.tenants.service import identity_signature
from tests.clients import Connect, bearer, widget_session
from tests.factories import World
from tests.receiver import Receiver


async def api_account(
    http: httpx.AsyncClient, world: World, receiver: Receiver, path: str
) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/tenant/channels",
        json={
            "type": "api",
            "name": "会员 App 后台",
            "config": {"webhook_url": receiver.url(path)},
        },
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    receiver.secrets[path] = account["generated"]["secret"]
    return account


def signed_post(
    http: httpx.AsyncClient, account: dict[str, Any], body: dict[str, Any], *, secret: str = ""
) -> Any:
    raw = orjson.dumps(body)
    timestamp = str(int(time.time()))
    key = secret or account["generated"]["secret"]
    return http.post(
        f"/channels/api/{account['inbound_url'].rsplit('/', 1)[1]}/messages",
        content=raw,
        headers={
            "content-type": "application/json",
            "x-huiliu-timestamp": timestamp,
            "x-huiliu-signature": signature(key, timestamp, raw),
        },
    )


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


async def test_channel_accounts_keep_their_secrets_and_check_their_settings(
    http: httpx.AsyncClient, world: World, other_world: World, receiver: Receiver
) -> None:
    account = await api_account(http, world, receiver, "acct" + secrets.token_hex(3))
    assert len(account["generated"]["secret"]) >= 32
    assert "secret" not in account["config"]
    assert account["secrets_set"] == ["secret"]
    assert account["inbound_url"].endswith(f"/channels/api/{account['inbound_url'][-24:]}")
    admin, sup = bearer(world.admin.token), bearer(world.supervisor.token)
    listed = (await http.get("/api/v1/tenant/channels", headers=admin)).json()
    assert [a["id"] for a in listed] == [account["id"]]
    assert "generated" not in listed[0]
    assert "secret" not in listed[0]["config"]
    # The built-in supervisor role does not hold channels.manage: it neither reads nor changes.
    assert (await http.get("/api/v1/tenant/channels", headers=sup)).status_code == 403
    r = await http.patch(
        f"/api/v1/tenant/channels/{account['id']}", json={"active": False}, headers=sup
    )
    assert r.status_code == 403
    # A secret left out of a change keeps its value; a bad setting names its field.
    r = await http.patch(
        f"/api/v1/tenant/channels/{account['id']}",
        json={"config": {"timeout_s": 5}, "name": "App"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["secrets_set"] == ["secret"]
    assert r.json()["config"]["timeout_s"] == 5
    r = await http.patch(
        f"/api/v1/tenant/channels/{account['id']}",
        json={"config": {"webhook_url": "http://example.com/hook"}},
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "config.webhook_url"
    r = await http.post(
        "/api/v1/tenant/channels", json={"type": "pigeon", "name": "x"}, headers=admin
    )
    assert r.status_code == 422
    assert r.json()["field"] == "type"
    # Another merchant's account does not exist for this one.
    r = await http.get(
        f"/api/v1/tenant/channels/{account['id']}", headers=bearer(other_world.admin.token)
    )
    assert r.status_code == 404
    types = (await http.get("/api/v1/channels/types", headers=bearer(world.agent.token))).json()
    api_type = next(t for t in types if t["channel"] == "api")
    assert api_type["secret_fields"] == ["secret"]
    assert "webhook_url" in api_type["config_schema"]["properties"]


async def test_a_posted_message_is_stored_once_and_a_bad_signature_stores_nothing(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    account = await api_account(http, world, receiver, "inbound" + secrets.token_hex(3))
    body = {
        "id": "m-1",
        "user": {"id": "u-77", "name": "林小姐"},
        "content": text("我的订单到哪了"),
    }
    first = await signed_post(http, account, body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "stored"
    again = await signed_post(http, account, body)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "status": "duplicate", "seq": None}
    cid = first.json()["conversation_id"]
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    ).json()
    assert conv["channel"] == "api"
    assert conv["contact_name"] == "林小姐"
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    texts = [m["content"].get("text") for m in page.json()["messages"]]
    assert texts.count("我的订单到哪了") == 1

    forged = await signed_post(http, account, {**body, "id": "m-2"}, secret="x" * 40)
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    stale_raw = orjson.dumps({**body, "id": "m-3"})
    old = str(int(time.time()) - 3600)
    stale = await http.post(
        account["inbound_url"].replace("http://test", "") + "/messages",
        content=stale_raw,
        headers={
            "x-huiliu-timestamp": old,
            "x-huiliu-signature": signature(account["generated"]["secret"], old, stale_raw),
        },
    )
    assert stale.status_code == 401
    bad = await signed_post(http, account, {"id": "m-4", "user": {"id": ""}, "content": {}})
    assert bad.status_code == 422
    huge = await signed_post(http, account, {**body, "id": "m-5", "content": text("长" * 6000)})
    assert huge.status_code == 422
    assert huge.json()["field"] == "content"
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    assert len(page.json()["messages"]) == len(texts)  # nothing else stored
    events = (
        await http.get(
            f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
        )
    ).json()
    assert {e["external_id"]: e["status"] for e in events} == {"m-1": "stored", "m-5": "rejected"}


async def test_the_merchants_user_is_one_customer_on_the_api_channel_and_in_the_widget(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    account = await api_account(http, world, receiver, "merge" + secrets.token_hex(3))
    posted = await signed_post(
        http, account, {"id": "x1", "user": {"id": "u-9"}, "content": text("App 里问的")}
    )
    identity = {"user_id": "u-9", "signature": identity_signature(world.identity_secret, "u-9")}
    session = await widget_session(http, world.widget_key, identity=identity)
    assert (
        session["contact_id"]
        == (
            await http.get(
                f"/api/v1/conversations/{posted.json()['conversation_id']}",
                headers=bearer(world.supervisor.token),
            )
        ).json()["contact_id"]
    )


async def test_an_agents_reply_goes_out_signed_and_its_delivery_shows(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = "replies" + secrets.token_hex(3)
    account = await api_account(http, world, receiver, path)
    posted = await signed_post(
        http, account, {"id": "q1", "user": {"id": "u-1"}, "content": text("能开发票吗")}
    )
    cid = posted.json()["conversation_id"]
    agent = world.agent
    claim = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(agent.token))
    assert claim.status_code == 200, claim.text
    sock = await connect("agent", agent.token)
    await sock.send({"type": "resume", "cursors": {}})
    receiver.answer(path, 503)  # the first attempt fails; the outbox tries again
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"client_msg_id": "r1", "content": text("可以，在订单页申请")},
        headers=bearer(agent.token),
    )
    assert r.status_code == 201, r.text
    got = await receiver.wait(lambda g: any(x.answered == 200 for x in g), path)
    delivered = [x for x in got if x.answered == 200]
    assert len(delivered) == 1
    assert all(x.valid for x in got)
    body = delivered[0].body
    assert body["user"] == {"id": "u-1"}
    assert body["conversation_id"] == cid
    assert body["message"]["content"] == text("可以，在订单页申请")
    update = await sock.recv_type("delivery.updated", timeout=10)
    assert update == {
        "type": "delivery.updated",
        "conversation_id": cid,
        "message_id": r.json()["message_id"],
        "status": "sent",
        "error": None,
    }
    states = await http.get(f"/api/v1/conversations/{cid}/deliveries", headers=bearer(agent.token))
    assert states.json() == [
        {"message_id": r.json()["message_id"], "status": "sent", "error": None}
    ]


async def test_a_refused_reply_is_failed_with_the_receivers_reason(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = "refuses" + secrets.token_hex(3)
    account = await api_account(http, world, receiver, path)
    receiver.always(path, 400)
    posted = await signed_post(
        http, account, {"id": "q2", "user": {"id": "u-2"}, "content": text("在吗")}
    )
    cid = posted.json()["conversation_id"]
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    sock = await connect("agent", world.agent.token)
    await sock.send({"type": "resume", "cursors": {}})
    await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": text("在的")},
        headers=bearer(world.agent.token),
    )
    update = await sock.recv_type("delivery.updated", timeout=10)
    assert update["status"] == "failed"
    assert "HTTP 400" in update["error"]
    assert len(receiver.received(path)) == 1  # a 400 is final: not retried


# -- a channel with a reply window, and a crash between logging and storing ------------------


class _WindowConfig(BaseModel):
    note: str = ""


class _Windowed:
    channel: ClassVar[str] = "windowed"
    label: ClassVar[str] = "Windowed (test)"
    secret_fields: ClassVar[tuple[str, ...]] = ()
    reply_window_s: ClassVar[float | None] = 2.0
    config_model: ClassVar[type[BaseModel]] = _WindowConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return "windowed"

    def generated_secrets(self) -> dict[str, str]:
        return {}

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        return Sent.ok("w-" + secrets.token_hex(4))


@pytest.fixture(scope="module")
def windowed() -> None:
    if base.adapter_for("windowed") is None:
        base.register(_Windowed())


async def test_replies_outside_the_channels_window_are_refused_with_the_reason(
    http: httpx.AsyncClient, world: World, server: Any, windowed: None
) -> None:
    from huiliu.channels import actions
    from huiliu.channels import service as channels_service
    from huiliu.channels.base import Identity, Inbound

    runtime = server.runtime

    async def make_account() -> Any:
        async with runtime.db.write() as session:
            return await channels_service.create(
                session, tenant_id=world.tenant_id, channel="windowed", name="w", config={}
            )

    account = await server.call(make_account())
    inbound = Inbound("w-1", Identity("windowed", "fan-1"), text("你好"))
    received = await server.call(actions.receive(runtime, account, inbound))
    assert received.status == "stored"
    # The same push again (a retry) stores nothing.
    assert (await server.call(actions.receive(runtime, account, inbound))).status == "duplicate"
    cid = received.conversation_id
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    ok = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": text("马上处理")},
        headers=bearer(world.agent.token),
    )
    assert ok.status_code == 201, ok.text
    await asyncio.sleep(2.2)
    late = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": text("还在吗")},
        headers=bearer(world.agent.token),
    )
    assert late.status_code == 409
    assert late.json()["code"] == "reply_window_closed"
    assert "2 seconds" in late.json()["detail"]
    assert "within" in late.json()["detail"]


async def test_the_bot_greets_a_customer_on_a_channel_but_never_answers_a_machine(
    http: httpx.AsyncClient, world: World, server: Any, receiver: Receiver
) -> None:
    from huiliu.channels import actions
    from huiliu.channels import service as channels_service
    from huiliu.channels.base import Identity, Inbound
    from tests.kb_data import enable_bot

    await enable_bot(http, world, name="小汇")
    path = "bot" + secrets.token_hex(3)
    account = await api_account(http, world, receiver, path)
    runtime = server.runtime

    async def load_account() -> Any:
        async with runtime.db.read() as session:
            return await channels_service.get(
                session, tenant_id=world.tenant_id, account_id=account["id"]
            )

    stored = await server.call(load_account())
    # An out-of-office reply (automated) first, then a person.
    robot = Inbound("auto-1", Identity("user", "mailer"), text("我正在休假"), automated=True)
    quiet = await server.call(actions.receive(runtime, stored, robot))
    assert quiet.status == "stored"
    person = await signed_post(
        http, account, {"id": "p-1", "user": {"id": "u-7"}, "content": text("你好")}
    )
    assert person.status_code == 201, person.text
    # The person's greeting goes out on the channel (the bot's messages are delivered too).
    got = await receiver.wait(
        lambda g: any(x.body["message"]["sender"]["type"] == "bot" for x in g), path
    )
    greeting = next(x.body for x in got if x.body["message"]["sender"]["type"] == "bot")
    assert greeting["user"] == {"id": "u-7"}
    assert "小汇" in greeting["message"]["content"]["text"]
    # The machine got nothing: no delivery for it, and its conversation waits for a person.
    assert all(x.body["user"] == {"id": "u-7"} for x in receiver.received(path))
    sup = bearer(world.supervisor.token)
    conv = (await http.get(f"/api/v1/conversations/{quiet.conversation_id}", headers=sup)).json()
    assert conv["with_bot"] is False
    page = await http.get(f"/api/v1/conversations/{quiet.conversation_id}/messages", headers=sup)
    senders = [m["sender"]["type"] for m in page.json()["messages"]]
    assert senders == ["system", "contact"]
