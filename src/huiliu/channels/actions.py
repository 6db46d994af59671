"""Inbound: what an adapter's route hands over becomes a message in the one pipeline.

``receive`` logs the channel's event once (a retried push is recognised by the channel's
own id), finds the one contact behind the sender (merging by the identities the channel
vouches for), and stores the message through the message writer like any customer's
message — so the bot, routing, agent assist and every socket see it as they see the
widget's. A push retried before the first one was stored (a crash between the two) is
stored then, once: the writer's ``client_msg_id`` is the event's id.

A customer's text that answers their open satisfaction survey ("5 很好", on the channels that
reply with a number) is taken by ``satisfaction.replies`` instead: stored in the surveyed
conversation with the event, in one transaction; it opens nothing and the bot never sees it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from huiliu.auth.principal import Principal
from huiliu.bus.events import MessageCreated
from huiliu.campaigns import tracking as campaign_tracking
from huiliu.channels import service
from huiliu.channels.base import Inbound
from huiliu.channels.models import ChannelAccount, Direction, EventStatus
from huiliu.contacts import service as contacts_service
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations.content import check_content
from huiliu.conversations.models import SenderType
from huiliu.conversations.writer import SendRequest
from huiliu.db.base import utcnow
from huiliu.errors import AppError
from huiliu.satisfaction import replies as satisfaction_replies

if TYPE_CHECKING:  # the runtime imports the adapters, which import this
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    status: Literal["stored", "duplicate", "rejected", "ignored"]
    conversation_id: int | None = None
    message_id: int | None = None
    seq: int | None = None
    error: str | None = None


async def receive(runtime: Runtime, account: ChannelAccount, inbound: Inbound) -> Received:
    """Store one inbound message from ``account``; safe to call again for a retried push."""
    tenant_id = account.tenant_id
    async with runtime.db.write() as session:
        event = await service.record_inbound(
            session, account=account, external_id=inbound.external_id, raw=inbound.raw
        )
        if event is None:
            prior = await service.find_event(
                session,
                account_id=account.id,
                direction=Direction.inbound,
                external_id=inbound.external_id[:255],
            )
            assert prior is not None  # the unique key said it exists
            if prior.status is not EventStatus.received:
                return Received(
                    "duplicate", prior.conversation_id, prior.message_id, error=prior.error
                )
            event = prior  # logged but never stored (a crash in between): store it now
        event_id = event.id
        sender = inbound.sender
        contact = await contacts_service.resolve_channel_identity(
            session,
            tenant_id=tenant_id,
            channel=sender.channel,
            external_id=sender.external_id,
            merge_keys=sender.merge_keys,
            profile={"name": sender.name, "email": sender.email, "phone": sender.phone},
        )
        contact_id = contact.id
    settings = runtime.settings
    try:
        content = check_content(
            inbound.content,
            max_text_length=settings.max_text_length,
            max_card_bytes=settings.max_card_bytes,
            allow_event=inbound.trusted,
        )
        answered = await _survey_answer(runtime, account, inbound, content, contact_id, event_id)
        if answered is None:
            answered = await _opt_out(runtime, account, inbound, content, contact_id, event_id)
        if answered is not None:
            return answered
        ack = await runtime.writer.send(
            SendRequest(
                principal=Principal(kind="visitor", tenant_id=tenant_id, id=contact_id),
                content=content,
                channel=account.type,
                channel_account_id=account.id,
                client_msg_id=f"channel-event:{event_id}",
                automated=inbound.automated,
            )
        )
    except AppError as exc:
        log.info("channel %s account %d refused %s: %s", account.type, account.id, event_id, exc)
        async with runtime.db.write() as session:
            await service.finish_event(
                session, event_id=event_id, status=EventStatus.rejected, error=exc.detail
            )
        return Received("rejected", error=exc.detail)
    async with runtime.db.write() as session:
        await service.finish_event(
            session,
            event_id=event_id,
            status=EventStatus.stored,
            message_id=ack.message_id,
            conversation_id=ack.conversation_id,
        )
    return Received("stored", ack.conversation_id, ack.message_id, ack.seq)


async def _survey_answer(
    runtime: Runtime,
    account: ChannelAccount,
    inbound: Inbound,
    content: dict[str, Any],
    contact_id: int,
    event_id: int,
) -> Received | None:
    """The inbound text as its sender's survey answer, when it is one."""
    if inbound.automated or content.get("type") != "text" or content.get("button_id"):
        return None
    async with runtime.db.write() as session:
        reply = await satisfaction_replies.take(
            await session.connection(),
            tenant_id=account.tenant_id,
            account_id=account.id,
            contact_id=contact_id,
            text=str(content["text"]),
            now=utcnow(),
        )
        if reply is None:
            return None
        await service.finish_event(
            session,
            event_id=event_id,
            status=EventStatus.stored,
            message_id=reply.message_id,
            conversation_id=reply.conversation_id,
        )
    await runtime.bus.publish(reply.events)
    return Received("stored", reply.conversation_id, reply.message_id, reply.seq)


OPTED_OUT = "您已退订营销消息，我们不会再向您发送此类通知。如需帮助，回复任意内容联系客服。"


async def _opt_out(
    runtime: Runtime,
    account: ChannelAccount,
    inbound: Inbound,
    content: dict[str, Any],
    contact_id: int,
    event_id: int,
) -> Received | None:
    """A reply of 退订 (TD, STOP …) to a notice that came on this channel opts the customer
    out of marketing: stored with the bot's confirmation in that notice's conversation,
    opening none for an agent."""
    text = str(content.get("text") or "")
    if inbound.automated or content.get("type") != "text" or not campaign_tracking.is_opt_out(text):
        return None
    now = utcnow()
    async with runtime.db.write_connection() as conn:
        notice = await campaign_tracking.latest_notice(
            conn, tenant_id=account.tenant_id, contact_id=contact_id, channel=account.type
        )
        if notice is None:
            return None  # not an answer to us: an agent reads it like any message
        await campaign_tracking.opt_out(
            conn, tenant_id=account.tenant_id, contact_id=contact_id, now=now
        )
        conv = await conversations_actions.lock_for_system(conn, account.tenant_id, notice)
        events = await conversations_actions.append_messages(
            conn,
            conv,
            [(SenderType.contact, content), (SenderType.bot, {"type": "text", "text": OPTED_OUT})],
            now,
            sender_id=contact_id,
        )
    first = next(e for e in events if isinstance(e, MessageCreated))
    async with runtime.db.write() as session:
        await service.finish_event(
            session,
            event_id=event_id,
            status=EventStatus.stored,
            message_id=first.message.id,
            conversation_id=notice,
        )
    await runtime.bus.publish(events)
    return Received("stored", notice, first.message.id, first.message.seq)


async def ignore(runtime: Runtime, account: ChannelAccount, external_id: str, raw: str) -> None:
    """Log an inbound event that carries nothing to store (a channel's own notice), once."""
    async with runtime.db.write() as session:
        event = await service.record_inbound(
            session, account=account, external_id=external_id, raw=raw
        )
        if event is not None:
            await service.finish_event(session, event_id=event.id, status=EventStatus.ignored)
