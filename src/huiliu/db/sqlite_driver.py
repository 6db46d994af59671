"""aiosqlite with one thread hop a statement.

aiosqlite runs every sqlite3 call on the connection's own thread, one hop each: SQLAlchemy's
adapter makes four of them for a query (open the cursor, execute, fetch, close) and three
for a write. Each hop is a queue put, a thread waking, and the event loop woken through its
self-pipe: a message-writer transaction of six statements took nineteen, most of the CPU
time of a small batch. Here a cursor is a proxy that lives on the event loop's side: opening
it costs nothing, ``execute`` runs the statement and fetches its first rows in one hop, and
fetching them and closing the cursor cost nothing more. A larger result (a report, an
export streamed with ``stream_results``) fetches the rest in chunks, a hop each.

The connection is aiosqlite's own (its thread, its commit, rollback and close), so
SQLAlchemy's ``sqlite+aiosqlite`` dialect drives it unchanged: ``connect`` is the engine's
``async_creator``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, Self, TypeVar, cast

import aiosqlite
from sqlalchemy.engine import make_url

T = TypeVar("T")

PREFETCH = 256  # rows fetched in the execute hop; the rest in chunks of this many


class Cursor:
    """What SQLAlchemy's adapter uses of ``aiosqlite.Cursor``, one hop a statement."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._cursor: sqlite3.Cursor | None = None  # open while rows remain to fetch
        self._rows: list[Any] = []
        self._next = 0  # index of the next row of _rows to hand out
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _run(self, run: Callable[[sqlite3.Cursor], object]) -> Self:
        await self.close()

        def work() -> tuple[sqlite3.Cursor | None, list[Any], Any, int, int | None]:
            cursor = self._conn._conn.cursor()
            try:
                run(cursor)
                description = cursor.description
                rows = cursor.fetchmany(PREFETCH) if description is not None else []
                counts = (cursor.rowcount, cursor.lastrowid)
            except BaseException:
                cursor.close()
                raise
            if len(rows) < PREFETCH:  # all of it: nothing to keep the cursor open for
                cursor.close()
                return None, rows, description, *counts
            return cursor, rows, description, *counts

        (
            self._cursor,
            self._rows,
            self.description,
            self.rowcount,
            self.lastrowid,
        ) = await self._conn.hop(work)
        self._next = 0
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Self:
        return await self._run(lambda cursor: cursor.execute(sql, parameters or ()))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Self:
        return await self._run(lambda cursor: cursor.executemany(sql, parameters))

    async def _more(self, size: int | None) -> list[Any]:
        """Rows fetched in the thread once the prefetched ones are handed out."""
        cursor = self._cursor
        if cursor is None:
            return []

        def work() -> list[Any]:
            rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
            if size is None or len(rows) < size:
                cursor.close()
            return rows

        rows = await self._conn.hop(work)
        if size is None or len(rows) < size:
            self._cursor = None
        return rows

    def _take(self, size: int | None) -> list[Any]:
        end = len(self._rows) if size is None else min(len(self._rows), self._next + size)
        taken = self._rows[self._next : end]
        self._next = end
        if self._next == len(self._rows):
            self._rows, self._next = [], 0
        return taken

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        wanted = self.arraysize if size is None else size
        rows = self._take(wanted)
        if len(rows) < wanted:
            rows += await self._more(max(wanted - len(rows), PREFETCH))
            if len(rows) > wanted:  # fetched a chunk: keep what was not asked for
                self._rows, self._next = rows[wanted:], 0
                rows = rows[:wanted]
        return rows

    async def fetchall(self) -> list[Any]:
        return self._take(None) + await self._more(None)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while rows := await self.fetchmany(PREFETCH):
            for row in rows:
                yield row

    async def close(self) -> None:
        self._rows, self._next = [], 0
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            await self._conn.hop(cursor.close)


class Connection(aiosqlite.Connection):
    """aiosqlite's connection whose cursors are ``Cursor``s."""

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    async def hop(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the connection's thread."""
        result: T = await self._execute(fn)  # type: ignore[no-untyped-call]
        return result


def connect(database: str, **kwargs: Any) -> Connection:
    """Like ``aiosqlite.connect``: the connection, opened when awaited."""

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = Connection(connector, iter_chunk_size=PREFETCH)
    connection._thread.daemon = True  # as SQLAlchemy's adapter makes aiosqlite's own
    return connection


def creator(url: str) -> Callable[[], Connection]:
    """The ``async_creator`` of an engine on ``url`` (a ``sqlite+aiosqlite`` URL): the
    connections SQLAlchemy's dialect would open, with the arguments it would give."""
    parsed = make_url(url)
    args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    (database,) = cast(list[str], args)
    return lambda: connect(database, **kwargs)
