"""Test clients: a real WebSocket client speaking docs/protocol.md, and REST helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.factories import World


class Socket:
    """One WebSocket to /ws/visitor or /ws/agent."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.hello: dict[str, Any] = {}
        # Frames read while waiting for something else, handed out by recv() first.
        self.inbox: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, ws_url: str, kind: str, token: str) -> Socket:
        ws = await websockets.connect(
            f"{ws_url}/ws/{kind}?token={token}", compression=None, max_size=2**22, max_queue=None
        )
        sock = cls(ws)
        sock.hello = await sock.recv()
        assert sock.hello["type"] == "hello", sock.hello
        return sock

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        if self.inbox:
            return self.inbox.pop(0)
        return await self._read(timeout)

    async def _read(self, timeout: float) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        data: dict[str, Any] = json.loads(raw)
        return data

    async def recv_type(self, frame_type: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame of ``frame_type``; frames of other types stay in the inbox."""
        for i, frame in enumerate(self.inbox):
            if frame["type"] == frame_type:
                return self.inbox.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self._read(max(0.01, deadline - loop.time()))
            if frame["type"] == frame_type:
                return frame
            self.inbox.append(frame)

    async def send_text(
        self, text: str, client_msg_id: str, conversation_id: int | None = None
    ) -> dict[str, Any]:
        """Send a text message; return its ack (or error) frame, skipping other frames."""
        frame: dict[str, Any] = {
            "type": "message.send",
            "client_msg_id": client_msg_id,
            "content": {"type": "text", "text": text},
        }
        if conversation_id is not None:
            frame["conversation_id"] = conversation_id
        await self.send(frame)
        return await self.reply_to(client_msg_id)

    async def reply_to(self, client_msg_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The ack or error for ``client_msg_id``; other frames stay in the inbox."""
        for i, frame in enumerate(self.inbox):
            if frame["type"] in ("ack", "error") and frame.get("client_msg_id") == client_msg_id:
                return self.inbox.pop(i)
        while True:
            reply = await self._read(timeout)
            if reply["type"] in ("ack", "error") and reply.get("client_msg_id") == client_msg_id:
                return reply
            self.inbox.append(reply)

    async def messages(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The next ``count`` message.new payloads."""
        return [(await self.recv_type("message.new", timeout))["message"] for _ in range(count)]

    async def messages_until(
        self, conversation_id: int, seq: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Every message.new payload of ``conversation_id`` up to and including ``seq``."""
        got: list[dict[str, Any]] = []
        while not got or got[-1]["seq"] < seq:
            message = (await self.recv_type("message.new", timeout))["message"]
            if message["conversation_id"] == conversation_id:
                got.append(message)
        return got

    async def silent(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Whatever arrives within ``seconds`` (expected: nothing)."""
        frames, self.inbox = self.inbox, []
        try:
            while True:
                frames.append(await self._read(seconds))
        except TimeoutError:
            return frames

    async def close(self) -> None:
        await self.ws.close()


Connect = Callable[[str, str], Awaitable[Socket]]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def widget_session(http: httpx.AsyncClient, widget_key: str, **extra: Any) -> dict[str, Any]:
    r = await http.post("/api/v1/widget/sessions", json={"widget_key": widget_key, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def open_conversation(
    http: httpx.AsyncClient, connect: Connect, world: World, *, claim: bool = True
) -> tuple[Socket, Socket, int]:
    """A visitor with an open conversation (claimed by the world's first agent)."""
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("你好，我想问一下发货时间", "hello-1")
    assert ack["type"] == "ack", ack
    cid = ack["conversation_id"]
    agent = await connect("agent", world.agent.token)
    if claim:
        r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
        assert r.status_code == 200, r.text
    return visitor, agent, cid
