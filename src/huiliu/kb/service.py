"""The knowledge base: entries, categories, the tenant's vocabulary and its revision.

Every write moves the tenant's revision in the same transaction (``bump``), so each
process's matcher sees the change on its next question and rebuilds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.db.base import scoped, utcnow
from huiliu.errors import Conflict, InvalidInput, NotFound
from huiliu.kb.models import KbCategory, KbEntry, KbRevision, KbUnanswered
from huiliu.kb.schemas import EntryIn, EntryPatch


async def revision(session: AsyncSession, *, tenant_id: int) -> KbRevision:
    row = await session.get(KbRevision, tenant_id)
    if row is None:
        row = KbRevision(tenant_id=tenant_id, revision=0, synonyms=[], stop_words=[])
        session.add(row)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:  # created by a concurrent first write
            row = await session.get(KbRevision, tenant_id)
            assert row is not None
    return row


async def read_vocabulary(
    session: AsyncSession, *, tenant_id: int
) -> tuple[int, list[list[str]], list[str]]:
    """(revision, synonym groups, stop words), reading only (a tenant with no KB yet: 0)."""
    row = await session.get(KbRevision, tenant_id)
    if row is None:
        return 0, [], []
    return row.revision, list(row.synonyms or []), list(row.stop_words or [])


async def current_revision(session: AsyncSession, *, tenant_id: int) -> int:
    value = await session.scalar(
        select(KbRevision.revision).where(KbRevision.tenant_id == tenant_id)
    )
    return int(value or 0)


async def bump(session: AsyncSession, *, tenant_id: int) -> None:
    await revision(session, tenant_id=tenant_id)
    await session.execute(
        update(KbRevision)
        .where(KbRevision.tenant_id == tenant_id)
        .values(revision=KbRevision.revision + 1)
    )


# -- categories ------------------------------------------------------------------------


async def list_categories(session: AsyncSession, *, tenant_id: int) -> list[tuple[KbCategory, int]]:
    counts = dict(
        (
            await session.execute(
                scoped(select(KbEntry.category_id, func.count()), KbEntry, tenant_id).group_by(
                    KbEntry.category_id
                )
            )
        ).all()
    )
    rows = await session.scalars(
        scoped(select(KbCategory), KbCategory, tenant_id).order_by(KbCategory.name)
    )
    return [(c, int(counts.get(c.id, 0))) for c in rows]


async def get_category(session: AsyncSession, *, tenant_id: int, category_id: int) -> KbCategory:
    row = (
        await session.scalars(
            scoped(select(KbCategory), KbCategory, tenant_id).where(KbCategory.id == category_id)
        )
    ).first()
    if row is None:
        raise NotFound("category not found", field="category_id")
    return row


async def get_category_by_name(
    session: AsyncSession, *, tenant_id: int, name: str
) -> KbCategory | None:
    return (
        await session.scalars(
            scoped(select(KbCategory), KbCategory, tenant_id).where(KbCategory.name == name)
        )
    ).first()


async def create_category(session: AsyncSession, *, tenant_id: int, name: str) -> KbCategory:
    if await get_category_by_name(session, tenant_id=tenant_id, name=name) is not None:
        raise Conflict(f"a category named {name!r} exists", field="name")
    row = KbCategory(tenant_id=tenant_id, name=name)
    session.add(row)
    await session.flush()
    return row


async def rename_category(
    session: AsyncSession, *, tenant_id: int, category_id: int, name: str
) -> KbCategory:
    row = await get_category(session, tenant_id=tenant_id, category_id=category_id)
    other = await get_category_by_name(session, tenant_id=tenant_id, name=name)
    if other is not None and other.id != row.id:
        raise Conflict(f"a category named {name!r} exists", field="name")
    row.name = name
    return row


async def delete_category(session: AsyncSession, *, tenant_id: int, category_id: int) -> None:
    """Its entries stay, without a category."""
    row = await get_category(session, tenant_id=tenant_id, category_id=category_id)
    await session.execute(
        update(KbEntry)
        .where(KbEntry.tenant_id == tenant_id, KbEntry.category_id == category_id)
        .values(category_id=None)
    )
    await session.delete(row)


# -- entries ---------------------------------------------------------------------------


async def get(session: AsyncSession, *, tenant_id: int, entry_id: int) -> KbEntry:
    row = (
        await session.scalars(
            scoped(select(KbEntry), KbEntry, tenant_id).where(KbEntry.id == entry_id)
        )
    ).first()
    if row is None:
        raise NotFound("knowledge-base entry not found")
    return row


async def get_by_question(
    session: AsyncSession, *, tenant_id: int, question: str
) -> KbEntry | None:
    return (
        await session.scalars(
            scoped(select(KbEntry), KbEntry, tenant_id).where(KbEntry.question == question)
        )
    ).first()


async def get_many(session: AsyncSession, *, tenant_id: int, ids: Sequence[int]) -> list[KbEntry]:
    if not ids:
        return []
    rows = await session.scalars(
        scoped(select(KbEntry), KbEntry, tenant_id).where(KbEntry.id.in_(set(ids)))
    )
    return list(rows)


async def list_entries(
    session: AsyncSession,
    *,
    tenant_id: int,
    search: str | None = None,
    category_id: int | None = None,
    enabled: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[KbEntry], int]:
    stmt = scoped(select(KbEntry), KbEntry, tenant_id)
    if search:
        pattern = f"%{search}%"
        # similar is JSON; its text form is searched (good enough for an admin's search box).
        stmt = stmt.where(
            or_(
                KbEntry.question.ilike(pattern),
                func.cast(KbEntry.similar, _text_type()).ilike(pattern),
            )
        )
    if category_id is not None:
        stmt = stmt.where(KbEntry.category_id == category_id)
    if enabled is not None:
        stmt = stmt.where(KbEntry.enabled.is_(enabled))
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.scalars(stmt.order_by(KbEntry.id).limit(limit).offset(offset))
    return list(rows), total


def _text_type() -> Any:
    from sqlalchemy import Text

    return Text()


async def tenants_with_entries(session: AsyncSession) -> list[int]:
    rows = await session.scalars(select(KbEntry.tenant_id).distinct())
    return [int(t) for t in rows]


async def all_entries(session: AsyncSession, *, tenant_id: int) -> list[KbEntry]:
    return list(
        await session.scalars(scoped(select(KbEntry), KbEntry, tenant_id).order_by(KbEntry.id))
    )


async def _check_category(session: AsyncSession, tenant_id: int, category_id: int | None) -> None:
    if category_id is not None:
        await get_category(session, tenant_id=tenant_id, category_id=category_id)


async def create(session: AsyncSession, *, tenant_id: int, data: EntryIn) -> KbEntry:
    await _check_category(session, tenant_id, data.category_id)
    if await get_by_question(session, tenant_id=tenant_id, question=data.question):
        raise Conflict("an entry with this standard question exists", field="question")
    now = utcnow()
    row = KbEntry(
        tenant_id=tenant_id,
        category_id=data.category_id,
        question=data.question,
        similar=[q for q in data.similar if q != data.question],
        answer=[p.model_dump(mode="json", exclude_none=True) for p in data.answer],
        keywords=data.keywords,
        enabled=data.enabled,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await bump(session, tenant_id=tenant_id)
    return row


async def update_entry(
    session: AsyncSession, *, tenant_id: int, entry_id: int, patch: EntryPatch
) -> KbEntry:
    row = await get(session, tenant_id=tenant_id, entry_id=entry_id)
    fields = patch.model_fields_set
    if "category_id" in fields:
        await _check_category(session, tenant_id, patch.category_id)
        row.category_id = patch.category_id
    if patch.question is not None and patch.question != row.question:
        if await get_by_question(session, tenant_id=tenant_id, question=patch.question):
            raise Conflict("an entry with this standard question exists", field="question")
        row.question = patch.question
    if patch.similar is not None:
        row.similar = [q for q in patch.similar if q != row.question]
    if patch.answer is not None:
        row.answer = [p.model_dump(mode="json", exclude_none=True) for p in patch.answer]
    if patch.keywords is not None:
        row.keywords = patch.keywords
    if patch.enabled is not None:
        row.enabled = patch.enabled
    if "valid_from" in fields:
        row.valid_from = patch.valid_from
    if "valid_until" in fields:
        row.valid_until = patch.valid_until
    if row.valid_from and row.valid_until and row.valid_until <= row.valid_from:
        raise InvalidInput("valid_until must be after valid_from", field="valid_until")
    row.updated_at = utcnow()
    await bump(session, tenant_id=tenant_id)
    return row


async def delete(session: AsyncSession, *, tenant_id: int, entry_id: int) -> None:
    row = await get(session, tenant_id=tenant_id, entry_id=entry_id)
    await session.delete(row)
    await bump(session, tenant_id=tenant_id)


def is_valid(entry: KbEntry, now: datetime) -> bool:
    return (
        entry.enabled
        and (entry.valid_from is None or entry.valid_from <= now)
        and (entry.valid_until is None or now < entry.valid_until)
    )


async def count_hit(session: AsyncSession, *, tenant_id: int, entry_id: int) -> None:
    # Counters do not change what the bot knows: no revision bump.
    await session.execute(
        update(KbEntry)
        .where(KbEntry.tenant_id == tenant_id, KbEntry.id == entry_id)
        .values(hit_count=KbEntry.hit_count + 1)
    )


async def count_feedback(
    session: AsyncSession, *, tenant_id: int, entry_id: int, helpful: bool
) -> None:
    column = KbEntry.helpful_count if helpful else KbEntry.unhelpful_count
    await session.execute(
        update(KbEntry)
        .where(KbEntry.tenant_id == tenant_id, KbEntry.id == entry_id)
        .values({column.key: column + 1})
    )


# -- vocabulary ------------------------------------------------------------------------


async def set_vocabulary(
    session: AsyncSession, *, tenant_id: int, synonyms: list[list[str]], stop_words: list[str]
) -> KbRevision:
    row = await revision(session, tenant_id=tenant_id)
    row.synonyms = synonyms
    row.stop_words = stop_words
    row.revision = row.revision + 1
    await session.flush()
    return row


# -- the learning loop's log ------------------------------------------------------------


async def log_unanswered(
    session: AsyncSession,
    *,
    tenant_id: int,
    text: str,
    reason: str,
    conversation_id: int | None = None,
    entry_id: int | None = None,
) -> None:
    session.add(
        KbUnanswered(
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            text=text[:2000],
            reason=reason,
            entry_id=entry_id,
        )
    )


async def list_unanswered(
    session: AsyncSession, *, tenant_id: int, limit: int = 2000
) -> list[KbUnanswered]:
    rows = await session.scalars(
        scoped(select(KbUnanswered), KbUnanswered, tenant_id)
        .where(KbUnanswered.resolved.is_(False))
        .order_by(KbUnanswered.id.desc())
        .limit(limit)
    )
    return list(rows)


async def resolve_unanswered(
    session: AsyncSession, *, tenant_id: int, ids: Sequence[int]
) -> list[KbUnanswered]:
    rows = list(
        await session.scalars(
            scoped(select(KbUnanswered), KbUnanswered, tenant_id).where(
                KbUnanswered.id.in_(set(ids))
            )
        )
    )
    if len(rows) != len(set(ids)):
        raise NotFound("some unanswered questions were not found", field="ids")
    for row in rows:
        row.resolved = True
    return rows
