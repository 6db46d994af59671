"""Tickets, their comments, their history, a snapshot of the conversation they came from,
and each tenant's ticket settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class TicketStatus(enum.StrEnum):
    open = "open"
    pending = "pending"  # waiting for the customer: the resolution clock stops
    solved = "solved"  # reopens on a public comment within the tenant's reopen window
    closed = "closed"  # final


class TicketPriority(enum.StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TicketSource(enum.StrEnum):
    conversation = "conversation"
    left_message = "left_message"
    email = "email"
    manual = "manual"
    api = "api"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_tickets_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_tickets_tenant_assignee", "tenant_id", "assignee_id"),
        Index("ix_tickets_tenant_contact", "tenant_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    # Per tenant, 1, 2, 3 … (shown as #12): the largest plus one, under the tenant's row lock.
    number: Mapped[int]
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(50), default=None)
    priority: Mapped[TicketPriority] = mapped_column(
        Enum(TicketPriority, native_enum=False, length=16), default=TicketPriority.normal
    )
    status: Mapped[TicketStatus] = mapped_column(
        Enum(TicketStatus, native_enum=False, length=16), default=TicketStatus.open
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), default=None)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id"), default=None, index=True
    )
    # The channel public comments go out on (the conversation's), and the merchant's account
    # on it; None for a ticket made by hand for a customer without a conversation.
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id"), default=None
    )
    source: Mapped[TicketSource] = mapped_column(Enum(TicketSource, native_enum=False, length=16))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # SLA (tickets.sla): due and warning times; None when the tenant has no target.
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    first_response_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Pending stops the resolution clock: when it stopped, and the (business or calendar)
    # seconds it has stood still in earlier pending spells.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paused_s: Mapped[int] = mapped_column(default=0)
    # Set once by the sweep (each recorded once in the history).
    first_response_warned: Mapped[bool] = mapped_column(default=False)
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    resolution_warned: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)


class TicketTranscript(Base):
    """The conversation's messages when the ticket was made from it, as agents saw them."""

    __tablename__ = "ticket_transcripts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    messages: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketComment(Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (Index("ix_ticket_comments_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    author_type: Mapped[str] = mapped_column(String(16))  # agent | contact
    author_id: Mapped[int]
    public: Mapped[bool]
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # How a public comment reached the customer (docs/tickets.md): "conversation" (the
    # message ``message_id`` there, sent on its channel) or "stored" (kept for them).
    delivery: Mapped[str | None] = mapped_column(String(16), default=None)
    conversation_id: Mapped[int | None] = mapped_column(BigId, default=None)
    message_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketChange(Base):
    """One line of a ticket's history: a field's old and new value, a comment, an SLA mark."""

    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(16))  # created | field | comment | sla
    field: Mapped[str | None] = mapped_column(String(64), default=None)
    old: Mapped[Any] = mapped_column(Json, default=None, nullable=True)
    new: Mapped[Any] = mapped_column(Json, default=None, nullable=True)
    actor_type: Mapped[str] = mapped_column(String(16))  # agent | contact | system
    actor_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketSettingsRow(Base):
    """A tenant's ticket settings (tickets.schemas.TicketSettings as JSON)."""

    __tablename__ = "ticket_settings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
