"""Reads of conversations and their message log, always through the access rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, Select, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.accounts.models import Account
from huiliu.auth.principal import Principal
from huiliu.contacts.models import Contact
from huiliu.conversations import access
from huiliu.conversations.models import (
    Conversation,
    ConversationNote,
    ConversationStatus,
    Message,
    ReadCursor,
    SenderType,
)
from huiliu.conversations.schemas import ConversationOut, ConversationView, NoteOut
from huiliu.db.base import scoped
from huiliu.errors import NotFound
from huiliu.roles.permissions import Permission

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
read_cursors = cast(Table, ReadCursor.__table__)
contacts = cast(Table, Contact.__table__)
notes = cast(Table, ConversationNote.__table__)
accounts = cast(Table, Account.__table__)

Executor = AsyncSession | AsyncConnection
M = TypeVar("M", bound=BaseModel)


def detail_select(*extra: Any) -> Select[Any]:
    """Conversations with everything ``ConversationOut`` says (the contact's name is not a
    column of theirs), plus ``extra`` columns."""
    return select(conversations, contacts.c.name.label("contact_name"), *extra).join(
        contacts, contacts.c.id == conversations.c.contact_id
    )


def detail_of(row: Any) -> ConversationOut:
    """``ConversationOut`` from a row of ``detail_select``."""
    return _pick(ConversationOut, row)


def _pick(model: type[M], row: Any) -> M:
    """``model`` from the row's columns it has fields for (the row has more)."""
    data = row._mapping
    return model.model_validate({k: data[k] for k in model.model_fields})


async def serves_contact(executor: Executor, *, principal: Principal, contact_id: int) -> bool:
    """Whether the account serves an open conversation of this customer right now."""
    found = await executor.scalar(
        select(conversations.c.id)
        .where(
            conversations.c.tenant_id == principal.tenant_id,
            conversations.c.contact_id == contact_id,
            conversations.c.assignee_id == principal.id,
            conversations.c.status == ConversationStatus.open.value,
        )
        .limit(1)
    )
    return found is not None


async def visible(
    executor: Executor,
    principal: Principal,
    *,
    tenant_id: int,
    contact_id: int,
    assignee_id: int | None,
    group_id: int | None,
) -> bool:
    """``access.can_see``, looking up whether the agent serves the customer only when that
    is what decides (an agent reading a conversation that is neither theirs nor waiting)."""
    if access.can_see(
        principal,
        tenant_id=tenant_id,
        contact_id=contact_id,
        assignee_id=assignee_id,
        group_id=group_id,
    ):
        return True
    if not principal.is_account or principal.tenant_id != tenant_id:
        return False
    serving = await serves_contact(executor, principal=principal, contact_id=contact_id)
    return access.can_see(
        principal,
        tenant_id=tenant_id,
        contact_id=contact_id,
        assignee_id=assignee_id,
        group_id=group_id,
        serving_contact=serving,
    )


async def get(session: AsyncSession, *, principal: Principal, conversation_id: int) -> Conversation:
    """The conversation if ``principal`` may see it; otherwise NotFound (never Forbidden, so
    ids of other tenants' or other customers' conversations reveal nothing)."""
    stmt = scoped(select(Conversation), Conversation, principal.tenant_id).where(
        Conversation.id == conversation_id
    )
    conversation = (await session.scalars(stmt)).first()
    if conversation is None or not await visible(
        session,
        principal,
        tenant_id=conversation.tenant_id,
        contact_id=conversation.contact_id,
        assignee_id=conversation.assignee_id,
        group_id=conversation.group_id,
    ):
        raise NotFound("conversation not found")
    return conversation


async def get_detail(
    session: AsyncSession, *, tenant_id: int, conversation_id: int
) -> ConversationOut:
    """The conversation as it stands, for a caller who has already acted on it (a claim, a
    transfer): scoped to the tenant, no access check of its own."""
    row = (
        await session.execute(
            detail_select().where(
                conversations.c.tenant_id == tenant_id, conversations.c.id == conversation_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("conversation not found")
    return detail_of(row)


def _visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """The conversations the caller may see, as SQL: exactly ``access.can_see``."""
    if principal.is_visitor:
        return conversations.c.contact_id == principal.id
    if principal.can(Permission.monitor) and principal.group_ids is None:
        return None
    serving = conversations.alias("serving")
    served_contacts = select(serving.c.contact_id).where(
        serving.c.tenant_id == principal.tenant_id,
        serving.c.assignee_id == principal.id,
        serving.c.status == ConversationStatus.open.value,
    )
    mine = [
        conversations.c.assignee_id == principal.id,
        conversations.c.assignee_id.is_(None),
        conversations.c.contact_id.in_(served_contacts),
    ]
    if principal.can(Permission.monitor) and principal.group_ids:
        mine.append(conversations.c.group_id.in_(sorted(principal.group_ids)))
    return or_(*mine)


def _filters(
    principal: Principal,
    *,
    status: ConversationStatus | None,
    assigned: str | None,
    contact_id: int | None,
    group_id: int | None,
    before_id: int | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [conversations.c.tenant_id == principal.tenant_id]
    rule = _visible_to(principal)
    if rule is not None:
        where.append(rule)
    if assigned == "me":
        where.append(conversations.c.assignee_id == principal.id)
    elif assigned == "unassigned":
        where.append(conversations.c.assignee_id.is_(None))
    if status is not None:
        where.append(conversations.c.status == status.value)
    if contact_id is not None:
        where.append(conversations.c.contact_id == contact_id)
    if group_id is not None:
        where.append(conversations.c.group_id == group_id)
    if before_id is not None:
        where.append(conversations.c.id < before_id)
    return where


def _reads(principal: Principal) -> tuple[Any, Any, Any]:
    """The caller's read cursor (an outer join) and its unread count (a correlated count of
    the other side's messages after the cursor, along the (conversation_id, seq) index)."""
    reader = SenderType.contact if principal.is_visitor else SenderType.agent
    others = (
        [SenderType.agent.value, SenderType.bot.value]
        if principal.is_visitor
        else [SenderType.contact.value]
    )
    cursor = read_cursors.alias("cursor")
    joined = and_(
        cursor.c.conversation_id == conversations.c.id,
        cursor.c.reader_type == reader.value,
        cursor.c.reader_id == principal.id,
    )
    read_seq = func.coalesce(cursor.c.seq, 0)
    unread = (
        select(func.count())
        .select_from(messages)
        .where(
            messages.c.conversation_id == conversations.c.id,
            messages.c.seq > read_seq,
            messages.c.sender_type.in_(others),
        )
        .scalar_subquery()
    )
    return cursor, joined, (read_seq.label("read_seq"), unread.label("unread_count"))


async def list_views(
    session: AsyncSession,
    *,
    principal: Principal,
    status: ConversationStatus | None = None,
    assigned: str | None = None,
    contact_id: int | None = None,
    group_id: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[ConversationView]:
    """Conversations the caller may see, newest first, each with the caller's read cursor
    and unread count. ``assigned``: "me", "unassigned" or None (everything visible)."""
    cursor, joined, columns = _reads(principal)
    stmt = (
        detail_select(*columns)
        .outerjoin(cursor, joined)
        .where(
            *_filters(
                principal,
                status=status,
                assigned=assigned,
                contact_id=contact_id,
                group_id=group_id,
                before_id=before_id,
            )
        )
        .order_by(conversations.c.id.desc())
        .limit(limit)
    )
    return [_pick(ConversationView, row) for row in await session.execute(stmt)]


async def get_view(
    session: AsyncSession, *, principal: Principal, conversation_id: int
) -> ConversationView:
    await get(session, principal=principal, conversation_id=conversation_id)  # access
    cursor, joined, columns = _reads(principal)
    row = (
        await session.execute(
            detail_select(*columns)
            .outerjoin(cursor, joined)
            .where(
                conversations.c.tenant_id == principal.tenant_id,
                conversations.c.id == conversation_id,
            )
        )
    ).one()
    return _pick(ConversationView, row)


async def list_conversations(
    session: AsyncSession,
    *,
    principal: Principal,
    contact_id: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[ConversationOut]:
    """Conversations the caller may see (of one customer, with ``contact_id``), newest
    first, without read state."""
    where = _filters(
        principal,
        status=None,
        assigned=None,
        contact_id=contact_id,
        group_id=None,
        before_id=before_id,
    )
    stmt = detail_select().where(*where).order_by(conversations.c.id.desc()).limit(limit)
    return [detail_of(row) for row in await session.execute(stmt)]


async def loads(session: AsyncSession, *, tenant_id: int) -> dict[int, int]:
    """Open conversations per assigned account."""
    stmt = (
        select(conversations.c.assignee_id, func.count())
        .where(
            conversations.c.tenant_id == tenant_id,
            conversations.c.status == ConversationStatus.open.value,
            conversations.c.assignee_id.is_not(None),
        )
        .group_by(conversations.c.assignee_id)
    )
    return {int(a): int(n) for a, n in (await session.execute(stmt)).all()}


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


async def get_message_for_system(
    session: AsyncSession, *, tenant_id: int, message_id: int
) -> Row[Any] | None:
    """A stored message with its conversation's ``contact_id`` and ``channel``, for the
    system's own work (webhook deliveries): no principal, the tenant alone scopes it."""
    stmt = (
        select(messages, conversations.c.contact_id, conversations.c.channel)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.id == message_id, messages.c.tenant_id == tenant_id)
    )
    return (await session.execute(stmt)).first()


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


def note_select() -> Select[Any]:
    """Notes with their author's name."""
    return select(notes, accounts.c.name.label("author_name")).join(
        accounts, accounts.c.id == notes.c.author_id
    )


def note_of(row: Any) -> NoteOut:
    """``NoteOut`` from a row of ``note_select``."""
    return _pick(NoteOut, row)


async def list_notes(
    session: AsyncSession, *, tenant_id: int, conversation_id: int
) -> list[NoteOut]:
    """A conversation's internal notes, oldest first. The caller has checked access."""
    stmt = (
        note_select()
        .where(notes.c.tenant_id == tenant_id, notes.c.conversation_id == conversation_id)
        .order_by(notes.c.id)
    )
    return [note_of(row) for row in await session.execute(stmt)]
