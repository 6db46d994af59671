from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    pending = "pending"  # waiting for its time, or running (locked_until in the future)
    done = "done"
    failed = "failed"  # the handler said retrying cannot help (e.g. a 4xx answer)
    dead = "dead"  # every attempt failed


class OutboxJob(Base):
    """One piece of work to run after a commit: which handler (``kind``), with what
    (``payload``: ids, never objects, so the handler reads the truth when it runs)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # What workers claim: pending rows by due time.
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # What a producer lists its jobs by (webhooks: an endpoint's deliveries, newest first).
        Index("ix_outbox_ref", "tenant_id", "kind", "ref_id", "id"),
        Index("ix_outbox_done_at", "done_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(64))
    # The producer's own reference (webhooks: the endpoint id); no foreign key, so deleting
    # the thing leaves its log to expire with the retention period.
    ref_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # What the handler reported about its latest attempt (webhooks: the answer's status and
    # how long it took).
    result: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When it finished: done, failed or dead.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
