"""A bare WebSocket relay: Huiliu's frames without Huiliu's work.

The baseline of bench/relay.py. Clients connect to ``/ws/visitor?token=PAIR`` and
``/ws/agent?token=PAIR``; both sockets with the same token form a pair. Every socket gets a
``hello`` frame; a ``message.send`` is answered to its sender with an ``ack`` and forwarded to
the other side of the pair as a ``message.new`` shaped like Huiliu's (id, conversation_id,
seq, sender, client_msg_id, content, created_at). A ``ping`` is answered with a ``pong``.

Nothing is stored, checked or queued: no database, no authentication, no per-socket send
queue, no fan-out beyond the one peer. It is served by uvicorn with the same WebSocket
settings as ``huiliu serve``, so the difference between the two is Huiliu's own cost.

    python bench/bare_relay.py --port 8765
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import resource
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
import uvicorn

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SIDES = {"/ws/visitor": "contact", "/ws/agent": "agent"}
OTHER = {"contact": "agent", "agent": "contact"}
CLOSE_INVALID_TOKEN = 4001
CLOSE_WRONG_ENDPOINT = 4003


class Pair:
    """The two sockets sharing one token, and the conversation they would have."""

    __slots__ = ("conversation_id", "seq", "sockets")

    def __init__(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.seq = 0
        self.sockets: dict[str, Send] = {}  # side ("contact" or "agent") -> its ASGI send


class Relay:
    def __init__(self) -> None:
        self.pairs: dict[str, Pair] = {}
        self.sockets = 0
        self._pair_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "http":
            await self._http(scope, send)
        elif kind == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Message, send: Send) -> None:
        if scope["path"] == "/healthz":
            status, body = 200, orjson.dumps({"status": "ok", "sockets": self.sockets})
        else:
            status, body = 404, orjson.dumps({"code": "not_found", "detail": "not found"})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _websocket(self, scope: Message, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        side = SIDES.get(scope["path"])
        if side is None:
            await send({"type": "websocket.close", "code": CLOSE_WRONG_ENDPOINT})
            return
        token = parse_qs(scope["query_string"].decode()).get("token", [""])[0]
        if not token:
            await send({"type": "websocket.close", "code": CLOSE_INVALID_TOKEN})
            return
        pair = self.pairs.get(token)
        if pair is None:
            pair = self.pairs[token] = Pair(next(self._pair_ids))
        pair.sockets[side] = send
        self.sockets += 1
        try:
            hello = {
                "type": "hello",
                "protocol": 1,
                "heartbeat_s": 25.0,
                "principal": {
                    "kind": "visitor" if side == "contact" else "account",
                    "id": pair.conversation_id,
                    "tenant_id": 1,
                },
            }
            await send({"type": "websocket.send", "text": orjson.dumps(hello).decode()})
            while True:
                event = await receive()
                if event["type"] == "websocket.disconnect":
                    return
                text = event.get("text")
                if text is None:
                    text = (event.get("bytes") or b"").decode(errors="replace")
                await self._frame(pair, side, send, text)
        finally:
            self.sockets -= 1
            if pair.sockets.get(side) is send:
                del pair.sockets[side]
            if not pair.sockets and self.pairs.get(token) is pair:
                del self.pairs[token]

    async def _frame(self, pair: Pair, side: str, send: Send, text: str) -> None:
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            await _send_json(send, {"type": "error", "code": "invalid_json", "detail": "not JSON"})
            return
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "ping":
            await _send_json(send, {"type": "pong", "ts": frame.get("ts")})
            return
        if kind != "message.send":
            await _send_json(
                send, {"type": "error", "code": "unknown_type", "detail": f"type {kind!r}"}
            )
            return
        pair.seq += 1
        message_id = next(self._message_ids)
        client_msg_id = frame.get("client_msg_id")
        await _send_json(
            send,
            {
                "type": "ack",
                "client_msg_id": client_msg_id,
                "message_id": message_id,
                "conversation_id": pair.conversation_id,
                "seq": pair.seq,
            },
        )
        peer = pair.sockets.get(OTHER[side])
        if peer is None:
            return
        message = {
            "id": message_id,
            "conversation_id": pair.conversation_id,
            "seq": pair.seq,
            "sender": {"type": side, "id": pair.conversation_id},
            "client_msg_id": client_msg_id,
            "content": frame.get("content"),
            "created_at": datetime.now(UTC),
        }
        with contextlib.suppress(OSError):  # the peer went away (uvicorn's ClientDisconnected)
            await _send_json(peer, {"type": "message.new", "message": message})


async def _send_json(send: Send, frame: Message) -> None:
    await send(
        {"type": "websocket.send", "text": orjson.dumps(frame, option=orjson.OPT_UTC_Z).decode()}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvicorn.run(
        Relay(),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,
        lifespan="on",
        access_log=False,
    )


if __name__ == "__main__":
    main()
