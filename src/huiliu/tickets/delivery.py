"""How a public comment reaches the customer (docs/tickets.md): written as the agent's
message into the customer's conversation, from where it goes out like any reply; and the
checks of a comment's attachments (this merchant's uploads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.bus.events import Event, MessageCreated
from huiliu.channels.base import adapter_for
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations.models import Conversation, ConversationStatus, SenderType
from huiliu.errors import InvalidInput, NotFound
from huiliu.files import service as files_service
from huiliu.tickets.models import Ticket
from huiliu.tickets.schemas import CommentIn

conversations = cast(Table, Conversation.__table__)


async def check_attachments(
    session: AsyncSession, tenant_id: int, data: CommentIn
) -> list[dict[str, Any]]:
    """Each attachment's upload (of this merchant): its URL, name, type and size."""
    out: list[dict[str, Any]] = []
    for n, item in enumerate(data.attachments):
        where = f"attachments.{n}.url"
        parts = (item.url.path or "").strip("/").split("/")
        stored = None
        if len(parts) == 3 and parts[0] == "files":
            try:
                stored = await files_service.get_by_key(session, key=parts[1])
            except NotFound:
                stored = None
        if stored is None or stored.tenant_id != tenant_id:
            raise InvalidInput(
                f"{where}: not a file uploaded here (POST /api/v1/files)", field=where
            )
        out.append(
            {"url": str(item.url), "name": stored.name, "mime": stored.mime, "size": stored.size}
        )
    return out


async def deliver(
    session: AsyncSession,
    ticket: Ticket,
    principal: Principal,
    text: str,
    attachments: list[dict[str, Any]],
    now: datetime,
) -> tuple[int, int, list[Event]] | None:
    """Write a public comment as the agent's message into the customer's conversation:
    their open one on the ticket's channel (any channel for a ticket without one), else the
    ticket's own conversation when its channel has an adapter (e-mail, WeChat, SMS, API …:
    it goes out through the outbox like any reply). None: no such conversation (a widget
    customer without an open chat); the comment is kept for the customer's ticket view."""
    if ticket.contact_id is None:
        return None
    conn = await session.connection()
    stmt = select(conversations).where(
        conversations.c.tenant_id == ticket.tenant_id,
        conversations.c.contact_id == ticket.contact_id,
        conversations.c.status == ConversationStatus.open.value,
    )
    if ticket.channel is not None:
        stmt = stmt.where(conversations.c.channel == ticket.channel)
    conv = (
        await conn.execute(stmt.order_by(conversations.c.id.desc()).limit(1).with_for_update())
    ).first()
    if (
        conv is None
        and ticket.conversation_id is not None
        and ticket.channel is not None
        and adapter_for(ticket.channel) is not None
    ):
        conv = (
            await conn.execute(
                select(conversations)
                .where(conversations.c.id == ticket.conversation_id)
                .with_for_update()
            )
        ).first()
    if conv is None:
        return None
    contents: list[dict[str, Any]] = [
        {"type": "text", "text": text, "subject": f"[#{ticket.number}] {ticket.subject}"}
    ]
    for item in attachments:
        file: dict[str, Any] = {"type": "file", "url": item["url"], "name": item["name"]}
        file.update({k: item[k] for k in ("size", "mime") if k in item})
        contents.append(file)
    events = await conversations_actions.append_messages(
        conn,
        conv,
        [(SenderType.agent, content) for content in contents],
        now,
        changes={"last_agent_message_at": now},
        sender_id=principal.id,
    )
    first = next(e for e in events if isinstance(e, MessageCreated))
    return conv.id, first.message.id, events
