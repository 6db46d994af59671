"""Replies going out on a conversation's channel: the outbox handler of the
``channel.deliver`` jobs that ``channels.triggers`` queues.

``deliver`` reads what the job's ids point at, asks the adapter to send (outside any
transaction), logs the outcome in ``channel_events`` and tells the agents
(``delivery.updated``) when a message went out or could not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.bus.events import DeliveryUpdated
from huiliu.channels import service
from huiliu.channels.base import Adapter, Outgoing, Recipient, Sent, Services, adapter_for
from huiliu.channels.models import ChannelEvent, Direction, EventStatus
from huiliu.contacts import service as contacts_service
from huiliu.conversations.models import Conversation, ConversationStatus, Message
from huiliu.conversations.rows import message_out
from huiliu.conversations.schemas import ConversationRef
from huiliu.outbox.registry import Context, Job, Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Prepared:
    event_id: int
    ref: ConversationRef
    adapter: Adapter
    outgoing: Outgoing | None
    refusal: str | None  # why it cannot go out at all


async def deliver(ctx: Context, job: Job) -> Outcome:
    """The outbox handler of ``channel.deliver``."""
    prepared = await _prepare(ctx, job)
    if isinstance(prepared, Outcome):
        return prepared
    if prepared.outgoing is None:
        sent = Sent.failed(prepared.refusal or "cannot be delivered")
    else:
        try:
            sent = await prepared.adapter.deliver(
                Services(ctx.db, ctx.http, ctx.settings), prepared.outgoing
            )
        except Exception as exc:  # an adapter's bug must not lose the message
            log.exception("channel %s: delivering job %d failed", prepared.adapter.channel, job.id)
            sent = Sent.retry(f"{type(exc).__name__}: {exc}")
    return await _finish(ctx, job, prepared, sent)


async def _prepare(ctx: Context, job: Job) -> _Prepared | Outcome:
    message_id = int(job.payload["message_id"])
    async with ctx.db.write() as session:
        conv = await session.get(Conversation, int(job.payload["conversation_id"]))
        row = await session.get(Message, message_id)
        if conv is None or row is None or conv.tenant_id != job.tenant_id:
            return Outcome.failed("the message or its conversation is gone")
        adapter = adapter_for(conv.channel)
        if adapter is None or conv.channel_account_id is None:
            return Outcome.failed(f"conversation {conv.id} has no channel account to reply on")
        account = await service.get(
            session, tenant_id=conv.tenant_id, account_id=conv.channel_account_id
        )
        event = await service.outbound_for_message(session, message_id=message_id)
        if event is not None and event.status in (EventStatus.sent, EventStatus.failed):
            return Outcome.done({"status": event.status.value})  # an earlier run finished it
        if event is None:
            event = ChannelEvent(
                tenant_id=conv.tenant_id,
                channel_account_id=account.id,
                direction=Direction.outbound,
                external_id=str(message_id),
                message_id=message_id,
                conversation_id=conv.id,
                status=EventStatus.pending,
            )
            session.add(event)
            await session.flush()
        ref = ConversationRef(
            id=conv.id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
            status=ConversationStatus(conv.status),
        )
        if not account.active:
            refusal = f"the channel account {account.name!r} is switched off"
            return _Prepared(event.id, ref, adapter, None, refusal)
        identity_channel = adapter.identity_channel(account.config)
        identities = await contacts_service.list_identities(
            session, tenant_id=conv.tenant_id, contact_id=conv.contact_id
        )
        external = next((i.external_id for i in identities if i.channel == identity_channel), None)
        if external is None:
            refusal = f"the customer has no {identity_channel} identity to reply to"
            return _Prepared(event.id, ref, adapter, None, refusal)
        contact = await contacts_service.get(
            session, tenant_id=conv.tenant_id, contact_id=conv.contact_id
        )
        outgoing = Outgoing(
            tenant_id=conv.tenant_id,
            account_id=account.id,
            config=dict(account.config),
            conversation_id=conv.id,
            message=message_out(_row_of(row), row.id),
            recipient=Recipient(
                contact_id=contact.id,
                external_id=external,
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
            ),
            thread=await _thread(session, account.id, conv.id),
        )
        return _Prepared(event.id, ref, adapter, outgoing, None)


async def _finish(ctx: Context, job: Job, prepared: _Prepared, sent: Sent) -> Outcome:
    final = sent.status != "retry" or job.attempt >= ctx.settings.outbox_max_attempts
    status = {
        "sent": EventStatus.sent,
        "failed": EventStatus.failed,
        "retry": EventStatus.failed if final else EventStatus.pending,
    }[sent.status]
    async with ctx.db.write() as session:
        await service.finish_event(
            session, event_id=prepared.event_id, status=status, error=sent.error, raw=sent.raw
        )
        if sent.external_id:
            await session.execute(
                update(ChannelEvent)
                .where(ChannelEvent.id == prepared.event_id)
                .values(channel_message_id=sent.external_id[:255])
            )
    if status is not EventStatus.pending and ctx.bus is not None:
        await ctx.bus.publish(
            [
                DeliveryUpdated(
                    tenant_id=job.tenant_id,
                    conversation=prepared.ref,
                    message_id=int(job.payload["message_id"]),
                    status=status.value,
                    error=sent.error,
                )
            ]
        )
    if sent.status == "sent":
        return Outcome.done({"channel_message_id": sent.external_id})
    if sent.status == "failed":
        return Outcome.failed(sent.error or "refused by the channel")
    return Outcome.retry(sent.error or "the channel could not be reached")


def _row_of(row: Message) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "seq": row.seq,
        "sender_type": row.sender_type.value,
        "sender_id": row.sender_id,
        "client_msg_id": row.client_msg_id,
        "content": row.content,
        "created_at": row.created_at,
    }


async def _thread(session: AsyncSession, account_id: int, conversation_id: int) -> list[str]:
    """The channel ids of the customer's messages in this conversation, oldest first (an
    e-mail reply's References), then of what went out to them."""
    rows = await session.execute(
        select(ChannelEvent.direction, ChannelEvent.external_id, ChannelEvent.channel_message_id)
        .where(
            ChannelEvent.channel_account_id == account_id,
            ChannelEvent.conversation_id == conversation_id,
        )
        .order_by(ChannelEvent.id)
    )
    out: list[str] = []
    for direction, external_id, channel_message_id in rows:
        if direction == Direction.inbound:
            out.append(external_id)
        elif channel_message_id:
            out.append(channel_message_id)
    return out
