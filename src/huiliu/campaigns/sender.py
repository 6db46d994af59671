"""Sending campaigns, beside the outbox worker (``huiliu worker``, or in ``huiliu serve``
when the worker runs in-process): every second each running campaign writes its next
recipients (a segment's, in chunks by contact id) and sends what its rate allows.

Exactly once: a delivery's row is unique per campaign, customer and event, and sending it
stores the notice (its conversation, its message, the channel's outbox job) and marks the
row sent in one transaction. A process killed at any moment leaves either both or neither,
and the next run takes the rows still pending. On PostgreSQL, rows are claimed with SKIP
LOCKED and the campaign's row is locked while its rate is counted, so any number of
senders share the work and the rate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.analytics.window import report_timezone
from huiliu.bus import Bus
from huiliu.bus.events import ConversationUpdated, Event, MessageCreated
from huiliu.campaigns import service, templates
from huiliu.campaigns.models import CampaignKind, CampaignStatus, DeliveryStatus
from huiliu.channels import triggers as channel_triggers
from huiliu.contacts import segments
from huiliu.contacts.models import Contact, Segment
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations import proactive
from huiliu.conversations import service as conversations_service
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.conversations.rows import message_out
from huiliu.conversations.schemas import ConversationRef
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.periodic import Periodic
from huiliu.webhooks import triggers as webhook_triggers

log = logging.getLogger(__name__)

OnlineCheck = Callable[[Collection[int]], Awaitable[set[int]]]
contacts = cast(Table, Contact.__table__)
conversations = cast(Table, Conversation.__table__)
message_rows = cast(Table, Message.__table__)
segment_rows = cast(Table, Segment.__table__)
deliveries, campaigns = service.deliveries, service.campaigns
WEB = proactive.WIDGET_CHANNEL
WECHAT = "wechat"
WINDOW = timedelta(minutes=1)
ROWS_PER_INSERT = 1000


def quiet(now: datetime, start: str | None, end: str | None, tz: str) -> datetime | None:
    """When the quiet hours around ``now`` end (None: not quiet now)."""
    if start is None or end is None:
        return None
    local = now.astimezone(ZoneInfo(tz))
    s, e = (datetime.strptime(x, "%H:%M").time() for x in (start, end))
    t = local.time()
    inside = s <= t < e if s < e else (t >= s or t < e)
    if not inside:
        return None
    ends = local.replace(hour=e.hour, minute=e.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(now.tzinfo)


def _insert(conn: AsyncConnection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(deliveries)


async def expand(conn: AsyncConnection, campaign: Any, *, chunk: int, now: datetime) -> int:
    """Write the next ``chunk`` recipients of a segment campaign (the locked row
    ``campaign``); returns how many."""
    segment = (
        await conn.execute(select(segment_rows).where(segment_rows.c.id == campaign.segment_id))
    ).first()
    if segment is None:  # deleted since: nobody more
        await conn.execute(
            update(campaigns).where(campaigns.c.id == campaign.id).values(expanded=True)
        )
        return 0
    tz = await report_timezone(cast(Any, conn), tenant_id=campaign.tenant_id)
    clause = segments.where(
        segments.SegmentFilter.model_validate(segment.filter or {}),
        tenant_id=campaign.tenant_id,
        dialect=conn.dialect.name,
        tz=tz,
    )
    ids = list(
        (
            await conn.execute(
                select(contacts.c.id)
                .where(clause, contacts.c.id > campaign.expand_cursor)
                .order_by(contacts.c.id)
                .limit(chunk)
            )
        )
        .scalars()
        .all()
    )
    for i in range(0, len(ids), ROWS_PER_INSERT):  # drivers cap a statement's parameters
        await conn.execute(
            _insert(conn)
            .values(
                [
                    {
                        "tenant_id": campaign.tenant_id,
                        "campaign_id": campaign.id,
                        "contact_id": cid,
                        "dedupe_key": "",
                        "variables": {},
                        "status": DeliveryStatus.pending.value,
                        "not_before": now,
                        "created_at": now,
                    }
                    for cid in ids[i : i + ROWS_PER_INSERT]
                ]
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "contact_id", "dedupe_key"])
        )
    await conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign.id)
        .values(expand_cursor=ids[-1] if ids else campaign.expand_cursor, expanded=len(ids) < chunk)
    )
    return len(ids)


async def store_notices(
    conn: AsyncConnection, *, tenant_id: int, notices: list[Notice], now: datetime
) -> list[Event]:
    """Store each notice as the merchant's bot's message: into the customer's open
    conversation there, else a conversation of its own, closed at once (a reply opens a
    normal one; it waits in no queue and counts in no report). Fills each notice's
    conversation, message id and seq; returns the events to publish."""
    events: list[Event] = []
    fresh = [n for n in notices if n.target.conversation_id is None]
    for notice in (n for n in notices if n.target.conversation_id is not None):
        conv = await conversations_actions.lock_for_system(
            conn, tenant_id, cast(int, notice.target.conversation_id)
        )
        stored = await conversations_actions.append_messages(
            conn, conv, [(SenderType.bot, notice.content)], now, client_msg_id=notice.client_msg_id
        )
        created = next(e for e in stored if isinstance(e, MessageCreated))
        notice.conversation_id = conv.id
        notice.message_id, notice.seq = created.message.id, created.message.seq
        events += stored
    if not fresh:
        return events
    # The common case, in a few statements for the whole batch.
    conv_ids = (
        (
            await conn.execute(
                insert(conversations).returning(conversations.c.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": tenant_id,
                        "contact_id": n.contact_id,
                        "channel": n.target.channel,
                        "channel_account_id": n.target.channel_account_id,
                        "status": ConversationStatus.closed.value,
                        "with_bot": False,
                        "last_seq": 1,
                        "created_at": now,
                        "last_message_at": now,
                        "closed_at": now,
                    }
                    for n in fresh
                ],
            )
        )
        .scalars()
        .all()
    )
    rows = [
        {
            "tenant_id": tenant_id,
            "conversation_id": cid,
            "seq": 1,
            "sender_type": SenderType.bot.value,
            "sender_id": None,
            "client_msg_id": n.client_msg_id,
            "content_type": n.content["type"],
            "content": n.content,
            "created_at": now,
        }
        for n, cid in zip(fresh, conv_ids, strict=True)
    ]
    message_ids = (
        (
            await conn.execute(
                insert(message_rows).returning(message_rows.c.id, sort_by_parameter_order=True),
                rows,
            )
        )
        .scalars()
        .all()
    )
    stored_rows = list(zip(rows, message_ids, strict=True))
    contact_of = {cid: n.contact_id for n, cid in zip(fresh, conv_ids, strict=True)}
    await webhook_triggers.on_messages(conn, stored_rows, contact_of=contact_of.__getitem__)
    await channel_triggers.on_messages(
        conn, [(r, mid, n.target.channel) for (r, mid), n in zip(stored_rows, fresh, strict=True)]
    )
    details = {
        r.id: conversations_service.detail_of(r)
        for r in await conn.execute(
            conversations_service.detail_select().where(conversations.c.id.in_(list(conv_ids)))
        )
    }
    for n, (row, mid) in zip(fresh, stored_rows, strict=True):
        n.conversation_id, n.message_id, n.seq = row["conversation_id"], mid, 1
        detail = details[row["conversation_id"]]
        ref = ConversationRef(
            id=detail.id,
            contact_id=n.contact_id,
            assignee_id=None,
            group_id=None,
            status=ConversationStatus.closed,
        )
        events.append(
            MessageCreated(tenant_id=tenant_id, conversation=ref, message=message_out(row, mid))
        )
        events.append(ConversationUpdated(tenant_id=tenant_id, conversation=ref, detail=detail))
    return events


@dataclass
class Notice:
    delivery_id: int
    contact_id: int
    target: proactive.Reach
    content: dict[str, Any]
    client_msg_id: str | None = None  # the merchant's id for a message its system sent
    conversation_id: int | None = None
    message_id: int | None = None
    seq: int | None = None


async def send_batch(
    conn: AsyncConnection,
    campaign_id: int,
    *,
    now: datetime,
    batch: int,
    online: OnlineCheck | None = None,
) -> tuple[int, list[Event]]:
    """Send the campaign's next due deliveries, as many as its rate allows this minute (at
    most ``batch``), in ``conn``'s transaction. Returns how many were decided and the events."""
    c = campaigns.c
    campaign = (
        await conn.execute(select(campaigns).where(c.id == campaign_id).with_for_update())
    ).first()
    if campaign is None or campaign.status != CampaignStatus.running.value:
        return 0, []
    window_start, window_sent = campaign.window_start, campaign.window_sent
    if window_start is None or now - window_start >= WINDOW:
        window_start, window_sent = now, 0
    room = min(batch, campaign.rate_per_minute - window_sent)
    if room <= 0:
        return 0, []
    d = deliveries.c
    query = (
        select(deliveries)
        .where(
            d.campaign_id == campaign_id,
            d.status == DeliveryStatus.pending.value,
            d.not_before <= now,
        )
        .order_by(d.id)
        .limit(room)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = (await conn.execute(query)).all()
    if not due:
        return 0, []
    tenant_id = campaign.tenant_id
    template = (
        await conn.execute(
            select(service.templates).where(service.templates.c.id == campaign.template_id)
        )
    ).one()
    settings = await service.get_settings(conn, tenant_id=tenant_id)
    ids = sorted({r.contact_id for r in due})
    people = {r.id: r for r in await conn.execute(select(contacts).where(contacts.c.id.in_(ids)))}
    sent_lately: dict[int, int] = dict(
        (
            await conn.execute(
                select(d.contact_id, func.count())
                .where(
                    d.tenant_id == tenant_id,
                    d.contact_id.in_(ids),
                    d.status == DeliveryStatus.sent.value,
                    d.sent_at >= now - timedelta(days=settings.cap_days),
                )
                .group_by(d.contact_id)
            )
        ).all()
    )
    connected = await online(ids) if online is not None else set()
    reach = await proactive.reach_many(
        conn, tenant_id=tenant_id, contact_ids=ids, online=set(connected), now=now
    )
    allowed = set(campaign.channels or [])
    quiet_until = quiet(now, campaign.quiet_start, campaign.quiet_end, campaign.timezone)
    skipped: list[dict[str, Any]] = []
    deferred: list[int] = []
    notices: list[Notice] = []
    for row in due:
        person = people[row.contact_id]
        if person.marketing_opt_out_at is not None:
            skipped.append({"b_id": row.id, "b_reason": "opted_out"})
            continue
        if sent_lately.get(row.contact_id, 0) >= settings.cap_count:
            skipped.append({"b_id": row.id, "b_reason": "frequency_cap"})
            continue
        options = [
            o
            for o in reach[row.contact_id]
            if o.state != "window_closed" and (not allowed or o.channel in allowed)
        ]
        if template.wechat_template:
            # Past WeChat's 48 hours, a template message still reaches them (last choice).
            options += [
                o.model_copy(update={"state": "reachable", "detail": "a WeChat template message"})
                for o in reach[row.contact_id]
                if o.state == "window_closed"
                and o.channel == WECHAT
                and (not allowed or WECHAT in allowed)
            ]
        if quiet_until is not None:
            # In quiet hours only a silent channel (the widget, an app) goes now.
            silent = [o for o in options if o.channel == WEB]
            if options and not silent:
                deferred.append(row.id)
                continue
            options = silent
        if not options:
            skipped.append({"b_id": row.id, "b_reason": "unreachable"})
            continue
        target = options[0]
        values = dict(row.variables or {})
        fields = {
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "attributes": person.attributes or {},
        }
        content: dict[str, Any] = {
            "type": "text",
            "text": templates.render(template.text, contact=fields, values=values),
        }
        if target.channel == "email" and template.email_subject:
            content["subject"] = templates.render(
                template.email_subject, contact=fields, values=values
            )
        if target.channel == WECHAT and target.detail == "a WeChat template message":
            wechat = template.wechat_template
            content["wechat_template"] = {
                "template_id": wechat["template_id"],
                **(
                    {"url": templates.render(wechat["url"], contact=fields, values=values)}
                    if wechat.get("url")
                    else {}
                ),
                "data": {
                    k: {"value": templates.render(v, contact=fields, values=values)}
                    for k, v in wechat["data"].items()
                },
            }
        notices.append(Notice(row.id, row.contact_id, target, content))
        sent_lately[row.contact_id] = sent_lately.get(row.contact_id, 0) + 1
    events = await store_notices(conn, tenant_id=tenant_id, notices=notices, now=now)
    if skipped:
        await conn.execute(
            update(deliveries)
            .where(d.id == bindparam("b_id"))
            .values(status=DeliveryStatus.skipped.value, reason=bindparam("b_reason")),
            skipped,
        )
    if deferred:
        await conn.execute(
            update(deliveries).where(d.id.in_(deferred)).values(not_before=quiet_until)
        )
    if notices:
        await conn.execute(
            update(deliveries)
            .where(d.id == bindparam("b_id"))
            .values(
                status=DeliveryStatus.sent.value,
                channel=bindparam("b_channel"),
                conversation_id=bindparam("b_conversation"),
                message_id=bindparam("b_message"),
                message_seq=bindparam("b_seq"),
                sent_at=now,
            ),
            [
                {
                    "b_id": n.delivery_id,
                    "b_channel": n.target.channel,
                    "b_conversation": n.conversation_id,
                    "b_message": n.message_id,
                    "b_seq": n.seq,
                }
                for n in notices
            ],
        )
    decided = len(skipped) + len(notices)
    await conn.execute(
        update(campaigns)
        .where(c.id == campaign_id)
        .values(window_start=window_start, window_sent=window_sent + decided)
    )
    return decided + len(deferred), events


class CampaignSender(Periodic):
    name = "campaign-sender"

    def __init__(
        self,
        db: Database,
        bus: Bus | None,
        *,
        every_s: float = 1.0,
        batch: int = 200,
        chunk: int = 5000,
        online: OnlineCheck | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(every_s=every_s)
        self._db, self._bus = db, bus
        self._batch, self._chunk = batch, chunk
        self._online, self._clock = online, clock

    async def once(self) -> int:
        """One round over the running campaigns; returns the deliveries decided."""
        now = self._clock()
        async with self._db.write_connection() as conn:
            await conn.execute(
                update(campaigns)
                .where(
                    campaigns.c.status == CampaignStatus.scheduled.value,
                    campaigns.c.scheduled_at <= now,
                )
                .values(status=CampaignStatus.running.value)
            )
        async with self._db.read() as session:
            running = (
                await session.scalars(
                    select(campaigns.c.id).where(campaigns.c.status == CampaignStatus.running.value)
                )
            ).all()
        decided = 0
        for campaign_id in running:
            try:
                decided += await self._campaign(int(campaign_id), now)
            except Exception:
                log.exception("campaign %s: a round failed; the next one goes on", campaign_id)
        return decided

    async def _campaign(self, campaign_id: int, now: datetime) -> int:
        async with self._db.write_connection() as conn:
            campaign = (
                await conn.execute(
                    select(campaigns).where(campaigns.c.id == campaign_id).with_for_update()
                )
            ).first()
            if (
                campaign is not None
                and campaign.kind == CampaignKind.segment.value
                and not campaign.expanded
            ):
                await expand(conn, campaign, chunk=self._chunk, now=now)
        decided = 0
        while True:
            async with self._db.write_connection() as conn:
                n, events = await send_batch(
                    conn, campaign_id, now=now, batch=self._batch, online=self._online
                )
            if self._bus is not None and events:
                await self._bus.publish(events)
            decided += n
            if n < self._batch:
                break
        await self._finish(campaign_id, now)
        return decided

    async def _finish(self, campaign_id: int, now: datetime) -> None:
        """A segment campaign whose recipients are all written and decided is done."""
        async with self._db.write_connection() as conn:
            campaign = (
                await conn.execute(
                    select(campaigns).where(campaigns.c.id == campaign_id).with_for_update()
                )
            ).first()
            if (
                campaign is None
                or campaign.kind != CampaignKind.segment.value
                or campaign.status != CampaignStatus.running.value
                or not campaign.expanded
            ):
                return
            pending = await conn.scalar(
                select(deliveries.c.id)
                .where(
                    deliveries.c.campaign_id == campaign_id,
                    deliveries.c.status == DeliveryStatus.pending.value,
                )
                .limit(1)
            )
            if pending is None:
                await conn.execute(
                    update(campaigns)
                    .where(campaigns.c.id == campaign_id)
                    .values(status=CampaignStatus.done.value, finished_at=now)
                )
