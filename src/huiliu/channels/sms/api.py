"""The SMS channel's inbound routes: the gateway's webhook for texts and its delivery-status
callbacks (docs/channels/sms.md).

    POST /channels/sms/{token}          a text (Twilio: MessageSid, From, To, Body, Media…)
    POST /channels/sms/{token}/status   a delivery report (MessageSid, MessageStatus …)

Both answer ``200`` with an empty TwiML ``<Response/>`` at once (the reply, if any, goes
out later through the outbox), ``401 bad_signature`` when the signature does not match the
URL the gateway called (nothing stored), ``400`` for a body that is not the gateway's form.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from huiliu.auth.deps import RuntimeDep
from huiliu.auth.principal import Principal
from huiliu.bus.events import DeliveryUpdated
from huiliu.channels import actions, service
from huiliu.channels import numbered_menus as menus
from huiliu.channels.base import Identity, Inbound
from huiliu.channels.models import ChannelAccount, ChannelEvent, Direction, EventStatus
from huiliu.channels.sms.adapter import CHANNEL
from huiliu.channels.sms.providers import (
    PROVIDERS,
    MalformedPush,
    Params,
    SmsIn,
    SmsMedia,
    SmsProvider,
    origin,
)
from huiliu.channels.sms.settings import SmsConfig
from huiliu.contacts import service as contacts_service
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.conversations.schemas import ConversationRef
from huiliu.errors import Forbidden, InvalidInput, TooLarge, Unauthorized
from huiliu.files import service as files_service
from huiliu.integrations.egress import guarded_client
from huiliu.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])

MAX_BODY = 64 * 1024  # a text with ten media URLs is a few KB
MEDIA_TIMEOUT_S = 8.0  # Twilio waits 15 s for the webhook's answer
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's default opt-out and opt-in keywords (it answers them and blocks or unblocks the
# number itself: https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out); their
# texts reach the conversation (the agent sees why replies fail), the bot does not answer.
OPT_KEYWORDS = {
    *("STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"),
    *("START", "UNSTOP"),
}


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(
            "the body is not a UTF-8 form (application/x-www-form-urlencoded)",
            code="invalid_form",
        ) from None


def called_url(request: Request, config: SmsConfig) -> str:
    """The URL the gateway called, which its signature covers: behind a proxy the account's
    ``public_url`` says the scheme and host (forwarded headers are not trusted here)."""
    if not config.public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{config.public_url}{request.url.path}{query}"


async def _signed(
    request: Request, runtime: Runtime, token: str
) -> tuple[ChannelAccount, SmsConfig, SmsProvider, Params]:
    """The account and the form of a push the gateway signed; raises otherwise."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TooLarge(f"the body is over {MAX_BODY // 1024} KB")
    async with runtime.db.read() as session:
        account = await service.get_by_token(session, channel=CHANNEL, token=token)
    config = SmsConfig.model_validate(account.config)
    provider = PROVIDERS[config.provider]
    params = _form(body)
    url = called_url(request, config)
    if not provider.verify(config, url, params, request.headers):
        log.warning(
            "sms account %d: bad signature for %s from %s",
            account.id,
            url,
            request.client.host if request.client else "?",
        )
        raise Unauthorized(
            "bad signature: X-Twilio-Signature does not match this account's auth token and "
            f"the URL {url} (behind a proxy, set the account's public_url)",
            code="bad_signature",
        )
    if not account.active:
        raise Forbidden("this channel account is switched off", code="channel_inactive")
    return account, config, provider, params


@router.post("/channels/sms/{token}", response_class=Response)
async def inbound(token: str, request: Request, runtime: RuntimeDep) -> Response:
    account, config, provider, params = await _signed(request, runtime, token)
    try:
        sms = provider.parse(params)
    except MalformedPush as exc:
        raise InvalidInput(f"not an inbound message: {exc}", code="invalid_message") from None
    sender = Identity(
        channel=CHANNEL,
        external_id=sms.sender,
        phone=sms.sender,
        merge_keys=[("phone", sms.sender)] if sms.sender.startswith("+") else [],
    )
    automated = bool(sms.opt_out) or sms.body.strip().upper() in OPT_KEYWORDS
    raw = request_raw(params)
    items: list[tuple[str, dict[str, object]]] = []
    if sms.body.strip():
        choice = await menus.choice(runtime, account, CHANNEL, sms.sender, sms.body)
        content = choice or {"type": "text", "text": sms.body}
        items.append((sms.message_id, content))
    for n, media in enumerate(sms.media):
        external_id = f"{sms.message_id}:media{n}"
        if await _known(runtime, account, external_id):
            continue  # a retry: its file was stored the first time
        items.append((external_id, await _media(runtime, request, account, config, sms, media)))
    if not items:
        await actions.ignore(runtime, account, sms.message_id, raw)
        return _twiml()
    for external_id, content in items:
        received = await actions.receive(
            runtime,
            account,
            Inbound(external_id, sender, dict(content), raw=raw, automated=automated),
        )
        if received.status == "rejected":
            raise InvalidInput(received.error or "the message was refused", field="Body")
    return _twiml()


@router.post("/channels/sms/{token}/status", response_class=Response)
async def status(token: str, request: Request, runtime: RuntimeDep) -> Response:
    """A delivery report: ``failed`` and ``undelivered`` turn the reply's delivery into
    ``failed`` with the gateway's error code; the others change nothing (``sent`` is
    already recorded when the gateway accepted it)."""
    account, _config, provider, params = await _signed(request, runtime, token)
    report = provider.parse_status(params)
    if report is None:
        raise InvalidInput("not a delivery report: MessageSid or MessageStatus is missing")
    if report.status not in ("failed", "undelivered"):
        return _twiml()
    error = f"{report.status} by the carrier" + (f": {report.error}" if report.error else "")
    async with runtime.db.write() as session:
        event = await session.scalar(
            select(ChannelEvent).where(
                ChannelEvent.channel_account_id == account.id,
                ChannelEvent.direction == Direction.outbound,
                ChannelEvent.channel_message_id == report.message_id,
            )
        )
        if event is None or event.message_id is None or event.conversation_id is None:
            return _twiml()  # not one of ours, or a later part of a long reply
        await service.finish_event(
            session, event_id=event.id, status=EventStatus.failed, error=error
        )
        message_id = event.message_id
        conv = await session.get(Conversation, event.conversation_id)
        assert conv is not None  # the event's conversation
        ref = ConversationRef(
            id=conv.id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
            status=ConversationStatus(conv.status),
        )
    await runtime.bus.publish(
        [
            DeliveryUpdated(
                tenant_id=account.tenant_id,
                conversation=ref,
                message_id=message_id,
                status="failed",
                error=error,
            )
        ]
    )
    return _twiml()


def request_raw(params: Params) -> str:
    return "&".join(f"{k}={v}" for k, v in params)


async def _known(runtime: Runtime, account: ChannelAccount, external_id: str) -> bool:
    async with runtime.db.read() as session:
        event = await service.find_event(
            session, account_id=account.id, direction=Direction.inbound, external_id=external_id
        )
    return event is not None and event.status is not EventStatus.received


async def _media(
    runtime: Runtime,
    request: Request,
    account: ChannelAccount,
    config: SmsConfig,
    sms: SmsIn,
    media: SmsMedia,
) -> dict[str, object]:
    """An MMS attachment as a message: copied into Huiliu's files when it is on the
    gateway's own API host (with the account's credentials, through the egress guard);
    any other URL is not fetched (a forged or redirected push must not make Huiliu
    request an address of the attacker's choosing) and shows as a link."""
    link: dict[str, object] = {"type": "text", "text": f"[MMS attachment, not fetched] {media.url}"}
    provider = PROVIDERS[config.provider]
    if not config.fetch_media or origin(media.url) != provider.media_host(config):
        return link
    limit = runtime.settings.max_upload_bytes
    try:
        async with (
            guarded_client(
                runtime.settings.outbound_allow, timeout=MEDIA_TIMEOUT_S, follow_redirects=True
            ) as http,
            http.stream("GET", media.url, auth=(config.account_sid, config.auth_token)) as response,
        ):
            if response.status_code != 200:
                log.info("sms: media %s answered %d", media.url, response.status_code)
                return link
            data = b""
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > limit:
                    log.info("sms: media %s is over %d bytes", media.url, limit)
                    return link
    except Exception as exc:  # blocked by the egress guard, timed out, refused …
        log.info("sms: media %s not fetched: %s", media.url, exc)
        return link
    if not data:
        return link
    async with runtime.db.write() as session:
        contact = await contacts_service.resolve_channel_identity(
            session,
            tenant_id=account.tenant_id,
            channel=CHANNEL,
            external_id=sms.sender,
            merge_keys=[("phone", sms.sender)] if sms.sender.startswith("+") else [],
            profile={"name": None, "email": None, "phone": sms.sender},
        )
        uploader = Principal(kind="visitor", tenant_id=account.tenant_id, id=contact.id)
        name = media.url.rstrip("/").rsplit("/", 1)[-1]
        row, image = await files_service.create(
            session, uploader=uploader, name=name, declared=media.content_type, data=data
        )
        key, stored_name, mime = row.key, row.name, row.mime
    base = config.public_url or str(request.base_url).rstrip("/")
    url = f"{base}/files/{key}/{quote(stored_name, safe='')}"
    if image is not None:
        out: dict[str, object] = {"type": "image", "url": url, "size": len(data)}
        if image.width and image.height:
            out |= {"width": image.width, "height": image.height}
        return out
    return {"type": "file", "url": url, "name": stored_name, "size": len(data), "mime": mime}
