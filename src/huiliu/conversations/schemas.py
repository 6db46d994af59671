"""What the API and the gateway say about conversations and messages."""

from __future__ import annotations

import re
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
    rating_score: int | None = Field(
        default=None,
        description="the customer's answer to the satisfaction survey, 1 … the survey's "
        "scale (2, 3 or 5: GET /conversations/{id}/survey)",
    )
    rating_comment: str | None = Field(default=None, description="the rating's comment")
    rated_at: datetime | None = None
    left_message_at: datetime | None = Field(
        default=None,
        description="when the customer last left a message because nobody could serve them",
    )


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
    group_id: int | None  # the queue it is in or was served from: whose scope it lies in
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


def _message_text(text: str) -> str:
    if not text.strip():
        raise ValueError("the message is blank")
    return text.strip()


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


_PHONE = re.compile(r"^\+?[0-9(][0-9 ()\-]{4,38}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _phone(value: str | None) -> str | None:
    value = _blank_to_none(value)
    if value is not None and not _PHONE.match(value):
        raise ValueError("a phone number is digits, spaces, +, -, ( and ) (at least 5)")
    return value


def _email(value: str | None) -> str | None:
    value = _blank_to_none(value)
    if value is not None and not _EMAIL.match(value):
        raise ValueError("an e-mail address looks like name@example.com")
    return value


class RatingIn(BaseModel):
    """The customer's rating: an answer to the conversation's survey, without tags."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, strict=True, description="1 (worst) … the survey's scale")
    comment: Annotated[str | None, AfterValidator(_blank_to_none)] = Field(
        default=None, max_length=500
    )


class LeaveMessageIn(BaseModel):
    """A message for people, left while nobody can serve the customer, with how to reach
    them. ``client_msg_id`` makes resending idempotent (one is derived from the text if
    left out)."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1), AfterValidator(_message_text)]
    name: Annotated[str | None, AfterValidator(_blank_to_none)] = Field(
        default=None, max_length=200
    )
    phone: Annotated[str | None, AfterValidator(_phone)] = Field(default=None, max_length=40)
    email: Annotated[str | None, AfterValidator(_email)] = Field(default=None, max_length=254)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)


class LeaveMessageOut(_Out):
    """The stored message's ack and the conversation as it now stands."""

    ack: Ack
    conversation: ConversationOut


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
