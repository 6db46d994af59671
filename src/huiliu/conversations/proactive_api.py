"""An agent reaches out to a customer first (docs/profile.md, "Proactive messages")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from huiliu.auth.deps import AgentDep, RuntimeDep
from huiliu.contacts import access as contacts_access
from huiliu.conversations import proactive
from huiliu.conversations import service as conversations_service
from huiliu.conversations.content import check_content
from huiliu.conversations.schemas import Ack, ConversationOut
from huiliu.conversations.writer import SendRequest
from huiliu.db.base import utcnow
from huiliu.errors import NotFound

router = APIRouter(prefix="/api/v1/contacts", tags=["conversations"])


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: dict[str, Any] = Field(description="the first message, any content an agent sends")
    channel: str | None = Field(
        default=None, max_length=32, description="where to reach them; null: the best way"
    )
    channel_account_id: int | None = Field(default=None, ge=1)
    client_msg_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="resending it stores nothing new"
    )


class Started(BaseModel):
    conversation: ConversationOut
    ack: Ack
    reach: proactive.Reach = Field(description="how the customer was reached")
    opened: bool = Field(description="false: the message went into a conversation already open")


async def _online(runtime: Any, contact_id: int) -> bool:
    return contact_id in await runtime.presence.visitors_online([contact_id])


@router.get("/{contact_id}/reach")
async def get_reach(
    contact_id: int, principal: AgentDep, runtime: RuntimeDep
) -> list[proactive.Reach]:
    """Where the customer can be reached now, best first (``best`` marks it)."""
    if not contacts_access.can_see(principal, tenant_id=principal.tenant_id):
        raise NotFound("contact not found")
    online = await _online(runtime, contact_id)
    async with runtime.db.read() as session:
        return await proactive.reach(
            await session.connection(),
            tenant_id=principal.tenant_id,
            contact_id=contact_id,
            online=online,
            now=utcnow(),
        )


@router.post("/{contact_id}/conversations", status_code=201)
async def start(
    contact_id: int, body: StartIn, principal: AgentDep, runtime: RuntimeDep
) -> Started:
    """Reach out to the customer: the message goes into their open conversation, or a new
    one on the best channel (or the one asked for), served by the caller. ``409
    unreachable`` says why when there is no way."""
    if not contacts_access.can_edit(principal, tenant_id=principal.tenant_id):
        raise NotFound("contact not found")
    settings = runtime.settings
    content = check_content(
        body.content,
        max_text_length=settings.max_text_length,
        max_card_bytes=settings.max_card_bytes,
    )
    online = await _online(runtime, contact_id)
    async with runtime.db.write_connection() as conn:
        now = utcnow()
        options = await proactive.reach(
            conn, tenant_id=principal.tenant_id, contact_id=contact_id, online=online, now=now
        )
        target = proactive.choose(
            options, channel=body.channel, channel_account_id=body.channel_account_id
        )
        cid, opened, events = await proactive.open_for(
            conn, principal, contact_id=contact_id, target=target, now=now
        )
    await runtime.bus.publish(events)
    ack = await runtime.writer.send(
        SendRequest(
            principal=principal,
            content=content,
            conversation_id=cid,
            client_msg_id=body.client_msg_id,
        )
    )
    async with runtime.db.read() as session:
        conversation = await conversations_service.get_detail(
            session, tenant_id=principal.tenant_id, conversation_id=cid
        )
    return Started(conversation=conversation, ack=ack, reach=target, opened=opened)
