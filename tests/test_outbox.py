"""The transactional outbox and its worker: jobs live and die with the producer's
transaction, batches are claimed by one worker at a time, outcomes are recorded (done, a
retry with back-off, failed, dead), a dead worker's jobs run again after their lock; and
real `huiliu worker` processes killed with SIGKILL mid-batch deliver every event at least
once."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from huiliu.config import Settings
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.db.migrate import upgrade
from huiliu.outbox import service
from huiliu.outbox.models import OutboxJob, OutboxStatus
from huiliu.outbox.registry import Context, Job, Outcome, Registry
from huiliu.outbox.worker import Worker, backoff_s
from tests.clients import bearer, widget_session
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import World, make_world
from tests.receiver import Receiver, create_endpoint
from tests.server import ProcessServer, ProcessWorker
from tests.services import Backend, create_pg_database, drop_pg_database, free_port
from tests.test_processes import server_env


def kind() -> str:
    """A kind of this test's own: the test server's worker runs only `webhook` jobs, and
    other tests' workers only theirs."""
    return "test." + secrets.token_hex(4)


class Recorder:
    """A handler that answers from a script (then done) and remembers every run."""

    def __init__(self, *outcomes: Outcome | Exception) -> None:
        self.script = list(outcomes)
        self.runs: list[Job] = []

    async def __call__(self, ctx: Context, job: Job) -> Outcome:
        self.runs.append(job)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        return Outcome.done({"ran": job.attempt})


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> AsyncIterator[Context]:
    async with httpx.AsyncClient() as http:
        yield Context(db, http, settings)


def worker_for(db: Database, settings: Settings, **handlers: Recorder) -> Worker:
    registry = Registry()
    for name, handler in handlers.items():
        registry.register(name, handler)
    return Worker(db, registry, settings)


async def add(db: Database, world: World, job_kind: str, count: int = 1) -> list[int]:
    async with db.write() as session:
        return [
            await service.enqueue(
                session, tenant_id=world.tenant_id, kind=job_kind, payload={"n": n}, ref_id=n
            )
            for n in range(count)
        ]


async def row(db: Database, job_id: int) -> OutboxJob:
    async with db.read() as session:
        found = await session.get(OutboxJob, job_id)
    assert found is not None
    return found


async def test_a_job_exists_only_if_its_transaction_commits(db: Database, world: World) -> None:
    job_kind = kind()
    with contextlib.suppress(RuntimeError):
        async with db.write() as session:
            await service.enqueue(session, tenant_id=world.tenant_id, kind=job_kind, payload={})
            raise RuntimeError("the change that caused it failed")
    async with db.write() as session:
        await service.enqueue_many(
            session,
            [
                service.NewJob(world.tenant_id, job_kind, {"n": 1}, ref_id=7),
                service.NewJob(world.tenant_id, job_kind, {"n": 2}, ref_id=7),
            ],
        )
    async with db.read() as session:
        stored = await service.list_by_ref(
            session, tenant_id=world.tenant_id, kind=job_kind, ref_id=7, limit=10
        )
    assert [j.payload for j in stored] == [{"n": 2}, {"n": 1}]  # newest first
    assert {(j.status, j.attempts) for j in stored} == {(OutboxStatus.pending, 0)}


async def test_a_job_runs_once_and_is_done(
    db: Database, world: World, settings: Settings, ctx: Context
) -> None:
    job_kind = kind()
    handler = Recorder()
    (job_id,) = await add(db, world, job_kind)
    worker = worker_for(db, settings, **{job_kind: handler})
    assert await worker.run_once(ctx) == 1
    assert await worker.run_once(ctx) == 0
    (run,) = handler.runs
    assert (run.id, run.tenant_id, run.kind, run.payload, run.attempt) == (
        job_id,
        world.tenant_id,
        job_kind,
        {"n": 0},
        1,
    )
    stored = await row(db, job_id)
    assert stored.status is OutboxStatus.done
    assert stored.result == {"ran": 1}
    assert stored.locked_until is None
    assert stored.done_at is not None
    assert worker.stats.done == 1


async def test_a_failing_job_backs_off_and_dies_after_the_most_attempts(
    db: Database, world: World, ctx: Context
) -> None:
    settings = make_settings(
        Backend("x", db.url, "", ""),
        outbox_backoff_s=10.0,
        outbox_backoff_max_s=3600.0,
        outbox_max_attempts=3,
    )
    job_kind = kind()
    handler = Recorder(
        Outcome.retry("HTTP 503", {"response_status": 503}),
        RuntimeError("the handler broke"),
        Outcome.retry("HTTP 502"),
    )
    (job_id,) = await add(db, world, job_kind)
    worker = worker_for(db, settings, **{job_kind: handler})
    for attempt in (1, 2):
        before = utcnow()
        assert await worker.run_once(ctx) == 1
        stored = await row(db, job_id)
        assert stored.status is OutboxStatus.pending
        assert stored.attempts == attempt
        # 10 s · 2^(attempt − 1), less up to half: not due again yet.
        wait = (stored.next_attempt_at - before).total_seconds()
        assert 5.0 * 2 ** (attempt - 1) <= wait <= 10.0 * 2 ** (attempt - 1) + 1
        assert await worker.run_once(ctx) == 0
        async with db.write() as session:  # time passes
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == job_id)
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
    first = await row(db, job_id)
    assert first.last_error == "RuntimeError: the handler broke"
    assert await worker.run_once(ctx) == 1
    stored = await row(db, job_id)
    assert stored.status is OutboxStatus.dead
    assert stored.attempts == 3
    assert stored.last_error == "HTTP 502"
    assert [r.attempt for r in handler.runs] == [1, 2, 3]
    assert {r.id for r in handler.runs} == {job_id}
    assert (worker.stats.retried, worker.stats.dead) == (2, 1)


async def enqueue_lines(
    db: Database, world: World, job_kind: str, jobs: Sequence[tuple[int, int]]
) -> list[int]:
    """Jobs ``(n, ref)`` of ``job_kind`` (payload ``{"n": n}``), in one transaction."""
    async with db.write() as session:
        return [
            await service.enqueue(
                session, tenant_id=world.tenant_id, kind=job_kind, payload={"n": n}, ref_id=ref
            )
            for n, ref in jobs
        ]


async def test_ordered_jobs_of_one_ref_run_one_at_a_time_in_order(
    db: Database, world: World, ctx: Context
) -> None:
    settings = make_settings(
        Backend("x", db.url, "", ""), outbox_backoff_s=0.01, outbox_backoff_max_s=0.01
    )
    job_kind = kind()
    # The first of conversation 1's three replies fails once; the others wait behind it,
    # while conversation 2's reply goes at once.
    handler = Recorder(Outcome.retry("HTTP 503"))
    ids = await enqueue_lines(db, world, job_kind, ((1, 1), (2, 1), (3, 2), (4, 1)))
    registry = Registry()
    registry.register(job_kind, handler, ordered=True)
    worker = Worker(db, registry, settings)
    assert await worker.run_once(ctx) == 2  # the heads of both lines
    assert [r.payload["n"] for r in handler.runs] == [1, 3]
    await asyncio.sleep(0.05)  # the retry's back-off
    for _ in range(5):
        await worker.run_once(ctx)
    assert [r.payload["n"] for r in handler.runs] == [1, 3, 1, 2, 4]
    assert {(await row(db, i)).status for i in ids} == {OutboxStatus.done}


async def test_a_coalesced_run_does_the_jobs_of_its_ref_queued_before_its_claim(
    db: Database, world: World, ctx: Context
) -> None:
    """A report fold reads the truth: the run of a conversation's first queued fold does
    the ones queued behind it, once it is done; a retry leaves them waiting; one queued
    after the claim still runs."""
    settings = make_settings(
        Backend("x", db.url, "", ""), outbox_backoff_s=0.01, outbox_backoff_max_s=0.01
    )
    job_kind = kind()
    handler = Recorder(Outcome.retry("HTTP 503"))  # the first run, job 1's

    def runs() -> list[int]:
        return [r.payload["n"] for r in handler.runs]

    ids = await enqueue_lines(db, world, job_kind, ((1, 1), (2, 1), (3, 2), (4, 1)))
    registry = Registry()
    registry.register(job_kind, handler, coalesced=True)
    assert registry.ordered_kinds == [job_kind]  # coalesced kinds are ordered too
    worker = Worker(db, registry, settings)

    # The first run of ref 1 fails: nothing behind it is done; ref 2 runs beside it.
    assert await worker.run_once(ctx) == 2
    assert runs() == [1, 3]
    assert [(await row(db, i)).status for i in ids] == [
        OutboxStatus.pending,
        OutboxStatus.pending,
        OutboxStatus.done,
        OutboxStatus.pending,
    ]
    await asyncio.sleep(0.05)  # the retry's back-off
    # Its second run is done and does jobs 2 and 4, queued before it was claimed.
    assert await worker.run_once(ctx) == 1
    assert runs() == [1, 3, 1]
    for covered in (ids[1], ids[3]):
        stored = await row(db, covered)
        assert (stored.status, stored.attempts) == (OutboxStatus.done, 0)
        assert stored.result == {"coalesced_into": ids[0]}
    assert worker.stats.coalesced == 2
    assert await worker.run_once(ctx) == 0

    # A job queued after a claim runs after that run, on its own.
    handler.runs.clear()
    later = await enqueue_lines(db, world, job_kind, ((5, 1), (6, 1)))
    claimed = await service.claim(
        db, kinds=[job_kind], limit=10, lock_s=30, max_attempts=5, coalesced=[job_kind]
    )
    assert [(j.id, j.covers) for j in claimed] == [(later[0], (later[1],))]
    (newest,) = await enqueue_lines(db, world, job_kind, ((7, 1),))
    await service.finish(db, [service.Finished(claimed[0], OutboxStatus.done, None, None, None)])
    assert (await row(db, later[1])).status is OutboxStatus.done
    assert (await row(db, newest)).status is OutboxStatus.pending
    assert await worker.run_once(ctx) == 1
    assert runs() == [7]


class BatchRecorder:
    """A batch handler that answers each job from a script by its payload's ``n`` (done
    otherwise), raises while ``broken``, and remembers every call's jobs."""

    def __init__(self, **answers: Outcome) -> None:
        self.answers = answers
        self.calls: list[list[int]] = []
        self.broken = False

    async def __call__(self, ctx: Context, jobs: Sequence[Job]) -> list[Outcome]:
        self.calls.append([job.payload["n"] for job in jobs])
        if self.broken:
            raise RuntimeError("the batch's transaction failed")
        return [
            self.answers.get(f"n{job.payload['n']}", Outcome.done({"batch": len(jobs)}))
            for job in jobs
        ]


async def test_a_batch_kind_runs_the_jobs_of_a_claim_in_one_call(
    db: Database, world: World, settings: Settings, ctx: Context
) -> None:
    """A batch handler gets every job of its kind that a claim holds, in one call, beside
    the other kinds' jobs; each job keeps its own outcome. Should the batch raise, each job
    runs alone through the single handler, so only a bad one is retried."""
    job_kind, other_kind = kind(), kind()
    single = Recorder(Outcome.retry("HTTP 503"))  # the first job run alone fails
    batch = BatchRecorder(n2=Outcome.failed("no such conversation"))
    others = Recorder()
    registry = Registry()
    registry.register(job_kind, single, batch=batch)
    registry.register(other_kind, others)
    worker = Worker(db, registry, settings)

    ids = await enqueue_lines(db, world, job_kind, ((1, 1), (2, 2), (3, 3)))
    (other,) = await add(db, world, other_kind)
    assert await worker.run_once(ctx) == 4
    assert batch.calls == [[1, 2, 3]]
    assert single.runs == []
    assert [r.id for r in others.runs] == [other]
    assert [((await row(db, i)).status, (await row(db, i)).result) for i in ids] == [
        (OutboxStatus.done, {"batch": 3}),
        (OutboxStatus.failed, None),
        (OutboxStatus.done, {"batch": 3}),
    ]
    assert (await row(db, ids[1])).last_error == "no such conversation"

    # A batch that raises: its jobs run one by one; the one that fails alone retries.
    batch.broken = True
    ids = await enqueue_lines(db, world, job_kind, ((4, 4), (5, 5)))
    assert await worker.run_once(ctx) == 2
    assert batch.calls[1:] == [[4, 5]]
    assert sorted(r.payload["n"] for r in single.runs) == [4, 5]
    statuses = [(await row(db, i)).status for i in ids]
    assert sorted(statuses) == sorted([OutboxStatus.done, OutboxStatus.pending])
    # A claim holding one job of the kind runs it through the single handler.
    batch.broken = False
    single.runs.clear()
    (alone,) = await enqueue_lines(db, world, job_kind, ((6, 6),))
    assert await worker.run_once(ctx) == 1
    assert [r.id for r in single.runs] == [alone]
    assert batch.calls[2:] == []


async def test_a_final_failure_is_not_retried(
    db: Database, world: World, settings: Settings, ctx: Context
) -> None:
    job_kind = kind()
    handler = Recorder(Outcome.failed("HTTP 410", {"response_status": 410}))
    (job_id,) = await add(db, world, job_kind)
    worker = worker_for(db, settings, **{job_kind: handler})
    assert await worker.run_once(ctx) == 1
    await asyncio.sleep(0.1)
    assert await worker.run_once(ctx) == 0
    stored = await row(db, job_id)
    assert (stored.status, stored.attempts, stored.last_error) == (
        OutboxStatus.failed,
        1,
        "HTTP 410",
    )
    assert stored.result == {"response_status": 410}


def test_back_off_doubles_up_to_the_cap_less_a_random_half() -> None:
    for attempt, full in ((1, 5.0), (2, 10.0), (3, 20.0), (10, 2560.0), (11, 3600.0), (60, 3600.0)):
        assert backoff_s(attempt, base=5, cap=3600, rng=lambda: 1.0) == full
        assert backoff_s(attempt, base=5, cap=3600, rng=lambda: 0.0) == full / 2
    spread = {round(backoff_s(4, base=5, cap=3600), 3) for _ in range(50)}
    assert len(spread) > 10
    assert all(20.0 <= s <= 40.0 for s in spread)


async def test_concurrent_claims_take_disjoint_batches(db: Database, world: World) -> None:
    """FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock, one claimer at a time."""
    job_kind = kind()
    ids = await add(db, world, job_kind, count=30)
    others = [Database(db.url) for _ in range(2)]
    try:
        batches = await asyncio.gather(
            *(
                service.claim(d, kinds=[job_kind], limit=10, lock_s=30, max_attempts=5)
                for d in (db, *others, db)
            )
        )
    finally:
        for other in others:
            await other.dispose()
    claimed = [job.id for batch in batches for job in batch]
    assert sorted(claimed) == sorted(ids)  # 4 × up to 10: each job once, all 30 taken
    assert len(set(claimed)) == 30
    assert max(len(b) for b in batches) == 10


async def test_a_job_whose_worker_died_runs_again_after_its_lock(
    db: Database, world: World, ctx: Context, settings: Settings
) -> None:
    job_kind = kind()
    (job_id,) = await add(db, world, job_kind)
    (first,) = await service.claim(db, kinds=[job_kind], limit=5, lock_s=0.5, max_attempts=5)
    # The worker dies here: nothing is recorded. Nobody else may take the job meanwhile.
    assert await service.claim(db, kinds=[job_kind], limit=5, lock_s=0.5, max_attempts=5) == []
    await asyncio.sleep(0.6)
    handler = Recorder()
    worker = worker_for(db, settings, **{job_kind: handler})
    assert await worker.run_once(ctx) == 1
    (again,) = handler.runs
    assert (first.id, first.attempt, again.id, again.attempt) == (job_id, 1, job_id, 2)
    # The first worker coming back late to report changes nothing: the job moved on.
    await service.finish(db, [service.Finished(first, OutboxStatus.failed, None, "too late", None)])
    stored = await row(db, job_id)
    assert (stored.status, stored.attempts, stored.last_error) == (OutboxStatus.done, 2, None)


async def test_a_job_that_died_on_its_last_attempt_is_buried(db: Database, world: World) -> None:
    job_kind = kind()
    (job_id,) = await add(db, world, job_kind)
    for _ in range(2):
        await service.claim(db, kinds=[job_kind], limit=1, lock_s=0.01, max_attempts=2)
        await asyncio.sleep(0.05)
    assert await service.claim(db, kinds=[job_kind], limit=1, lock_s=1, max_attempts=2) == []
    assert await service.bury_abandoned(db, max_attempts=2) >= 1
    stored = await row(db, job_id)
    assert (stored.status, stored.attempts) == (OutboxStatus.dead, 2)
    assert stored.last_error == "the worker stopped during the run"


async def test_finished_jobs_are_pruned_after_the_retention(db: Database, world: World) -> None:
    job_kind = kind()
    old, recent, waiting = await add(db, world, job_kind, count=3)
    async with db.write() as session:
        for job_id, done_at in ((old, utcnow() - timedelta(days=8)), (recent, utcnow())):
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == job_id)
                .values(status=OutboxStatus.done, done_at=done_at)
            )
    await service.prune(db, before=utcnow() - timedelta(days=7))
    async with db.read() as session:
        left = set(await session.scalars(select(OutboxJob.id).where(OutboxJob.kind == job_kind)))
    assert left == {recent, waiting}


async def test_a_stopped_worker_finishes_the_batch_in_hand(
    db: Database, world: World, settings: Settings
) -> None:
    job_kind = kind()
    started = asyncio.Event()

    async def slow(ctx: Context, job: Job) -> Outcome:
        started.set()
        await asyncio.sleep(0.3)
        return Outcome.done()

    registry = Registry()
    registry.register(job_kind, slow)
    ids = await add(db, world, job_kind, count=3)
    worker = Worker(db, registry, settings)
    await worker.start()
    await asyncio.wait_for(started.wait(), 5)
    await worker.stop(grace_s=5)
    async with db.read() as session:
        statuses = set(await session.scalars(select(OutboxJob.status).where(OutboxJob.id.in_(ids))))
    assert statuses == {OutboxStatus.done}


# -- real worker processes --------------------------------------------------------------


@pytest.fixture
async def own_backend(backend: Backend, tmp_path: Path) -> AsyncIterator[Backend]:
    """A database of the test's own on the same engine: the session's test server runs an
    outbox worker on the shared one, which would deliver this test's jobs itself."""
    if backend.name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'own.db'}"
        await upgrade(url)
        yield Backend(backend.name, url, "", backend.redis_channel + ":own")
        return
    name, url = await create_pg_database()
    try:
        await upgrade(url)
        yield Backend(backend.name, url, backend.redis_url, f"{backend.redis_channel}:{name}")
    finally:
        await drop_pg_database(name)


async def _statuses(backend: Backend, tenant_id: int, endpoint_id: int) -> Counter[str]:
    db = Database(backend.database_url)
    try:
        async with db.read() as session:
            found = await session.scalars(
                select(OutboxJob.status).where(
                    OutboxJob.tenant_id == tenant_id,
                    OutboxJob.kind == "webhook",
                    OutboxJob.ref_id == endpoint_id,
                )
            )
            return Counter(str(s) for s in found)
    finally:
        await db.dispose()


@pytest.mark.slow
async def test_worker_killed_mid_batch_delivers_every_event_at_least_once(
    own_backend: Backend, receiver: Receiver, tmp_path: Path
) -> None:
    """`huiliu worker` (batches of 10, a 2 s lock) is killed with SIGKILL while deliveries
    are in flight, then started again: every event arrives, none more than twice; SIGTERM
    then stops it cleanly."""
    backend = own_backend
    db = Database(backend.database_url)
    try:
        world = await make_world(db, TEST_SECRET)
    finally:
        await db.dispose()
    env = server_env(backend, tmp_path)
    srv = ProcessServer(
        {**env, "HUILIU_WORKER_IN_PROCESS": "false"}, free_port(), tmp_path / "server.log"
    )
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, srv.start)
    path = "crash-" + secrets.token_hex(4)
    receiver.delay_s[path] = 0.15  # a slow receiver: the kill lands mid-batch
    events = 41  # the conversation's 'opened' event and 40 texts
    try:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=10) as http:
            endpoint = await create_endpoint(
                http, world.admin.token, receiver, path, ["message.created"]
            )
            session = await widget_session(http, world.widget_key)
            for n in range(events - 1):
                r = await http.post(
                    "/api/v1/conversations",
                    json={
                        "client_msg_id": f"c-{n}",
                        "content": {"type": "text", "text": f"第{n}条"},
                    },
                    headers=bearer(session["visitor_token"]),
                )
                assert r.status_code in (200, 201), r.text
    finally:
        await loop.run_in_executor(None, srv.stop)
    # No server from here on: only the workers touch the outbox.
    assert await _statuses(backend, world.tenant_id, endpoint["id"]) == {"pending": events}
    env |= {
        "HUILIU_OUTBOX_BATCH_SIZE": "10",
        "HUILIU_OUTBOX_LOCK_S": "2",
        "HUILIU_OUTBOX_POLL_S": "0.05",
        "HUILIU_WEBHOOK_TIMEOUT_S": "1",
    }
    first = ProcessWorker(env, tmp_path / "worker-1.log")
    second = ProcessWorker(env, tmp_path / "worker-2.log")
    try:
        first.start()
        await receiver.wait(lambda got: len(got) >= 14, path, timeout=30)
        first.kill()  # mid-batch: some of its ten are sent, some on the wire, none recorded
        at_kill = len(receiver.received(path))
        second.start()
        await receiver.wait(lambda got: len({r.delivery for r in got}) >= events, path, 60)
        deadline = time.monotonic() + 30
        while (statuses := await _statuses(backend, world.tenant_id, endpoint["id"])) != {
            "done": events
        } and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert statuses == {"done": events}
        assert second.terminate() == 0  # SIGTERM: the batch in hand, then a clean exit
    finally:
        first.stop()
        second.stop()
    got = receiver.received(path)
    seen = Counter(r.delivery for r in got)
    assert len(seen) == events  # every event delivered at least once …
    assert max(seen.values()) <= 2  # … and none more than twice
    assert all(r.valid for r in got)
    twice = sorted(d for d, n in seen.items() if n == 2)
    output = (tmp_path / "worker-2.log").read_text()
    assert "outbox worker on" in output
    assert "stopped; in all: processed" in output
    print(
        "\nworker SIGKILL mid-batch:",
        {
            "backend": backend.name,
            "deliveries": events,
            "requests": len(got),
            "seen_at_kill": at_kill,
            "delivered_twice": len(twice),
        },
    )
    # The kill cut one batch short: those of its deliveries that had reached the receiver
    # were sent again once their lock ran out.
    assert len(twice) <= 10


@pytest.mark.slow
async def test_the_embedded_server_delivers_with_no_worker_process(
    receiver: Receiver, tmp_path: Path
) -> None:
    """`huiliu serve` on its defaults (SQLite, as `make run`) drains the outbox itself."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'huiliu.db'}"
    await upgrade(url)
    db = Database(url)
    try:
        world = await make_world(db, TEST_SECRET)
    finally:
        await db.dispose()
    env = {"HUILIU_DATA_DIR": str(tmp_path), "HUILIU_SECRET_KEY": TEST_SECRET}
    srv = ProcessServer(env, free_port(), tmp_path / "server.log")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, srv.start)
    try:
        path = "embedded-" + secrets.token_hex(4)
        async with httpx.AsyncClient(base_url=srv.base_url) as http:
            endpoint = await create_endpoint(
                http, world.admin.token, receiver, path, ["message.created"]
            )
            r = await http.post(
                f"/api/v1/tenant/webhooks/{endpoint['id']}/test",
                headers=bearer(world.admin.token),
            )
            assert r.status_code == 202
        (got,) = await receiver.wait(lambda g: len(g) == 1, path)
        assert got.valid
        assert got.event == "ping"
    finally:
        await loop.run_in_executor(None, srv.stop)
