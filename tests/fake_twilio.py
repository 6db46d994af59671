"""A fake Twilio on loopback (a real HTTP server, a bare ASGI app on uvicorn's thread):
the Messages API as documented (basic auth, form in, JSON with ``sid`` or ``code`` and
``message`` out), a media host serving MMS pictures, and the client half — posting a
text to Huiliu signed the way Twilio signs its webhooks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn

from tests.services import free_port

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-" + "x" * 14


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL + sorted name+value."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(
        hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()


def inbound_params(
    sender: str, body: str, *, sid: str | None = None, to: str = "+15005550006", **extra: str
) -> list[tuple[str, str]]:
    """The form Twilio posts for an inbound SMS."""
    params = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    return list(params.items())


async def push(
    http: httpx.AsyncClient,
    url: str,
    params: list[tuple[str, str]],
    *,
    auth_token: str = AUTH_TOKEN,
    signed_url: str | None = None,
) -> httpx.Response:
    """POST ``params`` to Huiliu's ``url`` as Twilio does (``signed_url``: the address
    Twilio believes it called, when a proxy sits in between)."""
    return await http.post(
        url,
        data=dict(params),
        headers={"x-twilio-signature": signature(auth_token, signed_url or url, params)},
    )


@dataclass
class Sent:
    account_sid: str
    form: dict[str, str]
    authorized: bool
    answered: int
    sid: str | None


@dataclass
class FakeTwilio:
    port: int = field(default_factory=free_port)
    _plans: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    _sent: list[Sent] = field(default_factory=list)
    media_requests: list[tuple[str, str | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def media_url(self, name: str) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/{name}"

    def answer(self, to: str, *answers: tuple[int, dict[str, Any]]) -> None:
        """Answer the next sends to ``to`` with these (status, JSON), then accept."""
        with self._lock:
            self._plans[to] = list(answers)

    def error(self, status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    def sent(self, to: str | None = None) -> list[Sent]:
        with self._lock:
            return [s for s in self._sent if to is None or s.form.get("To") == to]

    async def wait(
        self, check: Callable[[list[Sent]], bool], to: str | None = None, timeout: float = 15
    ) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.sent(to)
            if check(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"fake Twilio: condition not met in {timeout} s; got {got}")
            await asyncio.sleep(0.02)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "http"
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path: str = scope["path"]
        parts = path.strip("/").split("/")
        if scope["method"] == "GET" and "Media" in parts:
            with self._lock:
                self.media_requests.append((path, headers.get("authorization")))
            await _respond(send, 200, PNG, "image/png")
            return
        if scope["method"] != "POST" or parts[-1] != "Messages.json" or len(parts) != 4:
            await _respond(send, 404, b'{"code": 20404, "message": "not found"}')
            return
        account_sid = parts[2]
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        authorized = hmac.compare_digest(headers.get("authorization", ""), expected)
        form = dict(parse_qsl(raw.decode()))
        with self._lock:
            plans = self._plans.get(form.get("To", ""))
            plan = plans.pop(0) if plans else None
        if not authorized or account_sid != ACCOUNT_SID:
            status, body = self.error(401, 20003, "Authenticate")
        elif plan is not None:
            status, body = plan
        else:
            status = 201
            body = {
                "sid": "SM" + secrets.token_hex(16),
                "account_sid": account_sid,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
            }
        with self._lock:
            self._sent.append(Sent(account_sid, form, authorized, status, body.get("sid")))
        await _respond(send, status, json.dumps(body).encode())

    def start(self) -> None:
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Twilio did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


async def _respond(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    body: bytes,
    content_type: str = "application/json",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
