"""A merchant's webhook endpoints: reads and small writes, tenant-scoped. Callers run
``triggers.forget`` after the commit of a change, so this process's message path sees it
at once."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.db.base import scoped, utcnow
from huiliu.errors import InvalidInput, NotFound
from huiliu.outbox import service as outbox_service
from huiliu.outbox.models import OutboxJob, OutboxStatus
from huiliu.tenants.models import Tenant
from huiliu.webhooks import triggers
from huiliu.webhooks.models import WebhookEndpoint
from huiliu.webhooks.schemas import (
    MAX_ENDPOINTS,
    PING,
    DeliveryOut,
    WebhookIn,
    WebhookPatch,
)


async def get(session: AsyncSession, *, tenant_id: int, endpoint_id: int) -> WebhookEndpoint:
    stmt = scoped(select(WebhookEndpoint), WebhookEndpoint, tenant_id).where(
        WebhookEndpoint.id == endpoint_id
    )
    row = (await session.scalars(stmt)).first()
    if row is None:
        raise NotFound("webhook endpoint not found")
    return row


async def list_endpoints(session: AsyncSession, *, tenant_id: int) -> list[WebhookEndpoint]:
    stmt = scoped(select(WebhookEndpoint), WebhookEndpoint, tenant_id)
    return list(await session.scalars(stmt.order_by(WebhookEndpoint.id)))


async def create(session: AsyncSession, *, tenant_id: int, data: WebhookIn) -> WebhookEndpoint:
    # The tenant's row lock makes two concurrent creations count in turn (SQLite's write
    # transaction does the same), so the cap holds.
    await session.execute(
        select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True)
    )
    count = await session.scalar(
        scoped(select(func.count()).select_from(WebhookEndpoint), WebhookEndpoint, tenant_id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise InvalidInput(
            f"a merchant has at most {MAX_ENDPOINTS} webhook endpoints; delete one first",
            code="limit_reached",
        )
    now = utcnow()
    row = WebhookEndpoint(
        tenant_id=tenant_id,
        url=data.url,
        description=data.description,
        events=list(data.events),
        secret="whsec_" + secrets.token_urlsafe(32),
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def update(
    session: AsyncSession, *, tenant_id: int, endpoint_id: int, patch: WebhookPatch
) -> WebhookEndpoint:
    row = await get(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    if patch.url is not None:
        row.url = patch.url
    if patch.events is not None:
        row.events = list(patch.events)
    if "description" in patch.model_fields_set:
        row.description = patch.description
    if patch.active is not None:
        row.active = patch.active
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete(session: AsyncSession, *, tenant_id: int, endpoint_id: int) -> None:
    """The endpoint goes; deliveries still pending for it fail when their turn comes, and
    its log expires with the outbox's retention."""
    row = await get(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    await session.delete(row)


async def ping(session: AsyncSession, *, tenant_id: int, endpoint_id: int) -> OutboxJob:
    """Enqueue a test delivery (event ``ping``), sent whether or not the endpoint is active,
    so an admin can try a receiver before turning it on."""
    await get(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    job = triggers.delivery(tenant_id, endpoint_id, PING)
    job_id = await outbox_service.enqueue(
        session, tenant_id=tenant_id, kind=job.kind, payload=job.payload, ref_id=job.ref_id
    )
    found = await outbox_service.get(session, tenant_id=tenant_id, job_id=job_id)
    assert found is not None
    return found


async def list_deliveries(
    session: AsyncSession, *, tenant_id: int, endpoint_id: int, limit: int
) -> list[OutboxJob]:
    await get(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    return await outbox_service.list_by_ref(
        session, tenant_id=tenant_id, kind=triggers.KIND, ref_id=endpoint_id, limit=limit
    )


def delivery_out(job: OutboxJob) -> DeliveryOut:
    result = job.result or {}
    status = OutboxStatus(job.status)
    return DeliveryOut(
        id=job.id,
        event=str(job.payload.get("event", "")),
        status=status,
        attempts=job.attempts,
        response_status=result.get("response_status"),
        error=job.last_error,
        duration_ms=result.get("duration_ms"),
        created_at=job.created_at,
        next_attempt_at=job.next_attempt_at if status is OutboxStatus.pending else None,
        done_at=job.done_at,
    )
