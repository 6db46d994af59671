"""Webhook endpoints over REST, and what a delivery carries (docs/webhooks.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huiliu.conversations.schemas import MessageOut, Sender
from huiliu.integrations.merchant_api import LOOPBACK
from huiliu.outbox.models import OutboxStatus

WebhookEvent = Literal[
    "message.created",
    "conversation.opened",
    "conversation.assigned",
    "conversation.closed",
    "contact.offline_message",
]
EVENTS: tuple[str, ...] = get_args(WebhookEvent)
PING = "ping"  # the test delivery: sent on request, never subscribed to
MAX_ENDPOINTS = 20  # per merchant


def _url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError("the URL needs a host")
    if parts.username or parts.password:
        raise ValueError("put credentials in the signature's secret, not in the URL")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return value
    raise ValueError("the URL must be https:// (plain http only on loopback)")


def _events(value: list[str]) -> list[str]:
    return list(dict.fromkeys(value))  # each once, in the order given


def _description(value: str | None) -> str | None:
    return (value or "").strip() or None


Url = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_url)]
Events = Annotated[
    list[WebhookEvent],
    Field(min_length=1, max_length=20, description="at least one of the events"),
    AfterValidator(_events),
]
Description = Annotated[str | None, Field(max_length=200), AfterValidator(_description)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="https:// (plain http only on loopback, for development)")
    events: Events
    description: Description = None
    active: bool = True


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: Events | None = None
    description: Description = Field(default=None, description="null or empty clears it")
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: int
    url: str
    events: list[WebhookEvent]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown this once only.")


class DeliveryOut(BaseModel):
    """One delivery of an event to an endpoint (an outbox job), as the admin sees it."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(description="the delivery id: X-Huiliu-Delivery and the body's id")
    event: str
    status: OutboxStatus = Field(
        description="pending (waiting or being sent), done, failed (a final answer such as "
        "a 4xx) or dead (every attempt failed)"
    )
    attempts: int
    response_status: int | None = Field(description="the latest attempt's HTTP status")
    error: str | None = Field(description="why the latest attempt failed")
    duration_ms: int | None = Field(description="how long the latest attempt took")
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="while pending: the next attempt")
    done_at: datetime | None


# -- what a delivery's body carries ---------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationBrief(_Body):
    id: int
    contact_id: int
    channel: str


class MessageEventData(_Body):
    """``message.created`` and the ``conversation.*`` events: the conversation and the
    message (for ``conversation.*``, the system's event message in its log)."""

    conversation: ConversationBrief
    message: MessageOut


class IdentityBrief(_Body):
    channel: str = Field(description="user: the merchant's own user id; web: the widget's id")
    external_id: str


class ContactBrief(_Body):
    id: int
    name: str | None
    identities: list[IdentityBrief]


class OfflineMessageData(_Body):
    """``contact.offline_message``: an agent or the bot wrote to a customer with no open
    socket; notify them in the app (the message itself arrives when it resumes)."""

    conversation_id: int
    message_id: int
    seq: int
    sender: Sender
    content_type: str
    preview: str = Field(description="the message's text, at most 100 characters")
    contact: ContactBrief


class PingData(_Body):
    endpoint_id: int
    text: str = "Huiliu test delivery"


class WebhookBody(_Body):
    id: int = Field(description="the delivery id, the same on every attempt")
    event: str
    created_at: datetime = Field(description="when the event happened")
    tenant_id: int
    data: dict[str, Any]
