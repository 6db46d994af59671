"""Agent presence for reports: status changes at known times split at hour boundaries, the
sampler's occupancy (load × dt, capacity × dt), and the hooks where statuses change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, insert, select, update

from huiliu.accounts.models import Account
from huiliu.analytics import presence
from huiliu.analytics.models import AgentHour, AgentStatusSpan
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation
from huiliu.db import Database
from tests.clients import bearer
from tests.conftest import TEST_SECRET
from tests.factories import World, make_world

accounts = cast(Table, Account.__table__)
agent_hours = cast(Table, AgentHour.__table__)
spans = cast(Table, AgentStatusSpan.__table__)
conversations = cast(Table, Conversation.__table__)
contacts = cast(Table, Contact.__table__)

# Far ahead of the real clock: the test server's own sampler (real time) never counts a
# second of these agents' fake day.
DAY = datetime(2099, 3, 2, tzinfo=UTC)


def t(hh: int, mm: int, ss: int = 0) -> datetime:
    return DAY.replace(hour=hh, minute=mm, second=ss)


@pytest.fixture
async def offline_world(db: Database) -> World:
    """Agents offline at first: nothing counts them before the test's clock does."""
    return await make_world(db, TEST_SECRET, online=False)


async def change(db: Database, world: World, agent_id: int, status: str, at: datetime) -> None:
    """What the status hooks do: the account's status and the report's count, together."""
    async with db.write_connection() as conn:
        await conn.execute(update(accounts).where(accounts.c.id == agent_id).values(status=status))
        await presence.status_changed(
            conn, tenant_id=world.tenant_id, agent_id=agent_id, status=status, at=at
        )


async def hours_of(db: Database, agent_id: int) -> dict[datetime, tuple[float, ...]]:
    async with db.read() as session:
        rows = await session.execute(
            select(agent_hours)
            .where(agent_hours.c.agent_id == agent_id)
            .order_by(agent_hours.c.hour)
        )
        return {r.hour: (r.online_s, r.away_s, r.load_s, r.capacity_s) for r in rows}


async def open_conversations(db: Database, world: World, agent_id: int, n: int) -> list[int]:
    out = []
    async with db.write_connection() as conn:
        for _ in range(n):
            contact = (
                await conn.execute(
                    insert(contacts)
                    .values(tenant_id=world.tenant_id, attributes={}, created_at=DAY)
                    .returning(contacts.c.id)
                )
            ).scalar_one()
            cid = (
                await conn.execute(
                    insert(conversations)
                    .values(
                        tenant_id=world.tenant_id,
                        contact_id=contact,
                        channel="web",
                        status="open",
                        assignee_id=agent_id,
                        assigned_at=DAY,
                        last_seq=0,
                        created_at=DAY,
                        last_message_at=DAY,
                    )
                    .returning(conversations.c.id)
                )
            ).scalar_one()
            out.append(int(cid))
    return out


async def test_status_changes_and_samples_count_exact_seconds_per_hour(
    db: Database, offline_world: World
) -> None:
    world = offline_world
    agent = world.agents[0].id
    async with db.write_connection() as conn:
        await conn.execute(update(accounts).where(accounts.c.id == agent).values(capacity=5))

    await change(db, world, agent, "online", t(10, 59))
    await change(db, world, agent, "away", t(11, 0, 30))  # online 60 s in 10:00, 30 s in 11:00
    await change(db, world, agent, "online", t(11, 10))  # away 570 s
    first, _second = await open_conversations(db, world, agent, 2)
    async with db.write_connection() as conn:  # load 2, capacity 5 for 5 min
        assert await presence.sample(conn, now=t(11, 15), tenant_ids=[world.tenant_id]) == 1
    async with db.write_connection() as conn:
        await conn.execute(
            update(conversations).where(conversations.c.id == first).values(status="closed")
        )
    await change(db, world, agent, "offline", t(11, 20))  # load 1 for the last 5 min
    async with db.write_connection() as conn:  # offline: nothing more counts
        assert await presence.sample(conn, now=t(11, 30), tenant_ids=[world.tenant_id]) == 0

    assert await hours_of(db, agent) == {
        t(10, 0): (60.0, 0.0, 0.0, 5 * 60.0),
        t(11, 0): (
            30.0 + 300 + 300,
            570.0,
            0 * 30 + 2 * 300.0 + 1 * 300,
            5 * 30 + 5 * 300.0 + 5 * 300,
        ),
    }
    async with db.read() as session:
        span = (await session.execute(select(spans).where(spans.c.agent_id == agent))).one()
    assert (span.status, span.since, span.counted_to) == ("offline", t(11, 20), t(11, 20))

    # Counting again up to a time already counted adds nothing.
    await change(db, world, agent, "offline", t(11, 25))
    assert (await hours_of(db, agent))[t(11, 0)][0] == 630.0


async def test_a_stretch_over_several_hours_is_split_at_each_boundary(
    db: Database, offline_world: World
) -> None:
    agent = offline_world.agents[1].id
    await change(db, offline_world, agent, "away", t(8, 45))
    await change(db, offline_world, agent, "offline", t(11, 5, 30))
    assert await hours_of(db, agent) == {
        t(8, 0): (0.0, 900.0, 0.0, 0.0),
        t(9, 0): (0.0, 3600.0, 0.0, 0.0),
        t(10, 0): (0.0, 3600.0, 0.0, 0.0),
        t(11, 0): (0.0, 330.0, 0.0, 0.0),
    }


async def test_the_sampler_picks_up_a_status_no_hook_saw(
    db: Database, offline_world: World
) -> None:
    world = offline_world
    agent = world.agents[0].id
    await open_conversations(db, world, agent, 3)
    mine = [world.tenant_id]
    # A script sets the agent online behind the hooks' back; a sample sees it. (In one
    # transaction: the test server's own sampler, on the real clock, must not see it first.)
    async with db.write_connection() as conn:
        await conn.execute(update(accounts).where(accounts.c.id == agent).values(status="online"))
        assert await presence.sample(conn, now=t(9, 0), tenant_ids=mine) == 0  # from now on
    sampler = presence.Sampler(db, every_s=60)
    assert await sampler.sample_once(t(9, 1), tenant_ids=mine) == 1
    # Then away behind its back too: the next sample counts the online minute up to it.
    async with db.write_connection() as conn:
        await conn.execute(update(accounts).where(accounts.c.id == agent).values(status="away"))
        assert await presence.sample(conn, now=t(9, 2), tenant_ids=mine) == 1
    assert await sampler.sample_once(t(9, 3), tenant_ids=mine) == 1
    assert await hours_of(db, agent) == {
        t(9, 0): (120.0, 60.0, 3 * 120.0, 20 * 120.0),  # the tenant's default capacity, 20
    }


def test_hour_slices() -> None:
    assert list(presence.hour_slices(t(10, 30), t(10, 30))) == []
    assert list(presence.hour_slices(t(10, 30), t(12, 0))) == [
        (t(10, 0), 1800.0),
        (t(11, 0), 3600.0),
    ]


async def test_the_hooks_count_status_changes_made_through_the_api(
    http: httpx.AsyncClient, world: World, db: Database
) -> None:
    """PUT /me/status, an admin's deactivation and an agent whose sockets are gone end and
    start spans (at the real time, so only the order of things is known)."""
    from huiliu.routing import actions as routing_actions

    agent = world.agents[1]
    for status in ("away", "online"):
        r = await http.put(
            "/api/v1/me/status", json={"status": status}, headers=bearer(agent.token)
        )
        assert r.status_code == 200, r.text
        async with db.read() as session:
            span = (await session.execute(select(spans).where(spans.c.agent_id == agent.id))).one()
        assert span.status == status
    r = await http.patch(
        f"/api/v1/accounts/{agent.id}", json={"active": False}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    async with db.read() as session:
        span = (await session.execute(select(spans).where(spans.c.agent_id == agent.id))).one()
        counted: Any = (
            await session.execute(select(agent_hours).where(agent_hours.c.agent_id == agent.id))
        ).all()
    assert span.status == "offline"
    # Away from the first PUT to the second, online from the second to the deactivation.
    assert sum(r.away_s for r in counted) > 0
    assert sum(r.online_s for r in counted) > 0
    assert sum(r.capacity_s for r in counted) == pytest.approx(
        20 * sum(r.online_s for r in counted)
    )

    other = world.agents[0].id  # online since the world was made; no span yet
    await routing_actions.agent_gone(db, tenant_id=world.tenant_id, account_id=other, requeue=False)
    async with db.read() as session:
        span = (await session.execute(select(spans).where(spans.c.agent_id == other))).one()
    assert span.status == "offline"
