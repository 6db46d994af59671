from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow

# Identity channels of the web widget and apps: anonymous visitors (external id: the
# widget's visitor id) and the merchant's own signed-in users (external id: their user id).
VISITOR_CHANNEL = "web"
USER_CHANNEL = "user"


class Contact(Base):
    """A customer, one record across every channel they use."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    verified: Mapped[bool] = mapped_column(default=False)
    # The customer said no to marketing notices (a reply of 退订, the merchant's record, an
    # agent): campaigns skip them; service messages still reach them.
    marketing_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactIdentity(Base):
    """How a contact is known on one channel: a web visitor id, the merchant's user id, …"""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactTag(Base):
    """A label agents put on a customer (VIP, 投诉, 批发 …), shared by the whole merchant."""

    __tablename__ = "contact_tags"
    __table_args__ = (
        UniqueConstraint("contact_id", "tag"),
        Index("ix_contact_tags_tenant_tag", "tenant_id", "tag"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    tag: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The account that added it (None: added by the system).
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    # The rule that put it there (None: a person did); the rule takes it off again.
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("tag_rules.id", ondelete="CASCADE"), default=None, index=True
    )


class ContactVisit(Base):
    """A page the customer opened on the merchant's site (reported by the widget), so the
    agent sees what they were looking at. A visit is open (no duration) until the next one."""

    __tablename__ = "contact_visits"
    __table_args__ = (Index("ix_contact_visits_contact", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300), default=None)
    referrer: Mapped[str | None] = mapped_column(String(2000), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    duration_s: Mapped[int | None] = mapped_column(default=None)


class ContactOrder(Base):
    """An order the merchant pushed through the integration API: the purchase history the
    agent sees and tag rules count ("spent over 1000 in 90 days"). Amounts in cents."""

    __tablename__ = "contact_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_contact_orders_contact", "contact_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    external_id: Mapped[str] = mapped_column(String(100))  # the merchant's order id
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(32))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # [{"product_id", "name", "quantity", "price_cents"}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TagRule(Base):
    """A tag the system puts on every customer who meets ``conditions`` (and takes off when
    they no longer do), evaluated as their orders, visits, conversations and attributes
    change (``contacts/rules.py``)."""

    __tablename__ = "tag_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "tag"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    tag: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
    match: Mapped[str] = mapped_column(String(8), default="all")  # all | any
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Applying the rule to every customer after a change: how far it has got.
    backfill_total: Mapped[int] = mapped_column(default=0)
    backfill_done: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Segment(Base):
    """A saved filter over customers' attributes, tags and channels (``contacts/segments.py``);
    its count is live."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    filter: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProfileSettingsRow(Base):
    """The merchant's profile fields: what customers' ``attributes`` hold and how they show."""

    __tablename__ = "profile_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
