from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from huiliu.auth.deps import AgentDep, PrincipalDep, RuntimeDep
from huiliu.auth.principal import Principal
from huiliu.contacts import service as contacts_service
from huiliu.conversations import access, actions, service
from huiliu.conversations.content import check_content
from huiliu.conversations.models import ConversationStatus
from huiliu.conversations.rows import message_out
from huiliu.conversations.schemas import (
    Ack,
    CloseIn,
    ConversationOut,
    ConversationView,
    LeaveMessageIn,
    LeaveMessageOut,
    MessagePage,
    NoteIn,
    NoteOut,
    RatingIn,
    ReadCursorOut,
    ReadIn,
    SendMessageIn,
)
from huiliu.conversations.writer import SendRequest
from huiliu.errors import InvalidInput, NotFound
from huiliu.routing import actions as routing_actions
from huiliu.runtime import Runtime
from huiliu.satisfaction import actions as satisfaction_actions
from huiliu.tickets import triggers as tickets_triggers

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("")
async def list_conversations(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    status: ConversationStatus | None = None,
    assigned: Literal["me", "unassigned"] | None = None,
    contact_id: Annotated[int | None, Query(ge=1)] = None,
    group_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[ConversationView]:
    """Conversations the caller may see, newest first, with the caller's read cursor and
    unread count; page with ``before_id``."""
    async with runtime.db.read() as session:
        return await service.list_views(
            session,
            principal=principal,
            status=status,
            assigned=assigned,
            contact_id=contact_id,
            group_id=group_id,
            limit=limit,
            before_id=before_id,
        )


@router.post("", status_code=201)
async def send_to_open_conversation(
    body: SendMessageIn, principal: PrincipalDep, runtime: RuntimeDep
) -> Ack:
    """A visitor's message into its open conversation, opening one if it has none."""
    if not principal.is_visitor:
        raise InvalidInput("agents send into a conversation: POST /conversations/{id}/messages")
    return await _send(runtime, principal, body, conversation_id=None)


@router.get("/{conversation_id}")
async def get_conversation(
    conversation_id: int, principal: PrincipalDep, runtime: RuntimeDep
) -> ConversationView:
    async with runtime.db.read() as session:
        return await service.get_view(session, principal=principal, conversation_id=conversation_id)


@router.get("/{conversation_id}/messages")
async def list_messages(
    conversation_id: int,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    after_seq: Annotated[int | None, Query(ge=0)] = None,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagePage:
    """Messages after ``after_seq`` (oldest first; default 0), or the ones just before
    ``before_seq`` when scrolling back."""
    if after_seq is not None and before_seq is not None:
        raise InvalidInput("give after_seq or before_seq, not both")
    async with runtime.db.read() as session:
        conversation = await service.get(
            session, principal=principal, conversation_id=conversation_id
        )
        if before_seq is not None:
            rows = await service.list_messages_before(
                session, conversation_id=conversation_id, before_seq=before_seq, limit=limit + 1
            )
            has_more = len(rows) > limit
            rows = rows[1:] if has_more else rows
        else:
            rows = await service.list_messages(
                session, conversation_id=conversation_id, after_seq=after_seq or 0, limit=limit + 1
            )
            has_more = len(rows) > limit
            rows = rows[:limit]
    return MessagePage(
        messages=[
            access.customer_view(message_out(r)) if principal.is_visitor else message_out(r)
            for r in rows
        ],
        last_seq=conversation.last_seq,
        has_more=has_more,
    )


@router.post("/{conversation_id}/messages", status_code=201)
async def send_message(
    conversation_id: int, body: SendMessageIn, principal: PrincipalDep, runtime: RuntimeDep
) -> Ack:
    """Store a message (for the API channel and clients without a socket). Resending the
    same ``client_msg_id`` returns the first ack and stores nothing."""
    return await _send(runtime, principal, body, conversation_id=conversation_id)


async def _send(
    runtime: Runtime, principal: Principal, body: SendMessageIn, *, conversation_id: int | None
) -> Ack:
    settings = runtime.settings
    content = check_content(
        body.content,
        max_text_length=settings.max_text_length,
        max_card_bytes=settings.max_card_bytes,
    )
    return await runtime.writer.send(
        SendRequest(
            principal=principal,
            content=content,
            conversation_id=conversation_id,
            client_msg_id=body.client_msg_id,
        )
    )


@router.post("/{conversation_id}/claim")
async def claim(conversation_id: int, principal: AgentDep, runtime: RuntimeDep) -> ConversationOut:
    """An online agent with room takes a waiting conversation (manual groups, the shared
    pool)."""
    events = await routing_actions.claim(
        runtime.db, principal=principal, conversation_id=conversation_id
    )
    await runtime.bus.publish(events)
    async with runtime.db.read() as session:
        return await service.get_detail(
            session, tenant_id=principal.tenant_id, conversation_id=conversation_id
        )


@router.post("/{conversation_id}/close")
async def close(
    conversation_id: int, principal: PrincipalDep, runtime: RuntimeDep, body: CloseIn | None = None
) -> ConversationOut:
    closed = await actions.close(
        runtime.db,
        runtime.bus,
        principal=principal,
        conversation_id=conversation_id,
        reason=body.reason if body else None,
    )
    # The agent has room for the next one in their groups' queues.
    runtime.router.kick(
        principal.tenant_id,
        groups=[closed.group_id] if closed.group_id is not None else [],
        agents=[closed.assignee_id],
    )
    return closed


@router.post("/{conversation_id}/rating")
async def rate(
    conversation_id: int, body: RatingIn, principal: PrincipalDep, runtime: RuntimeDep
) -> ConversationOut:
    """The customer's rating (a score, an optional comment), once: an answer to the
    conversation's survey on its scale (docs/satisfaction.md) without tags. Not asked and
    still open: ``409 not_closed``; answered: ``409 already_rated``; too late: ``410
    survey_expired``."""
    return await satisfaction_actions.rate(
        runtime.db,
        runtime.bus,
        principal=principal,
        conversation_id=conversation_id,
        score=body.score,
        comment=body.comment,
    )


@router.post("/{conversation_id}/leave-message", status_code=201)
async def leave_message(
    conversation_id: int, body: LeaveMessageIn, principal: PrincipalDep, runtime: RuntimeDep
) -> LeaveMessageOut:
    """A message for people from a customer nobody can serve now (a ``leave_message``
    button): stored as their message (resending the same ``client_msg_id`` stores nothing
    new), with their contact details filled into the profile where it has none; the
    conversation keeps its place in the queue and is marked ``left_message_at``."""
    conv = await actions.check_can_leave_message(
        runtime.db, principal=principal, conversation_id=conversation_id
    )
    given = {"name": body.name, "email": body.email, "phone": body.phone}
    async with runtime.db.read() as session:
        contact = await contacts_service.get(
            session, tenant_id=principal.tenant_id, contact_id=principal.id
        )
        # Details the profile already holds otherwise are not lost: they go with the text.
        differing = {
            k: v for k, v in given.items() if v and getattr(contact, k) not in (None, "", v)
        }
    if conv.with_bot:
        # A message left is for people: the bot hands over first.
        await runtime.bot.request_handoff(principal=principal, conversation_id=conversation_id)
    text = body.text
    if differing:
        labels = {"name": "姓名", "phone": "电话", "email": "邮箱"}
        text += "\n（留言联系方式：" + "，".join(f"{labels[k]} {v}" for k, v in differing.items())
        text += "）"
    client_msg_id = (
        body.client_msg_id or "leave-" + hashlib.sha256(body.text.encode()).hexdigest()[:32]
    )
    ack = await _send(
        runtime,
        principal,
        SendMessageIn(client_msg_id=client_msg_id, content={"type": "text", "text": text}),
        conversation_id=conversation_id,
    )
    detail = await actions.record_left_message(
        runtime.db,
        runtime.bus,
        principal=principal,
        conversation_id=conversation_id,
        contact=given,
    )
    # The tenant may want left messages as tickets (tickets.triggers; never fails this).
    await tickets_triggers.on_left_message(
        runtime.db,
        runtime.bus,
        tenant_id=principal.tenant_id,
        conversation_id=conversation_id,
        text=body.text,
    )
    return LeaveMessageOut(ack=ack, conversation=detail)


@router.post("/{conversation_id}/read")
async def mark_read(
    conversation_id: int, body: ReadIn, principal: PrincipalDep, runtime: RuntimeDep
) -> ReadCursorOut:
    seq = await actions.mark_read(
        runtime.db, runtime.bus, principal=principal, conversation_id=conversation_id, seq=body.seq
    )
    return ReadCursorOut(conversation_id=conversation_id, seq=seq)


@router.get("/{conversation_id}/notes")
async def list_notes(
    conversation_id: int, principal: PrincipalDep, runtime: RuntimeDep
) -> list[NoteOut]:
    """Internal notes, oldest first, for the accounts that may see the conversation (to a
    customer the conversation does not exist here)."""
    if not principal.is_account:
        raise NotFound("conversation not found")
    async with runtime.db.read() as session:
        await service.get(session, principal=principal, conversation_id=conversation_id)
        return await service.list_notes(
            session, tenant_id=principal.tenant_id, conversation_id=conversation_id
        )


@router.post("/{conversation_id}/notes", status_code=201)
async def add_note(
    conversation_id: int, body: NoteIn, principal: PrincipalDep, runtime: RuntimeDep
) -> NoteOut:
    """An internal note for colleagues, shown after the conversation's newest message;
    account sockets that may see the conversation get a ``note.new`` frame."""
    return await actions.add_note(
        runtime.db,
        runtime.bus,
        principal=principal,
        conversation_id=conversation_id,
        text=body.text,
    )
