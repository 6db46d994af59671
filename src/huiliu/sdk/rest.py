"""Getting a token over REST (docs/protocol.md §1): a visitor's session, an account's login."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx

from huiliu.sdk.errors import HuiliuError

API = "/api/v1"
TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Identity:
    """A customer logged in on the merchant's site. ``signature`` is
    ``hex(HMAC-SHA256(key=identity_secret, msg=user_id))``, computed on the merchant's
    server (:func:`sign_identity`)."""

    user_id: str
    signature: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    attributes: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": self.user_id, "signature": self.signature}
        for key in ("name", "email", "phone", "attributes"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


@dataclass(frozen=True, slots=True)
class WidgetSession:
    """A visitor token. Keep ``visitor_id`` and pass it next time: the same anonymous
    customer, with the same history."""

    visitor_token: str
    contact_id: int
    visitor_id: str
    verified: bool
    expires_in: int


@dataclass(frozen=True, slots=True)
class Login:
    """An account's access token and the account (``id``, ``role``, ``tenant_id`` …)."""

    access_token: str
    expires_in: int
    account: dict[str, Any]


def sign_identity(identity_secret: str, user_id: str) -> str:
    """The identity signature for ``user_id`` (run this on the merchant's server only)."""
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def widget_session(
    base_url: str,
    widget_key: str,
    identity: Identity | None = None,
    visitor_id: str | None = None,
    *,
    http: httpx.AsyncClient | None = None,
) -> WidgetSession:
    """``POST /api/v1/widget/sessions``: a visitor token for the merchant's widget key.

    Raises :class:`HuiliuError` with the server's code (``bad_signature``, ``not_found`` …)
    and ``status``. Pass ``http`` to reuse a client (its base URL is then ignored).
    """
    body: dict[str, Any] = {"widget_key": widget_key}
    if identity is not None:
        body["identity"] = identity.to_json()
    if visitor_id is not None:
        body["visitor_id"] = visitor_id
    data = await _post(base_url, "/widget/sessions", body, http)
    return WidgetSession(
        visitor_token=str(data["visitor_token"]),
        contact_id=int(data["contact_id"]),
        visitor_id=str(data["visitor_id"]),
        verified=bool(data["verified"]),
        expires_in=int(data["expires_in"]),
    )


async def login(
    base_url: str, email: str, password: str, *, http: httpx.AsyncClient | None = None
) -> Login:
    """``POST /api/v1/auth/login``: an agent's (supervisor's, admin's) access token.

    Raises :class:`HuiliuError` (``bad_credentials``, ``account_inactive`` …) with ``status``.
    """
    data = await _post(base_url, "/auth/login", {"email": email, "password": password}, http)
    return Login(
        access_token=str(data["access_token"]),
        expires_in=int(data["expires_in"]),
        account=dict(data["account"]),
    )


async def _post(
    base_url: str, path: str, body: dict[str, Any], http: httpx.AsyncClient | None
) -> dict[str, Any]:
    url = base_url.rstrip("/") + API + path
    try:
        if http is None:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                response = await client.post(url, json=body)
        else:
            response = await http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise HuiliuError("connect_failed", f"POST {url}: {exc!r}") from exc
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if response.is_error or not isinstance(data, dict):
        payload = data if isinstance(data, dict) else {}
        raise HuiliuError(
            str(payload.get("code") or f"http_{response.status_code}"),
            str(payload.get("detail") or response.text[:200]),
            field=payload.get("field"),
            status=response.status_code,
        )
    return data
