"""The embedded database's write turns (``huiliu.db.WriteGate``): one write transaction at a
time in this process, in order, the message writer's first but never starving the rest, a
cancelled waiter losing nobody's turn — and through ``Database.write_connection`` on SQLite,
a batch of long transactions no longer keeps an urgent one waiting behind all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path

import pytest
from sqlalchemy import text

from huiliu.db import URGENT_RUN, Database, WriteGate


async def _hold(gate: WriteGate, name: str, log: list[str], *, urgent: bool = False) -> None:
    async with gate.turn(urgent=urgent):
        log.append(name)
        await asyncio.sleep(0.01)


async def _start(*coros: Coroutine[None, None, None]) -> list[asyncio.Task[None]]:
    tasks: list[asyncio.Task[None]] = []
    for coro in coros:
        tasks.append(asyncio.create_task(coro))
        await asyncio.sleep(0)  # each queues before the next
    return tasks


async def test_turns_go_in_order_with_the_urgent_first() -> None:
    gate, log = WriteGate(), list[str]()
    tasks = await _start(
        _hold(gate, "first", log),
        _hold(gate, "n1", log),
        _hold(gate, "n2", log),
        _hold(gate, "u1", log, urgent=True),
        _hold(gate, "u2", log, urgent=True),
    )
    await asyncio.gather(*tasks)
    assert log == ["first", "u1", "u2", "n1", "n2"]
    assert gate.waiting == 0
    async with gate.turn():  # free again: taken at once
        pass


async def test_urgent_turns_never_starve_the_others() -> None:
    gate, log = WriteGate(), list[str]()
    urgent = [_hold(gate, f"u{i}", log, urgent=True) for i in range(URGENT_RUN + 3)]
    tasks = await _start(_hold(gate, "first", log), _hold(gate, "n1", log), *urgent)
    await asyncio.gather(*tasks)
    # The normal one waited through URGENT_RUN urgent turns, then went.
    assert log.index("n1") == 1 + URGENT_RUN
    assert len(log) == URGENT_RUN + 5


async def test_a_cancelled_waiter_loses_no_one_their_turn() -> None:
    gate, log = WriteGate(), list[str]()
    tasks = await _start(_hold(gate, "first", log), _hold(gate, "gone", log), _hold(gate, "n", log))
    tasks[1].cancel()
    await asyncio.gather(tasks[0], tasks[2])
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]
    assert log == ["first", "n"]
    assert gate.waiting == 0


async def test_a_waiter_cancelled_just_before_the_release_is_passed_over() -> None:
    gate, log = WriteGate(), list[str]()
    async with gate.turn():
        waiter = asyncio.create_task(_hold(gate, "gone", log))
        await asyncio.sleep(0)
        waiter.cancel()  # its future is cancelled now, its handler runs later
    # The release above passed over it; its handler then finds it gone from the queue.
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert gate.waiting == 0
    async with gate.turn():  # and the gate is free
        log.append("next")
    assert log == ["next"]


async def test_an_urgent_write_waits_for_one_transaction_not_the_whole_queue(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    try:
        async with db.write_connection() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))

        async def slow(n: int) -> None:
            async with db.write_connection() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.02)  # a long transaction, the lock held

        batch = [asyncio.create_task(slow(n)) for n in range(20)]
        await asyncio.sleep(0.01)  # the first holds the lock, the others wait their turn
        assert db.gate is not None
        assert db.gate.waiting == 19
        async with db.write_connection(urgent=True) as conn:
            await conn.execute(text("INSERT INTO t VALUES (99)"))
        await asyncio.gather(*batch)
        async with db.read() as session:
            order = list((await session.execute(text("SELECT n FROM t ORDER BY rowid"))).scalars())
        # Stored right after the transaction in flight, ahead of the nineteen waiting.
        assert order == [0, 99, *range(1, 20)]
    finally:
        await db.dispose()
