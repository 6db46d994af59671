"""What became of a notice once sent: read (the customer's read cursor passed it) and
replied (the customer opened a conversation within three days), and the customer saying
no to more (a reply of 退订, TD or STOP on the channel the notice came by)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.campaigns.models import DeliveryStatus
from huiliu.campaigns.service import deliveries
from huiliu.contacts.models import Contact

REPLY_WINDOW = timedelta(days=3)
# A reply that is only one of these (trimmed, any case) opts the customer out.
OPT_OUT_WORDS = frozenset({"退订", "TD", "T", "STOP", "UNSUBSCRIBE", "取消订阅", "退订营销"})
contacts = cast(Table, Contact.__table__)


async def on_read(conn: AsyncConnection, *, conversation_id: int, seq: int, now: datetime) -> None:
    """The customer has read ``conversation_id`` up to ``seq``."""
    d = deliveries.c
    await conn.execute(
        update(deliveries)
        .where(
            d.conversation_id == conversation_id,
            d.message_seq <= seq,
            d.read_at.is_(None),
            d.status == DeliveryStatus.sent.value,
        )
        .values(read_at=now)
    )


async def on_opened(
    conn: AsyncConnection, *, tenant_id: int, contact_ids: Iterable[int], now: datetime
) -> None:
    """These customers opened conversations: notices sent to them lately are replied."""
    ids = sorted(set(contact_ids))
    if not ids:
        return
    d = deliveries.c
    await conn.execute(
        update(deliveries)
        .where(
            d.tenant_id == tenant_id,
            d.contact_id.in_(ids),
            d.status == DeliveryStatus.sent.value,
            d.sent_at >= now - REPLY_WINDOW,
            d.replied_at.is_(None),
        )
        .values(replied_at=now)
    )


def is_opt_out(text: str) -> bool:
    return text.strip().upper() in OPT_OUT_WORDS


async def opt_out(conn: AsyncConnection, *, tenant_id: int, contact_id: int, now: datetime) -> bool:
    """Mark the customer opted out (once); True if they were not already."""
    result = await conn.execute(
        update(contacts)
        .where(
            contacts.c.id == contact_id,
            contacts.c.tenant_id == tenant_id,
            contacts.c.marketing_opt_out_at.is_(None),
        )
        .values(marketing_opt_out_at=now)
    )
    return bool(result.rowcount)


async def latest_notice(
    conn: AsyncConnection, *, tenant_id: int, contact_id: int, channel: str
) -> int | None:
    """The conversation of the newest notice that reached the customer on ``channel`` (an
    opt-out word is their answer to it, not a question for an agent), or None."""
    d = deliveries.c
    found = await conn.scalar(
        select(d.conversation_id)
        .where(
            d.tenant_id == tenant_id,
            d.contact_id == contact_id,
            d.channel == channel,
            d.status == DeliveryStatus.sent.value,
        )
        .order_by(d.sent_at.desc(), d.id.desc())
        .limit(1)
    )
    return int(found) if found is not None else None
