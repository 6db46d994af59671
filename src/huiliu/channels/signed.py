"""Inbound pushes signed with the account's secret, as the API channel and the phone
channel's CTI events are: ``X-Huiliu-Timestamp`` and ``X-Huiliu-Signature: sha256=<hex
HMAC-SHA256 of "<timestamp>.<body>">``. One check for both: the body's size, the account
its URL names, the signature, the account switched on, then the JSON into the route's model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from huiliu.channels import service
from huiliu.channels.models import ChannelAccount
from huiliu.errors import Forbidden, InvalidInput, TooLarge, Unauthorized
from huiliu.integrations.merchant_api import verify

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

M = TypeVar("M", bound=BaseModel)


async def signed_push(
    request: Request, runtime: Runtime, *, channel: str, token: str, max_body: int
) -> tuple[ChannelAccount, bytes]:
    """The account and the body of a push its secret signed; raises the clear error
    otherwise (nothing is stored before this returns)."""
    body = await request.body()
    if len(body) > max_body:
        raise TooLarge(f"the body is over {max_body // 1024} KB")
    async with runtime.db.read() as session:
        account = await service.get_by_token(session, channel=channel, token=token)
    secret = str(account.config.get("secret") or "")
    timestamp = request.headers.get("x-huiliu-timestamp", "")
    given = request.headers.get("x-huiliu-signature", "")
    if not secret or not verify(secret, timestamp, body, given):
        raise Unauthorized(
            "bad or stale signature: sign '<timestamp>.<body>' with the account's secret",
            code="bad_signature",
        )
    if not account.active:
        raise Forbidden("this channel account is switched off", code="channel_inactive")
    return account, body


def parse_json(body: bytes, model: type[M]) -> M:
    """The body as ``model``; a 422 naming the first bad field otherwise."""
    try:
        return model.model_validate(orjson.loads(body))
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not JSON", code="invalid_json") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{where or 'body'}: {first.get('msg')}", field=where or None) from None
