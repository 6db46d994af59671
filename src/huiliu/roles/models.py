from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.accounts.models import Role
from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow
from huiliu.roles.permissions import Scope


class RoleDef(Base):
    """A role of one merchant: the three built-in ones (``builtin`` names which) and any the
    merchant adds. ``base`` says what kind of seat it is (a frontline agent's or a
    supervisor's); it is fixed when the role is made, and accounts carry it as their
    ``role``."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    base: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    builtin: Mapped[bool] = mapped_column(default=False)
    permissions: Mapped[list[str]] = mapped_column(Json, default=list)
    scope: Mapped[Scope] = mapped_column(Enum(Scope, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
