"""What stored messages set off: webhook deliveries (and offline pushes) written to the
outbox in the transaction that stores the messages, for the endpoints that want them.

Every place that stores messages calls ``on_messages`` before it commits. A tenant's
subscriptions are cached per database engine for ``TTL_S``, so a merchant without
endpoints costs the message path one dict lookup; a change made on this process applies at
once (``forget``), one made on another node within ``TTL_S``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Engine, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.db import Database
from huiliu.outbox import service as outbox_service
from huiliu.outbox.service import NewJob
from huiliu.webhooks.models import WebhookEndpoint

endpoints = cast(Table, WebhookEndpoint.__table__)

KIND = "webhook"  # the outbox kind of a delivery
TTL_S = 5.0
OFFLINE = "contact.offline_message"
# The system's event messages that are conversation events too.
CONVERSATION_EVENTS = {
    "opened": "conversation.opened",
    "assigned": "conversation.assigned",
    "closed": "conversation.closed",
}
PUSHED_SENDERS = {"agent", "bot"}  # whose messages a customer is notified of

# Which of these contacts hold a socket on some node.
OnlineCheck = Callable[[Collection[int]], Awaitable[set[int]]]
# Event → the ids of the tenant's active endpoints that want it (empty: nobody listens).
Subscriptions = Mapping[str, tuple[int, ...]]

_cache: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, Subscriptions]]] = (
    weakref.WeakKeyDictionary()
)


async def subscriptions(conn: AsyncConnection, tenant_id: int) -> Subscriptions:
    per_engine = _cache.get(conn.sync_engine)
    if per_engine is None:
        per_engine = _cache.setdefault(conn.sync_engine, {})
    cached = per_engine.get(tenant_id)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    found: dict[str, list[int]] = {}
    for row in await conn.execute(
        select(endpoints.c.id, endpoints.c.events).where(
            endpoints.c.tenant_id == tenant_id, endpoints.c.active.is_(True)
        )
    ):
        for event in row.events or []:
            found.setdefault(event, []).append(row.id)
    subs = {event: tuple(ids) for event, ids in found.items()}
    per_engine[tenant_id] = (now + TTL_S, subs)
    return subs


def forget(db: Database, tenant_id: int) -> None:
    """The tenant's endpoints changed (call after the commit): read them afresh."""
    per_engine = _cache.get(db.writer.sync_engine)
    if per_engine is not None:
        per_engine.pop(tenant_id, None)


def delivery(tenant_id: int, endpoint_id: int, event: str, **ids: int) -> NewJob:
    """An outbox job delivering ``event`` to one endpoint; the payload holds ids only."""
    return NewJob(
        tenant_id=tenant_id,
        kind=KIND,
        payload={"endpoint_id": endpoint_id, "event": event, **ids},
        ref_id=endpoint_id,
    )


def _events_of(row: Mapping[str, Any]) -> list[str]:
    events = ["message.created"]
    content = row["content"]
    if row["sender_type"] == "system" and content.get("type") == "event":
        event = CONVERSATION_EVENTS.get(content.get("event", ""))
        if event is not None:
            events.append(event)
    return events


async def on_messages(
    conn: AsyncConnection,
    rows: Sequence[tuple[Mapping[str, Any], int]],
    *,
    contact_of: Callable[[int], int],
    online: OnlineCheck | None = None,
) -> None:
    """Enqueue the deliveries for messages just inserted in ``conn``'s transaction:
    ``rows`` are (the inserted row, its id); ``contact_of`` gives a conversation's
    customer; ``online`` tells which customers hold a socket (without it, no pushes)."""
    if not rows:
        return
    by_tenant: dict[int, Subscriptions] = {}
    for row, _ in rows:
        tenant_id = row["tenant_id"]
        if tenant_id not in by_tenant:
            by_tenant[tenant_id] = await subscriptions(conn, tenant_id)
    if not any(by_tenant.values()):
        return  # the common case: nobody listens
    jobs: list[NewJob] = []
    maybe_offline: list[tuple[Mapping[str, Any], int]] = []
    for row, message_id in rows:
        tenant_id = row["tenant_id"]
        subs = by_tenant[tenant_id]
        if not subs:
            continue
        ids = {"conversation_id": row["conversation_id"], "message_id": message_id}
        for event in _events_of(row):
            jobs += [delivery(tenant_id, e, event, **ids) for e in subs.get(event, ())]
        if row["sender_type"] in PUSHED_SENDERS and subs.get(OFFLINE):
            maybe_offline.append((row, message_id))
    if maybe_offline and online is not None:
        # Asked inside the transaction, so the push is stored with the message or not at
        # all; it is one lookup per batch (one Redis round trip when scaled out).
        present = await online({contact_of(row["conversation_id"]) for row, _ in maybe_offline})
        for row, message_id in maybe_offline:
            if contact_of(row["conversation_id"]) in present:
                continue
            tenant_id = row["tenant_id"]
            ids = {"conversation_id": row["conversation_id"], "message_id": message_id}
            jobs += [delivery(tenant_id, e, OFFLINE, **ids) for e in by_tenant[tenant_id][OFFLINE]]
    await outbox_service.enqueue_many(conn, jobs)
