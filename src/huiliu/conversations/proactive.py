"""An agent starts a conversation with a customer: where the customer can be reached now,
and the conversation opened there with the agent's first message (docs/profile.md,
"Proactive messages").

The customer is reached, best first: in a conversation of theirs still open; in the widget
or app while they are connected; on a channel whose reply window is still open (WeChat's
and Weibo's 48 hours since they last wrote); on a channel without a window they are known
on (SMS, e-mail, the merchant's API channel); else in the widget or app, where the message
waits and reaches them when they come back (it is stored like any message: resume and the
widget's conversation list deliver it, never lost).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, cast

from pydantic import BaseModel, Field
from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.auth.principal import Principal
from huiliu.bus.events import Event
from huiliu.channels.base import adapter_for
from huiliu.channels.models import ChannelAccount
from huiliu.contacts.models import USER_CHANNEL, VISITOR_CHANNEL, Contact, ContactIdentity
from huiliu.conversations import access, actions
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.errors import Conflict, NotFound
from huiliu.webhooks import triggers as webhook_triggers

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
identities = cast(Table, ContactIdentity.__table__)
channel_accounts = cast(Table, ChannelAccount.__table__)
contacts = cast(Table, Contact.__table__)

WIDGET_CHANNEL = "web"  # the widget's and apps' conversations
State = Literal["open", "online", "window", "reachable", "stored", "window_closed"]
# Best first; ``window_closed`` is listed to say why, never chosen.
RANK: dict[str, int] = {
    "open": 0,
    "online": 1,
    "window": 2,
    "reachable": 3,
    "stored": 4,
    "window_closed": 9,
}


class Reach(BaseModel):
    channel: str = Field(description="web (the widget and apps), wechat, sms, email, …")
    channel_account_id: int | None = Field(description="the merchant's account it goes out on")
    channel_account_name: str | None
    state: State = Field(
        description="open: a conversation of theirs is open there; online: connected to the "
        "widget or an app now; window: the channel's reply window is open; reachable: known "
        "there, no window; stored: waits in the widget until they come back; window_closed: "
        "the window has passed (not reachable)"
    )
    conversation_id: int | None = Field(description="the open conversation it would go into")
    detail: str
    best: bool = False


async def reach(
    conn: AsyncConnection, *, tenant_id: int, contact_id: int, online: bool, now: datetime
) -> list[Reach]:
    """Where the contact can be reached, best first (``online``: they hold a socket now)."""
    known = await conn.scalar(
        select(contacts.c.id).where(contacts.c.id == contact_id, contacts.c.tenant_id == tenant_id)
    )
    if known is None:
        raise NotFound("contact not found")
    found = await reach_many(
        conn,
        tenant_id=tenant_id,
        contact_ids=[contact_id],
        online={contact_id} if online else set(),
        now=now,
    )
    return found[contact_id]


async def reach_many(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    contact_ids: list[int],
    online: set[int],
    now: datetime,
) -> dict[int, list[Reach]]:
    """``reach`` for many of the tenant's contacts in a few queries (a campaign's batch)."""
    found: dict[int, list[Reach]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return found
    taken: set[tuple[int, str, int | None]] = set()
    accounts = (
        await conn.execute(
            select(channel_accounts)
            .where(channel_accounts.c.tenant_id == tenant_id)
            .order_by(channel_accounts.c.id)
        )
    ).all()
    names = {a.id: a.name for a in accounts}
    for row in await conn.execute(
        select(
            conversations.c.id,
            conversations.c.contact_id,
            conversations.c.channel,
            conversations.c.channel_account_id,
        )
        .where(
            conversations.c.tenant_id == tenant_id,
            conversations.c.contact_id.in_(contact_ids),
            conversations.c.status == ConversationStatus.open.value,
        )
        .order_by(conversations.c.last_message_at.desc())
    ):
        taken.add((row.contact_id, row.channel, row.channel_account_id))
        found[row.contact_id].append(
            Reach(
                channel=row.channel,
                channel_account_id=row.channel_account_id,
                channel_account_name=names.get(row.channel_account_id),
                state="open",
                conversation_id=row.id,
                detail="into the conversation of theirs that is open",
            )
        )
    known_as: dict[int, set[str]] = {cid: set() for cid in contact_ids}
    for who, channel in await conn.execute(
        select(identities.c.contact_id, identities.c.channel).where(
            identities.c.tenant_id == tenant_id, identities.c.contact_id.in_(contact_ids)
        )
    ):
        known_as[who].add(channel)
    windowed: list[tuple[Any, Any, str]] = []  # (account, adapter, identity channel)
    plain: list[tuple[Any, Any, str]] = []
    for account in accounts:
        adapter = adapter_for(account.type)
        if adapter is None or account.type == "phone" or not account.active:
            continue
        try:
            identity = adapter.identity_channel(dict(account.config or {}))
        except (KeyError, TypeError, ValueError):
            continue  # an account set up wrongly reaches nobody
        (windowed if adapter.reply_window_s is not None else plain).append(
            (account, adapter, identity)
        )
    last_wrote: dict[tuple[int, int], datetime] = {}
    if windowed:
        for who, account_id, at in await conn.execute(
            select(
                conversations.c.contact_id,
                conversations.c.channel_account_id,
                func.max(conversations.c.last_contact_message_at),
            )
            .where(
                conversations.c.tenant_id == tenant_id,
                conversations.c.contact_id.in_(contact_ids),
                conversations.c.channel_account_id.in_([a.id for a, _, _ in windowed]),
                conversations.c.last_contact_message_at.is_not(None),
            )
            .group_by(conversations.c.contact_id, conversations.c.channel_account_id)
        ):
            last_wrote[(who, account_id)] = at
    for cid in contact_ids:
        options = found[cid]
        if (VISITOR_CHANNEL in known_as[cid] or USER_CHANNEL in known_as[cid]) and (
            (cid, WIDGET_CHANNEL, None) not in taken
        ):
            options.append(
                Reach(
                    channel=WIDGET_CHANNEL,
                    channel_account_id=None,
                    channel_account_name=None,
                    state="online" if cid in online else "stored",
                    conversation_id=None,
                    detail="connected to the widget or an app now"
                    if cid in online
                    else "waits in the widget or app and reaches them when they come back",
                )
            )
        for account, adapter, identity in [*windowed, *plain]:
            if identity not in known_as[cid] or (cid, account.type, account.id) in taken:
                continue
            window = adapter.reply_window_s
            state: State = "reachable"
            detail = f"known on {adapter.label}"
            if window is not None:
                last = last_wrote.get((cid, account.id))
                if last is not None and now - last <= timedelta(seconds=window):
                    state = "window"
                    minutes = int((timedelta(seconds=window) - (now - last)).total_seconds() // 60)
                    detail = f"{adapter.label} takes replies for {minutes} more minutes"
                else:
                    state = "window_closed"
                    detail = (
                        f"{adapter.label} takes a reply only within {window / 3600:g} hours "
                        "of the customer's last message; that has passed"
                    )
            options.append(
                Reach(
                    channel=account.type,
                    channel_account_id=account.id,
                    channel_account_name=account.name,
                    state=state,
                    conversation_id=None,
                    detail=detail,
                )
            )
        options.sort(key=lambda o: RANK[o.state])
        for option in options:
            if option.state != "window_closed":
                option.best = True
                break
    return found


def choose(options: list[Reach], *, channel: str | None, channel_account_id: int | None) -> Reach:
    """The option the agent asked for (by channel or account), or the best; 409
    ``unreachable`` with the reason when there is none."""
    wanted = [
        r
        for r in options
        if (channel is None or r.channel == channel)
        and (channel_account_id is None or r.channel_account_id == channel_account_id)
    ]
    usable = [r for r in wanted if r.state != "window_closed"]
    if usable:
        return usable[0]
    if wanted:
        raise Conflict(wanted[0].detail, code="unreachable")
    if channel is not None or channel_account_id is not None:
        raise Conflict(
            "the customer is not known on that channel (they have never written there, and no "
            "identity there was pushed for them)",
            code="unreachable",
        )
    raise Conflict(
        "the customer cannot be reached: no open conversation, no widget or app identity, no "
        "channel they are known on",
        code="unreachable",
    )


async def open_for(
    conn: AsyncConnection, principal: Principal, *, contact_id: int, target: Reach, now: datetime
) -> tuple[int, bool, list[Event]]:
    """The conversation the first message goes into: the open one, or a new one on the
    target's channel served by the agent at once. Returns its id, whether it is new, and
    the events of its opening (to publish after commit)."""
    if target.conversation_id is not None:
        conv = (
            await conn.execute(
                select(conversations).where(conversations.c.id == target.conversation_id)
            )
        ).one()
        if not access.can_write(
            principal,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
        ):
            raise Conflict(
                f"the customer is in conversation {conv.id}, which another agent serves: "
                "write there once it is transferred to you, or after it closes",
                code="served_by_another",
            )
        return target.conversation_id, False, []
    values: dict[str, Any] = {
        "tenant_id": principal.tenant_id,
        "contact_id": contact_id,
        "channel": target.channel,
        "channel_account_id": target.channel_account_id,
        "status": ConversationStatus.open.value,
        "assignee_id": principal.id,
        "assigned_at": now,
        "with_bot": False,
        "last_seq": 1,
        "created_at": now,
        "last_message_at": now,
    }
    try:
        async with conn.begin_nested():
            cid = int(
                (
                    await conn.execute(
                        insert(conversations).values(**values).returning(conversations.c.id)
                    )
                ).scalar_one()
            )
            row: dict[str, Any] = {
                "tenant_id": principal.tenant_id,
                "conversation_id": cid,
                "seq": 1,
                "sender_type": SenderType.system.value,
                "sender_id": None,
                "client_msg_id": None,
                "content_type": "event",
                "content": {"type": "event", "event": "opened", "account_id": principal.id},
                "created_at": now,
            }
            message_id = int(
                (
                    await conn.execute(insert(messages).values(**row).returning(messages.c.id))
                ).scalar_one()
            )
    except IntegrityError:
        # The customer opened one on that channel a moment ago: the message goes there.
        found = await conn.scalar(
            select(conversations.c.id).where(
                conversations.c.tenant_id == principal.tenant_id,
                conversations.c.contact_id == contact_id,
                conversations.c.channel == target.channel,
                conversations.c.status == ConversationStatus.open.value,
            )
        )
        if found is None:
            raise
        return int(found), False, []
    # Webhooks hear of it like any conversation opening (conversation.opened).
    await webhook_triggers.on_messages(conn, [(row, message_id)], contact_of=lambda _: contact_id)
    _detail, events = await actions.changed_events(conn, cid, row, message_id)
    return cid, True, events
