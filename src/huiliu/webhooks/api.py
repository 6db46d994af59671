"""A merchant's webhook endpoints over REST (admins), their deliveries and a test ping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from huiliu.auth.deps import RuntimeDep, SettingsDep
from huiliu.webhooks import service, triggers
from huiliu.webhooks.schemas import (
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/api/v1/tenant/webhooks", tags=["webhooks"])


@router.get("")
async def list_webhooks(principal: SettingsDep, runtime: RuntimeDep) -> list[WebhookOut]:
    async with runtime.db.read() as session:
        rows = await service.list_endpoints(session, tenant_id=principal.tenant_id)
    return [WebhookOut.model_validate(r) for r in rows]


@router.post("", status_code=201)
async def create_webhook(
    body: WebhookIn, principal: SettingsDep, runtime: RuntimeDep
) -> WebhookCreated:
    """A new endpoint; its signing secret is in this answer only."""
    async with runtime.db.write() as session:
        row = await service.create(session, tenant_id=principal.tenant_id, data=body)
        out = WebhookCreated.model_validate(row)
    triggers.forget(runtime.db, principal.tenant_id)
    return out


@router.get("/{endpoint_id}")
async def get_webhook(endpoint_id: int, principal: SettingsDep, runtime: RuntimeDep) -> WebhookOut:
    async with runtime.db.read() as session:
        row = await service.get(session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
    return WebhookOut.model_validate(row)


@router.patch("/{endpoint_id}")
async def update_webhook(
    endpoint_id: int, body: WebhookPatch, principal: SettingsDep, runtime: RuntimeDep
) -> WebhookOut:
    async with runtime.db.write() as session:
        row = await service.update(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id, patch=body
        )
        out = WebhookOut.model_validate(row)
    triggers.forget(runtime.db, principal.tenant_id)
    return out


@router.delete("/{endpoint_id}", status_code=204)
async def delete_webhook(endpoint_id: int, principal: SettingsDep, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        await service.delete(session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
    triggers.forget(runtime.db, principal.tenant_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/test", status_code=202)
async def test_webhook(
    endpoint_id: int, principal: SettingsDep, runtime: RuntimeDep
) -> DeliveryOut:
    """Send a ``ping`` delivery (through the outbox, like any event); follow it in the
    endpoint's deliveries."""
    async with runtime.db.write() as session:
        job = await service.ping(session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
        out = service.delivery_out(job)
    return out


@router.get("/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: int,
    principal: SettingsDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryOut]:
    """The endpoint's latest deliveries, newest first (kept for the outbox's retention)."""
    async with runtime.db.read() as session:
        jobs = await service.list_deliveries(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id, limit=limit
        )
    return [service.delivery_out(j) for j in jobs]
