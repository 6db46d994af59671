"""The FreeSWITCH connector: one event-socket connection per phone account whose settings
name a FreeSWITCH (``freeswitch`` + ``freeswitch_password``), kept up while the server
runs. Accounts are looked up every ``ACCOUNTS_POLL_S``: a new or changed one connects, a
removed or switched-off one disconnects. A connection that fails (refused, a wrong
password, the switch restarting) is logged and tried again with back-off; nothing here
takes the server down. Events become CTI events (``freeswitch.to_cti``) handled like the
ones a PBX posts (``actions.handle``)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from huiliu.channels.listeners import Listener
from huiliu.channels.models import ChannelAccount
from huiliu.channels.phone import actions, freeswitch, service
from huiliu.channels.phone.adapter import PhoneConfig
from huiliu.integrations.egress import check_host, parse_allow

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)

ACCOUNTS_POLL_S = 5.0
CONNECT_TIMEOUT_S = 10.0
REPLY_TIMEOUT_S = 10.0
BACKOFF_S = 1.0
BACKOFF_MAX_S = 60.0


def _fingerprint(account: ChannelAccount) -> str:
    return hashlib.sha256(orjson.dumps(account.config, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def run(runtime: Runtime) -> None:
    """Keep one connection per configured account until cancelled."""
    connections: dict[int, tuple[str, asyncio.Task[None]]] = {}
    try:
        while True:
            try:
                async with runtime.db.read() as session:
                    accounts = await service.list_connected_accounts(session)
            except Exception:
                log.exception("phone: listing the FreeSWITCH accounts failed")
            else:
                wanted = {a.id: (_fingerprint(a), a) for a in accounts}
                for account_id, (fingerprint, task) in list(connections.items()):
                    if wanted.get(account_id, ("",))[0] != fingerprint or task.done():
                        task.cancel()
                        del connections[account_id]
                for account_id, (fingerprint, account) in wanted.items():
                    if account_id not in connections:
                        task = asyncio.create_task(
                            connect_forever(runtime, account), name=f"freeswitch:{account_id}"
                        )
                        connections[account_id] = (fingerprint, task)
            await asyncio.sleep(ACCOUNTS_POLL_S)
    finally:
        tasks = [task for _fingerprint_, task in connections.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def connect_forever(runtime: Runtime, account: ChannelAccount) -> None:
    delay = BACKOFF_S
    while True:
        ready = False

        def on_ready() -> None:
            nonlocal ready
            ready = True

        try:
            await serve_connection(runtime, account, on_ready)
            log.warning("phone account %d: FreeSWITCH closed the event socket", account.id)
        except asyncio.CancelledError:
            raise
        except (OSError, TimeoutError, freeswitch.EslError, asyncio.IncompleteReadError) as exc:
            log.warning(
                "phone account %d: event socket: %s; again in %.0f s", account.id, exc, delay
            )
        except Exception:
            log.exception("phone account %d: event socket failed", account.id)
        if ready:
            delay = BACKOFF_S  # it was up: this is a new failure, not the same one again
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX_S)


async def serve_connection(
    runtime: Runtime, account: ChannelAccount, on_ready: Callable[[], None]
) -> None:
    """One connection: authenticate, subscribe, handle events until it closes."""
    config = PhoneConfig.model_validate(account.config)
    fs = config.freeswitch
    if fs is None or not config.freeswitch_password:
        raise freeswitch.EslError("the account names no FreeSWITCH host and password")
    # The host is the merchant's setting: the same egress rule as their webhook URLs.
    await check_host(fs.host, fs.port, parse_allow(runtime.settings.outbound_allow))
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(fs.host, fs.port), CONNECT_TIMEOUT_S
    )
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # notice a switch that vanished without closing
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        greeting = await asyncio.wait_for(freeswitch.read_frame(reader), REPLY_TIMEOUT_S)
        if greeting.content_type != "auth/request":
            raise freeswitch.EslError(f"expected auth/request, got {greeting.content_type!r}")
        await _command(reader, writer, f"auth {config.freeswitch_password}", what="auth")
        await _command(reader, writer, freeswitch.SUBSCRIBE, what="event subscription")
        log.info("phone account %d: connected to FreeSWITCH %s:%d", account.id, fs.host, fs.port)
        on_ready()
        while True:
            frame = await freeswitch.read_frame(reader)
            if frame.content_type == "text/disconnect-notice":
                return
            if frame.content_type != "text/event-plain":
                continue  # api/response and the like: nothing asked, nothing to do
            fields = freeswitch.parse_event_plain(frame.body)
            event = freeswitch.to_cti(fields, fs)
            if event is None:
                continue
            try:
                await actions.handle(runtime, account, event, frame.body.decode("utf-8", "replace"))
            except Exception:
                # One event that could not be stored must not cost the others.
                log.exception("phone account %d: handling %s failed", account.id, event.id)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _command(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, command: str, *, what: str
) -> None:
    writer.write(command.encode() + b"\n\n")
    await writer.drain()
    while True:
        reply = await asyncio.wait_for(freeswitch.read_frame(reader), REPLY_TIMEOUT_S)
        if reply.content_type == "command/reply":
            break
    if not freeswitch.reply_ok(reply):
        raise freeswitch.EslError(f"{what} refused: {reply.headers.get('Reply-Text', '')}")


LISTENERS = (Listener(name="phone.freeswitch", run=run),)
