"""The embedded SMTP server (RFC 5321, aiosmtpd on the runtime's event loop): the
merchant's MX, or a relay that forwards to it, hands the mailbox's mail straight to Huiliu.

RCPT TO must name an active e-mail account's address (or its ``+tag`` form, as in our
Reply-To): anything else is 550, so this is no open relay. A mail over the size limit is
552 (aiosmtpd counts while reading); a malformed one 550 with the reason; a failure of ours
451, so the sending server tries again later and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from huiliu.channels.email import threads
from huiliu.channels.email.inbound import accept
from huiliu.channels.email.settings import CHANNEL
from huiliu.channels.models import ChannelAccount

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)
ENVELOPE_BYTES = 1024 * 1024  # headers and the MIME structure around the attachments
MAX_RECIPIENTS = 20


def size_limit(max_upload_bytes: int) -> int:
    """Base64 makes an attachment 4/3 as big; a mail carries one at most at full size."""
    return max_upload_bytes * 4 // 3 + ENVELOPE_BYTES


async def account_for(runtime: Runtime, address: str) -> ChannelAccount | None:
    """The active e-mail account whose mailbox ``address`` is (or is a ``+tag`` of)."""
    async with runtime.db.read() as session:
        accounts = await session.scalars(
            select(ChannelAccount)
            .where(ChannelAccount.type == CHANNEL, ChannelAccount.active.is_(True))
            .order_by(ChannelAccount.id)
        )
        for account in accounts:
            mailbox = str((account.config or {}).get("address", ""))
            if mailbox and threads.plus_tag(address, mailbox) is not None:
                return account
    return None


class Handler:
    """aiosmtpd's hooks: ``handle_RCPT`` checks each recipient, ``handle_DATA`` stores."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            account = await account_for(self._runtime, address)
        except Exception:
            log.exception("smtp: looking up %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if account is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        sender = "" if mail_from in ("", "<>") else mail_from
        seen: set[int] = set()
        answers: list[str] = []
        try:
            for rcpt in envelope.rcpt_tos:
                account = await account_for(self._runtime, rcpt)
                if account is None or account.id in seen:
                    continue
                seen.add(account.id)
                result = await accept(
                    self._runtime, account, data, envelope_from=sender, recipients=(rcpt,)
                )
                if result.status == "rejected":
                    answers.append(result.error or "refused")
        except Exception:
            log.exception("smtp: storing a mail from %s failed", sender or "<>")
            return "451 4.3.0 Temporary failure, try again later"
        if answers and len(answers) == len(seen):
            reason = " ".join(answers[0].split())[:200]
            return f"550 5.6.0 Message refused: {reason}"
        return "250 2.0.0 OK: queued"


async def serve(runtime: Runtime) -> None:
    """The Listener's ``run``: serve until cancelled."""
    settings = runtime.settings
    loop = asyncio.get_running_loop()
    handler = Handler(runtime)

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=size_limit(settings.max_upload_bytes),
            hostname="huiliu",
            ident="Huiliu ESMTP",
            enable_SMTPUTF8=True,
            timeout=120,
            loop=loop,
        )

    server = await loop.create_server(protocol, host=settings.smtp_host, port=settings.smtp_port)
    log.info("smtp server on %s:%d", settings.smtp_host, settings.smtp_port)
    try:
        await asyncio.Future()  # until cancelled
    finally:
        server.close()
        await server.wait_closed()
