"""What every channel adapter is: one Protocol, a registry by channel type.

An adapter only translates (docs/architecture.md, "one pipeline"): its inbound route turns
the channel's push (WeChat XML, an e-mail, an SMS webhook …) into ``Inbound`` values and
hands them to ``channels.actions.receive``, which stores them through the one message
pipeline; ``deliver`` turns an agent's or the bot's stored message back into the channel's
own form and sends it. Routing, the bot, de-duplication, contacts and the outbox live
outside adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import httpx
from pydantic import BaseModel

from huiliu.config import Settings
from huiliu.conversations.schemas import MessageOut
from huiliu.db import Database


@dataclass(frozen=True, slots=True)
class Identity:
    """How the customer is known: on the channel (``wechat:<appid>`` + openid, ``email`` +
    address …) and, where the channel vouches for it, by keys that merge them with the same
    person elsewhere (``phone``, ``email``, ``wechat_union``, ``user``: the merchant's id)."""

    channel: str
    external_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    merge_keys: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message (or event worth a message) a channel brought in."""

    # The channel's own id for it (MsgId, Message-ID …): a retry of the same push is
    # recognised by it and stored once.
    external_id: str
    sender: Identity
    content: dict[str, Any]  # a content type of docs/protocol.md §5
    raw: str = ""  # what the channel sent, kept for support
    # A machine sent it (an auto-reply, a bounce, a PBX's call record): stored, but the bot
    # neither greets nor answers (see SendRequest.automated).
    automated: bool = False
    # The adapter built the content itself from trusted fields (a call record) and may use
    # the server-only content types.
    trusted: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where an outbound message goes: the customer's id on this channel account."""

    contact_id: int
    external_id: str  # the openid, the e-mail address, the phone number …
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An agent's or the bot's stored message, to go out on the conversation's channel."""

    tenant_id: int
    account_id: int
    config: dict[str, Any]  # the channel account's validated settings
    conversation_id: int
    message: MessageOut
    recipient: Recipient
    # The customer's earlier messages on this channel (for threading replies): their
    # channel ids, oldest first.
    thread: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Sent:
    """How a delivery went: ``sent`` (with the channel's id for it), ``retry`` (a passing
    failure: the outbox tries again with back-off) or ``failed`` (for good, with the reason
    the agent reads)."""

    status: Literal["sent", "retry", "failed"]
    external_id: str | None = None
    error: str | None = None
    raw: str = ""

    @classmethod
    def ok(cls, external_id: str | None = None, raw: str = "") -> Sent:
        return cls("sent", external_id, None, raw)

    @classmethod
    def retry(cls, error: str, raw: str = "") -> Sent:
        return cls("retry", None, error, raw)

    @classmethod
    def failed(cls, error: str, raw: str = "") -> Sent:
        return cls("failed", None, error, raw)


@dataclass(frozen=True, slots=True)
class Services:
    """What an adapter may use while delivering."""

    db: Database
    http: httpx.AsyncClient
    settings: Settings


class Adapter(Protocol):
    """A channel: its type, its settings' model, and how a message goes out on it."""

    channel: ClassVar[str]  # the conversation's channel: wechat, email, sms, weibo, api …
    label: ClassVar[str]
    # Settings fields that are secrets: accepted on write, never shown back.
    secret_fields: ClassVar[tuple[str, ...]]
    # Replies must follow the customer's last message within this many seconds (WeChat's
    # and Weibo's 48 hours); None: no window.
    reply_window_s: ClassVar[float | None]
    config_model: ClassVar[type[BaseModel]]

    def identity_channel(self, config: dict[str, Any]) -> str:
        """The contact identity channel customers of this account are known by."""

    def generated_secrets(self) -> dict[str, str]:
        """Secrets the server makes for a new account when the admin gives none (the API
        channel's signing secret); shown once."""

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        """Send one message; never raise for a channel's refusal (answer ``failed``)."""


_registry: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    if adapter.channel in _registry:
        raise ValueError(f"channel {adapter.channel!r} is registered already")
    _registry[adapter.channel] = adapter
    return adapter


def adapter_for(channel: str) -> Adapter | None:
    """The adapter of a conversation's channel; None for the widget and apps, whose
    customers read over the socket."""
    return _registry.get(channel)


def adapters() -> list[Adapter]:
    return [_registry[t] for t in sorted(_registry)]


def reply_window_s(channel: str) -> float | None:
    adapter = _registry.get(channel)
    return adapter.reply_window_s if adapter is not None else None
