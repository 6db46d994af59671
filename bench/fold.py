"""Fold benchmark: what folding a long closed conversation costs the single writer and the
event loop, prepared outside the write transaction (``fold.prepare``, what the outbox job
does) against read, computed and segmented inside it (what ``fold`` alone does).

Writes ``--conversations`` closed conversations of ``--messages`` messages (1 KB texts, the
customer and an agent in turn) to a fresh embedded database, then folds each of them once
each way, in turns, while a ticker on the same event loop sleeps 1 ms at a time and
records how late it wakes (how long the loop was held). Prints, per way, the median and
p95 of the write transaction's length (every other write waits that long), of the whole
fold, and the longest the loop was held during folds. Then all of them at once each way (as
the outbox worker runs a batch), with and without SQLite's write turns (``db.WriteGate``),
beside a stand-in for the message writer committing every 5 ms: its longest wait.

    .venv/bin/python bench/fold.py
    .venv/bin/python bench/fold.py --database-url postgresql+asyncpg://postgres@127.0.0.1/fold
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert

from huiliu.analytics import fold, rollup, terms
from huiliu.analytics.models import ConversationTerm
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation, Message
from huiliu.db import Database
from huiliu.db.migrate import upgrade
from huiliu.tenants import service as tenants_service

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
contacts = cast(Table, Contact.__table__)
facts = rollup.facts
term_rows = cast(Table, ConversationTerm.__table__)

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LINE = "我的订单什么时候发货，快递到哪里了？麻烦尽快处理一下退款，还有发票要开专票。"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.99 * len(ordered)) - 1)]


Way = Callable[[Database, int, int], Awaitable[tuple[float, float]]]


async def write(db: Database, tenant_id: int, n_messages: int) -> int:
    """One closed conversation: opened, n messages in turn, closed."""
    text = (LINE * (1024 // len(LINE.encode()) + 1))[: 1024 // 3]  # about 1 KB of UTF-8
    async with db.write_connection() as conn:
        contact_id = (
            await conn.execute(
                insert(contacts)
                .values(tenant_id=tenant_id, name="客户", attributes={}, created_at=T0)
                .returning(contacts.c.id)
            )
        ).scalar_one()
        end = T0 + timedelta(seconds=n_messages + 2)
        cid = (
            await conn.execute(
                insert(conversations)
                .values(
                    tenant_id=tenant_id,
                    contact_id=contact_id,
                    channel="web",
                    status="closed",
                    with_bot=False,
                    last_seq=n_messages + 2,
                    created_at=T0,
                    last_message_at=end,
                    closed_at=end,
                )
                .returning(conversations.c.id)
            )
        ).scalar_one()
        rows: list[dict[str, Any]] = [
            {
                "sender_type": "system",
                "sender_id": None,
                "content": {"type": "event", "event": "opened"},
            }
        ]
        for i in range(n_messages):
            customer = i % 2 == 0
            rows.append(
                {
                    "sender_type": "contact" if customer else "agent",
                    "sender_id": None,
                    "content": {"type": "text", "text": text},
                }
            )
        rows.append(
            {
                "sender_type": "system",
                "sender_id": None,
                "content": {"type": "event", "event": "closed"},
            }
        )
        await conn.execute(
            insert(messages),
            [
                {
                    **row,
                    "tenant_id": tenant_id,
                    "conversation_id": cid,
                    "seq": seq,
                    "content_type": row["content"]["type"],
                    "created_at": T0 + timedelta(seconds=seq),
                }
                for seq, row in enumerate(rows, start=1)
            ],
        )
    return int(cid)


class Ticker:
    """Sleeps 1 ms at a time and keeps the longest it overslept (the loop was held)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - start - 0.001)

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.worst


async def forget(db: Database, cid: int) -> None:
    """The conversation's stored facts and terms gone, so that every fold timed writes them
    (a fold that finds them equal writes nothing)."""
    async with db.write_connection() as conn:
        for table in (facts, term_rows):
            await conn.execute(delete(table).where(table.c.conversation_id == cid))


async def fold_inline(db: Database, tenant_id: int, cid: int) -> tuple[float, float]:
    start = time.perf_counter()
    async with db.write_connection() as conn:
        began = time.perf_counter()
        await fold.fold(conn, tenant_id=tenant_id, conversation_ids=[cid])
    end = time.perf_counter()
    return end - began, end - start


async def fold_prepared(db: Database, tenant_id: int, cid: int) -> tuple[float, float]:
    start = time.perf_counter()
    async with db.read() as session:
        ready = await fold.prepare(
            await session.connection(), tenant_id=tenant_id, conversation_ids=[cid]
        )
    async with db.write_connection() as conn:
        began = time.perf_counter()
        folded = await fold.fold(conn, tenant_id=tenant_id, conversation_ids=[cid], prepared=ready)
    end = time.perf_counter()
    assert folded.conversations == 1
    return end - began, end - start


async def hot_writer(db: Database, tenant_id: int, stop: asyncio.Event) -> list[float]:
    """A stand-in for the message writer: a small write transaction every 5 ms; how long
    each took from asking for it to its commit."""
    waits: list[float] = []
    while not stop.is_set():
        start = time.perf_counter()
        async with db.write_connection(urgent=True) as conn:
            await conn.execute(
                insert(contacts).values(
                    tenant_id=tenant_id, name="心跳", attributes={}, created_at=T0
                )
            )
        waits.append(time.perf_counter() - start)
        await asyncio.sleep(0.005)
    return waits


async def batch(
    db: Database, tenant_id: int, ids: list[int], way: Way
) -> tuple[float, list[float]]:
    """The folds of ``ids`` all at once, as the outbox worker runs a batch, beside the hot
    writer: the batch's seconds and the hot writer's waits meanwhile."""
    stop = asyncio.Event()
    writer = asyncio.create_task(hot_writer(db, tenant_id, stop))
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    await asyncio.gather(*(way(db, tenant_id, cid) for cid in ids))
    seconds = time.perf_counter() - start
    stop.set()
    return seconds, await writer


async def run(
    database_url: str, n: int, n_messages: int
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    await upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.write() as session:
            tenant = await tenants_service.create(
                session, name="折叠压测", slug=f"fold-bench-{time.time_ns()}"
            )
            tenant_id = int(tenant.id)
        ids = [await write(db, tenant_id, n_messages) for _ in range(n)]
        async with db.read() as session:  # jieba's dictionary, once, before any timing
            await terms.analyzer_for(await session.connection(), tenant_id)
        ways: dict[str, Way] = {
            "inside the write transaction": fold_inline,
            "prepared (the outbox job)": fold_prepared,
        }
        held: dict[str, list[float]] = {w: [] for w in ways}
        total: dict[str, list[float]] = {w: [] for w in ways}
        stalls: dict[str, list[float]] = {w: [] for w in ways}
        ticker = Ticker()
        for cid in ids:
            for name, way in ways.items():
                await forget(db, cid)
                ticker.start()
                write_s, all_s = await way(db, tenant_id, cid)
                stalls[name].append(await ticker.stop())
                held[name].append(write_s)
                total[name].append(all_s)
        batches: dict[str, dict[str, float]] = {}
        gate = db.gate
        for turns in (False, True):
            # Without turns: SQLite's busy handler alone orders the writers (before).
            db.gate = gate if turns else None
            for name, way in ways.items():
                for cid in ids:
                    await forget(db, cid)
                seconds, waits = await batch(db, tenant_id, ids, way)
                batches[f"{name}, {'with' if turns else 'no'} turns"] = {
                    "batch_s": seconds,
                    "hot_p50_ms": statistics.median(waits) * 1e3,
                    "hot_p99_ms": p99(waits) * 1e3,
                    "hot_max_ms": max(waits) * 1e3,
                }
        single = {
            name: {
                "write_p50_ms": statistics.median(held[name]) * 1e3,
                "write_p95_ms": p95(held[name]) * 1e3,
                "fold_p50_ms": statistics.median(total[name]) * 1e3,
                "loop_held_p50_ms": statistics.median(stalls[name]) * 1e3,
                "loop_held_max_ms": max(stalls[name]) * 1e3,
            }
            for name in ways
        }
        return single, batches
    finally:
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--messages", type=int, default=1000, help="per conversation")
    args = parser.parse_args()
    if args.conversations < 1 or args.messages < 1:
        parser.error("--conversations and --messages must be positive")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'fold.db'}"
        out, batches = asyncio.run(run(url, args.conversations, args.messages))
    print(
        f"fold of a closed conversation of {args.messages} messages (1 KB texts), "
        f"{args.conversations} conversations, {url.split(':')[0]}"
    )
    print(
        f"{'':32} {'write txn p50':>14} {'p95':>8} {'fold p50':>9} {'loop held p50':>14} {'max':>8}"
    )
    for name, row in out.items():
        print(
            f"{name:32} {row['write_p50_ms']:11.1f} ms {row['write_p95_ms']:5.1f} ms"
            f" {row['fold_p50_ms']:6.1f} ms {row['loop_held_p50_ms']:11.1f} ms"
            f" {row['loop_held_max_ms']:5.1f} ms"
        )
    inline, prepared = out.values()
    print(
        f"write transaction, prepared / inside: "
        f"{prepared['write_p50_ms'] / inline['write_p50_ms']:.2f} (medians)"
    )
    print(
        f"\nall {args.conversations} at once (an outbox batch), beside a writer committing"
        " every 5 ms (the message writer's stand-in): its wait for each commit"
    )
    print(f"{'':44} {'batch':>8} {'wait p50':>9} {'p99':>9} {'max':>9}")
    for name, row in batches.items():
        print(
            f"{name:44} {row['batch_s']:6.2f} s {row['hot_p50_ms']:6.1f} ms"
            f" {row['hot_p99_ms']:6.1f} ms {row['hot_max_ms']:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
