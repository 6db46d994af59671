from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, UTCDateTime, utcnow


class Role(enum.StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return {"agent": 0, "supervisor": 1, "admin": 2}[self.value]


class AgentStatus(enum.StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


class Account(Base):
    """A person working in the workbench: an agent, a supervisor or an admin."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    # Login is by e-mail alone, so an address belongs to one account across all tenants.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[AgentStatus] = mapped_column(
        Enum(AgentStatus, native_enum=False, length=16), default=AgentStatus.offline
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Conversations served at once; None: the tenant's default.
    capacity: Mapped[int | None] = mapped_column(default=None)
    # The merchant's role the account holds; None: the built-in role named by ``role``.
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("roles.id", ondelete="SET NULL"), default=None
    )
    # The service centre the account works in (its scope when its role's is "centre").
    centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("centres.id", ondelete="SET NULL"), default=None
    )
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
