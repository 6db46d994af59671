"""The SMS channel's adapter: replies go out as texts through the account's gateway.

Customers are known by their number (``sms`` + E.164), and the number is also their
``phone`` merge key: a number that texted in is vouched for by the carrier, so the same
person on another channel with that verified phone is one contact.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from huiliu.channels.base import Outgoing, Sent, Services
from huiliu.channels.models import ChannelAccount
from huiliu.channels.plaintext import plain_text, split_text
from huiliu.channels.sms.providers import PROVIDERS
from huiliu.channels.sms.settings import SmsConfig

CHANNEL = "sms"
# Twilio splits a text into segments and the handset joins them, up to 1600 characters
# (https://www.twilio.com/docs/glossary/what-sms-character-limit); longer replies go out
# as several texts, at most this many.
PART_CHARS = 1600
MAX_PARTS = 4


class SmsChannel:
    channel: ClassVar[str] = CHANNEL
    label: ClassVar[str] = "SMS (Twilio)"
    secret_fields: ClassVar[tuple[str, ...]] = ("auth_token",)
    reply_window_s: ClassVar[float | None] = None
    config_model: ClassVar[type[BaseModel]] = SmsConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return CHANNEL

    def generated_secrets(self) -> dict[str, str]:
        return {}

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        config = SmsConfig.model_validate(outgoing.config)
        provider = PROVIDERS[config.provider]
        text = plain_text(outgoing.message.content)
        if not text.strip():
            kind = outgoing.message.content.get("type")
            return Sent.failed(f"a {kind} message has no text an SMS can carry")
        parts = split_text(text, PART_CHARS)
        if len(parts) > MAX_PARTS:
            return Sent.failed(
                f"the reply is {len(text)} characters; SMS replies are limited to "
                f"{MAX_PARTS * PART_CHARS} ({MAX_PARTS} texts): shorten it"
            )
        status_url = await _status_url(services, config, outgoing.account_id)
        first: Sent | None = None
        for n, part in enumerate(parts, 1):
            sent = await provider.send(
                services.http, config, outgoing.recipient.external_id, part, status_url
            )
            if sent.status != "sent":
                if first is None:
                    return sent  # nothing went out yet: a passing failure may be retried
                # Earlier parts went out: retrying would send them twice.
                return Sent.failed(
                    f"parts 1–{n - 1} of {len(parts)} were sent; part {n}: {sent.error}",
                    raw=sent.raw,
                )
            first = first or sent
        assert first is not None
        return first


async def _status_url(services: Services, config: SmsConfig, account_id: int) -> str | None:
    """Where the gateway reports delivery (delivered, undelivered …): only when the account
    says under which public address Huiliu is reached."""
    if not config.public_url:
        return None
    async with services.db.read() as session:
        account = await session.get(ChannelAccount, account_id)
        token = account.token if account is not None else None
    return f"{config.public_url}/channels/{CHANNEL}/{token}/status" if token else None


ADAPTER = SmsChannel()
