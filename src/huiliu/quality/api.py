"""Quality review over REST (/api/v1/quality/…): supervisors and admins keep checklists,
draw samples into review batches and review; agents read their own reviews and dispute
them. docs/quality.md tells the rules."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from huiliu.auth.deps import AgentDep, QualityDep, RuntimeDep, SettingsDep
from huiliu.errors import InvalidInput
from huiliu.quality import actions, batches, checklists, service
from huiliu.quality.models import ReviewStatus
from huiliu.quality.schemas import (
    BatchDetail,
    BatchIn,
    BatchOut,
    BatchPatch,
    ChecklistIn,
    ChecklistOut,
    DisputeIn,
    QualitySettings,
    ResolveIn,
    ReviewChangeOut,
    ReviewIn,
    ReviewOut,
    ReviewPage,
    ReviewPatch,
    ReviewTranscriptOut,
    SampleIn,
    SampleOut,
)

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])


# --- settings ------------------------------------------------------------------------------


@router.get("/settings")
async def get_settings(principal: AgentDep, runtime: RuntimeDep) -> QualitySettings:
    """Every account: agents see the pass mark and the windows their reviews follow."""
    async with runtime.db.read() as session:
        return await service.get_settings(session, tenant_id=principal.tenant_id)


@router.put("/settings")
async def put_settings(
    body: QualitySettings, principal: SettingsDep, runtime: RuntimeDep
) -> QualitySettings:
    """The edit and dispute windows (days after submitting) and the pass mark."""
    async with runtime.db.write() as session:
        return await service.put_settings(session, tenant_id=principal.tenant_id, settings=body)


# --- checklists ----------------------------------------------------------------------------


@router.get("/checklists")
async def list_checklists(
    principal: QualityDep, runtime: RuntimeDep, include_archived: bool = False
) -> list[ChecklistOut]:
    """The default first, then by name."""
    async with runtime.db.read() as session:
        rows = await service.list_checklists(
            session, tenant_id=principal.tenant_id, include_archived=include_archived
        )
    return [service.checklist_out(r) for r in rows]


@router.post("/checklists", status_code=201)
async def create_checklist(
    body: ChecklistIn, principal: QualityDep, runtime: RuntimeDep
) -> ChecklistOut:
    """The tenant's first checklist is its default."""
    return await checklists.create_checklist(runtime.db, principal=principal, data=body)


@router.get("/checklists/{checklist_id}")
async def get_checklist(
    checklist_id: int, principal: QualityDep, runtime: RuntimeDep
) -> ChecklistOut:
    async with runtime.db.read() as session:
        row = await service.get_checklist(
            session, tenant_id=principal.tenant_id, checklist_id=checklist_id
        )
    return service.checklist_out(row)


@router.put("/checklists/{checklist_id}")
async def update_checklist(
    checklist_id: int, body: ChecklistIn, principal: QualityDep, runtime: RuntimeDep
) -> ChecklistOut:
    """Changed items make a new ``version``; reviews keep the items they were scored with."""
    return await checklists.update_checklist(
        runtime.db, principal=principal, checklist_id=checklist_id, data=body
    )


@router.delete("/checklists/{checklist_id}", status_code=204)
async def delete_checklist(
    checklist_id: int, principal: QualityDep, runtime: RuntimeDep
) -> Response:
    """Archived (reviews keep it); ``409`` for the default while other checklists exist."""
    await checklists.delete_checklist(runtime.db, principal=principal, checklist_id=checklist_id)
    return Response(status_code=204)


# --- samples and batches -------------------------------------------------------------------


@router.post("/samples")
async def preview_sample(body: SampleIn, principal: QualityDep, runtime: RuntimeDep) -> SampleOut:
    """The sample a batch with this request would hold now (nothing is stored), with the
    seed: send it back to get the same random sample."""
    return await batches.preview(runtime.db, principal=principal, data=body)


@router.post("/batches", status_code=201)
async def create_batch(body: BatchIn, principal: QualityDep, runtime: RuntimeDep) -> BatchDetail:
    """Draw a sample and keep it as a review queue assigned to ``assignee_id``."""
    return await batches.create_batch(runtime.db, principal=principal, data=body)


@router.get("/batches")
async def list_batches(
    principal: QualityDep,
    runtime: RuntimeDep,
    assignee: Annotated[str | None, Query(description="me or an account id")] = None,
) -> list[BatchOut]:
    """Newest first (the latest 100)."""
    assignee_id: int | None = None
    if assignee == "me":
        assignee_id = principal.id
    elif assignee is not None:
        if not assignee.isdigit():
            raise InvalidInput("assignee is 'me' or an account id", field="assignee")
        assignee_id = int(assignee)
    async with runtime.db.read() as session:
        return await service.list_batches(
            session, tenant_id=principal.tenant_id, assignee_id=assignee_id
        )


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: int, principal: QualityDep, runtime: RuntimeDep) -> BatchDetail:
    """The batch with its conversations in review order, each with its review's state."""
    async with runtime.db.read() as session:
        batch = await service.get_batch(session, tenant_id=principal.tenant_id, batch_id=batch_id)
        return await service.batch_detail(session, batch=batch)


@router.patch("/batches/{batch_id}")
async def update_batch(
    batch_id: int, body: BatchPatch, principal: QualityDep, runtime: RuntimeDep
) -> BatchDetail:
    return await batches.update_batch(runtime.db, principal=principal, batch_id=batch_id, data=body)


@router.delete("/batches/{batch_id}", status_code=204)
async def delete_batch(batch_id: int, principal: QualityDep, runtime: RuntimeDep) -> Response:
    """With its items and drafts; ``409`` once a review in it is submitted."""
    await batches.delete_batch(runtime.db, principal=principal, batch_id=batch_id)
    return Response(status_code=204)


# --- reviews -------------------------------------------------------------------------------


@router.post("/reviews", status_code=201)
async def create_review(body: ReviewIn, principal: QualityDep, runtime: RuntimeDep) -> ReviewOut:
    """A draft for a conversation of the batch; ``409 already_reviewed`` the second time."""
    return await actions.create_review(runtime.db, principal=principal, data=body)


@router.get("/reviews")
async def list_reviews(
    principal: QualityDep,
    runtime: RuntimeDep,
    agent_id: int | None = None,
    reviewer_id: int | None = None,
    batch_id: int | None = None,
    conversation_id: int | None = None,
    status: Annotated[list[ReviewStatus] | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ReviewPage:
    """Every review of the tenant, latest change first."""
    async with runtime.db.read() as session:
        rows, total = await service.list_reviews(
            session,
            principal=principal,
            agent_id=agent_id,
            reviewer_id=reviewer_id,
            batch_id=batch_id,
            conversation_id=conversation_id,
            status=status or (),
            page=page,
            per_page=per_page,
        )
        settings = await service.get_settings(session, tenant_id=principal.tenant_id)
    return ReviewPage(
        reviews=[service.review_out(r, settings) for r in rows], total=total, unread=0
    )


@router.get("/my-reviews")
async def my_reviews(
    principal: AgentDep,
    runtime: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ReviewPage:
    """The caller's own submitted reviews (never drafts), latest change first, with how
    many are unread."""
    async with runtime.db.read() as session:
        rows, total = await service.list_reviews(
            session,
            principal=principal,
            agent_id=principal.id,
            status=(ReviewStatus.submitted, ReviewStatus.disputed),
            page=page,
            per_page=per_page,
        )
        settings = await service.get_settings(session, tenant_id=principal.tenant_id)
        unread = await service.count_unread(session, principal=principal)
    return ReviewPage(
        reviews=[service.review_out(r, settings) for r in rows], total=total, unread=unread
    )


@router.get("/disputes")
async def list_disputes(
    principal: QualityDep,
    runtime: RuntimeDep,
    state: Literal["open", "resolved", "any"] = "open",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ReviewPage:
    """Disputed reviews, latest dispute first: ``open`` (to resolve), ``resolved``, ``any``."""
    async with runtime.db.read() as session:
        rows, total = await service.list_reviews(
            session, principal=principal, disputes=state, page=page, per_page=per_page
        )
        settings = await service.get_settings(session, tenant_id=principal.tenant_id)
    return ReviewPage(
        reviews=[service.review_out(r, settings) for r in rows], total=total, unread=0
    )


@router.get("/reviews/{review_id}")
async def get_review(review_id: int, principal: AgentDep, runtime: RuntimeDep) -> ReviewOut:
    """Supervisors and admins: any; an agent: their own, once submitted (else ``404``)."""
    async with runtime.db.read() as session:
        review = await service.get_review(session, principal=principal, review_id=review_id)
        settings = await service.get_settings(session, tenant_id=principal.tenant_id)
    return service.review_out(review, settings)


@router.patch("/reviews/{review_id}")
async def update_review(
    review_id: int, body: ReviewPatch, principal: QualityDep, runtime: RuntimeDep
) -> ReviewOut:
    """Its reviewer: a draft freely; a submitted one within the edit window (logged)."""
    return await actions.update_review(
        runtime.db, principal=principal, review_id=review_id, patch=body
    )


@router.post("/reviews/{review_id}/submit")
async def submit_review(review_id: int, principal: QualityDep, runtime: RuntimeDep) -> ReviewOut:
    """Every item scored or n/a; the server fixes the total and the agent sees it."""
    return await actions.submit_review(runtime.db, principal=principal, review_id=review_id)


@router.delete("/reviews/{review_id}", status_code=204)
async def delete_review(review_id: int, principal: QualityDep, runtime: RuntimeDep) -> Response:
    """A draft only, by its reviewer."""
    await actions.delete_review(runtime.db, principal=principal, review_id=review_id)
    return Response(status_code=204)


@router.get("/reviews/{review_id}/history")
async def review_history(
    review_id: int, principal: AgentDep, runtime: RuntimeDep
) -> list[ReviewChangeOut]:
    """The change log, oldest first, for whoever sees the review."""
    async with runtime.db.read() as session:
        review = await service.get_review(session, principal=principal, review_id=review_id)
        return await service.list_changes(session, review=review)


@router.post("/reviews/{review_id}/read")
async def read_review(review_id: int, principal: AgentDep, runtime: RuntimeDep) -> ReviewOut:
    """Its agent has read it: no longer unread until it changes again."""
    return await actions.mark_read(runtime.db, principal=principal, review_id=review_id)


@router.post("/reviews/{review_id}/dispute")
async def dispute_review(
    review_id: int, body: DisputeIn, principal: AgentDep, runtime: RuntimeDep
) -> ReviewOut:
    """Its agent, once, within the dispute window."""
    return await actions.dispute(runtime.db, principal=principal, review_id=review_id, data=body)


@router.post("/reviews/{review_id}/resolve")
async def resolve_dispute(
    review_id: int, body: ResolveIn, principal: QualityDep, runtime: RuntimeDep
) -> ReviewOut:
    """``upheld`` or ``revised`` with new scores; the agent sees the answer."""
    return await actions.resolve(runtime.db, principal=principal, review_id=review_id, data=body)


@router.get("/transcripts/{conversation_id}")
async def get_transcript(
    conversation_id: int, principal: AgentDep, runtime: RuntimeDep
) -> ReviewTranscriptOut:
    """A conversation's messages: supervisors and admins any of the tenant's; an agent one
    they have a submitted review of."""
    async with runtime.db.read() as session:
        return await service.transcript(
            session, principal=principal, conversation_id=conversation_id
        )
