"""Menus on text-only channels: the bot's menu goes out as numbered options (``render``),
and a customer's reply of a number picks that button."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from huiliu.channels.models import ChannelAccount
from huiliu.channels.plaintext import menu_choice
from huiliu.contacts import service as contacts_service
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType

if TYPE_CHECKING:
    from huiliu.runtime import Runtime


async def choice(
    runtime: Runtime, account: ChannelAccount, channel: str, external_id: str, reply: str
) -> dict[str, Any] | None:
    """The text message a tap on the button would be, when ``reply`` is a number of the
    menu the customer was last sent on this account; None otherwise (a plain message)."""
    said = reply.strip()
    if not said.rstrip(".").isdigit() or len(said) > 3:
        return None
    async with runtime.db.read() as session:
        contact = await contacts_service.get_by_identity(
            session, tenant_id=account.tenant_id, channel=channel, external_id=external_id
        )
        if contact is None:
            return None
        conv_id = await session.scalar(
            select(Conversation.id).where(
                Conversation.tenant_id == account.tenant_id,
                Conversation.contact_id == contact.id,
                Conversation.channel_account_id == account.id,
                Conversation.status == ConversationStatus.open,
            )
        )
        if conv_id is None:
            return None
        recent = await session.scalars(
            select(Message)
            .where(Message.conversation_id == conv_id, Message.content_type != "event")
            .order_by(Message.seq.desc())
            .limit(10)
        )
        # The newest menu the bot or the system sent since the customer last wrote (the
        # bot may have said more after it), unless an agent has written since or a survey
        # was sent (its numbers answer the survey: satisfaction.replies).
        for message in recent:
            if message.sender_type in (SenderType.contact, SenderType.agent):
                return None
            if message.content_type == "survey":
                return None
            if message.content_type == "menu":
                return menu_choice(message.content, said)
    return None
