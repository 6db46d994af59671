"""Polling the accounts' mailboxes over IMAP4rev1 (RFC 3501), for merchants whose mail
stays with their provider: every HUILIU_IMAP_POLL_S, each active account with an
``imap_host`` is asked for its unseen mail (``UID SEARCH UNSEEN``); each mail is fetched
without touching its flags (``BODY.PEEK[]``), stored, and only then marked ``\\Seen``.

No UID is kept in the database: the ``\\Seen`` flag is the mailbox's own bookmark, and a
mail seen again (the flag lost, a crash between storing and flagging) is recognised by its
Message-ID in ``channel_events`` and stored once. ``imaplib`` blocks, so each mailbox is
talked to in a worker thread while the storing happens on the runtime's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
from typing import TYPE_CHECKING

from sqlalchemy import select

from huiliu.channels.email.inbound import accept
from huiliu.channels.email.settings import CHANNEL, EmailConfig
from huiliu.channels.models import ChannelAccount
from huiliu.integrations.egress import check_host, parse_allow

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 50  # mails fetched per mailbox and poll; the rest wait for the next poll
TIMEOUT_S = 30.0
_UIDS = re.compile(rb"\d+")


class MailboxError(Exception):
    """The mailbox refused us (login, folder); logged, tried again next poll."""


def _connect(config: EmailConfig) -> imaplib.IMAP4:
    if config.imap_security == "ssl":
        conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            config.imap_host,
            config.imap_port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_S,
        )
    else:
        conn = imaplib.IMAP4(config.imap_host, config.imap_port, timeout=TIMEOUT_S)
        if config.imap_security == "starttls":
            conn.starttls(ssl.create_default_context())
    try:
        conn.login(config.imap_user, config.imap_password)
        status, _ = conn.select(_quoted(config.imap_folder))
        if status != "OK":
            raise MailboxError(f"cannot open the folder {config.imap_folder!r}")
    except imaplib.IMAP4.error as exc:
        conn.shutdown()
        raise MailboxError(str(exc)) from None
    except BaseException:
        conn.shutdown()
        raise
    return conn


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unseen(conn: imaplib.IMAP4) -> list[bytes]:
    status, data = conn.uid("SEARCH", "UNSEEN")
    if status != "OK":
        raise MailboxError("UID SEARCH UNSEEN was refused")
    return _UIDS.findall(b" ".join(d for d in data if isinstance(d, bytes)))[:BATCH]


def _fetch(conn: imaplib.IMAP4, uid: bytes) -> bytes | None:
    status, data = conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def _mark_seen(conn: imaplib.IMAP4, uid: bytes) -> None:
    conn.uid("STORE", uid.decode(), "+FLAGS.SILENT", "(\\Seen)")


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()


async def poll_account(runtime: Runtime, account: ChannelAccount) -> int:
    """Store the account's unseen mail; the number of mails taken in."""
    config = EmailConfig.model_validate(account.config)
    await check_host(
        config.imap_host, config.imap_port, parse_allow(runtime.settings.outbound_allow)
    )
    conn = await asyncio.to_thread(_connect, config)
    taken = 0
    try:
        for uid in await asyncio.to_thread(_unseen, conn):
            data = await asyncio.to_thread(_fetch, conn, uid)
            if data is None:
                continue
            # An exception here leaves the mail unseen: it is tried again next poll.
            await accept(runtime, account, data, recipients=(config.address,))
            await asyncio.to_thread(_mark_seen, conn, uid)
            taken += 1
    finally:
        await asyncio.to_thread(_close, conn)
    return taken


async def poll_once(runtime: Runtime) -> None:
    async with runtime.db.read() as session:
        accounts = list(
            await session.scalars(
                select(ChannelAccount)
                .where(ChannelAccount.type == CHANNEL, ChannelAccount.active.is_(True))
                .order_by(ChannelAccount.id)
            )
        )
    for account in accounts:
        if not (account.config or {}).get("imap_host"):
            continue
        try:
            await poll_account(runtime, account)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one bad mailbox never stops the others
            log.warning("imap: account %d: %s: %s", account.id, type(exc).__name__, exc)


async def poll(runtime: Runtime) -> None:
    """The Listener's ``run``: poll every HUILIU_IMAP_POLL_S until cancelled."""
    while True:
        await poll_once(runtime)
        await asyncio.sleep(runtime.settings.imap_poll_s)
