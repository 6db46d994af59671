"""Answers by text on channels that carry no buttons (WeChat, SMS, Weibo, the API channel):
the survey goes out as "reply with a number", and a customer's text that is a number on the
scale — optionally followed by a comment — while their survey is open is its answer.

``channels.actions.receive`` offers every inbound text to ``take`` before the message
pipeline: an answer is stored in the surveyed conversation (the customer's reply and the
system's thanks as messages, in one transaction) and never opens a conversation or reaches
the bot; anything else goes on as a normal message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.bus.events import Event, MessageCreated
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations.models import SenderType
from huiliu.satisfaction import actions, service
from huiliu.satisfaction.schemas import MAX_COMMENT

# "5", "5分", "4 星", "5 很好", "5，态度很好", "1 回复慢": the number, then nothing, a unit, or
# a separator before the comment. A quantity is not an answer: "3分钟前下的单", "1-2天能到吗",
# "2 件衣服都破了", "2个小时了"; nor is "10" on a 5-point scale.
_SEPARATORS = r"\s,，.。、;；:：!！"
_REPLY = re.compile(
    rf"^\s*(?P<n>\d{{1,2}})\s*(?:颗星|星|分(?!钟))?(?P<rest>(?:[{_SEPARATORS}].*)?)$",
    re.DOTALL | re.ASCII,
)
_LEADING = re.compile(rf"^[{_SEPARATORS}]+")
# Measure words and units: a number followed by one of them counts something.
_QUANTITY = frozenset("个件条只双套箱包盒瓶袋份张台部天日号周月年小时分钟秒次遍元块毛角斤克米单")


def parse(text: str) -> tuple[int, str | None] | None:
    """The score and comment a reply gives, or None when it is not a reply of that form."""
    said = unicodedata.normalize("NFKC", text)
    match = _REPLY.match(said)
    if match is None:
        return None
    rest = _LEADING.sub("", match.group("rest").strip()).strip()
    if rest and rest[0] in _QUANTITY:
        return None
    return int(match.group("n")), rest or None


@dataclass(frozen=True, slots=True)
class Reply:
    """An inbound text taken as a survey's answer: where it was stored, what to publish."""

    conversation_id: int
    message_id: int
    seq: int
    events: list[Event]


async def take(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    account_id: int,
    contact_id: int,
    text: str,
    now: datetime,
) -> Reply | None:
    """Answer the customer's open survey on this channel account with ``text`` if it is a
    number on its scale (and a comment); None (nothing stored) otherwise."""
    parsed = parse(text)
    if parsed is None:
        return None
    score, comment = parsed
    found = await service.open_reply_survey(
        conn, tenant_id=tenant_id, account_id=account_id, contact_id=contact_id, now=now
    )
    if found is None or not 1 <= score <= found.scale:
        return None
    conv = await conversations_actions.lock_for_system(conn, tenant_id, found.conversation_id)
    row = await service.get_by_conversation(conn, conversation_id=found.conversation_id)
    if conv is None or row is None or service.state_of(row, now) != "open":
        return None  # answered a moment ago by another reply
    # Offered tags the comment names count as picked ("1 回复慢"); the words stay the comment.
    tags = [t for t in service.offered_tags(row, score) if comment and t in comment]
    if comment and not tags and not (row.offer or {}).get("comment", False):
        return None  # words the survey cannot keep: a message for a person, not an answer
    if not (row.offer or {}).get("comment", False):
        comment = None
    comment = comment[:MAX_COMMENT] if comment else None
    tags, comment = actions.check_answer(row, score=score, tags=tags, comment=comment, now=now)
    settings = await service.get_settings(conn, tenant_id=tenant_id)
    events = await actions.store_answer(
        conn,
        conv,
        row,
        score=score,
        tags=tags,
        comment=comment,
        now=now,
        messages=[
            (SenderType.contact, {"type": "text", "text": text}),
            (SenderType.system, {"type": "text", "text": settings.thanks}),
        ],
        sender_id=contact_id,
    )
    reply = next(
        e.message
        for e in events
        if isinstance(e, MessageCreated) and e.message.seq == conv.last_seq + 1
    )
    return Reply(conversation_id=conv.id, message_id=reply.id, seq=reply.seq, events=events)
