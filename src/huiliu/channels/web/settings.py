"""The web widget's appearance per tenant (``tenants.widget`` as JSON): colour, logo, title,
language, corner, the welcome line when the bot is off, and whether only customers the
merchant has signed in may chat."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def _color(value: str) -> str:
    if not _COLOR.match(value):
        raise ValueError("a colour is #rrggbb, e.g. #2563eb")
    return value.lower()


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    AnyHttpUrl(value)  # raises for anything but an http(s) URL
    return value


class WidgetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    color: Annotated[str, AfterValidator(_color)] = Field(
        default="#2563eb", max_length=7, description="the launcher's and header's colour, #rrggbb"
    )
    logo_url: Annotated[str | None, AfterValidator(_blank_to_none), AfterValidator(_http_url)] = (
        Field(default=None, max_length=2000, description="http(s) URL of a square logo")
    )
    title: Annotated[str | None, AfterValidator(_blank_to_none)] = Field(
        default=None, max_length=40, description="the panel's title (None: 在线客服)"
    )
    language: Literal["zh-CN", "en"] = "zh-CN"
    position: Literal["right", "left"] = Field(
        default="right", description="the bottom corner the launcher sits in"
    )
    greeting: Annotated[str | None, AfterValidator(_blank_to_none)] = Field(
        default=None,
        max_length=500,
        description="the welcome line while the bot is off (the bot's own greeting otherwise)",
    )
    identity_required: bool = Field(
        default=False,
        description="only customers the merchant has signed in (Huiliu.identify) may chat",
    )
