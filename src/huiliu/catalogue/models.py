from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class Product(Base):
    """One of the merchant's products as its system last pushed it; amounts in cents."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_products_tenant_active", "tenant_id", "active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    external_id: Mapped[str] = mapped_column(String(100))  # the merchant's product id (SKU)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    image_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    category: Mapped[str | None] = mapped_column(String(50), default=None)
    keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
