from __future__ import annotations

import logging
from collections.abc import Sequence

from huiliu.bus import Handler
from huiliu.bus.events import Event

log = logging.getLogger(__name__)


class MemoryBus:
    """One process: publishing calls the subscribers directly."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            for handler in self._handlers:
                try:
                    handler(event)
                except Exception:
                    log.exception("bus handler failed on %s", event.type)

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)
