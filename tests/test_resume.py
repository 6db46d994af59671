"""Reconnect and resume: exactly what was missed, in order, then live messages."""

from __future__ import annotations

import asyncio

import httpx

from tests.clients import Connect, open_conversation, widget_session
from tests.factories import World


async def test_visitor_resumes_exactly_what_it_missed(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("我的订单到哪了", "r-1")
    cid = ack["conversation_id"]
    held = [m["seq"] for m in await visitor.messages_until(cid, ack["seq"])]
    assert held == [1, 2]
    await visitor.close()

    agent = await connect("agent", world.agent.token)
    r = await http.post(
        f"/api/v1/conversations/{cid}/claim",
        headers={"authorization": f"Bearer {world.agent.token}"},
    )
    assert r.status_code == 200
    missed = [await agent.send_text(f"回复 {n}", f"a-{n}", conversation_id=cid) for n in range(5)]

    again = await connect("visitor", session["visitor_token"])
    await again.send({"type": "resume", "cursors": {str(cid): held[-1]}})
    got = await again.messages_until(cid, missed[-1]["seq"])
    # The 'assigned' event, then the five replies: nothing before the cursor, no repeats.
    assert [m["seq"] for m in got] == list(range(held[-1] + 1, missed[-1]["seq"] + 1))
    assert got[0]["content"]["event"] == "assigned"
    assert [m["content"]["text"] for m in got[1:]] == [f"回复 {n}" for n in range(5)]
    resumed = await again.recv_type("resumed")
    assert resumed["cursors"] == {str(cid): missed[-1]["seq"]}
    # Then live messages follow on the same socket.
    live = await agent.send_text("还在吗", "a-live", conversation_id=cid)
    (message,) = await again.messages_until(cid, live["seq"])
    assert message["id"] == live["message_id"]
    assert await again.silent(0.3) == []


async def test_agent_resumes_after_disconnect(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, agent, cid = await open_conversation(http, connect, world)
    last = (await agent.messages_until(cid, 3))[-1]["seq"]  # opened, text, assigned
    await agent.close()
    sent = [await visitor.send_text(f"问题 {n}", f"v-{n}", conversation_id=cid) for n in range(3)]
    agent2 = await connect("agent", world.agent.token)
    await agent2.send({"type": "resume", "cursors": {str(cid): last}})
    got = await agent2.messages_until(cid, sent[-1]["seq"])
    assert [m["id"] for m in got] == [a["message_id"] for a in sent]


async def test_resume_from_zero_replays_whole_conversation_once(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    for n in range(3):
        await visitor.send_text(f"m{n}", f"z-{n}", conversation_id=cid)
    fresh = await connect("agent", world.agent.token)
    await fresh.send({"type": "resume", "cursors": {str(cid): 0}})
    got = await fresh.messages_until(cid, 6)
    assert [m["seq"] for m in got] == [1, 2, 3, 4, 5, 6]
    await fresh.recv_type("resumed")
    # Resuming again on the same socket sends nothing twice.
    await fresh.send({"type": "resume", "cursors": {str(cid): 0}})
    resumed = await fresh.recv_type("resumed")
    assert resumed["cursors"] == {str(cid): 6}
    assert [f for f in await fresh.silent(0.3) if f["type"] == "message.new"] == []


async def test_resume_of_someone_elses_conversation_is_refused(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _visitor, _agent, cid = await open_conversation(http, connect, world)
    stranger = await widget_session(http, world.widget_key)
    sock = await connect("visitor", stranger["visitor_token"])
    await sock.send({"type": "resume", "cursors": {str(cid): 0}})
    error = await sock.recv_type("error")
    assert error["code"] == "not_found"
    resumed = await sock.recv_type("resumed")
    assert resumed["cursors"] == {}
    assert [f for f in await sock.silent(0.3) if f["type"] == "message.new"] == []


async def test_read_cursor_never_moves_backwards(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, agent, cid = await open_conversation(http, connect, world)
    await agent.send_text("看到了吗", "read-1", conversation_id=cid)
    await visitor.send({"type": "read", "conversation_id": cid, "seq": 4})
    frame = await agent.recv_type("read")
    assert frame["seq"] == 4
    assert frame["reader"]["type"] == "contact"
    headers = {"authorization": f"Bearer {world.agent.token}"}
    # Backwards (REST): the cursor stays where it was.
    r = await http.post(f"/api/v1/conversations/{cid}/read", json={"seq": 9999}, headers=headers)
    assert r.json()["seq"] == 4  # clipped to the newest message
    r = await http.post(f"/api/v1/conversations/{cid}/read", json={"seq": 1}, headers=headers)
    assert r.json()["seq"] == 4


async def test_typing_reaches_the_other_side_only(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, agent, cid = await open_conversation(http, connect, world)
    await visitor.send({"type": "typing", "conversation_id": cid, "state": "start"})
    frame = await agent.recv_type("typing")
    assert frame == {
        "type": "typing",
        "conversation_id": cid,
        "sender": {"type": "contact", "id": visitor.hello["principal"]["id"]},
        "state": "start",
    }
    assert [f for f in await visitor.silent(0.3) if f["type"] == "typing"] == []


async def test_ping_is_answered_with_pong(connect: Connect, world: World) -> None:
    agent = await connect("agent", world.agent.token)
    await agent.send({"type": "ping", "ts": 42})
    assert await agent.recv_type("pong") == {"type": "pong", "ts": 42}


async def test_concurrent_first_reads_agree_on_one_cursor(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    for n in range(3):
        await visitor.send_text(f"读 {n}", f"cr-{n}", conversation_id=cid)
    headers = {"authorization": f"Bearer {world.agent.token}"}
    replies = await asyncio.gather(
        *(
            http.post(f"/api/v1/conversations/{cid}/read", json={"seq": seq}, headers=headers)
            for seq in (2, 5, 4, 3, 5, 1)
        )
    )
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    final = await http.post(f"/api/v1/conversations/{cid}/read", json={"seq": 0}, headers=headers)
    assert final.json()["seq"] == 5
