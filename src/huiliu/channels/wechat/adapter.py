"""The WeChat official account channel (微信公众号): followers' messages come in as WeChat's
XML pushes (``channels.wechat.api``); agents' and the bot's replies go out through the
customer-service message API, which accepts them within 48 hours of the follower's last
message. docs/channels/wechat.md says how a merchant sets it up.

Followers are known by their openid on the account (``wechat:<appid>``); a unionid, when
WeChat gives one, is the merge key ``wechat_union`` that finds the same person on the
merchant's other WeChat apps.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from huiliu.channels.base import Outgoing, Sent, Services
from huiliu.channels.wechat import crypto
from huiliu.channels.wechat import models as models  # the table, for Alembic
from huiliu.channels.wechat.client import TOKEN_REFUSED, ApiError, WechatApi
from huiliu.channels.wechat.outgoing import render
from huiliu.integrations.egress import EgressBlocked

UNION_CHANNEL = "wechat_union"

# WeChat's refusals that retrying cannot fix, in words an agent can act on.
FAILED = {
    40003: "the openid is not a follower of this account (40003)",
    40013: "the appid is wrong (40013): check the account's settings",
    40125: "the AppSecret is wrong (40125): check the account's settings",
    40164: "this server's IP is not on the account's IP whitelist (40164)",
    43004: "the customer has unfollowed the account (43004)",
    45002: "the message is too long for WeChat (45002)",
    45015: "out of the 48-hour window: the customer has not written in 48 hours (45015)",
    45047: "WeChat allows at most 20 messages after one of the customer's (45047)",
    48001: "the account may not use the customer-service API: it must be a verified "
    "service account (48001)",
}
RETRY = {-1: "WeChat is busy (-1)", 45009: "the account's daily API quota is used up (45009)"}


class WechatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appid: str = Field(
        pattern=r"^wx[0-9A-Za-z]{16}$",
        description="the AppID (开发者ID): wx and 16 letters or digits",
    )
    app_secret: str = Field(
        min_length=16, max_length=128, pattern=r"^[0-9A-Za-z]+$", description="the AppSecret"
    )
    token: str = Field(
        min_length=3,
        max_length=32,
        pattern=r"^[0-9A-Za-z]+$",
        description="the server configuration's Token (3-32 letters or digits)",
    )
    encoding_aes_key: str | None = Field(
        default=None,
        min_length=43,
        max_length=43,
        pattern=r"^[0-9A-Za-z]{43}$",
        description="the EncodingAESKey (43 letters or digits): needed for safe and "
        "compatible mode",
    )
    mode: Literal["plaintext", "compatible", "safe"] = Field(
        default="plaintext", description="the message encryption mode (消息加解密方式)"
    )

    @field_validator("encoding_aes_key")
    @classmethod
    def _decodes(cls, value: str | None) -> str | None:
        if value:
            crypto.aes_key(value)  # raises with the reason
        return value

    @field_validator("mode")
    @classmethod
    def _key_for_encryption(cls, value: str, info: ValidationInfo) -> str:
        if value != "plaintext" and not info.data.get("encoding_aes_key"):
            raise ValueError(f"{value} mode needs the encoding_aes_key")
        return value


def sent_for(exc: ApiError, *, partly: bool) -> Sent:
    if exc.errcode in RETRY and not partly:
        return Sent.retry(RETRY[exc.errcode], raw=exc.raw)
    if exc.errcode in TOKEN_REFUSED and not partly:
        return Sent.retry(f"WeChat refused a fresh access token too ({exc.errcode})", raw=exc.raw)
    reason = FAILED.get(exc.errcode) or f"WeChat refused it: {exc.errcode} {exc.errmsg}".strip()
    if partly:
        reason += " (the first parts went out)"
    return Sent.failed(reason, raw=exc.raw)


class WechatChannel:
    channel: ClassVar[str] = "wechat"
    label: ClassVar[str] = "WeChat official account"
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "token", "encoding_aes_key")
    reply_window_s: ClassVar[float | None] = 48 * 3600
    config_model: ClassVar[type[BaseModel]] = WechatConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return f"wechat:{config['appid']}"

    def generated_secrets(self) -> dict[str, str]:
        return {}  # every secret comes from the WeChat console

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        config = WechatConfig.model_validate(outgoing.config)
        api = WechatApi(services, outgoing.account_id, config.appid, config.app_secret)

        async def upload(data: bytes, name: str, mime: str) -> str:
            return await api.upload("image", data, name, mime)

        sent = 0  # a message in several parts: never send the first ones twice
        template = outgoing.message.content.get("wechat_template")
        try:
            if isinstance(template, dict):  # a campaign's notice past the 48-hour window
                await api.send_template({"touser": outgoing.recipient.external_id, **template})
                return Sent.ok(raw="template message sent")
            messages = await render(services, outgoing.tenant_id, outgoing.message.content, upload)
            if not messages:
                return Sent.ok(raw="nothing to send on WeChat")
            for message in messages:
                await api.send({"touser": outgoing.recipient.external_id, **message})
                sent += 1
        except ApiError as exc:
            return sent_for(exc, partly=sent > 0)
        except EgressBlocked as exc:
            return Sent.failed(str(exc))
        except httpx.HTTPError as exc:
            if sent:
                return Sent.failed(f"could not reach WeChat after the first parts: {exc}")
            return Sent.retry(f"could not reach WeChat: {type(exc).__name__}: {exc}")
        return Sent.ok(raw=f"{sent} customer-service message(s) sent")


ADAPTER = WechatChannel()
