"""The outbox table: enqueue (inside the producer's transaction), claim, finish, tidy.

``enqueue`` and ``enqueue_many`` take the producer's own session or connection and never
commit: the job exists exactly when the change that causes it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.db import Database
from huiliu.db.base import Json, UTCDateTime, scoped, utcnow
from huiliu.outbox.models import OutboxJob, OutboxStatus
from huiliu.outbox.registry import Job

jobs = cast(Table, OutboxJob.__table__)

Executor = AsyncSession | AsyncConnection
ERROR_CHARS = 1000  # of a handler's error kept in last_error


@dataclass(frozen=True, slots=True)
class NewJob:
    tenant_id: int
    kind: str
    payload: dict[str, Any]
    ref_id: int | None = None


def _row(job: NewJob, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": job.tenant_id,
        "kind": job.kind,
        "ref_id": job.ref_id,
        "payload": job.payload,
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def enqueue(
    session: Executor,
    *,
    tenant_id: int,
    kind: str,
    payload: dict[str, Any],
    ref_id: int | None = None,
) -> int:
    """One job, in the caller's transaction; its id."""
    row = _row(NewJob(tenant_id, kind, payload, ref_id), utcnow())
    inserted = await session.execute(insert(jobs).values(**row).returning(jobs.c.id))
    return int(inserted.scalar_one())


async def enqueue_many(session: Executor, new: Sequence[NewJob]) -> None:
    """Several jobs in one statement, in the caller's transaction."""
    if new:
        now = utcnow()
        await session.execute(insert(jobs), [_row(job, now) for job in new])


async def get(session: AsyncSession, *, tenant_id: int, job_id: int) -> OutboxJob | None:
    stmt = scoped(select(OutboxJob), OutboxJob, tenant_id).where(OutboxJob.id == job_id)
    return (await session.scalars(stmt)).first()


async def list_by_ref(
    session: AsyncSession, *, tenant_id: int, kind: str, ref_id: int, limit: int
) -> list[OutboxJob]:
    """A producer's jobs for one of its things, newest first."""
    stmt = (
        scoped(select(OutboxJob), OutboxJob, tenant_id)
        .where(OutboxJob.kind == kind, OutboxJob.ref_id == ref_id)
        .order_by(OutboxJob.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(stmt))


def _due(
    kinds: Sequence[str], ordered: Sequence[str], now: datetime, max_attempts: int
) -> tuple[Any, ...]:
    due: tuple[Any, ...] = (
        jobs.c.status == OutboxStatus.pending.value,
        jobs.c.next_attempt_at <= now,
        or_(jobs.c.locked_until.is_(None), jobs.c.locked_until <= now),
        jobs.c.attempts < max_attempts,
        jobs.c.kind.in_(kinds),
    )
    if not ordered:
        return due
    # An ordered job waits while an earlier one of its kind and ref is unfinished (running
    # or waiting to retry); one that has used up its attempts no longer holds the line.
    earlier = jobs.alias("earlier")
    blocked = (
        select(earlier.c.id)
        .where(
            earlier.c.tenant_id == jobs.c.tenant_id,
            earlier.c.kind == jobs.c.kind,
            earlier.c.ref_id == jobs.c.ref_id,
            earlier.c.id < jobs.c.id,
            earlier.c.status == OutboxStatus.pending.value,
            earlier.c.attempts < max_attempts,
        )
        .exists()
    )
    return (*due, or_(jobs.c.kind.not_in(ordered), ~blocked))


async def any_due(
    db: Database, *, kinds: Sequence[str], max_attempts: int, ordered: Sequence[str] = ()
) -> bool:
    """A cheap read first, so an idle worker never takes SQLite's write lock."""
    found = await _scalar_read(
        db, select(jobs.c.id).where(*_due(kinds, ordered, utcnow(), max_attempts)).limit(1)
    )
    return found is not None


async def _scalar_read(db: Database, stmt: Any) -> Any:
    async with db.read() as session:
        return await session.scalar(stmt)


async def claim(
    db: Database,
    *,
    kinds: Sequence[str],
    limit: int,
    lock_s: float,
    max_attempts: int,
    ordered: Sequence[str] = (),
    coalesced: Sequence[str] = (),
) -> list[Job]:
    """Take up to ``limit`` due jobs for ``lock_s`` seconds and count the attempt. On
    PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets workers claim side by side without waiting
    on each other; on SQLite the write transaction (``BEGIN IMMEDIATE``) admits one
    claimer at a time. The attempt is counted now, so a job that kills its worker every
    time still runs out of attempts. A job of a ``coalesced`` kind (ordered too) carries
    the ids of the pending jobs of its ref queued behind it (``Job.covers``): committed
    before this claim, so what they were queued for is there when it runs."""
    now = utcnow()
    locked_until = now + timedelta(seconds=lock_s)
    ordered = sorted({*ordered, *coalesced})
    due = (
        select(jobs.c.id)
        .where(*_due(kinds, ordered, now, max_attempts))
        .order_by(jobs.c.next_attempt_at, jobs.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.write_connection() as conn:
        rows = (
            await conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(due))
                .values(locked_until=locked_until, attempts=jobs.c.attempts + 1)
                .returning(
                    jobs.c.id,
                    jobs.c.tenant_id,
                    jobs.c.kind,
                    jobs.c.ref_id,
                    jobs.c.payload,
                    jobs.c.attempts,
                    jobs.c.created_at,
                )
            )
        ).all()
        covers = await _behind(conn, [r for r in rows if r.kind in coalesced])
    claimed = [
        Job(
            id=r.id,
            tenant_id=r.tenant_id,
            kind=r.kind,
            payload=r.payload,
            attempt=r.attempts,
            created_at=r.created_at,
            covers=covers.get(r.id, ()),
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda job: job.id)


async def _behind(conn: AsyncConnection, heads: Sequence[Any]) -> dict[int, tuple[int, ...]]:
    """For each claimed job of a coalesced kind, the pending jobs of its tenant, kind and
    ref queued after it."""
    if not heads:
        return {}
    head_of = {(h.tenant_id, h.kind, h.ref_id): h.id for h in heads}
    found = await conn.execute(
        select(jobs.c.id, jobs.c.tenant_id, jobs.c.kind, jobs.c.ref_id)
        .where(
            jobs.c.status == OutboxStatus.pending.value,
            jobs.c.kind.in_(sorted({h.kind for h in heads})),
            jobs.c.ref_id.in_(sorted({h.ref_id for h in heads})),
            jobs.c.id > min(h.id for h in heads),
        )
        .order_by(jobs.c.id)
    )
    out: dict[int, list[int]] = {}
    for r in found:
        head = head_of.get((r.tenant_id, r.kind, r.ref_id))
        if head is not None and r.id > head:
            out.setdefault(head, []).append(r.id)
    return {head: tuple(ids) for head, ids in out.items()}


@dataclass(frozen=True, slots=True)
class Finished:
    """What became of one claimed job."""

    job: Job
    status: OutboxStatus  # pending again (a retry), done, failed or dead
    next_attempt_at: datetime | None
    error: str | None
    result: dict[str, Any] | None


async def finish(db: Database, finished: Sequence[Finished]) -> None:
    """Record a batch's outcomes in one transaction. A job whose lock ran out and that
    another worker has claimed since (its attempt count moved on) is left to that worker."""
    if not finished:
        return
    now = utcnow()
    stmt = (
        update(jobs)
        .where(jobs.c.id == bindparam("b_id"), jobs.c.attempts == bindparam("b_attempt"))
        .values(
            status=bindparam("b_status"),
            next_attempt_at=func.coalesce(
                bindparam("b_next", type_=UTCDateTime()), jobs.c.next_attempt_at
            ),
            locked_until=None,
            last_error=bindparam("b_error"),
            result=bindparam("b_result", type_=Json),
            done_at=bindparam("b_done", type_=UTCDateTime()),
        )
    )
    params = [
        {
            "b_id": f.job.id,
            "b_attempt": f.job.attempt,
            "b_status": f.status.value,
            "b_next": f.next_attempt_at,
            "b_error": f.error[:ERROR_CHARS] if f.error else None,
            "b_result": f.result,
            "b_done": None if f.status is OutboxStatus.pending else now,
        }
        for f in finished
    ]
    # What a coalesced job did for the jobs behind it: they are done too, unless another
    # worker took one meanwhile (its own outcome stands).
    covered = [
        {"c_id": covered_id, "c_result": {"coalesced_into": f.job.id}}
        for f in finished
        if f.status is OutboxStatus.done
        for covered_id in f.job.covers
    ]
    async with db.write_connection() as conn:
        await conn.execute(stmt, params)
        if covered:
            await conn.execute(
                update(jobs)
                .where(
                    jobs.c.id == bindparam("c_id"),
                    jobs.c.status == OutboxStatus.pending.value,
                    or_(jobs.c.locked_until.is_(None), jobs.c.locked_until <= now),
                )
                .values(
                    status=OutboxStatus.done.value,
                    result=bindparam("c_result", type_=Json),
                    done_at=now,
                ),
                covered,
            )


async def bury_abandoned(db: Database, *, max_attempts: int) -> int:
    """Jobs whose last attempt never reported back (the worker died) are dead once their
    lock runs out: claims skip them, so nothing else would."""
    now = utcnow()
    async with db.write_connection() as conn:
        result = await conn.execute(
            update(jobs)
            .where(
                jobs.c.status == OutboxStatus.pending.value,
                jobs.c.attempts >= max_attempts,
                jobs.c.locked_until <= now,
            )
            .values(
                status=OutboxStatus.dead.value,
                locked_until=None,
                done_at=now,
                last_error=func.coalesce(jobs.c.last_error, "the worker stopped during the run"),
            )
        )
    return int(result.rowcount or 0)


async def prune(db: Database, *, before: datetime) -> int:
    """Forget finished jobs older than ``before`` (the retention period)."""
    async with db.write_connection() as conn:
        result = await conn.execute(
            delete(jobs).where(jobs.c.done_at < before, jobs.c.status != OutboxStatus.pending.value)
        )
    return int(result.rowcount or 0)


async def count_pending(db: Database) -> int:
    return int(
        await _scalar_read(
            db,
            select(func.count()).where(jobs.c.status == OutboxStatus.pending.value),
        )
        or 0
    )
