"""The database: engines, sessions and migrations.

SQLite (embedded) gets two engines over one WAL file: readers run concurrently, writers
begin with ``BEGIN IMMEDIATE`` so a transaction never fails half-way on a lock upgrade.
PostgreSQL uses one engine for both.

SQLite has one writer at a time. Left to SQLite, connections waiting for it poll with
growing sleeps (its busy handler), in no order: a batch of outbox jobs could keep the
message writer waiting for seconds. So the process's ``write_connection`` transactions take
turns through a ``WriteGate``: first come, first served, except that an urgent one (the
message writer, which acks wait for) goes before the others, though never more than
``URGENT_RUN`` times in a row while others wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from huiliu.db import sqlite_driver

log = logging.getLogger(__name__)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (message content) through orjson: several times faster than the json module.
_JSON: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for another process's lock
URGENT_RUN = 4  # urgent turns in a row before a waiting normal one goes
# A WAL this long (4 KB pages: 64 MB), once wholly copied into the database, is started
# again from its beginning by the checkpointer (``Database.checkpoint``).
RESTART_FRAMES = 16_384
JOURNAL_SIZE_LIMIT = 2 * RESTART_FRAMES * 4096  # bytes
# How long that restart waits for readers of the old log while it holds the write gate.
RESTART_WAIT_MS = 20


@dataclass(frozen=True)
class Checkpoint:
    """What one ``Database.checkpoint`` did: the log's length in frames and how many of
    them are in the database file after the copy, and whether the log was restarted."""

    frames: int
    copied: int
    restarted: bool = False


class WriteGate:
    """One write transaction at a time, in order, the urgent ones first (module doc)."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._run = 0  # urgent turns given in a row while normal ones waited

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._normal)

    @asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        if self._busy or self._urgent or self._normal:
            queue = self._urgent if urgent else self._normal
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._next()  # given the turn as it was cancelled: pass it on
                else:
                    # Still queued, unless a release already passed over it.
                    with contextlib.suppress(ValueError):
                        queue.remove(waiter)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._next()

    def _next(self) -> None:
        while True:
            if self._urgent and (self._run < URGENT_RUN or not self._normal):
                waiter = self._urgent.popleft()
                self._run = self._run + 1 if self._normal else 0
            elif self._normal:
                waiter = self._normal.popleft()
                self._run = 0
            else:
                self._busy = False
                return
            if not waiter.done():
                waiter.set_result(None)  # the turn passes straight to it: still busy
                return


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
            fast = {"async_creator": sqlite_driver.creator(url), **_JSON}
            self.reader = create_async_engine(url, pool_size=8, max_overflow=8, **fast)
            self.writer = create_async_engine(url, pool_size=2, max_overflow=4, **fast)
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
        self.gate = WriteGate() if self.is_sqlite else None

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
    async def write_connection(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction (on SQLite, in its turn: ``urgent`` for the
        message writer)."""
        if self.gate is None:
            async with self.writer.begin() as conn:
                yield conn
            return
        async with self.gate.turn(urgent=urgent), self.writer.begin() as conn:
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
                await self.checkpoint()
            except Exception:
                log.warning("WAL checkpoint failed", exc_info=True)

    async def checkpoint(
        self, *, restart_frames: int = RESTART_FRAMES, wait_ms: int = RESTART_WAIT_MS
    ) -> Checkpoint:
        """Copy the WAL into the database file without waiting for anyone (PASSIVE). SQLite
        starts the log again from its beginning only when a write begins with every frame
        copied and no reader still on the old log; under steady traffic that moment never
        comes, and the log grew by ~25 MB a second at saturation (bench/relay.py). So a
        log of ``restart_frames`` or more, once wholly copied, is restarted here (RESTART:
        the next write starts at the file's beginning) in a turn of the write gate, so no
        write adds to it meanwhile, waiting at most ``wait_ms`` for readers of the old
        log; still busy, it is left for the next time. At 2,500 msg/s that is a turn of
        5-30 ms every few seconds, and the file stays under ~100 MB."""
        async with self.reader.connect() as conn:
            busy, frames, copied = await _wal_checkpoint(conn, "PASSIVE")
        done = Checkpoint(frames, copied)
        if busy or frames < restart_frames or copied < frames or self.gate is None:
            return done
        async with self.gate.turn(), self.reader.connect() as conn:
            await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
            try:
                busy, frames, copied = await _wal_checkpoint(conn, "RESTART")
            finally:
                await conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return Checkpoint(frames, copied, restarted=not busy)

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        await self.reader.dispose()
        if self.writer is not self.reader:
            await self.writer.dispose()


async def _wal_checkpoint(conn: AsyncConnection, mode: str) -> tuple[int, int, int]:
    """``PRAGMA wal_checkpoint``: (busy, frames in the log, frames copied)."""
    row: Any = (await conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")).one()
    return int(row[0]), int(row[1]), int(row[2])


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
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # A log that grew past this (a burst while a long read held the old one) is cut
        # back to it when it next restarts.
        cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        # With background checkpoints (the server), commits never checkpoint:
        # Database.start_checkpointer does it off the ack path.
        cursor.execute(f"PRAGMA wal_autocheckpoint={0 if background_checkpoints else 1000}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # On the driver's cursor: no statement to compile, no result to build.
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute(begin)
        cursor.close()
