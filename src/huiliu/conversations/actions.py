"""Writes on a conversation besides sending: close, read, internal notes, and the system's
own events. Check, store, then emit. (Ratings are answers to the conversation's survey:
``satisfaction.actions``.)"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.analytics import triggers as analytics_triggers
from huiliu.auth.principal import Principal
from huiliu.bus import Bus
from huiliu.bus.events import ConversationUpdated, Event, MessageCreated, NoteCreated, ReadMoved
from huiliu.campaigns import tracking as campaign_tracking
from huiliu.channels import triggers as channel_triggers
from huiliu.contacts import rules as contact_rules
from huiliu.contacts import service as contacts_service
from huiliu.conversations import access, service
from huiliu.conversations.models import (
    Conversation,
    ConversationNote,
    ConversationStatus,
    Message,
    ReadCursor,
    SenderType,
)
from huiliu.conversations.rows import message_out
from huiliu.conversations.schemas import ConversationOut, ConversationRef, NoteOut, Sender
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, Forbidden, NotFound
from huiliu.satisfaction import triggers as satisfaction_triggers
from huiliu.webhooks import triggers

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
read_cursors = cast(Table, ReadCursor.__table__)
notes = cast(Table, ConversationNote.__table__)


async def lock(
    conn: AsyncConnection, principal: Principal, conversation_id: int, *, open_only: bool = False
) -> Any:
    """The conversation's row, locked for this transaction, if ``principal`` may see it
    (NotFound otherwise); with ``open_only``, Conflict when it is closed."""
    row = (
        await conn.execute(
            select(conversations)
            .where(
                conversations.c.id == conversation_id,
                conversations.c.tenant_id == principal.tenant_id,
            )
            .with_for_update()
        )
    ).first()
    if row is None or not await service.visible(
        conn,
        principal,
        tenant_id=row.tenant_id,
        contact_id=row.contact_id,
        assignee_id=row.assignee_id,
        group_id=row.group_id,
    ):
        raise NotFound("conversation not found")
    if open_only and row.status != ConversationStatus.open.value:
        raise Conflict("the conversation is closed", code="conversation_closed")
    return row


async def append_event(
    conn: AsyncConnection, conv: Any, content: dict[str, Any], now: Any
) -> tuple[dict[str, Any], int]:
    """Store a system message (an event, or a menu the system offers) after the locked row
    ``conv``'s last seq. The caller moves the
    conversation's ``last_seq`` (with whatever else changes) in the same transaction."""
    stored = await _insert_one(conn, conv, conv.last_seq + 1, SenderType.system, content, now)
    await triggers.on_messages(conn, [stored], contact_of=lambda _cid: conv.contact_id)
    await channel_triggers.on_messages(conn, [(*stored, conv.channel)])
    await analytics_triggers.on_messages(conn, [stored])
    return stored


async def _insert_one(
    conn: AsyncConnection,
    conv: Any,
    seq: int,
    sender_type: SenderType,
    content: dict[str, Any],
    now: Any,
    sender_id: int | None = None,
    client_msg_id: str | None = None,
) -> tuple[dict[str, Any], int]:
    """One message the server writes: its row and id (``client_msg_id``: the merchant's own
    id for a message its system sent, which a resend finds)."""
    row = {
        "tenant_id": conv.tenant_id,
        "conversation_id": conv.id,
        "seq": seq,
        "sender_type": sender_type.value,
        "sender_id": sender_id,
        "client_msg_id": client_msg_id,
        "content_type": content["type"],
        "content": content,
        "created_at": now,
    }
    message_id = (
        await conn.execute(insert(messages).values(**row).returning(messages.c.id))
    ).scalar_one()
    return row, int(message_id)


async def changed_events(
    conn: AsyncConnection, conversation_id: int, event_row: dict[str, Any], message_id: int
) -> tuple[ConversationOut, list[Event]]:
    """The conversation as it now stands, and the events announcing the message and the
    change (published by the caller after commit)."""
    row = (
        await conn.execute(service.detail_select().where(conversations.c.id == conversation_id))
    ).one()
    detail = service.detail_of(row)
    ref = ConversationRef(
        id=row.id,
        contact_id=row.contact_id,
        assignee_id=row.assignee_id,
        group_id=row.group_id,
        status=detail.status,
    )
    events: list[Event] = [
        MessageCreated(
            tenant_id=row.tenant_id, conversation=ref, message=message_out(event_row, message_id)
        ),
        ConversationUpdated(tenant_id=row.tenant_id, conversation=ref, detail=detail),
    ]
    return detail, events


async def close(
    db: Database, bus: Bus, *, principal: Principal, conversation_id: int, reason: str | None
) -> ConversationOut:
    now = utcnow()
    async with db.write_connection() as conn:
        conv = await lock(conn, principal, conversation_id)
        if principal.is_account and not access.can_write(
            principal,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
        ):
            raise Forbidden(access.write_denied_reason(principal, assignee_id=conv.assignee_id))
        if conv.status != ConversationStatus.open.value:
            raise Conflict("the conversation is already closed", code="conversation_closed")
        content: dict[str, Any] = {"type": "event", "event": "closed"}
        if principal.is_account:
            content["account_id"] = principal.id
        if reason:
            content["reason"] = reason
        event_row, message_id = await append_event(conn, conv, content, now)
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conv.id)
            .values(
                status=ConversationStatus.closed.value,
                closed_at=now,
                last_seq=conv.last_seq + 1,
                last_message_at=now,
            )
        )
        # Tag rules on conversations ("asked about returns twice") see it closed.
        await contact_rules.evaluate(
            conn,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            facts={"conversations"},
            now=now,
        )
        # An agent's close asks the customer for a rating (the tenant's settings decide).
        asked: list[Event] = []
        if principal.is_account:
            asked = await satisfaction_triggers.on_closed(
                conn,
                tenant_id=conv.tenant_id,
                conversation_id=conv.id,
                trigger="agent_close",
                now=now,
            )
        detail, events = await changed_events(conn, conv.id, event_row, message_id)
    # The closed event, the survey's invitation, then the conversation as it now stands.
    await bus.publish([events[0], *asked, *events[1:]])
    return detail


async def updated(
    conn: AsyncConnection, conversation_id: int
) -> tuple[ConversationOut, ConversationUpdated]:
    """The conversation as it now stands and the event announcing it (after commit)."""
    row = (
        await conn.execute(service.detail_select().where(conversations.c.id == conversation_id))
    ).one()
    detail = service.detail_of(row)
    ref = ConversationRef(
        id=row.id,
        contact_id=row.contact_id,
        assignee_id=row.assignee_id,
        group_id=row.group_id,
        status=detail.status,
    )
    return detail, ConversationUpdated(tenant_id=row.tenant_id, conversation=ref, detail=detail)


async def check_can_leave_message(
    db: Database, *, principal: Principal, conversation_id: int
) -> Any:
    """The customer's own open conversation (NotFound, Forbidden or Conflict otherwise)."""
    async with db.read() as session:
        conv = await service.get(session, principal=principal, conversation_id=conversation_id)
    if not principal.is_visitor:
        raise Forbidden("only the conversation's customer leaves a message in it")
    if conv.status != ConversationStatus.open:
        raise Conflict(
            "the conversation is closed; send a message to start a new one",
            code="conversation_closed",
        )
    return conv


async def record_left_message(
    db: Database,
    bus: Bus,
    *,
    principal: Principal,
    conversation_id: int,
    contact: dict[str, str | None],
) -> ConversationOut:
    """After the customer's message is stored: mark the conversation (it keeps waiting in
    its queue) and fill the contact's empty name, e-mail and phone from the form."""
    async with db.write() as session:
        conn = await session.connection()
        conv = await lock(conn, principal, conversation_id)
        await contacts_service.fill_empty(
            session, tenant_id=principal.tenant_id, contact_id=principal.id, given=contact
        )
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conv.id)
            .values(left_message_at=utcnow())
        )
        detail, event = await updated(conn, conv.id)
    await bus.publish([event])
    return detail


async def mark_read(
    db: Database, bus: Bus, *, principal: Principal, conversation_id: int, seq: int
) -> int:
    """Move the reader's cursor forward to ``seq`` (clipped to the newest message); a cursor
    never moves backwards. Returns the cursor as stored."""
    reader_type = SenderType.contact if principal.is_visitor else SenderType.agent
    now = utcnow()
    async with db.write_connection() as conn:
        conv = (
            await conn.execute(
                select(conversations).where(
                    conversations.c.id == conversation_id,
                    conversations.c.tenant_id == principal.tenant_id,
                )
            )
        ).first()
        if conv is None or not await service.visible(
            conn,
            principal,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
        ):
            raise NotFound("conversation not found")
        target = min(seq, conv.last_seq)
        where = (
            read_cursors.c.conversation_id == conversation_id,
            read_cursors.c.reader_type == reader_type.value,
            read_cursors.c.reader_id == principal.id,
        )
        current = await conn.scalar(select(read_cursors.c.seq).where(*where))
        if current is None:
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        insert(read_cursors).values(
                            tenant_id=principal.tenant_id,
                            conversation_id=conversation_id,
                            reader_type=reader_type.value,
                            reader_id=principal.id,
                            seq=target,
                            updated_at=now,
                        )
                    )
            except IntegrityError:
                # A concurrent first read created the row a moment ago.
                current = await conn.scalar(select(read_cursors.c.seq).where(*where))
        if current is not None:
            if target <= current:
                return int(current)  # already at or past seq
            # The WHERE keeps a concurrent, further read from being moved back.
            await conn.execute(
                update(read_cursors)
                .where(*where, read_cursors.c.seq < target)
                .values(seq=target, updated_at=now)
            )
        if principal.is_visitor:  # a notice read
            await campaign_tracking.on_read(
                conn, conversation_id=conversation_id, seq=target, now=now
            )
        ref = ConversationRef(
            id=conv.id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
            status=ConversationStatus(conv.status),
        )
    await bus.publish(
        [
            ReadMoved(
                tenant_id=principal.tenant_id,
                conversation=ref,
                reader=Sender(type=reader_type, id=principal.id),
                seq=target,
            )
        ]
    )
    return int(target)


async def lock_for_system(conn: AsyncConnection, tenant_id: int, conversation_id: int) -> Any:
    """The conversation's row, locked for this transaction, for the system's own writes
    (the bot's answers): no principal, the tenant alone scopes it. None if not found."""
    return (
        await conn.execute(
            select(conversations)
            .where(conversations.c.id == conversation_id, conversations.c.tenant_id == tenant_id)
            .with_for_update()
        )
    ).first()


async def append_messages(
    conn: AsyncConnection,
    conv: Any,
    contents: list[tuple[SenderType, dict[str, Any]]],
    now: Any,
    *,
    changes: dict[str, Any] | None = None,
    online: triggers.OnlineCheck | None = None,
    sender_id: int | None = None,
    client_msg_id: str | None = None,
) -> list[Event]:
    """Store each (sender type, content) of ``contents`` — the bot's or the system's, or an
    agent's or the customer's (``sender_id``; never the system's) written on their behalf,
    such as a ticket's public comment or a rating replied by text —
    after the locked row ``conv``'s last seq, apply ``changes`` to the conversation in the
    same statement, and return the events to publish after commit: each message, then the
    conversation's update if anything besides its seq changed. ``online`` tells whether
    the customer holds a socket (the bot's messages to one who does not are pushed)."""
    stored: list[tuple[dict[str, Any], int]] = []
    seq = conv.last_seq
    for sender_type, content in contents:
        seq += 1
        who = None if sender_type is SenderType.system else sender_id
        stored.append(
            await _insert_one(conn, conv, seq, sender_type, content, now, who, client_msg_id)
        )
    await triggers.on_messages(conn, stored, contact_of=lambda _cid: conv.contact_id, online=online)
    await channel_triggers.on_messages(conn, [(r, i, conv.channel) for r, i in stored])
    await analytics_triggers.on_messages(conn, stored)
    await conn.execute(
        update(conversations)
        .where(conversations.c.id == conv.id)
        .values(last_seq=seq, last_message_at=now, **(changes or {}))
    )
    fresh = (await conn.execute(service.detail_select().where(conversations.c.id == conv.id))).one()
    ref = ConversationRef(
        id=fresh.id,
        contact_id=fresh.contact_id,
        assignee_id=fresh.assignee_id,
        group_id=fresh.group_id,
        status=ConversationStatus(fresh.status),
    )
    events: list[Event] = [
        MessageCreated(tenant_id=fresh.tenant_id, conversation=ref, message=message_out(r, i))
        for r, i in stored
    ]
    if changes:
        detail = service.detail_of(fresh)
        events.append(
            ConversationUpdated(tenant_id=fresh.tenant_id, conversation=ref, detail=detail)
        )
    return events


async def add_note(
    db: Database, bus: Bus, *, principal: Principal, conversation_id: int, text: str
) -> NoteOut:
    """An internal note by an account that may see the conversation, placed after its
    newest message. Customers never see notes: a visitor is told the conversation is not
    found, and the note's event reaches account sockets only."""
    if not principal.is_account:
        raise NotFound("conversation not found")
    async with db.write_connection() as conn:
        conv = (
            await conn.execute(
                select(conversations).where(
                    conversations.c.id == conversation_id,
                    conversations.c.tenant_id == principal.tenant_id,
                )
            )
        ).first()
        if conv is None or not await service.visible(
            conn,
            principal,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
        ):
            raise NotFound("conversation not found")
        note_id = (
            await conn.execute(
                insert(notes)
                .values(
                    tenant_id=principal.tenant_id,
                    conversation_id=conv.id,
                    author_id=principal.id,
                    text=text,
                    after_seq=conv.last_seq,
                    created_at=utcnow(),
                )
                .returning(notes.c.id)
            )
        ).scalar_one()
        row = (await conn.execute(service.note_select().where(notes.c.id == note_id))).one()
        note = service.note_of(row)
        ref = ConversationRef(
            id=conv.id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
            status=ConversationStatus(conv.status),
        )
    await bus.publish([NoteCreated(tenant_id=principal.tenant_id, conversation=ref, note=note)])
    return note
