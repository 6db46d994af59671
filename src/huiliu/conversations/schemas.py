"""What the API and the gateway say about conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from huiliu.conversations.models import ConversationStatus, SenderType


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Sender(_Out):
    type: SenderType
    id: int | None = None


class MessageOut(_Out):
    id: int
    conversation_id: int
    seq: int
    sender: Sender
    client_msg_id: str | None = None
    content: dict[str, Any] = Field(description="One of the content types in docs/protocol.md.")
    created_at: datetime


class ConversationOut(_Out):
    id: int
    contact_id: int
    channel: str
    status: ConversationStatus
    assignee_id: int | None
    group_id: int | None = None
    priority: int = 0
    with_bot: bool = Field(default=False, description="the bot serves it; nobody is queued yet")
    last_seq: int
    created_at: datetime
    last_message_at: datetime
    closed_at: datetime | None


class ConversationRef(_Out):
    """Just enough of a conversation for the gateway to pick the sockets that see an event."""

    id: int
    contact_id: int
    assignee_id: int | None
    status: ConversationStatus


class Ack(_Out):
    type: Literal["ack"] = "ack"
    client_msg_id: str | None
    message_id: int
    conversation_id: int
    seq: int


class SendMessageIn(BaseModel):
    """REST body for sending a message (the socket's ``message.send`` without the type)."""

    model_config = ConfigDict(extra="forbid")

    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)
    content: dict[str, Any]


class MessagePage(_Out):
    messages: list[MessageOut]
    last_seq: int = Field(description="The conversation's newest seq when read.")
    has_more: bool


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0)


class ReadCursorOut(_Out):
    conversation_id: int
    seq: int
