from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class Tenant(Base):
    """A merchant: everything else belongs to exactly one tenant."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    widget_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Signs customer identities (HMAC-SHA256 of the merchant's user id) on the merchant's server.
    identity_secret: Mapped[str] = mapped_column(String(128))
    # How many conversations an agent serves at once unless their account says otherwise.
    default_capacity: Mapped[int] = mapped_column(default=20, server_default="20")
    # routing.settings.RoutingSettings as JSON.
    routing: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, server_default="{}")
    # bot.settings.BotSettings as JSON.
    bot: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, server_default="{}")
    # channels.web.settings.WidgetSettings as JSON: the web widget's appearance.
    widget: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKey(Base):
    """A key for the merchant's servers; only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
