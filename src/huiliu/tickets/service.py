"""Reads of tickets, comments, history and settings, always through the access rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.db.base import LIKE_ESCAPE, contains, scoped, utcnow
from huiliu.errors import InvalidInput, NotFound
from huiliu.routing.models import Group, GroupMember
from huiliu.routing.service import hours_of
from huiliu.tickets import access, sla
from huiliu.tickets.models import (
    Ticket,
    TicketChange,
    TicketComment,
    TicketPriority,
    TicketSettingsRow,
    TicketStatus,
    TicketTranscript,
)
from huiliu.tickets.schemas import ChangeOut, TicketOut, TicketSettings


async def get_settings(session: AsyncSession, *, tenant_id: int) -> TicketSettings:
    row = await _settings_row(session, tenant_id)
    return TicketSettings.model_validate(row.settings if row is not None else {})


async def _settings_row(session: AsyncSession, tenant_id: int) -> TicketSettingsRow | None:
    stmt = scoped(select(TicketSettingsRow), TicketSettingsRow, tenant_id)
    return (await session.scalars(stmt)).first()


async def put_settings(
    session: AsyncSession, *, tenant_id: int, settings: TicketSettings
) -> TicketSettings:
    row = await _settings_row(session, tenant_id)
    data = settings.model_dump(mode="json")
    if row is None:
        session.add(TicketSettingsRow(tenant_id=tenant_id, settings=data, updated_at=utcnow()))
    else:
        row.settings = data
        row.updated_at = utcnow()
    await session.flush()
    return settings


async def my_group_ids(session: AsyncSession, *, principal: Principal) -> list[int]:
    rows = await session.scalars(
        select(GroupMember.group_id).where(
            GroupMember.tenant_id == principal.tenant_id, GroupMember.account_id == principal.id
        )
    )
    return list(rows)


async def clock_for(session: AsyncSession, *, tenant_id: int, group_id: int | None) -> sla.Clock:
    """Business hours of the ticket's group, else of the tenant's default group."""
    group = None
    if group_id is not None:
        group = await session.get(Group, group_id)
    if group is None or group.working_hours is None:
        group = (
            await session.scalars(
                scoped(select(Group), Group, tenant_id).where(Group.is_default.is_(True))
            )
        ).first()
    return sla.Clock(hours_of(group) if group is not None else None)


async def get(
    session: AsyncSession, *, principal: Principal, ticket_id: int, for_update: bool = False
) -> Ticket:
    stmt = scoped(select(Ticket), Ticket, principal.tenant_id).where(Ticket.id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    ticket = (await session.scalars(stmt)).first()
    if ticket is None or not access.can_see(
        principal,
        tenant_id=ticket.tenant_id,
        assignee_id=ticket.assignee_id,
        created_by_id=ticket.created_by_id,
        group_id=ticket.group_id,
        my_group_ids=await my_group_ids(session, principal=principal),
    ):
        raise NotFound("ticket not found")
    return ticket


async def audience(session: AsyncSession, ticket: Ticket) -> list[int]:
    """The agents who see the ticket besides supervisors and admins (who see them all)."""
    ids = {i for i in (ticket.assignee_id, ticket.created_by_id) if i is not None}
    if ticket.group_id is not None:
        ids.update(
            await session.scalars(
                select(GroupMember.account_id).where(GroupMember.group_id == ticket.group_id)
            )
        )
    return sorted(ids)


def out(ticket: Ticket, now: datetime | None = None) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        number=ticket.number,
        display=f"#{ticket.number}",
        subject=ticket.subject,
        description=ticket.description,
        category=ticket.category,
        priority=ticket.priority,
        status=ticket.status,
        assignee_id=ticket.assignee_id,
        group_id=ticket.group_id,
        contact_id=ticket.contact_id,
        conversation_id=ticket.conversation_id,
        channel=ticket.channel,
        source=ticket.source,
        custom_fields=dict(ticket.custom_fields or {}),
        tags=list(ticket.tags or []),
        created_by_id=ticket.created_by_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        closed_at=ticket.closed_at,
        sla=sla.state_of(ticket, now or utcnow()),
    )


SORTS: dict[str, Any] = {
    "created_at": Ticket.created_at,
    "updated_at": Ticket.updated_at,
    "number": Ticket.number,
    "resolution_due_at": Ticket.resolution_due_at,
    "first_response_due_at": Ticket.first_response_due_at,
    "priority": case(
        {p.value: n for n, p in enumerate(TicketPriority)}, value=Ticket.priority, else_=0
    ),
}


def _breached_clause(now: datetime) -> Any:
    return or_(
        Ticket.first_response_breached.is_(True),
        Ticket.resolution_breached.is_(True),
        Ticket.first_response_at > Ticket.first_response_due_at,
        Ticket.solved_at > Ticket.resolution_due_at,
        (Ticket.first_response_at.is_(None))
        & Ticket.status.in_([TicketStatus.open.value, TicketStatus.pending.value])
        & (Ticket.first_response_due_at <= now),
        (Ticket.status == TicketStatus.open.value) & (Ticket.resolution_due_at <= now),
    )


async def list_tickets(
    session: AsyncSession,
    *,
    principal: Principal,
    status: Sequence[TicketStatus] = (),
    priority: Sequence[TicketPriority] = (),
    assignee: str | None = None,
    group_id: int | None = None,
    contact_id: int | None = None,
    conversation_id: int | None = None,
    breached: bool | None = None,
    q: str | None = None,
    sort: str = "-created_at",
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[Ticket], int]:
    groups = await my_group_ids(session, principal=principal)
    stmt: Select[Any] = scoped(select(Ticket), Ticket, principal.tenant_id).where(
        access.visible_clause(principal, groups)
    )
    if status:
        stmt = stmt.where(Ticket.status.in_([s.value for s in status]))
    if priority:
        stmt = stmt.where(Ticket.priority.in_([p.value for p in priority]))
    if assignee is not None:
        if assignee == "me":
            stmt = stmt.where(Ticket.assignee_id == principal.id)
        elif assignee == "none":
            stmt = stmt.where(Ticket.assignee_id.is_(None))
        elif assignee.isdigit():
            stmt = stmt.where(Ticket.assignee_id == int(assignee))
        else:
            raise InvalidInput("assignee is 'me', 'none' or an account id", field="assignee")
    if group_id is not None:
        stmt = stmt.where(Ticket.group_id == group_id)
    if contact_id is not None:
        stmt = stmt.where(Ticket.contact_id == contact_id)
    if conversation_id is not None:
        stmt = stmt.where(Ticket.conversation_id == conversation_id)
    if breached is not None:
        clause = _breached_clause(utcnow())
        stmt = stmt.where(clause if breached else ~clause)
    if q and q.strip():
        text = q.strip()
        number = re.fullmatch(r"#?(\d{1,9})", text)
        subject = Ticket.subject.ilike(contains(text), escape=LIKE_ESCAPE)
        stmt = stmt.where(
            or_(subject, Ticket.number == int(number.group(1))) if number else subject
        )
    key = sort.removeprefix("-")
    if key not in SORTS:
        raise InvalidInput(
            f"sort is one of {', '.join(sorted(SORTS))}, with '-' for descending", field="sort"
        )
    column = SORTS[key]
    order = column.desc() if sort.startswith("-") else column.asc()
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    tiebreak = Ticket.id.desc() if sort.startswith("-") else Ticket.id.asc()
    rows = await session.scalars(
        stmt.order_by(order, tiebreak).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


async def list_comments(session: AsyncSession, *, ticket: Ticket) -> list[TicketComment]:
    stmt = scoped(select(TicketComment), TicketComment, ticket.tenant_id).where(
        TicketComment.ticket_id == ticket.id
    )
    return list(await session.scalars(stmt.order_by(TicketComment.id)))


def change_out(row: TicketChange) -> ChangeOut:
    return ChangeOut(
        id=row.id,
        kind=row.kind,
        field=row.field,
        old=(row.old or {}).get("v"),
        new=(row.new or {}).get("v"),
        actor_type=row.actor_type,
        actor_id=row.actor_id,
        created_at=row.created_at,
    )


async def list_history(session: AsyncSession, *, ticket: Ticket) -> list[TicketChange]:
    stmt = scoped(select(TicketChange), TicketChange, ticket.tenant_id).where(
        TicketChange.ticket_id == ticket.id
    )
    return list(await session.scalars(stmt.order_by(TicketChange.id)))


async def get_transcript(session: AsyncSession, *, ticket: Ticket) -> TicketTranscript:
    stmt = scoped(select(TicketTranscript), TicketTranscript, ticket.tenant_id).where(
        TicketTranscript.ticket_id == ticket.id
    )
    row = (await session.scalars(stmt)).first()
    if row is None:
        raise NotFound("this ticket was not made from a conversation")
    return row
