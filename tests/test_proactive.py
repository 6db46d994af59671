"""An agent reaches out first: the customer is reached the best way there is now — their
open conversation, the widget while connected, a channel they are known on — and a widget
customer who is away gets the message when they come back, never losing it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from huiliu.conversations.models import Conversation
from huiliu.db import Database
from huiliu.db.base import utcnow
from tests.clients import Connect, bearer, open_conversation, widget_session
from tests.factories import World
from tests.fake_twilio import FakeTwilio, inbound_params, push
from tests.fake_weibo import FakeWeibo
from tests.test_channel_sms import conversation_of, number, sms_account
from tests.test_channel_weibo import opened, uid, weibo_account

TEXT = {"type": "text", "text": "您好，您关注的羽绒服降价了"}


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def weibo() -> Iterator[FakeWeibo]:
    fake = FakeWeibo()
    fake.start()
    yield fake
    fake.stop()


async def reach(http: httpx.AsyncClient, world: World, contact_id: int) -> list[dict[str, Any]]:
    r = await http.get(f"/api/v1/contacts/{contact_id}/reach", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def start(
    http: httpx.AsyncClient, world: World, contact_id: int, token: str | None = None, **body: Any
) -> httpx.Response:
    return await http.post(
        f"/api/v1/contacts/{contact_id}/conversations",
        json={"content": TEXT, **body},
        headers=bearer(token or world.agent.token),
    )


async def test_a_widget_customer_away_gets_the_message_when_they_come_back(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    session = await widget_session(http, world.widget_key)
    contact = session["contact_id"]
    options = await reach(http, world, contact)
    assert [(o["channel"], o["state"], o["best"]) for o in options] == [("web", "stored", True)]
    r = await start(http, world, contact, client_msg_id="hello-1")
    assert r.status_code == 201, r.text
    started = r.json()
    cid = started["conversation"]["id"]
    assert started["opened"] is True
    assert (started["reach"]["state"], started["conversation"]["assignee_id"]) == (
        "stored",
        world.agent.id,
    )
    # Sent again (a retry): the same message, no second conversation.
    again = await start(http, world, contact, client_msg_id="hello-1")
    assert again.status_code == 201
    assert again.json()["ack"] == started["ack"]
    assert again.json()["conversation"]["id"] == cid
    # The customer comes back: the widget's list shows it unread, resume delivers it.
    visitor = bearer(session["visitor_token"])
    listed = (await http.get("/api/v1/conversations?limit=10", headers=visitor)).json()
    assert [(c["id"], c["unread_count"]) for c in listed] == [(cid, 1)]
    sock = await connect("visitor", session["visitor_token"])
    await sock.send({"type": "resume", "cursors": {str(cid): 0}})
    got = [await sock.recv_type("message.new") for _ in range(2)]
    assert [m["message"]["seq"] for m in got] == [1, 2]
    assert got[0]["message"]["content"]["event"] == "opened"
    assert (got[1]["message"]["content"], got[1]["message"]["sender"]["type"]) == (TEXT, "agent")
    # The customer answers in the same conversation, which the agent serves.
    ack = await sock.send_text("好的，帮我留一件", "reply-1", conversation_id=cid)
    assert (ack["type"], ack["conversation_id"]) == ("ack", cid)


async def test_a_connected_customer_gets_it_live_and_an_open_conversation_takes_it(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent_sock, cid = await open_conversation(http, connect, world)  # claimed by agent
    contact = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    ).json()["contact_id"]
    options = await reach(http, world, contact)
    assert (options[0]["state"], options[0]["conversation_id"]) == ("open", cid)
    r = await start(http, world, contact)
    assert r.status_code == 201, r.text
    assert (r.json()["opened"], r.json()["conversation"]["id"]) == (False, cid)
    frame = await visitor.recv_type("message.new")
    while frame["message"]["content"] != TEXT:
        frame = await visitor.recv_type("message.new")
    assert frame["message"]["conversation_id"] == cid
    # Another agent may not write into a conversation someone else serves.
    other = world.agents[1]
    r = await start(http, world, contact, token=other.token)
    assert (r.status_code, r.json()["code"]) == (409, "served_by_another"), r.text
    # Once it is closed, and the customer still connected, a new one opens: "online".
    r = await http.post(f"/api/v1/conversations/{cid}/close", headers=bearer(world.agent.token))
    assert r.status_code == 200
    options = await reach(http, world, contact)
    assert options[0]["state"] == "online"
    r = await start(http, world, contact, token=other.token)
    assert r.status_code == 201, r.text
    assert r.json()["opened"] is True
    new = r.json()["conversation"]["id"]
    frame = await visitor.recv_type("message.new")
    while frame["message"]["conversation_id"] != new or frame["message"]["content"] != TEXT:
        frame = await visitor.recv_type("message.new")


async def test_a_customer_known_by_sms_is_reached_by_sms(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    customer = number()
    r = await push(http, account["inbound_url"], inbound_params(customer, "有货了告诉我"))
    assert r.status_code == 200
    cid = await conversation_of(http, world, account)
    contact = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.admin.token))
    ).json()["contact_id"]
    r = await http.post(f"/api/v1/conversations/{cid}/close", headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text
    options = await reach(http, world, contact)
    assert [(o["channel"], o["state"], o["channel_account_id"]) for o in options] == [
        ("sms", "reachable", account["id"])
    ]
    r = await start(http, world, contact, channel="sms")
    assert r.status_code == 201, r.text
    assert r.json()["conversation"]["channel"] == "sms"
    got = await twilio.wait(lambda s: any(x.answered == 201 for x in s), to=customer)
    assert got[-1].form["Body"] == TEXT["text"]
    # A channel the customer is not known on is refused, saying why.
    r = await start(http, world, contact, channel="email")
    assert (r.status_code, r.json()["code"]) == (409, "unreachable")
    assert "not known on that channel" in r.json()["detail"]


async def test_a_window_channel_past_its_window_is_listed_but_never_chosen(
    http: httpx.AsyncClient, db: Database, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    cid = await opened(http, world, account, uid(), "在吗")
    async with db.write() as session:  # the fan last wrote three days ago; it was closed
        await session.execute(
            update(Conversation)
            .where(Conversation.id == cid)
            .values(last_contact_message_at=utcnow() - timedelta(days=3), status="closed")
        )
    contact = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.admin.token))
    ).json()["contact_id"]
    options = await reach(http, world, contact)
    assert [(o["channel"], o["state"], o["best"]) for o in options] == [
        ("weibo", "window_closed", False)
    ]
    r = await start(http, world, contact)
    assert (r.status_code, r.json()["code"]) == (409, "unreachable")
    assert "48 hours" in r.json()["detail"]
    # Within the window it is the way.
    async with db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == cid)
            .values(last_contact_message_at=utcnow() - timedelta(hours=47))
        )
    options = await reach(http, world, contact)
    assert [(o["state"], o["best"]) for o in options] == [("window", True)]
    assert "more minutes" in options[0]["detail"]


async def test_nobody_to_reach_and_bad_requests_are_clear_errors(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await http.post(
        "/api/v1/tickets",
        json={"subject": "来电咨询", "contact": {"name": "无渠道客户"}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    contact = r.json()["contact_id"]
    assert await reach(http, world, contact) == []
    r = await start(http, world, contact)
    assert (r.status_code, r.json()["code"]) == (409, "unreachable")
    session = await widget_session(http, world.widget_key)
    r = await start(http, world, session["contact_id"], content={"type": "survey"})
    assert r.status_code == 422, r.text
    r = await start(http, world, 987654)
    assert r.status_code == 404
    r = await http.get(
        f"/api/v1/contacts/{contact}/reach", headers=bearer(session["visitor_token"])
    )
    assert r.status_code == 403


async def test_the_merchants_system_messages_a_customer_once_per_id(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    from huiliu.tenants.service import identity_signature
    from tests.test_profile import api_key

    key = await api_key(http, world)
    sig = identity_signature(world.identity_secret, "u-31")
    session = await widget_session(
        http, world.widget_key, identity={"user_id": "u-31", "signature": sig}
    )
    sock = await connect("visitor", session["visitor_token"])
    await sock.send({"type": "resume", "cursors": {}})
    body = {"id": "pickup-1", "content": {"type": "text", "text": "您的订单已到门店，可来自提"}}
    r = await http.post(
        "/api/v1/integration/customers/u-31/messages", json=body, headers=bearer(key)
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert (sent["contact_id"], sent["reach"]["state"], sent["duplicate"]) == (
        session["contact_id"],
        "online",
        False,
    )
    frame = await sock.recv_type("message.new")
    assert (frame["message"]["content"]["text"], frame["message"]["sender"]["type"]) == (
        "您的订单已到门店，可来自提",
        "bot",
    )
    # A retry stores nothing new.
    r = await http.post(
        "/api/v1/integration/customers/u-31/messages", json=body, headers=bearer(key)
    )
    assert r.status_code == 200
    assert (r.json()["message_id"], r.json()["duplicate"]) == (sent["message_id"], True)
    # Nobody to reach: said plainly; an account's token opens nothing here.
    r = await http.post(
        "/api/v1/integration/customers/u-32/messages",
        json={**body, "id": "x", "channel": "sms"},
        headers=bearer(key),
    )
    assert (r.status_code, r.json()["code"]) == (409, "unreachable")
    r = await http.post(
        "/api/v1/integration/customers/u-31/messages",
        json=body,
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 401
