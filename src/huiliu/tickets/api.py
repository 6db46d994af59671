"""Tickets over REST: agents work the ones they see; supervisors read and admins write the
tenant's ticket settings. docs/tickets.md tells the rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from huiliu.auth.deps import AgentDep, RuntimeDep, SettingsDep
from huiliu.contacts import service as contacts_service
from huiliu.tickets import actions, service
from huiliu.tickets.models import TicketPriority, TicketStatus
from huiliu.tickets.schemas import (
    ChangeOut,
    CommentIn,
    CommentOut,
    FromConversationIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TicketSettings,
    TranscriptOut,
)

router = APIRouter(prefix="/api/v1", tags=["tickets"])


@router.get("/tickets")
async def list_tickets(
    principal: AgentDep,
    runtime: RuntimeDep,
    status: Annotated[list[TicketStatus] | None, Query()] = None,
    priority: Annotated[list[TicketPriority] | None, Query()] = None,
    assignee: Annotated[str | None, Query(description="me, none or an account id")] = None,
    group_id: int | None = None,
    contact_id: int | None = None,
    conversation_id: int | None = None,
    breached: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="subject or #number")] = None,
    sort: Annotated[
        str,
        Query(
            description="created_at, updated_at, number, priority, resolution_due_at, "
            "first_response_due_at; '-' first for descending"
        ),
    ] = "-created_at",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TicketPage:
    """The tickets the caller sees (agents: their groups', assigned to them, made by them)."""
    async with runtime.db.read() as session:
        rows, total = await service.list_tickets(
            session,
            principal=principal,
            status=status or (),
            priority=priority or (),
            assignee=assignee,
            group_id=group_id,
            contact_id=contact_id,
            conversation_id=conversation_id,
            breached=breached,
            q=q,
            sort=sort,
            page=page,
            per_page=per_page,
        )
    return TicketPage(
        tickets=[service.out(t) for t in rows], total=total, page=page, per_page=per_page
    )


@router.post("/tickets", status_code=201)
async def create_ticket(body: TicketIn, principal: AgentDep, runtime: RuntimeDep) -> TicketOut:
    """By hand for a contact (``contact_id`` or a new ``contact``), or from a conversation
    (``conversation_id``: its customer, channel and transcript)."""
    return await actions.create(runtime.db, runtime.bus, principal=principal, data=body)


@router.post("/conversations/{conversation_id}/ticket", status_code=201)
async def create_from_conversation(
    conversation_id: int, body: FromConversationIn, principal: AgentDep, runtime: RuntimeDep
) -> TicketOut:
    """A ticket for the conversation's customer, carrying its transcript (an e-mail
    conversation's ticket has source ``email``)."""
    return await actions.create_from_conversation(
        runtime.db, runtime.bus, principal=principal, conversation_id=conversation_id, data=body
    )


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: int, principal: AgentDep, runtime: RuntimeDep) -> TicketOut:
    """The ticket with its SLA state."""
    async with runtime.db.read() as session:
        return service.out(await service.get(session, principal=principal, ticket_id=ticket_id))


@router.patch("/tickets/{ticket_id}")
async def update_ticket(
    ticket_id: int, body: TicketPatch, principal: AgentDep, runtime: RuntimeDep
) -> TicketOut:
    """Fields and status. ``409 invalid_transition`` for a move the lifecycle forbids,
    ``409 ticket_closed`` on a closed ticket, ``409 reopen_window_passed``."""
    return await actions.update(
        runtime.db, runtime.bus, principal=principal, ticket_id=ticket_id, patch=body
    )


@router.get("/tickets/{ticket_id}/comments")
async def list_comments(
    ticket_id: int, principal: AgentDep, runtime: RuntimeDep
) -> list[CommentOut]:
    async with runtime.db.read() as session:
        ticket = await service.get(session, principal=principal, ticket_id=ticket_id)
        rows = await service.list_comments(session, ticket=ticket)
    return [CommentOut.model_validate(r) for r in rows]


@router.post("/tickets/{ticket_id}/comments", status_code=201)
async def add_comment(
    ticket_id: int, body: CommentIn, principal: AgentDep, runtime: RuntimeDep
) -> CommentOut:
    """Internal (agents only) or public: written into the customer's conversation and sent
    on its channel (docs/tickets.md)."""
    return await actions.add_comment(
        runtime.db, runtime.bus, principal=principal, ticket_id=ticket_id, data=body
    )


@router.get("/tickets/{ticket_id}/history")
async def list_history(ticket_id: int, principal: AgentDep, runtime: RuntimeDep) -> list[ChangeOut]:
    async with runtime.db.read() as session:
        ticket = await service.get(session, principal=principal, ticket_id=ticket_id)
        rows = await service.list_history(session, ticket=ticket)
    return [service.change_out(r) for r in rows]


@router.get("/tickets/{ticket_id}/transcript")
async def get_transcript(ticket_id: int, principal: AgentDep, runtime: RuntimeDep) -> TranscriptOut:
    """The conversation's messages when the ticket was made from it."""
    async with runtime.db.read() as session:
        ticket = await service.get(session, principal=principal, ticket_id=ticket_id)
        row = await service.get_transcript(session, ticket=ticket)
    return TranscriptOut(
        conversation_id=row.conversation_id, created_at=row.created_at, messages=row.messages
    )


@router.get("/contacts/{contact_id}/tickets")
async def contact_tickets(
    contact_id: int, principal: AgentDep, runtime: RuntimeDep
) -> list[TicketOut]:
    """The customer's tickets the caller sees, newest first (the workbench's customer panel)."""
    async with runtime.db.read() as session:
        await contacts_service.get(session, tenant_id=principal.tenant_id, contact_id=contact_id)
        rows, _total = await service.list_tickets(
            session, principal=principal, contact_id=contact_id, per_page=100
        )
    return [service.out(t) for t in rows]


@router.get("/tenant/tickets")
async def get_settings(principal: AgentDep, runtime: RuntimeDep) -> TicketSettings:
    async with runtime.db.read() as session:
        return await service.get_settings(session, tenant_id=principal.tenant_id)


@router.put("/tenant/tickets")
async def put_settings(
    body: TicketSettings, principal: SettingsDep, runtime: RuntimeDep
) -> TicketSettings:
    """Categories, custom fields, the SLA policy, the reopen window, left messages as
    tickets. New SLA targets apply to tickets created or re-prioritized after."""
    async with runtime.db.write() as session:
        return await service.put_settings(session, tenant_id=principal.tenant_id, settings=body)
