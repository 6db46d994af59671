"""One mail in (from the SMTP server or the IMAP poller) → messages in the one pipeline.

The mail's text (or sanitized HTML) is one message under the mail's Message-ID, each
attachment a file or image message under ``<Message-ID>#<n>``, so a mail delivered twice
(an SMTP retry, an IMAP message seen again) is stored once. A bounce that reports on one
of our replies marks that delivery failed; any other bounce is logged and dropped.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from sqlalchemy import select

from huiliu.auth.principal import Principal
from huiliu.bus.events import DeliveryUpdated
from huiliu.channels import actions, service
from huiliu.channels.base import Identity, Inbound
from huiliu.channels.email import threads
from huiliu.channels.email.parse import Attachment, MalformedMail, ParsedMail, parse
from huiliu.channels.email.settings import CHANNEL, EmailConfig
from huiliu.channels.models import ChannelAccount, ChannelEvent, Direction, EventStatus
from huiliu.contacts import service as contacts_service
from huiliu.conversations.content import sanitize_html
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.conversations.schemas import ConversationRef
from huiliu.files import service as files_service

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)

MAX_HTML = 20_000


@dataclass(frozen=True, slots=True)
class Accepted:
    status: Literal["stored", "duplicate", "rejected", "ignored", "bounce"]
    conversation_id: int | None = None
    error: str | None = None
    message_id: str | None = None


def identity(parsed: ParsedMail) -> Identity:
    # The address is the identity (channel ``email``). SMTP From can be forged, so it is
    # not a merge key for any other identity (a ``user``, a phone): a forged mail lands in
    # the history of whoever owns the address, and replies go to the real address only.
    return Identity(
        channel=CHANNEL,
        external_id=parsed.from_address,
        name=parsed.from_name,
        email=parsed.from_address,
    )


async def accept(
    runtime: Runtime,
    account: ChannelAccount,
    data: bytes,
    *,
    envelope_from: str | None = None,
    recipients: tuple[str, ...] = (),
) -> Accepted:
    """Store one mail for ``account``; safe to call again with the same mail."""
    config = EmailConfig.model_validate(account.config)
    raw = data.decode("utf-8", errors="replace")
    try:
        parsed = parse(data, envelope_from=envelope_from)
    except MalformedMail as exc:
        return await _reject(runtime, account, data, str(exc))
    if parsed.bounce:
        return await _bounce(runtime, account, parsed, raw)
    if threads.plus_tag(parsed.from_address, config.address) is not None:
        # Our own reply come back (a Cc to the mailbox, a forwarding loop): never a message.
        await _log(runtime, account, parsed.message_id, EventStatus.ignored, "our own mail", raw)
        return Accepted("ignored", None, "our own mail", parsed.message_id)
    async with runtime.db.read() as session:
        prior = await service.find_event(
            session,
            account_id=account.id,
            direction=Direction.inbound,
            external_id=parsed.message_id[:255],
        )
    if prior is not None and prior.status is not EventStatus.received:
        return Accepted("duplicate", prior.conversation_id, prior.error, parsed.message_id)
    sender = identity(parsed)
    thread = await _thread(runtime, account, config, parsed, recipients)
    contents = _contents(parsed, runtime.settings.max_text_length)
    stored: Accepted | None = None
    if contents:
        received = await actions.receive(
            runtime,
            account,
            Inbound(
                external_id=parsed.message_id,
                sender=sender,
                content=contents,
                raw=raw,
                automated=parsed.automated is not None,
            ),
        )
        stored = Accepted(received.status, received.conversation_id, received.error)
        if received.status == "rejected":
            return Accepted("rejected", None, received.error, parsed.message_id)
    for n, attachment in enumerate(parsed.attachments, start=1):
        external_id = f"{parsed.message_id}#{n}"
        async with runtime.db.read() as session:
            seen = await service.find_event(
                session,
                account_id=account.id,
                direction=Direction.inbound,
                external_id=external_id[:255],
            )
        if seen is not None and seen.status is not EventStatus.received:
            continue  # stored (or refused) the first time this mail came
        content, refusal = await _store_file(runtime, account, config, sender, attachment)
        if content is None:
            await _log(runtime, account, external_id, EventStatus.rejected, refusal, raw="")
            continue
        received = await actions.receive(
            runtime,
            account,
            Inbound(
                external_id=external_id,
                sender=sender,
                content=content,
                automated=parsed.automated is not None,
            ),
        )
        if stored is None:
            stored = Accepted(received.status, received.conversation_id, received.error)
    if stored is None:
        await _log(runtime, account, parsed.message_id, EventStatus.ignored, "an empty mail", raw)
        return Accepted("ignored", None, "the mail has no text and no attachment")
    if thread is not None and stored.conversation_id not in (None, thread):
        log.info("mail %s continues conversation %d, now closed", parsed.message_id, thread)
    return Accepted(stored.status, stored.conversation_id, stored.error, parsed.message_id)


def _contents(parsed: ParsedMail, max_text: int) -> dict[str, Any] | None:
    subject = {"subject": parsed.subject} if parsed.subject else {}
    if parsed.text:
        text = parsed.text
        if len(text) > max_text:
            # A long mail is kept in full in the event's raw; the message shows its start.
            text = text[: max_text - 40].rstrip() + "\n[… the rest is in the original mail]"
        return {"type": "text", "text": text, **subject}
    if parsed.html:
        html = parsed.html
        if len(html) > MAX_HTML:
            html = sanitize_html(html[: MAX_HTML - 200])
        return {"type": "rich", "html": html, **subject}
    if not parsed.attachments and parsed.subject:
        return {"type": "text", "text": parsed.subject, **subject}
    return None


async def _thread(
    runtime: Runtime,
    account: ChannelAccount,
    config: EmailConfig,
    parsed: ParsedMail,
    recipients: tuple[str, ...],
) -> int | None:
    """The conversation the mail replies to, if its sender is that conversation's customer
    (otherwise the sender gets their own conversation, as any new customer does)."""
    conversation_id = threads.token_conversation(
        runtime.secret_key, account.id, config.address, [*recipients, *parsed.recipients]
    )
    async with runtime.db.read() as session:
        if conversation_id is None:
            conversation_id = await threads.referenced_conversation(
                session, account_id=account.id, message_ids=parsed.thread_ids
            )
        if conversation_id is None:
            return None
        conv = await session.get(Conversation, conversation_id)
        if conv is None or conv.tenant_id != account.tenant_id:
            return None
        owner = await contacts_service.get_by_identity(
            session, tenant_id=account.tenant_id, channel=CHANNEL, external_id=parsed.from_address
        )
    if owner is None or owner.id != conv.contact_id:
        log.info(
            "mail %s from %s does not take over conversation %d",
            parsed.message_id,
            parsed.from_address,
            conversation_id,
        )
        return None
    return conversation_id


async def _store_file(
    runtime: Runtime,
    account: ChannelAccount,
    config: EmailConfig,
    sender: Identity,
    attachment: Attachment,
) -> tuple[dict[str, Any] | None, str]:
    limit = runtime.settings.max_upload_bytes
    name = files_service.clean_name(attachment.name)
    if len(attachment.data) > limit:
        return None, f"attachment {name!r} is {len(attachment.data)} bytes; the limit is {limit}"
    public_url = (config.public_url or runtime.settings.public_url).rstrip("/")
    async with runtime.db.write() as session:
        contact = await contacts_service.resolve_channel_identity(
            session,
            tenant_id=account.tenant_id,
            channel=sender.channel,
            external_id=sender.external_id,
            profile={"name": sender.name, "email": sender.email},
        )
        row, image = await files_service.create(
            session,
            uploader=Principal(kind="visitor", tenant_id=account.tenant_id, id=contact.id),
            name=name,
            declared=attachment.declared,
            data=attachment.data,
        )
        url = f"{public_url}/files/{row.key}/{quote(row.name, safe='')}"
        size, mime, stored_name = row.size, row.mime, row.name
    if image is not None:
        content: dict[str, Any] = {"type": "image", "url": url, "size": size, "name": stored_name}
        if image.width:
            content["width"] = image.width
        if image.height:
            content["height"] = image.height
        return content, ""
    return {"type": "file", "url": url, "name": stored_name, "size": size, "mime": mime}, ""


async def _reject(runtime: Runtime, account: ChannelAccount, data: bytes, error: str) -> Accepted:
    external_id = f"<{hashlib.sha256(data).hexdigest()[:40]}@rejected.invalid>"
    raw = data[:4000].decode("utf-8", errors="replace")
    await _log(runtime, account, external_id, EventStatus.rejected, error, raw)
    return Accepted("rejected", None, error)


async def _log(
    runtime: Runtime,
    account: ChannelAccount,
    external_id: str,
    status: EventStatus,
    error: str | None,
    raw: str,
) -> None:
    async with runtime.db.write() as session:
        event = await service.record_inbound(
            session, account=account, external_id=external_id, raw=raw
        )
        if event is not None:
            await service.finish_event(session, event_id=event.id, status=status, error=error)


async def _bounce(
    runtime: Runtime, account: ChannelAccount, parsed: ParsedMail, raw: str
) -> Accepted:
    """A delivery report: the reply it names failed (the agents see why); else dropped."""
    reason = "bounced: " + (parsed.bounce_reason or "the recipient's server refused the mail")
    ids = [i[:255] for i in parsed.bounced_ids]
    failed: ChannelEvent | None = None
    if ids:
        async with runtime.db.write() as session:
            failed = await session.scalar(
                select(ChannelEvent).where(
                    ChannelEvent.channel_account_id == account.id,
                    ChannelEvent.direction == Direction.outbound,
                    ChannelEvent.channel_message_id.in_(ids),
                )
            )
            if failed is not None:
                await service.finish_event(
                    session, event_id=failed.id, status=EventStatus.failed, error=reason[:1000]
                )
                conv = (
                    await session.get(Conversation, failed.conversation_id)
                    if failed.conversation_id is not None
                    else None
                )
                message_id, conv_ref = (
                    failed.message_id,
                    (
                        ConversationRef(
                            id=conv.id,
                            contact_id=conv.contact_id,
                            assignee_id=conv.assignee_id,
                            group_id=conv.group_id,
                            status=ConversationStatus(conv.status),
                        )
                        if conv is not None
                        else None
                    ),
                )
        if failed is not None and conv_ref is not None and message_id is not None:
            await runtime.bus.publish(
                [
                    DeliveryUpdated(
                        tenant_id=account.tenant_id,
                        conversation=conv_ref,
                        message_id=message_id,
                        status="failed",
                        error=reason[:1000],
                    )
                ]
            )
    status = EventStatus.ignored
    note = f"a bounce for {failed.channel_message_id}" if failed is not None else "a bounce"
    await _log(runtime, account, parsed.message_id, status, note, raw)
    return Accepted("bounce", failed.conversation_id if failed else None, note, parsed.message_id)
