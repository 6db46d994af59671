"""Time-based routing rules, enforced by the router's sweep:

- an assigned conversation its agent has not answered within ``reply_timeout_s`` goes back
  to the queue for another agent;
- a conversation nobody has written in for ``idle_close_s`` is closed (and its customer
  asked for a rating, as the tenant's satisfaction settings say);
- a customer waiting longer than ``max_queue_wait_s`` is offered to leave a message (once).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from huiliu.bus.events import Event
from huiliu.contacts import rules as contact_rules
from huiliu.conversations.actions import append_event, changed_events
from huiliu.conversations.models import ConversationStatus
from huiliu.db import Database
from huiliu.routing.actions import return_to_queue
from huiliu.routing.passes import conversations, lock_tenant
from huiliu.routing.settings import RoutingSettings
from huiliu.satisfaction import service as satisfaction_service
from huiliu.satisfaction import triggers as satisfaction_triggers

BATCH = 200  # conversations handled per rule per sweep

LEAVE_MESSAGE_MENU: dict[str, Any] = {
    "type": "menu",
    "text": "现在咨询的人比较多，让您久等了。您可以继续等待，或者留言，我们会尽快回复您。",
    "buttons": [
        {"id": "keep_waiting", "label": "继续等待"},
        {"id": "leave_message", "label": "留言"},
    ],
}


async def enforce(
    db: Database, tenant_id: int, settings: RoutingSettings, *, now: datetime
) -> tuple[list[Event], bool]:
    """Apply the tenant's timeouts; return the events to publish and whether work went
    back to the queue (the caller then runs a routing pass)."""
    events: list[Event] = []
    requeued = False
    async with db.write_connection() as conn:
        await lock_tenant(conn, tenant_id)
        open_here = and_(
            conversations.c.tenant_id == tenant_id,
            conversations.c.status == ConversationStatus.open.value,
        )
        if settings.reply_timeout_s is not None:
            cutoff = now - timedelta(seconds=settings.reply_timeout_s)
            rows = await conn.execute(
                select(conversations)
                .where(
                    open_here,
                    conversations.c.assignee_id.is_not(None),
                    conversations.c.assigned_at < cutoff,
                    or_(
                        conversations.c.last_agent_message_at.is_(None),
                        conversations.c.last_agent_message_at < conversations.c.assigned_at,
                    ),
                )
                .order_by(conversations.c.id)
                .limit(BATCH)
                .with_for_update()
            )
            for conv in rows.all():
                events += await return_to_queue(
                    conn,
                    conv,
                    reason=f"no reply within {settings.reply_timeout_s} s",
                    now=now,
                    exclude_agent=True,
                )
                requeued = True
        if settings.idle_close_s is not None:
            cutoff = now - timedelta(seconds=settings.idle_close_s)
            rows = await conn.execute(
                select(conversations)
                .where(open_here, conversations.c.last_message_at < cutoff)
                .order_by(conversations.c.id)
                .limit(BATCH)
                .with_for_update()
            )
            idle = rows.all()
            surveys = (
                await satisfaction_service.get_settings(conn, tenant_id=tenant_id) if idle else None
            )
            for conv in idle:
                row, message_id = await append_event(
                    conn,
                    conv,
                    {
                        "type": "event",
                        "event": "closed",
                        "reason": f"idle for {settings.idle_close_s // 60} min",
                    },
                    now,
                )
                await conn.execute(
                    update(conversations)
                    .where(conversations.c.id == conv.id)
                    .values(
                        status=ConversationStatus.closed.value,
                        closed_at=now,
                        queued_at=None,
                        last_seq=conv.last_seq + 1,
                        last_message_at=now,
                    )
                )
                await contact_rules.evaluate(
                    conn,
                    tenant_id=tenant_id,
                    contact_id=conv.contact_id,
                    facts={"conversations"},
                    now=now,
                )
                asked = await satisfaction_triggers.on_closed(
                    conn,
                    tenant_id=tenant_id,
                    conversation_id=conv.id,
                    trigger="timeout_close",
                    now=now,
                    settings=surveys,
                )
                closed = (await changed_events(conn, conv.id, row, message_id))[1]
                events += [closed[0], *asked, *closed[1:]]
                requeued = requeued or conv.assignee_id is not None  # capacity freed
        if settings.max_queue_wait_s is not None:
            cutoff = now - timedelta(seconds=settings.max_queue_wait_s)
            rows = await conn.execute(
                select(conversations)
                .where(
                    open_here,
                    conversations.c.assignee_id.is_(None),
                    conversations.c.queued_at < cutoff,
                    conversations.c.wait_notice_at.is_(None),
                )
                .order_by(conversations.c.id)
                .limit(BATCH)
                .with_for_update()
            )
            for conv in rows.all():
                row, message_id = await append_event(conn, conv, LEAVE_MESSAGE_MENU, now)
                await conn.execute(
                    update(conversations)
                    .where(conversations.c.id == conv.id)
                    .values(wait_notice_at=now, last_seq=conv.last_seq + 1, last_message_at=now)
                )
                events += (await changed_events(conn, conv.id, row, message_id))[1][:1]
    return events, requeued
