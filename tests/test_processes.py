"""Real `huiliu serve` processes: two nodes sharing PostgreSQL + Redis, and kill -9
durability on both deployments."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from huiliu.db import Database
from tests.clients import Socket, bearer, widget_session
from tests.conftest import TEST_SECRET
from tests.factories import World, make_world
from tests.server import ProcessServer
from tests.services import Backend, free_port

pytestmark = pytest.mark.slow

# start(HUILIU_X="…") adds settings to the server's environment.
StartServer = Callable[..., ProcessServer]


def server_env(backend: Backend, data_dir: Path) -> dict[str, str]:
    return {
        "HUILIU_DATABASE_URL": backend.database_url,
        "HUILIU_REDIS_URL": backend.redis_url,
        "HUILIU_REDIS_CHANNEL": backend.redis_channel + ":processes",
        "HUILIU_SECRET_KEY": TEST_SECRET,
        "HUILIU_DATA_DIR": str(data_dir),
        "HUILIU_LOG_LEVEL": "warning",
    }


@pytest.fixture
async def servers(backend: Backend, tmp_path: Path) -> AsyncIterator[StartServer]:
    started: list[ProcessServer] = []

    def start(**env: str) -> ProcessServer:
        srv = ProcessServer(
            {**server_env(backend, tmp_path), **env}, free_port(), tmp_path / "server.log"
        )
        srv.start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
async def node_world(backend: Backend) -> World:
    db = Database(backend.database_url)
    try:
        return await make_world(db, TEST_SECRET)
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_nodes_relay_both_ways_and_resume_across_nodes(
    servers: StartServer, node_world: World
) -> None:
    loop = asyncio.get_running_loop()
    a, b = await loop.run_in_executor(None, servers), await loop.run_in_executor(None, servers)
    world = node_world
    async with httpx.AsyncClient(base_url=a.base_url) as http_a:
        session = await widget_session(http_a, world.widget_key)
        visitor = await Socket.connect(a.ws_url, "visitor", session["visitor_token"])
        agent = await Socket.connect(b.ws_url, "agent", world.agent.token)
        ack = await visitor.send_text("节点A的访客", "n-1")
        cid = ack["conversation_id"]
        # The agent on node B sees the new conversation live.
        got = await agent.messages_until(cid, ack["seq"])
        assert got[-1]["id"] == ack["message_id"]
        async with httpx.AsyncClient(base_url=b.base_url) as http_b:
            r = await http_b.post(
                f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token)
            )
            assert r.status_code == 200
        reply = await agent.send_text("节点B的客服", "n-2", conversation_id=cid)
        got = await visitor.messages_until(cid, reply["seq"])
        assert got[-1]["id"] == reply["message_id"]
        assert got[-1]["sender"]["type"] == "agent"
        visitor_seq = reply["seq"]

        # The visitor drops; the agent goes on; the visitor comes back on the other node.
        await visitor.close()
        missed = [
            await agent.send_text(f"离线消息 {n}", f"off-{n}", conversation_id=cid)
            for n in range(3)
        ]
        visitor2 = await Socket.connect(b.ws_url, "visitor", session["visitor_token"])
        await visitor2.send({"type": "resume", "cursors": {str(cid): visitor_seq}})
        got = await visitor2.messages_until(cid, missed[-1]["seq"])
        assert [m["id"] for m in got] == [m["message_id"] for m in missed]
        await visitor2.recv_type("resumed")

        # The agent drops; the visitor writes; the agent comes back on node A.
        agent_seq = missed[-1]["seq"]
        await agent.close()
        sent = [
            await visitor2.send_text(f"你在吗 {n}", f"back-{n}", conversation_id=cid)
            for n in range(3)
        ]
        agent2 = await Socket.connect(a.ws_url, "agent", world.agent.token)
        await agent2.send({"type": "resume", "cursors": {str(cid): agent_seq}})
        got = await agent2.messages_until(cid, sent[-1]["seq"])
        assert [m["id"] for m in got] == [m["message_id"] for m in sent]
        # Live again, both ways, across nodes.
        live = await agent2.send_text("回来了", "live-1", conversation_id=cid)
        assert (await visitor2.messages_until(cid, live["seq"]))[-1]["id"] == live["message_id"]
        assert (await agent2.messages_until(cid, live["seq"]))[-1]["id"] == live["message_id"]
        for sock in (visitor2, agent2):
            extra = [f for f in await sock.silent(0.3) if f["type"] == "message.new"]
            assert [
                m["message"]["seq"] for m in extra if m["message"]["conversation_id"] == cid
            ] == []
            await sock.close()


async def test_kill_9_loses_no_acknowledged_message(
    backend: Backend, servers: StartServer, node_world: World
) -> None:
    loop = asyncio.get_running_loop()
    srv = await loop.run_in_executor(None, servers)
    world = node_world
    async with httpx.AsyncClient(base_url=srv.base_url) as http:
        session = await widget_session(http, world.widget_key)
    visitor = await Socket.connect(srv.ws_url, "visitor", session["visitor_token"])
    first = await visitor.send_text("start", "k-start")
    cid = first["conversation_id"]

    acked: dict[str, dict[str, object]] = {}
    window = 16

    async def stream() -> None:
        n = 0
        in_flight: set[str] = set()
        with contextlib.suppress(Exception):  # the server dies under us: that is the point
            while True:
                while len(in_flight) < window:
                    cmid = f"k-{n}"
                    n += 1
                    in_flight.add(cmid)
                    await visitor.send(
                        {
                            "type": "message.send",
                            "client_msg_id": cmid,
                            "conversation_id": cid,
                            "content": {"type": "text", "text": f"消息 {cmid}"},
                        }
                    )
                frame = await visitor.recv(10)
                if frame["type"] == "ack":
                    acked[frame["client_msg_id"]] = frame
                    in_flight.discard(frame["client_msg_id"])

    streamer = asyncio.create_task(stream())
    while len(acked) < 300:
        await asyncio.sleep(0.01)
        assert not streamer.done(), "stream stopped before the kill"
    srv.kill()
    await asyncio.wait_for(streamer, 15)
    with contextlib.suppress(Exception):
        await visitor.close()
    assert len(acked) >= 300

    restarted = await loop.run_in_executor(None, servers)
    async with httpx.AsyncClient(base_url=restarted.base_url) as http:
        stored: list[dict[str, object]] = []
        after = 0
        while True:
            r = await http.get(
                f"/api/v1/conversations/{cid}/messages",
                params={"after_seq": after, "limit": 500},
                headers=bearer(session["visitor_token"]),
            )
            assert r.status_code == 200, r.text
            page = r.json()
            stored += page["messages"]
            if not page["has_more"]:
                break
            after = page["messages"][-1]["seq"]
    seqs = [m["seq"] for m in stored]
    assert seqs == list(range(1, len(seqs) + 1)), "gap or repeat after the crash"
    by_id = {m["id"]: m for m in stored}
    for cmid, ack in acked.items():
        message = by_id.get(ack["message_id"])
        assert message is not None, f"acked {cmid} lost"
        assert message["seq"] == ack["seq"]
        assert message["client_msg_id"] == cmid
    # Stored order follows the order of sending.
    sent_order = [
        int(str(m["client_msg_id"]).split("-")[1])
        for m in stored
        if str(m["client_msg_id"]).startswith("k-") and m["client_msg_id"] != "k-start"
    ]
    assert sent_order == sorted(sent_order)


async def _queue_conversations(db: Database, world: World, group_id: int, count: int) -> list[int]:
    """``count`` customers, each with a conversation waiting in the group's queue."""
    from sqlalchemy import insert

    from huiliu.contacts.models import Contact
    from huiliu.conversations.models import Conversation, Message
    from huiliu.db.base import utcnow

    now = utcnow()
    async with db.write_connection() as conn:
        contact_ids = [
            r.id
            for r in await conn.execute(
                insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": world.tenant_id,
                        "attributes": {},
                        "verified": False,
                        "created_at": now,
                    }
                ]
                * count,
            )
        ]
        conv_ids = [
            r.id
            for r in await conn.execute(
                insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": world.tenant_id,
                        "contact_id": cid,
                        "channel": "web",
                        "status": "open",
                        "group_id": group_id,
                        "queued_at": now,
                        "priority": 0,
                        "last_seq": 1,
                        "created_at": now,
                        "last_message_at": now,
                    }
                    for cid in contact_ids
                ],
            )
        ]
        await conn.execute(
            insert(Message),
            [
                {
                    "tenant_id": world.tenant_id,
                    "conversation_id": conv,
                    "seq": 1,
                    "sender_type": "system",
                    "content_type": "event",
                    "content": {"type": "event", "event": "opened"},
                    "created_at": now,
                }
                for conv in conv_ids
            ],
        )
    return conv_ids


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_processes_racing_to_route_never_double_assign_or_overfill(
    backend: Backend, servers: StartServer
) -> None:
    from sqlalchemy import func, select

    from huiliu.conversations.models import Conversation, Message
    from huiliu.routing.engine import Strategy
    from huiliu.routing.schemas import GroupIn
    from huiliu.routing.service import create as create_group

    db = Database(backend.database_url)
    try:
        world = await make_world(db, TEST_SECRET, agents=20, online=False)
        async with db.write() as session:
            group = await create_group(
                session,
                tenant_id=world.tenant_id,
                data=GroupIn(
                    name="大促",
                    strategy=Strategy.least_load,
                    member_ids=[a.id for a in world.agents],
                ),
            )
            group_id = group.id
        conv_ids = await _queue_conversations(db, world, group_id, 500)
        loop = asyncio.get_running_loop()
        a, b = await loop.run_in_executor(None, servers), await loop.run_in_executor(None, servers)

        # Every agent comes online through one node or the other, all at once: each status
        # change kicks a routing pass on the node that took it. Twenty at once beside passes
        # over 500 conversations have taken longer than httpx's 5 s default on a loaded CI
        # machine; what is tested here is the race's outcome.
        async with (
            httpx.AsyncClient(base_url=a.base_url, timeout=30) as ha,
            httpx.AsyncClient(base_url=b.base_url, timeout=30) as hb,
        ):
            replies = await asyncio.gather(
                *(
                    (ha if n % 2 else hb).put(
                        "/api/v1/me/status", json={"status": "online"}, headers=bearer(agent.token)
                    )
                    for n, agent in enumerate(world.agents)
                )
            )
            assert all(r.status_code == 200 for r in replies)

        deadline = loop.time() + 30
        while True:
            async with db.read() as session:
                assigned = await session.scalar(
                    select(func.count()).where(
                        Conversation.id.in_(conv_ids), Conversation.assignee_id.is_not(None)
                    )
                )
            if assigned == 400 or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
        assert assigned == 400  # 20 agents × capacity 20; the other 100 keep waiting

        async with db.read() as session:
            loads = dict(
                (
                    await session.execute(
                        select(Conversation.assignee_id, func.count())
                        .where(Conversation.id.in_(conv_ids), Conversation.assignee_id.is_not(None))
                        .group_by(Conversation.assignee_id)
                    )
                ).all()
            )
            events = dict(
                (
                    await session.execute(
                        select(Message.conversation_id, func.count())
                        .where(
                            Message.conversation_id.in_(conv_ids),
                            Message.content_type == "event",
                            Message.seq > 1,
                        )
                        .group_by(Message.conversation_id)
                    )
                ).all()
            )
            seqs = (
                await session.execute(
                    select(Conversation.id, Conversation.last_seq, func.count(Message.id))
                    .join(Message, Message.conversation_id == Conversation.id)
                    .where(Conversation.id.in_(conv_ids))
                    .group_by(Conversation.id, Conversation.last_seq)
                )
            ).all()
        assert sorted(loads.values()) == [20] * 20  # nobody over capacity, everybody full
        assert set(events.values()) == {1}  # one 'assigned' event per routed conversation
        assert len(events) == 400
        assert all(last == count for _cid, last, count in seqs)  # seq gap-free
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_presence_counts_sockets_on_every_node(
    servers: StartServer, node_world: World
) -> None:
    loop = asyncio.get_running_loop()
    a, b = await loop.run_in_executor(None, servers), await loop.run_in_executor(None, servers)
    world = node_world
    agent = world.agents[0]
    async with httpx.AsyncClient(base_url=a.base_url) as http:
        r = await http.put(
            "/api/v1/tenant/routing",
            json={"presence_grace_s": 1},
            headers=bearer(world.admin.token),
        )
        assert r.status_code == 200
        on_a = await Socket.connect(a.ws_url, "agent", agent.token)
        on_b = await Socket.connect(b.ws_url, "agent", agent.token)
        await asyncio.sleep(0.3)  # both nodes have announced the socket
        await on_a.close()
        await asyncio.sleep(2.0)  # past the grace period: node B still holds a socket
        me = (await http.get("/api/v1/me", headers=bearer(agent.token))).json()
        assert me["status"] == "online"
        await on_b.close()
        deadline = loop.time() + 10
        while True:
            me = (await http.get("/api/v1/me", headers=bearer(agent.token))).json()
            if me["status"] == "offline" or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
        assert me["status"] == "offline"
