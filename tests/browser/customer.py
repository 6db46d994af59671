"""A customer speaking the visitor protocol (docs/protocol.md) from a test: a widget session,
a WebSocket, sends with client_msg_id and acks, frames by type."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect


class Customer:
    def __init__(self, base_url: str, widget_key: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10)
        session = self.http.post("/api/v1/widget/sessions", json={"widget_key": widget_key})
        session.raise_for_status()
        body = session.json()
        self.token: str = body["visitor_token"]
        self.contact_id: int = body["contact_id"]
        self.frames: list[dict[str, Any]] = []
        self.conversation_id: int | None = None
        self.ws: ClientConnection | None = None
        self.connect()

    def connect(self) -> None:
        ws_url = self.base_url.replace("http", "ws", 1)
        if self.ws is not None:
            self.ws.close()
        # The connection's own context manager closes it; close() below leaves it.
        self.ws = connect(f"{ws_url}/ws/visitor?token={self.token}", compression=None).__enter__()
        hello = json.loads(self.ws.recv(timeout=10))
        assert hello["type"] == "hello", hello
        self.ws.send(json.dumps({"type": "resume", "cursors": {}}))

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        self.http.close()

    def send_text(self, text: str, *, button_id: str | None = None) -> dict[str, Any]:
        """Sends a text and waits for its ack."""
        assert self.ws is not None
        client_msg_id = secrets.token_hex(8)
        content: dict[str, Any] = {"type": "text", "text": text}
        if button_id:
            content["button_id"] = button_id
        frame: dict[str, Any] = {
            "type": "message.send",
            "client_msg_id": client_msg_id,
            "content": content,
        }
        if self.conversation_id is not None:
            frame["conversation_id"] = self.conversation_id
        self.ws.send(json.dumps(frame))
        ack = self.wait(
            lambda f: f["type"] in {"ack", "error"} and f.get("client_msg_id") == client_msg_id
        )
        assert ack["type"] == "ack", ack
        self.conversation_id = ack["conversation_id"]
        return ack

    def send_rest(self, text: str) -> dict[str, Any]:
        """Sends over REST (no socket needed), as an app without a connection does."""
        response = self.http.post(
            "/api/v1/conversations",
            json={"client_msg_id": secrets.token_hex(8), "content": {"type": "text", "text": text}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 201, response.text
        ack: dict[str, Any] = response.json()
        self.conversation_id = ack["conversation_id"]
        return ack

    def wait(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first frame (already read or arriving) that matches."""
        for frame in self.frames:
            if predicate(frame):
                return frame
        assert self.ws is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching frame in {timeout}s; got {self.frames[-10:]}")
            try:
                frame = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                continue
            self.frames.append(frame)
            if predicate(frame):
                return frame

    def wait_message(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        frame = self.wait(lambda f: f["type"] == "message.new" and predicate(f["message"]), timeout)
        message: dict[str, Any] = frame["message"]
        return message
