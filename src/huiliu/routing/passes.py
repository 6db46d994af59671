"""Routing passes: snapshot the tenant's agents and queue under a lock, let the engine
decide, apply the decisions in the same transaction; the caller publishes after commit.

The lock: on PostgreSQL a transaction-scoped advisory lock per tenant, so two processes
never route one tenant at once (no conversation assigned twice, no agent over capacity);
on SQLite the writer's ``BEGIN IMMEDIATE`` already serializes every write.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.accounts.models import Account, AgentStatus
from huiliu.analytics import triggers as analytics_triggers
from huiliu.bus.events import ConversationUpdated, Event, MessageCreated
from huiliu.conversations import service as conversations_service
from huiliu.conversations.actions import append_event, changed_events
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.conversations.rows import message_out
from huiliu.conversations.schemas import ConversationRef
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.routing import engine
from huiliu.routing.hours import WorkingHours
from huiliu.routing.models import Group, GroupMember
from huiliu.tenants.models import Tenant
from huiliu.webhooks import triggers

accounts = cast(Table, Account.__table__)
conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
groups_t = cast(Table, Group.__table__)
members_t = cast(Table, GroupMember.__table__)
tenants_t = cast(Table, Tenant.__table__)

MAX_WAITING = 5000  # conversations considered per pass (the oldest, by priority)


@dataclass(frozen=True)
class Scope:
    """The part of a tenant a pass looks at: some groups, and the groups of some agents.

    When capacity frees for an agent, or work arrives in a group, only the queues of those
    groups can change hands: every other queue already had no agent with room for it (the
    router is work-conserving), so a scoped pass decides what a full pass would."""

    groups: frozenset[int] = frozenset()
    agents: frozenset[int] = frozenset()

    def __or__(self, other: Scope) -> Scope:
        return Scope(self.groups | other.groups, self.agents | other.agents)

    def __bool__(self) -> bool:
        return bool(self.groups or self.agents)


@dataclass
class Snapshot:
    agents: list[engine.AgentState]
    groups: dict[int, engine.GroupState]
    waiting: list[engine.Waiting]
    contacts: dict[int, int] = field(default_factory=dict)  # conversation → contact
    hours: dict[int, WorkingHours] = field(default_factory=dict)  # group → working hours


@dataclass
class PassResult:
    assigned: list[tuple[int, int]]
    events: list[Event]
    waiting: list[engine.Waiting]
    contacts: dict[int, int]
    agents: list[engine.AgentState]
    groups: dict[int, engine.GroupState]


async def lock_tenant(conn: AsyncConnection, tenant_id: int) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :tenant)"),
            {"space": 0x6875, "tenant": tenant_id},
        )


def _hours(raw: Any) -> WorkingHours | None:
    return WorkingHours.model_validate(raw) if raw else None


def _epoch(value: Any) -> float:
    return float(value.timestamp()) if value is not None else 0.0


async def snapshot(conn: AsyncConnection, tenant_id: int, scope: Scope | None = None) -> Snapshot:
    """The tenant's agents, groups and waiting work (only ``scope``'s part, if given)."""
    default_capacity = await conn.scalar(
        select(tenants_t.c.default_capacity).where(tenants_t.c.id == tenant_id)
    )
    memberships: dict[int, set[int]] = {}
    for row in await conn.execute(
        select(members_t.c.account_id, members_t.c.group_id).where(
            members_t.c.tenant_id == tenant_id
        )
    ):
        memberships.setdefault(row.account_id, set()).add(row.group_id)
    in_groups: set[int] | None = None
    in_agents: set[int] | None = None
    if scope is not None:
        in_groups = set(scope.groups)
        for agent_id in scope.agents:
            in_groups |= memberships.get(agent_id, set())
        in_agents = set(scope.agents) | {a for a, gs in memberships.items() if gs & in_groups}
    load_query = (
        select(conversations.c.assignee_id, func.count())
        .where(
            conversations.c.tenant_id == tenant_id,
            conversations.c.status == ConversationStatus.open.value,
            conversations.c.assignee_id.is_not(None),
        )
        .group_by(conversations.c.assignee_id)
    )
    if in_agents is not None:
        load_query = load_query.where(conversations.c.assignee_id.in_(in_agents))
    loads: dict[int, int] = dict((await conn.execute(load_query)).all())
    agents = [
        engine.AgentState(
            id=row.id,
            online=row.status == AgentStatus.online.value and row.active,
            capacity=row.capacity if row.capacity is not None else int(default_capacity or 20),
            load=int(loads.get(row.id, 0)),
            groups=frozenset(memberships.get(row.id, ())),
            last_assigned_at=_epoch(row.last_assigned_at),
            status=str(row.status),
        )
        for row in await conn.execute(
            select(
                accounts.c.id,
                accounts.c.status,
                accounts.c.active,
                accounts.c.capacity,
                accounts.c.last_assigned_at,
            ).where(
                accounts.c.tenant_id == tenant_id,
                accounts.c.id.in_(in_agents) if in_agents is not None else true(),
            )
        )
    ]
    groups: dict[int, engine.GroupState] = {}
    hours: dict[int, WorkingHours] = {}
    now = utcnow()
    for row in await conn.execute(
        select(groups_t).where(
            groups_t.c.tenant_id == tenant_id,
            groups_t.c.id.in_(in_groups) if in_groups is not None else true(),
        )
    ):
        group_hours = _hours(row.working_hours)
        if group_hours is not None:
            hours[row.id] = group_hours
        groups[row.id] = engine.GroupState(
            id=row.id,
            strategy=engine.Strategy(row.strategy),
            last_agent_days=row.last_agent_days,
            rr_last_agent_id=row.rr_last_agent_id,
            is_open=group_hours.is_open(now) if group_hours is not None else True,
        )
    # Waiting: in a group's queue, or in an agent's own (after a transfer to them).
    waiting_here = (
        or_(conversations.c.group_id.is_not(None), conversations.c.target_agent_id.is_not(None))
        if in_groups is None or in_agents is None
        else or_(
            and_(
                conversations.c.group_id.in_(in_groups), conversations.c.target_agent_id.is_(None)
            ),
            conversations.c.target_agent_id.in_(in_agents),
        )
    )
    rows = (
        await conn.execute(
            select(
                conversations.c.id,
                conversations.c.group_id,
                conversations.c.priority,
                conversations.c.queued_at,
                conversations.c.contact_id,
                conversations.c.target_agent_id,
                conversations.c.excluded_agent_id,
                conversations.c.wait_notice_at,
            )
            .where(
                conversations.c.tenant_id == tenant_id,
                conversations.c.status == ConversationStatus.open.value,
                conversations.c.assignee_id.is_(None),
                conversations.c.with_bot.is_(False),
                waiting_here,
            )
            .order_by(
                conversations.c.priority.desc(), conversations.c.queued_at, conversations.c.id
            )
            .limit(MAX_WAITING)
        )
    ).all()
    # The previous agent matters only to last-agent groups.
    last_agent_groups = {g.id for g in groups.values() if g.strategy is engine.Strategy.last_agent}
    previous = await _previous_agents(
        conn, tenant_id, [r.contact_id for r in rows if r.group_id in last_agent_groups]
    )
    waiting = []
    for r in rows:
        last_agent, last_at = previous.get(r.contact_id, (None, None))
        waiting.append(
            engine.Waiting(
                id=r.id,
                group_id=r.group_id,
                queued_at=_epoch(r.queued_at),
                priority=r.priority,
                last_agent_id=last_agent,
                last_served_at=last_at,
                target_agent_id=r.target_agent_id,
                excluded_agent_id=r.excluded_agent_id,
                noticed=r.wait_notice_at is not None,
            )
        )
    return Snapshot(
        agents=agents,
        groups=groups,
        waiting=waiting,
        contacts={r.id: r.contact_id for r in rows},
        hours=hours,
    )


async def _previous_agents(
    conn: AsyncConnection, tenant_id: int, contact_ids: Sequence[int]
) -> dict[int, tuple[int, float]]:
    """contact → (the agent of their latest served conversation, when it last moved)."""
    if not contact_ids:
        return {}
    latest: dict[int, tuple[int, float]] = {}
    rows = await conn.execute(
        select(
            conversations.c.contact_id, conversations.c.assignee_id, conversations.c.last_message_at
        )
        .where(
            conversations.c.tenant_id == tenant_id,
            conversations.c.contact_id.in_(set(contact_ids)),
            conversations.c.assignee_id.is_not(None),
        )
        .order_by(conversations.c.id)
    )
    for row in rows:
        latest[row.contact_id] = (row.assignee_id, _epoch(row.last_message_at))
    return latest


async def apply_assignments(
    conn: AsyncConnection, tenant_id: int, assignments: Sequence[tuple[int, int]], *, now: Any
) -> list[Event]:
    """Assign each (conversation, agent): assignee, an 'assigned' event in the log."""
    if not assignments:
        return []
    ids = sorted(cid for cid, _ in assignments)
    rows = {
        row.id: row
        for row in await conn.execute(
            select(conversations)
            .where(conversations.c.id.in_(ids))
            .order_by(conversations.c.id)
            .with_for_update()
        )
    }
    # The customer is told who serves them by name.
    names = {
        int(r.id): str(r.name)
        for r in await conn.execute(
            select(accounts.c.id, accounts.c.name).where(
                accounts.c.id.in_(sorted({a for _, a in assignments}))
            )
        )
    }
    new_messages: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for cid, agent_id in assignments:
        row = rows[cid]
        seq = row.last_seq + 1
        content: dict[str, Any] = {"type": "event", "event": "assigned", "account_id": agent_id}
        if names.get(agent_id):
            content["account_name"] = names[agent_id][:200]
        new_messages.append(
            {
                "tenant_id": tenant_id,
                "conversation_id": cid,
                "seq": seq,
                "sender_type": SenderType.system.value,
                "sender_id": None,
                "client_msg_id": None,
                "content_type": "event",
                "content": content,
                "created_at": now,
            }
        )
        changes.append({"b_id": cid, "b_agent": agent_id, "b_seq": seq, "b_at": now})
    inserted = await conn.execute(
        insert(messages).returning(messages.c.id, sort_by_parameter_order=True), new_messages
    )
    message_ids = [r.id for r in inserted]
    await triggers.on_messages(
        conn,
        list(zip(new_messages, message_ids, strict=True)),
        contact_of=lambda cid: rows[cid].contact_id,
    )
    await analytics_triggers.on_messages(conn, list(zip(new_messages, message_ids, strict=True)))
    await conn.execute(
        update(conversations)
        .where(conversations.c.id == bindparam("b_id"))
        .values(
            assignee_id=bindparam("b_agent"),
            last_seq=bindparam("b_seq"),
            last_message_at=bindparam("b_at"),
            assigned_at=bindparam("b_at"),
            queued_at=None,
            target_agent_id=None,
            excluded_agent_id=None,
            wait_notice_at=None,
            with_bot=False,
        ),
        changes,
    )
    agent_ids = sorted({a for _, a in assignments})
    await conn.execute(
        update(accounts)
        .where(accounts.c.id == bindparam("b_id"))
        .values(last_assigned_at=bindparam("b_at")),
        [{"b_id": a, "b_at": now} for a in agent_ids],
    )
    events: list[Event] = []
    fresh = {
        row.id: row
        for row in await conn.execute(
            conversations_service.detail_select().where(conversations.c.id.in_(ids))
        )
    }
    for (cid, _agent), row_data, message_id in zip(
        assignments, new_messages, message_ids, strict=True
    ):
        row = fresh[cid]
        detail = conversations_service.detail_of(row)
        ref = ConversationRef(
            id=row.id,
            contact_id=row.contact_id,
            assignee_id=row.assignee_id,
            group_id=row.group_id,
            status=detail.status,
        )
        events.append(
            MessageCreated(
                tenant_id=tenant_id, conversation=ref, message=message_out(row_data, message_id)
            )
        )
        events.append(ConversationUpdated(tenant_id=tenant_id, conversation=ref, detail=detail))
    return events


def closed_notice(hours: WorkingHours) -> dict[str, Any]:
    return {
        "type": "menu",
        "text": f"您好，现在是非工作时间（工作时间：{hours.describe()}）。"
        "您可以留言，我们上班后会第一时间回复您。",
        "buttons": [{"id": "leave_message", "label": "留言"}],
    }


async def _tell_closed(
    conn: AsyncConnection, snap: Snapshot, waiting: list[engine.Waiting], *, now: Any
) -> list[Event]:
    """Tell customers waiting in a group outside its working hours, once; their
    conversation stays in the queue (with whatever they leave) until the group opens."""
    events: list[Event] = []
    for item in waiting:
        group = snap.groups.get(item.group_id) if item.group_id is not None else None
        if group is None or group.is_open or item.noticed or item.target_agent_id is not None:
            continue
        conv = (
            await conn.execute(
                select(conversations).where(conversations.c.id == item.id).with_for_update()
            )
        ).one()
        row, message_id = await append_event(conn, conv, closed_notice(snap.hours[group.id]), now)
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conv.id)
            .values(wait_notice_at=now, last_seq=conv.last_seq + 1, last_message_at=now)
        )
        events += (await changed_events(conn, conv.id, row, message_id))[1][:1]
    return events


async def route_tenant(db: Database, tenant_id: int, scope: Scope | None = None) -> PassResult:
    """One routing pass for a tenant, or the ``scope`` part of it (the caller publishes
    ``events`` after it returns)."""
    now = utcnow()
    async with db.write_connection() as conn:
        await lock_tenant(conn, tenant_id)
        snap = await snapshot(conn, tenant_id, scope)
        decided = engine.plan(snap.agents, snap.groups, snap.waiting, now=time.time())
        events = await apply_assignments(conn, tenant_id, decided.assignments, now=now)
        for group_id, agent_id in decided.rr_last.items():
            await conn.execute(
                update(groups_t).where(groups_t.c.id == group_id).values(rr_last_agent_id=agent_id)
            )
        assigned_ids = {cid for cid, _ in decided.assignments}
        still_waiting = [w for w in snap.waiting if w.id not in assigned_ids]
        events += await _tell_closed(conn, snap, still_waiting, now=now)
    return PassResult(
        assigned=decided.assignments,
        events=events,
        waiting=still_waiting,
        contacts=snap.contacts,
        agents=snap.agents,
        groups=snap.groups,
    )
