"""``huiliu analytics rebuild``: every fact, bucket and term recomputed from raw data.
docs/analytics.md tells the rules.

Per tenant its report tables are cleared, then its conversations folded again in batches
(``fold.fold``, one write transaction each), in id order.

The clear runs in short steps, so the server's writers never wait long (on SQLite they
share one write lock with it): the facts and buckets of one UTC day at a time (a fact's
bucket is its opening's hour, so a step takes both sides of every contribution), then the
terms and term days of one day at a time (a conversation's terms all carry its day). Each
step takes the tenant's report lock exclusively (``fold.lock_tenant_shared``: folds take it
shared), so no fold is half on either side of a step; a fold that runs between two steps, or
after the clear, stores what the rebuild would, and the rebuild's own fold of that
conversation then changes nothing. Running it twice gives the same tables.

Agents' hours are not rebuilt: the status changes they count are not kept as raw rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, text

from huiliu.analytics import fold as fold_module
from huiliu.analytics import terms
from huiliu.analytics.models import ConversationFact, ConversationTerm, ReportBucket, TermDay
from huiliu.conversations.models import Conversation
from huiliu.db import Database
from huiliu.tenants.models import Tenant

conversations = cast(Table, Conversation.__table__)
tenants = cast(Table, Tenant.__table__)
facts = cast(Table, ConversationFact.__table__)
buckets = cast(Table, ReportBucket.__table__)
term_rows = cast(Table, ConversationTerm.__table__)
term_days = cast(Table, TermDay.__table__)
BATCH = 500
DAY = timedelta(days=1)


@dataclass
class Rebuilt:
    tenants: int = 0
    conversations: int = 0
    facts: int = 0  # facts stored
    terms: int = 0  # conversations with terms stored


async def _lock_exclusive(conn: Any, tenant_id: int) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :tenant)"),
            {"space": fold_module.LOCK_SPACE, "tenant": tenant_id},
        )


async def _span(db: Database, *columns: Any) -> tuple[Any, Any]:
    """The earliest and latest of the given (tenant-filtered) columns' values."""
    low: Any = None
    high: Any = None
    async with db.read() as session:
        for column, where in columns:
            row = (
                await session.execute(select(func.min(column), func.max(column)).where(where))
            ).one()
            if row[0] is not None:
                low = row[0] if low is None else min(low, row[0])
                high = row[1] if high is None else max(high, row[1])
    return low, high


async def clear(db: Database, *, tenant_id: int) -> int:
    """Delete the tenant's facts, buckets, terms and term days, in steps of one day; the
    number of steps."""
    steps = 0
    low, high = await _span(
        db,
        (facts.c.opened_at, facts.c.tenant_id == tenant_id),
        (buckets.c.hour, buckets.c.tenant_id == tenant_id),
    )
    if low is not None:
        day = cast(datetime, low).replace(hour=0, minute=0, second=0, microsecond=0)
        while day <= high:
            async with db.write_connection() as conn:
                await _lock_exclusive(conn, tenant_id)
                for table, column in ((facts, facts.c.opened_at), (buckets, buckets.c.hour)):
                    await conn.execute(
                        delete(table).where(
                            table.c.tenant_id == tenant_id, column >= day, column < day + DAY
                        )
                    )
            day += DAY
            steps += 1
    first, last = await _span(
        db,
        (term_rows.c.day, term_rows.c.tenant_id == tenant_id),
        (term_days.c.day, term_days.c.tenant_id == tenant_id),
    )
    if first is not None:
        current = cast(date, first)
        while current <= last:
            async with db.write_connection() as conn:
                await _lock_exclusive(conn, tenant_id)
                for table in (term_rows, term_days):
                    await conn.execute(
                        delete(table).where(table.c.tenant_id == tenant_id, table.c.day == current)
                    )
            current += DAY
            steps += 1
    return steps


async def rebuild(
    db: Database,
    *,
    tenant_ids: Sequence[int] | None = None,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> Rebuilt:
    """Clear and refold the given tenants (None: every tenant); ``progress(done, total)``
    after each batch of conversations."""
    async with db.read() as session:
        if tenant_ids is None:
            tenant_ids = list(await session.scalars(select(tenants.c.id).order_by(tenants.c.id)))
        total = int(
            await session.scalar(
                select(func.count())
                .select_from(conversations)
                .where(conversations.c.tenant_id.in_(list(tenant_ids)))
            )
            or 0
        )
    out = Rebuilt()
    if progress is not None:
        progress(0, total)
    for tenant_id in tenant_ids:
        async with db.read() as session:  # jieba and the vocabulary, before any write lock
            await terms.analyzer_for(await session.connection(), tenant_id)
        await clear(db, tenant_id=tenant_id)
        out.tenants += 1
        last = 0
        while True:
            async with db.read() as session:
                ids = list(
                    await session.scalars(
                        select(conversations.c.id)
                        .where(conversations.c.tenant_id == tenant_id, conversations.c.id > last)
                        .order_by(conversations.c.id)
                        .limit(batch)
                    )
                )
            if not ids:
                break
            async with db.write_connection() as conn:
                folded = await fold_module.fold(conn, tenant_id=tenant_id, conversation_ids=ids)
            out.conversations += folded.conversations
            out.facts += folded.facts_changed
            out.terms += folded.terms_changed
            last = ids[-1]
            if progress is not None:
                progress(out.conversations, max(total, out.conversations))
    return out
