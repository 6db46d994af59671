"""The API channel: a merchant's own systems (an app back end, a mini-program, a CRM) post
their customers' messages over REST and receive the agents' and the bot's replies on a
webhook of theirs. Both directions are signed with the account's secret the way the
merchant API calls are (docs/bot.md): ``X-Huiliu-Timestamp`` and ``X-Huiliu-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``.

Customers are the merchant's own users: their id is the ``user`` identity, the same one a
signed-in widget visitor has, so the two are one contact with one history.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from huiliu.channels.base import Outgoing, Sent, Services
from huiliu.contacts.models import USER_CHANNEL
from huiliu.integrations.egress import EgressBlocked
from huiliu.integrations.merchant_api import LOOPBACK, signature

ERROR_BODY_CHARS = 300


class ApiChannelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_url: str = Field(
        min_length=1, max_length=2000, description="where replies are POSTed (https)"
    )
    secret: str = Field(min_length=24, max_length=200, description="signs both directions")
    timeout_s: float = Field(default=10.0, gt=0, le=60)

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if not parts.hostname:
            raise ValueError("the URL needs a host")
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
            return value.strip()
        raise ValueError("the webhook URL must be https:// (plain http only on loopback)")


class ApiChannel:
    channel: ClassVar[str] = "api"
    label: ClassVar[str] = "API"
    secret_fields: ClassVar[tuple[str, ...]] = ("secret",)
    reply_window_s: ClassVar[float | None] = None
    config_model: ClassVar[type[BaseModel]] = ApiChannelConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return USER_CHANNEL

    def generated_secrets(self) -> dict[str, str]:
        return {"secret": secrets.token_urlsafe(32)}

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        config = ApiChannelConfig.model_validate(outgoing.config)
        message = outgoing.message
        body = orjson.dumps(
            {
                "event": "message",
                "account_id": outgoing.account_id,
                "conversation_id": outgoing.conversation_id,
                "user": {"id": outgoing.recipient.external_id},
                "message": message.model_dump(mode="json"),
            }
        )
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "x-huiliu-timestamp": timestamp,
            "x-huiliu-signature": signature(config.secret, timestamp, body),
            "x-huiliu-delivery": str(message.id),
        }
        try:
            response = await services.http.post(
                config.webhook_url, content=body, headers=headers, timeout=config.timeout_s
            )
        except EgressBlocked as exc:
            return Sent.failed(str(exc))
        except httpx.TimeoutException:
            return Sent.retry(f"no answer within {config.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Sent.retry(f"could not deliver: {type(exc).__name__}: {exc}")
        text = response.text[:ERROR_BODY_CHARS]
        if 200 <= response.status_code < 300:
            their_id = None
            try:
                answer = response.json()
                if isinstance(answer, dict) and isinstance(answer.get("id"), str | int):
                    their_id = str(answer["id"])
            except ValueError:
                pass
            return Sent.ok(their_id, raw=text)
        error = f"HTTP {response.status_code}" + (f": {text.strip()}" if text.strip() else "")
        if response.status_code == 429 or response.status_code >= 500:
            return Sent.retry(error, raw=text)
        return Sent.failed(error, raw=text)


ADAPTER = ApiChannel()
