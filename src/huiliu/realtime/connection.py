"""One WebSocket: an ordered, bounded send queue drained by one task.

Everything the socket sends (acks, errors, live messages, resume backlogs) passes through
one queue and one sender task, so frames leave in a single order. For each conversation the
socket remembers the highest ``seq`` it has delivered: a live message at or below it is a
duplicate and dropped; one above ``seq + 1`` means the bus lost something, and the gap is
read from the database first. So a socket delivers each message once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.websockets import WebSocket

from huiliu import metrics
from huiliu.auth.principal import Principal
from huiliu.conversations import access
from huiliu.conversations.schemas import MessageOut
from huiliu.errors import AppError
from huiliu.realtime.frames import CLOSE_SLOW_CONSUMER, ErrorFrame, ResumedFrame

log = logging.getLogger(__name__)

# Reads messages with seq > after (oldest first, at most limit) for a conversation.
Loader = Callable[[int, int, int], Awaitable[Sequence[MessageOut]]]
# Tells whether the principal may see a conversation (for resume).
AccessCheck = Callable[[Principal, int], Awaitable[bool]]

RESUME_PAGE = 500
# A socket holds live messages back until its first frame (normally `resume`) or this long,
# so a resuming client gets its backlog before anything newer.
FIRST_FRAME_GRACE_S = 1.0


class State(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(slots=True, frozen=True)
class LiveMessage:
    message: MessageOut
    data: str  # the message.new frame, serialized once for every socket
    # The frame for the customer's sockets when theirs differs (an event with internal fields).
    customer_data: str | None = None

    @classmethod
    def of(cls, message: MessageOut) -> LiveMessage:
        shown = access.customer_view(message)
        customer = None if shown is message else message_new_frame(shown)
        return cls(message, message_new_frame(message), customer)


@dataclass(slots=True, frozen=True)
class Resume:
    cursors: dict[int, int]


class Connection:
    __slots__ = (
        "_access",
        "_gate",
        "_items",
        "_loader",
        "_priority",
        "_queue_size",
        "_sender",
        "_waiter",
        "delivered",
        "last_seen",
        "principal",
        "state",
        "websocket",
    )

    def __init__(
        self,
        websocket: WebSocket,
        principal: Principal,
        *,
        queue_size: int,
        loader: Loader,
        access: AccessCheck,
    ) -> None:
        self.websocket = websocket
        self.principal = principal
        self.state = State.OPEN
        self.delivered: dict[int, int] = {}
        self.last_seen = time.monotonic()
        # The send queue: a deque and the sender's one waiter rather than an asyncio.Queue,
        # whose bookkeeping (join counters, getter lists) cost more than the append itself
        # on the three or more frames every message puts here. None only wakes the sender.
        self._items: deque[str | LiveMessage | None] = deque()
        self._queue_size = queue_size
        self._waiter: asyncio.Future[None] | None = None
        self._priority: deque[Resume] = deque()
        self._gate = asyncio.Event()
        self._loader = loader
        self._access = access
        self._sender: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_loop())

    # -- producers (never block) ---------------------------------------------------------

    def push(self, item: str | LiveMessage) -> None:
        if self.state is not State.OPEN:
            return
        if len(self._items) >= self._queue_size:
            metrics.SLOW_CONSUMERS.inc()
            log.info("closing slow consumer %s", self.principal)
            self.close(CLOSE_SLOW_CONSUMER, "slow consumer: reconnect and resume")
            return
        self._items.append(item)
        self._wake_sender()

    def push_error(self, error: AppError, *, client_msg_id: str | None = None) -> None:
        metrics.FRAME_ERRORS.labels(error.code).inc()
        field = error.extra.get("field")
        frame = ErrorFrame(
            code=error.code,
            detail=error.detail,
            client_msg_id=client_msg_id,
            field=field if isinstance(field, str) else None,
        )
        self.push(frame.model_dump_json(exclude_none=True))

    def resume(self, cursors: dict[int, int]) -> None:
        self._priority.append(Resume(cursors))
        self.open_gate()
        self.push_wakeup()

    def push_wakeup(self) -> None:
        if not self._items:
            self._items.append(None)
            self._wake_sender()

    def _wake_sender(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def open_gate(self) -> None:
        self._gate.set()

    def close(self, code: int, reason: str) -> None:
        if self.state is not State.OPEN:
            return
        self.state = State.CLOSING
        asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # the peer may be gone already
            await self.websocket.close(code=code, reason=reason)
        self.stop()

    def stop(self) -> None:
        self.state = State.CLOSED
        if self._sender is not None and self._sender is not asyncio.current_task():
            self._sender.cancel()

    # -- the sender ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._gate.wait(), FIRST_FRAME_GRACE_S)
            items = self._items
            loop = asyncio.get_running_loop()
            while self.state is State.OPEN:
                if self._priority:
                    await self._do_resume(self._priority.popleft())
                    continue
                while not items:
                    self._waiter = loop.create_future()
                    await self._waiter
                item = items.popleft()
                if item is None:
                    continue
                if isinstance(item, str):
                    await self.websocket.send_text(item)
                else:
                    await self._deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The peer went away mid-send; the receive side notices and cleans up.
            log.debug("sender stopped", exc_info=True)
            self.state = State.CLOSED

    async def _deliver(self, live: LiveMessage) -> None:
        message = live.message
        cid = message.conversation_id
        last = self.delivered.get(cid)
        if last is not None:
            if message.seq <= last:
                return
            if message.seq > last + 1:
                await self._send_backlog(cid, last, upto=message.seq - 1)
                if message.seq <= self.delivered[cid]:
                    return
        shown = live.data
        if live.customer_data is not None and self.principal.is_visitor:
            shown = live.customer_data
        await self.websocket.send_text(shown)
        self.delivered[cid] = message.seq

    async def _send_backlog(self, cid: int, after: int, *, upto: int | None = None) -> None:
        """Send the stored messages of ``cid`` with seq > after (up to ``upto``)."""
        while True:
            page = await self._loader(cid, after, RESUME_PAGE)
            for message in page:
                if upto is not None and message.seq > upto:
                    return
                shown = access.customer_view(message) if self.principal.is_visitor else message
                await self.websocket.send_text(message_new_frame(shown))
                self.delivered[cid] = after = message.seq
            if len(page) < RESUME_PAGE:
                return

    async def _do_resume(self, resume: Resume) -> None:
        done: dict[str, int] = {}
        for cid, cursor in resume.cursors.items():
            if not await self._access(self.principal, cid):
                self.push_error(
                    AppError(f"conversation {cid} not found", code="not_found", field="cursors")
                )
                continue
            # On one socket a message goes out once: start after what it already delivered.
            after = max(cursor, self.delivered.get(cid, cursor))
            self.delivered[cid] = after
            await self._send_backlog(cid, after)
            done[str(cid)] = self.delivered[cid]
        await self.websocket.send_text(ResumedFrame(cursors=done).model_dump_json())


def message_new_frame(message: MessageOut) -> str:
    return '{"type":"message.new","message":' + message.model_dump_json() + "}"
