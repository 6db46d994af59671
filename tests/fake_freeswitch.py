"""A FreeSWITCH event socket for tests: mod_event_socket's inbound mode on loopback, in the
ESL text protocol (https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod_event_socket_1048924).

On connect it sends ``Content-Type: auth/request``; ``auth <password>`` is answered
``+OK accepted`` (a wrong one ``-ERR invalid``, then a disconnect notice); ``event plain …``
is answered ``+OK event listener enabled plain``; then the test's events go to every
subscribed client as ``text/event-plain`` with ``Content-Length`` and URL-encoded values,
the way FreeSWITCH frames them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass
class FakeFreeSwitch:
    password: str = "ClueCon"
    port: int = 0
    auth_attempts: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    core_uuid: str = "5f1c3c9e-0000-4000-8000-fa4efa4efa4e"
    _server: asyncio.Server | None = None
    _clients: list[asyncio.StreamWriter] = field(default_factory=list)
    _sequence: int = 1000
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_subscribed(self, count: int = 1, timeout: float = 15.0) -> None:
        """Until ``count`` connections have subscribed (reconnects count)."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.subscriptions) >= count), timeout
            )

    async def drop(self) -> None:
        """Cut every connection without a word (the switch restarting, a network fault)."""
        for writer in self._clients:
            writer.transport.abort()
        self._clients.clear()

    async def send_event(self, name: str, **headers: str) -> None:
        """One event to every subscribed client, with the headers FreeSWITCH always adds."""
        self._sequence += 1
        fields = {
            "Event-Name": name,
            "Core-UUID": self.core_uuid,
            "Event-Date-Timestamp": str(int(time.time() * 1_000_000)),
            "Event-Sequence": str(self._sequence),
            **headers,
        }
        body = "".join(f"{k}: {quote(v, safe='')}\n" for k, v in fields.items()) + "\n"
        data = body.encode()
        frame = f"Content-Length: {len(data)}\nContent-Type: text/event-plain\n\n".encode() + data
        for writer in list(self._clients):
            writer.write(frame)
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Content-Type: auth/request\n\n")
        try:
            while True:
                command = await _read_command(reader)
                if command is None:
                    break
                if command.startswith("auth "):
                    self.auth_attempts.append(command[5:])
                    if command[5:] != self.password:
                        writer.write(_reply("-ERR invalid"))
                        notice = b"Disconnected, goodbye.\nSee you at ClueCon!\n"
                        writer.write(
                            b"Content-Type: text/disconnect-notice\nContent-Length: "
                            + str(len(notice)).encode()
                            + b"\n\n"
                            + notice
                        )
                        await writer.drain()
                        break
                    writer.write(_reply("+OK accepted"))
                elif command.startswith("event plain "):
                    writer.write(_reply("+OK event listener enabled plain"))
                    self._clients.append(writer)
                    async with self._changed:
                        self.subscriptions.append(command)
                        self._changed.notify_all()
                else:
                    writer.write(_reply("-ERR command not found"))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            if writer in self._clients:
                self._clients.remove(writer)
            writer.close()


async def _read_command(reader: asyncio.StreamReader) -> str | None:
    """A client command: lines up to an empty line (ESL ends commands with two newlines)."""
    lines: list[str] = []
    while True:
        line = await reader.readline()
        if not line:
            return None
        text = line.decode().rstrip("\r\n")
        if not text:
            if lines:
                return "\n".join(lines)
            continue
        lines.append(text)


def _reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()
