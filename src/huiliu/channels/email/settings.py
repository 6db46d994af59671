"""An e-mail account's settings: the mailbox's address, how replies go out (SMTP) and,
optionally, where mail is fetched from (IMAP)."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CHANNEL = "email"
Security = Literal["ssl", "starttls", "none"]


def split_address(value: str) -> tuple[str, str]:
    """``local@domain`` → (local, domain), lower-cased; ValueError if it is not one."""
    value = value.strip()
    try:
        parsed = Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError):
        raise ValueError(f"{value!r} is not an e-mail address") from None
    if not parsed.username or not parsed.domain or "." not in parsed.domain:
        raise ValueError(f"{value!r} is not an e-mail address (local@domain.tld)")
    if "+" in parsed.username:
        raise ValueError("the address may not contain '+' (replies use local+token@domain)")
    return parsed.username.lower(), parsed.domain.lower()


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=3, max_length=254, description="the mailbox customers write to")
    display_name: str = Field(default="", max_length=100, description="the From name")
    public_url: str = Field(
        default="",
        max_length=500,
        description="Huiliu's address as agents open it (https://support.shop.example): "
        "attachments become links under it; empty: HUILIU_PUBLIC_URL",
    )
    # Replies go out here.
    smtp_host: str = Field(min_length=1, max_length=253)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Security = Field(default="starttls", description="ssl (465), starttls or none")
    smtp_user: str = Field(default="", max_length=254)
    smtp_password: str = Field(default="", max_length=500)
    smtp_timeout_s: float = Field(default=20.0, gt=0, le=120)
    # Mail is also fetched from here when imap_host is set.
    imap_host: str = Field(default="", max_length=253)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_security: Security = Field(default="ssl")
    imap_user: str = Field(default="", max_length=254)
    imap_password: str = Field(default="", max_length=500)
    imap_folder: str = Field(default="INBOX", min_length=1, max_length=200)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        local, domain = split_address(value)
        return f"{local}@{domain}"

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n"):
            raise ValueError("the display name must be one line")
        return value.strip()

    @field_validator("smtp_host", "imap_host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if any(ch in value for ch in " /:@") and not value.startswith("["):
            raise ValueError("a host name or address only (no scheme, port or path)")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("an http(s) URL such as https://support.shop.example")
        return value

    @model_validator(mode="after")
    def _pairs(self) -> EmailConfig:
        if self.smtp_password and not self.smtp_user:
            raise ValueError("smtp_user is needed with smtp_password")
        if self.imap_host and not (self.imap_user and self.imap_password):
            raise ValueError("imap_user and imap_password are needed with imap_host")
        return self

    @property
    def local(self) -> str:
        return self.address.split("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.address.split("@", 1)[1]
