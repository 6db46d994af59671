from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class Scenario(enum.StrEnum):
    """What a notice is for; the three customers accept most (44.1%, 35.6%, 29.7%) first."""

    shipping = "shipping"  # 发货通知
    renewal = "renewal"  # 会员续费提醒
    price_drop = "price_drop"  # 收藏商品降价
    other = "other"


class CampaignKind(enum.StrEnum):
    segment = "segment"  # to every customer of a segment, now or at a set time
    triggered = "triggered"  # to one customer each time the merchant's event comes


class CampaignStatus(enum.StrEnum):
    draft = "draft"
    scheduled = "scheduled"  # a segment campaign waiting for its time
    running = "running"
    paused = "paused"
    done = "done"  # a segment campaign whose every delivery has ended
    cancelled = "cancelled"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    skipped = "skipped"  # reason: opted_out, frequency_cap, unreachable, cancelled
    failed = "failed"


class CampaignTemplate(Base):
    """A notice's words with ``{{variables}}``: the customer's (``contact.name``,
    ``attributes.level``) and the event's (declared in ``variables``)."""

    __tablename__ = "campaign_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scenario: Mapped[Scenario] = mapped_column(Enum(Scenario, native_enum=False, length=16))
    text: Mapped[str] = mapped_column(Text)
    email_subject: Mapped[str | None] = mapped_column(String(200), default=None)
    # A WeChat template message for customers past the 48-hour window: {"template_id",
    # "url"?, "data": {"first": "{{contact.name}}…", "keyword1": …}} (placeholders as in text).
    wechat_template: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    variables: Mapped[list[str]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    template_id: Mapped[int] = mapped_column(ForeignKey("campaign_templates.id"))
    kind: Mapped[CampaignKind] = mapped_column(Enum(CampaignKind, native_enum=False, length=16))
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), default=None
    )
    event: Mapped[str | None] = mapped_column(String(64), default=None)  # triggered: its type
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(CampaignStatus, native_enum=False, length=16), default=CampaignStatus.draft
    )
    # The channels it may use, in the customer's best-reach order (empty: any).
    channels: Mapped[list[str]] = mapped_column(Json, default=list)
    # Quiet hours ("21:00"–"08:00" in ``timezone``): SMS, e-mail, WeChat wait until after.
    quiet_start: Mapped[str | None] = mapped_column(String(5), default=None)
    quiet_end: Mapped[str | None] = mapped_column(String(5), default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    rate_per_minute: Mapped[int] = mapped_column(default=600)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A segment campaign's recipients are written in chunks by contact id: how far, and done.
    expand_cursor: Mapped[int] = mapped_column(default=0)
    expanded: Mapped[bool] = mapped_column(default=False)
    # The sending rate across processes: what went out in the current minute.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    window_sent: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CampaignDelivery(Base):
    """One notice to one customer. Its row is written once (the unique key), and sending it
    stores the message and marks the row in one transaction: exactly once, whatever dies."""

    __tablename__ = "campaign_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", "dedupe_key"),
        Index("ix_campaign_deliveries_due", "campaign_id", "status", "not_before"),
        Index("ix_campaign_deliveries_contact", "tenant_id", "contact_id", "sent_at"),
        Index("ix_campaign_deliveries_conversation", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    # A triggered campaign's event id ("" for a segment's): the same event twice is one notice.
    dedupe_key: Mapped[str] = mapped_column(String(100), default="")
    variables: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16), default=DeliveryStatus.pending
    )
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    conversation_id: Mapped[int | None] = mapped_column(default=None)
    message_id: Mapped[int | None] = mapped_column(default=None)
    message_seq: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MarketingSettingsRow(Base):
    """The merchant's caps on marketing: at most ``cap_count`` notices a customer in
    ``cap_days`` days, across campaigns."""

    __tablename__ = "marketing_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
