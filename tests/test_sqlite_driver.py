"""The SQLite driver under SQLAlchemy: one thread hop a statement, and every way of reading
a result (all at once, in chunks, streamed) still returns every row once, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huiliu.db import sqlite_driver
from huiliu.db.sqlite_driver import PREFETCH


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"
    engine = create_async_engine(url, async_creator=sqlite_driver.creator(url))
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every function sent to a connection's thread."""
    sent: list[Any] = []
    original = sqlite_driver.Connection._execute

    async def counted(self: sqlite_driver.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver.Connection, "_execute", counted)
    return sent


async def test_a_statement_takes_one_hop_to_the_connections_thread(
    engine: AsyncEngine, hops: list[Any]
) -> None:
    async with engine.connect() as conn:
        hops.clear()
        result = await conn.execute(text("SELECT 1, 'a'"))
        assert result.all() == [(1, "a")]
        assert len(hops) == 1
        hops.clear()
        inserted = await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "x"}, {"name": "y"}]
        )
        assert inserted.rowcount == 2
        assert len(hops) == 1
        hops.clear()
        one = await conn.execute(text("INSERT INTO t (name) VALUES ('z')"))
        assert one.lastrowid == 3
        assert len(hops) == 1
        await conn.commit()


@pytest.mark.parametrize("count", [0, 1, PREFETCH - 1, PREFETCH, PREFETCH + 1, 3 * PREFETCH + 7])
async def test_every_row_comes_back_once_in_order_however_it_is_read(
    engine: AsyncEngine, count: int
) -> None:
    async with engine.begin() as conn:
        if count:
            await conn.execute(
                text("INSERT INTO t (id, name) VALUES (:id, :name)"),
                [{"id": i, "name": f"n{i}"} for i in range(1, count + 1)],
            )
    expected = list(range(1, count + 1))
    query = text("SELECT id FROM t ORDER BY id")
    async with engine.connect() as conn:
        assert [r.id for r in (await conn.execute(query)).all()] == expected
        # Streamed (a server-side cursor): in chunks of various sizes, then one by one.
        streamed = await conn.stream(query)
        got: list[int] = []
        for size in (1, 5, PREFETCH + 3):
            got += [r.id for r in await streamed.fetchmany(size)]
        while (row := await streamed.fetchone()) is not None:
            got.append(row.id)
        assert got == expected
        assert [r.id async for r in await conn.stream(query)] == expected
        partitions = await conn.stream(query)
        assert [r.id async for part in partitions.partitions(100) for r in part] == expected


async def test_a_result_left_half_read_is_closed_and_the_connection_goes_on(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (id, name) VALUES (:id, :name)"),
            [{"id": i, "name": f"n{i}"} for i in range(1, 2 * PREFETCH)],
        )
    async with engine.connect() as conn:
        streamed = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        assert (await streamed.fetchone()).id == 1  # type: ignore[union-attr]
        await streamed.close()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2 * PREFETCH - 1


async def test_a_failed_statement_raises_the_dbapi_error_and_stores_nothing(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('same')"))

    async def two_inserts() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('other')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('same')"))

    with pytest.raises(IntegrityError):
        await two_inserts()
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["same"]
