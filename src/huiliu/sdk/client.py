"""``HuiliuClient``: one principal's connection to Huiliu's real-time protocol.

It mirrors the TypeScript SDK (frontend/packages/sdk/src/client.ts): the same states, the
same resume, outbox and sequencing rules; docs/sdk.md puts the two side by side.

One task (``_run``) owns the connection: it gets a token, opens a socket (link.py: ordered
writes, the pinger, reads with deadlines), reads frames until the socket ends, then decides
between stopping (``close()``, 4001, 4003, 4002 with a fixed token) and reconnecting after a
jittered backoff. A socket silent for two heartbeats is dropped. Frame handling is
synchronous, so the state it touches changes only between two frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar, overload
from urllib.parse import urlsplit

from huiliu.sdk.backoff import Backoff
from huiliu.sdk.emitter import Emitter, EventStream, Unsubscribe
from huiliu.sdk.errors import CloseCode, HuiliuError
from huiliu.sdk.events import (
    Ack,
    ConversationUpdated,
    Frame,
    Hello,
    Message,
    NoteNew,
    QueuePosition,
    QueueStats,
    Read,
    Resumed,
    Sender,
    StateChange,
    Suggestions,
    Typing,
    parse_frame,
)
from huiliu.sdk.link import Link, LinkClosed
from huiliu.sdk.outbox import Outbox, PendingMessage
from huiliu.sdk.sending import Sending, retrieve
from huiliu.sdk.sequencer import Sequencer
from huiliu.sdk.state import ClientStats, ConnectionState, check_transition

log = logging.getLogger("huiliu.sdk")

TokenSource = str | Callable[[], Awaitable[str]]
T = TypeVar("T")
On = Callable[[T], object]  # a handler: a function, or an async function
Cursors = Mapping[int, int] | Mapping[str, int]

RESUME_CHUNK = 500  # conversations per resume frame (the server's limit)


@dataclass(frozen=True, slots=True)
class _ResumeRequest:
    ids: tuple[int, ...]
    initial: bool  # part of the resume right after hello


class HuiliuClient:
    """A visitor's or an account's connection, kept alive until :meth:`close`.

    ``url`` is ``ws(s)://host/ws/visitor`` or ``ws(s)://host/ws/agent``. ``token`` is a token,
    or an async function giving one: it is called for the first connect and again after the
    server says the token expired (4002); a fixed token that expires stops the client.
    ``cursors`` (conversation id → last seq held) is where to resume from. ``heartbeat_s``
    overrides the ping interval of ``hello`` (keep it at or under the server's). ``backoff``
    and ``busy_backoff`` are (min, max) seconds for reconnects and for resends after
    ``busy``/``store_failed``. With ``outbox_path`` unacknowledged messages survive a
    restart of this process (one file per principal and process).
    """

    def __init__(
        self,
        url: str,
        token: TokenSource,
        *,
        cursors: Cursors | None = None,
        heartbeat_s: float | None = None,
        backoff: tuple[float, float] = (0.25, 30.0),
        outbox_path: str | None = None,
        busy_backoff: tuple[float, float] = (0.5, 10.0),
        connect_timeout_s: float = 15.0,
    ) -> None:
        if urlsplit(url).scheme not in ("ws", "wss"):
            raise ValueError(f"url must be ws:// or wss://…/ws/visitor or /ws/agent, not {url!r}")
        self._url = url
        self._token_source = token
        self._token: str | None = token if isinstance(token, str) else None
        self._heartbeat_s = heartbeat_s
        self._connect_timeout_s = connect_timeout_s
        self._backoff = Backoff(*backoff)
        self._sequencer: Sequencer[Message] = Sequencer(_cursor_items(cursors))
        self._emitter = Emitter()
        self._stats = ClientStats()
        self._state = ConnectionState.IDLE
        self._early_errors: list[HuiliuError] = []
        outbox = Outbox(outbox_path, on_error=self._storage_failed)
        self._restored = outbox.load()
        self._sending = Sending(outbox, Backoff(*busy_backoff), self._emitter.emit, self._stats)
        self._error: HuiliuError | None = None
        self._hello: Hello | None = None
        self._runner: asyncio.Task[None] | None = None
        self._ready_future: asyncio.Future[None] | None = None
        self._closed = asyncio.Event()
        self._expired_in_a_row = 0
        self._read_cursors: dict[int, int] = {}
        self._unsent_reads: set[int] = set()
        self._resync_first: set[int] = set()
        # Per socket (reset by _detach):
        self._link: Link | None = None
        self._ready = False
        self._interval: float | None = None  # the heartbeat, once hello came
        self._drop: tuple[int, str] | None = None
        self._resumes: deque[_ResumeRequest] = deque()
        self._resuming: set[int] = set()
        self._initial_left = 0

    # -- public API ------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def ready(self) -> bool:
        """Open and resumed: sends, reads and typing go straight out."""
        return self._ready

    @property
    def hello(self) -> Hello | None:
        """The latest socket's ``hello`` (who the token names, the heartbeat), or None."""
        return self._hello

    @property
    def error(self) -> HuiliuError | None:
        """Why the client stopped on its own (4001, 4003 …); None otherwise."""
        return self._error

    async def connect(self) -> None:
        """Start (from ``IDLE``) and wait until the first socket is open and resumed.

        Raises :class:`HuiliuError` if the client stops first (``invalid_token``,
        ``wrong_endpoint``, ``closed`` …). An unreachable server is retried with backoff for as
        long as this waits: bound it with ``asyncio.timeout()``; if the wait is cancelled
        before the client was ever ready, the client is closed.
        """
        if self._state is ConnectionState.CLOSED:
            raise self._error or HuiliuError("closed", "the client was closed")
        if self._state is ConnectionState.IDLE:
            loop = asyncio.get_running_loop()
            self._ready_future = loop.create_future()
            self._ready_future.add_done_callback(retrieve)
            for error in self._early_errors:
                self._emitter.emit("error", error)
            for message in self._restored:
                self._emitter.emit("sending", message)
            self._move(ConnectionState.CONNECTING)
            self._runner = loop.create_task(self._run(), name="huiliu-sdk")
        future = self._ready_future
        assert future is not None  # set on leaving IDLE
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.done():
                self._stop(HuiliuError("closed", "connect() was cancelled"), 1000, "", False)
                if self._runner is not None:
                    self._runner.cancel()
            raise

    async def close(self) -> None:
        """Stop for good. Unacknowledged sends fail with ``closed`` but stay in the outbox
        file, if any, for the next client to resend. Waits for async handlers to finish."""
        if self._state is not ConnectionState.CLOSED:
            error = HuiliuError("closed", "the client was closed")
            self._stop(error, CloseCode.NORMAL, "client closed", report=False)
        runner = self._runner
        if runner is not None and runner is not asyncio.current_task():
            runner.cancel()
            await asyncio.wait([runner])
        self._sending.outbox.flush()
        await self._emitter.drain()

    async def wait_closed(self) -> None:
        """Return once the client is closed; raise the reason if it stopped on its own."""
        await self._closed.wait()
        if self._error is not None:
            raise self._error

    async def __aenter__(self) -> HuiliuClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def send(
        self,
        content: str | dict[str, Any],
        conversation_id: int | None = None,
        client_msg_id: str | None = None,
    ) -> Ack:
        """Send a message; return its ack once the server has stored it.

        ``content`` is a content object (docs/protocol.md §5) or a string (a text message).
        Until acked the message stays in the outbox and goes again, with the same
        ``client_msg_id``, after every reconnect. Sending an id already waiting waits for the
        same ack. Raises :class:`HuiliuError` for a refused message (``too_large``,
        ``forbidden`` …) or ``closed``. Cancelling the wait does not withdraw the message
        (:meth:`discard` does).
        """
        if self._state is ConnectionState.CLOSED:
            raise self._error or HuiliuError("closed", "the client was closed")
        if isinstance(content, str):
            content = {"type": "text", "text": content}
        future = self._sending.waiter(content, conversation_id, client_msg_id)
        return await asyncio.shield(future)

    def pending(self) -> list[PendingMessage]:
        """The unacknowledged messages, oldest first."""
        return self._sending.outbox.entries()

    def discard(self, client_msg_id: str) -> bool:
        """Give up on an unacknowledged message: no more resends; its ``send()`` raises
        ``discarded``. One already on the wire may still be stored."""
        return self._sending.discard(client_msg_id)

    def typing(self, conversation_id: int, state: Literal["start", "stop"] = "start") -> bool:
        """Tell the other participants you type (not queued: False while not ready)."""
        if not self._ready:
            return False
        self._write({"type": "typing", "conversation_id": conversation_id, "state": state})
        return True

    def read(self, conversation_id: int, seq: int) -> bool:
        """Move your read cursor forward (never back): now, or after the next resume.
        False if it would not move."""
        if seq <= self._read_cursors.get(conversation_id, 0):
            return False
        self._read_cursors[conversation_id] = seq
        if self._ready:
            self._write({"type": "read", "conversation_id": conversation_id, "seq": seq})
        else:
            self._unsent_reads.add(conversation_id)
        return True

    def cursors(self) -> dict[int, int]:
        """conversation id → the last seq delivered (contiguously); store it to resume later."""
        return self._sequencer.snapshot()

    def follow(self, conversation_id: int, seq: int = 0) -> None:
        """Track a conversation from ``seq`` (e.g. after loading its history over REST): it
        is resumed now if connected, and on every reconnect. A cursor never moves back."""
        before = self._sequencer.cursor(conversation_id)
        self._sequencer.follow(conversation_id, seq)
        if before is None and self._ready and conversation_id not in self._resuming:
            self._request_resume((conversation_id,), initial=False)

    def forget(self, conversation_id: int) -> None:
        """Stop tracking a conversation (no longer resumed on reconnect)."""
        self._sequencer.forget(conversation_id)
        self._read_cursors.pop(conversation_id, None)
        self._unsent_reads.discard(conversation_id)

    def stats(self) -> ClientStats:
        """A copy of the counters."""
        return dataclasses.replace(self._stats)

    @overload
    def on(self, event: Literal["message"], handler: On[Message]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["ack"], handler: On[Ack]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["sending"], handler: On[PendingMessage]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["state"], handler: On[StateChange]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["hello"], handler: On[Hello]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["resumed"], handler: On[Resumed]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["typing"], handler: On[Typing]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["read"], handler: On[Read]) -> Unsubscribe: ...
    @overload
    def on(
        self, event: Literal["conversation.updated"], handler: On[ConversationUpdated]
    ) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["queue.position"], handler: On[QueuePosition]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["queue.stats"], handler: On[QueueStats]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["suggestions"], handler: On[Suggestions]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["note.new"], handler: On[NoteNew]) -> Unsubscribe: ...
    @overload
    def on(self, event: Literal["error"], handler: On[HuiliuError]) -> Unsubscribe: ...
    @overload
    def on(self, event: str, handler: On[Frame]) -> Unsubscribe: ...

    def on(self, event: str, handler: Callable[[Any], object]) -> Unsubscribe:
        """Call ``handler`` for each ``event``; returns the unsubscribe.

        A plain function runs at once (keep it quick); an ``async`` one gets the events one
        at a time, in order, in a task of its own. ``"frame"`` gets every frame as received,
        and a frame type this SDK does not know comes under its own name, as a :class:`Frame`.
        """
        return self._emitter.on(event, handler)

    def events(self, *names: str) -> EventStream:
        """``async for event in client.events():`` every event from now on (only ``names``,
        if given), until :meth:`close`; after a fatal close it raises the reason."""
        return self._emitter.stream(frozenset(names) if names else None)

    # -- the connection --------------------------------------------------------------------

    def _move(self, to: ConnectionState, **detail: Any) -> None:
        previous = self._state
        check_transition(previous, to)
        self._state = to
        change = StateChange(state=to, previous=previous, **detail)
        if to is ConnectionState.RECONNECTING:
            log.info(
                "huiliu.sdk: reconnecting in %.2fs (%s %s)",
                change.delay_s,
                change.code,
                change.reason,
            )
        self._emitter.emit("state", change)

    async def _run(self) -> None:
        try:
            while True:
                code, reason = await self._attempt()
                if self._state is ConnectionState.CLOSED:
                    return
                fatal = self._fatal(code, reason)
                if fatal is not None:
                    log.warning("huiliu.sdk: stopped: %s", fatal)
                    self._stop(fatal, code, reason, report=True)
                    return
                if code == CloseCode.TOKEN_EXPIRED:
                    self._token = None  # the token function gives a new one
                    self._expired_in_a_row += 1
                # A token that just expired is replaced at once; anything else backs off.
                expired_now = code == CloseCode.TOKEN_EXPIRED and self._expired_in_a_row == 1
                delay = 0.0 if expired_now else self._backoff.next()
                self._move(ConnectionState.RECONNECTING, code=code, reason=reason, delay_s=delay)
                await asyncio.sleep(delay)
                self._move(ConnectionState.CONNECTING)
        except Exception as exc:  # a bug: stop with it rather than die unseen
            log.exception("huiliu.sdk: the connection task failed")
            if self._state is not ConnectionState.CLOSED:
                self._stop(HuiliuError("internal", repr(exc)), CloseCode.ABNORMAL, "", True)

    def _fatal(self, code: int, reason: str) -> HuiliuError | None:
        if code == CloseCode.INVALID_TOKEN:
            name = "invalid_token"
        elif code == CloseCode.WRONG_ENDPOINT:
            name = "wrong_endpoint"
        elif code == CloseCode.TOKEN_EXPIRED and isinstance(self._token_source, str):
            name = "token_expired"
        else:
            return None
        return HuiliuError(name, reason or f"closed with {code}", close_code=code)

    async def _attempt(self) -> tuple[int, str]:
        """One socket, from the token to its end: the close code and reason."""
        try:
            token = await self._get_token()
        except Exception as exc:
            self._emitter.emit("error", HuiliuError("token_failed", f"no token: {exc!r}"))
            return CloseCode.DEAD, "no token"
        try:
            link = await Link.open(self._url, token, timeout_s=self._connect_timeout_s)
        except LinkClosed as closed:
            return closed.code, closed.reason
        self._link = link
        code: int = CloseCode.ABNORMAL
        reason = "connection lost"
        try:
            code, reason = await self._read_loop(link)
            return code, reason
        finally:
            self._detach()
            if self._state is ConnectionState.CLOSED:
                code, reason = CloseCode.NORMAL, "client closed"
            await link.close(CloseCode.DEAD if code == CloseCode.DEAD else CloseCode.NORMAL, reason)

    async def _get_token(self) -> str:
        source = self._token_source
        if self._token is None and not isinstance(source, str):
            self._token = await source()
        return self._token if self._token is not None else str(source)

    async def _read_loop(self, link: Link) -> tuple[int, str]:
        loop = asyncio.get_running_loop()
        hello_by = loop.time() + self._connect_timeout_s
        while True:
            # Before hello: the connect timeout; after it: two heartbeats since the last frame.
            wait = hello_by - loop.time() if self._interval is None else 2 * self._interval
            try:
                raw = await link.read(wait)
            except TimeoutError:
                if self._interval is None:
                    return CloseCode.DEAD, "no hello from the server in time"
                return CloseCode.DEAD, "no frame for two heartbeats"
            except LinkClosed as closed:
                return closed.code, closed.reason
            self._receive(raw)
            if self._drop is not None:
                return self._drop

    def _detach(self) -> None:
        """Forget the socket and everything that was only true on it."""
        self._link = None
        self._ready = False
        self._interval = None
        self._drop = None
        self._resumes.clear()
        self._resuming.clear()
        self._initial_left = 0
        self._sequencer.drop_held()
        self._sending.detach()

    def _stop(self, error: HuiliuError, code: int, reason: str, report: bool) -> None:
        self._ready = False
        self._error = error if report else None
        self._move(
            ConnectionState.CLOSED, code=code, reason=reason, error=error if report else None
        )
        if report:
            self._emitter.emit("error", error)
        self._sending.fail_all(error)
        if self._ready_future is not None and not self._ready_future.done():
            self._ready_future.set_exception(error)
        self._emitter.end(error if report else None)
        self._closed.set()

    def _write(self, frame: dict[str, Any]) -> None:
        if self._link is not None:
            self._link.write(frame)

    # -- frames from the server ------------------------------------------------------------

    def _receive(self, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                raise ValueError("not an object with a type")
        except ValueError as exc:
            self._emitter.emit("error", HuiliuError("bad_frame", f"unreadable frame: {exc}"))
            return
        kind: str = frame["type"]
        try:
            parsed = parse_frame(frame)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            detail = f"malformed {kind!r} frame: {exc!r}"
            self._emitter.emit("error", HuiliuError("bad_frame", detail))
            parsed = None
        if isinstance(parsed, Hello):
            self._on_hello(parsed)
        elif kind == "resumed" and isinstance(parsed, dict):
            self._on_resumed(parsed)
        elif isinstance(parsed, Message):
            self._on_message(parsed)
        elif isinstance(parsed, Ack):
            self._sending.on_ack(parsed)
        elif isinstance(parsed, HuiliuError):
            if not self._sending.on_error(parsed):
                self._emitter.emit("error", parsed)
        elif parsed is not None:
            if isinstance(parsed, Read) and self._is_me(parsed.reader):
                seq = max(parsed.seq, self._read_cursors.get(parsed.conversation_id, 0))
                self._read_cursors[parsed.conversation_id] = seq
            self._emitter.emit(kind, parsed)
        self._emitter.emit("frame", Frame(type=kind, data=frame))

    def _on_hello(self, hello: Hello) -> None:
        if self._state is not ConnectionState.CONNECTING:
            return
        self._hello = hello
        self._backoff.reset()
        self._expired_in_a_row = 0
        self._stats.connects += 1
        if self._stats.connects > 1:
            self._stats.reconnects += 1
        self._move(ConnectionState.OPEN)
        self._emitter.emit("hello", hello)
        self._interval = max(0.05, self._heartbeat_s or hello.heartbeat_s)
        if self._link is not None:
            self._link.start_heartbeat(self._interval)
        # Every cursor held, 500 a frame. Conversations left with a gap go in the first frame:
        # the server may let live messages through before it reads a later one.
        ids = sorted(self._sequencer.ids(), key=lambda cid: cid not in self._resync_first)
        self._resync_first.clear()
        chunks = [tuple(ids[i : i + RESUME_CHUNK]) for i in range(0, len(ids), RESUME_CHUNK)]
        self._initial_left = len(chunks) or 1
        for chunk in chunks or [()]:
            self._request_resume(chunk, initial=True)

    def _request_resume(self, ids: tuple[int, ...], *, initial: bool) -> None:
        cursors = {str(cid): self._sequencer.cursor(cid) or 0 for cid in ids}
        self._resuming.update(ids)
        self._resumes.append(_ResumeRequest(ids, initial))
        self._write({"type": "resume", "cursors": cursors})

    def _on_resumed(self, cursors: dict[int, int]) -> None:
        if not self._resumes:
            return
        request = self._resumes.popleft()
        unfilled = False
        for cid in request.ids:
            self._resuming.discard(cid)
            server_seq = cursors.get(cid)
            if server_seq is None:
                self.forget(cid)  # not_found: the caller may not see it (any more)
                continue
            # The socket delivered up to server_seq; holding less means a gap this socket
            # will not fill (the server resumes after what it delivered, not the cursor).
            if (self._sequencer.cursor(cid) or 0) < server_seq:
                self._resync_first.add(cid)
                unfilled = True
        if unfilled:
            self._stats.resyncs += 1
            self._drop = (CloseCode.DEAD, "resync: a gap the socket cannot fill")
            return
        if request.initial:
            self._initial_left -= 1
            if self._initial_left == 0:
                self._became_ready()

    def _became_ready(self) -> None:
        self._ready = True
        self._emitter.emit("resumed", Resumed(self._sequencer.snapshot()))
        for cid in sorted(self._unsent_reads):
            self._write({"type": "read", "conversation_id": cid, "seq": self._read_cursors[cid]})
        self._unsent_reads.clear()
        if self._link is not None:
            self._sending.attach(self._link.write)
        if self._ready_future is not None and not self._ready_future.done():
            self._ready_future.set_result(None)

    def _on_message(self, message: Message) -> None:
        accepted = self._sequencer.accept(message)
        if accepted.kind == "duplicate":
            self._stats.duplicates += 1
        elif accepted.kind == "gap":
            self._stats.gaps += 1
            cid = message.conversation_id
            # Ask for what is missing, unless a resume of this conversation is under way.
            if cid not in self._resuming and self._state is ConnectionState.OPEN:
                self._request_resume((cid,), initial=False)
        else:
            for delivered in accepted.messages:
                self._emitter.emit("message", delivered)

    def _is_me(self, who: Sender) -> bool:
        me = self._hello.principal if self._hello is not None else None
        if me is None or who.id != me.id:
            return False
        return who.type == ("contact" if me.kind == "visitor" else "agent")

    def _storage_failed(self, exc: Exception) -> None:
        error = HuiliuError("storage_failed", f"outbox file: {exc}")
        if self._state is ConnectionState.IDLE:
            self._early_errors.append(error)  # nobody listens yet: told at connect()
        else:
            self._emitter.emit("error", error)


def _cursor_items(cursors: Cursors | None) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    for key, seq in (cursors or {}).items():
        with contextlib.suppress(TypeError, ValueError):
            items.append((int(key), int(seq)))
    return items
