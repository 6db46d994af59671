"""What stored messages set off on the channels: for each message an agent, the bot or the
system wrote into a conversation whose channel has an adapter (WeChat, e-mail, SMS …; not
the widget and apps, whose customers read over the socket), an outbox job
``channel.deliver`` in the transaction that stores it (``channels.outbound`` runs it).

Every place that stores messages calls ``on_messages`` before it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.channels.base import adapter_for
from huiliu.outbox import service as outbox_service
from huiliu.outbox.service import NewJob

KIND = "channel.deliver"
OUT_SENDERS = {"agent", "bot", "system"}


def wanted(channel: str, row: dict[str, Any]) -> bool:
    """Whether a stored message goes out on ``channel``: an agent's or the bot's, or a menu
    the system offers; never the system's own events (assigned, closed …)."""
    if adapter_for(channel) is None:
        return False
    return row["sender_type"] in OUT_SENDERS and row["content_type"] != "event"


async def on_messages(
    conn: AsyncConnection, stored: Sequence[tuple[dict[str, Any], int, str]]
) -> None:
    """Queue a delivery for each (row, message id, channel) that goes out."""
    jobs = [
        NewJob(
            tenant_id=row["tenant_id"],
            kind=KIND,
            payload={"message_id": message_id, "conversation_id": row["conversation_id"]},
            # Ordered by conversation (runtime.outbox_handlers): replies arrive in order.
            ref_id=row["conversation_id"],
        )
        for row, message_id, channel in stored
        if wanted(channel, row)
    ]
    if jobs:
        await outbox_service.enqueue_many(conn, jobs)
