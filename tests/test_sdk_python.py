"""The Python SDK (huiliu.sdk) against the real server, on both deployments.

Messages both ways, resume after a disconnect (a new client from stored cursors, and the
same client across a cut socket), idempotent resends and the outbox file, typed errors,
fatal close codes, a token refreshed after 4002, a stalled socket found by the heartbeat,
and — slow — `huiliu serve` killed with SIGKILL in the middle of a 200-message stream.
A small TCP proxy on loopback (``Proxy``) lets a test stall, cut or refuse sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from huiliu import sdk
from huiliu.auth import tokens
from huiliu.auth.principal import Principal
from huiliu.sdk import (
    CloseCode,
    ConnectionState,
    HuiliuClient,
    HuiliuError,
    Message,
    StateChange,
)
from tests.clients import bearer
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, World
from tests.server import ThreadServer
from tests.test_processes import StartServer, node_world, servers  # noqa: F401 (fixtures)

FAST = (0.05, 0.5)  # reconnect backoff for tests, seconds


# -- a TCP proxy to stall, cut or refuse sockets -----------------------------------------


class _Pipe:
    """One proxied connection: bytes both ways while ``flowing`` is set."""

    def __init__(self, pairs: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> None:
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.aborted = False
        self._pairs = pairs

    async def run(self) -> None:
        (r1, w1), (r2, w2) = self._pairs
        await asyncio.gather(self._pump(r1, w2), self._pump(r2, w1), return_exceptions=True)

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                await self.flowing.wait()
                if self.aborted:
                    return
                dst.write(data)
                await dst.drain()
        except ConnectionError:
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        self.aborted = True
        self.flowing.set()  # a stalled pump wakes up to find it over
        for _reader, writer in self._pairs:
            writer.transport.abort()


class Proxy:
    """127.0.0.1:<port> → the server. ``stall()`` freezes the open sockets (they stay open,
    nothing passes), ``cut()`` drops them, ``refusing`` closes new ones at once."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.refusing = False
        self.accepted = 0
        self._pipes: set[_Pipe] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, kind: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{kind}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        pipe = _Pipe([(reader, writer), (up_reader, up_writer)])
        self._pipes.add(pipe)
        try:
            await pipe.run()
        finally:
            self._pipes.discard(pipe)
            self._tasks.discard(task)

    def stall(self) -> None:
        for pipe in self._pipes:
            pipe.flowing.clear()

    def cut(self) -> None:
        for pipe in list(self._pipes):
            pipe.abort()

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        self.cut()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


@pytest.fixture
async def proxy(server: ThreadServer) -> AsyncIterator[Proxy]:
    p = Proxy(server.port)
    await p.start()
    yield p
    await p.close()


# -- helpers ------------------------------------------------------------------------------


class Seen:
    """What one client delivered, recorded by handlers."""

    def __init__(self, client: HuiliuClient) -> None:
        self.client = client
        self.messages: list[Message] = []
        self.states: list[StateChange] = []
        self.errors: list[HuiliuError] = []
        self.events: dict[str, list[Any]] = {}
        client.on("message", self.messages.append)
        client.on("state", self.states.append)
        client.on("error", self.errors.append)
        for name in ("typing", "read", "conversation.updated", "note.new", "ack"):
            client.on(name, self.events.setdefault(name, []).append)

    def of(self, cid: int) -> list[Message]:
        return [m for m in self.messages if m.conversation_id == cid]

    def seqs(self, cid: int) -> list[int]:
        return [m.seq for m in self.of(cid)]


async def until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def next_event(stream: sdk.EventStream, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(anext(stream), timeout)


async def stored(base_url: str, cid: int, token: str) -> list[dict[str, Any]]:
    """Every stored message of a conversation, over REST."""
    out: list[dict[str, Any]] = []
    after = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        while True:
            r = await http.get(
                f"/api/v1/conversations/{cid}/messages",
                params={"after_seq": after, "limit": 500},
                headers=bearer(token),
            )
            assert r.status_code == 200, r.text
            page = r.json()
            out += page["messages"]
            if not page["has_more"]:
                return out
            after = page["messages"][-1]["seq"]


async def claim(http: httpx.AsyncClient, cid: int, token: str) -> None:
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(token))
    assert r.status_code == 200, r.text


def visitor_token(world: World, contact_id: int, ttl_s: int) -> str:
    principal = Principal(kind="visitor", tenant_id=world.tenant_id, id=contact_id)
    return tokens.issue(principal, secret=TEST_SECRET, ttl_s=ttl_s)


# -- messages both ways -------------------------------------------------------------------


async def test_visitor_and_agent_exchange_messages_through_the_sdk(
    server: ThreadServer, world: World, http: httpx.AsyncClient
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    login = await sdk.login(server.base_url, world.agent.email, PASSWORD)
    assert login.account["id"] == world.agent.id
    async with (
        HuiliuClient(f"{server.ws_url}/ws/visitor", session.visitor_token) as visitor,
        HuiliuClient(f"{server.ws_url}/ws/agent", login.access_token) as agent,
    ):
        assert visitor.hello is not None
        assert agent.hello is not None
        assert (visitor.hello.principal.kind, visitor.hello.principal.id) == (
            "visitor",
            session.contact_id,
        )
        assert agent.hello.principal.kind == "account"
        seen_v, seen_a = Seen(visitor), Seen(agent)
        agent_stream = agent.events("message")

        first = await visitor.send("你好，我想问一下发货时间")
        cid = first.conversation_id
        # Unassigned: every agent of the merchant sees it live, from the 'opened' event on.
        opened = await next_event(agent_stream)
        mine = await next_event(agent_stream)
        assert (opened.seq, opened.content["event"]) == (1, "opened")
        assert (mine.id, mine.seq, mine.text) == (
            first.message_id,
            first.seq,
            "你好，我想问一下发货时间",
        )
        assert mine.sender == sdk.Sender("contact", session.contact_id)

        await claim(http, cid, login.access_token)
        reply = await agent.send(
            {"type": "text", "text": "您好，今天下午发货"}, conversation_id=cid
        )
        again = await visitor.send("好的谢谢", conversation_id=cid)
        assert again.seq == reply.seq + 1
        await until(lambda: seen_v.seqs(cid)[-1:] == [again.seq], what="the visitor's copy")
        await until(lambda: seen_a.seqs(cid)[-1:] == [again.seq], what="the agent's copy")

        # Each side delivered the stored conversation once, in seq order.
        rows = await stored(server.base_url, cid, session.visitor_token)
        assert seen_v.seqs(cid) == [m["seq"] for m in rows] == list(range(1, again.seq + 1))
        assert [m.id for m in seen_v.of(cid)] == [m["id"] for m in rows]
        assert [m.id for m in seen_a.of(cid)] == [m["id"] for m in rows]
        assert [a.client_msg_id for a in seen_v.events["ack"]] == [
            first.client_msg_id,
            again.client_msg_id,
        ]
        assert visitor.cursors() == {cid: again.seq}
        assert visitor.pending() == []
        assert seen_v.errors == seen_a.errors == []
        updated = seen_a.events["conversation.updated"]
        assert any(u.conversation["assignee_id"] == world.agent.id for u in updated)
    assert visitor.state is agent.state is ConnectionState.CLOSED


async def test_typing_read_and_notes_reach_the_other_side(
    server: ThreadServer, world: World, http: httpx.AsyncClient
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    async with (
        HuiliuClient(f"{server.ws_url}/ws/visitor", session.visitor_token) as visitor,
        HuiliuClient(f"{server.ws_url}/ws/agent", world.agent.token) as agent,
    ):
        seen_a, seen_v = Seen(agent), Seen(visitor)
        ack = await visitor.send("在吗？")
        cid = ack.conversation_id
        await claim(http, cid, world.agent.token)
        assert visitor.typing(cid)
        await until(lambda: bool(seen_a.events["typing"]), what="typing")
        typing = seen_a.events["typing"][0]
        assert (typing.conversation_id, typing.sender, typing.state) == (
            cid,
            sdk.Sender("contact", session.contact_id),
            "start",
        )
        assert agent.read(cid, ack.seq)
        assert not agent.read(cid, ack.seq - 1)  # never backwards
        await until(lambda: bool(seen_v.events["read"]), what="read")
        read = seen_v.events["read"][0]
        assert (read.conversation_id, read.reader, read.seq) == (
            cid,
            sdk.Sender("agent", world.agent.id),
            ack.seq,
        )
        r = await http.post(
            f"/api/v1/conversations/{cid}/notes",
            json={"text": "老客户"},
            headers=bearer(world.agent.token),
        )
        assert r.status_code == 201, r.text
        await until(lambda: bool(seen_a.events["note.new"]), what="the note")
        assert seen_a.events["note.new"][0].note["text"] == "老客户"
        assert seen_v.events["note.new"] == []  # never to the customer


# -- resume -------------------------------------------------------------------------------


async def test_a_new_client_from_stored_cursors_gets_exactly_what_it_missed(
    server: ThreadServer, world: World, http: httpx.AsyncClient
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    url = f"{server.ws_url}/ws/visitor"
    async with HuiliuClient(f"{server.ws_url}/ws/agent", world.agent.token) as agent:
        async with HuiliuClient(url, session.visitor_token) as first:
            ack = await first.send("第一条")
            cid = ack.conversation_id
            await until(lambda: first.cursors().get(cid) == ack.seq, what="the own copy")
            saved = json.loads(json.dumps(first.cursors()))  # as an app stores them: str keys
        await claim(http, cid, world.agent.token)
        missed = [await agent.send(f"离线消息 {n}", conversation_id=cid) for n in range(3)]

        back = HuiliuClient(url, session.visitor_token, cursors=saved)
        seen = Seen(back)
        stream = back.events("message", "resumed")
        async with back:
            # The backlog, then `resumed` (connect() returns after it).
            got = [await next_event(stream)]
            while not isinstance(got[-1], sdk.Resumed):
                got.append(await next_event(stream))
            assert got[-1].cursors == {cid: missed[-1].seq}
            backlog = got[:-1]
            assert [m.seq for m in backlog] == list(range(ack.seq + 1, missed[-1].seq + 1))
            assert [m.id for m in backlog if m.sender.type == "agent"] == [
                a.message_id for a in missed
            ]
            live = await agent.send("还在吗", conversation_id=cid)
            message = await next_event(stream)
            assert isinstance(message, Message)
            assert message.id == live.message_id
            await asyncio.sleep(0.3)
            assert seen.seqs(cid) == list(range(ack.seq + 1, live.seq + 1))
            assert back.stats().duplicates == 0


async def test_the_same_client_resumes_across_a_cut_socket_without_loss_or_repeat(
    server: ThreadServer, world: World, http: httpx.AsyncClient, proxy: Proxy
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    async with (
        HuiliuClient(proxy.url("visitor"), session.visitor_token, backoff=FAST) as visitor,
        HuiliuClient(f"{server.ws_url}/ws/agent", world.agent.token) as agent,
    ):
        seen = Seen(visitor)
        ack = await visitor.send("你好")
        cid = ack.conversation_id
        await claim(http, cid, world.agent.token)
        await until(lambda: len(seen.of(cid)) >= 2, what="the visitor's copy")

        proxy.refusing = True
        proxy.cut()
        await until(lambda: visitor.state is not ConnectionState.OPEN, what="the drop")
        # Sent while the visitor is away: its outbox holds one of its own meanwhile.
        missed = [await agent.send(f"离线 {n}", conversation_id=cid) for n in range(3)]
        queued = asyncio.create_task(visitor.send("我回来了", conversation_id=cid))
        await asyncio.sleep(0.3)
        assert [p.content["text"] for p in visitor.pending()] == ["我回来了"]
        proxy.refusing = False
        mine = await asyncio.wait_for(queued, 10)
        await until(lambda: seen.seqs(cid)[-1:] == [mine.seq], what="the resume")
        await asyncio.sleep(0.2)

        rows = await stored(server.base_url, cid, session.visitor_token)
        assert seen.seqs(cid) == [m["seq"] for m in rows] == list(range(1, mine.seq + 1))
        assert {a.message_id for a in missed} <= {m.id for m in seen.of(cid)}
        stats = visitor.stats()
        assert stats.reconnects >= 1
        assert stats.duplicates == 0
        closes = [s for s in seen.states if s.state is ConnectionState.RECONNECTING]
        assert closes
        assert closes[0].code == CloseCode.ABNORMAL


# -- idempotency and the outbox file ------------------------------------------------------


async def test_resending_a_client_msg_id_returns_the_same_ack_and_stores_once(
    server: ThreadServer, world: World
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    url = f"{server.ws_url}/ws/visitor"
    async with HuiliuClient(url, session.visitor_token) as client:
        first = await client.send("只存一次", client_msg_id="once-1")
        again = await client.send("只存一次", client_msg_id="once-1")
        both = await asyncio.gather(
            client.send("并发", client_msg_id="twice-2"),
            client.send("并发", client_msg_id="twice-2"),
        )
    assert first == again
    assert both[0] == both[1]
    # Another client (another process) resending the id gets the same ack too.
    async with HuiliuClient(url, session.visitor_token) as other:
        assert await other.send("只存一次", client_msg_id="once-1") == first
    rows = await stored(server.base_url, first.conversation_id, session.visitor_token)
    ids = Counter(m["client_msg_id"] for m in rows if m["client_msg_id"])
    assert ids == {"once-1": 1, "twice-2": 1}


async def test_the_outbox_file_carries_unsent_messages_to_the_next_process(
    server: ThreadServer, world: World, proxy: Proxy, tmp_path: Path
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    path = tmp_path / "outbox.json"
    proxy.refusing = True  # this "process" never reaches the server
    stranded = HuiliuClient(proxy.url("visitor"), session.visitor_token, outbox_path=str(path))
    connecting = asyncio.create_task(stranded.connect())
    sends = [
        asyncio.create_task(stranded.send(f"崩溃前 {n}", client_msg_id=f"crash-{n}"))
        for n in range(3)
    ]
    await asyncio.sleep(0.2)
    on_disk = json.loads(path.read_text())
    assert [m["client_msg_id"] for m in on_disk["messages"]] == ["crash-0", "crash-1", "crash-2"]
    await stranded.close()  # the process goes; its sends fail, the file keeps them
    for task in (connecting, *sends):
        with pytest.raises(HuiliuError) as refused:
            await task
        assert refused.value.code == "closed"
    assert len(json.loads(path.read_text())["messages"]) == 3

    restarted = HuiliuClient(
        f"{server.ws_url}/ws/visitor", session.visitor_token, outbox_path=str(path)
    )
    assert [p.client_msg_id for p in restarted.pending()] == ["crash-0", "crash-1", "crash-2"]
    seen = Seen(restarted)
    async with restarted:
        later = await restarted.send("重启后")
        await until(lambda: len(seen.events["ack"]) == 4, what="the restored acks")
    acks = seen.events["ack"]
    assert [a.client_msg_id for a in acks] == ["crash-0", "crash-1", "crash-2", later.client_msg_id]
    assert [a.seq for a in acks] == sorted(a.seq for a in acks)  # in the order of sending
    assert json.loads(path.read_text())["messages"] == []
    rows = await stored(server.base_url, later.conversation_id, session.visitor_token)
    assert [m["content"]["text"] for m in rows if m["sender"]["type"] == "contact"] == [
        "崩溃前 0",
        "崩溃前 1",
        "崩溃前 2",
        "重启后",
    ]


# -- errors -------------------------------------------------------------------------------


async def test_refused_messages_raise_typed_errors_and_the_socket_stays_usable(
    server: ThreadServer, world: World
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    async with (
        HuiliuClient(f"{server.ws_url}/ws/visitor", session.visitor_token) as visitor,
        HuiliuClient(f"{server.ws_url}/ws/agent", world.agent.token) as agent,
    ):
        seen = Seen(visitor)
        with pytest.raises(HuiliuError) as too_long:
            await visitor.send("长" * 5001, client_msg_id="long-1")
        e = too_long.value
        assert (e.code, e.field, e.client_msg_id) == ("too_large", "content.text", "long-1")
        assert "5000" in e.detail

        with pytest.raises(HuiliuError) as invalid:
            await visitor.send({"type": "hologram"})
        assert invalid.value.code == "invalid"

        with pytest.raises(HuiliuError) as huge:  # refused here: the server would drop us
            await visitor.send({"type": "text", "text": "x" * (1024 * 1024)})
        assert (huge.value.code, huge.value.field) == ("too_large", "content")

        with pytest.raises(HuiliuError) as missing:
            await agent.send("没有会话")
        assert (missing.value.code, missing.value.field) == ("invalid", "conversation_id")
        with pytest.raises(HuiliuError) as unknown:
            await agent.send("别人的会话", conversation_id=2_000_000_000)
        assert unknown.value.code == "not_found"

        ack = await visitor.send("这条可以")
        with pytest.raises(HuiliuError) as unclaimed:
            await agent.send("还没认领", conversation_id=ack.conversation_id)
        assert unclaimed.value.code == "forbidden"
        assert visitor.pending() == agent.pending() == []
        assert [err.code for err in seen.errors] == ["too_large", "invalid"]
        assert visitor.state is ConnectionState.OPEN


@pytest.mark.parametrize("case", ["garbage", "wrong_endpoint", "expired"])
async def test_fatal_close_codes_stop_the_client_with_the_reason(
    server: ThreadServer, world: World, case: str
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    kind, token, code, close_code = {
        "garbage": ("agent", "not-a-token", "invalid_token", 4001),
        "wrong_endpoint": ("agent", session.visitor_token, "wrong_endpoint", 4003),
        # A fixed string cannot be renewed: 4002 is the end of it.
        "expired": ("visitor", visitor_token(world, session.contact_id, -5), "token_expired", 4002),
    }[case]
    client = HuiliuClient(f"{server.ws_url}/ws/{kind}", token, backoff=FAST)
    seen = Seen(client)
    stream = client.events()
    with pytest.raises(HuiliuError) as stopped:
        await asyncio.wait_for(client.connect(), 10)
    assert (stopped.value.code, stopped.value.close_code) == (code, close_code)
    assert stopped.value.detail  # the server's reason, for a person to read
    assert client.state is ConnectionState.CLOSED
    assert client.error is stopped.value
    assert seen.states[-1].error is stopped.value
    assert seen.states[-1].code == close_code
    assert [e.code for e in seen.errors] == [code]
    with pytest.raises(HuiliuError):
        async for _event in stream:
            pass
    with pytest.raises(HuiliuError):
        await client.wait_closed()
    with pytest.raises(HuiliuError):
        await client.send("太迟了")
    await client.close()


async def test_a_deactivated_account_is_stopped_on_its_open_socket(
    server: ThreadServer, world: World, http: httpx.AsyncClient
) -> None:
    victim = world.agents[1]
    client = HuiliuClient(f"{server.ws_url}/ws/agent", victim.token, backoff=FAST)
    await client.connect()
    r = await http.patch(
        f"/api/v1/accounts/{victim.id}", json={"active": False}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    with pytest.raises(HuiliuError) as stopped:
        await asyncio.wait_for(client.wait_closed(), 10)
    assert (stopped.value.code, stopped.value.close_code) == ("invalid_token", 4001)
    assert "deactivated" in stopped.value.detail
    await client.close()


# -- tokens and heartbeats ----------------------------------------------------------------


async def test_an_expired_token_is_replaced_by_calling_the_token_function_again(
    server: ThreadServer, world: World, proxy: Proxy
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    calls: list[str] = []
    # Whole seconds: a token issued late in a second with ttl 1 may be dead within 50 ms,
    # before its first connect; with ttl 3 it lives 2 to 3 s.
    short = visitor_token(world, session.contact_id, ttl_s=3)

    async def token() -> str:
        # First the short-lived token, then the session's own.
        calls.append("short" if not calls else "fresh")
        return short if calls[-1] == "short" else session.visitor_token

    client = HuiliuClient(proxy.url("visitor"), token, backoff=FAST)
    seen = Seen(client)
    async with client:
        assert calls == ["short"]
        expires = jwt.decode(short, options={"verify_signature": False})["exp"]
        # The short token has expired; the socket is still fine.
        await asyncio.sleep(max(0.0, expires - time.time()) + 0.1)
        assert await client.send("还在") is not None
        assert calls == ["short"]
        proxy.cut()  # the next connect presents the expired token: 4002
        await until(lambda: client.stats().connects == 2, what="the reconnect")
        ack = await client.send("换了令牌")
    assert calls == ["short", "fresh"]
    codes = [s.code for s in seen.states if s.state is ConnectionState.RECONNECTING]
    assert codes == [CloseCode.ABNORMAL, CloseCode.TOKEN_EXPIRED]
    expired = [s for s in seen.states if s.code == CloseCode.TOKEN_EXPIRED]
    assert expired[0].delay_s == 0  # a new token at once, no backoff
    assert ack.seq > 0
    assert seen.errors == []


async def test_a_stalled_socket_is_found_by_the_heartbeat_and_replaced(
    server: ThreadServer, world: World, http: httpx.AsyncClient, proxy: Proxy
) -> None:
    session = await sdk.widget_session(server.base_url, world.widget_key)
    heartbeat = 0.3
    async with (
        HuiliuClient(
            proxy.url("visitor"), session.visitor_token, heartbeat_s=heartbeat, backoff=FAST
        ) as visitor,
        HuiliuClient(f"{server.ws_url}/ws/agent", world.agent.token) as agent,
    ):
        seen = Seen(visitor)
        ack = await visitor.send("你好")
        cid = ack.conversation_id
        await claim(http, cid, world.agent.token)
        await asyncio.sleep(3 * heartbeat)  # pings and pongs keep a quiet socket alive
        assert visitor.stats().connects == 1

        stalled_at = time.monotonic()
        proxy.stall()  # open, but nothing passes: no close, no error, only silence
        await until(lambda: any(s.code == CloseCode.DEAD for s in seen.states), 5, "the heartbeat")
        found_after = time.monotonic() - stalled_at
        during = await agent.send("断线期间", conversation_id=cid)
        await until(lambda: seen.seqs(cid)[-1:] == [during.seq], what="the resume")
    dead = next(s for s in seen.states if s.code == CloseCode.DEAD)
    assert dead.reason == "no frame for two heartbeats"
    # Two heartbeats after the last frame, which came at most one heartbeat before the stall.
    assert heartbeat * 0.9 <= found_after < 2 * heartbeat + 1.0
    assert seen.seqs(cid) == list(range(1, during.seq + 1))
    assert proxy.accepted == 2


# -- kill -9 ------------------------------------------------------------------------------

COUNT = 200
KILL_AFTER_ACKS = 60
FREEZE_S = 0.3


@pytest.mark.slow
async def test_sdk_streams_through_kill_9_and_ends_with_one_copy_of_each(
    servers: StartServer,  # noqa: F811
    node_world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    loop = asyncio.get_running_loop()
    srv = await loop.run_in_executor(None, servers)
    world = node_world
    session = await sdk.widget_session(srv.base_url, world.widget_key)
    token_calls = 0

    async def token() -> str:
        nonlocal token_calls
        token_calls += 1
        return session.visitor_token

    visitor = HuiliuClient(
        f"{srv.ws_url}/ws/visitor", token, backoff=(0.1, 1.0), outbox_path=str(tmp_path / "ob")
    )
    # A supervisor sees every conversation, live and on resume.
    reader = HuiliuClient(f"{srv.ws_url}/ws/agent", world.supervisor.token, backoff=(0.1, 1.0))
    seen_v, seen_r = Seen(visitor), Seen(reader)
    acks: list[sdk.Ack] = []
    rejected: list[HuiliuError] = []
    timings: dict[str, float] = {}
    killed = asyncio.Event()

    def kill_and_restart() -> None:
        assert srv.process is not None
        # Frozen first, so what the SDK sends meanwhile is unacknowledged (and perhaps
        # stored without an ack) when the socket dies.
        srv.process.send_signal(signal.SIGSTOP)
        time.sleep(FREEZE_S)
        started = time.monotonic()
        srv.kill()  # SIGKILL: no shutdown, no goodbye frames
        srv.start()  # same port, same database; returns once /healthz answers
        timings["restart_s"] = time.monotonic() - started

    restart: asyncio.Future[None] | None = None

    def on_ack(ack: sdk.Ack) -> None:
        nonlocal restart
        acks.append(ack)
        if len(acks) >= KILL_AFTER_ACKS and restart is None:
            timings["acked_at_kill"] = len(acks)
            restart = loop.run_in_executor(None, kill_and_restart)
            killed.set()

    async def one(n: int, cid: int | None) -> None:
        try:
            await visitor.send(f"消息 {n}", conversation_id=cid)
        except HuiliuError as exc:
            rejected.append(exc)

    visitor.on("ack", on_ack)
    started = time.monotonic()
    try:
        await asyncio.wait_for(reader.connect(), 10)
        await asyncio.wait_for(visitor.connect(), 10)
        first = await visitor.send("消息 0")  # opens the conversation (on_ack records it)
        cid = first.conversation_id
        sends = []
        for n in range(1, COUNT):
            sends.append(asyncio.create_task(one(n, cid)))
            await asyncio.sleep(0.015)
        await asyncio.wait_for(asyncio.gather(*sends), 90)
        assert restart is not None, "the stream never reached the kill point"
        await restart
        last = max(a.seq for a in acks)
        await until(lambda: visitor.cursors().get(cid, 0) >= last, 30, "the visitor")
        await until(lambda: reader.cursors().get(cid, 0) >= last, 30, "the supervisor")
        await asyncio.sleep(0.5)  # room for strays
        elapsed = time.monotonic() - started
        pending_left = len(visitor.pending())
    finally:
        await visitor.close()
        await reader.close()

    rows = await stored(srv.base_url, cid, session.visitor_token)
    seqs = [m["seq"] for m in rows]
    stored_ids = [m["id"] for m in rows]
    by_cmid = Counter(m["client_msg_id"] for m in rows if m["sender"]["type"] == "contact")
    texts = [m["content"]["text"] for m in rows if m["sender"]["type"] == "contact"]
    v_stats, r_stats = visitor.stats(), reader.stats()
    async with httpx.AsyncClient(base_url=srv.base_url) as http:
        metrics = (await http.get("/metrics")).text
    answered = [
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("huiliu_resends_answered_total")
    ]
    report = {
        "acked_at_kill": timings["acked_at_kill"],
        "server_restart_s": round(timings["restart_s"], 2),
        "acked": len(acks),
        "distinct_acked_message_ids": len({a.message_id for a in acks}),
        "stored_messages": len(rows),
        "stored_visitor_copies": dict(Counter(by_cmid.values())),
        # resends the restarted server answered from a copy stored before the kill
        "resends_answered_from_store": answered[0] if answered else None,
        "token_calls": token_calls,
        "pending_left": pending_left,
        "elapsed_s": round(elapsed, 2),
        "visitor": {"delivered": len(seen_v.of(cid)), "stats": v_stats},
        "reader": {"delivered": len(seen_r.of(cid)), "stats": r_stats},
    }
    print("\nPython SDK kill -9:", report)

    assert killed.is_set()
    assert timings["acked_at_kill"] < COUNT
    assert rejected == []
    assert len(acks) == COUNT
    assert len({a.message_id for a in acks}) == COUNT
    assert len({a.client_msg_id for a in acks}) == COUNT
    assert pending_left == 0
    assert v_stats.reconnects >= 1
    assert r_stats.reconnects >= 1
    assert v_stats.resends >= 1, "nothing was in flight at the kill"
    # The database: seqs 1..N, each message stored once, in the order of sending.
    assert seqs == list(range(1, len(seqs) + 1)), "gap or repeat in the stored conversation"
    assert set(by_cmid.values()) == {1}, "a resend was stored twice"
    assert set(by_cmid) == {a.client_msg_id for a in acks}
    assert texts == [f"消息 {n}" for n in range(COUNT)]
    assert {a.message_id for a in acks} <= set(stored_ids)
    # Both clients delivered exactly the stored conversation: once each, in seq order.
    for seen in (seen_v, seen_r):
        assert seen.seqs(cid) == seqs
        assert [m.id for m in seen.of(cid)] == stored_ids
        assert seen.client.stats().duplicates == 0
    with contextlib.suppress(FileNotFoundError):
        assert json.loads((tmp_path / "ob").read_text())["messages"] == []
