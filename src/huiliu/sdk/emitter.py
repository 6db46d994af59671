"""Handing events to the app: handlers (``on``) and async iterators (``events()``).

The client's reader never waits for the app: a plain function runs at once and must be
quick; an ``async`` one gets its own queue and task, so it sees its events one at a time,
in order, without holding up the socket (or its heartbeat). A handler that raises is logged
and disturbs neither the client nor the other handlers. An :class:`EventStream` has an
unbounded queue: iterate it, or close it (leaving it to the garbage collector works too).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import weakref
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any

from huiliu.sdk.errors import HuiliuError

log = logging.getLogger("huiliu.sdk")

Handler = Callable[[Any], object]
Unsubscribe = Callable[[], None]


class _Subscription:
    """One handler; an async one is fed through a queue by a task of its own."""

    def __init__(self, name: str, handler: Handler) -> None:
        self.name = name
        self.handler = handler
        self.is_async = inspect.iscoroutinefunction(handler)
        self._pending: deque[Any] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def deliver(self, payload: Any) -> None:
        if not self.is_async:
            try:
                result = self.handler(payload)
            except Exception:
                log.exception("huiliu.sdk: %r handler %r failed", self.name, self.handler)
                return
            if inspect.isawaitable(result):  # a lambda returning a coroutine, say
                self._queue(result)
            return
        self._queue(payload)

    def _queue(self, item: Any) -> None:
        if self._stopping:
            if inspect.iscoroutine(item):
                item.close()
            return
        self._pending.append(item)
        self._wakeup.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        while True:
            while self._pending:
                item = self._pending.popleft()
                try:
                    if self.is_async:
                        await self.handler(item)  # type: ignore[misc]
                    else:
                        await item
                except Exception:
                    log.exception("huiliu.sdk: %r handler %r failed", self.name, self.handler)
            if self._stopping:
                return
            self._wakeup.clear()
            await self._wakeup.wait()

    async def drain(self) -> None:
        """Let the handler finish what it was given; take no more."""
        self._stopping = True
        self._wakeup.set()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await task


class EventStream(AsyncIterator[Any]):
    """``async for event in client.events()``: every event from its creation on.

    It ends when the client is closed with ``close()``, and raises the client's
    :class:`HuiliuError` after the last event when the client stopped on its own (a fatal
    close such as 4001). ``names`` limits it to those events.
    """

    def __init__(self, names: frozenset[str] | None, on_close: Callable[[EventStream], None]):
        self._names = names
        self._queue: deque[Any] = deque()
        self._wakeup = asyncio.Event()
        self._ended = False
        self._error: HuiliuError | None = None
        self._on_close = on_close

    def wants(self, name: str) -> bool:
        if self._names is None:
            return name != "frame"  # every frame again, raw: only when asked for
        return name in self._names

    def put(self, payload: Any) -> None:
        if not self._ended:
            self._queue.append(payload)
            self._wakeup.set()

    def end(self, error: HuiliuError | None) -> None:
        if not self._ended:
            self._ended = True
            self._error = error
            self._wakeup.set()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Any:
        while not self._queue:
            if self._ended:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._queue.popleft()

    def close(self) -> None:
        """Stop receiving events (what was queued is dropped)."""
        self._queue.clear()
        self._error = None
        self.end(None)
        self._on_close(self)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Emitter:
    """Named events to handlers and streams."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[_Subscription]] = defaultdict(list)
        self._streams: weakref.WeakSet[EventStream] = weakref.WeakSet()
        self._closed = False
        self._error: HuiliuError | None = None

    def on(self, name: str, handler: Handler) -> Unsubscribe:
        subscription = _Subscription(name, handler)
        self._handlers[name].append(subscription)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._handlers[name].remove(subscription)

        return unsubscribe

    def stream(self, names: frozenset[str] | None) -> EventStream:
        stream = EventStream(names, self._streams.discard)
        if self._closed:
            stream.end(self._error)
        else:
            self._streams.add(stream)
        return stream

    def emit(self, name: str, payload: Any) -> None:
        for subscription in list(self._handlers.get(name, ())):
            subscription.deliver(payload)
        for stream in list(self._streams):
            if stream.wants(name):
                stream.put(payload)

    def end(self, error: HuiliuError | None) -> None:
        """No more events: streams end (raising ``error`` if set) once drained."""
        self._closed, self._error = True, error
        for stream in list(self._streams):
            stream.end(error)

    async def drain(self) -> None:
        """Wait for async handlers to finish what they were given."""
        subscriptions = [s for group in self._handlers.values() for s in group]
        await asyncio.gather(*(s.drain() for s in subscriptions))
