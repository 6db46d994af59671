"""One WebSocket to the server, as the client uses it: frames leave in the order they were
queued (one writer task), a pinger keeps the heartbeat, and every read has a deadline.
What the frames mean is the client's business (client.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from huiliu.sdk.errors import CloseCode

CLOSE_TIMEOUT_S = 1.0


class LinkClosed(Exception):
    """The socket could not open, or it ended: the close code and reason it ended with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class Link:
    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._out: asyncio.Queue[str] = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._write_loop())]

    @classmethod
    async def open(cls, url: str, token: str, *, timeout_s: float) -> Link:
        """Connect to ``url`` with ``token``; raises :class:`LinkClosed` if that fails."""
        try:
            ws = await websockets.connect(
                f"{url}{'&' if '?' in url else '?'}token={quote(token, safe='')}",
                compression=None,
                ping_interval=None,  # the protocol's own heartbeat (ping frames) instead
                open_timeout=timeout_s,
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=None,
                user_agent_header="huiliu-sdk-python",
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise LinkClosed(CloseCode.ABNORMAL, f"handshake refused: HTTP {status}") from exc
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise LinkClosed(CloseCode.ABNORMAL, f"could not connect: {exc!r}") from exc
        return cls(ws)

    def write(self, frame: dict[str, Any]) -> None:
        """Queue a frame; it leaves after every frame queued before it."""
        self._out.put_nowait(encode(frame))

    def start_heartbeat(self, interval_s: float) -> None:
        """Send a ``ping`` every ``interval_s`` from now on."""

        async def ping() -> None:
            while True:
                await asyncio.sleep(interval_s)
                self.write({"type": "ping"})

        self._tasks.append(asyncio.create_task(ping()))

    async def read(self, timeout_s: float) -> str | bytes:
        """The next frame; TimeoutError after ``timeout_s`` of silence (then the socket is
        aborted: a close handshake would wait for nothing), :class:`LinkClosed` at its end."""
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                return await self._ws.recv()
        except TimeoutError:
            self._ws.transport.abort()
            raise
        except ConnectionClosed as exc:
            if exc.rcvd is not None:
                raise LinkClosed(exc.rcvd.code, exc.rcvd.reason) from None
            raise LinkClosed(CloseCode.ABNORMAL, "connection lost") from None

    async def close(self, code: int, reason: str) -> None:
        """Stop the writer and pinger and close the socket (quietly, if it is gone)."""
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await self._ws.close(code, reason)

    async def _write_loop(self) -> None:
        with contextlib.suppress(ConnectionClosed):  # the reader sees the close too
            while True:
                await self._ws.send(await self._out.get())


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
