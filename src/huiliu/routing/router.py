"""The router of one process: runs routing passes when something frees capacity or adds
work, and tells waiting customers where they stand.

``kick(tenant_id)`` is cheap and never blocks: passes for a tenant coalesce, so a burst of
closes or arrivals costs one or two passes. Each process routes on its own kicks; the
tenant lock inside the pass keeps processes from deciding at once. A slow safety sweep
routes every tenant with waiting work now and then, in case a kick was lost with a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Iterable

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.bus import Bus
from huiliu.bus.events import AgentLoad, Event, GroupQueueStats, QueuePositionChanged, QueueStats
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.conversations.schemas import ConversationRef
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.routing import engine
from huiliu.routing.passes import PassResult, Scope, route_tenant
from huiliu.routing.settings import RoutingSettings
from huiliu.routing.timeouts import enforce
from huiliu.tenants.models import Tenant

log = logging.getLogger(__name__)
conversations: Table = Conversation.__table__  # type: ignore[assignment]
tenants: Table = Tenant.__table__  # type: ignore[assignment]

DEFAULT_HANDLE_S = 180.0  # until a group has closed conversations to learn from
SWEEP_S = 5.0


class Router:
    def __init__(self, db: Database, bus: Bus, *, sweep_s: float = SWEEP_S) -> None:
        self.sweep_s = sweep_s
        self._db = db
        self._bus = bus
        # Tenants to route, each with the part that changed (None: all of it).
        self._dirty: dict[int, Scope | None] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._positions: dict[int, tuple[int, int | None]] = {}
        self._stats: dict[tuple[int, int], object] = {}

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(), name="router"),
            asyncio.create_task(self._sweep(), name="router-sweep"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def kick(
        self, tenant_id: int, *, groups: Iterable[int] = (), agents: Iterable[int | None] = ()
    ) -> None:
        """Route the tenant soon. Name the groups that got work or the agents that got room
        to route just their queues; name nothing to route everything."""
        scope = Scope(frozenset(groups), frozenset(a for a in agents if a is not None))
        if tenant_id in self._dirty:
            known = self._dirty[tenant_id]
            self._dirty[tenant_id] = None if known is None or not scope else known | scope
        else:
            self._dirty[tenant_id] = scope if scope else None
        self._idle.clear()
        self._wake.set()

    async def settled(self) -> None:
        """Wait until every kicked pass has run (tests and benchmarks)."""
        await self._idle.wait()

    async def route_now(self, tenant_id: int, scope: Scope | None = None) -> PassResult:
        result = await route_tenant(self._db, tenant_id, scope)
        await self._publish(tenant_id, result)
        return result

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty:
                tenant_id = next(iter(self._dirty))
                scope = self._dirty.pop(tenant_id)
                try:
                    await self.route_now(tenant_id, scope)
                except Exception:
                    log.exception("routing pass for tenant %s failed; will retry", tenant_id)
                    await asyncio.sleep(0.5)
                    self.kick(tenant_id)
            if not self._dirty:
                self._idle.set()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_s)
            try:
                await self.sweep_once()
            except Exception:
                log.exception("routing sweep failed")

    async def sweep_once(self) -> None:
        """Enforce every tenant's timeouts, and route every tenant with waiting work."""
        async with self._db.read() as session:
            waiting = set(
                await session.scalars(
                    select(conversations.c.tenant_id)
                    .where(
                        conversations.c.status == ConversationStatus.open.value,
                        conversations.c.assignee_id.is_(None),
                        conversations.c.queued_at.is_not(None),
                    )
                    .distinct()
                )
            )
            configured = (await session.execute(select(tenants.c.id, tenants.c.routing))).all()
        for tenant_id, raw in configured:
            settings = RoutingSettings.model_validate(raw or {})
            if not settings.has_timeouts:
                continue
            events, requeued = await enforce(self._db, tenant_id, settings, now=utcnow())
            if events:
                await self._bus.publish(events)
            if requeued:
                waiting.add(tenant_id)
        for tenant_id in waiting:
            self.kick(tenant_id)

    async def _publish(self, tenant_id: int, result: PassResult) -> None:
        # Assignments first: customers and agents should not wait for the bookkeeping.
        if result.events:
            await self._bus.publish(result.events)
        events: list[Event] = await self._position_events(tenant_id, result)
        stats = queue_stats(tenant_id, result, now=time.time())
        # Waiting times grow every second; re-send a group only when something else changed.
        changed = []
        for group in stats.groups:
            fingerprint = (group.open_now, group.waiting, group.agents)
            if self._stats.get((tenant_id, group.group_id)) != fingerprint:
                self._stats[(tenant_id, group.group_id)] = fingerprint
                changed.append(group)
        if changed:
            events.append(QueueStats(tenant_id=tenant_id, groups=changed))
        if events:
            await self._bus.publish(events)

    async def _position_events(self, tenant_id: int, result: PassResult) -> list[Event]:
        for cid, _agent in result.assigned:
            self._positions.pop(cid, None)
        if not result.waiting:
            return []
        capacity: dict[int, int] = {}
        for agent in result.agents:
            if agent.online:
                for group_id in agent.groups:
                    capacity[group_id] = capacity.get(group_id, 0) + agent.capacity
        async with self._db.read() as session:
            handle = await _handling_times(await session.connection(), tenant_id)
        events: list[Event] = []
        agents = {a.id: a for a in result.agents}
        for cid, ((kind, key), position) in engine.positions(result.waiting).items():
            if kind == "agent":
                target = agents.get(key)
                slots = target.capacity if target is not None and target.online else 0
                mean = DEFAULT_HANDLE_S
            else:
                slots = capacity.get(key, 0)
                mean = handle.get(key, DEFAULT_HANDLE_S)
            estimate = math.ceil(position * mean / slots) if slots else None
            if self._positions.get(cid) == (position, estimate):
                continue
            self._positions[cid] = (position, estimate)
            events.append(
                QueuePositionChanged(
                    tenant_id=tenant_id,
                    conversation=ConversationRef(
                        id=cid,
                        contact_id=result.contacts[cid],
                        assignee_id=None,
                        group_id=key if kind == "group" else None,
                        status=ConversationStatus.open,
                    ),
                    position=position,
                    estimated_wait_s=estimate,
                )
            )
        return events


async def _handling_times(conn: AsyncConnection, tenant_id: int) -> dict[int, float]:
    """Per group, the mean handling time (assigned → closed) of its latest conversations.

    A customer at position p waits about p × handling time / the group's online slots: each
    close frees one slot, and slots free at (slots / handling time) a second."""
    rows = await conn.execute(
        select(conversations.c.group_id, conversations.c.assigned_at, conversations.c.closed_at)
        .where(
            conversations.c.tenant_id == tenant_id,
            conversations.c.status == ConversationStatus.closed.value,
            conversations.c.assigned_at.is_not(None),
            conversations.c.group_id.is_not(None),
        )
        .order_by(conversations.c.closed_at.desc())
        .limit(500)
    )
    spans: dict[int, list[float]] = {}
    for row in rows:
        spans.setdefault(row.group_id, []).append((row.closed_at - row.assigned_at).total_seconds())
    return {g: max(1.0, sum(v) / len(v)) for g, v in spans.items()}


def queue_stats(tenant_id: int, result: PassResult, *, now: float) -> QueueStats:
    waiting: dict[int, list[float]] = {}
    for item in result.waiting:
        if item.group_id is not None:
            waiting.setdefault(item.group_id, []).append(item.queued_at)
    members: dict[int, list[AgentLoad]] = {}
    for a in result.agents:
        for group_id in a.groups:
            members.setdefault(group_id, []).append(
                AgentLoad(id=a.id, status=a.status, load=a.load, capacity=a.capacity)
            )
    return QueueStats(
        tenant_id=tenant_id,
        groups=[
            GroupQueueStats(
                group_id=group.id,
                open_now=group.is_open,
                waiting=len(waiting.get(group.id, ())),
                longest_wait_s=round(now - min(waiting[group.id]), 3)
                if group.id in waiting
                else 0.0,
                agents=members.get(group.id, []),
            )
            for group in sorted(result.groups.values(), key=lambda g: g.id)
        ],
    )
