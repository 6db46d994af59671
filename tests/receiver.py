"""A webhook receiver for tests: a real HTTP server on loopback (uvicorn on its own thread,
a bare ASGI app) that records every delivery, checks its signature as docs/webhooks.md
says a merchant should, and answers as the test asks: 2xx, 429, 5xx, 410, or not in time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests.services import free_port

TIMEOUT = "timeout"  # an answer that comes after the sender has given up
Answer = int | str


def signed(secret: str, timestamp: str, body: bytes) -> str:
    """docs/webhooks.md: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    return (
        "sha256="
        + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: float  # time.monotonic() on arrival
    valid: bool  # the signature matches the endpoint's secret
    answered: Answer = 200

    @property
    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.raw)
        return data

    @property
    def delivery(self) -> int:
        return int(self.headers["x-huiliu-delivery"])

    @property
    def event(self) -> str:
        return self.headers["x-huiliu-event"]


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    hang_s: float = 3.0  # how long a TIMEOUT answer takes
    delay_s: dict[str, float] = field(default_factory=dict)  # per path, before any answer
    secrets: dict[str, str] = field(default_factory=dict)  # per path
    _plans: dict[str, list[Answer]] = field(default_factory=dict)
    _received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def answer(self, path: str, *answers: Answer) -> None:
        """Answer the next deliveries to ``path`` with these, then 200."""
        with self._lock:
            self._plans[path] = list(answers)

    def always(self, path: str, answer: Answer) -> None:
        with self._lock:
            self._plans[path] = [answer] * 10_000

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    async def wait(
        self, check: Callable[[list[Received]], bool], path: str | None = None, timeout: float = 15
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.received(path)
            if check(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met in {timeout} s; got {got}")
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
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (a killed worker): nothing was delivered
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"].lstrip("/")
        secret = self.secrets.get(path, "")
        given = headers.get("x-huiliu-signature", "")
        expected = signed(secret, headers.get("x-huiliu-timestamp", ""), raw)
        valid = bool(secret) and hmac.compare_digest(expected, given)
        with self._lock:
            plan = self._plans.get(path) or []
            answer: Answer = plan.pop(0) if plan else 200
            self._received.append(Received(path, headers, raw, time.monotonic(), valid, answer))
        await asyncio.sleep(self.delay_s.get(path, 0.0))
        if answer == TIMEOUT:
            await asyncio.sleep(self.hang_s)
            answer = 200
        status = int(answer)
        extra = [(b"retry-after", b"0")] if status == 429 else []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": f"answered {status}".encode()})

    # -- serving ----------------------------------------------------------------------

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
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


async def create_endpoint(
    http: Any, admin_token: str, receiver: Receiver, path: str, events: list[str], **extra: Any
) -> dict[str, Any]:
    """A webhook endpoint through the API, pointing at ``receiver`` under ``path``, whose
    secret the receiver then checks signatures with."""
    r = await http.post(
        "/api/v1/tenant/webhooks",
        json={"url": receiver.url(path), "events": events, **extra},
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    receiver.secrets[path] = body["secret"]
    return body
