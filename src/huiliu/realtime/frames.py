"""Every frame of the WebSocket protocol. docs/protocol.md is checked against these models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from huiliu.bus.events import GroupQueueStats, Suggestion
from huiliu.conversations.schemas import Ack, ConversationOut, MessageOut, NoteOut, Sender
from huiliu.tickets.schemas import TicketOut


class _ClientFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class MessageSendFrame(_ClientFrame):
    """Send a message. A visitor may leave out ``conversation_id`` to use (or open) its open
    conversation. Answered by ``ack`` once stored, or by ``error`` with the same
    ``client_msg_id``."""

    type: Literal["message.send"]
    client_msg_id: str = Field(min_length=1, max_length=64)
    conversation_id: int | None = Field(default=None, ge=1)
    content: dict[str, Any]


class ResumeFrame(_ClientFrame):
    """The last seq the client holds per conversation; the server sends what came after."""

    type: Literal["resume"]
    cursors: dict[str, Annotated[int, Field(ge=0)]] = Field(max_length=500)


class TypingFrame(_ClientFrame):
    type: Literal["typing"]
    conversation_id: int = Field(ge=1)
    state: Literal["start", "stop"] = "start"


class ReadFrame(_ClientFrame):
    type: Literal["read"]
    conversation_id: int = Field(ge=1)
    seq: int = Field(ge=0)


class PingFrame(_ClientFrame):
    type: Literal["ping"]
    ts: float | int | None = None


ClientFrame = Annotated[
    MessageSendFrame | ResumeFrame | TypingFrame | ReadFrame | PingFrame,
    Field(discriminator="type"),
]
client_frame_adapter: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
CLIENT_FRAME_TYPES = ("message.send", "resume", "typing", "read", "ping")


class _ServerFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrincipalInfo(_ServerFrame):
    kind: Literal["account", "visitor"]
    id: int
    tenant_id: int
    role: str | None = None


class HelloFrame(_ServerFrame):
    """First frame on every socket."""

    type: Literal["hello"] = "hello"
    protocol: int
    heartbeat_s: float
    principal: PrincipalInfo


AckFrame = Ack


class MessageNewFrame(_ServerFrame):
    type: Literal["message.new"] = "message.new"
    message: MessageOut


class TypingServerFrame(_ServerFrame):
    type: Literal["typing"] = "typing"
    conversation_id: int
    sender: Sender
    state: Literal["start", "stop"]


class ReadServerFrame(_ServerFrame):
    type: Literal["read"] = "read"
    conversation_id: int
    reader: Sender
    seq: int


class ConversationUpdatedFrame(_ServerFrame):
    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: ConversationOut


class NoteNewFrame(_ServerFrame):
    """To the accounts that may see the conversation, never its customer: an internal note,
    shown in the timeline after message ``note.after_seq``. Notes take no seq and are not
    resumed; ``GET /conversations/{id}/notes`` lists them."""

    type: Literal["note.new"] = "note.new"
    note: NoteOut


class DeliveryUpdatedFrame(_ServerFrame):
    """To the accounts that see the conversation: whether an agent's or the bot's message
    went out on the conversation's channel (WeChat, e-mail, SMS …), with the channel's
    refusal when it did not. Widget and app conversations have none (their customers read
    over the socket)."""

    type: Literal["delivery.updated"] = "delivery.updated"
    conversation_id: int
    message_id: int
    status: Literal["sent", "failed"]
    error: str | None = None


class QueuePositionFrame(_ServerFrame):
    """To a waiting customer: their place in the queue and the expected wait (null while no
    agent of the group is online)."""

    type: Literal["queue.position"] = "queue.position"
    conversation_id: int
    position: int
    estimated_wait_s: int | None


class QueueStatsFrame(_ServerFrame):
    """To supervisors and admins: every group's queue and agents, after each routing pass
    that changed them."""

    type: Literal["queue.stats"] = "queue.stats"
    groups: list[GroupQueueStats]


class SuggestionsFrame(_ServerFrame):
    """To the agents serving a conversation: up to three knowledge-base answers for the
    customer's message ``seq``; the agent sends one as is or edits it first."""

    type: Literal["suggestions"] = "suggestions"
    conversation_id: int
    message_id: int
    seq: int
    suggestions: list[Suggestion]


class TicketUpdatedFrame(_ServerFrame):
    """To the accounts who see the ticket (supervisors and admins; its assignee, creator
    and group's agents): the ticket as it now stands, after it was created, changed,
    commented on (``reason`` comment) or marked by the SLA sweep (``reason`` sla)."""

    type: Literal["ticket.updated"] = "ticket.updated"
    ticket: TicketOut
    reason: Literal["created", "updated", "comment", "sla"]


class ResumedFrame(_ServerFrame):
    """Sent after a resume's backlog: the seq each conversation is now at on this socket."""

    type: Literal["resumed"] = "resumed"
    cursors: dict[str, int]


class PongFrame(_ServerFrame):
    type: Literal["pong"] = "pong"
    ts: float | int | None = None


class ErrorFrame(_ServerFrame):
    """A frame the server could not act on; the socket stays open."""

    type: Literal["error"] = "error"
    code: str
    detail: str
    client_msg_id: str | None = None
    field: str | None = None


SERVER_FRAMES: tuple[type[BaseModel], ...] = (
    HelloFrame,
    Ack,
    MessageNewFrame,
    TypingServerFrame,
    ReadServerFrame,
    ConversationUpdatedFrame,
    NoteNewFrame,
    DeliveryUpdatedFrame,
    QueuePositionFrame,
    QueueStatsFrame,
    SuggestionsFrame,
    TicketUpdatedFrame,
    ResumedFrame,
    PongFrame,
    ErrorFrame,
)
CLIENT_FRAMES: tuple[type[BaseModel], ...] = (
    MessageSendFrame,
    ResumeFrame,
    TypingFrame,
    ReadFrame,
    PingFrame,
)

# Close codes (4000-4999 are the application's own).
CLOSE_INVALID_TOKEN = 4001
CLOSE_TOKEN_EXPIRED = 4002
CLOSE_WRONG_ENDPOINT = 4003
CLOSE_SLOW_CONSUMER = 4008
CLOSE_IDLE = 4009
CLOSE_GOING_AWAY = 1001
