"""Changing templates and campaigns, and the merchant's events: check, then store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.campaigns import service, templates
from huiliu.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignTemplate,
    DeliveryStatus,
)
from huiliu.campaigns.schemas import (
    CampaignIn,
    CampaignPatch,
    EventDelivery,
    EventIn,
    EventOut,
    TemplateIn,
    TemplatePatch,
    event_values,
)
from huiliu.channels.base import adapters
from huiliu.contacts import profile
from huiliu.contacts import service as contacts_service
from huiliu.contacts.models import USER_CHANNEL, Segment
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, InvalidInput

MAX_TEMPLATES = 200
MAX_CAMPAIGNS = 500
WEB = "web"


# -- templates --------------------------------------------------------------------------------


async def _check_template(session: AsyncSession, tenant_id: int, data: dict[str, Any]) -> None:
    fields = (await profile.get_settings(session, tenant_id=tenant_id)).fields
    wechat = data.get("wechat_template") or {}
    texts = {"text": data["text"], "email_subject": data.get("email_subject")}
    texts |= {f"wechat_template.data.{k}": v for k, v in (wechat.get("data") or {}).items()}
    if wechat.get("url"):
        texts["wechat_template.url"] = wechat["url"]
    templates.check(
        texts,
        variables=data.get("variables") or [],
        profile_keys=[f.key for f in fields],
    )


async def _flush(session: AsyncSession, what: str, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a {what} named {name!r} exists", field="name") from None


async def create_template(
    session: AsyncSession, *, tenant_id: int, body: TemplateIn
) -> CampaignTemplate:
    await _check_template(session, tenant_id, body.model_dump(mode="json"))
    held = await session.scalar(
        select(func.count())
        .select_from(CampaignTemplate)
        .where(CampaignTemplate.tenant_id == tenant_id)
    )
    if int(held or 0) >= MAX_TEMPLATES:
        raise InvalidInput(
            f"a merchant keeps at most {MAX_TEMPLATES} templates", code="limit_reached"
        )
    row = CampaignTemplate(tenant_id=tenant_id, **body.model_dump(mode="json"))
    session.add(row)
    await _flush(session, "template", body.name)
    return row


async def update_template(
    session: AsyncSession, *, tenant_id: int, template_id: int, body: TemplatePatch
) -> CampaignTemplate:
    row = await service.get_template(session, tenant_id=tenant_id, template_id=template_id)
    given = body.model_dump(mode="json", include=body.model_fields_set)
    merged = {
        "text": row.text,
        "email_subject": row.email_subject,
        "wechat_template": row.wechat_template,
        "variables": list(row.variables or []),
        **given,
    }
    await _check_template(session, tenant_id, merged)
    for key in body.model_fields_set:
        value = given[key]
        if key == "email_subject" and value == "":
            value = None
        if key in ("name", "scenario", "text") and value is None:
            continue
        setattr(row, key, value)
    row.updated_at = utcnow()
    await _flush(session, "template", row.name)
    return row


async def delete_template(session: AsyncSession, *, tenant_id: int, template_id: int) -> None:
    row = await service.get_template(session, tenant_id=tenant_id, template_id=template_id)
    used = await session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.template_id == row.id)
    )
    if used:
        raise Conflict(f"{used} campaign(s) use this template", code="template_in_use")
    await session.delete(row)


# -- campaigns --------------------------------------------------------------------------------


def known_channels() -> set[str]:
    return {WEB} | {a.channel for a in adapters() if a.channel != "phone"}


async def _check_campaign(session: AsyncSession, tenant_id: int, row: Campaign) -> None:
    unknown = sorted(set(row.channels or []) - known_channels())
    if unknown:
        listed = ", ".join(sorted(known_channels()))
        raise InvalidInput(f"channels: {unknown[0]!r} is not one of {listed}", field="channels")
    template = await service.get_template(session, tenant_id=tenant_id, template_id=row.template_id)
    if row.kind is CampaignKind.segment and template.variables:
        raise InvalidInput(
            f"the template needs an event's {', '.join(template.variables)}, which a segment "
            "campaign has none of: use a triggered campaign, or a template without variables",
            field="template_id",
        )
    if row.kind is CampaignKind.segment:
        segment = await session.get(Segment, row.segment_id)
        if segment is None or segment.tenant_id != tenant_id:
            raise InvalidInput("no such segment", field="segment_id")


async def create(session: AsyncSession, *, principal: Principal, body: CampaignIn) -> Campaign:
    tenant_id = principal.tenant_id
    held = await session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.tenant_id == tenant_id)
    )
    if int(held or 0) >= MAX_CAMPAIGNS:
        raise InvalidInput(
            f"a merchant keeps at most {MAX_CAMPAIGNS} campaigns", code="limit_reached"
        )
    values = body.model_dump(exclude_none=True)
    row = Campaign(
        tenant_id=tenant_id,
        created_by=principal.id if principal.is_account else None,
        status=CampaignStatus.draft,
        **values,
    )
    await _check_campaign(session, tenant_id, row)
    session.add(row)
    await session.flush()
    return row


async def update_campaign(
    session: AsyncSession, *, tenant_id: int, campaign_id: int, body: CampaignPatch
) -> Campaign:
    row = await service.get(session, tenant_id=tenant_id, campaign_id=campaign_id)
    if row.status not in (CampaignStatus.draft, CampaignStatus.paused, CampaignStatus.scheduled):
        raise Conflict(
            f"a {row.status.value} campaign is not changed; pause it first",
            code="invalid_transition",
        )
    for key in body.model_fields_set:
        value = getattr(body, key)
        if key in ("name", "template_id", "timezone", "rate_per_minute") and value is None:
            continue
        if key == "channels":
            value = value or []
        setattr(row, key, value)
    if row.kind is CampaignKind.triggered and (row.segment_id or row.scheduled_at):
        raise InvalidInput("a triggered campaign has no segment_id nor scheduled_at", field="kind")
    if row.kind is CampaignKind.segment and row.event is not None:
        raise InvalidInput("a segment campaign has no event", field="event")
    await _check_campaign(session, tenant_id, row)
    return row


# Which moves a campaign makes, and into what.
MOVES: dict[str, tuple[tuple[CampaignStatus, ...], CampaignStatus]] = {
    "start": ((CampaignStatus.draft,), CampaignStatus.running),
    "pause": ((CampaignStatus.running, CampaignStatus.scheduled), CampaignStatus.paused),
    "resume": ((CampaignStatus.paused,), CampaignStatus.running),
    "cancel": (
        (
            CampaignStatus.draft,
            CampaignStatus.scheduled,
            CampaignStatus.running,
            CampaignStatus.paused,
        ),
        CampaignStatus.cancelled,
    ),
}


async def move(session: AsyncSession, *, tenant_id: int, campaign_id: int, action: str) -> Campaign:
    row = await service.get(session, tenant_id=tenant_id, campaign_id=campaign_id)
    allowed, target = MOVES[action]
    if row.status not in allowed:
        listed = ", ".join(s.value for s in allowed)
        raise Conflict(
            f"{action} takes a campaign that is {listed}; this one is {row.status.value}",
            code="invalid_transition",
        )
    now = utcnow()
    if target is CampaignStatus.running:
        if row.kind is CampaignKind.segment and row.segment_id is None:
            raise Conflict("its segment was deleted: choose another first", code="no_segment")
        if row.scheduled_at is not None and row.scheduled_at > now:
            target = CampaignStatus.scheduled
        row.started_at = row.started_at or now
    if target is CampaignStatus.cancelled:
        await session.execute(
            update(service.deliveries)
            .where(
                service.deliveries.c.campaign_id == row.id,
                service.deliveries.c.status == DeliveryStatus.pending.value,
            )
            .values(status=DeliveryStatus.skipped.value, reason="cancelled")
        )
        row.finished_at = now
    row.status = target
    return row


# -- the merchant's events --------------------------------------------------------------------


async def trigger(session: AsyncSession, *, tenant_id: int, body: EventIn) -> EventOut:
    """The event's customer (created from the merchant's user id if new) gets a delivery in
    every running triggered campaign for the event's type that its data can fill."""
    contact = await contacts_service.get_or_create_by_identity(
        session, tenant_id=tenant_id, channel=USER_CHANNEL, external_id=body.user_id, verified=True
    )
    await session.flush()
    running = (
        await session.scalars(
            select(Campaign).where(
                Campaign.tenant_id == tenant_id,
                Campaign.kind == CampaignKind.triggered,
                Campaign.event == body.type,
                Campaign.status == CampaignStatus.running,
            )
        )
    ).all()
    values = event_values(body.data)
    conn = await session.connection()
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
        service.deliveries
    )
    out: list[EventDelivery] = []
    for campaign in running:
        template = await service.get_template(
            session, tenant_id=tenant_id, template_id=campaign.template_id
        )
        lacking = templates.missing(template.variables or [], values)
        if lacking:
            out.append(
                EventDelivery(
                    campaign_id=campaign.id,
                    delivery_id=None,
                    status="refused",
                    detail=f"data lacks {', '.join(lacking)}, which the template needs",
                )
            )
            continue
        inserted = await conn.execute(
            insert.values(
                tenant_id=tenant_id,
                campaign_id=campaign.id,
                contact_id=contact.id,
                dedupe_key=body.id,
                variables=values,
                status=DeliveryStatus.pending.value,
                not_before=utcnow(),
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "contact_id", "dedupe_key"])
            .returning(service.deliveries.c.id)
        )
        new_id = inserted.scalar()
        if new_id is not None:
            out.append(
                EventDelivery(campaign_id=campaign.id, delivery_id=int(new_id), status="queued")
            )
            continue
        prior = await conn.scalar(
            select(service.deliveries.c.id).where(
                service.deliveries.c.campaign_id == campaign.id,
                service.deliveries.c.contact_id == contact.id,
                service.deliveries.c.dedupe_key == body.id,
            )
        )
        out.append(EventDelivery(campaign_id=campaign.id, delivery_id=prior, status="duplicate"))
    return EventOut(contact_id=contact.id, deliveries=out)
