"""Writer benchmark: what the message writer costs per message on the embedded database,
alone (no sockets, no fan-out), in batches of one (a quiet server: every message commits on
its own) and of 32 (a busy one).

Writes to a fresh SQLite file (WAL, ``synchronous=FULL`` as the server), 32 open
conversations of one tenant; each phase sends 1 KB texts through ``MessageWriter`` and
reports, per message, the process's CPU time (user + system, every thread), the wall time,
and the Python function calls cProfile counts in a separate run (a count, so the same from
run to run on a noisy machine). ``--driver aiosqlite`` runs the same on aiosqlite's own
cursors instead of ``db/sqlite_driver.py``'s, for the comparison.

    .venv/bin/python bench/writer.py [--messages 1000] [--driver fast|aiosqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import aiosqlite
from sqlalchemy import Table, insert

from huiliu.auth.principal import Principal
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation
from huiliu.conversations.writer import MessageWriter, SendRequest
from huiliu.db import Database, sqlite_driver
from huiliu.db.migrate import upgrade
from huiliu.tenants import service as tenants_service

contacts = cast(Table, Contact.__table__)
conversations = cast(Table, Conversation.__table__)
PAIRS = 32
TEXT = "x" * 1024


async def setup(db: Database) -> list[tuple[Principal, int]]:
    async with db.write() as session:
        tenant = await tenants_service.create(session, name="bench", slug="bench")
        tenant_id = tenant.id
    now = datetime.now(UTC)
    out = []
    async with db.write_connection() as conn:
        for i in range(PAIRS):
            contact_id = (
                await conn.execute(
                    insert(contacts)
                    .values(tenant_id=tenant_id, name=f"c{i}", attributes={}, created_at=now)
                    .returning(contacts.c.id)
                )
            ).scalar_one()
            cid = (
                await conn.execute(
                    insert(conversations)
                    .values(
                        tenant_id=tenant_id,
                        contact_id=contact_id,
                        channel="web",
                        status="open",
                        with_bot=False,
                        last_seq=0,
                        created_at=now,
                        last_message_at=now,
                    )
                    .returning(conversations.c.id)
                )
            ).scalar_one()
            out.append((Principal(kind="visitor", tenant_id=tenant_id, id=contact_id), cid))
    return out


async def _quiet(_events: Any) -> None:
    return None


def measure(
    run: Callable[[], Awaitable[int]],
) -> Callable[[], Awaitable[tuple[float, float, int]]]:
    """CPU ms, wall ms and the message count of one ``run``."""

    async def timed() -> tuple[float, float, int]:
        loop = asyncio.get_running_loop()
        t0, c0 = loop.time(), os.times()
        count = await run()
        t1, c1 = loop.time(), os.times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        return cpu * 1000, (t1 - t0) * 1000, count

    return timed


async def bench(messages: int, repeats: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="huiliu-writer-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'huiliu.db'}"
        await upgrade(url)
        db = Database(url)
        writer = MessageWriter(db, _quiet)
        try:
            pairs = await setup(db)
            await writer.start()
            sent = 0

            async def send(i: int) -> None:
                nonlocal sent
                sent += 1
                principal, cid = pairs[i % PAIRS]
                await writer.send(
                    SendRequest(
                        principal=principal,
                        conversation_id=cid,
                        client_msg_id=f"m{sent}",
                        content={"type": "text", "text": TEXT},
                    )
                )

            async def one_by_one() -> int:
                for i in range(messages):
                    await send(i)
                return messages

            async def by_32() -> int:
                for _ in range(messages // PAIRS):
                    await asyncio.gather(*(send(i) for i in range(PAIRS)))
                return messages // PAIRS * PAIRS

            rows = []
            await one_by_one()  # warm-up: caches, the first checkpoint
            for name, run in (("batches of 1", one_by_one), ("batches of 32", by_32)):
                cpu, wall = [], []
                for _ in range(repeats):
                    c, w, n = await measure(run)()
                    cpu.append(c / n)
                    wall.append(w / n)
                profile = cProfile.Profile()
                profile.enable()
                n = await run()
                profile.disable()
                calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
                rows.append(
                    {
                        "phase": name,
                        "cpu_ms": statistics.median(cpu),
                        "wall_ms": statistics.median(wall),
                        "calls": calls / n,
                    }
                )
            return rows
        finally:
            await writer.stop()
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per phase (median)")
    parser.add_argument("--driver", choices=["fast", "aiosqlite"], default="fast")
    args = parser.parse_args()
    if args.driver == "aiosqlite":
        sqlite_driver.connect = aiosqlite.connect  # type: ignore[assignment]
    rows = asyncio.run(bench(args.messages, args.repeats))
    print(f"message writer on SQLite, driver {args.driver}, {args.messages} messages a run")
    print(f"{'phase':<15} {'CPU ms/msg':>11} {'wall ms/msg':>12} {'Python calls/msg':>17}")
    for r in rows:
        print(f"{r['phase']:<15} {r['cpu_ms']:>11.3f} {r['wall_ms']:>12.3f} {r['calls']:>17.0f}")


if __name__ == "__main__":
    main()
