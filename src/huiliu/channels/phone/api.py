"""The phone channel's inbound route: the merchant's PBX or CTI middleware posts call
events.

    POST /channels/phone/{token}/events
    X-Huiliu-Timestamp: <unix seconds>
    X-Huiliu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
    {"id": "<event id>", "call_id": "…", "event": "ringing", "at": "2026-12-01T10:00:00+08:00",
     "caller": "13800138000", "callee": "4008001234", "direction": "inbound", …}

Answers ``201`` with the call's state, ``200`` with ``"status": "duplicate"`` for an event
``id`` seen before (resend freely), ``401`` for a bad or stale signature and ``422`` for a
body that is not a valid event — those store nothing.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from huiliu.auth.deps import RuntimeDep
from huiliu.channels import service
from huiliu.channels.phone import actions
from huiliu.channels.phone.adapter import CHANNEL, PhoneConfig
from huiliu.channels.phone.schemas import CallEventIn, CallEventOut
from huiliu.errors import Forbidden, InvalidInput, TooLarge, Unauthorized
from huiliu.integrations.merchant_api import verify

router = APIRouter(tags=["channels"])
MAX_BODY = 64 * 1024


@router.post("/channels/phone/{token}/events", status_code=201)
async def post_event(
    token: str, request: Request, response: Response, runtime: RuntimeDep
) -> CallEventOut:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TooLarge(f"the body is over {MAX_BODY // 1024} KB")
    async with runtime.db.read() as session:
        account = await service.get_by_token(session, channel=CHANNEL, token=token)
    config = PhoneConfig.model_validate(account.config)
    timestamp = request.headers.get("x-huiliu-timestamp", "")
    given = request.headers.get("x-huiliu-signature", "")
    if not verify(config.secret, timestamp, body, given):
        raise Unauthorized(
            "bad or stale signature: sign '<timestamp>.<body>' with the account's secret",
            code="bad_signature",
        )
    if not account.active:
        raise Forbidden("this channel account is switched off", code="channel_inactive")
    try:
        event = CallEventIn.model_validate(orjson.loads(body))
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not JSON", code="invalid_json") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{where or 'body'}: {first.get('msg')}", field=where or None) from None
    handled = await actions.handle(runtime, account, event, body.decode(errors="replace"))
    if handled.status == "rejected":
        raise InvalidInput(handled.error or "the event was refused")
    if handled.status == "duplicate":
        response.status_code = 200
    return CallEventOut(
        status=handled.status,
        call_id=event.call_id,
        state=handled.state,
        conversation_id=handled.conversation_id,
    )
