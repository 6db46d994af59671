"""The Weibo channel's inbound route: the fan-service platform's message push.

    GET  /channels/weibo/{token}?signature&timestamp&nonce&echostr   URL verification
    POST /channels/weibo/{token}?signature&timestamp&nonce           a pushed message (JSON)

``signature`` = sha1 of the App Secret, ``timestamp`` and ``nonce`` sorted and joined
(https://open.weibo.com/wiki/Messages_api_start). The verification answers ``echostr``; a
push answers ``200`` with an empty body (Weibo then sends no passive reply and does not
retry; the reply goes out through the reply API). A bad signature is ``401
bad_signature`` and stores nothing; a body that is not a push is ``422``.

Weibo pushes carry no message id: a retried push is recognised by sender, ``created_at``
(as Weibo's documentation recommends), type and a digest of the content (``push_id``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from huiliu.auth.deps import RuntimeDep
from huiliu.channels import actions, service
from huiliu.channels import numbered_menus as menus
from huiliu.channels.base import Identity, Inbound
from huiliu.channels.models import ChannelAccount
from huiliu.channels.weibo.adapter import CHANNEL, WeiboConfig, identity_channel
from huiliu.errors import Forbidden, InvalidInput, TooLarge, Unauthorized

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])

MAX_BODY = 64 * 1024
MAX_SKEW_S = 600  # Weibo retries within seconds; a clock may be a few minutes off
IMAGE_TEXT = "[图片消息，请在微博私信中查看]"
VOICE_TEXT = "[语音消息，请在微博私信中查看]"


def signature(app_secret: str, timestamp: str, nonce: str) -> str:
    joined = "".join(sorted([app_secret, timestamp, nonce]))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 (Weibo's protocol)


class WeiboPush(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = Field(min_length=1, max_length=32)
    receiver_id: str
    sender_id: str
    created_at: str = Field(min_length=1, max_length=64)
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("receiver_id", "sender_id", mode="before")
    @classmethod
    def _uid(cls, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return str(value)
        if isinstance(value, str) and value.isdigit() and len(value) <= 20:
            return value
        raise ValueError("a Weibo uid is a positive number")

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, value: Any) -> Any:
        # Documented as a string, shown as an object; an empty one is "" in some pushes.
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                raise ValueError("data is neither an object nor JSON text") from None
        return value


def fresh(timestamp: str, now: float) -> bool:
    """Whether the signed timestamp (Weibo's are milliseconds; seconds accepted) is near
    now: the signature covers no body, so an old signed URL must not be replayable."""
    if not timestamp.isdigit():
        return False
    seconds = int(timestamp) / 1000 if len(timestamp) > 11 else int(timestamp)
    return abs(now - seconds) <= MAX_SKEW_S


def push_id(message: WeiboPush) -> str:
    """The push's identity for de-duplication: Weibo gives no message id and recommends
    sender + ``created_at``; with the type and a digest of the content, two different
    messages a fan sends within the same second stay two, while a retry (the same body)
    is the same."""
    content = orjson.dumps([message.text, message.data], option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(content).hexdigest()[:16]
    return f"{message.sender_id}:{message.created_at}:{message.type}:{digest}"


async def _account(request: Request, runtime: RuntimeDep, token: str) -> ChannelAccount:
    async with runtime.db.read() as session:
        account = await service.get_by_token(session, channel=CHANNEL, token=token)
    config = WeiboConfig.model_validate(account.config)
    query = request.query_params
    given = query.get("signature", "")
    expected = signature(config.app_secret, query.get("timestamp", ""), query.get("nonce", ""))
    if not given or not hmac.compare_digest(expected.encode(), given.lower().encode()):
        reason = "bad signature"
    elif not fresh(query.get("timestamp", ""), time.time()):
        reason = "stale timestamp"
    else:
        reason = ""
    if reason:
        log.warning(
            "weibo account %d: %s from %s",
            account.id,
            reason,
            request.client.host if request.client else "?",
        )
        raise Unauthorized(
            f"{reason}: signature is sha1 of the sorted App Secret, timestamp and nonce, "
            f"and the timestamp within {MAX_SKEW_S // 60} minutes of now",
            code="bad_signature",
        )
    return account


@router.get("/channels/weibo/{token}", response_class=Response)
async def verify_url(token: str, request: Request, runtime: RuntimeDep) -> Response:
    """Weibo's first call when the URL is saved in the fan-service console."""
    await _account(request, runtime, token)
    return Response(request.query_params.get("echostr", ""), media_type="text/plain")


@router.post("/channels/weibo/{token}", response_class=Response)
async def push(token: str, request: Request, runtime: RuntimeDep) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TooLarge(f"the body is over {MAX_BODY // 1024} KB")
    account = await _account(request, runtime, token)
    if not account.active:
        raise Forbidden("this channel account is switched off", code="channel_inactive")
    config = WeiboConfig.model_validate(account.config)
    try:
        message = WeiboPush.model_validate(orjson.loads(body))
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not JSON", code="invalid_json") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidInput(f"{where}: {first.get('msg')}", field=where) from None
    if message.receiver_id != config.uid:
        raise InvalidInput(
            f"the push is for Weibo uid {message.receiver_id}; this account is uid {config.uid}",
            field="receiver_id",
        )
    subtype = str(message.data.get("subtype") or "")
    external_id = push_id(message)
    raw = body.decode(errors="replace")
    sender = Identity(channel=identity_channel(config.uid), external_id=message.sender_id)
    content = await _content(runtime, account, message, subtype)
    if content is None:
        await actions.ignore(runtime, account, external_id, raw)
        return Response("", media_type="text/plain")
    received = await actions.receive(
        runtime, account, Inbound(external_id, sender, content, raw=raw)
    )
    if received.status == "rejected":
        raise InvalidInput(received.error or "the message was refused", field="text")
    return Response("", media_type="text/plain")


async def _content(
    runtime: RuntimeDep, account: ChannelAccount, message: WeiboPush, subtype: str
) -> dict[str, Any] | None:
    """The push as message content; None for what carries nothing for an agent (follows,
    unfollows, @mentions, types Weibo may add later: its documentation says to ignore
    unknown ones)."""
    data = message.data
    if message.type == "text":
        if not message.text.strip():
            return None
        sender = identity_channel(str(account.config["uid"]))
        choice = await menus.choice(runtime, account, sender, message.sender_id, message.text)
        return choice or {"type": "text", "text": message.text}
    if message.type == "position":
        try:
            lat, lng = float(data["latitude"]), float(data["longitude"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                "a position push needs data.latitude and data.longitude", field="data"
            ) from None
        out: dict[str, Any] = {"type": "location", "lat": lat, "lng": lng}
        if message.text.strip():
            out["name"] = message.text.strip()[:200]
        return out
    if message.type == "image":
        return {"type": "text", "text": IMAGE_TEXT}
    if message.type == "voice":
        return {"type": "text", "text": VOICE_TEXT}
    if message.type == "event" and subtype == "click":
        # A custom-menu button: its key, as a tap on the bot's button of that id (a menu
        # key like "menu:ship" or "handoff" drives the bot), else as text.
        key = str(data.get("key") or "").strip()
        if not key:
            return None
        if len(key) <= 64:
            return {"type": "text", "text": key, "button_id": key}
        return {"type": "text", "text": key}
    return None
