"""The Python SDK's parts on their own: sequencer, outbox, backoff, states; and the client
against a scripted server (``FakeServer``) for what the real one will not do on demand:
``busy``, gaps, a gap the socket cannot fill, 500-conversation resume frames, silence."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from huiliu.sdk import (
    Backoff,
    CloseCode,
    ConnectionState,
    Frame,
    HuiliuClient,
    HuiliuError,
    IllegalTransition,
    Message,
    PendingMessage,
    Sender,
    StateChange,
)
from huiliu.sdk.outbox import Outbox
from huiliu.sdk.sequencer import Sequencer
from huiliu.sdk.state import TRANSITIONS, check_transition

# -- backoff -------------------------------------------------------------------------------


def test_backoff_doubles_from_half_to_all_of_the_ceiling_up_to_max() -> None:
    low, high = Backoff(0.25, 2.0, random=lambda: 0.0), Backoff(0.25, 2.0, random=lambda: 1.0)
    assert [low.next() for _ in range(6)] == [0.125, 0.25, 0.5, 1.0, 1.0, 1.0]
    assert [high.next() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert high.attempts == 6
    high.reset()
    assert (high.attempts, high.next()) == (0, 0.25)


def test_backoff_jitters_within_its_bounds() -> None:
    backoff = Backoff(0.1, 30.0)
    for attempt in range(40):
        ceiling = min(30.0, 0.1 * 2**attempt)
        assert ceiling / 2 <= backoff.next() <= ceiling


# -- states --------------------------------------------------------------------------------


def test_only_the_documented_state_changes_are_allowed() -> None:
    allowed = {
        ("idle", "connecting"),
        ("connecting", "open"),
        ("connecting", "reconnecting"),
        ("open", "reconnecting"),
        ("reconnecting", "connecting"),
        *((s.value, "closed") for s in ConnectionState if s is not ConnectionState.CLOSED),
    }
    for previous in ConnectionState:
        for to in ConnectionState:
            if (previous.value, to.value) in allowed:
                check_transition(previous, to)
            else:
                with pytest.raises(IllegalTransition):
                    check_transition(previous, to)
    assert TRANSITIONS[ConnectionState.CLOSED] == frozenset()


# -- sequencer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class M:
    conversation_id: int
    seq: int


def test_sequencer_delivers_in_order_and_drops_duplicates() -> None:
    seq: Sequencer[M] = Sequencer([(1, 0)])
    assert seq.accept(M(1, 1)).messages == (M(1, 1),)
    assert seq.accept(M(1, 1)).kind == "duplicate"
    assert seq.accept(M(1, 2)).kind == "deliver"
    assert seq.snapshot() == {1: 2}


def test_sequencer_holds_messages_past_a_gap_until_it_is_filled() -> None:
    seq: Sequencer[M] = Sequencer([(1, 3)])
    gap = seq.accept(M(1, 6))
    assert (gap.kind, gap.cursor) == ("gap", 3)
    assert seq.accept(M(1, 6)).kind == "duplicate"  # held already
    assert seq.accept(M(1, 5)).kind == "gap"
    assert seq.has_gap(1)
    filled = seq.accept(M(1, 4))
    assert [m.seq for m in filled.messages] == [4, 5, 6]
    assert not seq.has_gap(1)
    assert seq.cursor(1) == 6


def test_sequencer_starts_an_unknown_conversation_at_the_first_message_seen() -> None:
    seq: Sequencer[M] = Sequencer()
    assert seq.accept(M(9, 5)).kind == "deliver"
    assert seq.accept(M(9, 7)).kind == "gap"
    assert seq.cursor(9) == 5


def test_follow_never_moves_a_cursor_back_and_forget_drops_it() -> None:
    seq: Sequencer[M] = Sequencer([(1, 5)])
    seq.follow(1, 3)
    assert seq.cursor(1) == 5
    seq.accept(M(1, 9))
    seq.follow(1, 9)  # the held message is now covered
    assert (seq.cursor(1), seq.has_gap(1)) == (9, False)
    seq.follow(2, 0)
    assert seq.ids() == [1, 2]
    seq.forget(1)
    assert seq.snapshot() == {2: 0}
    seq.accept(M(2, 4))
    seq.drop_held()
    assert not seq.has_gap(2)


def test_sequencer_ignores_nonsense_initial_cursors() -> None:
    assert Sequencer([(0, 3), (-1, 2), (4, -1), (5, 2)]).snapshot() == {5: 2}


@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.permutations(list(range(1, n + 1))),
            st.lists(st.integers(min_value=1, max_value=n), max_size=20),
        )
    )
)
def test_any_arrival_order_with_repeats_is_delivered_once_in_order(
    case: tuple[int, list[int], list[int]],
) -> None:
    n, order, repeats = case
    seq: Sequencer[M] = Sequencer([(1, 0)])
    delivered: list[int] = []
    for s in [*order[: n // 2], *repeats, *order[n // 2 :], *repeats]:
        delivered += [m.seq for m in seq.accept(M(1, s)).messages]
    assert delivered == list(range(1, n + 1))
    assert not seq.has_gap(1)


# -- outbox --------------------------------------------------------------------------------


def pending(cmid: str, text: str = "hi", cid: int | None = None) -> PendingMessage:
    return PendingMessage(cmid, {"type": "text", "text": text}, cid)


def test_outbox_keeps_the_order_of_sending_in_memory() -> None:
    box = Outbox()
    for cmid in ("a", "b", "c"):
        box.add(pending(cmid))
    assert box.remove("b") is not None
    assert box.remove("b") is None
    assert [m.client_msg_id for m in box.entries()] == ["a", "c"]
    assert "a" in box
    assert len(box) == 2
    assert not box.dirty  # no file: nothing to write


def test_outbox_file_is_written_on_add_and_restored_first(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "outbox.json"
    box = Outbox(path)
    assert box.load() == []  # no file yet
    box.add(pending("a", "你好", 42))
    box.add(pending("b"))
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert [m["client_msg_id"] for m in data["messages"]] == ["a", "b"]
    assert data["messages"][0]["content"] == {"type": "text", "text": "你好"}

    box.remove("a")  # written lazily
    assert box.dirty
    assert len(json.loads(path.read_text())["messages"]) == 2
    box.flush()
    assert [m["client_msg_id"] for m in json.loads(path.read_text())["messages"]] == ["b"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["outbox.json"]  # no temp left

    again = Outbox(path)
    again.add(pending("c"))  # before load: kept in memory, and the file left alone
    assert [m["client_msg_id"] for m in json.loads(path.read_text())["messages"]] == ["b"]
    restored = again.load()
    assert [m.client_msg_id for m in restored] == ["b"]
    assert [m.client_msg_id for m in again.entries()] == ["b", "c"]  # restored ones first
    assert [m["client_msg_id"] for m in json.loads(path.read_text())["messages"]] == ["b", "c"]


def test_outbox_moves_an_unreadable_file_aside_and_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "outbox.json"
    path.write_text("{not json")
    problems: list[Exception] = []
    box = Outbox(path, on_error=problems.append)
    assert box.load() == []
    assert len(problems) == 1
    assert "unreadable" in str(problems[0])
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["outbox.json.corrupt"]


def test_outbox_skips_entries_that_are_not_messages(tmp_path: Path) -> None:
    path = tmp_path / "outbox.json"
    entries: list[Any] = [
        {"client_msg_id": "ok", "content": {"type": "text", "text": "x"}, "conversation_id": 3},
        {"client_msg_id": "", "content": {}},
        {"client_msg_id": "no-content"},
        {"client_msg_id": "bad-cid", "content": {}, "conversation_id": "3"},
        "junk",
    ]
    path.write_text(json.dumps({"version": 1, "messages": entries}))
    restored = Outbox(path).load()
    assert [(m.client_msg_id, m.conversation_id) for m in restored] == [("ok", 3)]


def test_outbox_goes_on_in_memory_when_the_file_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    problems: list[Exception] = []
    box = Outbox(blocker / "outbox.json", on_error=problems.append)  # a file as directory
    box.load()
    box.add(pending("a"))
    assert [m.client_msg_id for m in box.entries()] == ["a"]
    assert problems


# -- the client against a scripted server ----------------------------------------------------


class FakeSocket:
    """The server's end of one socket, played by the test."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.path = ws.request.path if ws.request is not None else ""

    async def hello(self, heartbeat_s: float = 25.0, kind: str = "visitor", pid: int = 17) -> None:
        principal = {"kind": kind, "id": pid, "tenant_id": 1}
        await self.send({"type": "hello", "protocol": 1, "heartbeat_s": heartbeat_s,
                         "principal": principal})  # fmt: skip

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame other than a ping."""
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame["type"] != "ping":
                return frame

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """What arrives within ``seconds`` (pings aside)."""
        frames = []
        try:
            while True:
                frames.append(await self.recv(seconds))
        except TimeoutError:
            return frames

    async def handshake(
        self, cursors: dict[str, int] | None = None, heartbeat_s: float = 25.0
    ) -> dict[str, Any]:
        """hello, read the resume, answer it with ``cursors`` (default: as asked)."""
        await self.hello(heartbeat_s)
        resume = await self.recv()
        assert resume["type"] == "resume", resume
        await self.send({"type": "resumed", "cursors": resume["cursors"] if cursors is None
                         else cursors})  # fmt: skip
        return resume

    async def close(self, code: int, reason: str = "") -> None:
        await self.ws.close(code, reason)


class FakeServer:
    def __init__(self) -> None:
        self.port = 0
        self._sockets: asyncio.Queue[FakeSocket] = asyncio.Queue()

    def url(self, kind: str = "visitor") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{kind}"

    async def handler(self, ws: ServerConnection) -> None:
        await self._sockets.put(FakeSocket(ws))
        await ws.wait_closed()

    async def accept(self, timeout: float = 5.0) -> FakeSocket:
        return await asyncio.wait_for(self._sockets.get(), timeout)


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    server = FakeServer()
    async with serve(server.handler, "127.0.0.1", 0, compression=None) as ws_server:
        server.port = next(iter(ws_server.sockets)).getsockname()[1]
        yield server


def message(cid: int, seq: int, text: str = "x", cmid: str | None = None) -> dict[str, Any]:
    return {
        "type": "message.new",
        "message": {
            "id": cid * 1000 + seq,
            "conversation_id": cid,
            "seq": seq,
            "sender": {"type": "agent", "id": 3},
            "client_msg_id": cmid,
            "content": {"type": "text", "text": text},
            "created_at": "2026-11-22T08:30:58Z",
        },
    }


def ack(frame: dict[str, Any], seq: int, cid: int = 42) -> dict[str, Any]:
    return {"type": "ack", "client_msg_id": frame["client_msg_id"], "message_id": 900 + seq,
            "conversation_id": cid, "seq": seq}  # fmt: skip


async def until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def connected(client: HuiliuClient, fake: FakeServer) -> FakeSocket:
    task = asyncio.create_task(client.connect())
    sock = await fake.accept()
    await sock.handshake()
    await asyncio.wait_for(task, 5)
    return sock


@pytest.mark.parametrize("code", ["busy", "store_failed"])
async def test_a_refused_store_is_resent_with_the_same_id_before_anything_newer(
    fake: FakeServer, code: str
) -> None:
    client = HuiliuClient(fake.url(), "t", busy_backoff=(0.2, 0.4))
    sock = await connected(client, fake)
    first = asyncio.create_task(client.send("一", conversation_id=42, client_msg_id="m-1"))
    frame = await sock.recv()
    assert frame["client_msg_id"] == "m-1"
    await sock.send({"type": "error", "code": code, "detail": "later", "client_msg_id": "m-1"})
    await until(lambda: client.stats().busy_retries == 1)
    paused_at = time.monotonic()
    second = asyncio.create_task(client.send("二", conversation_id=42, client_msg_id="m-2"))
    again = await sock.recv()
    assert again["client_msg_id"] == "m-1"  # the refused one first, after a pause
    assert time.monotonic() - paused_at >= 0.05
    assert (await sock.recv())["client_msg_id"] == "m-2"
    await sock.send(ack(again, 5))
    await sock.send(ack({"client_msg_id": "m-2"}, 6))
    assert (await first).seq == 5
    assert (await second).seq == 6
    assert client.pending() == []
    await client.close()


async def test_a_gap_is_filled_by_a_resume_and_each_message_delivered_once(
    fake: FakeServer,
) -> None:
    client = HuiliuClient(fake.url(), "t", cursors={"42": 1})
    got: list[Message] = []
    client.on("message", got.append)
    sock = await connected(client, fake)
    await sock.send(message(42, 3))  # 2 is missing
    resume = await sock.recv()
    assert resume == {"type": "resume", "cursors": {"42": 1}}
    for seq in (2, 3, 2):  # the backlog, and a stray repeat
        await sock.send(message(42, seq))
    await sock.send({"type": "resumed", "cursors": {"42": 3}})
    await until(lambda: client.stats().duplicates >= 2)
    assert [m.seq for m in got] == [2, 3]
    assert client.cursors() == {42: 3}
    stats = client.stats()
    assert (stats.gaps, stats.resyncs) == (1, 0)
    await client.close()


async def test_a_gap_the_socket_cannot_fill_makes_the_client_reconnect_and_resume_it_first(
    fake: FakeServer,
) -> None:
    cursors = {str(cid): 5 for cid in range(1, 600)}
    cursors["42"] = 1
    client = HuiliuClient(fake.url(), "t", cursors=cursors, backoff=(0.01, 0.05))
    states: list[StateChange] = []
    client.on("state", states.append)
    connecting = asyncio.create_task(client.connect())
    sock = await fake.accept()
    await sock.hello()
    for _ in range(2):
        resume = await sock.recv()
        await sock.send({"type": "resumed", "cursors": resume["cursors"]})
    await connecting
    await sock.send(message(42, 3))
    assert (await sock.recv())["cursors"] == {"42": 1}
    # This server resumes after what the socket delivered (3), so 2 never comes here.
    await sock.send({"type": "resumed", "cursors": {"42": 3}})
    second = await fake.accept()
    await second.hello()
    first_frame = await second.recv()
    assert next(iter(first_frame["cursors"])) == "42"  # the gap goes in the first frame
    assert states[-3].code == CloseCode.DEAD
    assert "resync" in (states[-3].reason or "")
    assert client.stats().resyncs == 1
    await client.close()


async def test_resume_goes_500_conversations_a_frame_and_sends_wait_for_all_of_it(
    fake: FakeServer,
) -> None:
    client = HuiliuClient(fake.url(), "t", cursors={cid: 0 for cid in range(1, 1202)})
    waiting = asyncio.create_task(client.send("排队", conversation_id=1))
    connecting = asyncio.create_task(client.connect())
    sock = await fake.accept()
    await sock.hello()
    frames = [await sock.recv() for _ in range(3)]
    assert [len(f["cursors"]) for f in frames] == [500, 500, 201]
    for f in frames[:2]:
        await sock.send({"type": "resumed", "cursors": f["cursors"]})
    assert await sock.quiet(0.1) == []  # not ready yet: the message waits
    assert not client.ready
    await sock.send({"type": "resumed", "cursors": frames[2]["cursors"]})
    await connecting
    sent = await sock.recv()
    assert sent["type"] == "message.send"
    assert sent["conversation_id"] == 1
    await sock.send(ack(sent, 2, cid=1))
    assert (await waiting).conversation_id == 1
    await client.close()


async def test_a_conversation_the_server_does_not_resume_is_forgotten(
    fake: FakeServer,
) -> None:
    client = HuiliuClient(fake.url(), "t", cursors={5: 2, 6: 0})
    connecting = asyncio.create_task(client.connect())
    sock = await fake.accept()
    await sock.hello()
    await sock.recv()
    await sock.send({"type": "error", "code": "not_found", "detail": "no", "field": "cursors"})
    await sock.send({"type": "resumed", "cursors": {"6": 0}})
    await connecting
    assert client.cursors() == {6: 0}
    await client.close()


async def test_reads_wait_for_the_resume_and_never_go_back(fake: FakeServer) -> None:
    client = HuiliuClient(fake.url(), "t")
    reads: list[Any] = []
    client.on("read", reads.append)
    assert client.read(42, 5)
    assert not client.read(42, 3)
    assert not client.typing(42)  # typing is not queued
    sock = await connected(client, fake)
    assert await sock.recv() == {"type": "read", "conversation_id": 42, "seq": 5}
    # The server tells of our own read from another device: the cursor follows it.
    await sock.send({"type": "read", "conversation_id": 42, "seq": 9,
                     "reader": {"type": "contact", "id": 17}})  # fmt: skip
    await until(lambda: bool(reads))
    assert not client.read(42, 8)
    assert client.typing(42, "stop")
    assert await sock.recv() == {"type": "typing", "conversation_id": 42, "state": "stop"}
    await client.close()


async def test_unknown_frames_pass_through_and_unreadable_ones_are_reported(
    fake: FakeServer,
) -> None:
    client = HuiliuClient(fake.url(), "t")
    newer: list[Frame] = []
    every: list[Frame] = []
    errors: list[HuiliuError] = []
    client.on("campaign.started", newer.append)
    client.on("frame", every.append)
    client.on("error", errors.append)
    stream = client.events()
    sock = await connected(client, fake)
    await sock.send({"type": "campaign.started", "campaign_id": 7})
    await sock.send("not json")
    await sock.send({"type": "message.new"})
    await sock.send({"type": "queue.position", "conversation_id": 42, "position": 2,
                     "estimated_wait_s": None})  # fmt: skip
    await until(lambda: len(every) == 5)  # hello, resumed, campaign, message.new, queue
    assert [f.type for f in every][2:] == ["campaign.started", "message.new", "queue.position"]
    assert newer == [Frame("campaign.started", {"type": "campaign.started", "campaign_id": 7})]
    assert [e.code for e in errors] == ["bad_frame", "bad_frame"]
    kinds = []
    async for event in stream:
        kinds.append(type(event).__name__)
        if kinds[-1] == "QueuePosition":
            break
    assert kinds == [
        "StateChange",  # connecting
        "StateChange",  # open
        "Hello",
        "Resumed",
        "Frame",
        "HuiliuError",
        "HuiliuError",
        "QueuePosition",
    ]
    await client.close()


async def test_pings_go_every_heartbeat_and_a_silent_server_is_dropped(
    fake: FakeServer,
) -> None:
    client = HuiliuClient(fake.url(), "t", backoff=(0.01, 0.05))
    states: list[StateChange] = []
    client.on("state", states.append)
    connecting = asyncio.create_task(client.connect())
    sock = await fake.accept()
    await sock.hello(heartbeat_s=0.1)
    await sock.recv()
    await sock.send({"type": "resumed", "cursors": {}})
    await connecting
    started = time.monotonic()
    second = await fake.accept()  # the first went silent: dropped after two heartbeats
    assert 0.15 <= time.monotonic() - started < 1.0
    dead = next(s for s in states if s.state is ConnectionState.RECONNECTING)
    assert (dead.code, dead.reason) == (CloseCode.DEAD, "no frame for two heartbeats")
    await second.handshake(heartbeat_s=0.1)
    # A server that answers pings keeps the socket, however quiet it is otherwise.
    pings, until_t = 0, time.monotonic() + 0.6
    while time.monotonic() < until_t:
        frame = json.loads(await asyncio.wait_for(second.ws.recv(), 1))
        assert frame == {"type": "ping"}
        pings += 1
        await second.send({"type": "pong"})
    assert 4 <= pings <= 8
    assert client.stats().connects == 2
    await client.close()


async def test_no_hello_in_time_is_a_dead_socket(fake: FakeServer) -> None:
    client = HuiliuClient(fake.url(), "t", connect_timeout_s=0.2, backoff=(0.01, 0.05))
    states: list[StateChange] = []
    client.on("state", states.append)
    connecting = asyncio.create_task(client.connect())
    await fake.accept()
    second = await fake.accept()
    dead = next(s for s in states if s.state is ConnectionState.RECONNECTING)
    assert (dead.code, dead.reason) == (CloseCode.DEAD, "no hello from the server in time")
    await second.handshake()
    await connecting
    await client.close()


async def test_4002_gets_a_new_token_at_once_and_backs_off_if_it_repeats(
    fake: FakeServer,
) -> None:
    tokens = iter(["old", "still-old", "new"])
    calls: list[str] = []

    async def token() -> str:
        calls.append(next(tokens))
        return calls[-1]

    client = HuiliuClient(fake.url(), token, backoff=(0.3, 0.6))
    states: list[StateChange] = []
    client.on("state", states.append)
    connecting = asyncio.create_task(client.connect())
    for _ in range(2):
        sock = await fake.accept()
        await sock.close(4002, "token expired")
    sock = await fake.accept()
    assert sock.path.endswith("token=new")
    await sock.handshake()
    await connecting
    delays = [s.delay_s for s in states if s.state is ConnectionState.RECONNECTING]
    assert delays[0] == 0
    assert delays[1] is not None
    assert delays[1] >= 0.15
    assert calls == ["old", "still-old", "new"]
    await client.close()


async def test_a_failing_token_function_is_reported_and_retried(fake: FakeServer) -> None:
    attempts = 0

    async def token() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("auth service down")
        return "ok"

    client = HuiliuClient(fake.url(), token, backoff=(0.01, 0.05))
    errors: list[HuiliuError] = []
    client.on("error", errors.append)
    sock = await connected(client, fake)
    assert sock.path.endswith("token=ok")
    assert [e.code for e in errors] == ["token_failed"]
    await client.close()


async def test_async_handlers_get_events_in_order_without_holding_up_the_socket(
    fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = HuiliuClient(fake.url(), "t")
    slow: list[int] = []
    quick: list[int] = []

    async def slow_handler(m: Message) -> None:
        await asyncio.sleep(0.02)
        slow.append(m.seq)
        if m.seq == 2:
            raise ValueError("a bug in the app")

    def broken(m: Message) -> None:
        raise RuntimeError("another bug")

    client.on("message", slow_handler)
    client.on("message", broken)
    client.on("message", lambda m: quick.append(m.seq))
    sock = await connected(client, fake)
    for seq in range(1, 6):
        await sock.send(message(42, seq))
    await until(lambda: len(quick) == 5)
    assert len(slow) < 5  # the slow handler is behind; the socket is not
    await client.close()  # waits for what the async handler was given
    assert slow == quick == [1, 2, 3, 4, 5]
    assert "a bug in the app" in caplog.text
    assert "another bug" in caplog.text


async def test_cancelling_connect_closes_the_client(fake: FakeServer) -> None:
    client = HuiliuClient(fake.url(), "t")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.connect()
    assert client.state is ConnectionState.CLOSED
    with pytest.raises(HuiliuError):
        await client.connect()
    await client.close()


async def test_close_fails_waiting_sends_and_ends_event_streams(fake: FakeServer) -> None:
    client = HuiliuClient(fake.url(), "t")
    stream = client.events("message")
    sock = await connected(client, fake)
    waiting = asyncio.create_task(client.send("没回音", conversation_id=42))
    await sock.recv()
    await client.close()
    with pytest.raises(HuiliuError) as closed:
        await waiting
    assert closed.value.code == "closed"
    assert [event async for event in stream] == []  # ends, no error: a deliberate close
    with pytest.raises(ConnectionClosed):
        await sock.recv()
    assert sock.ws.close_code == CloseCode.NORMAL


async def test_discard_stops_resending_and_fails_the_send(fake: FakeServer) -> None:
    client = HuiliuClient(fake.url(), "t")
    waiting = asyncio.create_task(client.send("算了", conversation_id=42, client_msg_id="d-1"))
    await until(lambda: len(client.pending()) == 1)
    assert client.discard("d-1")
    assert not client.discard("d-1")
    with pytest.raises(HuiliuError) as discarded:
        await waiting
    assert (discarded.value.code, discarded.value.client_msg_id) == ("discarded", "d-1")
    await client.close()


def test_the_url_must_be_a_websocket_url() -> None:
    with pytest.raises(ValueError, match="ws://"):
        HuiliuClient("https://support.example.com/ws/visitor", "t")


def test_message_text_is_there_for_text_messages_only() -> None:
    text = Message(1, 2, 3, Sender("agent", 3), None, {"type": "text", "text": "hi"}, "")
    image = Message(1, 2, 3, Sender("agent", 3), None, {"type": "image", "url": "u"}, "")
    assert (text.text, image.text) == ("hi", None)
