"""Reads of surveys and their settings, and the settings' one write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.accounts.models import Account
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.db.base import utcnow
from huiliu.satisfaction.models import SatisfactionSettingsRow, Survey
from huiliu.satisfaction.schemas import OptionOut, State, SurveyOut, SurveyRow
from huiliu.satisfaction.settings import SatisfactionSettings

surveys = cast(Table, Survey.__table__)
settings_rows = cast(Table, SatisfactionSettingsRow.__table__)
conversations = cast(Table, Conversation.__table__)
contacts = cast(Table, Contact.__table__)
accounts = cast(Table, Account.__table__)

Executor = AsyncSession | AsyncConnection


# -- settings -------------------------------------------------------------------------------


async def get_settings(executor: Executor, *, tenant_id: int) -> SatisfactionSettings:
    """The tenant's settings; the defaults when it has none."""
    stored = await executor.scalar(
        select(settings_rows.c.settings).where(settings_rows.c.tenant_id == tenant_id)
    )
    return SatisfactionSettings.model_validate(stored or {})


async def put_settings(
    session: AsyncSession, *, tenant_id: int, settings: SatisfactionSettings
) -> SatisfactionSettings:
    row = await session.get(SatisfactionSettingsRow, tenant_id)
    data = settings.model_dump(mode="json")
    if row is None:
        session.add(
            SatisfactionSettingsRow(tenant_id=tenant_id, settings=data, updated_at=utcnow())
        )
    else:
        row.settings = data
        row.updated_at = utcnow()
    return settings


# -- surveys --------------------------------------------------------------------------------


async def get_by_conversation(executor: Executor, *, conversation_id: int) -> Any:
    """The conversation's survey row, or None."""
    return (
        await executor.execute(select(surveys).where(surveys.c.conversation_id == conversation_id))
    ).first()


async def get_by_token(executor: Executor, *, token: str) -> Any:
    return (await executor.execute(select(surveys).where(surveys.c.token == token))).first()


def state_of(row: Any, now: datetime) -> State:
    if row.answered_at is not None:
        return "answered"
    if row.expires_at is not None and now >= row.expires_at:
        return "expired"
    return "open"


def label_of(row: Any, score: int | None) -> str | None:
    for option in (row.offer or {}).get("options", []):
        if option.get("score") == score:
            return str(option.get("label"))
    return None


def offered_tags(row: Any, score: int) -> list[str]:
    for option in (row.offer or {}).get("options", []):
        if option.get("score") == score:
            return [str(t) for t in option.get("tags", [])]
    return []


def out(row: Any, *, now: datetime | None = None) -> SurveyOut:
    return SurveyOut.model_validate(_fields(row, now or utcnow()))


def _fields(row: Any, now: datetime) -> dict[str, Any]:
    offer = row.offer or {}
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "agent_id": row.agent_id,
        "group_id": row.group_id,
        "channel": row.channel,
        "scale": row.scale,
        "trigger": row.trigger,
        "via": row.via,
        "prompt": offer.get("prompt", ""),
        "options": [OptionOut.model_validate(o) for o in offer.get("options", [])],
        "comment_allowed": bool(offer.get("comment", False)),
        "asked_at": row.asked_at,
        "expires_at": row.expires_at,
        "state": state_of(row, now),
        "answered_at": row.answered_at,
        "score": row.score,
        "label": label_of(row, row.score),
        "tags": list(row.tags or []),
        "comment": row.comment,
    }


async def list_surveys(
    session: AsyncSession,
    *,
    tenant_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    agent_id: int | None = None,
    group_id: int | None = None,
    group_ids: frozenset[int] | None = None,
    channel: str | None = None,
    scores: Sequence[int] = (),
    answered: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[SurveyRow], int]:
    """The tenant's surveys asked in ``[since, until)``, newest first, with the filters."""
    where = [surveys.c.tenant_id == tenant_id]
    if since is not None:
        where.append(surveys.c.asked_at >= since)
    if until is not None:
        where.append(surveys.c.asked_at < until)
    if agent_id is not None:
        where.append(surveys.c.agent_id == agent_id)
    if group_id is not None:
        where.append(surveys.c.group_id == group_id)
    if group_ids is not None:  # the caller's scope
        where.append(surveys.c.group_id.in_(sorted(group_ids)))
    if channel is not None:
        where.append(surveys.c.channel == channel)
    if scores:
        where.append(surveys.c.score.in_(list(scores)))
    if answered is True:
        where.append(surveys.c.answered_at.is_not(None))
    if answered is False:
        where.append(surveys.c.answered_at.is_(None))
    total = int(await session.scalar(select(func.count()).select_from(surveys).where(*where)) or 0)
    rows = (
        await session.execute(
            select(
                surveys,
                conversations.c.contact_id,
                contacts.c.name.label("contact_name"),
                accounts.c.name.label("agent_name"),
            )
            .join(conversations, conversations.c.id == surveys.c.conversation_id)
            .join(contacts, contacts.c.id == conversations.c.contact_id)
            .outerjoin(accounts, accounts.c.id == surveys.c.agent_id)
            .where(*where)
            .order_by(surveys.c.asked_at.desc(), surveys.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    ).all()
    now = utcnow()
    return [
        SurveyRow.model_validate(
            {
                **_fields(r, now),
                "contact_id": r.contact_id,
                "contact_name": r.contact_name,
                "agent_name": r.agent_name,
            }
        )
        for r in rows
    ], total


async def open_reply_survey(
    executor: Executor, *, tenant_id: int, account_id: int, contact_id: int, now: datetime
) -> Any:
    """The newest survey this customer may still answer with a number on this channel
    account, unless they have since moved on to another open conversation there."""
    row = (
        await executor.execute(
            select(surveys)
            .join(conversations, conversations.c.id == surveys.c.conversation_id)
            .where(
                surveys.c.tenant_id == tenant_id,
                surveys.c.via == "reply",
                surveys.c.answered_at.is_(None),
                surveys.c.expires_at > now,
                conversations.c.contact_id == contact_id,
                conversations.c.channel_account_id == account_id,
            )
            .order_by(surveys.c.asked_at.desc(), surveys.c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    newer = await executor.scalar(
        select(conversations.c.id).where(
            conversations.c.tenant_id == tenant_id,
            conversations.c.contact_id == contact_id,
            conversations.c.channel_account_id == account_id,
            conversations.c.status == ConversationStatus.open.value,
            conversations.c.id != row.conversation_id,
        )
    )
    return None if newer is not None else row
