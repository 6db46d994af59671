"""Tag rules over every customer: the backfill after a rule is made or changed, and the
periodic sweep for what time alone changes (docs/profile.md).

- **Backfill**: the tenant's customers in id order, ``BATCH`` per transaction, decided by
  one statement per batch (``rules.apply_to``). Progress is the rule's
  ``backfill_done / backfill_total``, moved in the batch's transaction under the rule's
  row lock, so processes (and a restarted one) share the work and none of it is lost: a
  process that dies mid-way leaves ``done < total``, which the next sweep anywhere resumes.
- **Sweep** (``HUILIU_TAG_RULES_SWEEP_S``): a windowed fact only changes with time when an
  event leaves the window. So for each enabled windowed rule it re-decides the customers who
  hold its tag (the third visit drops out of "this week"), and, for a rule time can make
  hold (``rules.may_start_holding``: "no order in 90 days"), the customers one of whose
  events left a window since the last sweep — all of them on a process's first sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.contacts import rules
from huiliu.contacts.rules import LoadedRule
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.periodic import Periodic

log = logging.getLogger(__name__)

BATCH = 500  # customers decided per transaction


async def start_backfill(conn: AsyncConnection, *, rule_id: int, tenant_id: int) -> None:
    """Mark the rule to be applied to every customer from the first (in the caller's
    transaction; the backfill itself runs after commit)."""
    total = await conn.scalar(
        select(func.count())
        .select_from(rules.contacts)
        .where(rules.contacts.c.tenant_id == tenant_id)
    )
    await conn.execute(
        update(rules.rules)
        .where(rules.rules.c.id == rule_id)
        .values(backfill_done=0, backfill_total=int(total or 0))
    )


async def backfill_step(
    db: Database, rule_id: int, *, now: datetime | None = None, batch: int = BATCH
) -> bool:
    """Decide the rule for its next batch of customers; False once nothing is left."""
    async with db.write_connection() as conn:
        row = (
            await conn.execute(
                select(rules.rules).where(rules.rules.c.id == rule_id).with_for_update()
            )
        ).first()
        if row is None or not row.enabled or row.backfill_done >= row.backfill_total:
            return False
        rule = LoadedRule(row)
        # Customers are never deleted and new ones come last: the first ``done`` by id are
        # the ones decided (a customer made since was decided by its own events anyway).
        ids = list(
            await conn.scalars(
                select(rules.contacts.c.id)
                .where(rules.contacts.c.tenant_id == rule.tenant_id)
                .order_by(rules.contacts.c.id)
                .offset(row.backfill_done)
                .limit(batch)
            )
        )
        await rules.apply_to(conn, rule, ids, now=now or utcnow())
        done = row.backfill_done + len(ids)
        finished = len(ids) < batch
        total = done if finished else max(row.backfill_total, done)
        await conn.execute(
            update(rules.rules)
            .where(rules.rules.c.id == rule_id)
            .values(backfill_done=done, backfill_total=total)
        )
    return not finished and done < total


async def run_backfill(db: Database, rule_id: int, *, now: datetime | None = None) -> None:
    while True:
        if not await backfill_step(db, rule_id, now=now):
            return
        await asyncio.sleep(0)  # let the message path in between batches


@dataclass
class SweepResult:
    backfilled: int = 0  # rules whose unfinished backfill this sweep finished
    checked: int = 0  # customers re-decided for windowed rules
    added: int = 0
    removed: int = 0


async def sweep(
    db: Database,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    tenant_id: int | None = None,
    batch: int = BATCH,
) -> SweepResult:
    """One sweep at ``now`` (a test's clock), the previous one having run at ``since``
    (None: unknown, as on a process's first). ``tenant_id`` limits it to one merchant."""
    now = now or utcnow()
    result = SweepResult()
    async with db.read() as session:
        stmt = select(rules.rules).where(rules.rules.c.enabled.is_(True))
        if tenant_id is not None:
            stmt = stmt.where(rules.rules.c.tenant_id == tenant_id)
        rows = (await session.execute(stmt.order_by(rules.rules.c.id))).all()
    for row in rows:
        if row.backfill_done < row.backfill_total:
            await run_backfill(db, row.id, now=now)
            result.backfilled += 1
            continue  # just decided for everyone
        rule = LoadedRule(row)
        if not rule.windowed:
            continue
        everyone = since is None and rules.may_start_holding(rule.conditions)
        cursor = 0
        while True:
            ids = await _candidates(db, rule, now=now, since=since, everyone=everyone, after=cursor)
            ids = ids[:batch]
            if not ids:
                break
            async with db.write_connection() as conn:
                gained, lost = await rules.apply_to(conn, rule, ids, now=now)
            result.checked += len(ids)
            result.added += gained
            result.removed += lost
            cursor = ids[-1]
            await asyncio.sleep(0)
    return result


async def _candidates(
    db: Database,
    rule: LoadedRule,
    *,
    now: datetime,
    since: datetime | None,
    everyone: bool,
    after: int,
    batch: int = BATCH,
) -> list[int]:
    """The next customers (by id, after ``after``) whose verdict time may have changed."""
    c = rules.contacts.c
    if everyone:
        stmt: Any = select(c.id.label("cid")).where(c.tenant_id == rule.tenant_id, c.id > after)
    else:
        t = rules.tags.c
        parts: list[Any] = [
            select(t.contact_id.label("cid")).where(t.rule_id == rule.id, t.contact_id > after)
        ]
        if since is not None and since < now and rules.may_start_holding(rule.conditions):
            parts += _left_window(rule, since=since, now=now, after=after)
        stmt = union(*parts) if len(parts) > 1 else parts[0]
    sub = stmt.subquery()
    async with db.read() as session:
        return list(await session.scalars(select(sub.c.cid).order_by(sub.c.cid).limit(batch)))


def _left_window(rule: LoadedRule, *, since: datetime, now: datetime, after: int) -> list[Any]:
    """Customers with an event that was inside a condition's window at ``since`` and is
    outside it at ``now``."""
    parts: list[Any] = []
    for cond in rule.conditions:
        if not rules.is_windowed(cond):
            continue
        lo, hi = since - timedelta(days=cond.days), now - timedelta(days=cond.days)
        table, at = _events_of(cond)
        parts.append(
            select(table.c.contact_id.label("cid")).where(
                table.c.tenant_id == rule.tenant_id,
                at >= lo,
                at < hi,
                table.c.contact_id > after,
            )
        )
    return parts


def _events_of(cond: Any) -> tuple[Any, Any]:
    if isinstance(cond, rules.OrdersSpent | rules.OrdersCount):
        return rules.orders, rules.orders.c.placed_at
    if isinstance(cond, rules.VisitsCount):
        return rules.visits, rules.visits.c.started_at
    return rules.conversations, rules.conversations.c.created_at


class TagRuleSweeper(Periodic):
    """The process's sweep, and the backfills its API calls start (one task per rule)."""

    name = "tag-rule-sweep"

    def __init__(self, db: Database, *, every_s: float) -> None:
        super().__init__(every_s=every_s)
        self._db = db
        self._since: datetime | None = None
        self._backfills: dict[int, asyncio.Task[None]] = {}

    async def once(self) -> SweepResult:
        return await self.sweep_once()

    async def sweep_once(self, now: datetime | None = None) -> SweepResult:
        at = now or utcnow()
        result = await sweep(self._db, now=at, since=self._since)
        self._since = at
        return result

    def backfill(self, rule_ids: Sequence[int]) -> None:
        """Apply the rules to every customer in the background (after the commit that
        marked them); a rule already backfilling on this process is left to that task."""
        for rule_id in rule_ids:
            running = self._backfills.get(rule_id)
            if running is not None and not running.done():
                continue
            task = asyncio.create_task(self._backfill(rule_id), name=f"tag-rule-backfill-{rule_id}")
            self._backfills[rule_id] = task

    async def _backfill(self, rule_id: int) -> None:
        try:
            await run_backfill(self._db, rule_id)
        except Exception:
            # Progress is stored per batch: the next sweep carries on from there.
            log.exception("backfilling tag rule %d failed", rule_id)
        finally:
            self._backfills.pop(rule_id, None)

    async def stop(self) -> None:
        await super().stop()
        tasks = list(self._backfills.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
