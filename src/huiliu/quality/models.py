"""Quality review's tables: a tenant's checklists, review batches (a sample of closed
conversations and who reviews them), reviews with the checklist items they were scored
against, each review's change log, and the tenant's quality settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class SampleMode(enum.StrEnum):
    random = "random"  # n conversations at random (from the batch's seed)
    low_score = "low_score"  # the n with the lowest satisfaction rating
    long = "long"  # the n longest, by handling time or by messages
    by_agent = "by_agent"  # n per agent, at random


class ReviewStatus(enum.StrEnum):
    draft = "draft"  # the reviewer's alone: the agent does not see it
    submitted = "submitted"  # the agent sees it; its reviewer may edit it within the window
    disputed = "disputed"  # the agent disputes it; a supervisor resolves


class QualityChecklist(Base):
    """A scorecard. ``items`` are its current items (``quality.schemas.ChecklistItem`` as
    JSON); every change to them moves ``version`` on, and each review keeps a copy of the
    items it was scored with."""

    __tablename__ = "quality_checklists"
    __table_args__ = (
        # One default per tenant: the unique index decides a race between two admins.
        Index(
            "uq_quality_checklists_default",
            "tenant_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        Index("ix_quality_checklists_tenant", "tenant_id", "archived"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    version: Mapped[int] = mapped_column(default=1)
    is_default: Mapped[bool] = mapped_column(default=False)
    # Deleted: kept for the reviews scored with it, never offered again.
    archived: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QualityBatch(Base):
    """A sample of closed conversations drawn by a supervisor: a review queue."""

    __tablename__ = "quality_batches"
    __table_args__ = (
        Index("ix_quality_batches_tenant", "tenant_id", "created_at"),
        Index("ix_quality_batches_assignee", "tenant_id", "assignee_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(100))
    checklist_id: Mapped[int] = mapped_column(ForeignKey("quality_checklists.id"))
    mode: Mapped[SampleMode] = mapped_column(Enum(SampleMode, native_enum=False, length=16))
    # The sample's request as given (period, n, filters, long_by), for the record.
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Random modes draw with random.Random(seed): the same candidates give the same sample.
    seed: Mapped[int]
    candidates: Mapped[int] = mapped_column(default=0)  # conversations it was drawn from
    assignee_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QualityBatchItem(Base):
    """A conversation in a batch, with what it was picked by as it stood then."""

    __tablename__ = "quality_batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "conversation_id"),
        Index("ix_quality_batch_items_conversation", "tenant_id", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("quality_batches.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    position: Mapped[int]
    agent_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))  # who served it
    group_id: Mapped[int | None] = mapped_column(default=None)
    channel: Mapped[str] = mapped_column(String(32))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rating_score: Mapped[int | None] = mapped_column(default=None)
    rating_scale: Mapped[int | None] = mapped_column(default=None)
    handling_s: Mapped[float | None] = mapped_column(default=None)
    messages: Mapped[int | None] = mapped_column(default=None)


class QualityReview(Base):
    """A conversation scored against a checklist: ``items`` is the checklist's items as they
    were when the review began, ``scores`` the reviewer's score per item key."""

    __tablename__ = "quality_reviews"
    __table_args__ = (
        # A conversation is reviewed once per batch.
        UniqueConstraint("batch_id", "conversation_id"),
        Index("ix_quality_reviews_agent", "tenant_id", "agent_id", "status"),
        Index("ix_quality_reviews_tenant", "tenant_id", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("quality_batches.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))  # the agent reviewed
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    checklist_id: Mapped[int] = mapped_column(ForeignKey("quality_checklists.id"))
    checklist_version: Mapped[int]
    checklist_name: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReviewStatus] = mapped_column(
        Enum(ReviewStatus, native_enum=False, length=16), default=ReviewStatus.draft
    )
    # 0–100, computed by the server (quality.scoring); 0 when a critical item failed.
    total_score: Mapped[float | None] = mapped_column(default=None)
    critical_failed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # What the agent sees last changed (submitted, edited, a dispute resolved), and when the
    # agent last read it: unread while read_at is missing or older.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    agent_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The agent's dispute (one per review) and how a supervisor resolved it.
    dispute_comment: Mapped[str | None] = mapped_column(Text, default=None)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    dispute_outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # upheld|revised
    dispute_resolution: Mapped[str | None] = mapped_column(Text, default=None)
    dispute_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    dispute_resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )


class QualityReviewChange(Base):
    """One line of a review's change log: submitted, edited (the scores and comment before
    and after), disputed, resolved."""

    __tablename__ = "quality_review_changes"
    __table_args__ = (Index("ix_quality_review_changes_review", "review_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    review_id: Mapped[int] = mapped_column(ForeignKey("quality_reviews.id"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QualitySettingsRow(Base):
    """A tenant's quality settings (``quality.schemas.QualitySettings`` as JSON)."""

    __tablename__ = "quality_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
