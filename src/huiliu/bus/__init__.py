"""The bus: events between processes. In-process for the embedded deployment, Redis pub/sub
when scaled out. The bus may lose events (Redis pub/sub does across a reconnect); the database
is the truth and the gateway refills gaps from it by ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from huiliu.bus.events import Event

Handler = Callable[[Event], None]


class Bus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver events to every subscriber in every process (best effort)."""

    def subscribe(self, handler: Handler) -> None:
        """Call ``handler`` for every event; it must not block (enqueue and return)."""


def create_bus(redis_url: str, *, channel: str = "huiliu:events") -> Bus:
    if redis_url:
        from huiliu.bus.redis import RedisBus

        return RedisBus(redis_url, channel=channel)
    from huiliu.bus.memory import MemoryBus

    return MemoryBus()
