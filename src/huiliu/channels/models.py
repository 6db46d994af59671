"""A merchant's channel accounts (a WeChat official account, a mailbox, an SMS sender …) and
the log of what crossed each one: every inbound event once (channels retry, so the log is
also the de-duplication), every outbound delivery with its outcome."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class ChannelAccount(Base):
    __tablename__ = "channel_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))  # wechat, email, sms, weibo, api, …
    name: Mapped[str] = mapped_column(String(100))
    # In the inbound webhook's URL (/channels/{type}/{token}): which account a push is for,
    # without trusting anything in its body.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    # The adapter's settings (its own model validates them); secret fields included, never
    # shown back (channels/schemas.py).
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Direction(enum.StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class EventStatus(enum.StrEnum):
    received = "received"  # inbound, being processed
    stored = "stored"  # inbound, now a message
    ignored = "ignored"  # inbound, nothing to store (an event the adapter skips)
    rejected = "rejected"  # inbound, refused (too large, unsupported) with the reason
    pending = "pending"  # outbound, waiting for the channel
    sent = "sent"  # outbound, the channel took it
    failed = "failed"  # outbound, the channel refused it for good


class ChannelEvent(Base):
    __tablename__ = "channel_events"
    __table_args__ = (
        # An inbound event is processed once however often the channel retries it.
        UniqueConstraint("channel_account_id", "direction", "external_id"),
        Index("ix_channel_events_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=8))
    # The channel's own id (WeChat MsgId, a Message-ID, an SMS id); outbound: the message id.
    external_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[int | None] = mapped_column(BigId, default=None)
    # Outbound: the channel's own id for what was sent (a Message-ID, a WeChat msgid).
    channel_message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    conversation_id: Mapped[int | None] = mapped_column(BigId, default=None)
    status: Mapped[EventStatus] = mapped_column(Enum(EventStatus, native_enum=False, length=16))
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    # What the channel sent or answered, for support (cut to RAW_CHARS).
    raw: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


RAW_CHARS = 20_000
