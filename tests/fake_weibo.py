"""A fake Weibo on loopback (a real HTTP server, a bare ASGI app on uvicorn's thread): the
fan-service reply API (``POST /2/messages/reply.json``, form-encoded, the access token
checked, errors as ``{"error", "error_code", "request"}``), and the client half — URL
verification and message pushes signed the way Weibo signs them."""

from __future__ import annotations

import asyncio
import hashlib
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

APP_SECRET = "weibo-app-secret-0123456789"
ACCESS_TOKEN = "2.00weibo-access-token-abcdef"
REPLY_PATH = "/2/messages/reply.json"


def signed_query(app_secret: str = APP_SECRET) -> dict[str, str]:
    """signature = sha1 of the sorted app secret, timestamp (ms) and nonce."""
    timestamp = str(int(time.time() * 1000))
    nonce = str(secrets.randbelow(10**8))
    joined = "".join(sorted([app_secret, timestamp, nonce]))
    sig = hashlib.sha1(joined.encode()).hexdigest()
    return {"signature": sig, "timestamp": timestamp, "nonce": nonce}


def text_push(receiver: str, sender: str, text: str, *, created_at: str = "") -> dict[str, Any]:
    return {
        "type": "text",
        "receiver_id": int(receiver),
        "sender_id": int(sender),
        "created_at": created_at or time.strftime("%a %b %d %H:%M:%S +0800 %Y"),
        "text": text,
        "data": {},
    }


async def push(
    http: httpx.AsyncClient,
    url: str,
    body: dict[str, Any] | bytes,
    *,
    app_secret: str = APP_SECRET,
) -> httpx.Response:
    """POST a pushed message to Huiliu's ``url`` as Weibo does."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return await http.post(
        url,
        params=signed_query(app_secret),
        content=raw,
        headers={"content-type": "application/json"},
    )


@dataclass
class Reply:
    form: dict[str, str]
    answered: int

    @property
    def data(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.form["data"])
        return parsed


@dataclass
class FakeWeibo:
    port: int = field(default_factory=free_port)
    _plans: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    _replies: list[Reply] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, receiver: str, *answers: tuple[int, dict[str, Any]]) -> None:
        """Answer the next replies to ``receiver`` with these (status, JSON), then accept."""
        with self._lock:
            self._plans[receiver] = list(answers)

    @staticmethod
    def error(status: int, code: int, error: str) -> tuple[int, dict[str, Any]]:
        return status, {"error": error, "error_code": code, "request": REPLY_PATH}

    def replies(self, receiver: str | None = None) -> list[Reply]:
        with self._lock:
            return [
                r
                for r in self._replies
                if receiver is None or r.form.get("receiver_id") == receiver
            ]

    async def wait(
        self, check: Callable[[list[Reply]], bool], receiver: str, timeout: float = 15
    ) -> list[Reply]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.replies(receiver)
            if check(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"fake Weibo: condition not met in {timeout} s; got {got}")
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
        if scope["method"] != "POST" or scope["path"] != REPLY_PATH:
            await _respond(send, 404, self.error(404, 10004, "not found")[1])
            return
        form = dict(parse_qsl(raw.decode()))
        form |= dict(parse_qsl(scope.get("query_string", b"").decode()))
        receiver = form.get("receiver_id", "")
        with self._lock:
            plans = self._plans.get(receiver)
            plan = plans.pop(0) if plans else None
        if form.get("access_token") != ACCESS_TOKEN:
            status, body = self.error(403, 21332, "invalid_access_token")
        elif form.get("type") not in ("text", "articles", "position") or "data" not in form:
            status, body = self.error(400, 10008, "param error")
        elif plan is not None:
            status, body = plan
        else:
            status = 200
            body = {"result": True, "receiver_id": int(receiver), "type": form["type"]}
        with self._lock:
            self._replies.append(Reply(form, status))
        await _respond(send, status, body)

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
                raise RuntimeError("the fake Weibo did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


async def _respond(
    send: Callable[[dict[str, Any]], Awaitable[None]], status: int, body: dict[str, Any]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
