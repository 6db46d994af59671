"""Presence: is an agent connected anywhere? When all of an agent's sockets, on every node,
have been gone for the tenant's grace period, ``on_gone`` runs (the router sets them offline
and applies the tenant's offline policy).

Visitors too: whether a customer holds a socket on any node decides whether an agent's or
the bot's message for them sets off the merchant's push webhook (``visitors_online``). No
grace period there: a customer without a socket right now is notified.

In-process for the embedded deployment; across nodes through Redis, where each node keeps
``{prefix}:presence:{account}`` (and ``{prefix}:presence:contact:{contact}``) — a sorted set
of node ids scored by expiry — fresh for the people it holds sockets for, so a node that
dies stops counting within a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

# Called with (tenant id, account id) once an agent has been gone for the grace period.
OnGone = Callable[[int, int], Awaitable[None]]
# The grace period of a tenant, in seconds.
GraceOf = Callable[[int], Awaitable[float]]

REFRESH_S = 10.0
# A visitor check asks Redis inside the message writer's transaction: it must not hang it.
VISITOR_CHECK_TIMEOUT_S = 0.5


class Presence(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def connected(self, tenant_id: int, account_id: int) -> None: ...
    def disconnected(self, tenant_id: int, account_id: int) -> None: ...
    async def anywhere(self, account_id: int) -> bool: ...
    def visitor_connected(self, contact_id: int) -> None: ...
    def visitor_disconnected(self, contact_id: int) -> None: ...
    async def visitors_online(self, contact_ids: Collection[int]) -> set[int]: ...


class MemoryPresence:
    def __init__(self, on_gone: OnGone, grace_of: GraceOf) -> None:
        self._local: dict[int, int] = {}
        self._visitors: dict[int, int] = {}  # contact id → sockets on this node
        self._on_gone = on_gone
        self._grace_of = grace_of
        self._checks: set[asyncio.Task[None]] = set()
        self._stopped = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        # Sockets closing during shutdown are not agents leaving.
        self._stopped = True
        for task in list(self._checks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def connected(self, tenant_id: int, account_id: int) -> None:
        if self._stopped:
            return
        self._local[account_id] = self._local.get(account_id, 0) + 1
        self._announce(account_id)

    def disconnected(self, tenant_id: int, account_id: int) -> None:
        if self._stopped:
            return
        left = self._local.get(account_id, 0) - 1
        if left > 0:
            self._local[account_id] = left
            return
        self._local.pop(account_id, None)
        self._withdraw(account_id)
        task = asyncio.get_running_loop().create_task(self._check(tenant_id, account_id))
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    def here(self, account_id: int) -> bool:
        return account_id in self._local

    async def anywhere(self, account_id: int) -> bool:
        return self.here(account_id)

    def _announce(self, account_id: int) -> None:
        """Tell other nodes (none here)."""

    def _withdraw(self, account_id: int) -> None:
        """Tell other nodes this one holds no socket of the account (none here)."""

    def visitor_connected(self, contact_id: int) -> None:
        if self._stopped:
            return
        count = self._visitors.get(contact_id, 0)
        self._visitors[contact_id] = count + 1
        if count == 0:
            self._announce_visitor(contact_id)

    def visitor_disconnected(self, contact_id: int) -> None:
        if self._stopped:
            return
        left = self._visitors.get(contact_id, 0) - 1
        if left > 0:
            self._visitors[contact_id] = left
            return
        self._visitors.pop(contact_id, None)
        self._withdraw_visitor(contact_id)

    async def visitors_online(self, contact_ids: Collection[int]) -> set[int]:
        return {c for c in contact_ids if c in self._visitors}

    def _announce_visitor(self, contact_id: int) -> None:
        """Tell other nodes (none here)."""

    def _withdraw_visitor(self, contact_id: int) -> None:
        """Tell other nodes (none here)."""

    async def _check(self, tenant_id: int, account_id: int) -> None:
        try:
            await asyncio.sleep(await self._grace_of(tenant_id))
            if not await self.anywhere(account_id):
                await self._on_gone(tenant_id, account_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("presence check for account %s failed", account_id)


class RedisPresence(MemoryPresence):
    def __init__(self, url: str, prefix: str, on_gone: OnGone, grace_of: GraceOf) -> None:
        super().__init__(on_gone, grace_of)
        self._client: aioredis.Redis = aioredis.from_url(url)
        self._prefix = prefix
        self._node = secrets.token_hex(6)
        self._refresher: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def _key(self, account_id: int) -> str:
        return f"{self._prefix}:presence:{account_id}"

    def _visitor_key(self, contact_id: int) -> str:
        return f"{self._prefix}:presence:contact:{contact_id}"

    async def start(self) -> None:
        self._refresher = asyncio.create_task(self._refresh(), name="presence-refresh")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await super().stop()
        for task in list(self._pending):
            with contextlib.suppress(Exception):
                await task
        keys = [self._key(a) for a in self._local]
        keys += [self._visitor_key(c) for c in self._visitors]
        for key in keys:
            with contextlib.suppress(Exception):
                await self._client.zrem(key, self._node)
        await self._client.aclose()

    def _spawn(self, coro: Awaitable[object]) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception:
                log.warning("presence update failed", exc_info=True)

        task = asyncio.get_running_loop().create_task(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _announce(self, account_id: int) -> None:
        expiry = time.time() + 3 * REFRESH_S
        self._spawn(self._client.zadd(self._key(account_id), {self._node: expiry}))

    def _withdraw(self, account_id: int) -> None:
        self._spawn(self._client.zrem(self._key(account_id), self._node))

    def _announce_visitor(self, contact_id: int) -> None:
        expiry = time.time() + 3 * REFRESH_S
        self._spawn(self._client.zadd(self._visitor_key(contact_id), {self._node: expiry}))

    def _withdraw_visitor(self, contact_id: int) -> None:
        self._spawn(self._client.zrem(self._visitor_key(contact_id), self._node))

    async def visitors_online(self, contact_ids: Collection[int]) -> set[int]:
        online = await super().visitors_online(contact_ids)
        elsewhere = [c for c in contact_ids if c not in online]
        if not elsewhere:
            return online
        now = time.time()
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for contact_id in elsewhere:
                    pipe.zcount(self._visitor_key(contact_id), now, "+inf")
                counts = await asyncio.wait_for(pipe.execute(), VISITOR_CHECK_TIMEOUT_S)
        except Exception:
            # Unknown counts as away: a notification too many beats a message unannounced.
            log.warning("visitor presence check failed", exc_info=True)
            return online
        return online | {c for c, n in zip(elsewhere, counts, strict=True) if n}

    async def anywhere(self, account_id: int) -> bool:
        if self.here(account_id):
            return True
        key = self._key(account_id)
        await self._client.zremrangebyscore(key, "-inf", time.time())
        return int(await self._client.zcard(key)) > 0

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            expiry = time.time() + 3 * REFRESH_S
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    keys = [self._key(a) for a in self._local]
                    keys += [self._visitor_key(c) for c in self._visitors]
                    for key in keys:
                        pipe.zadd(key, {self._node: expiry})
                        pipe.expire(key, int(4 * REFRESH_S))
                    await pipe.execute()
            except Exception:
                log.warning("presence refresh failed", exc_info=True)
