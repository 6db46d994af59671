"""The message writer: every message is stored here, many per transaction (group commit).

Senders submit a ``SendRequest`` and await its future; a single task per process takes every
request waiting, stores the lot in one transaction and resolves each future with its ack only
after the commit. Per batch it runs a fixed handful of statements whatever the batch size:
lock the conversations (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), look up
resent ``client_msg_id``s, insert the new messages with their ``seq``s, move ``last_seq``.
A request that fails its checks fails alone; a batch that fails as a whole is retried one
request at a time, so one bad request never takes the others down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Select,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu import metrics
from huiliu.analytics import triggers as analytics_triggers
from huiliu.auth.principal import Principal
from huiliu.bus.events import Event, MessageCreated
from huiliu.campaigns import tracking as campaign_tracking
from huiliu.channels import triggers as channel_triggers
from huiliu.channels.base import reply_window_s
from huiliu.contacts.models import Contact
from huiliu.conversations import access, service
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.conversations.rows import ack, insert_messages, message_created, message_out
from huiliu.conversations.schemas import Ack, ConversationRef, MessageOut
from huiliu.db import Database
from huiliu.db.base import UTCDateTime, utcnow
from huiliu.errors import AppError, Conflict, Forbidden, NotFound
from huiliu.routing.models import Group
from huiliu.routing.settings import RoutingSettings
from huiliu.tenants.models import Tenant
from huiliu.webhooks import triggers

log = logging.getLogger(__name__)

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
groups = cast(Table, Group.__table__)
tenants = cast(Table, Tenant.__table__)
contacts = cast(Table, Contact.__table__)


@dataclass(slots=True)
class SendRequest:
    principal: Principal
    content: dict[str, Any]
    conversation_id: int | None = None  # None: the visitor's open conversation, opened if none
    client_msg_id: str | None = None
    channel: str = "web"
    # The merchant's account on ``channel`` the customer wrote to (a WeChat official
    # account, a mailbox); a new conversation remembers it and replies go out through it.
    channel_account_id: int | None = None
    # A machine wrote it (an out-of-office reply, a bounce, a PBX's call record): stored and
    # routed like any customer's message, but the bot neither greets nor answers it, so two
    # automatic responders never talk to each other; a conversation it opens goes to the
    # queue at once.
    automated: bool = False
    future: asyncio.Future[Ack] = field(init=False)


@dataclass(slots=True)
class _ConvState:
    ref: ConversationRef
    tenant_id: int
    last_seq: int
    channel: str
    last_contact_at: datetime | None
    with_bot: bool = False
    touched: bool = False
    agent_wrote: bool = False
    agent_wrote_before: bool = False  # a person had answered before this batch
    contact_wrote: bool = False


@dataclass(slots=True, frozen=True)
class Stored:
    """A customer's message (or a conversation's 'opened' event) just committed, for the
    in-process reactions: the bot's answer, agent assist."""

    tenant_id: int
    conversation: ConversationRef
    with_bot: bool
    message: MessageOut


@dataclass(slots=True, frozen=True)
class _SameAs:
    """A resend inside one batch: answered by the ack of the batch's ``row``-th new message."""

    row: int


def _lock_statement(*, sqlite: bool) -> Select[Any]:
    """The batch's conversations, locked (``FOR UPDATE``; on SQLite the write transaction
    is the lock), with on SQLite the newest message id (see ``insert_messages``)."""
    top_id = (
        select(func.coalesce(func.max(messages.c.id), 0)).scalar_subquery()
        if sqlite
        else literal(0)
    )
    return (
        select(
            conversations.c.id,
            conversations.c.tenant_id,
            conversations.c.contact_id,
            conversations.c.assignee_id,
            conversations.c.group_id,
            conversations.c.status,
            conversations.c.last_seq,
            conversations.c.with_bot,
            conversations.c.channel,
            conversations.c.last_contact_message_at,
            conversations.c.last_agent_message_at,
            top_id.label("top_message_id"),
        )
        .where(conversations.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(conversations.c.id)
        .with_for_update()
    )


# The writer's statements, built once: building one (and its cache key, a fresh column type
# in it most of all) cost more than running it.
_LOCK = {sqlite: _lock_statement(sqlite=sqlite) for sqlite in (False, True)}
# The rows of client_msg_ids sent before, in the batch's conversations (step 3 of _store).
_RESENT = select(
    messages.c.id,
    messages.c.conversation_id,
    messages.c.seq,
    messages.c.sender_type,
    messages.c.sender_id,
    messages.c.client_msg_id,
).where(
    messages.c.conversation_id.in_(bindparam("ids", expanding=True)),
    messages.c.client_msg_id.in_(bindparam("wanted", expanding=True)),
)
_AT = bindparam("b_at", type_=UTCDateTime())
# Each touched conversation's last_seq and the times of its latest messages, one executemany.
_TOUCH = (
    update(conversations)
    .where(conversations.c.id == bindparam("b_id"))
    .values(
        last_seq=bindparam("b_seq"),
        last_message_at=_AT,
        last_agent_message_at=case(
            (bindparam("b_agent", type_=Boolean()), _AT),
            else_=conversations.c.last_agent_message_at,
        ),
        last_contact_message_at=case(
            (bindparam("b_contact", type_=Boolean()), _AT),
            else_=conversations.c.last_contact_message_at,
        ),
    )
)


class StoreFailed(AppError):
    status = 503
    code = "store_failed"


Publisher = Callable[[Sequence[Event]], Awaitable[None]]


class MessageWriter:
    def __init__(
        self,
        db: Database,
        publish: Publisher,
        *,
        batch_size: int = 256,
        queue_limit: int = 20_000,
        on_opened: Callable[[int, int | None], None] | None = None,
        on_stored: Callable[[list[Stored]], None] | None = None,
        online: triggers.OnlineCheck | None = None,
    ) -> None:
        self._queue_limit = queue_limit
        # Which customers hold a socket (an agent's message to one who does not is pushed).
        self._online = online
        self._db = db
        self._publish = publish
        # Called with (tenant id, group id) when a conversation opens, after commit.
        self._on_opened = on_opened
        # Called with the customers' messages and new conversations, after commit.
        self._on_stored = on_stored
        self._batch_size = batch_size
        self._queue: asyncio.Queue[SendRequest] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="message-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            request = self._queue.get_nowait()
            if not request.future.done():
                request.future.set_exception(StoreFailed("server shutting down; resend"))

    def submit(self, request: SendRequest) -> asyncio.Future[Ack]:
        request.future = asyncio.get_running_loop().create_future()
        if self._task is None or self._task.done():
            request.future.set_exception(StoreFailed("message writer is not running"))
        elif self._queue.qsize() >= self._queue_limit:
            # Overloaded: refuse now rather than let the backlog (and every ack) grow without
            # bound. The sender resends with the same client_msg_id after a pause.
            metrics.SEND_REJECTED.labels("busy").inc()
            request.future.set_exception(
                StoreFailed("server busy; resend in a moment", code="busy")
            )
        else:
            self._queue.put_nowait(request)
        return request.future

    async def send(self, request: SendRequest) -> Ack:
        return await self.submit(request)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # One turn of the event loop lets every socket with a frame already read queue
            # it, so concurrent senders share the transaction (and its fsync).
            await asyncio.sleep(0)
            while len(batch) < self._batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._store_and_publish(batch)
            except Exception:
                log.warning("batch of %d failed; storing one by one", len(batch), exc_info=True)
                for request in batch:
                    try:
                        await self._store_and_publish([request])
                    except Exception as exc:
                        log.exception("storing a message failed")
                        if not request.future.done():
                            request.future.set_exception(StoreFailed(f"could not store: {exc}"))

    async def _store_and_publish(self, batch: list[SendRequest]) -> None:
        started = time.perf_counter()
        results, events, opened, stored = await self._store(batch)
        metrics.WRITER_COMMIT_SECONDS.observe(time.perf_counter() - started)
        metrics.WRITER_BATCH.observe(len(batch))
        metrics.MESSAGES_STORED.inc(
            sum(1 for e in events if e.message.sender.type != SenderType.system)
        )
        for request, result in zip(batch, results, strict=True):
            if isinstance(result, AppError):
                metrics.SEND_REJECTED.labels(result.code).inc()
            if request.future.done():  # the sender went away
                continue
            if isinstance(result, AppError):
                request.future.set_exception(result)
            else:
                request.future.set_result(result)
        if events:
            try:
                await self._publish(events)
            except Exception:
                # Stored and acked; subscribers refill from the database by seq.
                log.exception("publishing %d events failed", len(events))
        if self._on_opened is not None:
            for tenant_id, group_id in opened:
                self._on_opened(tenant_id, group_id)
        if self._on_stored is not None and stored:
            try:
                self._on_stored(stored)
            except Exception:
                log.exception("reacting to %d stored messages failed", len(stored))

    async def _store(
        self, batch: list[SendRequest]
    ) -> tuple[
        list[Ack | AppError], list[MessageCreated], set[tuple[int, int | None]], list[Stored]
    ]:
        now = utcnow()
        results: list[Ack | AppError | _SameAs | None] = [None] * len(batch)
        new_rows: list[dict[str, Any]] = []
        owners: list[int] = []  # for each new row, the request it answers
        opened_events: list[tuple[dict[str, Any], int]] = []  # (row, id) of 'opened' events
        opened_queues: set[tuple[int, int | None]] = set()  # (tenant, group) of new ones
        async with self._db.write_connection(urgent=True) as conn:
            # 1. Visitors writing without a conversation: find or open one.
            conv_ids: list[int | None] = [r.conversation_id for r in batch]
            opened: dict[tuple[int, int, str], int] = {}
            for i, request in enumerate(batch):
                if conv_ids[i] is None:
                    p = request.principal
                    key = (p.tenant_id, p.id, request.channel)
                    if key not in opened:
                        try:
                            cid, created, group_id, bot = await _open_conversation(
                                conn,
                                p,
                                request.channel,
                                now,
                                request.channel_account_id,
                                bot_allowed=not request.automated,
                            )
                        except AppError as exc:
                            results[i] = exc
                            continue
                        opened[key] = cid
                        if created is not None:
                            opened_events.append(created)
                            if not bot:  # the bot serves it first; a handoff queues it
                                opened_queues.add((p.tenant_id, group_id))
                    conv_ids[i] = opened[key]
            ids = sorted({cid for cid in conv_ids if cid is not None})
            # 2. Lock the conversations, in id order so two writers never deadlock. On
            # SQLite the same round trip reads the newest message id (see insert_messages).
            sqlite = conn.dialect.name == "sqlite"
            rows = (await conn.execute(_LOCK[sqlite], {"ids": ids})).all()
            states = {
                row.id: _ConvState(
                    ref=ConversationRef(
                        id=row.id,
                        contact_id=row.contact_id,
                        assignee_id=row.assignee_id,
                        group_id=row.group_id,
                        status=ConversationStatus(row.status),
                    ),
                    tenant_id=row.tenant_id,
                    last_seq=row.last_seq,
                    channel=row.channel,
                    last_contact_at=row.last_contact_message_at,
                    with_bot=bool(row.with_bot),
                    agent_wrote_before=row.last_agent_message_at is not None,
                )
                for row in rows
            }
            # 3. Resent client_msg_ids answer with the row stored the first time.
            # Two IN lists over the unique index's leading columns (conversation_id,
            # client_msg_id): one index probe per pair, however long the conversations are.
            wanted = {r.client_msg_id for r in batch if r.client_msg_id is not None}
            existing: dict[tuple[int, str, int, str], Ack] = {}
            if wanted:
                found = await conn.execute(_RESENT, {"ids": ids, "wanted": sorted(wanted)})
                for m in found:
                    existing[(m.conversation_id, m.sender_type, m.sender_id, m.client_msg_id)] = (
                        Ack(
                            client_msg_id=m.client_msg_id,
                            message_id=m.id,
                            conversation_id=m.conversation_id,
                            seq=m.seq,
                        )
                    )
            # 4. Check each request and give the new ones their seqs.
            pending_dupes: dict[tuple[int, str, int, str], int] = {}
            for i, request in enumerate(batch):
                maybe_cid = conv_ids[i]
                if maybe_cid is None:  # could not open one; the error is already in results
                    continue
                cid = maybe_cid
                p = request.principal
                state = states.get(cid)
                # The rule alone decides the common case; only a refusal looks up whether
                # the agent serves the customer (then it may read, and is told it cannot
                # write rather than that the conversation does not exist).
                if state is None or (
                    not access.can_see(
                        p,
                        tenant_id=state.tenant_id,
                        contact_id=state.ref.contact_id,
                        assignee_id=state.ref.assignee_id,
                        group_id=state.ref.group_id,
                    )
                    and not await service.visible(
                        conn,
                        p,
                        tenant_id=state.tenant_id,
                        contact_id=state.ref.contact_id,
                        assignee_id=state.ref.assignee_id,
                        group_id=state.ref.group_id,
                    )
                ):
                    results[i] = NotFound("conversation not found", field="conversation_id")
                    continue
                sender_type = SenderType.contact if p.is_visitor else SenderType.agent
                if request.client_msg_id is not None:
                    dupe_key = (cid, sender_type.value, p.id, request.client_msg_id)
                    if dupe_key in existing:
                        metrics.RESENDS_ANSWERED.inc()
                        results[i] = existing[dupe_key]
                        continue
                    if dupe_key in pending_dupes:
                        results[i] = _SameAs(pending_dupes[dupe_key])
                        continue
                if state.ref.status != ConversationStatus.open:
                    results[i] = Conflict("the conversation is closed", code="conversation_closed")
                    continue
                if not access.can_write(
                    p,
                    tenant_id=state.tenant_id,
                    contact_id=state.ref.contact_id,
                    assignee_id=state.ref.assignee_id,
                    group_id=state.ref.group_id,
                ):
                    results[i] = Forbidden(
                        access.write_denied_reason(p, assignee_id=state.ref.assignee_id)
                    )
                    continue
                if not p.is_visitor and (refusal := _outside_window(state, now)) is not None:
                    results[i] = refusal
                    continue
                state.last_seq += 1
                state.touched = True
                state.agent_wrote = state.agent_wrote or sender_type is SenderType.agent
                state.contact_wrote = state.contact_wrote or sender_type is SenderType.contact
                if request.client_msg_id is not None:
                    pending_dupes[(cid, sender_type.value, p.id, request.client_msg_id)] = len(
                        new_rows
                    )
                new_rows.append(
                    {
                        "tenant_id": state.tenant_id,
                        "conversation_id": cid,
                        "seq": state.last_seq,
                        "sender_type": sender_type.value,
                        "sender_id": p.id,
                        "client_msg_id": request.client_msg_id,
                        "content_type": request.content["type"],
                        "content": request.content,
                        "created_at": now,
                    }
                )
                owners.append(i)
            # 5. Store, then move each conversation's last_seq and, in the same statement,
            # the times of the agent's and the customer's latest messages.
            message_ids: list[int] = []
            if new_rows:
                top = rows[0].top_message_id if sqlite and rows else None
                message_ids = await insert_messages(conn, new_rows, top=top)
                touched = [
                    {
                        "b_id": cid,
                        "b_seq": s.last_seq,
                        "b_at": now,
                        "b_agent": s.agent_wrote,
                        "b_contact": s.contact_wrote,
                    }
                    for cid, s in states.items()
                    if s.touched
                ]
                await conn.execute(_TOUCH, touched)
            # 6. Webhook deliveries and offline pushes, in this transaction; for a merchant
            # without endpoints, a cached lookup and nothing more.
            await triggers.on_messages(
                conn,
                [*opened_events, *zip(new_rows, message_ids, strict=True)],
                contact_of=lambda cid: states[cid].ref.contact_id,
                online=self._online,
            )
            # 7. Agents' replies into WeChat, e-mail, SMS … conversations go out through the
            # outbox; for the widget and apps (no adapter) a dict lookup and nothing more.
            await channel_triggers.on_messages(
                conn,
                [
                    (row, message_id, states[row["conversation_id"]].channel)
                    for row, message_id in zip(new_rows, message_ids, strict=True)
                    if row["sender_type"] == SenderType.agent.value
                ],
            )
            # 8. The report fold, for events and a person's first reply only.
            await analytics_triggers.on_messages(
                conn,
                [*opened_events, *zip(new_rows, message_ids, strict=True)],
                first_reply=lambda cid: not states[cid].agent_wrote_before,
            )
            # 9. A customer opening a conversation answers the notices they got lately.
            for tenant_id, contact_ids in _by_tenant(
                (row["tenant_id"], states[row["conversation_id"]].ref.contact_id)
                for row, _ in opened_events
            ).items():
                await campaign_tracking.on_opened(
                    conn, tenant_id=tenant_id, contact_ids=contact_ids, now=now
                )
        # Committed: build the acks and the events (from values this function made and the
        # database just accepted, so without validating them again).
        acks_by_row: list[Ack] = []
        events: list[MessageCreated] = []
        stored: list[Stored] = []
        for row, message_id in opened_events:
            state = states[row["conversation_id"]]
            out = message_out(row, message_id)
            events.append(message_created(state.tenant_id, state.ref, out))
            stored.append(Stored(state.tenant_id, state.ref, state.with_bot, out))
        for row_index, (row, message_id) in enumerate(zip(new_rows, message_ids, strict=True)):
            acks_by_row.append(
                ack(row["client_msg_id"], message_id, row["conversation_id"], row["seq"])
            )
            state = states[row["conversation_id"]]
            out = message_out(row, message_id)
            events.append(message_created(state.tenant_id, state.ref, out))
            automated = batch[owners[row_index]].automated
            if row["sender_type"] == SenderType.contact.value and not automated:
                stored.append(Stored(state.tenant_id, state.ref, state.with_bot, out))
        for row_index, owner in enumerate(owners):
            results[owner] = acks_by_row[row_index]
        final: list[Ack | AppError] = []
        for result in results:
            if isinstance(result, _SameAs):
                final.append(acks_by_row[result.row])
            else:
                assert result is not None
                final.append(result)
        return final, events, opened_queues, stored


def _outside_window(state: _ConvState, now: datetime) -> AppError | None:
    """An agent's reply refused because the channel allows replies only so long after the
    customer's last message (WeChat's and Weibo's 48 hours)."""
    window = reply_window_s(state.channel)
    if window is None:
        return None
    last = state.last_contact_at
    if last is not None and (now - last).total_seconds() <= window:
        return None
    span = f"{window / 3600:g} hours" if window >= 3600 else f"{window:g} seconds"
    return Conflict(
        f"{state.channel} accepts replies only within {span} of the customer's last "
        "message; wait for them to write again, or reach them on another channel",
        code="reply_window_closed",
    )


def _by_tenant(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = {}
    for tenant_id, contact_id in pairs:
        grouped.setdefault(tenant_id, set()).add(contact_id)
    return grouped


async def _open_conversation(
    conn: AsyncConnection,
    principal: Principal,
    channel: str,
    now: datetime,
    channel_account_id: int | None = None,
    *,
    bot_allowed: bool = True,
) -> tuple[int, tuple[dict[str, Any], int] | None, int | None, bool]:
    """The visitor's open conversation on ``channel``, or a new one with its 'opened' event
    (returned as the stored row and its id, to be published after commit), its group, and
    whether the bot serves it first."""
    if not principal.is_visitor:
        raise NotFound("conversation_id is required", field="conversation_id")
    found = await conn.scalar(
        select(conversations.c.id).where(
            conversations.c.tenant_id == principal.tenant_id,
            conversations.c.contact_id == principal.id,
            conversations.c.channel == channel,
            conversations.c.status == ConversationStatus.open.value,
        )
    )
    if found is not None:
        return int(found), None, None, False
    # A new conversation waits in its channel's group or the tenant's default one, with the
    # priority the tenant's rules give this customer and channel.
    group_id = None
    for group in await conn.execute(
        select(groups.c.id, groups.c.is_default, groups.c.channels)
        .where(groups.c.tenant_id == principal.tenant_id)
        .order_by(groups.c.id)
    ):
        if channel in (group.channels or []):
            group_id = group.id  # the channel's own group wins …
            break
        if group.is_default and group_id is None:
            group_id = group.id  # … over the default one
    routing, bot = (
        await conn.execute(
            select(tenants.c.routing, tenants.c.bot).where(tenants.c.id == principal.tenant_id)
        )
    ).one()
    with_bot = bot_allowed and bool((bot or {}).get("enabled"))
    attributes = await conn.scalar(
        select(contacts.c.attributes).where(contacts.c.id == principal.id)
    )
    priority = RoutingSettings.model_validate(routing or {}).priority_for(
        channel=channel, attributes=attributes or {}
    )
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                insert(conversations)
                .values(
                    tenant_id=principal.tenant_id,
                    contact_id=principal.id,
                    channel=channel,
                    channel_account_id=channel_account_id,
                    status=ConversationStatus.open.value,
                    group_id=group_id,
                    priority=priority,
                    queued_at=now if group_id is not None and not with_bot else None,
                    with_bot=with_bot,
                    last_seq=1,
                    created_at=now,
                    last_message_at=now,
                )
                .returning(conversations.c.id)
            )
            cid = int(result.scalar_one())
            row: dict[str, Any] = {
                "tenant_id": principal.tenant_id,
                "conversation_id": cid,
                "seq": 1,
                "sender_type": SenderType.system.value,
                "sender_id": None,
                "client_msg_id": None,
                "content_type": "event",
                "content": {"type": "event", "event": "opened"},
                "created_at": now,
            }
            inserted = await conn.execute(insert(messages).values(**row).returning(messages.c.id))
            return cid, (row, int(inserted.scalar_one())), group_id, with_bot
    except IntegrityError:
        # Another process opened it a moment ago (the partial unique index); use theirs.
        found = await conn.scalar(
            select(conversations.c.id).where(
                conversations.c.tenant_id == principal.tenant_id,
                conversations.c.contact_id == principal.id,
                conversations.c.channel == channel,
                conversations.c.status == ConversationStatus.open.value,
            )
        )
        if found is None:
            raise
        return int(found), None, None, False
