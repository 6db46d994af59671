"""Segments and the customer directory over REST (docs/profile.md): every account lists
segments (with live counts) and searches customers; ``marketing.manage`` saves, changes and
deletes segments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from huiliu.auth.deps import AgentDep, MarketingDep, RuntimeDep
from huiliu.contacts import segments
from huiliu.contacts.schemas import Tag
from huiliu.contacts.segments import (
    ContactPage,
    PreviewIn,
    SegmentFilter,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
)

router = APIRouter(prefix="/api/v1", tags=["segments"])

Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=100)]


@router.get("/segments")
async def list_segments(principal: AgentDep, runtime: RuntimeDep) -> list[SegmentOut]:
    """The merchant's segments by name, each with how many customers it holds now."""
    async with runtime.db.read() as session:
        rows = await segments.list_segments(session, tenant_id=principal.tenant_id)
        return [await segments.out(session, s) for s in rows]


@router.post("/segments", status_code=201)
async def create_segment(
    body: SegmentIn, principal: MarketingDep, runtime: RuntimeDep
) -> SegmentOut:
    """A saved filter → ``201``; a name taken → ``409``."""
    async with runtime.db.write() as session:
        segment = await segments.create(
            session, tenant_id=principal.tenant_id, body=body, account_id=principal.id
        )
        return await segments.out(session, segment)


@router.post("/segments/preview")
async def preview_segment(
    body: PreviewIn, principal: MarketingDep, runtime: RuntimeDep
) -> segments.Preview:
    """A filter not saved: how many customers it keeps, and the newest 20."""
    async with runtime.db.read() as session:
        clause = await segments.compile_filter(session, body.filter, tenant_id=principal.tenant_id)
        found = await segments.page(session, clause, page=1, per_page=20)
    return segments.Preview(count=found.total, contacts=found.contacts)


@router.get("/segments/{segment_id}")
async def get_segment(segment_id: int, principal: AgentDep, runtime: RuntimeDep) -> SegmentOut:
    async with runtime.db.read() as session:
        segment = await segments.get(session, tenant_id=principal.tenant_id, segment_id=segment_id)
        return await segments.out(session, segment)


@router.patch("/segments/{segment_id}")
async def update_segment(
    segment_id: int, body: SegmentPatch, principal: MarketingDep, runtime: RuntimeDep
) -> SegmentOut:
    """A new name or filter (the filter is replaced as a whole)."""
    async with runtime.db.write() as session:
        segment = await segments.update(
            session, tenant_id=principal.tenant_id, segment_id=segment_id, patch=body
        )
        return await segments.out(session, segment)


@router.delete("/segments/{segment_id}", status_code=204)
async def delete_segment(segment_id: int, principal: MarketingDep, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        await segments.delete(session, tenant_id=principal.tenant_id, segment_id=segment_id)
    return Response(status_code=204)


@router.get("/segments/{segment_id}/contacts")
async def segment_contacts(
    segment_id: int,
    principal: AgentDep,
    runtime: RuntimeDep,
    page: Page = 1,
    per_page: PerPage = 20,
) -> ContactPage:
    """The segment's customers now, newest first."""
    async with runtime.db.read() as session:
        segment = await segments.get(session, tenant_id=principal.tenant_id, segment_id=segment_id)
        f = SegmentFilter.model_validate(segment.filter)
        clause = await segments.compile_filter(session, f, tenant_id=principal.tenant_id)
        return await segments.page(session, clause, page=page, per_page=per_page)


@router.get("/contacts")
async def directory(
    principal: AgentDep,
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=100, description="name, e-mail or phone")] = None,
    tag: Annotated[Tag | None, Query()] = None,
    segment_id: Annotated[int | None, Query(ge=1)] = None,
    page: Page = 1,
    per_page: PerPage = 20,
) -> ContactPage:
    """The customer directory: every customer, or those matching ``q``, holding ``tag`` and
    in segment ``segment_id``, newest first."""
    async with runtime.db.read() as session:
        f = SegmentFilter()
        if segment_id is not None:
            segment = await segments.get(
                session, tenant_id=principal.tenant_id, segment_id=segment_id
            )
            f = SegmentFilter.model_validate(segment.filter)
        clause = await segments.compile_filter(session, f, tenant_id=principal.tenant_id)
        narrow = SegmentFilter(q=q, tags_all=[tag] if tag else [])
        clause = clause & await segments.compile_filter(
            session, narrow, tenant_id=principal.tenant_id
        )
        return await segments.page(session, clause, page=page, per_page=per_page)
