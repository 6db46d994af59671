"""Long-running inbound listeners: what a channel needs besides a webhook route — the
embedded SMTP server, an IMAP poller, a PBX's event socket.

A listener is started with the server's runtime (they store through its message writer)
and supervised: one that fails is logged and started again with back-off, so a bad mailbox
password or an unreachable PBX never takes the server down, and the server's stop cancels
them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)

BACKOFF_S = 1.0
BACKOFF_MAX_S = 60.0


@dataclass(frozen=True, slots=True)
class Listener:
    """``run`` serves until cancelled; ``enabled`` says whether this process runs it at all
    (the SMTP server only where a port is set)."""

    name: str
    run: Callable[[Runtime], Awaitable[None]]
    enabled: Callable[[Runtime], bool] = lambda runtime: True


_registry: list[Listener] = []


def register(listener: Listener) -> Listener:
    if any(existing.name == listener.name for existing in _registry):
        raise ValueError(f"listener {listener.name!r} is registered already")
    _registry.append(listener)
    return listener


def registered() -> list[Listener]:
    return list(_registry)


class Listeners:
    """The listeners of one runtime, each in a supervised task."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for listener in _registry:
            if listener.enabled(self._runtime):
                self._tasks.append(
                    asyncio.create_task(self._supervise(listener), name=f"listener:{listener.name}")
                )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _supervise(self, listener: Listener) -> None:
        loop = asyncio.get_running_loop()
        delay = BACKOFF_S
        while True:
            started = loop.time()
            try:
                await listener.run(self._runtime)
                log.warning("listener %s returned; starting it again", listener.name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("listener %s failed; again in %.0f s", listener.name, delay)
            if loop.time() - started > BACKOFF_MAX_S:
                delay = BACKOFF_S  # it ran well for a while: this is a new failure
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
