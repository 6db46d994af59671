from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class BotSession(Base):
    """What the bot remembers of one conversation while it serves it."""

    __tablename__ = "bot_sessions"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    # Don't-knows in a row; a handoff follows at the tenant's limit.
    unknown_streak: Mapped[int] = mapped_column(default=0)
    # The latest turns, [{"q": customer's words, "a": what the bot did}], for the handoff
    # summary.
    turns: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # The task flow under way (bot.flows.FlowState), if any.
    flow: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BotVote(Base):
    """A customer's helpful / unhelpful vote on one bot answer (one vote per answer)."""

    __tablename__ = "bot_votes"
    __table_args__ = (UniqueConstraint("message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int]
    entry_id: Mapped[int]
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
