from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _shortcut(value: str) -> str:
    value = value.strip().removeprefix("/")
    if not value or any(ch.isspace() for ch in value):
        raise ValueError("a shortcut is one word without spaces (typed after '/')")
    if len(value) > 32:
        raise ValueError("a shortcut has at most 32 characters")
    return value


def _category(value: str | None) -> str | None:
    return (value or "").strip() or None


# 40: room for the '/' and spaces around it, which are dropped; the rest is checked after.
Shortcut = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_shortcut)]
Title = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_stripped)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_stripped)]
Category = Annotated[str | None, Field(max_length=50), AfterValidator(_category)]


class QuickReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: Shortcut = Field(description="1–32 characters, no spaces; a leading '/' is dropped")
    title: Title
    text: Text
    category: Category = None


class QuickReplyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: Shortcut | None = None
    title: Title | None = None
    text: Text | None = None
    category: Category = Field(default=None, description="null or empty clears it")


class QuickReplyOut(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: int
    shortcut: str
    title: str
    text: str
    category: str | None
    created_at: datetime
    updated_at: datetime
