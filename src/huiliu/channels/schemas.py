"""Channel accounts over REST, and their event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from huiliu.channels.models import Direction, EventStatus


class ChannelAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        min_length=1, max_length=32, description="a channel type: GET /channels/types"
    )
    name: str = Field(min_length=1, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict, description="the channel's settings")
    active: bool = True


class ChannelAccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    config: dict[str, Any] | None = Field(
        default=None,
        description="merged into the settings; a secret field left out keeps its value",
    )
    active: bool | None = None


class ChannelAccountOut(BaseModel):
    id: int
    type: str
    name: str
    active: bool
    config: dict[str, Any] = Field(description="the settings without their secrets")
    secrets_set: list[str] = Field(description="the secret fields that have a value")
    inbound_url: str = Field(description="where the channel pushes to (set it there)")
    created_at: datetime
    updated_at: datetime


class ChannelAccountCreated(ChannelAccountOut):
    generated: dict[str, str] = Field(
        default_factory=dict, description="secrets made by the server, shown this once"
    )


class ChannelTypeOut(BaseModel):
    channel: str
    label: str
    secret_fields: list[str]
    reply_window_s: float | None
    config_schema: dict[str, Any] = Field(description="JSON Schema of the settings")


class ChannelEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: Direction
    external_id: str
    status: EventStatus
    error: str | None
    message_id: int | None
    conversation_id: int | None
    channel_message_id: str | None
    # What the channel sent (the push, the mail's source) or answered, for support.
    raw: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryStateOut(BaseModel):
    """How an agent's or the bot's message went out on the conversation's channel."""

    message_id: int
    status: EventStatus
    error: str | None
