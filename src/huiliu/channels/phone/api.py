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

from fastapi import APIRouter, Request, Response

from huiliu.auth.deps import RuntimeDep
from huiliu.channels.phone import actions
from huiliu.channels.phone.adapter import CHANNEL
from huiliu.channels.phone.schemas import CallEventIn, CallEventOut
from huiliu.channels.signed import parse_json, signed_push
from huiliu.errors import InvalidInput

router = APIRouter(tags=["channels"])
MAX_BODY = 64 * 1024


@router.post("/channels/phone/{token}/events", status_code=201)
async def post_event(
    token: str, request: Request, response: Response, runtime: RuntimeDep
) -> CallEventOut:
    account, body = await signed_push(
        request, runtime, channel=CHANNEL, token=token, max_body=MAX_BODY
    )
    event = parse_json(body, CallEventIn)
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
