from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class IdentityIn(BaseModel):
    """A customer the merchant's site has logged in, vouched for by ``signature``:
    hex HMAC-SHA256 of ``user_id`` with the tenant's identity secret."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    signature: str = Field(min_length=64, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    attributes: dict[str, Any] | None = Field(default=None, max_length=100)


class WidgetSessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    widget_key: str = Field(min_length=1, max_length=64)
    visitor_id: str | None = Field(
        default=None,
        max_length=64,
        description="The anonymous visitor id from an earlier session, to keep the history.",
    )
    identity: IdentityIn | None = None


class WidgetSessionOut(BaseModel):
    visitor_token: str
    contact_id: int
    visitor_id: str | None = Field(description="Keep it (e.g. in localStorage) for the next visit.")
    verified: bool
    expires_in: int


class WidgetBotOut(BaseModel):
    """What the bot says the instant a conversation opens, for the widget to show at once
    (the same contents the bot then stores: the widget shows them once)."""

    name: str
    greeting: dict[str, Any] = Field(description="a text content: the greeting")
    menu: dict[str, Any] | None = Field(description="a menu content: the navigation menu")


class WidgetConfigOut(BaseModel):
    """A tenant's widget as any page may read it (``GET /widget/config``)."""

    title: str | None
    color: str
    logo_url: str | None
    language: str
    position: str
    greeting: str | None = Field(description="the welcome line while the bot is off")
    identity_required: bool
    bot: WidgetBotOut | None = Field(description="set while the bot is on")
