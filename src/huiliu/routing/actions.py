"""Moving conversations between agents and queues: claim, hand assignment, transfer, the
customer's queue choice, and putting work back when an agent leaves or lets it time out.
Each takes the same tenant lock as a routing pass (``passes.lock_tenant``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.accounts.models import AgentStatus
from huiliu.analytics import presence as report_presence
from huiliu.auth.principal import Principal
from huiliu.bus.events import ConversationUpdated, Event
from huiliu.conversations import access
from huiliu.conversations import service as conversations_service
from huiliu.conversations.actions import append_event, changed_events, lock, lock_for_system
from huiliu.conversations.models import ConversationStatus
from huiliu.conversations.schemas import ConversationRef
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, Forbidden, InvalidInput, NotFound
from huiliu.roles.permissions import Permission
from huiliu.routing import engine
from huiliu.routing.passes import (
    accounts,
    apply_assignments,
    conversations,
    groups_t,
    lock_tenant,
    snapshot,
)


async def _agent_with_room(
    conn: AsyncConnection, tenant_id: int, agent_id: int, *, field: str
) -> engine.AgentState:
    snap_agents = {a.id: a for a in (await snapshot(conn, tenant_id)).agents}
    agent = snap_agents.get(agent_id)
    if agent is None:
        raise NotFound("agent not found", field=field)
    if not agent.online:
        raise Conflict("the agent is not online", code="agent_not_online", field=field)
    if agent.load >= agent.capacity:
        raise Conflict(
            f"the agent already serves {agent.load} of {agent.capacity}",
            code="agent_at_capacity",
            field=field,
        )
    return agent


async def claim(db: Database, *, principal: Principal, conversation_id: int) -> list[Event]:
    """An online agent with room takes a waiting conversation (manual groups, the shared
    pool, or any queue the agent can see)."""
    if not principal.is_account:
        raise Forbidden("only agents claim conversations")
    async with db.write_connection() as conn:
        await lock_tenant(conn, principal.tenant_id)
        conv = await lock(conn, principal, conversation_id, open_only=True)
        if conv.assignee_id is not None:
            raise Conflict(
                "you already serve this conversation"
                if conv.assignee_id == principal.id
                else "another agent serves this conversation",
                code="already_assigned",
            )
        await _agent_with_room(conn, principal.tenant_id, principal.id, field="agent_id")
        return await apply_assignments(
            conn, principal.tenant_id, [(conversation_id, principal.id)], now=utcnow()
        )


async def assign(
    db: Database, *, principal: Principal, conversation_id: int, agent_id: int
) -> list[Event]:
    """A supervisor assigns a conversation by hand (to an online agent with room)."""
    async with db.write_connection() as conn:
        await lock_tenant(conn, principal.tenant_id)
        conv = await lock(conn, principal, conversation_id, open_only=True)
        if not principal.may(Permission.monitor, conv.group_id):
            raise Forbidden("the conversation's group is outside your role's scope")
        if conv.assignee_id == agent_id:
            raise Conflict("that agent already serves this conversation", code="already_assigned")
        await _agent_with_room(conn, principal.tenant_id, agent_id, field="agent_id")
        now = utcnow()
        if conv.assignee_id is not None:
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(assignee_id=None)
            )
        return await apply_assignments(
            conn, principal.tenant_id, [(conversation_id, agent_id)], now=now
        )


async def assign_by_system(
    db: Database, *, tenant_id: int, conversation_id: int, agent_id: int
) -> list[Event]:
    """A channel names who serves a conversation (the agent who answered the phone call):
    they are talking to the customer already, so no supervisor asks and their chat capacity
    does not apply. Nothing happens to a closed conversation or one they serve already."""
    async with db.write_connection() as conn:
        await lock_tenant(conn, tenant_id)
        conv = await lock_for_system(conn, tenant_id, conversation_id)
        if (
            conv is None
            or conv.status != ConversationStatus.open.value
            or conv.assignee_id == agent_id
        ):
            return []
        if conv.assignee_id is not None:
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(assignee_id=None)
            )
        return await apply_assignments(conn, tenant_id, [(conversation_id, agent_id)], now=utcnow())


async def transfer(
    db: Database,
    *,
    principal: Principal,
    conversation_id: int,
    agent_id: int | None,
    group_id: int | None,
    note: str | None,
) -> list[Event]:
    """Hand a conversation to another agent or group, with a note for whoever takes it.
    It leaves the current agent at once and waits in the target's queue until the target
    has room (the router assigns it the moment it does)."""
    if (agent_id is None) == (group_id is None):
        raise InvalidInput("transfer to an agent_id or a group_id (one of them)")
    if principal.is_visitor:
        raise Forbidden("only the serving agent or a supervisor transfers a conversation")
    now = utcnow()
    async with db.write_connection() as conn:
        await lock_tenant(conn, principal.tenant_id)
        conv = await lock(conn, principal, conversation_id, open_only=True)
        if not access.can_write(
            principal,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
        ):
            raise Forbidden("only the serving agent or a supervisor transfers a conversation")
        if agent_id is not None:
            target = await conn.scalar(
                select(accounts.c.id).where(
                    accounts.c.id == agent_id,
                    accounts.c.tenant_id == principal.tenant_id,
                    accounts.c.active.is_(True),
                )
            )
            if target is None:
                raise NotFound("agent not found", field="agent_id")
            if agent_id == conv.assignee_id:
                raise Conflict(
                    "that agent already serves this conversation", code="already_assigned"
                )
        if group_id is not None:
            found = await conn.scalar(
                select(groups_t.c.id).where(
                    groups_t.c.id == group_id, groups_t.c.tenant_id == principal.tenant_id
                )
            )
            if found is None:
                raise NotFound("group not found", field="group_id")
        content: dict[str, Any] = {
            "type": "event",
            "event": "transferred",
            "account_id": principal.id,
        }
        if agent_id is not None:
            content["to_account_id"] = agent_id
        if group_id is not None:
            content["to_group_id"] = group_id
        if note:
            content["note"] = note
        event_row, message_id = await append_event(conn, conv, content, now)
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conv.id)
            .values(
                assignee_id=None,
                group_id=group_id if group_id is not None else conv.group_id,
                target_agent_id=agent_id,
                excluded_agent_id=None,
                with_bot=False,
                queued_at=now,
                assigned_at=None,
                last_seq=conv.last_seq + 1,
                last_message_at=now,
            )
        )
        # Unassigned now: every agent (the previous one included) may see the event.
        _detail, events = await changed_events(conn, conv.id, event_row, message_id)
    return events


async def return_to_queue(
    conn: AsyncConnection, conv: Any, *, reason: str, now: Any, exclude_agent: bool = False
) -> list[Event]:
    """Take the locked conversation ``conv`` from its agent and put it back in its queue,
    logged as a system transfer with ``reason``; with ``exclude_agent``, someone else gets
    it. Returns the events to publish after commit."""
    content: dict[str, Any] = {"type": "event", "event": "transferred", "reason": reason}
    if conv.group_id is not None:
        content["to_group_id"] = conv.group_id
    row, message_id = await append_event(conn, conv, content, now)
    await conn.execute(
        update(conversations)
        .where(conversations.c.id == conv.id)
        .values(
            assignee_id=None,
            excluded_agent_id=conv.assignee_id if exclude_agent else None,
            target_agent_id=None,
            queued_at=now,
            assigned_at=None,
            last_seq=conv.last_seq + 1,
            last_message_at=now,
        )
    )
    return (await changed_events(conn, conv.id, row, message_id))[1]


async def agent_gone(
    db: Database, *, tenant_id: int, account_id: int, requeue: bool
) -> tuple[list[Event], bool]:
    """Every socket of the agent has been gone for the grace period: set them offline and,
    under the ``requeue`` policy, put their open conversations back in the queue. Returns the
    events to publish and whether anything went back to the queue."""
    now = utcnow()
    events: list[Event] = []
    async with db.write_connection() as conn:
        await lock_tenant(conn, tenant_id)
        status = await conn.scalar(
            select(accounts.c.status).where(
                accounts.c.id == account_id, accounts.c.tenant_id == tenant_id
            )
        )
        if status is None:
            return [], False
        if status != AgentStatus.offline.value:
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(status=AgentStatus.offline.value)
            )
            await report_presence.status_changed(
                conn,
                tenant_id=tenant_id,
                agent_id=account_id,
                status=AgentStatus.offline.value,
                at=now,
            )
        if not requeue:
            return [], False
        rows = await conn.execute(
            select(conversations)
            .where(
                conversations.c.tenant_id == tenant_id,
                conversations.c.status == ConversationStatus.open.value,
                conversations.c.assignee_id == account_id,
            )
            .order_by(conversations.c.id)
            .with_for_update()
        )
        for conv in rows.all():
            events += await return_to_queue(conn, conv, reason="the agent went offline", now=now)
    return events, bool(events)


async def enqueue(
    db: Database, *, principal: Principal, conversation_id: int, group_id: int
) -> list[Event]:
    """Put a waiting conversation in a group's queue: the customer's menu choice (or, later,
    the bot's handoff). It keeps its place in time; only conversations nobody serves yet
    move this way (a served one is transferred by its agent)."""
    async with db.write_connection() as conn:
        await lock_tenant(conn, principal.tenant_id)
        conv = await lock(conn, principal, conversation_id, open_only=True)
        if conv.assignee_id is not None:
            raise Conflict(
                "an agent already serves this conversation; they can transfer it",
                code="already_assigned",
            )
        found = await conn.scalar(
            select(groups_t.c.id).where(
                groups_t.c.id == group_id, groups_t.c.tenant_id == principal.tenant_id
            )
        )
        if found is None:
            raise NotFound("group not found", field="group_id")
        now = utcnow()
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conv.id)
            .values(
                group_id=group_id,
                queued_at=conv.queued_at or now,
                target_agent_id=None,
                excluded_agent_id=None,
                with_bot=False,
            )
        )
        fresh = (
            await conn.execute(
                conversations_service.detail_select().where(conversations.c.id == conv.id)
            )
        ).one()
    detail = conversations_service.detail_of(fresh)
    ref = ConversationRef(
        id=conv.id,
        contact_id=conv.contact_id,
        assignee_id=None,
        group_id=detail.group_id,
        status=detail.status,
    )
    return [ConversationUpdated(tenant_id=principal.tenant_id, conversation=ref, detail=detail)]
