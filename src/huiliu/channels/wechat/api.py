"""The WeChat account's server URL (服务器地址), ``/channels/wechat/{token}``.

    GET  ?signature&timestamp&nonce&echostr          the console's URL check: echostr back
    POST ?signature&timestamp&nonce&openid
         [&encrypt_type=aes&msg_signature]          a push: XML, encrypted in safe mode

A push is answered ``success`` (an empty passive reply) as soon as it is stored, well within
WeChat's 5 seconds; the bot's and agents' answers go out afterwards through the
customer-service API (the outbox). A bad signature is ``401 bad_signature``, a body that is
not a push ``400 invalid_xml`` — both logged here and not in the account's event log, which
holds only pushes known to come from WeChat; so is a plaintext push to a safe-mode account
(``401 plaintext_refused``). A switched-off account's pushes are answered
``success`` too (so WeChat stops retrying) and logged as ignored.
"""

from __future__ import annotations

import logging
import time

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import QueryParams

from huiliu.auth.deps import RuntimeDep
from huiliu.channels import actions
from huiliu.channels import service as channels_service
from huiliu.channels.base import Services
from huiliu.channels.models import ChannelAccount
from huiliu.channels.wechat import crypto
from huiliu.channels.wechat.adapter import WechatConfig
from huiliu.channels.wechat.inbound import Handling
from huiliu.channels.wechat.push import Push, PushError, parse
from huiliu.errors import AppError, TooLarge, Unauthorized
from huiliu.integrations.egress import guarded_client

router = APIRouter(tags=["channels"])
log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a push is a few hundred bytes
MAX_SKEW_S = 300  # a signed push older than this is a replay, not WeChat's retry
SUCCESS = "success"


class UnreachableWechat(AppError):
    status = 503
    code = "wechat_unreachable"


def _invalid(detail: str) -> AppError:
    return AppError(detail, code="invalid_xml")


async def _account(runtime: RuntimeDep, token: str) -> tuple[ChannelAccount, WechatConfig]:
    async with runtime.db.read() as session:
        account = await channels_service.get_by_token(session, channel="wechat", token=token)
    return account, WechatConfig.model_validate(account.config)


def _check_signature(
    account: ChannelAccount, config: WechatConfig, signature: str, timestamp: str, nonce: str
) -> None:
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= MAX_SKEW_S
    if not (fresh and crypto.valid(signature, config.token, timestamp, nonce)):
        log.warning("wechat account %d: bad or stale signature refused", account.id)
        raise Unauthorized(
            "bad or stale signature: WeChat signs with the Token of the server configuration",
            code="bad_signature",
        )


@router.get("/channels/wechat/{token}", response_class=PlainTextResponse)
async def verify_url(
    token: str,
    runtime: RuntimeDep,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    echostr: str = "",
) -> PlainTextResponse:
    """WeChat's check of the server URL: the ``echostr`` back when the signature holds."""
    account, config = await _account(runtime, token)
    _check_signature(account, config, signature, timestamp, nonce)
    return PlainTextResponse(echostr)


@router.post("/channels/wechat/{token}", response_class=PlainTextResponse)
async def receive_push(token: str, request: Request, runtime: RuntimeDep) -> PlainTextResponse:
    """A follower's message or event."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TooLarge(f"the body is over {MAX_BODY // 1024} KB")
    account, config = await _account(runtime, token)
    query = request.query_params
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    _check_signature(account, config, query.get("signature", ""), timestamp, nonce)
    encrypted = query.get("encrypt_type", "").lower() == "aes"
    if config.mode == "safe" and not encrypted:
        log.warning("wechat account %d: a plaintext push to a safe-mode account", account.id)
        raise Unauthorized(
            "this account is in safe mode: pushes must be encrypted", code="plaintext_refused"
        )
    try:
        fields = parse(body)
        if encrypted:
            fields = _decrypted(account, config, fields, timestamp, nonce, query)
        push = Push(fields)
        push.openid  # noqa: B018 (raises for a push without its sender)
        dedupe_id = push.dedupe_id  # … or without its ids
    except PushError as exc:
        log.info("wechat account %d: malformed push: %s", account.id, exc)
        raise _invalid(str(exc)) from None
    raw = body.decode(errors="replace") if not encrypted else _plain_xml(fields)
    if not account.active:
        log.info("wechat account %d is switched off: push %s ignored", account.id, dedupe_id)
        await actions.ignore(runtime, account, dedupe_id, raw)
        return PlainTextResponse(SUCCESS)
    async with guarded_client(runtime.settings.outbound_allow, follow_redirects=False) as http:
        handling = Handling(
            runtime,
            Services(runtime.db, http, runtime.settings),
            account,
            config,
            str(request.base_url),
        )
        try:
            received = await handling.handle(push, raw)
        except PushError as exc:
            raise _invalid(str(exc)) from None
        except httpx.HTTPError as exc:  # WeChat's media API unreachable: WeChat retries
            raise UnreachableWechat(f"could not fetch the media from WeChat: {exc}") from None
    if received is not None and received.status == "rejected":
        log.info("wechat account %d refused push %s: %s", account.id, dedupe_id, received.error)
    return PlainTextResponse(SUCCESS)


def _decrypted(
    account: ChannelAccount,
    config: WechatConfig,
    fields: dict[str, str],
    timestamp: str,
    nonce: str,
    query: QueryParams,
) -> dict[str, str]:
    encrypted = fields.get("Encrypt", "")
    if not encrypted:
        raise PushError("encrypt_type=aes but the body has no Encrypt")
    if not config.encoding_aes_key:
        raise PushError("an encrypted push, but the account has no encoding_aes_key")
    if not crypto.valid(query.get("msg_signature", ""), config.token, timestamp, nonce, encrypted):
        log.warning("wechat account %d: bad msg_signature refused", account.id)
        raise Unauthorized(
            "bad msg_signature: WeChat signs the Encrypt field with the Token",
            code="bad_signature",
        )
    try:
        inner = crypto.decrypt(config.encoding_aes_key, encrypted, config.appid)
    except crypto.CryptoError as exc:
        raise PushError(f"the push does not decrypt: {exc}") from None
    return parse(inner)


def _plain_xml(fields: dict[str, str]) -> str:
    """A decrypted push as kept in the event log (the readable form, for support)."""
    from xml.sax.saxutils import escape

    return "<xml>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items()) + "</xml>"
