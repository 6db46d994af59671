"""The workbench's conversation lists: who the customer is, when each side last wrote, the
caller's unread count and read cursor, filters, and conversation.updated frames whenever a
conversation changes hands."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx

from tests.clients import Connect, Socket, bearer, open_conversation, widget_session
from tests.factories import World
from tests.kb_data import enable_bot
from tests.test_bot import say
from tests.test_routing import make_group

_ids = itertools.count()


async def conversation(http: httpx.AsyncClient, token: str, cid: int) -> dict[str, Any]:
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def listed(http: httpx.AsyncClient, token: str, **params: Any) -> list[dict[str, Any]]:
    r = await http.get("/api/v1/conversations", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


async def updated(sock: Socket, cid: int) -> dict[str, Any]:
    """The next conversation.updated frame about ``cid``."""
    while True:
        frame = await sock.recv_type("conversation.updated")
        if frame["conversation"]["id"] == cid:
            detail: dict[str, Any] = frame["conversation"]
            return detail


async def test_a_conversation_shows_the_customer_and_when_each_side_last_wrote(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    session = await widget_session(
        http,
        world.widget_key,
        identity={
            "user_id": "u-list-1",
            "signature": _signature(world, "u-list-1"),
            "name": "王小明",
        },
    )
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("在吗", "c-1")
    cid = ack["conversation_id"]
    agent = world.agent
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(agent.token))
    assert r.status_code == 200, r.text
    claimed = r.json()
    assert claimed["contact_name"] == "王小明"
    assert claimed["last_agent_message_at"] is None
    first_contact_at = claimed["last_contact_message_at"]
    assert first_contact_at is not None
    agent_sock = await connect("agent", agent.token)
    assert (await agent_sock.send_text("您好", "a-1", conversation_id=cid))["type"] == "ack"
    after_agent = await conversation(http, agent.token, cid)
    assert after_agent["last_agent_message_at"] is not None
    assert after_agent["last_contact_message_at"] == first_contact_at
    assert (await visitor.send_text("我想退货", "c-2", conversation_id=cid))["type"] == "ack"
    latest = await conversation(http, agent.token, cid)
    assert _at(latest["last_contact_message_at"]) > _at(first_contact_at)
    assert _at(latest["last_contact_message_at"]) > _at(latest["last_agent_message_at"])
    assert latest["last_message_at"] == latest["last_contact_message_at"]


async def test_unread_counts_the_other_sides_messages_after_the_callers_cursor(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    cid = (await visitor.send_text("你好", "c-1"))["conversation_id"]
    agent = world.agent
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(agent.token))
    assert r.status_code == 200, r.text
    agent_sock = await connect("agent", agent.token)
    # opened (system), the customer's first message, assigned (system): one from the customer.
    view = await conversation(http, agent.token, cid)
    assert (view["unread_count"], view["read_seq"]) == (1, 0)
    await visitor.send_text("第二条", "c-2", conversation_id=cid)
    await visitor.send_text("第三条", "c-3", conversation_id=cid)
    await agent_sock.send_text("收到", "a-1", conversation_id=cid)
    view = await conversation(http, agent.token, cid)
    assert view["unread_count"] == 3  # the agent's own reply is not unread for them
    # The customer has the agent's one message unread; system events never count.
    mine = await listed(http, session["visitor_token"])
    assert [(c["id"], c["unread_count"], c["read_seq"]) for c in mine] == [(cid, 1, 0)]
    r = await http.post(
        f"/api/v1/conversations/{cid}/read",
        json={"seq": view["last_seq"] - 1},
        headers=bearer(agent.token),
    )
    assert r.status_code == 200, r.text
    view = await conversation(http, agent.token, cid)
    assert (view["unread_count"], view["read_seq"]) == (0, view["last_seq"] - 1)
    # Cursors are each reader's own: the supervisor has read nothing.
    theirs = await conversation(http, world.supervisor.token, cid)
    assert (theirs["unread_count"], theirs["read_seq"]) == (3, 0)


async def test_lists_filter_by_customer_and_by_group(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    group = await make_group(http, world, members=[], strategy="manual")
    other = await make_group(http, world, members=[], strategy="manual", default=False)
    first = await widget_session(http, world.widget_key)
    second = await widget_session(http, world.widget_key)
    ids = []
    for session in (first, second):
        sock = await connect("visitor", session["visitor_token"])
        ids.append((await sock.send_text("你好", f"c-{next(_ids)}"))["conversation_id"])
    r = await http.post(
        f"/api/v1/conversations/{ids[1]}/queue",
        json={"group_id": other["id"]},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200, r.text
    sup = world.supervisor.token
    by_contact = await listed(http, sup, contact_id=first["contact_id"])
    assert [c["id"] for c in by_contact] == [ids[0]]
    assert [c["id"] for c in await listed(http, sup, group_id=group["id"])] == [ids[0]]
    assert [c["id"] for c in await listed(http, sup, group_id=other["id"])] == [ids[1]]
    r = await http.get("/api/v1/conversations?group_id=abc", headers=bearer(sup))
    assert r.status_code == 422


async def test_conversation_updated_frames_carry_the_new_fields_on_claim_and_assign(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    watcher = await connect("agent", b.token)
    _visitor, _agent, cid = await open_conversation(http, connect, world)  # a claims it
    detail = await updated(watcher, cid)
    assert detail["assignee_id"] == a.id
    assert {"contact_name", "last_contact_message_at", "last_agent_message_at"} <= set(detail)
    assert detail["last_contact_message_at"] is not None
    r = await http.post(
        f"/api/v1/conversations/{cid}/assign",
        json={"agent_id": b.id},
        headers=bearer(world.supervisor.token),
    )
    assert r.status_code == 200, r.text
    assert (await updated(watcher, cid))["assignee_id"] == b.id


async def test_a_transfer_and_a_bot_handoff_publish_conversation_updated(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    watcher = await connect("agent", world.supervisor.token)
    _visitor, _agent, cid = await open_conversation(http, connect, world)
    r = await http.post(
        f"/api/v1/conversations/{cid}/transfer",
        json={"agent_id": b.id, "note": "老客户"},
        headers=bearer(a.token),
    )
    assert r.status_code == 200, r.text
    seen = [await updated(watcher, cid) for _ in range(3)]  # claim, transfer, assignment
    assert [d["assignee_id"] for d in seen] == [a.id, None, b.id]
    await enable_bot(http, world)
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    bot_cid = (await visitor.send_text("你好", "c-bot"))["conversation_id"]
    await say(visitor, bot_cid, "转人工")
    while (await updated(watcher, bot_cid))["with_bot"]:
        pass  # the handoff is the update that turns with_bot off


async def test_an_agent_list_shows_the_history_of_the_customer_they_serve(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    old = (await visitor.send_text("上次的问题", "c-old"))["conversation_id"]
    await _claim_and_close(http, b.token, old)
    assert old not in [c["id"] for c in await listed(http, a.token)]
    new = (await visitor.send_text("又来了", "c-new"))["conversation_id"]
    r = await http.post(f"/api/v1/conversations/{new}/claim", headers=bearer(a.token))
    assert r.status_code == 200, r.text
    assert {new, old} <= {c["id"] for c in await listed(http, a.token)}
    assert (await conversation(http, a.token, old))["assignee_id"] == b.id


async def _claim_and_close(http: httpx.AsyncClient, token: str, cid: int) -> None:
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(token))
    assert r.status_code == 200, r.text
    r = await http.post(f"/api/v1/conversations/{cid}/close", headers=bearer(token))
    assert r.status_code == 200, r.text


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _signature(world: World, user_id: str) -> str:
    from huiliu.tenants.service import identity_signature

    return identity_signature(world.identity_secret, user_id)
