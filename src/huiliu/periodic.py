"""A job a process runs every few seconds on a task of its own (the ticket SLA sweep, the
report presence sampler): a failing run is logged and the next one runs on time."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``once()`` every ``every_s`` seconds between ``start`` and ``stop``. Subclasses
    give ``name`` and ``once``; tests call ``once`` themselves with a clock of their own."""

    name = "periodic"

    def __init__(self, *, every_s: float) -> None:
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None

    async def once(self) -> object:
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self.once()
            except Exception:
                log.exception("%s failed", self.name)
