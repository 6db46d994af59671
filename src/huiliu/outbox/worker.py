"""The outbox worker: claims due jobs in batches, runs each kind's handler outside any
transaction, and records the outcome — done; a retry after an exponential back-off with
jitter; failed for good; dead once the attempts run out.

Delivery is at least once: a worker that dies mid-batch leaves its jobs locked until
``locked_until``, and then any worker runs them again (with the same job id, which
handlers pass on as the idempotency key). One runs inside ``huiliu serve`` when
``HUILIU_WORKER_IN_PROCESS`` says so (the embedded deployment); ``huiliu worker`` runs one
on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta

import httpx

from huiliu import __version__, metrics
from huiliu.bus import Bus
from huiliu.config import Settings
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.integrations.egress import guarded_client
from huiliu.outbox import service
from huiliu.outbox.models import OutboxStatus
from huiliu.outbox.registry import Context, Job, Outcome, Registry

log = logging.getLogger(__name__)

TIDY_S = 60.0  # how often a worker buries abandoned jobs and prunes old ones


@dataclasses.dataclass
class WorkerStats:
    """Jobs this worker finished since it started, by outcome."""

    done: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    coalesced: int = 0  # done by a run of an earlier job of their ref (never ran)

    def copy(self) -> WorkerStats:
        return dataclasses.replace(self)


def backoff_s(
    attempt: int, *, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """The wait after failed attempt ``attempt`` (1, 2, …): base · 2^(attempt − 1), at most
    ``cap``, of which a random half is taken away ("equal jitter"), so receivers that went
    down together are not hit again all at the same moment."""
    delay: float = min(cap, base * 2.0 ** min(attempt - 1, 62))
    return delay * (0.5 + rng() / 2)


class Worker:
    def __init__(
        self, db: Database, registry: Registry, settings: Settings, bus: Bus | None = None
    ) -> None:
        self._db = db
        self._bus = bus
        self._registry = registry
        self._settings = settings
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stats = WorkerStats()

    # -- running in the background (huiliu serve) -------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-worker")

    async def stop(self, grace_s: float | None = None) -> None:
        """Finish the batch in hand (for at most ``grace_s``), then stop. Jobs cut off
        stay locked and run again after their lock expires."""
        self.request_stop()
        if self._task is None:
            return
        grace = grace_s if grace_s is not None else self._settings.webhook_timeout_s + 2
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def request_stop(self) -> None:
        self._stopping.set()

    # -- the loop ---------------------------------------------------------------------

    async def run(self) -> None:
        """Drain until ``request_stop``: batch after batch while jobs are due, a poll
        interval's sleep when none is."""
        settings = self._settings
        async with guarded_client(
            settings.outbound_allow,
            follow_redirects=False,  # a receiver's redirect is its answer, not an order
            headers={"user-agent": f"Huiliu/{__version__}"},
            limits=httpx.Limits(max_connections=max(10, settings.outbox_batch_size)),
        ) as http:
            ctx = Context(self._db, http, settings, self._bus)
            next_tidy = 0.0
            while not self._stopping.is_set():
                claimed = 0
                try:
                    if time.monotonic() >= next_tidy:
                        next_tidy = time.monotonic() + TIDY_S
                        await self._tidy()
                    claimed = await self.run_once(ctx)
                except Exception:
                    log.exception("outbox batch failed")
                # Straight on after a batch: it may have released jobs waiting behind it
                # (an ordered kind's next one); the check for due jobs is a cheap read.
                if claimed == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), settings.outbox_poll_s)

    async def run_once(self, ctx: Context) -> int:
        """Claim one batch, run it, record it; the number of jobs it held."""
        settings = self._settings
        kinds = self._registry.kinds
        ordered = self._registry.ordered_kinds
        if not kinds or not await service.any_due(
            self._db, kinds=kinds, max_attempts=settings.outbox_max_attempts, ordered=ordered
        ):
            return 0
        claimed = await service.claim(
            self._db,
            kinds=kinds,
            limit=settings.outbox_batch_size,
            lock_s=settings.outbox_lock_s,
            max_attempts=settings.outbox_max_attempts,
            ordered=ordered,
            coalesced=self._registry.coalesced_kinds,
        )
        if not claimed:
            return 0
        outcomes = await self._run_all(ctx, claimed)
        finished = [self._settle(j, o) for j, o in zip(claimed, outcomes, strict=True)]
        await service.finish(self._db, finished)
        for item in finished:
            self._count(item.job.kind, item.status)
            if item.status is OutboxStatus.done and item.job.covers:
                self.stats.coalesced += len(item.job.covers)
                metrics.OUTBOX_JOBS.labels(item.job.kind, "coalesced").inc(len(item.job.covers))
        return len(claimed)

    async def _run_all(self, ctx: Context, claimed: list[Job]) -> list[Outcome]:
        """Every claimed job at once: a kind with a batch handler in one call of it, the
        others each on its own."""
        batches: dict[str, list[int]] = {}
        alone: list[int] = []
        for i, job in enumerate(claimed):
            if self._registry.get_batch(job.kind) is None:
                alone.append(i)
            else:
                batches.setdefault(job.kind, []).append(i)
        outcomes: dict[int, Outcome] = {}

        async def one(i: int) -> None:
            outcomes[i] = await self._run_job(ctx, claimed[i])

        async def together(kind: str, indices: list[int]) -> None:
            ran = await self._run_batch(ctx, kind, [claimed[i] for i in indices])
            outcomes.update(zip(indices, ran, strict=True))

        await asyncio.gather(
            *(one(i) for i in alone), *(together(k, ix) for k, ix in batches.items())
        )
        return [outcomes[i] for i in range(len(claimed))]

    async def _run_batch(self, ctx: Context, kind: str, jobs: list[Job]) -> list[Outcome]:
        handler = self._registry.get_batch(kind)
        if handler is None or len(jobs) == 1:
            return await self._run_each(ctx, jobs)
        try:
            ran = await asyncio.wait_for(handler(ctx, jobs), self._settings.outbox_lock_s * 0.8)
        except TimeoutError:
            return [Outcome.retry("the handler ran past the outbox lock")] * len(jobs)
        except Exception:
            log.warning(
                "outbox batch of %d %s jobs raised; running them one by one",
                len(jobs),
                kind,
                exc_info=True,
            )
        else:
            if len(ran) == len(jobs):
                return list(ran)
            log.warning(
                "outbox batch handler of %s gave %d outcomes for %d jobs; running them one by one",
                kind,
                len(ran),
                len(jobs),
            )
        return await self._run_each(ctx, jobs)

    async def _run_each(self, ctx: Context, jobs: list[Job]) -> list[Outcome]:
        return list(await asyncio.gather(*(self._run_job(ctx, job) for job in jobs)))

    async def _run_job(self, ctx: Context, job: Job) -> Outcome:
        handler = self._registry.get(job.kind)
        if handler is None:  # claims only take known kinds; a guard all the same
            return Outcome.retry(f"no handler for {job.kind!r} in this worker")
        try:
            # Report well before the lock runs out, or another worker would run it too.
            return await asyncio.wait_for(handler(ctx, job), self._settings.outbox_lock_s * 0.8)
        except TimeoutError:
            return Outcome.retry("the handler ran past the outbox lock")
        except Exception as exc:
            log.warning("outbox job %s (%s) raised", job.id, job.kind, exc_info=True)
            return Outcome.retry(f"{type(exc).__name__}: {exc}")

    def _settle(self, job: Job, outcome: Outcome) -> service.Finished:
        settings = self._settings
        if outcome.status == "done":
            return service.Finished(job, OutboxStatus.done, None, None, outcome.result)
        if outcome.status == "failed":
            return service.Finished(job, OutboxStatus.failed, None, outcome.error, outcome.result)
        if job.attempt >= settings.outbox_max_attempts:
            return service.Finished(job, OutboxStatus.dead, None, outcome.error, outcome.result)
        delay = backoff_s(
            job.attempt, base=settings.outbox_backoff_s, cap=settings.outbox_backoff_max_s
        )
        if outcome.retry_after_s is not None:
            delay = max(delay, min(outcome.retry_after_s, settings.outbox_backoff_max_s))
        return service.Finished(
            job,
            OutboxStatus.pending,
            utcnow() + timedelta(seconds=delay),
            outcome.error,
            outcome.result,
        )

    def _count(self, kind: str, status: OutboxStatus) -> None:
        outcome = "retried" if status is OutboxStatus.pending else status.value
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        metrics.OUTBOX_JOBS.labels(kind, outcome).inc()

    async def _tidy(self) -> None:
        settings = self._settings
        buried = await service.bury_abandoned(self._db, max_attempts=settings.outbox_max_attempts)
        self.stats.dead += buried
        await service.prune(
            self._db, before=utcnow() - timedelta(days=settings.outbox_retention_days)
        )
