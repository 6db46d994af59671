"""The embedded database's checkpointer: the WAL is copied into the database file off the
write path, and a long log, once wholly copied, starts again from its beginning even while
readers keep using it — in a turn of the write gate that waits a moment for the readers of
the old log and gives up rather than hold the writers back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.db import Database

ROWS = 300


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}", background_checkpoints=True)
    async with database.write_connection() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    yield database
    await database.dispose()


async def write_rows(db: Database, count: int) -> None:
    async with db.write_connection() as conn:
        for _ in range(count):
            await conn.exec_driver_sql("INSERT INTO t (body) VALUES (randomblob(4000))")


async def count_rows(conn: AsyncConnection) -> int:
    return int((await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar_one())


async def log_frames(db: Database) -> int:
    return (await db.checkpoint(restart_frames=10**9)).frames


async def test_a_long_log_restarts_once_copied_though_a_reader_was_on_it(db: Database) -> None:
    await write_rows(db, ROWS)  # a page a row at least: a log of ROWS frames and more
    # Shorter than the restart length: copied, not restarted.
    short = await db.checkpoint(restart_frames=10**9)
    assert short.frames >= ROWS
    assert (short.copied, short.restarted) == (short.frames, False)

    # SQLite alone: a write that begins while a reader is still on the old log appends to
    # it, wholly copied as it is.
    await write_rows(db, 1)
    async with db.reader.connect() as reader:
        assert await count_rows(reader) == ROWS + 1
        before = await log_frames(db)  # everything copied
        await write_rows(db, 1)
    assert await log_frames(db) > before

    # The checkpointer waits for such a reader (here, one that ends 50 ms later) and
    # restarts the log: the next write starts at the file's beginning.
    await write_rows(db, ROWS)
    async with db.reader.connect() as reader:
        assert await count_rows(reader) == 2 * ROWS + 2

        async def end_soon() -> None:
            await asyncio.sleep(0.05)
            await reader.rollback()

        ending = asyncio.create_task(end_soon())
        done = await db.checkpoint(restart_frames=100, wait_ms=5000)
        await ending
    assert done.restarted
    await write_rows(db, 2)
    assert 2 <= await log_frames(db) < ROWS
    async with db.reader.connect() as reader:
        assert await count_rows(reader) == 2 * ROWS + 4


async def test_a_reader_that_stays_on_the_old_log_makes_it_wait_only_a_moment(
    db: Database,
) -> None:
    await write_rows(db, ROWS)
    assert db.gate is not None
    async with db.reader.connect() as reader:
        assert await count_rows(reader) == ROWS
        held = await db.checkpoint(restart_frames=100, wait_ms=50)
        assert held.frames >= ROWS
        assert not held.restarted
        assert db.gate.waiting == 0
        await asyncio.wait_for(write_rows(db, 1), 5)  # the gate is free
    # Left for the next time, which restarts it.
    assert (await db.checkpoint(restart_frames=100)).restarted
    await write_rows(db, 1)
    assert await log_frames(db) < ROWS
    async with db.reader.connect() as reader:
        assert await count_rows(reader) == ROWS + 2
