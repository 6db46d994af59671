"""Hot words: the terms customers mentioned most in a period, and those rising against the
previous period of equal length (docs/reports.md).

Terms are counted per conversation on the day it opened in the tenant's report time zone
(``report_term_days``, written by ``analytics.terms`` when a conversation closes). Narrowed to
channels, groups, agents or a tag, the same counts come from each conversation's terms
(``report_terms``) joined with its facts. Each term drills down with
``GET /reports/conversations?term=…`` over the same days.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.analytics import queries
from huiliu.analytics.models import TermDay
from huiliu.analytics.schemas import Figure, HotWords, TermRow
from huiliu.analytics.window import Source, Window

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

term_days = cast(Table, TermDay.__table__)


def previous_period(w: Window) -> tuple[date, date]:
    """The days just before the window, as many as it has."""
    days = (w.last - w.first).days + 1
    return w.first - timedelta(days=days), w.first - timedelta(days=1)


def _from_term_days(w: Window, since: date) -> Select[Any]:
    d = term_days.c
    now = d.day >= w.first
    current = func.coalesce(func.sum(case((now, d.conversations), else_=0)), 0)
    before = func.coalesce(func.sum(case((now, 0), else_=d.conversations)), 0)
    mentions = func.coalesce(func.sum(case((now, d.mentions), else_=0)), 0)
    return (
        select(d.term, current.label("current"), before.label("before"), mentions.label("m"))
        .where(d.tenant_id == w.tenant_id, d.day >= since, d.day <= w.last)
        .group_by(d.term)
    )


def _from_terms(w: Window, since: date) -> Select[Any]:
    t, f = queries.terms.c, queries.facts.c
    now = t.day >= w.first
    current = func.coalesce(func.sum(case((now, 1), else_=0)), 0)
    before = func.coalesce(func.sum(case((now, 0), else_=1)), 0)
    mentions = func.coalesce(func.sum(case((now, t.mentions), else_=0)), 0)
    return (
        select(t.term, current.label("current"), before.label("before"), mentions.label("m"))
        .select_from(queries.terms.join(queries.facts, f.conversation_id == t.conversation_id))
        .where(t.tenant_id == w.tenant_id, t.day >= since, t.day <= w.last)
        .where(*queries.fact_filters(w))
        .group_by(t.term)
    )


def _row(row: Any) -> TermRow:
    current, before = int(row.current), int(row.before)
    return TermRow(
        term=row.term,
        conversations=Figure(value=current, metric="conversations"),
        mentions=int(row.m),
        previous=before,
        change=current - before,
        change_rate=(current - before) / before if before else None,
    )


async def hot_words(
    session: AsyncSession,
    w: Window,
    *,
    limit: int = DEFAULT_LIMIT,
    source: Source | None = None,
) -> HotWords:
    """The ``limit`` terms in most conversations (ties: more mentions, then the term), and
    the ``limit`` terms that gained most conversations over the previous period (new terms
    included; only those that gained; ties: more conversations, more mentions, the term)."""
    since, until = previous_period(w)
    src: Source = source or ("conversations" if w.filtered else "buckets")
    counts = (_from_terms if src == "conversations" else _from_term_days)(w, since).subquery()
    c = counts.c
    gained: ColumnElement[Any] = c.current - c.before
    top = select(counts).where(c.current > 0).order_by(c.current.desc(), c.m.desc(), c.term)
    rising = (
        select(counts)
        .where(gained > 0)
        .order_by(gained.desc(), c.current.desc(), c.m.desc(), c.term)
    )
    return HotWords(
        period=w.period(src),
        previous_from=since,
        previous_to=until,
        top=[_row(r) for r in await session.execute(top.limit(limit))],
        rising=[_row(r) for r in await session.execute(rising.limit(limit))],
    )
