"""Events that travel on the bus between processes. Each is a typed model with a Literal type."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from huiliu.conversations.schemas import (
    ConversationOut,
    ConversationRef,
    MessageOut,
    NoteOut,
    Sender,
)
from huiliu.tickets.schemas import TicketOut


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: int
    conversation: ConversationRef


class MessageCreated(_Event):
    type: Literal["message.created"] = "message.created"
    message: MessageOut


class TypingChanged(_Event):
    type: Literal["typing"] = "typing"
    sender: Sender
    state: Literal["start", "stop"]


class ReadMoved(_Event):
    type: Literal["read"] = "read"
    reader: Sender
    seq: int


class ConversationUpdated(_Event):
    type: Literal["conversation.updated"] = "conversation.updated"
    detail: ConversationOut


class QueuePositionChanged(_Event):
    """A waiting customer's place in their group's queue moved."""

    type: Literal["queue.position"] = "queue.position"
    position: int
    estimated_wait_s: int | None


class NoteCreated(_Event):
    """An internal note: for the accounts that may see the conversation, never its customer."""

    type: Literal["note.created"] = "note.created"
    note: NoteOut


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: int
    question: str
    answer: list[dict[str, Any]]
    confidence: float


class SuggestionsReady(_Event):
    """Candidate answers for the customer's latest message, for the agents who serve it."""

    type: Literal["suggestions"] = "suggestions"
    message_id: int
    seq: int
    suggestions: list[Suggestion]


class AgentLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    status: str
    load: int
    capacity: int


class GroupQueueStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: int
    open_now: bool
    waiting: int
    longest_wait_s: float
    agents: list[AgentLoad]


class QueueStats(BaseModel):
    """A tenant's queues after a routing pass, for supervisors' live view."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["queue.stats"] = "queue.stats"
    tenant_id: int
    groups: list[GroupQueueStats]


class AccountChanged(BaseModel):
    """An account was deactivated, or what it may do changed (its role, its role's
    permissions or scope, its groups or centre): every node closes its sockets
    (deactivated) or lets them act with the new rights at once."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["account.changed"] = "account.changed"
    tenant_id: int
    account_id: int
    role: str
    active: bool
    permissions: list[str]
    group_ids: list[int] | None  # the scope; None: every group of the tenant


class DeliveryUpdated(_Event):
    """A message went out on the conversation's channel (WeChat, e-mail, SMS …) or could not:
    agents see the outcome under the message."""

    type: Literal["delivery.updated"] = "delivery.updated"
    message_id: int
    status: Literal["sent", "failed"]
    error: str | None = None


class TicketUpdated(BaseModel):
    """A ticket was created or changed (a field, a comment, an SLA mark): for supervisors
    and admins, and the agents in ``account_ids`` (who see it: assignee, creator, its
    group's members); never a customer."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["ticket.updated"] = "ticket.updated"
    tenant_id: int
    ticket: TicketOut
    account_ids: list[int]
    reason: Literal["created", "updated", "comment", "sla"]


Event = Annotated[
    MessageCreated
    | TypingChanged
    | ReadMoved
    | ConversationUpdated
    | NoteCreated
    | QueuePositionChanged
    | QueueStats
    | AccountChanged
    | SuggestionsReady
    | DeliveryUpdated
    | TicketUpdated,
    Field(discriminator="type"),
]
event_adapter: TypeAdapter[Event] = TypeAdapter(Event)
