"""Satisfaction surveys: one per conversation, asked on its channel, answered once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class Survey(Base):
    __tablename__ = "satisfaction_surveys"
    __table_args__ = (
        UniqueConstraint("conversation_id"),
        UniqueConstraint("token"),
        Index("ix_satisfaction_surveys_agent", "tenant_id", "agent_id", "asked_at"),
        Index("ix_satisfaction_surveys_asked", "tenant_id", "asked_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    # The agent and group who served (None: the bot alone), as at the time of asking.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    group_id: Mapped[int | None] = mapped_column(default=None)
    channel: Mapped[str] = mapped_column(String(32))
    scale: Mapped[int]  # 2, 3 or 5 points, as configured when asked
    # agent_close | timeout_close | request | customer (an unprompted rating) — what made it ask.
    trigger: Mapped[str] = mapped_column(String(16))
    # How the customer is asked and answers: buttons (widget, apps) | reply (a number, on
    # WeChat, SMS, Weibo, the API channel) | link (e-mail: the /rate page).
    via: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(43))  # the e-mail link's (and API's) secret
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # What the customer was offered, as asked (later settings change nothing here):
    # {"prompt", "comment": bool, "options": [{"score", "label", "tags"}]}.
    offer: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    score: Mapped[int | None] = mapped_column(default=None)  # 1 … scale
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    comment: Mapped[str | None] = mapped_column(String(500), default=None)


class SatisfactionSettingsRow(Base):
    """A tenant's survey settings (``satisfaction.settings.SatisfactionSettings`` as JSON)."""

    __tablename__ = "satisfaction_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
