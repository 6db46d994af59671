"""Reads of quality settings, checklists, batches, reviews and transcripts, always through
the access rules (``quality.access``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.conversations import service as conversations_service
from huiliu.conversations.rows import message_out
from huiliu.db.base import scoped, utcnow
from huiliu.errors import NotFound
from huiliu.quality import access, scoring
from huiliu.quality.models import (
    QualityBatch,
    QualityBatchItem,
    QualityChecklist,
    QualityReview,
    QualityReviewChange,
    QualitySettingsRow,
    ReviewStatus,
)
from huiliu.quality.schemas import (
    BatchDetail,
    BatchItemOut,
    BatchOut,
    ChecklistOut,
    DisputeOut,
    ItemOut,
    QualitySettings,
    ReviewChangeOut,
    ReviewOut,
    ReviewTranscriptOut,
    ScoreOut,
)
from huiliu.routing import service as routing_service
from huiliu.tenants.models import Tenant

TRANSCRIPT_LIMIT = 2000


async def lock_tenant(session: AsyncSession, tenant_id: int) -> None:
    """Orders a tenant's checklist and batch writes (SQLite: the write lock does)."""
    await session.execute(
        select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True)
    )


# --- settings ------------------------------------------------------------------------------


async def get_settings(session: AsyncSession, *, tenant_id: int) -> QualitySettings:
    row = await session.get(QualitySettingsRow, tenant_id)
    return QualitySettings.model_validate(row.settings if row is not None else {})


async def put_settings(
    session: AsyncSession, *, tenant_id: int, settings: QualitySettings
) -> QualitySettings:
    row = await session.get(QualitySettingsRow, tenant_id, with_for_update=True)
    data = settings.model_dump(mode="json")
    if row is None:
        session.add(QualitySettingsRow(tenant_id=tenant_id, settings=data, updated_at=utcnow()))
    else:
        row.settings = data
        row.updated_at = utcnow()
    await session.flush()
    return settings


# --- checklists ----------------------------------------------------------------------------


def checklist_out(row: QualityChecklist) -> ChecklistOut:
    return ChecklistOut(
        id=row.id,
        name=row.name,
        description=row.description,
        items=[ItemOut.model_validate(i) for i in row.items],
        version=row.version,
        is_default=row.is_default,
        archived=row.archived,
        max_points=sum(int(i["max_points"]) for i in row.items),
        created_by_id=row.created_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def list_checklists(
    session: AsyncSession, *, tenant_id: int, include_archived: bool = False
) -> list[QualityChecklist]:
    stmt = scoped(select(QualityChecklist), QualityChecklist, tenant_id)
    if not include_archived:
        stmt = stmt.where(QualityChecklist.archived.is_(False))
    stmt = stmt.order_by(QualityChecklist.is_default.desc(), QualityChecklist.name)
    return list(await session.scalars(stmt))


async def get_checklist(
    session: AsyncSession, *, tenant_id: int, checklist_id: int, for_update: bool = False
) -> QualityChecklist:
    stmt = scoped(select(QualityChecklist), QualityChecklist, tenant_id).where(
        QualityChecklist.id == checklist_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.scalars(stmt)).first()
    if row is None:
        raise NotFound("checklist not found")
    return row


async def default_checklist(session: AsyncSession, *, tenant_id: int) -> QualityChecklist | None:
    stmt = scoped(select(QualityChecklist), QualityChecklist, tenant_id).where(
        QualityChecklist.is_default.is_(True), QualityChecklist.archived.is_(False)
    )
    return (await session.scalars(stmt)).first()


# --- batches -------------------------------------------------------------------------------


def _done() -> Any:
    return QualityReview.status.in_([ReviewStatus.submitted.value, ReviewStatus.disputed.value])


async def list_batches(
    session: AsyncSession, *, tenant_id: int, assignee_id: int | None = None, limit: int = 100
) -> list[BatchOut]:
    size = (
        select(func.count())
        .where(QualityBatchItem.batch_id == QualityBatch.id)
        .correlate(QualityBatch)
        .scalar_subquery()
    )
    reviewed = (
        select(func.count())
        .where(QualityReview.batch_id == QualityBatch.id, _done())
        .correlate(QualityBatch)
        .scalar_subquery()
    )
    stmt = scoped(
        select(QualityBatch, size.label("size"), reviewed.label("reviewed")),
        QualityBatch,
        tenant_id,
    )
    if assignee_id is not None:
        stmt = stmt.where(QualityBatch.assignee_id == assignee_id)
    stmt = stmt.order_by(QualityBatch.created_at.desc(), QualityBatch.id.desc()).limit(limit)
    return [
        batch_out(batch, size=int(n), reviewed=int(done))
        for batch, n, done in (await session.execute(stmt)).all()
    ]


def batch_out(batch: QualityBatch, *, size: int, reviewed: int) -> BatchOut:
    return BatchOut(
        id=batch.id,
        name=batch.name,
        checklist_id=batch.checklist_id,
        mode=batch.mode,
        params=dict(batch.params or {}),
        seed=batch.seed,
        candidates=batch.candidates,
        assignee_id=batch.assignee_id,
        created_by_id=batch.created_by_id,
        created_at=batch.created_at,
        size=size,
        reviewed=reviewed,
    )


async def get_batch(
    session: AsyncSession, *, tenant_id: int, batch_id: int, for_update: bool = False
) -> QualityBatch:
    stmt = scoped(select(QualityBatch), QualityBatch, tenant_id).where(QualityBatch.id == batch_id)
    if for_update:
        stmt = stmt.with_for_update()
    batch = (await session.scalars(stmt)).first()
    if batch is None:
        raise NotFound("batch not found")
    return batch


async def batch_detail(session: AsyncSession, *, batch: QualityBatch) -> BatchDetail:
    stmt = (
        select(QualityBatchItem, QualityReview.id, QualityReview.status, QualityReview.total_score)
        .outerjoin(
            QualityReview,
            and_(
                QualityReview.batch_id == QualityBatchItem.batch_id,
                QualityReview.conversation_id == QualityBatchItem.conversation_id,
            ),
        )
        .where(QualityBatchItem.tenant_id == batch.tenant_id, QualityBatchItem.batch_id == batch.id)
        .order_by(QualityBatchItem.position)
    )
    items: list[BatchItemOut] = []
    for item, review_id, status, total in (await session.execute(stmt)).all():
        items.append(
            BatchItemOut(
                id=item.id,
                position=item.position,
                conversation_id=item.conversation_id,
                agent_id=item.agent_id,
                group_id=item.group_id,
                channel=item.channel,
                closed_at=item.closed_at,
                rating_score=item.rating_score,
                rating_scale=item.rating_scale,
                handling_s=item.handling_s,
                messages=item.messages,
                review_id=review_id,
                review_status=status,
                total_score=total,
            )
        )
    reviewed = sum(
        1 for i in items if i.review_status in (ReviewStatus.submitted, ReviewStatus.disputed)
    )
    summary = batch_out(batch, size=len(items), reviewed=reviewed)
    return BatchDetail(**summary.model_dump(), items=items)


async def get_item(
    session: AsyncSession, *, batch: QualityBatch, conversation_id: int
) -> QualityBatchItem | None:
    stmt = select(QualityBatchItem).where(
        QualityBatchItem.tenant_id == batch.tenant_id,
        QualityBatchItem.batch_id == batch.id,
        QualityBatchItem.conversation_id == conversation_id,
    )
    return (await session.scalars(stmt)).first()


# --- reviews -------------------------------------------------------------------------------


async def get_review(
    session: AsyncSession, *, principal: Principal, review_id: int, for_update: bool = False
) -> QualityReview:
    """The review if ``principal`` may see it; otherwise NotFound (never Forbidden)."""
    stmt = scoped(select(QualityReview), QualityReview, principal.tenant_id).where(
        QualityReview.id == review_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    review = (await session.scalars(stmt)).first()
    if review is None or not access.can_see_review(
        principal,
        tenant_id=review.tenant_id,
        agent_id=review.agent_id,
        agent_group_ids=await routing_service.group_ids_of(session, account_id=review.agent_id),
        status=review.status,
    ):
        raise NotFound("review not found")
    return review


def editable_until(review: QualityReview, settings: QualitySettings) -> datetime | None:
    if review.submitted_at is None:
        return None
    return review.submitted_at + timedelta(days=settings.edit_window_days)


def disputable_until(review: QualityReview, settings: QualitySettings) -> datetime | None:
    if review.submitted_at is None or review.disputed_at is not None:
        return None
    return review.submitted_at + timedelta(days=settings.dispute_window_days)


def is_unread(review: QualityReview) -> bool:
    if review.published_at is None:
        return False
    return review.agent_read_at is None or review.agent_read_at < review.published_at


def review_out(review: QualityReview, settings: QualitySettings) -> ReviewOut:
    total = scoring.total_of(review.items, review.scores)
    by_key = {s["key"]: s for s in review.scores}
    scores = [
        ScoreOut(
            key=item["key"],
            passed=by_key[item["key"]]["passed"],
            points=by_key[item["key"]]["points"],
            na=by_key[item["key"]]["na"],
            comment=by_key[item["key"]]["comment"],
            earned=scoring.earned_by(item, by_key[item["key"]]),
        )
        for item in review.items
        if item["key"] in by_key
    ]
    dispute = None
    if review.disputed_at is not None:
        dispute = DisputeOut(
            comment=review.dispute_comment or "",
            disputed_at=review.disputed_at,
            outcome=cast(Literal["upheld", "revised"] | None, review.dispute_outcome),
            resolution=review.dispute_resolution,
            resolved_at=review.dispute_resolved_at,
            resolved_by_id=review.dispute_resolved_by_id,
        )
    score = review.total_score if review.status != ReviewStatus.draft else total.total
    return ReviewOut(
        id=review.id,
        batch_id=review.batch_id,
        conversation_id=review.conversation_id,
        agent_id=review.agent_id,
        reviewer_id=review.reviewer_id,
        checklist_id=review.checklist_id,
        checklist_version=review.checklist_version,
        checklist_name=review.checklist_name,
        items=[ItemOut.model_validate(i) for i in review.items],
        scores=scores,
        comment=review.comment,
        status=review.status,
        total_score=score,
        critical_failed=total.critical_failed,
        passed=None if score is None else score >= settings.pass_mark,
        earned=total.earned,
        possible=total.possible,
        created_at=review.created_at,
        updated_at=review.updated_at,
        submitted_at=review.submitted_at,
        editable_until=editable_until(review, settings),
        disputable_until=disputable_until(review, settings),
        dispute=dispute,
        unread=is_unread(review),
    )


async def list_reviews(
    session: AsyncSession,
    *,
    principal: Principal,
    agent_id: int | None = None,
    reviewer_id: int | None = None,
    batch_id: int | None = None,
    conversation_id: int | None = None,
    status: Sequence[ReviewStatus] = (),
    disputes: Literal["open", "resolved", "any"] | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[QualityReview], int]:
    stmt: Select[Any] = scoped(select(QualityReview), QualityReview, principal.tenant_id).where(
        access.visible_clause(principal)
    )
    if agent_id is not None:
        stmt = stmt.where(QualityReview.agent_id == agent_id)
    if reviewer_id is not None:
        stmt = stmt.where(QualityReview.reviewer_id == reviewer_id)
    if batch_id is not None:
        stmt = stmt.where(QualityReview.batch_id == batch_id)
    if conversation_id is not None:
        stmt = stmt.where(QualityReview.conversation_id == conversation_id)
    if status:
        stmt = stmt.where(QualityReview.status.in_([s.value for s in status]))
    if disputes == "open":
        stmt = stmt.where(QualityReview.status == ReviewStatus.disputed.value)
    elif disputes == "resolved":
        stmt = stmt.where(QualityReview.dispute_resolved_at.is_not(None))
    elif disputes == "any":
        stmt = stmt.where(QualityReview.disputed_at.is_not(None))
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    order = (
        (QualityReview.disputed_at.desc(), QualityReview.id.desc())
        if disputes is not None
        else (QualityReview.updated_at.desc(), QualityReview.id.desc())
    )
    rows = await session.scalars(
        stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


async def count_unread(session: AsyncSession, *, principal: Principal) -> int:
    stmt = scoped(select(func.count()), QualityReview, principal.tenant_id).where(
        QualityReview.agent_id == principal.id,
        QualityReview.status != ReviewStatus.draft.value,
        QualityReview.published_at.is_not(None),
        or_(
            QualityReview.agent_read_at.is_(None),
            QualityReview.agent_read_at < QualityReview.published_at,
        ),
    )
    return int(await session.scalar(stmt) or 0)


async def list_changes(session: AsyncSession, *, review: QualityReview) -> list[ReviewChangeOut]:
    stmt = scoped(select(QualityReviewChange), QualityReviewChange, review.tenant_id).where(
        QualityReviewChange.review_id == review.id
    )
    rows = await session.scalars(stmt.order_by(QualityReviewChange.id))
    return [
        ReviewChangeOut(
            id=r.id, kind=r.kind, actor_id=r.actor_id, data=dict(r.data), created_at=r.created_at
        )
        for r in rows
    ]


# --- transcripts ---------------------------------------------------------------------------


async def transcript(
    session: AsyncSession, *, principal: Principal, conversation_id: int
) -> ReviewTranscriptOut:
    """A closed conversation's messages for reviewing: supervisors and admins read any of
    their tenant's; an agent only one they have a (submitted) review of."""
    if not access.can_manage(principal):
        mine, _ = await list_reviews(
            session, principal=principal, conversation_id=conversation_id, per_page=1
        )
        if not mine:
            raise NotFound("conversation not found")
    conv = await conversations_service.get_detail(
        session, tenant_id=principal.tenant_id, conversation_id=conversation_id
    )
    rows = await conversations_service.list_messages(
        session, conversation_id=conversation_id, after_seq=0, limit=TRANSCRIPT_LIMIT
    )
    return ReviewTranscriptOut(
        conversation_id=conv.id,
        channel=conv.channel,
        contact_id=conv.contact_id,
        contact_name=conv.contact_name,
        assignee_id=conv.assignee_id,
        created_at=conv.created_at,
        closed_at=conv.closed_at,
        messages=[message_out(r).model_dump(mode="json") for r in rows],
    )
