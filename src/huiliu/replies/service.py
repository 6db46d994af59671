"""Quick replies: reads and small writes, tenant-scoped."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.db.base import LIKE_ESCAPE, contains, scoped, utcnow
from huiliu.errors import Conflict, NotFound
from huiliu.replies.models import QuickReply
from huiliu.replies.schemas import QuickReplyIn, QuickReplyPatch


async def get(session: AsyncSession, *, tenant_id: int, reply_id: int) -> QuickReply:
    stmt = scoped(select(QuickReply), QuickReply, tenant_id).where(QuickReply.id == reply_id)
    row = (await session.scalars(stmt)).first()
    if row is None:
        raise NotFound("quick reply not found")
    return row


async def get_by_shortcut(
    session: AsyncSession, *, tenant_id: int, shortcut: str
) -> QuickReply | None:
    stmt = scoped(select(QuickReply), QuickReply, tenant_id).where(QuickReply.shortcut == shortcut)
    return (await session.scalars(stmt)).first()


async def list_replies(
    session: AsyncSession, *, tenant_id: int, search: str | None = None
) -> list[QuickReply]:
    """By shortcut; ``search`` matches the shortcut, the title or the text."""
    stmt = scoped(select(QuickReply), QuickReply, tenant_id)
    if search and search.strip():
        pattern = contains(search.strip())
        stmt = stmt.where(
            or_(
                QuickReply.shortcut.ilike(pattern, escape=LIKE_ESCAPE),
                QuickReply.title.ilike(pattern, escape=LIKE_ESCAPE),
                QuickReply.text.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    return list(await session.scalars(stmt.order_by(QuickReply.shortcut, QuickReply.id)))


def _taken(shortcut: str) -> Conflict:
    return Conflict(f"the shortcut /{shortcut} is taken", field="shortcut")


async def _flush(session: AsyncSession, shortcut: str) -> None:
    # The unique index decides between two requests racing for one shortcut.
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise _taken(shortcut) from None


async def create(session: AsyncSession, *, tenant_id: int, data: QuickReplyIn) -> QuickReply:
    if await get_by_shortcut(session, tenant_id=tenant_id, shortcut=data.shortcut) is not None:
        raise _taken(data.shortcut)
    now = utcnow()
    row = QuickReply(
        tenant_id=tenant_id,
        shortcut=data.shortcut,
        title=data.title,
        text=data.text,
        category=data.category,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await _flush(session, data.shortcut)
    return row


async def update_reply(
    session: AsyncSession, *, tenant_id: int, reply_id: int, patch: QuickReplyPatch
) -> QuickReply:
    row = await get(session, tenant_id=tenant_id, reply_id=reply_id)
    given = patch.model_fields_set
    if patch.shortcut is not None and patch.shortcut != row.shortcut:
        other = await get_by_shortcut(session, tenant_id=tenant_id, shortcut=patch.shortcut)
        if other is not None:
            raise _taken(patch.shortcut)
        row.shortcut = patch.shortcut
    if patch.title is not None:
        row.title = patch.title
    if patch.text is not None:
        row.text = patch.text
    if "category" in given:
        row.category = patch.category
    row.updated_at = utcnow()
    await _flush(session, row.shortcut)
    return row


async def delete(session: AsyncSession, *, tenant_id: int, reply_id: int) -> None:
    row = await get(session, tenant_id=tenant_id, reply_id=reply_id)
    await session.delete(row)
