"""One row per phone call a channel account saw: its state machine's memory (events of a
call arrive out of order and more than once) and the call-centre report's source."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, UTCDateTime, utcnow


class CallState(enum.StrEnum):
    ringing = "ringing"
    answered = "answered"
    transferred = "transferred"
    ended = "ended"  # answered, then hung up
    missed = "missed"  # hung up before anyone answered

    @property
    def final(self) -> bool:
        return self in (CallState.ended, CallState.missed)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "call_id"),
        Index("ix_calls_conversation", "conversation_id"),
        Index("ix_calls_tenant_contact", "tenant_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    call_id: Mapped[str] = mapped_column(String(128))  # the PBX's id
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    # Where its records are (None until the first one is written).
    conversation_id: Mapped[int | None] = mapped_column(BigId, default=None)
    direction: Mapped[str] = mapped_column(String(8))  # inbound, outbound
    caller: Mapped[str] = mapped_column(String(64))
    callee: Mapped[str] = mapped_column(String(64))
    state: Mapped[CallState] = mapped_column(Enum(CallState, native_enum=False, length=16))
    ringing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    wait_s: Mapped[int | None] = mapped_column(default=None)
    talk_s: Mapped[int | None] = mapped_column(default=None)
    ivr_keys: Mapped[str | None] = mapped_column(String(64), default=None)
    recording_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    queue: Mapped[str | None] = mapped_column(String(100), default=None)
    # The agent who answered (the last one, after a transfer).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
