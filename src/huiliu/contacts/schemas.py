"""What the API says about customers: profile, tags, channel identities, visited pages and
the merchant's orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTES_BYTES = 2048
TAG_LENGTH = 32


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class IdentityOut(_Out):
    channel: str = Field(description="web (an anonymous visitor id), user (the merchant's id) …")
    external_id: str
    created_at: datetime


class ContactOut(_Out):
    id: int
    name: str | None
    email: str | None
    phone: str | None
    attributes: dict[str, Any]
    verified: bool = Field(description="identified by the merchant's signature")
    marketing_opt_out_at: datetime | None = Field(
        default=None, description="when they said no to marketing notices; null: they did not"
    )
    created_at: datetime
    tags: list[str]
    rule_tags: list[str] = Field(
        default_factory=list, description="those of its tags a tag rule put (and takes off)"
    )
    identities: list[IdentityOut]


def _blank_is_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


Name = Annotated[str | None, Field(max_length=200), AfterValidator(_blank_is_none)]
Email = Annotated[
    str | None,
    Field(max_length=254, pattern=r"^\s*([^@\s]+@[^@\s]+)?\s*$"),
    AfterValidator(_blank_is_none),
]
Phone = Annotated[
    str | None,
    Field(max_length=40, pattern=r"^[\s0-9+().\-#*]*$"),
    AfterValidator(_blank_is_none),
]
AttributeKey = Annotated[str, Field(min_length=1, max_length=64)]


def _scalars(values: dict[str, Any] | None) -> dict[str, Any] | None:
    for key, value in (values or {}).items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(f"{key!r}: a value is text, a number, true/false or null")
    return values


Attributes = Annotated[
    dict[AttributeKey, Any] | None, Field(max_length=MAX_ATTRIBUTES), AfterValidator(_scalars)
]


class ContactPatch(BaseModel):
    """Fields left out stay as they are; null (or an empty string) clears one."""

    model_config = ConfigDict(extra="forbid")

    name: Name = None
    email: Email = None
    phone: Phone = None
    attributes: Attributes = Field(
        default=None,
        description=f"replaces them all: at most {MAX_ATTRIBUTES} keys with scalar values "
        f"(text, number, true/false, null), {MAX_ATTRIBUTES_BYTES} bytes as JSON",
    )

    marketing_opt_out: StrictBool | None = Field(
        default=None, description="true: no more marketing notices; false: they agree again"
    )

    @model_validator(mode="after")
    def _attributes_not_null(self) -> ContactPatch:
        if "attributes" in self.model_fields_set and self.attributes is None:
            raise ValueError("attributes: send an object ({} clears them), not null")
        return self


def _tag(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("a tag is not blank")
    if len(value) > TAG_LENGTH:
        raise ValueError(f"a tag has at most {TAG_LENGTH} characters")
    return value


# Checked after trimming; the raw value may carry some whitespace around it.
Tag = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_tag)]


class TagCount(_Out):
    tag: str
    count: int = Field(description="customers with this tag")


def _web_url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http or https URL")
    return value


Url = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_web_url)]


class VisitIn(BaseModel):
    """A page the customer opened (the widget reports each one)."""

    model_config = ConfigDict(extra="forbid")

    url: Url
    title: Annotated[str | None, Field(max_length=300), AfterValidator(_blank_is_none)] = None
    referrer: Annotated[str | None, Field(max_length=2000), AfterValidator(_web_url)] = Field(
        default=None, description="http(s); empty means none"
    )


class VisitOut(_Out):
    id: int
    url: str
    title: str | None
    referrer: str | None
    started_at: datetime
    duration_s: int | None = Field(
        description="until the next page (at most 30 minutes); null while it is the latest"
    )


class OrdersOut(_Out):
    """The customer's orders from the merchant's own API (``list_orders``)."""

    configured: bool = Field(description="the merchant API is set in the bot settings")
    orders: list[dict[str, Any]] = Field(
        description="as the merchant answers them: id, title, status, status_label, total, "
        "created_at, address …"
    )
    error: str | None = Field(description="why the orders could not be read, for the agent")
