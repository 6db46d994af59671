"""Surveys asked and answered: check, store in one transaction (with the invitation or the
thanks as messages, the conversation's ``rating_*`` and the report fold's job), then emit.

A survey is asked at most once per conversation (the unique key; every asker holds the
conversation's row lock first), on the conversation's own channel: buttons in the widget and
apps, "reply with a number" on text channels, a link to the rating page in e-mail.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.analytics import triggers as analytics_triggers
from huiliu.auth.principal import Principal
from huiliu.bus import Bus
from huiliu.bus.events import Event
from huiliu.channels.base import reply_window_s
from huiliu.conversations import access
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations.content import SurveyContent
from huiliu.conversations.models import Conversation, ConversationStatus, SenderType
from huiliu.conversations.schemas import ConversationOut
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from huiliu.satisfaction import service
from huiliu.satisfaction.models import Survey
from huiliu.satisfaction.schemas import MAX_COMMENT, SurveyOut, Via
from huiliu.satisfaction.settings import SatisfactionSettings

surveys = cast(Table, Survey.__table__)
conversations = cast(Table, Conversation.__table__)

# How each channel carries a survey; a channel not here (the phone) is never asked.
VIA: dict[str, Via] = {
    "web": "buttons",
    "email": "link",
    "wechat": "reply",
    "sms": "reply",
    "weibo": "reply",
    "api": "reply",
}


class SurveyExpired(AppError):
    status = 410
    code = "survey_expired"


def via_for(channel: str) -> Via | None:
    return VIA.get(channel)


def served_by_person(conv: Any) -> bool:
    """An agent was assigned to the conversation or wrote in it (not the bot's alone)."""
    return conv.assignee_id is not None or conv.last_agent_message_at is not None


def window_open(conv: Any, now: datetime) -> bool:
    """Whether the channel still takes a message to the customer (WeChat's and Weibo's 48
    hours after their last message)."""
    window = reply_window_s(conv.channel)
    if window is None:
        return True
    last = conv.last_contact_message_at
    return last is not None and (now - last).total_seconds() <= window


# -- asking ---------------------------------------------------------------------------------


async def ask(
    conn: AsyncConnection,
    conv: Any,
    *,
    settings: SatisfactionSettings,
    trigger: str,
    now: datetime,
) -> list[Event]:
    """Store the survey of ``conv`` (its row, locked, as it stands now) and its invitation
    after the conversation's last message; the events to publish after commit."""
    via = via_for(conv.channel)
    if via is None:
        raise Conflict(
            f"a {conv.channel} conversation cannot carry a survey", code="survey_unsupported"
        )
    offer = settings.offer()
    expires_at = now + timedelta(hours=settings.answer_window_h)
    survey_id = (
        await conn.execute(
            insert(surveys)
            .values(
                tenant_id=conv.tenant_id,
                conversation_id=conv.id,
                agent_id=conv.assignee_id,
                group_id=conv.group_id,
                channel=conv.channel,
                scale=settings.scale,
                trigger=trigger,
                via=via,
                token=secrets.token_urlsafe(32),
                asked_at=now,
                expires_at=expires_at,
                offer=offer,
                tags=[],
            )
            .returning(surveys.c.id)
        )
    ).scalar_one()
    content = SurveyContent.model_validate(
        {"type": "survey", "survey_id": int(survey_id), "scale": settings.scale, **offer}
        | {"expires_at": expires_at}
    ).model_dump(mode="json", exclude_none=True)
    events = await conversations_actions.append_messages(
        conn, conv, [(SenderType.system, content)], now
    )
    await analytics_triggers.conversation_changed(
        conn, tenant_id=conv.tenant_id, conversation_id=conv.id
    )
    return events


async def request(
    db: Database, bus: Bus, *, principal: Principal, conversation_id: int
) -> SurveyOut:
    """The serving agent (or a supervisor, an admin) asks the customer for a rating now."""
    now = utcnow()
    async with db.write_connection() as conn:
        conv = await conversations_actions.lock(conn, principal, conversation_id)
        if not principal.is_account or not access.can_write(
            principal,
            tenant_id=conv.tenant_id,
            contact_id=conv.contact_id,
            assignee_id=conv.assignee_id,
            group_id=conv.group_id,
        ):
            raise Forbidden(
                "only the conversation's agent, a supervisor or an admin asks for a rating"
            )
        settings = await service.get_settings(conn, tenant_id=conv.tenant_id)
        if not settings.asks_on("request"):
            raise Conflict(
                "asking for a rating is switched off in the satisfaction settings",
                code="surveys_off",
            )
        if via_for(conv.channel) is None:
            raise Conflict(
                f"a {conv.channel} conversation cannot carry a survey", code="survey_unsupported"
            )
        existing = await service.get_by_conversation(conn, conversation_id=conv.id)
        if existing is not None and existing.answered_at is not None:
            raise Conflict("the customer has rated this conversation already", code="already_rated")
        if existing is not None:
            raise Conflict("the customer has been asked for a rating already", code="already_asked")
        if not window_open(conv, now):
            raise Conflict(
                f"{conv.channel} takes messages only so long after the customer's last one: "
                "the survey would not reach them",
                code="reply_window_closed",
            )
        events = await ask(conn, conv, settings=settings, trigger="request", now=now)
        row = await service.get_by_conversation(conn, conversation_id=conv.id)
    await bus.publish(events)
    return service.out(row, now=now)


# -- answering ------------------------------------------------------------------------------


def check_answer(
    row: Any, *, score: int, tags: list[str], comment: str | None, now: datetime
) -> tuple[list[str], str | None]:
    """The answer's tags and comment as stored, or the reason it is refused: answered once
    (409), too late (410), a score off the scale, a tag not offered for the score, a comment
    where none is taken (422)."""
    if row.answered_at is not None:
        raise Conflict("this conversation has been rated already", code="already_rated")
    if row.expires_at is not None and now >= row.expires_at:
        hours = (row.expires_at - row.asked_at).total_seconds() / 3600
        raise SurveyExpired(
            f"this survey closed at {row.expires_at:%Y-%m-%d %H:%M} UTC: answers are taken "
            f"for {hours:g} hours after it is asked"
        )
    if not 1 <= score <= row.scale:
        raise InvalidInput(
            f"score must be 1 … {row.scale} on this {row.scale}-point survey", field="score"
        )
    offered = service.offered_tags(row, score)
    picked = list(dict.fromkeys(tags))
    for tag in picked:
        if tag not in offered:
            choice = "、".join(offered) if offered else "none"
            raise InvalidInput(
                f"{tag!r} is not a tag offered for {service.label_of(row, score)} ({score}); "
                f"offered: {choice}",
                field="tags",
            )
    if comment is not None:
        if not (row.offer or {}).get("comment", False):
            raise InvalidInput("this survey takes no comment", field="comment")
        if len(comment) > MAX_COMMENT:
            raise InvalidInput(
                f"the comment is {len(comment)} characters; at most {MAX_COMMENT}",
                field="comment",
            )
    return picked, comment


async def store_answer(
    conn: AsyncConnection,
    conv: Any,
    row: Any,
    *,
    score: int,
    tags: list[str],
    comment: str | None,
    now: datetime,
    messages: list[tuple[SenderType, dict[str, Any]]] | None = None,
    sender_id: int | None = None,
) -> list[Event]:
    """Record a checked answer on the survey and the conversation (``rating_*``, the score
    on the survey's own scale), with ``messages`` appended to the conversation; the events
    to publish after commit."""
    await conn.execute(
        update(surveys)
        .where(surveys.c.id == row.id)
        .values(answered_at=now, score=score, tags=tags, comment=comment)
    )
    rating = {"rating_score": score, "rating_comment": comment, "rated_at": now}
    events: list[Event]
    if messages:
        events = await conversations_actions.append_messages(
            conn, conv, messages, now, changes=rating, sender_id=sender_id
        )
    else:
        await conn.execute(
            update(conversations).where(conversations.c.id == conv.id).values(**rating)
        )
        _detail, event = await conversations_actions.updated(conn, conv.id)
        events = [event]
    await analytics_triggers.conversation_changed(
        conn, tenant_id=conv.tenant_id, conversation_id=conv.id
    )
    return events


async def answer(
    db: Database,
    bus: Bus,
    *,
    principal: Principal,
    conversation_id: int,
    score: int,
    tags: list[str],
    comment: str | None,
) -> SurveyOut:
    """The conversation's customer answers its survey (the widget's and apps' buttons)."""
    now = utcnow()
    async with db.write_connection() as conn:
        conv = await conversations_actions.lock(conn, principal, conversation_id)
        if not principal.is_visitor:
            raise Forbidden("only the conversation's customer answers its survey")
        row = await service.get_by_conversation(conn, conversation_id=conv.id)
        if row is None:
            raise NotFound("this conversation has no survey", code="no_survey")
        tags, comment = check_answer(row, score=score, tags=tags, comment=comment, now=now)
        events = await store_answer(
            conn, conv, row, score=score, tags=tags, comment=comment, now=now
        )
        row = await service.get_by_conversation(conn, conversation_id=conv.id)
    await bus.publish(events)
    return service.out(row, now=now)


async def answer_by_token(
    db: Database,
    bus: Bus,
    *,
    token: str,
    score: int,
    tags: list[str],
    comment: str | None,
) -> SurveyOut:
    """An answer from the rating page the e-mail links to (the token is the capability)."""
    now = utcnow()
    async with db.write_connection() as conn:
        found = await service.get_by_token(conn, token=token)
        if found is None:
            raise NotFound("no survey has this link", code="no_survey")
        conv = await conversations_actions.lock_for_system(
            conn, found.tenant_id, found.conversation_id
        )
        row = await service.get_by_token(conn, token=token)  # as it stands under the lock
        tags, comment = check_answer(row, score=score, tags=tags, comment=comment, now=now)
        events = await store_answer(
            conn, conv, row, score=score, tags=tags, comment=comment, now=now
        )
        row = await service.get_by_token(conn, token=token)
    await bus.publish(events)
    return service.out(row, now=now)


async def rate(
    db: Database,
    bus: Bus,
    *,
    principal: Principal,
    conversation_id: int,
    score: int,
    comment: str | None,
) -> ConversationOut:
    """``POST /conversations/{id}/rating`` as before surveys: an answer to the conversation's
    survey, without tags. A closed conversation that was not asked (a customer closed it)
    gets its survey now, as the customer's own (trigger ``customer``), while surveys are on."""
    now = utcnow()
    async with db.write_connection() as conn:
        conv = await conversations_actions.lock(conn, principal, conversation_id)
        if not principal.is_visitor:
            raise Forbidden("only the conversation's customer rates it")
        row = await service.get_by_conversation(conn, conversation_id=conv.id)
        if row is None:
            if conv.status != ConversationStatus.closed.value:
                raise Conflict(
                    "the conversation is still open: rate it once it has closed",
                    code="not_closed",
                )
            settings = await service.get_settings(conn, tenant_id=conv.tenant_id)
            if not settings.enabled:
                raise Conflict("this shop does not take satisfaction ratings", code="surveys_off")
            await conn.execute(
                insert(surveys).values(
                    tenant_id=conv.tenant_id,
                    conversation_id=conv.id,
                    agent_id=conv.assignee_id,
                    group_id=conv.group_id,
                    channel=conv.channel,
                    scale=settings.scale,
                    trigger="customer",
                    via=via_for(conv.channel) or "buttons",
                    token=secrets.token_urlsafe(32),
                    asked_at=now,
                    expires_at=now + timedelta(hours=settings.answer_window_h),
                    offer=settings.offer(),
                    tags=[],
                )
            )
            row = await service.get_by_conversation(conn, conversation_id=conv.id)
        _tags, comment = check_answer(row, score=score, tags=[], comment=comment, now=now)
        events = await store_answer(conn, conv, row, score=score, tags=[], comment=comment, now=now)
        detail, _event = await conversations_actions.updated(conn, conv.id)
    await bus.publish(events)
    return detail
