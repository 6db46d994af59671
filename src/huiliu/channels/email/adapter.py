"""The e-mail channel's adapter: replies go out over the merchant's SMTP server.

A 4xx answer or a connection that fails is a passing failure (the outbox retries); a 5xx
answer is final and its text is the delivery's error the agents read.
"""

from __future__ import annotations

import ssl
from typing import Any, ClassVar

import aiosmtplib
from pydantic import BaseModel

from huiliu.channels.base import Outgoing, Sent, Services
from huiliu.channels.email.compose import CannotCompose, compose
from huiliu.channels.email.settings import CHANNEL, EmailConfig
from huiliu.integrations.egress import EgressBlocked, check_host, parse_allow

ERROR_CHARS = 300


class EmailChannel:
    channel: ClassVar[str] = CHANNEL
    label: ClassVar[str] = "E-mail"
    secret_fields: ClassVar[tuple[str, ...]] = ("smtp_password", "imap_password")
    reply_window_s: ClassVar[float | None] = None
    config_model: ClassVar[type[BaseModel]] = EmailConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return CHANNEL

    def generated_secrets(self) -> dict[str, str]:
        return {}

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        config = EmailConfig.model_validate(outgoing.config)
        try:
            composed = await compose(
                services.db,
                services.settings.resolved_secret_key,
                config,
                outgoing,
                public_url=config.public_url or services.settings.public_url,
            )
        except CannotCompose as exc:
            return Sent.failed(str(exc))
        try:
            # The SMTP host is the merchant's setting: the same egress rule as their URLs.
            await check_host(
                config.smtp_host, config.smtp_port, parse_allow(services.settings.outbound_allow)
            )
        except EgressBlocked as exc:
            return Sent.failed(str(exc))
        except Exception as exc:  # cannot resolve the name: maybe DNS is down for a while
            return Sent.retry(f"{config.smtp_host}: {exc}")
        try:
            _, answer = await aiosmtplib.send(
                composed.message,
                sender=config.address,
                recipients=[outgoing.recipient.external_id],
                hostname=config.smtp_host,
                port=config.smtp_port,
                username=config.smtp_user or None,
                password=config.smtp_password or None,
                use_tls=config.smtp_security == "ssl",
                start_tls=config.smtp_security == "starttls",
                timeout=config.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return _refused(exc.recipients[0].code, exc.recipients[0].message)
        except aiosmtplib.SMTPResponseException as exc:
            return _refused(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            return Sent.retry(f"could not reach {config.smtp_host}:{config.smtp_port}: {exc}")
        return Sent.ok(composed.message_id, raw=answer[:ERROR_CHARS])


def _refused(code: int, message: str) -> Sent:
    error = f"SMTP {code}: {' '.join(message.split())}"[:ERROR_CHARS]
    if 400 <= code < 500:
        return Sent.retry(error)
    return Sent.failed(error)


ADAPTER = EmailChannel()
