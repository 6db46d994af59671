"""Writes on tickets: create, change, comment, and the SLA sweep. Check, store, then emit
(``ticket.updated`` and a public comment's message leave only after commit)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account
from huiliu.auth.principal import Principal
from huiliu.bus import Bus
from huiliu.bus.events import Event, TicketUpdated
from huiliu.contacts.models import Contact
from huiliu.conversations import service as conversations_service
from huiliu.conversations.models import Conversation, Message
from huiliu.conversations.rows import message_out
from huiliu.db import Database
from huiliu.db.base import scoped, utcnow
from huiliu.errors import Conflict, InvalidInput, NotFound
from huiliu.routing.models import Group
from huiliu.tenants.models import Tenant
from huiliu.tickets import delivery, fields, service, sla
from huiliu.tickets.models import (
    Ticket,
    TicketChange,
    TicketComment,
    TicketSource,
    TicketStatus,
    TicketTranscript,
)
from huiliu.tickets.schemas import (
    CommentIn,
    CommentOut,
    FromConversationIn,
    TicketIn,
    TicketOut,
    TicketPatch,
    TicketSettings,
)

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)

TRANSITIONS: dict[TicketStatus, set[TicketStatus]] = {
    TicketStatus.open: {TicketStatus.pending, TicketStatus.solved},
    TicketStatus.pending: {TicketStatus.open, TicketStatus.solved},
    TicketStatus.solved: {TicketStatus.open, TicketStatus.closed},
    TicketStatus.closed: set(),
}
TRANSCRIPT_LIMIT = 2000
Actor = tuple[str, int | None]
Reason = Literal["created", "updated", "comment", "sla"]  # (agent | contact | system, id)


# --- checks --------------------------------------------------------------------------------


async def _check_assignee(session: AsyncSession, tenant_id: int, account_id: int) -> None:
    account = await session.get(Account, account_id)
    if account is None or account.tenant_id != tenant_id:
        raise InvalidInput("assignee_id: no such agent", field="assignee_id")
    if not account.active:
        raise InvalidInput("assignee_id: the account is deactivated", field="assignee_id")


async def _check_group(session: AsyncSession, tenant_id: int, group_id: int) -> None:
    group = await session.get(Group, group_id)
    if group is None or group.tenant_id != tenant_id:
        raise InvalidInput("group_id: no such group", field="group_id")


async def _check_contact(session: AsyncSession, tenant_id: int, contact_id: int) -> None:
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.tenant_id != tenant_id:
        raise InvalidInput("contact_id: no such contact", field="contact_id")


# --- helpers -------------------------------------------------------------------------------


def _actor(principal: Principal | None) -> Actor:
    if principal is None:
        return ("system", None)
    return ("agent" if principal.is_account else "contact", principal.id)


def record(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    now: datetime,
    *,
    kind: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
) -> None:
    session.add(
        TicketChange(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            kind=kind,
            field=field,
            # Wrapped: SQLite's JSON affinity would turn a bare "5" into an integer.
            old={"v": old},
            new={"v": new},
            actor_type=actor[0],
            actor_id=actor[1],
            created_at=now,
        )
    )


async def _next_number(session: AsyncSession, tenant_id: int) -> int:
    # The tenant's row lock orders concurrent creations (SQLite: the write lock does); FOR NO
    # KEY UPDATE, so every insert that refers to the tenant (its foreign key) does not wait.
    await session.execute(
        select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True)
    )
    top = await session.scalar(select(func.max(Ticket.number)).where(Ticket.tenant_id == tenant_id))
    return int(top or 0) + 1


async def ticket_event(
    session: AsyncSession, ticket: Ticket, reason: Reason, now: datetime
) -> tuple[TicketOut, TicketUpdated]:
    detail = service.out(ticket, now)
    return detail, TicketUpdated(
        tenant_id=ticket.tenant_id,
        ticket=detail,
        account_ids=await service.audience(session, ticket),
        reason=reason,
    )


async def _apply_sla(session: AsyncSession, ticket: Ticket, settings: TicketSettings) -> None:
    clock = await _clock(session, ticket, settings)
    sla.apply_targets(ticket, settings.sla, clock)


async def _clock(session: AsyncSession, ticket: Ticket, settings: TicketSettings) -> sla.Clock:
    if settings.sla is None or not settings.sla.business_hours:
        return sla.Clock(None)
    return await service.clock_for(session, tenant_id=ticket.tenant_id, group_id=ticket.group_id)


# --- create --------------------------------------------------------------------------------


async def create(
    db: Database, bus: Bus, *, principal: Principal, data: TicketIn, now: datetime | None = None
) -> TicketOut:
    """By hand (or over the API): for a contact picked or created here, or from a
    conversation when ``conversation_id`` is given."""
    if data.conversation_id is not None:
        if data.contact_id is not None or data.contact is not None:
            raise InvalidInput(
                "contact_id: a ticket from a conversation is for its customer", field="contact_id"
            )
        group = {"group_id": data.group_id} if "group_id" in data.model_fields_set else {}
        body = FromConversationIn(
            subject=data.subject,
            description=data.description,
            category=data.category,
            priority=data.priority,
            assignee_id=data.assignee_id,
            custom_fields=data.custom_fields,
            tags=data.tags,
            **group,
        )
        return await create_from_conversation(
            db,
            bus,
            principal=principal,
            conversation_id=data.conversation_id,
            data=body,
            source=data.source,
            now=now,
        )
    if data.subject is None:
        raise InvalidInput("subject: required", field="subject")
    if data.source in (TicketSource.conversation, TicketSource.left_message):
        raise InvalidInput(
            f"source: {data.source.value} tickets need a conversation_id", field="source"
        )
    if data.contact_id is not None and data.contact is not None:
        raise InvalidInput("contact: give contact_id or a new contact, not both", field="contact")
    now = now or utcnow()
    async with db.write() as session:
        settings = await service.get_settings(session, tenant_id=principal.tenant_id)
        fields.check_category(settings, data.category)
        values = fields.check_custom_fields(settings.custom_fields, data.custom_fields)
        contact_id = data.contact_id
        if contact_id is not None:
            await _check_contact(session, principal.tenant_id, contact_id)
        elif data.contact is not None:
            contact = Contact(
                tenant_id=principal.tenant_id,
                name=data.contact.name,
                email=data.contact.email,
                phone=data.contact.phone,
                attributes={},
                created_at=now,
            )
            session.add(contact)
            await session.flush()
            contact_id = contact.id
        ticket = await _insert(
            session,
            principal,
            settings,
            now,
            subject=data.subject,
            description=data.description,
            category=data.category,
            priority=data.priority,
            assignee_id=data.assignee_id,
            group_id=data.group_id,
            contact_id=contact_id,
            source=data.source or TicketSource.manual,
            custom_fields=values,
            tags=data.tags,
        )
        detail, event = await ticket_event(session, ticket, "created", now)
    await bus.publish([event])
    return detail


async def create_from_conversation(
    db: Database,
    bus: Bus,
    *,
    principal: Principal | None,
    conversation_id: int,
    data: FromConversationIn,
    tenant_id: int | None = None,
    source: TicketSource | None = None,
    now: datetime | None = None,
) -> TicketOut:
    """The conversation's customer, channel and transcript carried over. ``principal`` None:
    the system's own (a left message), for ``tenant_id``."""
    now = now or utcnow()
    async with db.write() as session:
        if principal is not None:
            conv = await conversations_service.get(
                session, principal=principal, conversation_id=conversation_id
            )
            if not principal.is_account:
                raise NotFound("conversation not found")
            tenant = principal.tenant_id
        else:
            assert tenant_id is not None
            tenant = tenant_id
            found = await session.get(Conversation, conversation_id)
            if found is None or found.tenant_id != tenant:
                raise NotFound("conversation not found")
            conv = found
        settings = await service.get_settings(session, tenant_id=tenant)
        fields.check_category(settings, data.category)
        values = fields.check_custom_fields(settings.custom_fields, data.custom_fields)
        rows = await conversations_service.list_messages(
            session, conversation_id=conv.id, after_seq=0, limit=TRANSCRIPT_LIMIT
        )
        transcript = [message_out(r).model_dump(mode="json") for r in rows]
        subject = data.subject or _subject_from(transcript, conv.id)
        if source is None:
            source = TicketSource.email if conv.channel == "email" else TicketSource.conversation
        ticket = await _insert(
            session,
            principal,
            settings,
            now,
            tenant_id=tenant,
            subject=subject,
            description=data.description,
            category=data.category,
            priority=data.priority,
            assignee_id=data.assignee_id,
            group_id=data.group_id if "group_id" in data.model_fields_set else conv.group_id,
            contact_id=conv.contact_id,
            source=source,
            custom_fields=values,
            tags=data.tags,
            conversation=conv,
        )
        session.add(
            TicketTranscript(
                tenant_id=tenant,
                ticket_id=ticket.id,
                conversation_id=conv.id,
                messages=transcript,
                created_at=now,
            )
        )
        detail, event = await ticket_event(session, ticket, "created", now)
    await bus.publish([event])
    return detail


def _subject_from(transcript: list[dict[str, Any]], conversation_id: int) -> str:
    for message in transcript:
        content = message["content"]
        if message["sender"]["type"] == "contact" and content.get("type") == "text":
            text = " ".join(str(content.get("subject") or content["text"]).split())
            return text[:100] or f"会话 {conversation_id}"
    return f"会话 {conversation_id}"


async def _insert(
    session: AsyncSession,
    principal: Principal | None,
    settings: TicketSettings,
    now: datetime,
    *,
    subject: str,
    description: str,
    category: str | None,
    priority: Any,
    assignee_id: int | None,
    group_id: int | None,
    contact_id: int | None,
    source: TicketSource,
    custom_fields: dict[str, Any],
    tags: list[str],
    conversation: Conversation | None = None,
    tenant_id: int | None = None,
) -> Ticket:
    tenant = principal.tenant_id if principal is not None else tenant_id
    assert tenant is not None
    if assignee_id is not None:
        await _check_assignee(session, tenant, assignee_id)
    if group_id is not None:
        await _check_group(session, tenant, group_id)
    ticket = Ticket(
        tenant_id=tenant,
        number=await _next_number(session, tenant),
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        status=TicketStatus.open,
        assignee_id=assignee_id,
        group_id=group_id,
        contact_id=contact_id,
        conversation_id=conversation.id if conversation is not None else None,
        channel=conversation.channel if conversation is not None else None,
        channel_account_id=conversation.channel_account_id if conversation is not None else None,
        source=source,
        custom_fields=custom_fields,
        tags=sorted(set(tags)),
        created_by_id=principal.id if principal is not None and principal.is_account else None,
        created_at=now,
        updated_at=now,
        paused_s=0,
    )
    await _apply_sla(session, ticket, settings)
    session.add(ticket)
    await session.flush()
    record(session, ticket, _actor(principal), now, kind="created", new=f"#{ticket.number}")
    return ticket


# --- change --------------------------------------------------------------------------------


async def update(
    db: Database,
    bus: Bus,
    *,
    principal: Principal,
    ticket_id: int,
    patch: TicketPatch,
    now: datetime | None = None,
) -> TicketOut:
    now = now or utcnow()
    given = patch.model_fields_set
    for required in ("subject", "priority", "status"):
        if required in given and getattr(patch, required) is None:
            raise InvalidInput(f"{required}: cannot be null", field=required)
    async with db.write() as session:
        ticket = await service.get(
            session, principal=principal, ticket_id=ticket_id, for_update=True
        )
        settings = await service.get_settings(session, tenant_id=ticket.tenant_id)
        actor = _actor(principal)
        if ticket.status == TicketStatus.closed:
            raise Conflict("the ticket is closed: open a new one", code="ticket_closed")
        changes: list[tuple[str, Any, Any]] = []

        def change(name: str, new: Any) -> None:
            old = getattr(ticket, name)
            if old != new:
                changes.append((name, _plain(old), _plain(new)))
                setattr(ticket, name, new)

        if "category" in given:
            fields.check_category(settings, patch.category)
        if "custom_fields" in given and patch.custom_fields is not None:
            merged = fields.check_custom_fields(
                settings.custom_fields, patch.custom_fields, current=ticket.custom_fields
            )
        else:
            merged = ticket.custom_fields
        if "assignee_id" in given and patch.assignee_id is not None:
            await _check_assignee(session, ticket.tenant_id, patch.assignee_id)
        if "group_id" in given and patch.group_id is not None:
            await _check_group(session, ticket.tenant_id, patch.group_id)
        if "status" in given and patch.status is not None and patch.status != ticket.status:
            await _check_transition(ticket, patch.status, settings, now)
        # Checked: now store.
        for name in ("subject", "description", "category", "assignee_id", "group_id"):
            if name in given:
                change(name, getattr(patch, name))
        if "tags" in given and patch.tags is not None:
            change("tags", sorted(set(patch.tags)))
        if merged != ticket.custom_fields:
            change("custom_fields", merged)
        resla = "group_id" in {c[0] for c in changes}
        if "priority" in given and patch.priority is not None and patch.priority != ticket.priority:
            change("priority", patch.priority)
            resla = True
        if "status" in given and patch.status is not None and patch.status != ticket.status:
            old_status = ticket.status
            await _move(session, ticket, patch.status, settings, now)
            changes.append(("status", old_status.value, patch.status.value))
            resla = False  # _move recomputed what it needed
        if resla:
            await _apply_sla(session, ticket, settings)
        if not changes:
            return service.out(ticket, now)
        ticket.updated_at = now
        for name, old, new in changes:
            record(session, ticket, actor, now, kind="field", field=name, old=old, new=new)
        await session.flush()
        detail, event = await ticket_event(session, ticket, "updated", now)
    await bus.publish([event])
    return detail


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


async def _check_transition(
    ticket: Ticket, target: TicketStatus, settings: TicketSettings, now: datetime
) -> None:
    if target not in TRANSITIONS[ticket.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[ticket.status])) or "none"
        raise Conflict(
            f"status: a {ticket.status.value} ticket cannot become {target.value} "
            f"(allowed: {allowed})",
            code="invalid_transition",
            field="status",
        )
    if ticket.status == TicketStatus.solved and target == TicketStatus.open:
        _check_reopen(ticket, settings, now)


def _check_reopen(ticket: Ticket, settings: TicketSettings, now: datetime) -> None:
    solved_at = ticket.solved_at or now
    if now - solved_at > timedelta(days=settings.reopen_window_days):
        raise Conflict(
            f"the ticket was solved more than {settings.reopen_window_days} days ago: "
            "open a new ticket",
            code="reopen_window_passed",
        )


async def _move(
    session: AsyncSession,
    ticket: Ticket,
    target: TicketStatus,
    settings: TicketSettings,
    now: datetime,
) -> None:
    """Change the status (checked already) and the clocks with it: leaving open stops the
    resolution clock, coming back to open restarts it with the time it had left."""
    if ticket.status == TicketStatus.open:
        ticket.paused_at = now
    if target == TicketStatus.open:
        if ticket.paused_at is not None:
            clock = await _clock(session, ticket, settings)
            ticket.paused_s += int(clock.between(ticket.paused_at, now))
            ticket.paused_at = None
        ticket.solved_at = None
        await _apply_sla(session, ticket, settings)
    if target == TicketStatus.solved:
        ticket.solved_at = now
        if ticket.resolution_due_at is not None and now > ticket.resolution_due_at:
            ticket.resolution_breached = True
    if target == TicketStatus.closed:
        ticket.closed_at = now
    ticket.status = target


# --- comments ------------------------------------------------------------------------------


async def add_comment(
    db: Database,
    bus: Bus,
    *,
    principal: Principal,
    ticket_id: int,
    data: CommentIn,
    now: datetime | None = None,
) -> CommentOut:
    """An internal comment (agents only) or a public one, which reaches the customer
    (``_deliver``) and, by an agent, is the ticket's first response if none came before. A
    public comment on a solved ticket reopens it within the tenant's reopen window."""
    now = now or utcnow()
    events: list[Event] = []
    async with db.write() as session:
        ticket = await service.get(
            session, principal=principal, ticket_id=ticket_id, for_update=True
        )
        settings = await service.get_settings(session, tenant_id=ticket.tenant_id)
        actor = _actor(principal)
        if ticket.status == TicketStatus.closed:
            raise Conflict("the ticket is closed: open a new one", code="ticket_closed")
        if data.public and ticket.status == TicketStatus.solved:
            _check_reopen(ticket, settings, now)
            await _move(session, ticket, TicketStatus.open, settings, now)
            record(
                session, ticket, actor, now, kind="field", field="status", old="solved", new="open"
            )
        attachments = await delivery.check_attachments(session, ticket.tenant_id, data)
        comment = TicketComment(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            author_type=actor[0],
            author_id=principal.id,
            public=data.public,
            text=data.text,
            attachments=attachments,
            created_at=now,
        )
        if data.public:
            delivered = await delivery.deliver(
                session, ticket, principal, data.text, attachments, now
            )
            if delivered is None:
                comment.delivery = "stored"
            else:
                comment.delivery = "conversation"
                comment.conversation_id, comment.message_id, message_events = delivered
                events.extend(message_events)
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                due = ticket.first_response_due_at
                if due is not None and now > due:
                    ticket.first_response_breached = True
        session.add(comment)
        ticket.updated_at = now
        await session.flush()
        record(
            session,
            ticket,
            actor,
            now,
            kind="comment",
            field="public" if data.public else "internal",
            new={"comment_id": comment.id, "text": data.text[:200]},
        )
        out = CommentOut.model_validate(comment)
        _detail, event = await ticket_event(session, ticket, "comment", now)
        events.append(event)
    await bus.publish(events)
    return out


# --- the system's own ----------------------------------------------------------------------


async def on_left_message(
    db: Database, bus: Bus, *, tenant_id: int, conversation_id: int, text: str
) -> TicketOut | None:
    """A customer's left message becomes a ticket when the tenant wants it: once per
    conversation; a later one is added to that ticket as the customer's public comment
    (a pending or solved ticket goes back to open; one solved before the reopen window
    gets a new ticket instead)."""
    async with db.read() as session:
        settings = await service.get_settings(session, tenant_id=tenant_id)
        if not settings.left_messages_become_tickets:
            return None
        existing = (
            await session.scalars(
                scoped(select(Ticket), Ticket, tenant_id).where(
                    Ticket.conversation_id == conversation_id,
                    Ticket.source == TicketSource.left_message,
                    Ticket.status != TicketStatus.closed,
                )
            )
        ).first()
    if existing is not None and existing.status == TicketStatus.solved:
        try:
            _check_reopen(existing, settings, utcnow())
        except Conflict:
            existing = None  # solved too long ago: a new ticket
    if existing is None:
        return await create_from_conversation(
            db,
            bus,
            principal=None,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            data=FromConversationIn(description=text[:20_000]),
            source=TicketSource.left_message,
        )
    now = utcnow()
    async with db.write() as session:
        ticket = await session.get(Ticket, existing.id, with_for_update=True)
        assert ticket is not None
        assert ticket.contact_id is not None
        actor: Actor = ("contact", ticket.contact_id)
        if ticket.status in (TicketStatus.pending, TicketStatus.solved):
            # The customer answered: back to open (a solved one reopens within the window).
            old_status = ticket.status.value
            await _move(session, ticket, TicketStatus.open, settings, now)
            record(
                session,
                ticket,
                actor,
                now,
                kind="field",
                field="status",
                old=old_status,
                new="open",
            )
        session.add(
            TicketComment(
                tenant_id=tenant_id,
                ticket_id=ticket.id,
                author_type="contact",
                author_id=ticket.contact_id,
                public=True,
                text=text[:20_000],
                attachments=[],
                created_at=now,
            )
        )
        ticket.updated_at = now
        record(
            session, ticket, actor, now, kind="comment", field="public", new={"text": text[:200]}
        )
        detail, event = await ticket_event(session, ticket, "comment", now)
    await bus.publish([event])
    return detail
