"""Facts into buckets: a fact's contribution to its hour's bucket, and ``save_facts``, which
stores conversations' new facts and moves each one's contribution from its old bucket to its
new one in the caller's transaction.

Saving the same facts twice changes nothing, and saving facts computed from raw data is
always right whatever was stored before: buckets stay equal to the sum of their facts.

Callers hold the conversations' row locks (``analytics.fold`` takes them), so two folds of
one conversation never interleave; bucket rows are locked in id order after every missing
one was inserted in key order, so folds of different conversations sharing buckets never
deadlock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.analytics.models import WAIT_BINS, ConversationFact, ReportBucket
from huiliu.db.base import utcnow

facts = cast(Table, ConversationFact.__table__)
buckets = cast(Table, ReportBucket.__table__)

# The columns ``analytics.fold`` computes (every fact column but the key and updated_at).
FACT_FIELDS: tuple[str, ...] = tuple(
    c.name for c in facts.columns if c.name not in ("conversation_id", "updated_at")
)
KEY_FIELDS = ("tenant_id", "hour", "channel", "group_key", "agent_key")
COUNTERS: tuple[str, ...] = tuple(
    c.name
    for c in buckets.columns
    if c.name not in ("id", *KEY_FIELDS, "wait_hist", "wait_bh_hist")
)
HISTOGRAMS = ("wait_hist", "wait_bh_hist")
WITHIN_S = 60  # "answered within a minute"


def hour_of(at: datetime) -> datetime:
    """The UTC hour ``at`` falls in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def bin_of(seconds: float) -> int:
    """The WAIT_BINS bin of a wait: bin i holds waits up to WAIT_BINS[i] (the last: beyond)."""
    return bisect.bisect_left(WAIT_BINS, seconds)


def bucket_key(fact: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        fact["tenant_id"],
        hour_of(fact["opened_at"]),
        fact["channel"],
        fact["group_id"] or 0,
        fact["agent_id"] or 0,
    )


def contribution(fact: Mapping[str, Any]) -> dict[str, Any]:
    """What one conversation's facts add to its bucket: every counter, and one count in each
    histogram it has a wait for."""
    closed = fact["closed_at"] is not None
    person = fact["agent_id"] is not None or fact["first_response_at"] is not None
    out: dict[str, Any] = dict.fromkeys(COUNTERS, 0)
    out["conversations"] = 1
    out["handed_over"] = int(bool(fact["handed_over"]))
    out["closed"] = int(closed)
    out["bot_resolved"] = int(closed and not fact["handed_over"] and not person)
    out["bot_served"] = int(bool(fact["bot_served"]))
    out["bot_handed_over"] = int(bool(fact["bot_served"]) and bool(fact["handed_over"]))
    if fact["first_response_s"] is not None:
        out["responded"] = 1
        out["response_s"] = fact["first_response_s"]
        out["response_within_60"] = int(fact["first_response_s"] <= WITHIN_S)
        bh = fact["first_response_bh_s"]
        bh = fact["first_response_s"] if bh is None else bh
        out["response_bh_s"] = bh
        out["response_bh_within_60"] = int(bh <= WITHIN_S)
    hists: dict[str, list[int]] = {name: [0] * (len(WAIT_BINS) + 1) for name in HISTOGRAMS}
    if fact["wait_s"] is not None:
        bh = fact["wait_s"] if fact["wait_bh_s"] is None else fact["wait_bh_s"]
        out["waited"] = 1
        out["wait_s"] = fact["wait_s"]
        out["wait_bh_s"] = bh
        hists["wait_hist"][bin_of(fact["wait_s"])] = 1
        hists["wait_bh_hist"][bin_of(bh)] = 1
    if fact["handling_s"] is not None:
        out["handled"] = 1
        out["handling_s"] = fact["handling_s"]
    out["transfers"] = fact["transfers"]
    out["messages_customer"] = fact["messages_customer"]
    out["messages_agent"] = fact["messages_agent"]
    out["surveyed"] = int(bool(fact["surveyed"]))
    score, scale = fact["rating_score"], fact["rating_scale"]
    if score is not None and scale:
        out["rated"] = 1
        out["rating_sum"] = (score - 1) / (scale - 1)
        out["satisfied"] = int(score == scale)
    out.update(hists)
    return out


def _same(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return all(old[name] == new[name] for name in FACT_FIELDS)


def empty_bucket() -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(COUNTERS, 0)
    out |= {name: [0] * (len(WAIT_BINS) + 1) for name in HISTOGRAMS}
    return out


def add_into(total: dict[str, Any], delta: Mapping[str, Any], sign: int = 1) -> None:
    """``total`` += ``sign`` · ``delta`` (counters and histograms)."""
    for name in COUNTERS:
        total[name] += sign * delta[name]
    for name in HISTOGRAMS:
        current = total[name] or [0] * (len(WAIT_BINS) + 1)
        total[name] = [a + sign * b for a, b in zip(current, delta[name], strict=True)]


def is_zero(delta: Mapping[str, Any]) -> bool:
    return all(delta[name] == 0 for name in COUNTERS) and not any(
        any(delta[name]) for name in HISTOGRAMS
    )


def buckets_of(all_facts: Iterable[Mapping[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The buckets a set of facts adds up to, computed in memory (a recomputation, and the
    benchmark's generator)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for fact in all_facts:
        key = bucket_key(fact)
        if key not in out:
            out[key] = empty_bucket()
        add_into(out[key], contribution(fact))
    return out


async def save_fact(conn: AsyncConnection, conversation_id: int, fact: Mapping[str, Any]) -> bool:
    """Store ``fact`` (every FACT_FIELDS value) as the conversation's facts and move its
    bucket contribution, in the caller's transaction; False when nothing changed."""
    return bool(await save_facts(conn, {conversation_id: fact}))


async def save_facts(conn: AsyncConnection, new: Mapping[int, Mapping[str, Any]]) -> list[int]:
    """Store each conversation's facts (conversation id → every FACT_FIELDS value) and move
    the bucket contributions of those that changed, in the caller's transaction, in a fixed
    handful of statements whatever their number; the ids of those that changed."""
    if not new:
        return []
    ids = sorted(new)
    found = await conn.execute(
        select(facts)
        .where(facts.c.conversation_id.in_(ids))
        .order_by(facts.c.conversation_id)
        .with_for_update()
    )
    old = {int(row["conversation_id"]): dict(row) for row in found.mappings()}
    deltas: dict[tuple[Any, ...], dict[str, Any]] = {}

    def move(fact: Mapping[str, Any], sign: int) -> None:
        key = bucket_key(fact)
        if key not in deltas:
            deltas[key] = empty_bucket()
        add_into(deltas[key], contribution(fact), sign)

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    for cid in ids:
        fact, before = new[cid], old.get(cid)
        if before is not None and _same(before, fact):
            continue
        move(fact, 1)
        values = {name: fact[name] for name in FACT_FIELDS}
        if before is None:
            inserts.append({"conversation_id": cid, **values, "updated_at": now})
        else:
            move(before, -1)
            updates.append(
                {"b_cid": cid, **{f"b_{k}": v for k, v in values.items()}, "b_updated_at": now}
            )
    if inserts:
        await conn.execute(insert(facts), inserts)
    if updates:
        await conn.execute(
            update(facts)
            .where(facts.c.conversation_id == bindparam("b_cid"))
            .values({name: bindparam(f"b_{name}") for name in (*FACT_FIELDS, "updated_at")}),
            updates,
        )
    await add_to_buckets(conn, deltas)
    return [row["conversation_id"] for row in inserts] + [row["b_cid"] for row in updates]


async def add_to_buckets(
    conn: AsyncConnection, deltas: Mapping[tuple[Any, ...], Mapping[str, Any]]
) -> None:
    """Add each delta (bucket key → counters and histograms) to its bucket, creating the
    missing ones, in the caller's transaction."""
    keys = sorted(key for key, delta in deltas.items() if not is_zero(delta))
    if not keys:
        return
    # Missing buckets first, in key order: two transactions inserting the same new keys
    # wait for each other in the same order.
    blank = empty_bucket()
    rows = [dict(zip(KEY_FIELDS, key, strict=True)) | blank for key in keys]
    if conn.dialect.name == "postgresql":
        ensure: Any = postgresql.insert(buckets).on_conflict_do_nothing()
    else:
        ensure = sqlite.insert(buckets).on_conflict_do_nothing()
    await conn.execute(ensure, rows)
    key_columns = tuple_(*(buckets.c[name] for name in KEY_FIELDS))
    locked = await conn.execute(
        select(buckets).where(key_columns.in_(keys)).order_by(buckets.c.id).with_for_update()
    )
    changes: list[dict[str, Any]] = []
    for row in locked.mappings():
        key = tuple(row[name] for name in KEY_FIELDS)
        total = {name: row[name] for name in (*COUNTERS, *HISTOGRAMS)}
        add_into(total, deltas[key])
        changes.append({"b_id": row["id"], **{f"b_{k}": v for k, v in total.items()}})
    await conn.execute(
        update(buckets)
        .where(buckets.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in (*COUNTERS, *HISTOGRAMS)}),
        changes,
    )
