"""The database: engines, sessions and migrations.

SQLite (embedded) gets two engines over one WAL file: readers run concurrently, writers
begin with ``BEGIN IMMEDIATE`` so a transaction never fails half-way on a lock upgrade.
PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

log = logging.getLogger(__name__)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (message content) through orjson: several times faster than the json module.
_JSON: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


class Database:
    def __init__(
        self, url: str, *, sqlite_synchronous: str = "FULL", background_checkpoints: bool = False
    ) -> None:
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
            for engine, immediate in ((self.reader, False), (self.writer, True)):
                _configure_sqlite(
                    engine,
                    sqlite_synchronous,
                    immediate=immediate,
                    background_checkpoints=background_checkpoints,
                )
        else:
            self.reader = create_async_engine(url, pool_size=10, max_overflow=20, **_JSON)
            self.writer = self.reader
        self._background_checkpoints = background_checkpoints
        self._checkpointer: asyncio.Task[None] | None = None

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

    def start_checkpointer(self, every_s: float = 1.0) -> None:
        """SQLite with background checkpoints: copy the WAL into the database file every
        ``every_s``, so no commit (and no ack waiting on it) pays for a checkpoint."""
        if self.is_sqlite and self._background_checkpoints and self._checkpointer is None:
            self._checkpointer = asyncio.get_running_loop().create_task(
                self._checkpoint_loop(every_s), name="sqlite-checkpoint"
            )

    async def _checkpoint_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                async with self.reader.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:
                log.warning("WAL checkpoint failed", exc_info=True)

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        await self.reader.dispose()
        if self.writer is not self.reader:
            await self.writer.dispose()


def _configure_sqlite(
    engine: AsyncEngine, synchronous: str, *, immediate: bool, background_checkpoints: bool
) -> None:
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
        # With background checkpoints (the server), commits never checkpoint:
        # Database.start_checkpointer does it off the ack path.
        cursor.execute(f"PRAGMA wal_autocheckpoint={0 if background_checkpoints else 1000}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
