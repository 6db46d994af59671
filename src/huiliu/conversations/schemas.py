"""What the API and the gateway say about conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
    contact_name: str | None = Field(description="the customer's name, if known")
    channel: str
    status: ConversationStatus
    assignee_id: int | None
    group_id: int | None = None
    priority: int = 0
    with_bot: bool = Field(default=False, description="the bot serves it; nobody is queued yet")
    last_seq: int
    created_at: datetime
    last_message_at: datetime
    last_contact_message_at: datetime | None = Field(description="the customer's newest message")
    last_agent_message_at: datetime | None = Field(description="an agent's newest message")
    closed_at: datetime | None


class ConversationView(ConversationOut):
    """A conversation as the caller sees it over REST: with their own read cursor."""

    unread_count: int = Field(
        description="messages after the caller's read cursor from the other side: the "
        "customer's for an account; agents' and the bot's for the customer"
    )
    read_seq: int = Field(description="the caller's read cursor (0: nothing read)")


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


def _note_text(text: str) -> str:
    if not text.strip():
        raise ValueError("a note is not blank")
    return text.strip()


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(_note_text)]


class NoteOut(_Out):
    """An internal note: agents only, never a message (no seq); shown after ``after_seq``."""

    id: int
    conversation_id: int
    author_id: int
    author_name: str
    text: str
    after_seq: int = Field(description="the conversation's last seq when it was written")
    created_at: datetime
