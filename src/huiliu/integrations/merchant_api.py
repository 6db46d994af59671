"""Calls to a merchant's own API (orders, shipments, addresses) for the bot's task flows.

One operation is one ``POST {base_url}/{operation}`` with a JSON body
``{"operation", "customer": {"contact_id", "external_id"}, "params": {…}}``, signed so the
merchant can tell it is us:

    X-Huiliu-Timestamp: <unix seconds>
    X-Huiliu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

The merchant answers ``200`` with a JSON object; an error it wants the customer to read is
``{"error": {"code", "message"}}`` (any status). Timeouts, connection failures and 5xx
answers are retried (with a short back-off) up to ``retries`` times; then, like an answer
that is not a JSON object, they become a ``MerchantApiError`` whose ``customer_message`` the
bot can show as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from huiliu.config import get_settings
from huiliu.integrations.egress import guarded_client

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MerchantApi(BaseModel):
    """A tenant's merchant API settings (``tenants.bot["merchant_api"]``)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(min_length=1, max_length=500)
    secret: str = Field(min_length=16, max_length=200)
    timeout_s: float = Field(default=3.0, gt=0, le=30)
    retries: int = Field(default=2, ge=0, le=5)

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
            return value.rstrip("/")
        raise ValueError("the merchant API must be https:// (plain http only on loopback)")


class MerchantApiError(Exception):
    def __init__(self, customer_message: str, *, reason: str, detail: str = "") -> None:
        super().__init__(detail or customer_message)
        self.customer_message = customer_message
        self.reason = reason


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, given: str, *, max_age_s: int = 300) -> bool:
    """What the merchant's server checks (the demo shop uses it): the signature, compared in
    constant time, on a timestamp no older than ``max_age_s``."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= max_age_s and hmac.compare_digest(signature(secret, timestamp, body), given)


@dataclass(frozen=True)
class Customer:
    contact_id: int
    external_id: str | None


UNAVAILABLE = "抱歉，订单系统暂时无法访问，请稍后再试，或回复“人工”联系客服。"
GARBLED = "抱歉，订单系统返回了无法识别的结果，请稍后再试，或回复“人工”联系客服。"


async def call(
    api: MerchantApi,
    operation: str,
    *,
    customer: Customer,
    params: dict[str, Any],
    client: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    body = orjson.dumps(
        {
            "operation": operation,
            "customer": {"contact_id": customer.contact_id, "external_id": customer.external_id},
            "params": params,
        }
    )
    own = client is None
    # The process's settings (from the environment): the flows that call this hold none.
    http = client or guarded_client(get_settings().outbound_allow)
    try:
        for attempt in range(api.retries + 1):
            timestamp = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                "x-huiliu-timestamp": timestamp,
                "x-huiliu-signature": signature(api.secret, timestamp, body),
            }
            try:
                response = await http.post(
                    f"{api.base_url}/{operation}",
                    content=body,
                    headers=headers,
                    timeout=api.timeout_s,
                )
            except httpx.HTTPError as exc:
                log.warning("merchant API %s: %s (attempt %d)", operation, exc, attempt + 1)
                failure = MerchantApiError(UNAVAILABLE, reason="unavailable", detail=str(exc))
            else:
                if response.status_code >= 500:
                    log.warning("merchant API %s answered %s", operation, response.status_code)
                    failure = MerchantApiError(
                        UNAVAILABLE, reason="unavailable", detail=f"HTTP {response.status_code}"
                    )
                else:
                    return _read(operation, response)
            if attempt < api.retries:
                await asyncio.sleep(0.2 * (attempt + 1))
        raise failure
    finally:
        if own:
            await http.aclose()


def _read(operation: str, response: httpx.Response) -> dict[str, Any]:
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        log.warning("merchant API %s answered something that is not a JSON object", operation)
        raise MerchantApiError(GARBLED, reason="garbled", detail=response.text[:200])
    error = data.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        raise MerchantApiError(
            error["message"][:500], reason=str(error.get("code", "merchant_error"))[:64]
        )
    if response.status_code >= 400:
        raise MerchantApiError(GARBLED, reason="garbled", detail=f"HTTP {response.status_code}")
    return data
