from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class KbCategory(Base):
    __tablename__ = "kb_categories"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KbEntry(Base):
    """A question the bot answers: the standard question, its similar questions (other ways
    customers ask it) and the answer (one to five message contents)."""

    __tablename__ = "kb_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "question"),
        Index("ix_kb_entries_tenant_category", "tenant_id", "category_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_categories.id", ondelete="SET NULL"), default=None
    )
    question: Mapped[str] = mapped_column(String(500))
    similar: Mapped[list[str]] = mapped_column(Json, default=list)
    answer: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hit_count: Mapped[int] = mapped_column(default=0)
    helpful_count: Mapped[int] = mapped_column(default=0)
    unhelpful_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KbRevision(Base):
    """A tenant's knowledge-base revision, moved in the same transaction as every change to
    its entries or vocabulary: each process's matcher rebuilds when it sees a newer one, so
    changes take effect everywhere without a restart."""

    __tablename__ = "kb_revisions"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)
    # Groups of synonyms (each mapped to its first word) and extra stop words.
    synonyms: Mapped[list[list[str]]] = mapped_column(Json, default=list)
    stop_words: Mapped[list[str]] = mapped_column(Json, default=list)


class KbUnanswered(Base):
    """A question the bot could not answer, or whose answer was voted unhelpful: the
    learning loop's material."""

    __tablename__ = "kb_unanswered"
    __table_args__ = (Index("ix_kb_unanswered_tenant_open", "tenant_id", "resolved", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[int | None] = mapped_column(default=None)
    text: Mapped[str] = mapped_column(Text)
    # unknown (no candidate good enough), suggested (did-you-mean offered), unhelpful (vote)
    reason: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int | None] = mapped_column(default=None)  # the answer voted unhelpful
    resolved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
