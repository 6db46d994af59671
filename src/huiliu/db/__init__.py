"""The database: engines, sessions and migrations.

SQLite (embedded) gets two engines over one WAL file: readers run concurrently, writers
begin with ``BEGIN IMMEDIATE`` so a transaction never fails half-way on a lock upgrade.
PostgreSQL uses one engine for both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (message content) through orjson: several times faster than the json module.
_JSON: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        if sqlite_synchronous not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError(
                f"sqlite_synchronous must be FULL, NORMAL or EXTRA, not {sqlite_synchronous!r}"
            )
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            path = parsed.database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.reader = create_async_engine(url, pool_size=8, max_overflow=8, **_JSON)
            self.writer = create_async_engine(url, pool_size=2, max_overflow=4, **_JSON)
            _configure_sqlite(self.reader, sqlite_synchronous, immediate=False)
            _configure_sqlite(self.writer, sqlite_synchronous, immediate=True)
        else:
            self.reader = create_async_engine(url, pool_size=10, max_overflow=20, **_JSON)
            self.writer = self.reader

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (no commit)."""
        async with AsyncSession(self.reader, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        async with AsyncSession(self.writer, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def write_connection(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction, for the hot message path."""
        async with self.writer.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.reader.dispose()
        if self.writer is not self.reader:
            await self.writer.dispose()


def _configure_sqlite(engine: AsyncEngine, synchronous: str, *, immediate: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
