from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import orjson
import redis.asyncio as aioredis
from pydantic import ValidationError

from huiliu.bus import Handler
from huiliu.bus.events import Event, event_adapter

log = logging.getLogger(__name__)
CHANNEL = "huiliu:events"


class RedisBus:
    """Redis pub/sub: every process publishes to and listens on one channel.

    Each process also receives its own events through Redis, so there is one delivery path.
    """

    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        self._url = url
        self._channel = channel
        self._handlers: list[Handler] = []
        self._client: aioredis.Redis = aioredis.from_url(url)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        await self._client.ping()
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._client.aclose()

    async def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self._channel, orjson.dumps(event.model_dump(mode="json")))
            await pipe.execute()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    delay = 0.1
                    async for raw in pubsub.listen():
                        if raw.get("type") != "message":
                            continue
                        self._dispatch(raw["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                # Missed events are refilled from the database by seq; just reconnect.
                log.warning("redis bus connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _dispatch(self, data: bytes) -> None:
        try:
            event = event_adapter.validate_json(data)
        except ValidationError:
            log.error("dropping malformed bus event: %r", data[:200])
            return
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("bus handler failed on %s", event.type)
