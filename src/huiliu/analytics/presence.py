"""Agent presence for reports: seconds online and away per agent per UTC hour, and the load
they carried while online (``report_agent_hours``).
docs/analytics.md tells the rules.

- ``status_changed`` is called in the transaction of every status change (the agent's own,
  going offline when their sockets are gone, deactivation): the time since the agent's last
  count goes to their previous status, split at hour boundaries; their span
  (``report_agent_status``) then starts again with the new status.
- ``sample`` (every ``HUILIU_REPORT_SAMPLE_S`` seconds, beside the outbox worker) counts
  every online or away agent's time up to now the same way, so the current hour is never
  behind by more than a sample; and for the online time it counts it adds **load × dt** and
  **capacity × dt** — the open conversations assigned to the agent and their capacity at that
  moment, times the seconds since the agent's last count. Occupancy = load_s / capacity_s is
  therefore *sampled*: load changes between two samples are seen at the next one. A status
  change counts its last online stretch the same way, so ``capacity_s`` covers every online
  second.
- An agent whose status changed where no hook saw it (accounts made online by a script) is
  picked up by the next sample as if the change happened then.

Every function takes the time (``at``, ``now``): tests pass a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.accounts.models import Account, AgentStatus
from huiliu.analytics.models import AgentHour, AgentStatusSpan
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.periodic import Periodic
from huiliu.tenants.models import Tenant

agent_hours = cast(Table, AgentHour.__table__)
spans = cast(Table, AgentStatusSpan.__table__)
accounts = cast(Table, Account.__table__)
conversations = cast(Table, Conversation.__table__)
tenants = cast(Table, Tenant.__table__)

COUNTED = (AgentStatus.online.value, AgentStatus.away.value)
DEFAULT_CAPACITY = 20  # as routing: a tenant without default_capacity


def hour_slices(start: datetime, end: datetime) -> Iterator[tuple[datetime, float]]:
    """(UTC hour, seconds) of ``start`` → ``end``, split at every hour boundary."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    while start < end:
        hour = start.replace(minute=0, second=0, microsecond=0)
        cut = min(end, hour + timedelta(hours=1))
        yield hour, (cut - start).total_seconds()
        start = cut


@dataclass(frozen=True)
class Stretch:
    """One agent's time to count: ``status`` from ``start`` to ``end`` with ``load`` open
    conversations and ``capacity`` (both used for online time only)."""

    tenant_id: int
    agent_id: int
    status: str
    start: datetime
    end: datetime
    load: int = 0
    capacity: int = 0


def _rows(stretch: Stretch) -> list[dict[str, Any]]:
    if stretch.status not in COUNTED:
        return []
    online = stretch.status == AgentStatus.online.value
    out = []
    for hour, seconds in hour_slices(stretch.start, stretch.end):
        out.append(
            {
                "tenant_id": stretch.tenant_id,
                "agent_id": stretch.agent_id,
                "hour": hour,
                "online_s": seconds if online else 0.0,
                "away_s": 0.0 if online else seconds,
                "load_s": stretch.load * seconds if online else 0.0,
                "capacity_s": stretch.capacity * seconds if online else 0.0,
            }
        )
    return out


async def _count(conn: AsyncConnection, stretches: Sequence[Stretch]) -> None:
    """Add the stretches' seconds to their agents' hours (one upsert statement)."""
    merged: dict[tuple[int, int, datetime], dict[str, Any]] = {}
    for stretch in stretches:
        for row in _rows(stretch):
            key = (row["tenant_id"], row["agent_id"], row["hour"])
            if key in merged:
                for name in ("online_s", "away_s", "load_s", "capacity_s"):
                    merged[key][name] += row[name]
            else:
                merged[key] = row
    if not merged:
        return
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(agent_hours)
    stmt = stmt.on_conflict_do_update(
        index_elements=[agent_hours.c.tenant_id, agent_hours.c.agent_id, agent_hours.c.hour],
        set_={
            name: agent_hours.c[name] + stmt.excluded[name]
            for name in ("online_s", "away_s", "load_s", "capacity_s")
        },
    )
    await conn.execute(stmt, [merged[key] for key in sorted(merged)])  # in key order: no cycles


async def _loads(conn: AsyncConnection, agent_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """agent → (open conversations assigned, effective capacity), as routing counts them."""
    if not agent_ids:
        return {}
    loads: dict[int, int] = dict(
        (
            await conn.execute(
                select(conversations.c.assignee_id, func.count())
                .where(
                    conversations.c.assignee_id.in_(agent_ids),
                    conversations.c.status == ConversationStatus.open.value,
                )
                .group_by(conversations.c.assignee_id)
            )
        ).all()
    )
    out: dict[int, tuple[int, int]] = {}
    for row in await conn.execute(
        select(accounts.c.id, accounts.c.capacity, tenants.c.default_capacity)
        .join(tenants, tenants.c.id == accounts.c.tenant_id)
        .where(accounts.c.id.in_(agent_ids))
    ):
        capacity = row.capacity if row.capacity is not None else row.default_capacity
        out[int(row.id)] = (int(loads.get(row.id, 0)), int(capacity or DEFAULT_CAPACITY))
    return out


async def status_changed(
    conn: AsyncConnection, *, tenant_id: int, agent_id: int, status: str, at: datetime
) -> None:
    """The agent's status is ``status`` from ``at`` on: count their time since their last
    count under the status they had, and start a new span. Call it in the transaction that
    changes the status."""
    status = str(getattr(status, "value", status))
    span = (
        await conn.execute(select(spans).where(spans.c.agent_id == agent_id).with_for_update())
    ).first()
    if span is None:
        values = {"tenant_id": tenant_id, "status": status, "since": at, "counted_to": at}
        dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        await conn.execute(
            dialect.insert(spans)
            .values(agent_id=agent_id, **values)
            .on_conflict_do_update(index_elements=[spans.c.agent_id], set_=values)
        )
        return
    start = max(span.counted_to, span.since)
    if at > start and span.status in COUNTED:
        load, capacity = (0, 0)
        if span.status == AgentStatus.online.value:
            load, capacity = (await _loads(conn, [agent_id])).get(agent_id, (0, 0))
        await _count(
            conn, [Stretch(span.tenant_id, agent_id, span.status, start, at, load, capacity)]
        )
    changes: dict[str, Any] = {"counted_to": max(at, start), "tenant_id": tenant_id}
    if status != span.status:
        changes |= {"status": status, "since": at}
    await conn.execute(update(spans).where(spans.c.agent_id == agent_id).values(**changes))


async def sample(
    conn: AsyncConnection, *, now: datetime, tenant_ids: Sequence[int] | None = None
) -> int:
    """Count every online or away agent's time up to ``now`` (with load and capacity for the
    online time), and pick up status changes no hook saw; how many agents it counted. Every
    tenant's agents, or only ``tenant_ids``'."""
    account_status = accounts.c.status.label("account_status")
    these = accounts.c.tenant_id.in_(tenant_ids) if tenant_ids is not None else true()
    rows = (
        await conn.execute(
            select(spans, account_status, accounts.c.active)
            .join(accounts, accounts.c.id == spans.c.agent_id)
            .where(these, or_(spans.c.status.in_(COUNTED), accounts.c.status.in_(COUNTED)))
            .order_by(spans.c.agent_id)
            .with_for_update(of=spans)
        )
    ).all()
    unseen = (
        await conn.execute(
            select(accounts.c.id, accounts.c.tenant_id, accounts.c.status)
            .select_from(accounts.outerjoin(spans, spans.c.agent_id == accounts.c.id))
            .where(
                these,
                accounts.c.status.in_(COUNTED),
                accounts.c.active.is_(True),
                spans.c.agent_id.is_(None),
            )
        )
    ).all()
    loads = await _loads(conn, [r.agent_id for r in rows if r.status == AgentStatus.online.value])
    stretches: list[Stretch] = []
    moved: list[dict[str, Any]] = []
    for r in rows:
        status = str(r.account_status) if r.active else AgentStatus.offline.value
        start = max(r.counted_to, r.since)
        if now > start and r.status in COUNTED:
            load, capacity = loads.get(r.agent_id, (0, 0))
            stretches.append(Stretch(r.tenant_id, r.agent_id, r.status, start, now, load, capacity))
        moved.append(
            {
                "b_agent": r.agent_id,
                "b_status": status,
                "b_since": now if status != r.status else r.since,
                "b_counted_to": max(now, start),
            }
        )
    await _count(conn, stretches)
    if moved:
        await conn.execute(
            update(spans)
            .where(spans.c.agent_id == bindparam("b_agent"))
            .values(
                status=bindparam("b_status"),
                since=bindparam("b_since"),
                counted_to=bindparam("b_counted_to"),
            ),
            moved,
        )
    if unseen:
        dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        await conn.execute(
            dialect.insert(spans).on_conflict_do_nothing(),
            [
                {
                    "agent_id": r.id,
                    "tenant_id": r.tenant_id,
                    "status": str(r.status),
                    "since": now,
                    "counted_to": now,
                }
                for r in unseen
            ],
        )
    return len(stretches)


class Sampler(Periodic):
    """Runs ``sample`` every ``every_s`` seconds beside an outbox worker (inside
    ``huiliu serve`` when it runs one, and in ``huiliu worker``). Several at once are
    harmless: each counts only the time since the last count."""

    name = "report-presence-sampler"

    def __init__(self, db: Database, *, every_s: float) -> None:
        super().__init__(every_s=every_s)
        self._db = db

    async def once(self) -> int:
        return await self.sample_once()

    async def sample_once(
        self, now: datetime | None = None, *, tenant_ids: Sequence[int] | None = None
    ) -> int:
        """One sample (``now``: a test's clock)."""
        async with self._db.write_connection() as conn:
            return await sample(conn, now=now or utcnow(), tenant_ids=tenant_ids)
