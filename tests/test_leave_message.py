"""Leaving a message while nobody can serve: stored as the customer's message through the
writer (a resend stores nothing new), the contact's empty details filled, the conversation
marked and still waiting in its queue; bad input gets a clear error."""

from __future__ import annotations

from typing import Any

import httpx

from tests.clients import Connect, Socket, bearer, widget_session
from tests.factories import World
from tests.kb_data import enable_bot


async def waiting(
    http: httpx.AsyncClient, connect: Connect, world: World, **session: Any
) -> tuple[str, Socket, int]:
    """A customer whose conversation waits (no groups: the shared pool, unclaimed)."""
    body = await widget_session(http, world.widget_key, **session)
    visitor = await connect("visitor", body["visitor_token"])
    cid = (await visitor.send_text("有人在吗", "lm-0"))["conversation_id"]
    return body["visitor_token"], visitor, cid


async def leave(http: httpx.AsyncClient, token: str, cid: int, **body: Any) -> httpx.Response:
    return await http.post(
        f"/api/v1/conversations/{cid}/leave-message", json=body, headers=bearer(token)
    )


async def contact(http: httpx.AsyncClient, world: World, contact_id: int) -> dict[str, Any]:
    r = await http.get(f"/api/v1/contacts/{contact_id}", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_left_message_is_stored_once_fills_the_profile_and_keeps_waiting(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    token, visitor, cid = await waiting(http, connect, world)
    supervisor = await connect("agent", world.supervisor.token)
    form = {
        "text": "  想咨询一下批量采购的价格，请回电  ",
        "name": "王小明",
        "phone": "+86 138-0013-8000",
        "email": "xiaoming@example.com",
        "client_msg_id": "leave-1",
    }
    r = await leave(http, token, cid, **form)
    assert r.status_code == 201, r.text
    ack, conversation = r.json()["ack"], r.json()["conversation"]
    assert ack["conversation_id"] == cid
    assert ack["client_msg_id"] == "leave-1"
    assert conversation["left_message_at"] is not None
    assert (conversation["status"], conversation["assignee_id"]) == ("open", None)
    message = (await visitor.recv_type("message.new"))["message"]
    while message["id"] != ack["message_id"]:
        message = (await visitor.recv_type("message.new"))["message"]
    assert message["sender"] == {"type": "contact", "id": conversation["contact_id"]}
    assert message["content"] == {"type": "text", "text": "想咨询一下批量采购的价格，请回电"}
    frame = await supervisor.recv_type("conversation.updated")
    while frame["conversation"]["left_message_at"] is None:
        frame = await supervisor.recv_type("conversation.updated")
    profile = await contact(http, world, conversation["contact_id"])
    assert (profile["name"], profile["phone"], profile["email"]) == (
        "王小明",
        "+86 138-0013-8000",
        "xiaoming@example.com",
    )
    # Resending (a retry after a lost answer) stores nothing new.
    again = await leave(http, token, cid, **form)
    assert again.status_code == 201, again.text
    assert again.json()["ack"] == ack
    page = (await http.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
    texts = [m["content"].get("text") for m in page["messages"]]
    assert texts.count("想咨询一下批量采购的价格，请回电") == 1
    # Still in the queue for people.
    r = await http.get(
        "/api/v1/conversations",
        params={"assigned": "unassigned", "status": "open"},
        headers=bearer(world.agent.token),
    )
    assert cid in [c["id"] for c in r.json()]


async def test_details_the_profile_holds_otherwise_go_with_the_text(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    from huiliu.tenants.service import identity_signature

    identity = {
        "user_id": "u-leave",
        "signature": identity_signature(world.identity_secret, "u-leave"),
        "name": "李小红",
        "phone": "13900139000",
    }
    token, _visitor, cid = await waiting(http, connect, world, identity=identity)
    r = await leave(
        http, token, cid, text="请下午联系我", name="李小红", phone="021-5555-0101", email="h@x.cn"
    )
    assert r.status_code == 201, r.text
    profile = await contact(http, world, r.json()["conversation"]["contact_id"])
    # Filled where empty, kept where set …
    assert (profile["name"], profile["phone"], profile["email"]) == (
        "李小红",
        "13900139000",
        "h@x.cn",
    )
    # … and the other phone number is not lost: it is in the stored message.
    page = (await http.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
    stored = page["messages"][-1]["content"]["text"]
    assert stored.startswith("请下午联系我")
    assert "021-5555-0101" in stored
    assert "李小红" not in stored  # the same name needs no mention


async def test_a_message_left_while_the_bot_serves_goes_to_people(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await enable_bot(http, world)
    token, _visitor, cid = await waiting(http, connect, world)
    r = await leave(http, token, cid, text="机器人解决不了，请人工联系我")
    assert r.status_code == 201, r.text
    assert r.json()["conversation"]["with_bot"] is False
    page = (await http.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
    events = [m["content"].get("event") for m in page["messages"]]
    assert "handoff" in events


async def test_bad_input_and_the_wrong_caller_get_clear_errors(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    token, _visitor, cid = await waiting(http, connect, world)
    for body, words in [
        ({"text": "   "}, "blank"),
        ({}, "text"),
        ({"text": "x", "phone": "call me"}, "phone"),
        ({"text": "x", "email": "not-an-address"}, "e-mail"),
        ({"text": "x", "name": "名" * 201}, "200"),
        ({"text": "x", "wechat": "abc"}, "Extra inputs"),
    ]:
        r = await leave(http, token, cid, **body)
        assert r.status_code == 422, body
        assert r.json()["code"] == "invalid"
        assert words in r.json()["detail"], (body, r.json())
    r = await leave(http, token, cid, text="长" * 5001)
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    r = await leave(http, world.agent.token, cid, text="我是客服")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    stranger = (await widget_session(http, world.widget_key))["visitor_token"]
    r = await leave(http, stranger, cid, text="别人的会话")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await http.post(
        f"/api/v1/conversations/{cid}/close", json={}, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200
    r = await leave(http, token, cid, text="关闭以后")
    assert (r.status_code, r.json()["code"]) == (409, "conversation_closed")
