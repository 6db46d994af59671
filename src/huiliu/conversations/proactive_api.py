"""An agent reaches out to a customer first (docs/profile.md, "Proactive messages")."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, select

from huiliu.auth.deps import AgentDep, IntegrationDep, RuntimeDep
from huiliu.campaigns.sender import Notice, store_notices
from huiliu.contacts import access as contacts_access
from huiliu.contacts import service as contacts_service
from huiliu.contacts.models import USER_CHANNEL
from huiliu.conversations import proactive
from huiliu.conversations import service as conversations_service
from huiliu.conversations.content import check_content
from huiliu.conversations.models import Conversation, Message, SenderType
from huiliu.conversations.schemas import Ack, ConversationOut
from huiliu.conversations.writer import SendRequest
from huiliu.db.base import utcnow
from huiliu.errors import NotFound

router = APIRouter(prefix="/api/v1/contacts", tags=["conversations"])
conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)


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


# -- the merchant's system ----------------------------------------------------------------


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=60, description="yours: sending it again is safe")
    content: dict[str, Any]
    channel: str | None = Field(default=None, max_length=32)
    channel_account_id: int | None = Field(default=None, ge=1)


class NoticeOut(BaseModel):
    contact_id: int
    conversation_id: int
    message_id: int
    seq: int
    reach: proactive.Reach | None = Field(
        description="how the customer was reached (null: a resend)"
    )
    duplicate: bool


integration = APIRouter(prefix="/api/v1/integration", tags=["integration"])


@integration.post("/customers/{user_id}/messages", status_code=201)
async def notify(
    user_id: Annotated[str, Path(min_length=1, max_length=200)],
    body: NoticeIn,
    principal: IntegrationDep,
    runtime: RuntimeDep,
    response: Response,
) -> NoticeOut:
    """A service message from the merchant's system (an order ready for pick-up, a reply
    to a form) to the customer it knows as ``user_id``, the best way there is (or the one
    asked for), as the merchant's bot: into their open conversation, else a conversation of
    its own; a reply opens a normal one. Not marketing: consent and caps do not apply
    (campaigns are for notices; docs/campaigns.md). ``200`` with ``duplicate`` for an ``id``
    sent before; ``409 unreachable`` with why."""
    settings = runtime.settings
    content = check_content(
        body.content,
        max_text_length=settings.max_text_length,
        max_card_bytes=settings.max_card_bytes,
    )
    tenant_id, key = principal.tenant_id, f"integration:{body.id}"
    async with runtime.db.write() as session:
        contact = await contacts_service.get_or_create_by_identity(
            session, tenant_id=tenant_id, channel=USER_CHANNEL, external_id=user_id, verified=True
        )
        await session.flush()
        conn = await session.connection()
        prior = (
            await conn.execute(
                select(messages.c.id, messages.c.conversation_id, messages.c.seq)
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .where(
                    conversations.c.tenant_id == tenant_id,
                    conversations.c.contact_id == contact.id,
                    messages.c.client_msg_id == key,
                    messages.c.sender_type == SenderType.bot.value,
                )
            )
        ).first()
        if prior is not None:
            response.status_code = 200
            return NoticeOut(
                contact_id=contact.id,
                conversation_id=prior.conversation_id,
                message_id=prior.id,
                seq=prior.seq,
                reach=None,
                duplicate=True,
            )
        online = await runtime.presence.visitors_online([contact.id])
        options = await proactive.reach_many(
            conn, tenant_id=tenant_id, contact_ids=[contact.id], online=set(online), now=utcnow()
        )
        target = proactive.choose(
            options[contact.id], channel=body.channel, channel_account_id=body.channel_account_id
        )
        notice = Notice(0, contact.id, target, content, client_msg_id=key)
        events = await store_notices(conn, tenant_id=tenant_id, notices=[notice], now=utcnow())
        contact_id = contact.id
    await runtime.bus.publish(events)
    assert notice.conversation_id is not None  # store_notices filled them
    assert notice.message_id is not None
    return NoticeOut(
        contact_id=contact_id,
        conversation_id=notice.conversation_id,
        message_id=notice.message_id,
        seq=notice.seq or 1,
        reach=target,
        duplicate=False,
    )
