"""One webhook delivery: the outbox handler for the ``webhook`` kind.

It reads what the job's ids point at, builds the body, signs it the way the merchant API
calls are signed (docs/bot.md) and POSTs it once. 2xx is done; a timeout, a connection
failure, 429 and 5xx are retried by the outbox with back-off; any other answer (a 3xx, a
4xx) is final. Receivers de-duplicate by ``X-Huiliu-Delivery``: the same delivery can
arrive twice (at least once), never with another id.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.contacts import service as contacts_service
from huiliu.conversations import service as conversations_service
from huiliu.conversations.rows import message_out
from huiliu.errors import NotFound
from huiliu.integrations.egress import EgressBlocked
from huiliu.integrations.merchant_api import signature
from huiliu.outbox.registry import Context, Job, Outcome
from huiliu.webhooks import service
from huiliu.webhooks.schemas import (
    PING,
    ContactBrief,
    ConversationBrief,
    IdentityBrief,
    MessageEventData,
    OfflineMessageData,
    PingData,
    WebhookBody,
)
from huiliu.webhooks.triggers import OFFLINE

PREVIEW_CHARS = 100
ERROR_BODY_BYTES = 300  # of a refusing receiver's answer, kept in the delivery's error
_TAGS = re.compile(r"<[^>]+>")
_LABELS = {
    "image": "[图片]",
    "file": "[文件]",
    "audio": "[语音]",
    "video": "[视频]",
    "location": "[位置]",
    "card": "[卡片]",
    "menu": "[菜单]",
}


def preview(content: dict[str, Any]) -> str:
    """A notification's line: the text of a text, rich or answer message, else a label."""
    kind = content.get("type")
    if kind == "text":
        text = str(content.get("text", ""))
    elif kind == "rich":
        text = html.unescape(_TAGS.sub(" ", str(content.get("html", ""))))
    elif kind == "answer":
        parts = content.get("parts") or [{}]
        text = preview(parts[0]) if isinstance(parts[0], dict) else ""
    else:
        label = _LABELS.get(str(kind), "[消息]")
        name = content.get("name") or content.get("title") or content.get("text") or ""
        text = f"{label} {name}".strip()
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


async def _data(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    """The body's ``data`` for the job's event, read now (None: its message is gone)."""
    payload = job.payload
    event = payload["event"]
    if event == PING:
        return PingData(endpoint_id=payload["endpoint_id"]).model_dump(mode="json")
    row = await conversations_service.get_message_for_system(
        session, tenant_id=job.tenant_id, message_id=payload["message_id"]
    )
    if row is None:
        return None
    message = message_out(row)
    if event != OFFLINE:
        return MessageEventData(
            conversation=ConversationBrief(
                id=row.conversation_id, contact_id=row.contact_id, channel=row.channel
            ),
            message=message,
        ).model_dump(mode="json")
    try:
        contact = await contacts_service.get(
            session, tenant_id=job.tenant_id, contact_id=row.contact_id
        )
    except NotFound:
        return None
    identities = await contacts_service.list_identities(
        session, tenant_id=job.tenant_id, contact_id=contact.id
    )
    return OfflineMessageData(
        conversation_id=message.conversation_id,
        message_id=message.id,
        seq=message.seq,
        sender=message.sender,
        content_type=str(message.content.get("type")),
        preview=preview(message.content),
        contact=ContactBrief(
            id=contact.id,
            name=contact.name,
            identities=[
                IdentityBrief(channel=i.channel, external_id=i.external_id)
                for i in sorted(identities, key=lambda i: i.id)
            ],
        ),
    ).model_dump(mode="json")


def headers_for(secret: str, delivery_id: int, event: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "content-type": "application/json",
        "x-huiliu-event": event,
        "x-huiliu-delivery": str(delivery_id),
        "x-huiliu-timestamp": timestamp,
        "x-huiliu-signature": signature(secret, timestamp, body),
    }


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


async def deliver(ctx: Context, job: Job) -> Outcome:
    event = job.payload["event"]
    async with ctx.db.read() as session:
        try:
            endpoint = await service.get(
                session, tenant_id=job.tenant_id, endpoint_id=job.payload["endpoint_id"]
            )
        except NotFound:
            return Outcome.failed("the endpoint was deleted")
        if not endpoint.active and event != PING:
            return Outcome.failed("the endpoint is disabled")
        data = await _data(session, job)
        url, secret = endpoint.url, endpoint.secret
    if data is None:
        return Outcome.failed("the message this event names no longer exists")
    envelope = WebhookBody(
        id=job.id, event=event, created_at=job.created_at, tenant_id=job.tenant_id, data=data
    )
    body = orjson.dumps(envelope.model_dump(mode="json"))
    timeout = ctx.settings.webhook_timeout_s
    started = time.perf_counter()

    def took() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        async with ctx.http.stream(
            "POST",
            url,
            content=body,
            headers=headers_for(secret, job.id, event, body),
            timeout=timeout,
        ) as response:
            status = response.status_code
            refusal = b""
            if not 200 <= status < 300:
                async for chunk in response.aiter_bytes():
                    refusal += chunk
                    if len(refusal) >= ERROR_BODY_BYTES:
                        break
    except EgressBlocked as exc:
        return Outcome.failed(str(exc), {"duration_ms": took()})
    except httpx.TimeoutException:
        return Outcome.retry(f"no answer within {timeout:g} s", {"duration_ms": took()})
    except httpx.HTTPError as exc:
        return Outcome.retry(
            f"could not deliver: {type(exc).__name__}: {exc}", {"duration_ms": took()}
        )
    result = {"response_status": status, "duration_ms": took()}
    if 200 <= status < 300:
        return Outcome.done(result)
    error = f"HTTP {status}"
    text = refusal[:ERROR_BODY_BYTES].decode(errors="replace").strip()
    if text:
        error += f": {text}"
    if status == 429 or status >= 500:
        return Outcome.retry(error, result, retry_after_s=_retry_after(response))
    return Outcome.failed(error, result)
