"""Campaigns over REST (marketing.manage): templates, campaigns and what they sent; the
merchant's events over the integration API (docs/campaigns.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from huiliu.auth.deps import IntegrationDep, MarketingDep, RuntimeDep
from huiliu.campaigns import actions, service, templates
from huiliu.campaigns.models import DeliveryStatus
from huiliu.campaigns.schemas import (
    CampaignDeliveryPage,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    EventIn,
    EventOut,
    MarketingSettings,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    TemplatePreviewIn,
    TemplatePreviewOut,
)
from huiliu.contacts import profile
from huiliu.contacts import service as contacts_service
from huiliu.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["campaigns"])


@router.get("/tenant/marketing")
async def get_settings(principal: MarketingDep, runtime: RuntimeDep) -> MarketingSettings:
    async with runtime.db.read() as session:
        return await service.get_settings(session, tenant_id=principal.tenant_id)


@router.put("/tenant/marketing")
async def put_settings(
    body: MarketingSettings, principal: MarketingDep, runtime: RuntimeDep
) -> MarketingSettings:
    """The frequency cap: at most ``cap_count`` notices a customer in ``cap_days`` days."""
    async with runtime.db.write() as session:
        return await service.put_settings(session, tenant_id=principal.tenant_id, settings=body)


# -- templates --------------------------------------------------------------------------------


@router.get("/campaign-templates")
async def list_templates(principal: MarketingDep, runtime: RuntimeDep) -> list[TemplateOut]:
    async with runtime.db.read() as session:
        rows = await service.list_templates(session, tenant_id=principal.tenant_id)
    return [TemplateOut.model_validate(r) for r in rows]


@router.post("/campaign-templates", status_code=201)
async def create_template(
    body: TemplateIn, principal: MarketingDep, runtime: RuntimeDep
) -> TemplateOut:
    """A placeholder the template cannot fill is ``422`` naming the field, before anything
    is sent."""
    async with runtime.db.write() as session:
        row = await actions.create_template(session, tenant_id=principal.tenant_id, body=body)
        return TemplateOut.model_validate(row)


@router.patch("/campaign-templates/{template_id}")
async def update_template(
    template_id: int, body: TemplatePatch, principal: MarketingDep, runtime: RuntimeDep
) -> TemplateOut:
    async with runtime.db.write() as session:
        row = await actions.update_template(
            session, tenant_id=principal.tenant_id, template_id=template_id, body=body
        )
        return TemplateOut.model_validate(row)


@router.delete("/campaign-templates/{template_id}", status_code=204)
async def delete_template(
    template_id: int, principal: MarketingDep, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as session:
        await actions.delete_template(
            session, tenant_id=principal.tenant_id, template_id=template_id
        )
    return Response(status_code=204)


@router.post("/campaign-templates/preview")
async def preview(
    body: TemplatePreviewIn, principal: MarketingDep, runtime: RuntimeDep
) -> TemplatePreviewOut:
    """The text filled for one customer (or with ``values`` alone): what they would read."""
    async with runtime.db.read() as session:
        fields = (await profile.get_settings(session, tenant_id=principal.tenant_id)).fields
        templates.check(
            {"text": body.text}, variables=list(body.values), profile_keys=[f.key for f in fields]
        )
        person: dict[str, object] = {}
        if body.contact_id is not None:
            contact = await contacts_service.get(
                session, tenant_id=principal.tenant_id, contact_id=body.contact_id
            )
            person = {
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "attributes": contact.attributes or {},
            }
    return TemplatePreviewOut(text=templates.render(body.text, contact=person, values=body.values))


# -- campaigns --------------------------------------------------------------------------------


async def _out(runtime: RuntimeDep, tenant_id: int, campaign_id: int) -> CampaignOut:
    async with runtime.db.read() as session:
        row = await service.get(session, tenant_id=tenant_id, campaign_id=campaign_id)
        counts = await service.counts(session, [row.id])
    return service.out(row, counts[row.id])


@router.get("/campaigns")
async def list_campaigns(principal: MarketingDep, runtime: RuntimeDep) -> list[CampaignOut]:
    async with runtime.db.read() as session:
        rows = await service.list_campaigns(session, tenant_id=principal.tenant_id)
        counts = await service.counts(session, [r.id for r in rows])
    return [service.out(r, counts[r.id]) for r in rows]


@router.post("/campaigns", status_code=201)
async def create_campaign(
    body: CampaignIn, principal: MarketingDep, runtime: RuntimeDep
) -> CampaignOut:
    """A draft: a segment campaign (to every customer of ``segment_id``, now or at
    ``scheduled_at``) or a triggered one (to the customer of each ``event`` of that type)."""
    async with runtime.db.write() as session:
        row = await actions.create(session, principal=principal, body=body)
        campaign_id = row.id
    return await _out(runtime, principal.tenant_id, campaign_id)


@router.get("/campaigns/{campaign_id}")
async def get_campaign(
    campaign_id: int, principal: MarketingDep, runtime: RuntimeDep
) -> CampaignOut:
    """With its counts: pending, sent, skipped (by reason), failed, read, replied."""
    return await _out(runtime, principal.tenant_id, campaign_id)


@router.patch("/campaigns/{campaign_id}")
async def update_campaign(
    campaign_id: int, body: CampaignPatch, principal: MarketingDep, runtime: RuntimeDep
) -> CampaignOut:
    """A draft, scheduled or paused campaign only."""
    async with runtime.db.write() as session:
        await actions.update_campaign(
            session, tenant_id=principal.tenant_id, campaign_id=campaign_id, body=body
        )
    return await _out(runtime, principal.tenant_id, campaign_id)


@router.post("/campaigns/{campaign_id}/{action}")
async def move_campaign(
    campaign_id: int, action: str, principal: MarketingDep, runtime: RuntimeDep
) -> CampaignOut:
    """``start`` (a draft; scheduled if its time is ahead), ``pause``, ``resume``,
    ``cancel`` (what is still pending is skipped); any other move is ``409``."""
    if action not in actions.MOVES:
        raise NotFound(f"no such action: {action} (start, pause, resume, cancel)")
    async with runtime.db.write() as session:
        await actions.move(
            session, tenant_id=principal.tenant_id, campaign_id=campaign_id, action=action
        )
    return await _out(runtime, principal.tenant_id, campaign_id)


@router.get("/campaigns/{campaign_id}/deliveries")
async def list_deliveries(
    campaign_id: int,
    principal: MarketingDep,
    runtime: RuntimeDep,
    status: DeliveryStatus | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CampaignDeliveryPage:
    async with runtime.db.read() as session:
        row = await service.get(session, tenant_id=principal.tenant_id, campaign_id=campaign_id)
        return await service.list_deliveries(
            session, campaign_id=row.id, status=status, page=page, per_page=per_page
        )


# -- the merchant's events --------------------------------------------------------------------


@router.post("/integration/events", status_code=202)
async def post_event(body: EventIn, principal: IntegrationDep, runtime: RuntimeDep) -> EventOut:
    """Every running triggered campaign for ``type`` notifies the customer once per event
    ``id`` (again: ``duplicate``); one whose template needs data the event lacks is
    ``refused`` with the names. Sending follows within seconds."""
    async with runtime.db.write() as session:
        return await actions.trigger(session, tenant_id=principal.tenant_id, body=body)
