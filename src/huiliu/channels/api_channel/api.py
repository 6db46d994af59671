"""The API channel's inbound route: the merchant's system posts a customer's message.

    POST /channels/api/{token}/messages
    X-Huiliu-Timestamp: <unix seconds>
    X-Huiliu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
    {"id": "<the merchant's id for this message>",
     "user": {"id": "<the merchant's user id>", "name"?, "email"?, "phone"?},
     "content": {"type": "text", "text": "…"}}

Answers ``201`` with the stored message, ``200`` with ``"status": "duplicate"`` when the same
``id`` came before (retry freely), ``401`` for a bad or stale signature (nothing stored).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from huiliu.auth.deps import RuntimeDep
from huiliu.channels import actions
from huiliu.channels.base import Identity, Inbound
from huiliu.channels.signed import parse_json, signed_push
from huiliu.contacts.models import USER_CHANNEL
from huiliu.errors import InvalidInput

router = APIRouter(tags=["channels"])
MAX_BODY = 256 * 1024


class ApiUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)


class ApiMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="your id: a resend stores nothing")
    user: ApiUser
    content: dict[str, Any]


class ApiMessageOut(BaseModel):
    status: str
    conversation_id: int | None
    message_id: int | None
    seq: int | None


@router.post("/channels/api/{token}/messages", status_code=201)
async def post_message(
    token: str, request: Request, response: Response, runtime: RuntimeDep
) -> ApiMessageOut:
    account, body = await signed_push(
        request, runtime, channel="api", token=token, max_body=MAX_BODY
    )
    message = parse_json(body, ApiMessageIn)
    user = message.user
    received = await actions.receive(
        runtime,
        account,
        Inbound(
            external_id=message.id,
            sender=Identity(
                channel=USER_CHANNEL,
                external_id=user.id,
                name=user.name,
                email=user.email,
                phone=user.phone,
            ),
            content=message.content,
            raw=body.decode(errors="replace"),
        ),
    )
    if received.status == "rejected":
        raise InvalidInput(received.error or "the message was refused", field="content")
    if received.status == "duplicate":
        response.status_code = 200
    return ApiMessageOut(
        status=received.status,
        conversation_id=received.conversation_id,
        message_id=received.message_id,
        seq=received.seq,
    )
