"""The drill-down: the conversations behind a report's number (docs/reports.md), read from
the per-conversation facts with the window's filters and the number's condition — a page at
a time for the console, every one in chunks for the export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.analytics import queries
from huiliu.analytics.queries import accounts, facts, terms
from huiliu.analytics.schemas import ConversationPage, ConversationRow, Metric, Named
from huiliu.analytics.window import HOUR, Window
from huiliu.contacts.models import Contact
from huiliu.errors import InvalidInput
from huiliu.routing.models import Group

COUNT_CAP = 10_000  # a drill-down counts its conversations up to this many


def metric_condition(metric: Metric, *, business_hours: bool) -> ColumnElement[bool]:
    """The conversations a number counts, on the facts (as ``rollup.contribution`` counts)."""
    f = facts.c
    fr = f.first_response_s
    fr_x = func.coalesce(f.first_response_bh_s, fr) if business_hours else fr
    rated = queries.is_rated()
    conditions: dict[str, Callable[[], ColumnElement[bool]]] = {
        "conversations": lambda: true(),
        "handed_over": lambda: f.handed_over.is_(True),
        "bot_served": lambda: f.bot_served.is_(True),
        "bot_handed_over": lambda: and_(f.bot_served.is_(True), f.handed_over.is_(True)),
        "closed": lambda: f.closed_at.is_not(None),
        "bot_resolved": queries.is_bot_resolved,
        "responded": lambda: fr.is_not(None),
        "responded_within_60": lambda: and_(fr.is_not(None), fr_x <= queries.WITHIN_S),
        "responded_later": lambda: and_(fr.is_not(None), fr_x > queries.WITHIN_S),
        "waited": lambda: f.wait_s.is_not(None),
        "handled": lambda: f.handling_s.is_not(None),
        "transferred": lambda: f.transfers > 0,
        "surveyed": lambda: f.surveyed.is_(True),
        "rated": lambda: rated,
        "unrated": lambda: and_(f.surveyed.is_(True), f.rating_score.is_(None)),
        "satisfied": lambda: and_(rated, f.rating_score == f.rating_scale),
        # The lower half of the scale: 1 of 2 or 3, 1–2 of 5.
        "unsatisfied": lambda: and_(rated, (f.rating_score - 1) * 2 < f.rating_scale - 1),
    }
    return conditions[metric]()


def mentioning(w: Window, term: str) -> Select[Any]:
    """The conversations that mentioned ``term`` on the window's days (``report_terms``)."""
    t = terms.c
    return select(t.conversation_id).where(
        t.tenant_id == w.tenant_id, t.term == term, t.day >= w.first, t.day <= w.last
    )


def check_hour(w: Window, hour: datetime | None) -> datetime | None:
    if hour is None:
        return None
    if hour.tzinfo is None:
        raise InvalidInput(
            "hour needs a time zone offset (e.g. 2026-03-01T08:00:00Z)", field="hour"
        )
    try:
        hour = hour.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput("hour is out of range", field="hour") from None
    if hour.minute or hour.second or hour.microsecond:
        raise InvalidInput("hour must be a whole UTC hour", field="hour")
    if not w.first_hour <= hour < w.end_hour:
        raise InvalidInput("hour is outside the period", field="hour")
    return hour


def drill_where(
    w: Window, *, metric: Metric, term: str | None = None, hour: datetime | None = None
) -> list[ColumnElement[bool]]:
    """The facts behind a number: the window's filters and the metric's condition; with a
    ``term`` the conversations that mentioned it on the window's days (the days hot words
    count, in the tenant's zone), with an ``hour`` those of that UTC hour."""
    where = queries.fact_filters(w) if term is not None else queries.fact_where(w)
    where.append(metric_condition(metric, business_hours=w.business_hours))
    if term is not None:
        where.append(facts.c.conversation_id.in_(mentioning(w, term)))
    if hour is not None:
        where += [facts.c.opened_at >= hour, facts.c.opened_at < hour + HOUR]
    return where


def _row_select(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    f = facts.c
    agent = accounts.alias("agent")
    return (
        select(facts, Contact.name.label("contact_name"), Group.name.label("group_name"))
        .add_columns(agent.c.name.label("agent_name"))
        .select_from(
            facts.outerjoin(Contact, Contact.id == f.contact_id)
            .outerjoin(Group, Group.id == f.group_id)
            .outerjoin(agent, agent.c.id == f.agent_id)
        )
        .where(*where)
        .order_by(f.opened_at.desc(), f.conversation_id.desc())
    )


def conversation_row(row: Any) -> ConversationRow:
    m = row._mapping
    return ConversationRow(
        conversation_id=m["conversation_id"],
        contact=Named(id=m["contact_id"], name=m["contact_name"]),
        channel=m["channel"],
        group=None if m["group_id"] is None else Named(id=m["group_id"], name=m["group_name"]),
        agent=None if m["agent_id"] is None else Named(id=m["agent_id"], name=m["agent_name"]),
        opened_at=m["opened_at"],
        closed_at=m["closed_at"],
        closed_by=m["closed_by"],
        handed_over=bool(m["handed_over"]),
        wait_s=m["wait_s"],
        wait_bh_s=m["wait_bh_s"],
        first_response_s=m["first_response_s"],
        first_response_bh_s=m["first_response_bh_s"],
        handling_s=m["handling_s"],
        transfers=m["transfers"],
        messages_customer=m["messages_customer"],
        messages_agent=m["messages_agent"],
        surveyed=bool(m["surveyed"]),
        rating_score=m["rating_score"],
        rating_scale=m["rating_scale"],
    )


async def count_conversations(
    session: AsyncSession,
    w: Window,
    *,
    metric: Metric,
    term: str | None,
    hour: datetime | None,
    cap: int | None = None,
) -> int:
    """How many conversations are behind a number; with ``cap``, counted up to cap + 1 only
    (reads at most that many facts)."""
    where = drill_where(w, metric=metric, term=term, hour=hour)
    if cap is None:
        stmt = select(func.count()).select_from(facts).where(*where)
    else:
        found = select(facts.c.conversation_id).where(*where).limit(cap + 1).subquery()
        stmt = select(func.count()).select_from(found)
    return int(await session.scalar(stmt) or 0)


async def conversations(
    session: AsyncSession,
    w: Window,
    *,
    metric: Metric = "conversations",
    term: str | None = None,
    hour: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> ConversationPage:
    """The conversations behind a number, newest first, a page at a time, with their total
    (counted up to ``COUNT_CAP``: past it ``capped`` and the report's figure tell the rest)."""
    hour = check_hour(w, hour)
    where = drill_where(w, metric=metric, term=term, hour=hour)
    total = await count_conversations(
        session, w, metric=metric, term=term, hour=hour, cap=COUNT_CAP
    )
    stmt = _row_select(where).limit(per_page).offset((page - 1) * per_page)
    rows = [conversation_row(r) for r in await session.execute(stmt)]
    return ConversationPage(
        period=w.period("conversations"),
        metric=metric,
        term=term,
        hour=hour,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        page=page,
        per_page=per_page,
        conversations=rows,
    )


async def iter_conversations(
    session: AsyncSession,
    w: Window,
    *,
    metric: Metric,
    term: str | None,
    hour: datetime | None,
    chunk: int = 2000,
) -> AsyncIterator[ConversationRow]:
    """Every conversation behind a number, newest first, read ``chunk`` rows at a time
    (keyset: no OFFSET), for the export."""
    where = drill_where(w, metric=metric, term=term, hour=hour)
    f = facts.c
    after: tuple[datetime, int] | None = None
    while True:
        stmt = _row_select(where)
        if after is not None:
            stmt = stmt.where(
                (f.opened_at < after[0])
                | and_(f.opened_at == after[0], f.conversation_id < after[1])
            )
        rows = list(await session.execute(stmt.limit(chunk)))
        for row in rows:
            yield conversation_row(row)
        if len(rows) < chunk:
            return
        last = rows[-1]._mapping
        after = (last["opened_at"], last["conversation_id"])
