"""Channel accounts and their event log: reads and small writes taking a session."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete as delete_
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.channels.base import Adapter, adapter_for
from huiliu.channels.models import (
    RAW_CHARS,
    ChannelAccount,
    ChannelEvent,
    Direction,
    EventStatus,
)
from huiliu.conversations.models import Conversation
from huiliu.db.base import scoped, utcnow
from huiliu.errors import InvalidInput, NotFound

MAX_ACCOUNTS = 50  # per merchant


def adapter_of(channel: str) -> Adapter:
    adapter = adapter_for(channel)
    if adapter is None:
        raise InvalidInput(f"unknown channel type {channel!r}", field="type")
    return adapter


async def list_accounts(
    session: AsyncSession, *, tenant_id: int, channel: str | None = None
) -> list[ChannelAccount]:
    stmt = scoped(select(ChannelAccount), ChannelAccount, tenant_id).order_by(ChannelAccount.id)
    if channel is not None:
        stmt = stmt.where(ChannelAccount.type == channel)
    return list((await session.scalars(stmt)).all())


async def get(session: AsyncSession, *, tenant_id: int, account_id: int) -> ChannelAccount:
    account = await session.scalar(
        scoped(select(ChannelAccount), ChannelAccount, tenant_id).where(
            ChannelAccount.id == account_id
        )
    )
    if account is None:
        raise NotFound("channel account not found")
    return account


async def get_by_token(session: AsyncSession, *, channel: str, token: str) -> ChannelAccount:
    """The account an inbound push is for (its URL carries the token); inactive ones too,
    so their pushes can be answered and logged as refused."""
    account = await session.scalar(
        select(ChannelAccount).where(ChannelAccount.token == token, ChannelAccount.type == channel)
    )
    if account is None:
        raise NotFound("unknown channel account")
    return account


async def create(
    session: AsyncSession, *, tenant_id: int, channel: str, name: str, config: dict[str, Any]
) -> ChannelAccount:
    count = len(await list_accounts(session, tenant_id=tenant_id))
    if count >= MAX_ACCOUNTS:
        raise InvalidInput(f"at most {MAX_ACCOUNTS} channel accounts per merchant")
    account = ChannelAccount(
        tenant_id=tenant_id,
        type=channel,
        name=name,
        token=secrets.token_urlsafe(18),
        config=config,
        active=True,
    )
    session.add(account)
    await session.flush()
    return account


async def find_event(
    session: AsyncSession, *, account_id: int, direction: Direction, external_id: str
) -> ChannelEvent | None:
    found: ChannelEvent | None = await session.scalar(
        select(ChannelEvent).where(
            ChannelEvent.channel_account_id == account_id,
            ChannelEvent.direction == direction,
            ChannelEvent.external_id == external_id,
        )
    )
    return found


async def record_inbound(
    session: AsyncSession, *, account: ChannelAccount, external_id: str, raw: str
) -> ChannelEvent | None:
    """Log an inbound event once; None when it was logged already (the channel retried)."""
    event = ChannelEvent(
        tenant_id=account.tenant_id,
        channel_account_id=account.id,
        direction=Direction.inbound,
        external_id=external_id[:255],
        status=EventStatus.received,
        raw=raw[:RAW_CHARS] or None,
    )
    try:
        async with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None
    return event


async def finish_event(
    session: AsyncSession,
    *,
    event_id: int,
    status: EventStatus,
    message_id: int | None = None,
    conversation_id: int | None = None,
    error: str | None = None,
    raw: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": utcnow(), "error": error}
    if message_id is not None:
        values["message_id"] = message_id
    if conversation_id is not None:
        values["conversation_id"] = conversation_id
    if raw:
        values["raw"] = raw[:RAW_CHARS]
    await session.execute(update(ChannelEvent).where(ChannelEvent.id == event_id).values(**values))


async def outbound_for_message(session: AsyncSession, *, message_id: int) -> ChannelEvent | None:
    found: ChannelEvent | None = await session.scalar(
        select(ChannelEvent).where(
            ChannelEvent.message_id == message_id, ChannelEvent.direction == Direction.outbound
        )
    )
    return found


async def list_events(
    session: AsyncSession, *, tenant_id: int, account_id: int, limit: int
) -> list[ChannelEvent]:
    stmt = (
        scoped(select(ChannelEvent), ChannelEvent, tenant_id)
        .where(ChannelEvent.channel_account_id == account_id)
        .order_by(ChannelEvent.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def delivery_states(
    session: AsyncSession, *, tenant_id: int, conversation_id: int
) -> list[ChannelEvent]:
    """The outbound deliveries of a conversation's messages (the workbench shows failures)."""
    stmt = scoped(select(ChannelEvent), ChannelEvent, tenant_id).where(
        ChannelEvent.conversation_id == conversation_id,
        ChannelEvent.direction == Direction.outbound,
    )
    return list((await session.scalars(stmt)).all())


async def in_use(session: AsyncSession, *, account_id: int) -> bool:
    found = await session.scalar(
        select(Conversation.id).where(Conversation.channel_account_id == account_id).limit(1)
    )
    return found is not None


async def delete(session: AsyncSession, *, account: ChannelAccount) -> None:
    await session.execute(
        delete_(ChannelEvent).where(ChannelEvent.channel_account_id == account.id)
    )
    await session.delete(account)
