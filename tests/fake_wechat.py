"""A fake WeChat server API on loopback (a Starlette app under uvicorn on its own thread):
``/cgi-bin/token``, ``/cgi-bin/message/custom/send``, ``/cgi-bin/media/get`` and
``/cgi-bin/media/upload`` with WeChat's errcode semantics — an unknown or expired access
token is 40001 / 42001, a wrong secret 40125, an unknown media id 40007 — and whatever
errcode a test plans for the next sends (45015 out of the 48-hour window, -1 busy …).

It also builds the pushes WeChat would send (plaintext and safe mode, with wechatpy)."""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto  # type: ignore[import-untyped]

from tests.services import free_port

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class Sent:
    """One custom/send call."""

    body: dict[str, Any]
    errcode: int

    @property
    def touser(self) -> str:
        return str(self.body.get("touser", ""))

    @property
    def msgtype(self) -> str:
        """``template`` for a template/send call."""
        return "template" if "template_id" in self.body else str(self.body.get("msgtype", ""))

    @property
    def text(self) -> str:
        if self.msgtype == "text":
            return str(self.body["text"]["content"])
        if self.msgtype == "msgmenu":
            return str(self.body["msgmenu"]["head_content"])
        return ""


@dataclass
class FakeWechat:
    port: int = field(default_factory=free_port)
    apps: dict[str, str] = field(default_factory=dict)  # appid → secret
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token → appid, expiry
    token_fetches: int = 0
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media_id → bytes, type
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[str] = field(default_factory=list)
    _plans: dict[str, list[int]] = field(default_factory=dict)  # openid → errcodes
    _sent: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what tests arrange and read --------------------------------------------------------

    def add_app(self) -> tuple[str, str]:
        appid, secret = "wx" + secrets.token_hex(8), secrets.token_hex(16)
        with self._lock:
            self.apps[appid] = secret
        return appid, secret

    def add_media(self, data: bytes, mime: str) -> str:
        media_id = "M" + secrets.token_urlsafe(16)
        with self._lock:
            self.media[media_id] = (data, mime)
        return media_id

    def expire_tokens(self) -> None:
        """Every access token handed out so far expires now (WeChat answers 42001)."""
        with self._lock:
            self.tokens = {t: (a, 0.0) for t, (a, _) in self.tokens.items()}

    def answer(self, openid: str, *errcodes: int) -> None:
        """Answer the next sends to ``openid`` with these errcodes, then 0."""
        with self._lock:
            self._plans[openid] = list(errcodes)

    def sent(self, openid: str | None = None) -> list[Sent]:
        with self._lock:
            return [s for s in self._sent if openid is None or s.touser == openid]

    async def wait(
        self, check: Callable[[list[Sent]], bool], openid: str, timeout: float = 15
    ) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.sent(openid)
            if check(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"fake WeChat: condition not met in {timeout} s; got {got}")
            await asyncio.sleep(0.02)

    # -- the API ----------------------------------------------------------------------------

    def _token_error(self, request: Request) -> JSONResponse | None:
        token = request.query_params.get("access_token", "")
        with self._lock:
            known = self.tokens.get(token)
        if known is None:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if known[1] < time.time():
            return _error(42001, "access_token expired")
        return None

    async def _token(self, request: Request) -> Response:
        q = request.query_params
        if q.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        appid = q.get("appid", "")
        with self._lock:
            secret = self.apps.get(appid)
        if secret is None:
            return _error(40013, "invalid appid")
        if q.get("secret") != secret:
            return _error(40125, "invalid appsecret")
        token = "T" + secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[token] = (appid, time.time() + 7200)
            self.token_fetches += 1
        return JSONResponse({"access_token": token, "expires_in": 7200})

    async def _send(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        refused = self._token_error(request)
        if refused is not None:
            with self._lock:
                self._sent.append(Sent(body, orjson.loads(refused.body)["errcode"]))
            return refused
        with self._lock:
            plan = self._plans.get(body.get("touser", ""))
            code = plan.pop(0) if plan else 0
            self._sent.append(Sent(body, code))
        messages = {
            -1: "system error",
            45015: "response out of time limit or subscription is canceled",
            45047: "out of response count limit",
            40003: "invalid openid",
        }
        if code:
            return _error(code, messages.get(code, "error"))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def _media_get(self, request: Request) -> Response:
        refused = self._token_error(request)
        if refused is not None:
            return refused
        media_id = request.query_params.get("media_id", "")
        with self._lock:
            self.media_requests.append(media_id)
            found = self.media.get(media_id) or self.uploads.get(media_id)
        if found is None:
            return _error(40007, "invalid media_id")
        data, mime = found
        ext = mime.rsplit("/", 1)[-1]
        return Response(
            data,
            media_type=mime,
            headers={"content-disposition": f'attachment; filename="{media_id[:8]}.{ext}"'},
        )

    async def _media_upload(self, request: Request) -> Response:
        refused = self._token_error(request)
        if refused is not None:
            return refused
        kind = request.query_params.get("type", "")
        if kind not in ("image", "voice", "video", "thumb"):
            return _error(40004, "invalid media type")
        async with request.form() as form:
            part = form.get("media")
            if not isinstance(part, UploadFile):
                return _error(41005, "media data missing")
            data, mime = await part.read(), part.content_type or "application/octet-stream"
        media_id = "U" + secrets.token_urlsafe(16)
        with self._lock:
            self.uploads[media_id] = (data, mime)
        return JSONResponse({"type": kind, "media_id": media_id, "created_at": int(time.time())})

    # -- serving ----------------------------------------------------------------------------

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/cgi-bin/token", self._token),
                Route("/cgi-bin/message/custom/send", self._send, methods=["POST"]),
                Route("/cgi-bin/message/template/send", self._send, methods=["POST"]),
                Route("/cgi-bin/media/get", self._media_get),
                Route("/cgi-bin/media/upload", self._media_upload, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake WeChat did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})  # WeChat answers 200 even so


# -- what WeChat pushes ---------------------------------------------------------------------


def sign(token: str, timestamp: str, nonce: str, *more: str) -> str:
    import hashlib

    return hashlib.sha1("".join(sorted([token, timestamp, nonce, *more])).encode()).hexdigest()


def message_xml(appid: str, openid: str, msg_type: str, **fields: str | int) -> str:
    """A push as WeChat writes it (CDATA for strings)."""
    parts = {
        "ToUserName": "gh_" + appid[2:14],
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": msg_type,
        **fields,
    }
    if msg_type != "event" and "MsgId" not in fields:
        parts["MsgId"] = secrets.randbelow(10**18)
    body = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in parts.items()
    )
    return f"<xml>{body}</xml>"


@dataclass(frozen=True)
class PushTo:
    """Where and how pushes for one account go: its inbound URL, Token, mode."""

    url: str
    token: str
    appid: str
    aes_key: str | None = None  # set: safe mode

    def request(
        self, xml: str, *, bad_signature: bool = False, timestamp: int | None = None
    ) -> tuple[str, bytes]:
        """The URL (with its signed query) and body WeChat would post."""
        ts = str(timestamp or int(time.time()))
        nonce = secrets.token_hex(5)
        query = {
            "signature": sign(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": "x",
        }
        body = xml.encode()
        if self.aes_key:
            crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
            envelope = crypto.encrypt_message(xml, nonce, ts)
            encrypted = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
            body = (
                f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            ).encode()
            query["encrypt_type"] = "aes"
            query["msg_signature"] = sign(self.token, ts, nonce, encrypted)
        if bad_signature:
            query["signature"] = "0" * 40
            if "msg_signature" in query:
                query["msg_signature"] = "0" * 40
        return f"{self.url}?{urlencode(query)}", body
