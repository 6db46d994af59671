"""Sending messages through the gateway: acks after commit, seqs, idempotency, fan-out."""

from __future__ import annotations

import asyncio

import httpx

from huiliu.db import Database
from tests.clients import Connect, bearer, open_conversation, widget_session
from tests.factories import World


async def stored_seqs(db: Database, conversation_id: int) -> list[int]:
    from sqlalchemy import select

    from huiliu.conversations.models import Message

    async with db.read() as session:
        rows = await session.scalars(
            select(Message.seq)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq)
        )
        return list(rows)


async def test_first_visitor_message_opens_conversation_and_is_acked_with_seq(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("在吗？", "m-1")
    assert ack["type"] == "ack"
    assert ack["seq"] == 2  # seq 1 is the 'opened' event
    opened, mine = await visitor.messages(2)
    assert opened["content"] == {"type": "event", "event": "opened"}
    assert opened["seq"] == 1
    assert mine["id"] == ack["message_id"]
    assert mine["content"] == {"type": "text", "text": "在吗？"}
    assert mine["sender"] == {"type": "contact", "id": session["contact_id"]}


async def test_agent_and_visitor_exchange_messages_both_ways(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, agent, cid = await open_conversation(http, connect, world)
    ack = await agent.send_text("您好，今天下午发货", "a-1", conversation_id=cid)
    assert ack["type"] == "ack"
    got = await visitor.recv_type("message.new")
    while got["message"]["sender"]["type"] != "agent":
        got = await visitor.recv_type("message.new")
    assert got["message"]["content"]["text"] == "您好，今天下午发货"
    assert got["message"]["id"] == ack["message_id"]
    ack2 = await visitor.send_text("好的谢谢", "v-2", conversation_id=cid)
    seen = await agent.recv_type("message.new")
    while seen["message"]["id"] != ack2["message_id"]:
        seen = await agent.recv_type("message.new")
    assert seen["message"]["seq"] == ack2["seq"] == ack["seq"] + 1


async def test_resending_same_client_msg_id_returns_same_ack_and_stores_once(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    before = await stored_seqs(db, cid)
    acks = [await visitor.send_text("重复", "dup-1", conversation_id=cid) for _ in range(3)]
    assert acks[0]["type"] == "ack"
    assert acks[0] == acks[1] == acks[2]
    assert await stored_seqs(db, cid) == [*before, acks[0]["seq"]]


async def test_concurrent_resends_of_one_client_msg_id_store_one_row(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    frame = {
        "type": "message.send",
        "client_msg_id": "burst-1",
        "conversation_id": cid,
        "content": {"type": "text", "text": "连发"},
    }
    await asyncio.gather(*(visitor.send(frame) for _ in range(3)))
    acks = [await visitor.reply_to("burst-1") for _ in range(3)]
    assert acks[0] == acks[1] == acks[2]
    # And through REST, from three separate requests at once.
    body = {"client_msg_id": "burst-2", "content": {"type": "text", "text": "又连发"}}
    headers = bearer(world.agent.token)
    replies = await asyncio.gather(
        *(
            http.post(f"/api/v1/conversations/{cid}/messages", json=body, headers=headers)
            for _ in range(3)
        )
    )
    assert [r.status_code for r in replies] == [201, 201, 201]
    assert replies[0].json() == replies[1].json() == replies[2].json()
    seqs = await stored_seqs(db, cid)
    assert seqs == list(range(1, len(seqs) + 1))
    assert seqs[-2:] == [acks[0]["seq"], replies[0].json()["seq"]]


async def test_hundred_concurrent_sends_get_gap_free_seqs(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    visitor, agent, cid = await open_conversation(http, connect, world)
    start = (await stored_seqs(db, cid))[-1]
    senders = [visitor, agent]
    extra = [await connect("agent", world.agent.token) for _ in range(2)]
    senders += extra

    async def send(n: int) -> dict[str, object]:
        sock = senders[n % len(senders)]
        await sock.send(
            {
                "type": "message.send",
                "client_msg_id": f"c-{n}",
                "conversation_id": cid,
                "content": {"type": "text", "text": f"#{n}"},
            }
        )
        return {}

    await asyncio.gather(*(send(n) for n in range(100)))
    replies = [await senders[n % len(senders)].reply_to(f"c-{n}") for n in range(100)]
    assert all(r["type"] == "ack" for r in replies), replies
    assert sorted(r["seq"] for r in replies) == list(range(start + 1, start + 101))
    assert await stored_seqs(db, cid) == list(range(1, start + 101))
    # Every participant's socket sees all 100, in seq order, once.
    seen = [m["seq"] for m in await visitor.messages_until(cid, start + 100) if m["seq"] > start]
    assert seen == list(range(start + 1, start + 101))


async def test_ack_means_the_message_is_readable(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _visitor, agent, cid = await open_conversation(http, connect, world)
    ack = await agent.send_text("已经为您查询", "ack-read", conversation_id=cid)
    r = await http.get(
        f"/api/v1/conversations/{cid}/messages",
        params={"after_seq": ack["seq"] - 1},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200
    page = r.json()
    assert [m["id"] for m in page["messages"]] == [ack["message_id"]]
    assert page["last_seq"] == ack["seq"]


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_metrics_count_stored_messages_and_resends(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    before = (await http.get("/metrics")).text
    await visitor.send_text("计数", "metric-1", conversation_id=cid)
    await visitor.send_text("计数", "metric-1", conversation_id=cid)
    after = (await http.get("/metrics")).text
    stored = "huiliu_messages_stored_total"
    resends = "huiliu_resends_answered_total"
    assert metric(after, stored) == metric(before, stored) + 1
    assert metric(after, resends) == metric(before, resends) + 1
