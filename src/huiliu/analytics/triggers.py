"""What sets the report fold off: an outbox job ``analytics.conversation`` (ordered per
conversation) in the transaction of every change a report counts — a system event (opened,
handoff, assigned, transferred, closed), a person's first reply, a survey asked or answered.
The job recomputes the conversation's facts from its raw rows (``analytics.fold``), so a job
run twice, or one for a change already folded, changes nothing.

Every place that stores messages calls ``on_messages`` before it commits, beside the webhook
and channel triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.outbox import service as outbox_service
from huiliu.outbox.service import NewJob

KIND = "analytics.conversation"


def _job(tenant_id: int, conversation_id: int) -> NewJob:
    return NewJob(
        tenant_id=tenant_id,
        kind=KIND,
        payload={"conversation_id": conversation_id},
        ref_id=conversation_id,  # ordered per conversation (runtime.outbox_handlers)
    )


async def on_messages(
    conn: AsyncConnection,
    stored: Sequence[tuple[dict[str, Any], int]],
    *,
    first_reply: Callable[[int], bool] | None = None,
) -> None:
    """Queue one fold per conversation among ``stored`` (row, message id) whose messages
    change its facts: a system event, or an agent's message when ``first_reply(conversation
    id)`` says the conversation had none before (no ``first_reply``: every agent message)."""
    wanted: dict[int, int] = {}
    for row, _message_id in stored:
        cid = row["conversation_id"]
        if cid in wanted:
            continue
        if row["content_type"] == "event" or (
            row["sender_type"] == "agent" and (first_reply is None or first_reply(cid))
        ):
            wanted[cid] = row["tenant_id"]
    if wanted:
        await outbox_service.enqueue_many(conn, [_job(t, c) for c, t in wanted.items()])


async def conversation_changed(
    conn: AsyncConnection, *, tenant_id: int, conversation_id: int
) -> None:
    """Queue a fold for a change made outside the messages (a survey asked or answered)."""
    await outbox_service.enqueue_many(conn, [_job(tenant_id, conversation_id)])
