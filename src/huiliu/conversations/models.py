from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow


class ConversationStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class SenderType(enum.StrEnum):
    contact = "contact"
    agent = "agent"
    bot = "bot"
    system = "system"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # A contact has at most one open conversation per channel.
        Index(
            "uq_conversations_open_per_contact_channel",
            "tenant_id",
            "contact_id",
            "channel",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_conversations_tenant_status", "tenant_id", "status", "last_message_at"),
        Index("ix_conversations_queue", "tenant_id", "status", "assignee_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    # The merchant's account on that channel the customer wrote to (replies go out through
    # it); None for the widget and apps.
    channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id"), default=None
    )
    status: Mapped[ConversationStatus] = mapped_column(
        Enum(ConversationStatus, native_enum=False, length=16), default=ConversationStatus.open
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None, index=True
    )
    # The queue it waits in (None: the shared pool every agent sees) and its place there.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), default=None)
    priority: Mapped[int] = mapped_column(default=0, server_default="0")
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Transferred to one agent who had no room: waits for that agent only.
    target_agent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The agent's latest message: a conversation assigned but unanswered too long moves on.
    last_agent_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The customer's latest message: how long they have been waiting for an answer.
    last_contact_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The agent who let it time out: the router offers it to someone else.
    excluded_agent_id: Mapped[int | None] = mapped_column(default=None)
    # When the customer was offered to leave a message after waiting too long.
    wait_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The bot serves it (not queued yet); a handoff puts it in the queue of group_id.
    with_bot: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The seq of the newest message; the next message takes last_seq + 1 in its transaction.
    last_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The customer's satisfaction rating once it closed (1–5 stars, an optional comment).
    rating_score: Mapped[int | None] = mapped_column(default=None)
    rating_comment: Mapped[str | None] = mapped_column(String(500), default=None)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The customer left a message for people while nobody could serve them (latest one).
    left_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # Resending a client_msg_id stores nothing: the first row answers it.
        Index(
            "uq_messages_client_msg_id",
            "conversation_id",
            "client_msg_id",
            "sender_type",
            "sender_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int]
    sender_type: Mapped[SenderType] = mapped_column(Enum(SenderType, native_enum=False, length=16))
    sender_id: Mapped[int | None] = mapped_column(default=None)
    client_msg_id: Mapped[str | None] = mapped_column(String(64), default=None)
    content_type: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReadCursor(Base):
    """How far a participant has read a conversation; it never moves backwards."""

    __tablename__ = "read_cursors"
    __table_args__ = (UniqueConstraint("conversation_id", "reader_type", "reader_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    reader_type: Mapped[SenderType] = mapped_column(Enum(SenderType, native_enum=False, length=16))
    reader_id: Mapped[int]
    seq: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationNote(Base):
    """An agent's internal note on a conversation. Not a message: it takes no seq, is never
    resumed and never reaches the customer; ``after_seq`` places it in the timeline."""

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    text: Mapped[str] = mapped_column(Text)
    # The conversation's last_seq when the note was written.
    after_seq: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
