"""A message's way from ``send()`` to its ack: the outbox, the futures waiting for acks,
what is on the current socket, and the pause after ``busy`` / ``store_failed``.

Stored before acknowledged, never twice: a message stays in the outbox until its ack and
goes again with the same ``client_msg_id`` on every new socket, in the order of sending,
so the server stores it at most once. After ``busy`` nothing newer goes out before it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from huiliu.sdk.backoff import Backoff
from huiliu.sdk.errors import HuiliuError
from huiliu.sdk.events import Ack
from huiliu.sdk.link import encode
from huiliu.sdk.outbox import Outbox, PendingMessage
from huiliu.sdk.state import ClientStats

MAX_FRAME_BYTES = 1024 * 1024  # the server closes the socket (1009) past this
OUTBOX_WRITE_DELAY_S = 0.1  # acks reach the outbox file at most this late
RETRY_CODES = frozenset({"busy", "store_failed"})

Write = Callable[[dict[str, Any]], None]
Emit = Callable[[str, Any], None]


class Sending:
    """The client's outgoing messages; ``emit`` tells the app (``sending``, ``ack``,
    ``error``), ``write`` puts a frame on the socket once :meth:`attach` gave one."""

    def __init__(self, outbox: Outbox, busy_backoff: Backoff, emit: Emit, stats: ClientStats):
        self.outbox = outbox
        self._backoff = busy_backoff
        self._emit = emit
        self._stats = stats
        self._write: Write | None = None  # set while a socket is open and resumed
        self._waiters: dict[str, asyncio.Future[Ack]] = {}
        self._inflight: set[str] = set()  # sent on this socket, not answered yet
        self._sent_before: set[str] = set()  # sent on some socket (a resend is counted)
        self._busy_timer: asyncio.TimerHandle | None = None
        self._outbox_timer: asyncio.TimerHandle | None = None

    # -- the app's side -----------------------------------------------------------------

    def waiter(
        self, content: dict[str, Any], conversation_id: int | None, client_msg_id: str | None
    ) -> asyncio.Future[Ack]:
        """Queue a message (or find the one with this id) and return the future of its ack."""
        cmid = str(uuid.uuid4()) if client_msg_id is None else client_msg_id
        future = self._waiters.get(cmid)
        if future is not None:
            return future
        message = self.outbox.get(cmid) or PendingMessage(cmid, content, conversation_id)
        size = len(encode(send_frame(message)).encode())
        if size > MAX_FRAME_BYTES:
            raise HuiliuError(
                "too_large",
                f"frame is {size} bytes; the limit is {MAX_FRAME_BYTES}",
                field="content",
                client_msg_id=cmid,
            )
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(retrieve)
        self._waiters[cmid] = future
        if cmid not in self.outbox:  # else restored from the file, not yet acked
            self.outbox.add(message)
            self._emit("sending", message)
        self.flush()
        return future

    def discard(self, client_msg_id: str) -> bool:
        if self.outbox.remove(client_msg_id) is None:
            return False
        self._outbox_changed()
        self._inflight.discard(client_msg_id)
        error = HuiliuError("discarded", "discarded before it was acknowledged")
        error.client_msg_id = client_msg_id
        self._settle(client_msg_id, error)
        return True

    def fail_all(self, error: HuiliuError) -> None:
        """The client stopped: every waiting send fails (the outbox file keeps them)."""
        for timer in (self._busy_timer, self._outbox_timer):
            if timer is not None:
                timer.cancel()
        self._busy_timer = self._outbox_timer = None
        self._write = None
        for cmid in list(self._waiters):
            self._settle(cmid, error)
        self.outbox.flush()

    # -- the socket's side --------------------------------------------------------------

    def attach(self, write: Write) -> None:
        """A socket is open and resumed: send everything queued, in order."""
        self._write = write
        self.flush()

    def detach(self) -> None:
        """The socket is gone: whatever was on it goes again on the next one."""
        self._write = None
        self._inflight.clear()
        if self._busy_timer is not None:
            self._busy_timer.cancel()
            self._busy_timer = None

    def flush(self) -> None:
        """Send every queued message not yet on this socket, in order (unless paused)."""
        write = self._write
        if write is None or self._busy_timer is not None:
            return
        for message in self.outbox.entries():
            cmid = message.client_msg_id
            if cmid in self._inflight:
                continue
            self._inflight.add(cmid)
            if cmid in self._sent_before:
                self._stats.resends += 1
            else:
                self._sent_before.add(cmid)
            write(send_frame(message))

    def on_ack(self, ack: Ack) -> None:
        cmid = ack.client_msg_id
        if cmid is None or self.outbox.remove(cmid) is None:
            return  # not ours, or answered already
        self._outbox_changed()
        self._inflight.discard(cmid)
        self._backoff.reset()
        self._emit("ack", ack)
        self._settle(cmid, ack)

    def on_error(self, error: HuiliuError) -> bool:
        """An error frame; True if it answered one of ours (and was dealt with)."""
        cmid = error.client_msg_id
        if cmid is None or cmid not in self.outbox:
            return False
        self._inflight.discard(cmid)
        if error.code in RETRY_CODES:
            # Not stored: the same id again after a pause, and nothing newer before it.
            self._stats.busy_retries += 1
            self._pause()
            return True
        self.outbox.remove(cmid)
        self._outbox_changed()
        self._emit("error", error)
        self._settle(cmid, error)
        return True

    # -- inside -------------------------------------------------------------------------

    def _pause(self) -> None:
        if self._busy_timer is not None:
            return

        def go_on() -> None:
            self._busy_timer = None
            self.flush()

        delay = self._backoff.next()
        self._busy_timer = asyncio.get_running_loop().call_later(delay, go_on)

    def _settle(self, cmid: str, outcome: Ack | HuiliuError) -> None:
        self._sent_before.discard(cmid)
        future = self._waiters.pop(cmid, None)
        if future is None or future.done():
            return
        if isinstance(outcome, HuiliuError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    def _outbox_changed(self) -> None:
        if not self.outbox.dirty or self._outbox_timer is not None:
            return

        def write_file() -> None:
            self._outbox_timer = None
            self.outbox.flush()

        loop = asyncio.get_running_loop()
        self._outbox_timer = loop.call_later(OUTBOX_WRITE_DELAY_S, write_file)


def send_frame(message: PendingMessage) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "message.send", "client_msg_id": message.client_msg_id}
    if message.conversation_id is not None:
        frame["conversation_id"] = message.conversation_id
    frame["content"] = message.content
    return frame


def retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a future's exception as seen (nobody may be waiting on it any more)."""
    if not future.cancelled():
        future.exception()
