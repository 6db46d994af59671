from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow
from huiliu.routing.engine import Strategy


class Centre(Base):
    """A service centre (a site or a department) holding business groups: a supervisor
    whose role's scope is "centre" sees the groups of their centre."""

    __tablename__ = "centres"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Group(Base):
    """A skill group (business group, department): a queue and the agents who serve it."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("centres.id", ondelete="SET NULL"), default=None, index=True
    )
    strategy: Mapped[Strategy] = mapped_column(
        Enum(Strategy, native_enum=False, length=16), default=Strategy.least_load
    )
    # last_agent: prefer the customer's previous agent if they served them this recently.
    last_agent_days: Mapped[int] = mapped_column(default=7)
    # New conversations enter the queue of the group whose channels name theirs, else the
    # default group's.
    is_default: Mapped[bool] = mapped_column(default=False)
    channels: Mapped[list[str]] = mapped_column(Json, default=list, server_default="[]")
    rr_last_agent_id: Mapped[int | None] = mapped_column(default=None)
    # routing.hours.WorkingHours as JSON; None: always open.
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
