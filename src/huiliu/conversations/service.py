"""Reads of conversations and their message log, always through the access rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
from huiliu.conversations import access
from huiliu.conversations.models import Conversation, ConversationStatus, Message, ReadCursor
from huiliu.db.base import scoped
from huiliu.errors import NotFound

messages = cast(Table, Message.__table__)


async def get(session: AsyncSession, *, principal: Principal, conversation_id: int) -> Conversation:
    """The conversation if ``principal`` may see it; otherwise NotFound (never Forbidden, so
    ids of other tenants' or other customers' conversations reveal nothing)."""
    stmt = scoped(select(Conversation), Conversation, principal.tenant_id).where(
        Conversation.id == conversation_id
    )
    conversation = (await session.scalars(stmt)).first()
    if conversation is None or not access.can_see(
        principal,
        tenant_id=conversation.tenant_id,
        contact_id=conversation.contact_id,
        assignee_id=conversation.assignee_id,
    ):
        raise NotFound("conversation not found")
    return conversation


async def list_conversations(
    session: AsyncSession,
    *,
    principal: Principal,
    status: ConversationStatus | None = None,
    assigned: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[Conversation]:
    """Newest first. ``assigned``: "me", "unassigned" or None (everything visible)."""
    stmt = scoped(select(Conversation), Conversation, principal.tenant_id)
    if principal.is_visitor:
        stmt = stmt.where(Conversation.contact_id == principal.id)
    elif not principal.at_least(Role.supervisor):
        stmt = stmt.where(
            or_(Conversation.assignee_id == principal.id, Conversation.assignee_id.is_(None))
        )
    if assigned == "me":
        stmt = stmt.where(Conversation.assignee_id == principal.id)
    elif assigned == "unassigned":
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if status is not None:
        stmt = stmt.where(Conversation.status == status)
    if before_id is not None:
        stmt = stmt.where(Conversation.id < before_id)
    stmt = stmt.order_by(Conversation.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def list_messages(
    session: AsyncSession, *, conversation_id: int, after_seq: int, limit: int
) -> Sequence[Row[Any]]:
    """Messages with seq > after_seq, oldest first. The caller has checked access."""
    stmt = (
        select(messages)
        .where(messages.c.conversation_id == conversation_id, messages.c.seq > after_seq)
        .order_by(messages.c.seq)
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


async def list_messages_before(
    session: AsyncSession, *, conversation_id: int, before_seq: int, limit: int
) -> Sequence[Row[Any]]:
    """The ``limit`` messages just before ``before_seq``, oldest first (scrolling back)."""
    stmt = (
        select(messages)
        .where(messages.c.conversation_id == conversation_id, messages.c.seq < before_seq)
        .order_by(messages.c.seq.desc())
        .limit(limit)
    )
    return list(reversed((await session.execute(stmt)).all()))


async def get_read_cursor(
    session: AsyncSession, *, principal: Principal, conversation_id: int
) -> int:
    stmt = scoped(select(ReadCursor.seq), ReadCursor, principal.tenant_id).where(
        ReadCursor.conversation_id == conversation_id,
        ReadCursor.reader_type == ("contact" if principal.is_visitor else "agent"),
        ReadCursor.reader_id == principal.id,
    )
    return int((await session.execute(stmt)).scalar() or 0)
