"""Reading campaigns, their templates and deliveries; the merchant's marketing settings."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignTemplate,
    DeliveryStatus,
    MarketingSettingsRow,
)
from huiliu.campaigns.schemas import (
    CampaignDeliveryOut,
    CampaignDeliveryPage,
    CampaignOut,
    Counts,
    MarketingSettings,
)
from huiliu.channels.models import ChannelEvent, Direction, EventStatus
from huiliu.db.base import scoped, utcnow
from huiliu.errors import NotFound

Executor = AsyncSession | AsyncConnection
deliveries = cast(Table, CampaignDelivery.__table__)
campaigns = cast(Table, Campaign.__table__)
templates = cast(Table, CampaignTemplate.__table__)
settings_rows = cast(Table, MarketingSettingsRow.__table__)
channel_events = cast(Table, ChannelEvent.__table__)


async def get_settings(executor: Executor, *, tenant_id: int) -> MarketingSettings:
    stored = await executor.scalar(
        select(settings_rows.c.settings).where(settings_rows.c.tenant_id == tenant_id)
    )
    return MarketingSettings.model_validate(stored or {})


async def put_settings(
    session: AsyncSession, *, tenant_id: int, settings: MarketingSettings
) -> MarketingSettings:
    row = await session.get(MarketingSettingsRow, tenant_id)
    data = settings.model_dump(mode="json")
    if row is None:
        session.add(MarketingSettingsRow(tenant_id=tenant_id, settings=data, updated_at=utcnow()))
    else:
        row.settings = data
        row.updated_at = utcnow()
    return settings


async def get_template(
    session: AsyncSession, *, tenant_id: int, template_id: int
) -> CampaignTemplate:
    row = (
        await session.scalars(
            scoped(select(CampaignTemplate), CampaignTemplate, tenant_id).where(
                CampaignTemplate.id == template_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("template not found", field="template_id")
    return row


async def list_templates(session: AsyncSession, *, tenant_id: int) -> list[CampaignTemplate]:
    stmt = scoped(select(CampaignTemplate), CampaignTemplate, tenant_id).order_by(
        CampaignTemplate.id
    )
    return list(await session.scalars(stmt))


async def get(session: AsyncSession, *, tenant_id: int, campaign_id: int) -> Campaign:
    row = (
        await session.scalars(
            scoped(select(Campaign), Campaign, tenant_id).where(Campaign.id == campaign_id)
        )
    ).first()
    if row is None:
        raise NotFound("campaign not found")
    return row


async def list_campaigns(session: AsyncSession, *, tenant_id: int) -> list[Campaign]:
    stmt = scoped(select(Campaign), Campaign, tenant_id).order_by(Campaign.id.desc())
    return list(await session.scalars(stmt))


async def counts(executor: Executor, campaign_ids: list[int]) -> dict[int, Counts]:
    """Each campaign's deliveries by status (and skips by reason), read, replied."""
    found: dict[int, Counts] = {cid: Counts() for cid in campaign_ids}
    if not campaign_ids:
        return found
    d = deliveries.c
    rows = await executor.execute(
        select(
            d.campaign_id,
            d.status,
            d.reason,
            func.count(),
            func.count(d.read_at),
            func.count(d.replied_at),
        )
        .where(d.campaign_id.in_(campaign_ids))
        .group_by(d.campaign_id, d.status, d.reason)
    )
    for campaign_id, status, reason, n, read, replied in rows.all():
        c = found[campaign_id]
        setattr(c, DeliveryStatus(status).value, getattr(c, DeliveryStatus(status).value) + n)
        c.read += read
        c.replied += replied
        if status == DeliveryStatus.skipped.value and reason:
            c.skipped_by[reason] = c.skipped_by.get(reason, 0) + n
    # What became of the sent ones on their channel: the outbound event of each notice's
    # message (the widget and apps have none: a stored notice is theirs already).
    e = channel_events.c
    outcome = (
        select(d.campaign_id, d.channel, e.status, func.count())
        .select_from(
            deliveries.outerjoin(
                channel_events,
                (e.message_id == d.message_id) & (e.direction == Direction.outbound.value),
            )
        )
        .where(d.campaign_id.in_(campaign_ids), d.status == DeliveryStatus.sent.value)
        .group_by(d.campaign_id, d.channel, e.status)
    )
    for campaign_id, channel, event_status, n in (await executor.execute(outcome)).all():
        c = found[campaign_id]
        if event_status == EventStatus.sent.value or (event_status is None and channel == "web"):
            c.delivered += n
        elif event_status == EventStatus.failed.value:
            c.undelivered += n
    return found


def out(row: Campaign, counts: Counts) -> CampaignOut:
    return CampaignOut(
        id=row.id,
        name=row.name,
        template_id=row.template_id,
        kind=row.kind,
        segment_id=row.segment_id,
        event=row.event,
        status=row.status,
        channels=list(row.channels or []),
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        timezone=row.timezone,
        rate_per_minute=row.rate_per_minute,
        scheduled_at=row.scheduled_at,
        expanded=row.expanded,
        recipients=counts.pending + counts.sent + counts.skipped + counts.failed,
        counts=counts,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


async def list_deliveries(
    session: AsyncSession,
    *,
    campaign_id: int,
    status: DeliveryStatus | None,
    page: int,
    per_page: int,
) -> CampaignDeliveryPage:
    d = deliveries.c
    where: list[Any] = [d.campaign_id == campaign_id]
    if status is not None:
        where.append(d.status == status.value)
    total = int(
        await session.scalar(select(func.count()).select_from(deliveries).where(*where)) or 0
    )
    rows = await session.execute(
        select(deliveries)
        .where(*where)
        .order_by(d.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return CampaignDeliveryPage(
        deliveries=[CampaignDeliveryOut.model_validate(r) for r in rows.all()], total=total
    )
