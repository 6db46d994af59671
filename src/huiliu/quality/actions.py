"""Writes on reviews: a draft begun, scored, submitted, edited within the window, deleted;
marked read by its agent; disputed and resolved. Checks first (everything that can fail on
input), then one transaction; every change to a review writes its change log in that
transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, Forbidden, InvalidInput
from huiliu.quality import access, scoring, service
from huiliu.quality.models import (
    QualityReview,
    QualityReviewChange,
    ReviewStatus,
)
from huiliu.quality.schemas import (
    DisputeIn,
    ResolveIn,
    ReviewIn,
    ReviewOut,
    ReviewPatch,
    ScoreIn,
)

# --- reviews -------------------------------------------------------------------------------


def _log(
    session: AsyncSession,
    review: QualityReview,
    kind: str,
    actor_id: int | None,
    now: datetime,
    **data: Any,
) -> None:
    session.add(
        QualityReviewChange(
            tenant_id=review.tenant_id,
            review_id=review.id,
            kind=kind,
            actor_id=actor_id,
            data=data,
            created_at=now,
        )
    )


def _state(review: QualityReview) -> dict[str, Any]:
    return {"scores": review.scores, "comment": review.comment, "total_score": review.total_score}


def _stored_scores(review: QualityReview) -> list[ScoreIn]:
    return [ScoreIn.model_validate(s) for s in review.scores]


def _require_reviewer(principal: Principal, review: QualityReview) -> None:
    if not access.is_reviewer(principal, reviewer_id=review.reviewer_id):
        raise Forbidden("only the review's reviewer may change it", code="not_reviewer")


def _scored(review: QualityReview, scores: list[dict[str, Any]]) -> scoring.Total:
    total = scoring.total_of(review.items, scores)
    if total.total is None:
        raise InvalidInput("scores: every item is n/a: score at least one", field="scores")
    return total


async def _out(session: AsyncSession, review: QualityReview) -> ReviewOut:
    settings = await service.get_settings(session, tenant_id=review.tenant_id)
    return service.review_out(review, settings)


async def create_review(
    db: Database, *, principal: Principal, data: ReviewIn, now: datetime | None = None
) -> ReviewOut:
    """A draft for a conversation of the batch, with the batch's checklist's items as they
    are now."""
    now = now or utcnow()
    try:
        async with db.write() as session:
            batch = await service.get_batch(
                session, tenant_id=principal.tenant_id, batch_id=data.batch_id
            )
            item = await service.get_item(
                session, batch=batch, conversation_id=data.conversation_id
            )
            if item is None:
                raise InvalidInput(
                    "conversation_id: the conversation is not in this batch",
                    field="conversation_id",
                )
            if item.agent_id == principal.id:
                raise Forbidden("you cannot review your own conversation", code="own_conversation")
            existing = await session.scalar(
                select(QualityReview.id).where(
                    QualityReview.batch_id == batch.id,
                    QualityReview.conversation_id == data.conversation_id,
                )
            )
            if existing is not None:
                raise _already_reviewed(existing)
            checklist = await service.get_checklist(
                session, tenant_id=principal.tenant_id, checklist_id=batch.checklist_id
            )
            review = QualityReview(
                tenant_id=principal.tenant_id,
                batch_id=batch.id,
                conversation_id=data.conversation_id,
                agent_id=item.agent_id,
                reviewer_id=principal.id,
                checklist_id=checklist.id,
                checklist_version=checklist.version,
                checklist_name=checklist.name,
                items=list(checklist.items),
                scores=[],
                comment="",
                status=ReviewStatus.draft,
                total_score=None,
                critical_failed=False,
                created_at=now,
                updated_at=now,
            )
            session.add(review)
            await session.flush()
            _log(session, review, "created", principal.id, now, version=checklist.version)
            return await _out(session, review)
    except IntegrityError:
        # Two reviewers starting on one conversation at once: the unique index decides.
        raise _already_reviewed(None) from None


def _already_reviewed(review_id: int | None) -> Conflict:
    which = f" (review {review_id})" if review_id is not None else ""
    return Conflict(
        f"this conversation is already reviewed in this batch{which}", code="already_reviewed"
    )


async def update_review(
    db: Database,
    *,
    principal: Principal,
    review_id: int,
    patch: ReviewPatch,
    now: datetime | None = None,
) -> ReviewOut:
    """A draft changes freely; a submitted review only by its reviewer within the edit
    window, stays complete, and logs what it was and what it became."""
    now = now or utcnow()
    async with db.write() as session:
        review = await service.get_review(
            session, principal=principal, review_id=review_id, for_update=True
        )
        _require_reviewer(principal, review)
        settings = await service.get_settings(session, tenant_id=review.tenant_id)
        if review.status == ReviewStatus.disputed:
            raise Conflict(
                "the agent disputes this review: resolve the dispute instead",
                code="review_disputed",
            )
        if review.status == ReviewStatus.submitted:
            until = service.editable_until(review, settings)
            if until is None or now > until:
                raise Conflict(
                    f"a submitted review can be edited for {settings.edit_window_days} days",
                    code="edit_window_passed",
                )
        draft = review.status == ReviewStatus.draft
        scores = (
            scoring.check_scores(review.items, patch.scores, complete=not draft)
            if patch.scores is not None
            else review.scores
        )
        comment = patch.comment if patch.comment is not None else review.comment
        if scores == review.scores and comment == review.comment:
            return service.review_out(review, settings)
        before = _state(review)
        review.scores = scores
        review.comment = comment
        review.updated_at = now
        if not draft:
            total = _scored(review, scores)
            review.total_score = total.total
            review.critical_failed = total.critical_failed
            review.published_at = now
            _log(session, review, "edited", principal.id, now, old=before, new=_state(review))
        else:
            review.critical_failed = scoring.total_of(review.items, scores).critical_failed
        await session.flush()
        return service.review_out(review, settings)


async def submit_review(
    db: Database, *, principal: Principal, review_id: int, now: datetime | None = None
) -> ReviewOut:
    """Every item scored (or n/a): the total is fixed and the agent sees the review."""
    now = now or utcnow()
    async with db.write() as session:
        review = await service.get_review(
            session, principal=principal, review_id=review_id, for_update=True
        )
        _require_reviewer(principal, review)
        if review.status != ReviewStatus.draft:
            raise Conflict("the review is already submitted")
        scoring.check_scores(review.items, _stored_scores(review), complete=True)
        total = _scored(review, review.scores)
        review.status = ReviewStatus.submitted
        review.total_score = total.total
        review.critical_failed = total.critical_failed
        review.submitted_at = now
        review.published_at = now
        review.updated_at = now
        _log(session, review, "submitted", principal.id, now, total_score=total.total)
        await session.flush()
        return await _out(session, review)


async def delete_review(db: Database, *, principal: Principal, review_id: int) -> None:
    async with db.write() as session:
        review = await service.get_review(
            session, principal=principal, review_id=review_id, for_update=True
        )
        _require_reviewer(principal, review)
        if review.status != ReviewStatus.draft:
            raise Conflict("a submitted review stays; edit it instead")
        await session.execute(
            delete(QualityReviewChange).where(QualityReviewChange.review_id == review.id)
        )
        await session.delete(review)


async def mark_read(
    db: Database, *, principal: Principal, review_id: int, now: datetime | None = None
) -> ReviewOut:
    now = now or utcnow()
    async with db.write() as session:
        review = await service.get_review(
            session, principal=principal, review_id=review_id, for_update=True
        )
        if not access.is_reviewed_agent(principal, agent_id=review.agent_id):
            raise Forbidden("only the reviewed agent marks a review read")
        review.agent_read_at = now
        await session.flush()
        return await _out(session, review)


async def dispute(
    db: Database,
    *,
    principal: Principal,
    review_id: int,
    data: DisputeIn,
    now: datetime | None = None,
) -> ReviewOut:
    """The agent disagrees, once, within the dispute window; a supervisor resolves it."""
    now = now or utcnow()
    async with db.write() as session:
        review = await service.get_review(
            session, principal=principal, review_id=review_id, for_update=True
        )
        if not access.is_reviewed_agent(principal, agent_id=review.agent_id):
            raise Forbidden("only the reviewed agent may dispute a review")
        if review.disputed_at is not None:
            raise Conflict("this review was disputed already", code="already_disputed")
        settings = await service.get_settings(session, tenant_id=review.tenant_id)
        until = service.disputable_until(review, settings)
        if until is None or now > until:
            raise Conflict(
                f"a review can be disputed for {settings.dispute_window_days} days",
                code="dispute_window_passed",
            )
        review.status = ReviewStatus.disputed
        review.dispute_comment = data.comment
        review.disputed_at = now
        review.agent_read_at = now
        review.updated_at = now
        _log(session, review, "disputed", principal.id, now, comment=data.comment)
        await session.flush()
        return service.review_out(review, settings)


async def resolve(
    db: Database,
    *,
    principal: Principal,
    review_id: int,
    data: ResolveIn,
    now: datetime | None = None,
) -> ReviewOut:
    """Upheld (the review stands) or revised (new scores, logged like an edit); the agent
    sees the answer."""
    now = now or utcnow()
    async with db.write() as session:
        review = await service.get_review(
            session, principal=principal, review_id=review_id, for_update=True
        )
        if review.status != ReviewStatus.disputed:
            raise Conflict("the review has no open dispute", code="not_disputed")
        if access.is_reviewed_agent(principal, agent_id=review.agent_id):
            raise Forbidden("you cannot resolve a dispute of your own review")
        entry: dict[str, Any] = {"outcome": data.outcome, "comment": data.comment}
        if data.outcome == "revised":
            assert data.scores is not None
            scores = scoring.check_scores(review.items, data.scores, complete=True)
            before = _state(review)
            total = _scored(review, scores)
            review.scores = scores
            if data.review_comment is not None:
                review.comment = data.review_comment
            review.total_score = total.total
            review.critical_failed = total.critical_failed
            entry |= {"old": before, "new": _state(review)}
        review.status = ReviewStatus.submitted
        review.dispute_outcome = data.outcome
        review.dispute_resolution = data.comment
        review.dispute_resolved_at = now
        review.dispute_resolved_by_id = principal.id
        review.published_at = now
        review.updated_at = now
        _log(session, review, "resolved", principal.id, now, **entry)
        await session.flush()
        return await _out(session, review)
