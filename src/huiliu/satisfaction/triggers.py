"""What asks for a rating when a conversation closes: an agent's close
(``conversations.actions.close``) and the idle close (``routing.timeouts``) call
``on_closed`` in the transaction that closes it, holding the conversation's row lock."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.bus.events import Event
from huiliu.conversations import actions as conversations_actions
from huiliu.satisfaction import actions, service
from huiliu.satisfaction.settings import SatisfactionSettings

CloseTrigger = Literal["agent_close", "timeout_close"]


async def on_closed(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    conversation_id: int,
    trigger: CloseTrigger,
    now: datetime,
    settings: SatisfactionSettings | None = None,
) -> list[Event]:
    """Ask the customer of the conversation just closed, when the tenant's settings say so
    and the conversation can carry it and was not asked before; the events to publish after
    commit (none when nothing was asked). ``settings``: the tenant's, when the caller has
    them (a sweep closing many)."""
    if settings is None:
        settings = await service.get_settings(conn, tenant_id=tenant_id)
    if not settings.asks_on(trigger):
        return []
    conv = await conversations_actions.lock_for_system(conn, tenant_id, conversation_id)
    if conv is None or actions.via_for(conv.channel) is None:
        return []
    if not settings.ask_bot_only and not actions.served_by_person(conv):
        return []
    if not actions.window_open(conv, now):
        return []  # the channel would refuse it
    if await service.get_by_conversation(conn, conversation_id=conv.id) is not None:
        return []  # asked on request already (answered or not)
    return await actions.ask(conn, conv, settings=settings, trigger=trigger, now=now)
