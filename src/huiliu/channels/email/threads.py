"""Which conversation a mail continues: the signed token in the address the customer
replied to (``support+<token>@shop.example``, from our Reply-To), else the Message-IDs in
its In-Reply-To and References that ``channel_events`` logged for the account.

The token is ``c<conversation id>.<HMAC>`` keyed with the server's secret, so nobody can
write a token for a conversation they were not sent. A thread is honoured only when the
mail's sender is the conversation's customer: a reply from someone else never takes the
conversation over.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.channels.models import ChannelEvent, Direction

_TOKEN = re.compile(r"^c(\d{1,18})\.([0-9a-f]{16})$")
MAX_REFERENCES = 50  # a References header longer than this is looked up by its newest ids


def _mac(secret: str, account_id: int, conversation_id: int) -> str:
    message = f"email-thread:{account_id}:{conversation_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def token(secret: str, account_id: int, conversation_id: int) -> str:
    return f"c{conversation_id}.{_mac(secret, account_id, conversation_id)}"


def read_token(secret: str, account_id: int, value: str) -> int | None:
    """The conversation a token names, or None if it is not one we signed."""
    match = _TOKEN.match(value.lower())
    if match is None:
        return None
    conversation_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _mac(secret, account_id, conversation_id)):
        return None
    return conversation_id


def reply_address(secret: str, account_id: int, address: str, conversation_id: int) -> str:
    local, domain = address.split("@", 1)
    return f"{local}+{token(secret, account_id, conversation_id)}@{domain}"


def plus_tag(address: str, mailbox: str) -> str | None:
    """'' for the mailbox itself, the tag of ``local+tag@domain``, None for another address."""
    local, _, domain = address.strip().lower().partition("@")
    box_local, _, box_domain = mailbox.partition("@")
    if domain != box_domain:
        return None
    if local == box_local:
        return ""
    if local.startswith(box_local + "+"):
        return local[len(box_local) + 1 :]
    return None


def token_conversation(
    secret: str, account_id: int, mailbox: str, addresses: Iterable[str]
) -> int | None:
    for address in addresses:
        tag = plus_tag(address, mailbox)
        if tag:
            found = read_token(secret, account_id, tag)
            if found is not None:
                return found
    return None


async def referenced_conversation(
    session: AsyncSession, *, account_id: int, message_ids: list[str]
) -> int | None:
    """The conversation of the newest of ``message_ids`` (In-Reply-To first, then References
    from the end) that the account received or sent."""
    ids = [m[:255] for m in message_ids[-MAX_REFERENCES:] if m]
    if not ids:
        return None
    rows = await session.execute(
        select(
            ChannelEvent.external_id,
            ChannelEvent.channel_message_id,
            ChannelEvent.direction,
            ChannelEvent.conversation_id,
        ).where(
            ChannelEvent.channel_account_id == account_id,
            ChannelEvent.conversation_id.is_not(None),
            or_(
                (ChannelEvent.direction == Direction.inbound) & ChannelEvent.external_id.in_(ids),
                (ChannelEvent.direction == Direction.outbound)
                & ChannelEvent.channel_message_id.in_(ids),
            ),
        )
    )
    found: dict[str, int] = {}
    for external_id, channel_message_id, direction, conversation_id in rows:
        key = external_id if direction == Direction.inbound else channel_message_id
        if key is not None and conversation_id is not None:
            found[key] = int(conversation_id)
    for message_id in reversed(ids):
        if message_id in found:
            return found[message_id]
    return None
