from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
