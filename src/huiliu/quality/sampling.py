"""Drawing a sample: the candidates (closed conversations of the period, served by a
person, matching the filters, in no batch yet) and the pick by mode.

Ratings, handling times and message counts come from the report facts
(``report_conversations``); a conversation without a fact falls back to its own columns:
its 1–5 star ``rating_score``, ``closed_at - assigned_at``, and ``last_seq`` (its log's
length). Random picks use ``random.Random(seed)`` over the candidates in id order, so the
same candidates and seed give the same sample.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.analytics.models import ConversationFact
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.quality.models import QualityBatchItem, SampleMode

conversations = cast(Table, Conversation.__table__)
facts = cast(Table, ConversationFact.__table__)
items = cast(Table, QualityBatchItem.__table__)

STAR_SCALE = 5  # conversations.rating_score is 1–5 stars


@dataclass(frozen=True, slots=True)
class Candidate:
    conversation_id: int
    agent_id: int
    group_id: int | None
    channel: str
    closed_at: datetime
    rating_score: int | None
    rating_scale: int | None
    handling_s: float | None
    messages: int | None

    @property
    def rating(self) -> float | None:
        """The rating on 0..1 whatever its scale (1 of 5 and 1 of 3 are both 0)."""
        if self.rating_score is None or not self.rating_scale or self.rating_scale < 2:
            return None
        return (self.rating_score - 1) / (self.rating_scale - 1)


def _candidate(row: Any) -> Candidate:
    has_fact = row.fact_id is not None
    if has_fact and row.f_rating_score is not None and row.f_rating_scale:
        score, scale = row.f_rating_score, row.f_rating_scale
    elif row.c_rating_score is not None:
        score, scale = row.c_rating_score, STAR_SCALE
    else:
        score, scale = None, None
    handling: float | None = row.f_handling_s if has_fact else None
    if handling is None and row.assigned_at is not None:
        handling = max(0.0, (row.closed_at - row.assigned_at).total_seconds())
    if has_fact:
        messages = int(row.messages_customer) + int(row.messages_agent)
    else:
        messages = int(row.last_seq)
    return Candidate(
        conversation_id=row.id,
        agent_id=row.agent_id,
        group_id=row.group_id,
        channel=row.channel,
        closed_at=row.closed_at,
        rating_score=score,
        rating_scale=scale,
        handling_s=handling,
        messages=messages,
    )


async def candidates(
    session: AsyncSession,
    *,
    tenant_id: int,
    since: datetime,
    until: datetime,
    channel: str | None = None,
    group_id: int | None = None,
    agent_id: int | None = None,
    scope: frozenset[int] | None = None,
) -> list[Candidate]:
    """The conversations a sample is drawn from, in id order; ``scope``: only those of
    these groups (None: any)."""
    c, f = conversations.c, facts.c
    agent = func.coalesce(f.agent_id, c.assignee_id)
    group = func.coalesce(f.group_id, c.group_id)
    stmt = (
        select(
            c.id,
            c.channel,
            c.closed_at,
            c.assigned_at,
            c.last_seq,
            c.rating_score.label("c_rating_score"),
            f.conversation_id.label("fact_id"),
            f.rating_score.label("f_rating_score"),
            f.rating_scale.label("f_rating_scale"),
            f.handling_s.label("f_handling_s"),
            f.messages_customer,
            f.messages_agent,
            agent.label("agent_id"),
            group.label("group_id"),
        )
        .select_from(conversations.outerjoin(facts, f.conversation_id == c.id))
        .where(
            c.tenant_id == tenant_id,
            c.status == ConversationStatus.closed.value,
            c.closed_at >= since,
            c.closed_at < until,
            agent.is_not(None),
            ~exists().where(and_(items.c.tenant_id == tenant_id, items.c.conversation_id == c.id)),
        )
        .order_by(c.id)
    )
    if channel is not None:
        stmt = stmt.where(c.channel == channel)
    if group_id is not None:
        stmt = stmt.where(group == group_id)
    if scope is not None:
        stmt = stmt.where(group.in_(sorted(scope)))
    if agent_id is not None:
        stmt = stmt.where(agent == agent_id)
    return [_candidate(row) for row in await session.execute(stmt)]


def pick(
    pool: Sequence[Candidate],
    *,
    mode: SampleMode,
    n: int,
    seed: int,
    long_by: str = "handling",
) -> list[Candidate]:
    """The sample, in the order it is reviewed. ``pool`` is in id order."""
    if mode is SampleMode.random:
        # Reproducible by design (a stored seed), not a secret: no cryptographic RNG.
        return random.Random(seed).sample(list(pool), min(n, len(pool)))  # noqa: S311
    if mode is SampleMode.low_score:
        rated = [c for c in pool if c.rating is not None]
        rated.sort(key=lambda c: (c.rating, c.closed_at, c.conversation_id))
        return rated[:n]
    if mode is SampleMode.long:

        def metric(c: Candidate) -> float | None:
            return c.handling_s if long_by == "handling" else c.messages

        measured = [c for c in pool if metric(c) is not None]
        measured.sort(key=lambda c: (-(metric(c) or 0.0), c.conversation_id))
        return measured[:n]
    # by_agent: n per agent at random, agents in id order.
    rng = random.Random(seed)  # noqa: S311
    by_agent: dict[int, list[Candidate]] = {}
    for c in pool:
        by_agent.setdefault(c.agent_id, []).append(c)
    picked: list[Candidate] = []
    for agent_id in sorted(by_agent):
        own = by_agent[agent_id]
        picked.extend(rng.sample(own, min(n, len(own))))
    return picked
