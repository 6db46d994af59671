"""An SMS account's settings: the gateway, its credentials, the sending number."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from huiliu.integrations.merchant_api import LOOPBACK


def _base_url(value: str, what: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"{what} is a scheme and host only, like https://api.twilio.com")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return value
    raise ValueError(f"{what} must be https:// (plain http only on loopback)")


class SmsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["twilio"] = Field(default="twilio", description="the SMS gateway")
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$", description="Twilio Account SID (AC…)")
    auth_token: str = Field(
        min_length=16, max_length=200, description="Twilio Auth Token: signs webhooks"
    )
    from_number: str | None = Field(
        default=None, pattern=r"^\+[1-9]\d{6,14}$", description="the sending number, E.164"
    )
    messaging_service_sid: str | None = Field(
        default=None,
        validate_default=True,
        pattern=r"^MG[0-9a-fA-F]{32}$",
        description="send through a Messaging Service (MG…) instead of from_number",
    )
    api_base: str = Field(default="https://api.twilio.com", description="Twilio's REST API")
    public_url: str | None = Field(
        default=None,
        description="Huiliu's address as Twilio calls it (https://support.example.com) when "
        "a proxy sits in front: the webhook signature covers the URL Twilio called",
    )
    fetch_media: bool = Field(
        default=True,
        description="copy MMS pictures from Twilio's API host into Huiliu's files",
    )

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return _base_url(value, "api_base")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return _base_url(value, "public_url") if value else None

    @field_validator("messaging_service_sid")
    @classmethod
    def _a_sender(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A field's check, not the model's, so the error names a field.
        if not value and not info.data.get("from_number"):
            raise ValueError("give from_number or messaging_service_sid")
        return value
