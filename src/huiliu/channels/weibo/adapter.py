"""The Weibo channel's adapter: replies go out through the fan-service reply API.

Weibo (https://open.weibo.com/wiki/Send_Customer_Service_Message): ``POST
https://m.api.weibo.com/2/messages/reply.json`` form-encoded with ``access_token``,
``type`` (text, articles, position), ``data`` (the message as JSON), ``receiver_id`` and
``save_sender_box``; replies are allowed for 48 hours after the fan's last message (and
never after they unfollow). Fans are known by their uid under the merchant's uid
(``weibo:<uid>``); Weibo vouches for nothing that would merge them with other channels.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from huiliu.channels.base import Outgoing, Sent, Services
from huiliu.channels.plaintext import plain_text, split_text
from huiliu.integrations.egress import EgressBlocked
from huiliu.integrations.merchant_api import LOOPBACK

CHANNEL = "weibo"
# "The content should be less than 300 Chinese characters"; longer replies go out as
# several messages, at most this many.
PART_CHARS = 300
MAX_PARTS = 6
ERROR_CHARS = 300
# Weibo's rate-limit codes (https://open.weibo.com/wiki/Error_code): passing.
RATE_LIMITED = {10022, 10023, 10024}
TOKEN_ERRORS = {21314, 21315, 21316, 21317, 21319, 21327, 21332}


class WeiboConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uid: str = Field(pattern=r"^\d{1,20}$", description="the merchant's Weibo uid (receiver_id)")
    app_secret: str = Field(
        min_length=8, max_length=200, description="the App Secret of the APPKEY: signs pushes"
    )
    access_token: str = Field(
        min_length=8, max_length=500, description="the fan-service access token: sends replies"
    )
    api_base: str = Field(default="https://m.api.weibo.com", description="Weibo's reply API")
    save_sender_box: bool = Field(
        default=True, description="keep replies in the account's own private-message box"
    )

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if not parts.hostname or parts.path or parts.query:
            raise ValueError("api_base is a scheme and host only, like https://m.api.weibo.com")
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
            return value
        raise ValueError("api_base must be https:// (plain http only on loopback)")


def identity_channel(uid: str) -> str:
    return f"{CHANNEL}:{uid}"


def replies(content: dict[str, Any]) -> list[tuple[str, dict[str, Any]]] | str:
    """``content`` as Weibo reply messages (type, data); a string says why it cannot go."""
    kind = content.get("type")
    if kind == "card":
        article = {
            "display_name": content["title"],
            "summary": content.get("description") or content.get("price") or content["title"],
            "image": content.get("image_url") or "",
            "url": content.get("url") or "",
        }
        return [("articles", {"articles": [article]})]
    if kind == "location":
        return [("position", {"longitude": str(content["lng"]), "latitude": str(content["lat"])})]
    text = plain_text(content)
    if not text.strip():
        return f"a {kind} message has no text a Weibo message can carry"
    parts = split_text(text, PART_CHARS)
    if len(parts) > MAX_PARTS:
        return (
            f"the reply is {len(text)} characters; Weibo replies are limited to "
            f"{MAX_PARTS * PART_CHARS} ({MAX_PARTS} messages): shorten it"
        )
    return [("text", {"text": part}) for part in parts]


class WeiboChannel:
    channel: ClassVar[str] = CHANNEL
    label: ClassVar[str] = "微博 Weibo"
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "access_token")
    reply_window_s: ClassVar[float | None] = 48 * 3600
    config_model: ClassVar[type[BaseModel]] = WeiboConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return identity_channel(str(config["uid"]))

    def generated_secrets(self) -> dict[str, str]:
        return {}

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        config = WeiboConfig.model_validate(outgoing.config)
        messages = replies(outgoing.message.content)
        if isinstance(messages, str):
            return Sent.failed(messages)
        first: Sent | None = None
        for n, (kind, data) in enumerate(messages, 1):
            sent = await _reply(services.http, config, outgoing.recipient.external_id, kind, data)
            if sent.status != "sent":
                if first is None:
                    return sent
                return Sent.failed(
                    f"parts 1–{n - 1} of {len(messages)} were sent; part {n}: {sent.error}",
                    raw=sent.raw,
                )
            first = first or sent
        assert first is not None
        return first


async def _reply(
    http: httpx.AsyncClient, config: WeiboConfig, receiver: str, kind: str, data: dict[str, Any]
) -> Sent:
    form = {
        "access_token": config.access_token,
        "type": kind,
        "data": orjson.dumps(data).decode(),  # the form encoding URL-encodes it, as asked
        "receiver_id": receiver,
        "save_sender_box": "1" if config.save_sender_box else "0",
    }
    try:
        response = await http.post(
            f"{config.api_base}/2/messages/reply.json", data=form, timeout=10.0
        )
    except EgressBlocked as exc:
        return Sent.failed(str(exc))
    except httpx.TimeoutException:
        return Sent.retry("Weibo did not answer within 10 s")
    except httpx.HTTPError as exc:
        return Sent.retry(f"could not reach Weibo: {type(exc).__name__}: {exc}")
    raw = response.text[:ERROR_CHARS]
    try:
        answer = response.json()
    except ValueError:
        answer = None
    answer = answer if isinstance(answer, dict) else {}
    code = answer.get("error_code")
    if 200 <= response.status_code < 300 and code is None:
        their = answer.get("id") or answer.get("msg_id")
        return Sent.ok(str(their) if their else None, raw=raw)
    if isinstance(code, int | str) and str(code).isdigit():
        number = int(code)
        error = f"Weibo error {number}: {answer.get('error') or 'refused'}"
        if number in TOKEN_ERRORS:
            error += " (renew the access token in the fan-service console)"
        if number in RATE_LIMITED:
            return Sent.retry(error, raw=raw)
        if response.status_code < 500:
            return Sent.failed(error, raw=raw)
    else:
        error = f"Weibo HTTP {response.status_code}" + (f": {raw.strip()}" if raw.strip() else "")
    if response.status_code == 429 or response.status_code >= 500:
        return Sent.retry(error, raw=raw)
    return Sent.failed(error, raw=raw)


ADAPTER = WeiboChannel()
