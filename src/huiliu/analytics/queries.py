"""The reports, computed from the rollups (docs/reports.md has every formula).

A report resolves its filters into a ``Window`` (``window.resolve``), then adds up the hourly
buckets (``report_buckets``) of the UTC hours whose start falls on one of its days in the
report time zone — a few hundred rows, never the messages. With a contact ``tag`` the same
sums come from the per-conversation facts (``report_conversations``) of tagged customers,
through the same functions, so both paths give the same numbers for the same
conversations. Ticket SLA compliance reads ``tickets``; occupancy ``report_agent_hours``.

Every report is a function ``(session, window, …)`` callable without HTTP (``REPORTS``), for
the API and for the benchmark.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    Table,
    and_,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account, Role
from huiliu.analytics import rollup
from huiliu.analytics.models import WAIT_BINS, AgentHour, ConversationTerm
from huiliu.analytics.schemas import (
    AgentRow,
    AgentsReport,
    Breakdown,
    BreakdownBy,
    BreakdownRow,
    Figure,
    FirstResponse,
    Handling,
    Interval,
    Metric,
    Named,
    Occupancy,
    Overview,
    QueueWait,
    Satisfaction,
    Series,
    SeriesMetric,
    SeriesPoint,
    SlaClockNumbers,
    TicketNumbers,
)
from huiliu.analytics.window import Source, Window
from huiliu.contacts.models import ContactTag
from huiliu.db.base import UTCDateTime, utcnow
from huiliu.routing.models import Group, GroupMember
from huiliu.tickets.models import Ticket, TicketStatus

HIST_LEN = len(WAIT_BINS) + 1
WITHIN_S = rollup.WITHIN_S

# The channel names as the Chinese UI shows them (frontend/src/i18n/zh-CN.ts).
CHANNEL_LABELS = {
    "web": "网页",
    "app": "App",
    "wechat": "微信公众号",
    "weibo": "微博",
    "email": "邮件",
    "sms": "短信",
    "phone": "电话",
    "api": "API",
}
NO_GROUP = "（无分组）"
NO_AGENT = "（机器人，无人工）"


facts = rollup.facts
buckets = rollup.buckets
agent_hours = cast(Table, AgentHour.__table__)
tickets = cast(Table, Ticket.__table__)
terms = cast(Table, ConversationTerm.__table__)
accounts = cast(Table, Account.__table__)


# --- totals: what buckets (or facts) add up to ----------------------------------------------


@dataclass
class Totals:
    """The bucket counters of a set of conversations, and its queue-wait histogram (the
    business-hours one when the window asks for business hours)."""

    values: dict[str, float] = field(default_factory=lambda: dict.fromkeys(rollup.COUNTERS, 0))
    hist: list[int] = field(default_factory=lambda: [0] * HIST_LEN)

    def add(self, other: Totals) -> None:
        for name, value in other.values.items():
            self.values[name] += value
        self.hist = [a + b for a, b in zip(self.hist, other.hist, strict=True)]

    def __getitem__(self, name: str) -> float:
        return self.values[name]


Dim = Literal["hour", "channel", "group", "agent"]
Key = tuple[Any, ...]


def _bucket_dims(by: Sequence[Dim]) -> list[ColumnElement[Any]]:
    columns: dict[Dim, ColumnElement[Any]] = {
        # The stored text on SQLite: each distinct hour is parsed once (``_key``), not per row.
        "hour": type_coerce(buckets.c.hour, String()),
        "channel": buckets.c.channel,
        "group": buckets.c.group_key,
        "agent": buckets.c.agent_key,
    }
    return [columns[d] for d in by]


def _bucket_where(w: Window) -> list[ColumnElement[bool]]:
    b = buckets.c
    where = [b.tenant_id == w.tenant_id, b.hour >= w.first_hour, b.hour < w.end_hour]
    if w.channels:
        where.append(b.channel.in_(w.channels))
    if w.group_ids:
        where.append(b.group_key.in_(w.group_ids))
    if w.agent_ids:
        where.append(b.agent_key.in_(w.agent_ids))
    return where


@functools.lru_cache(maxsize=20_000)
def _hour(stored: Any) -> datetime:
    """A UTC hour as a driver gives it: a datetime (asyncpg) or SQLite's text."""
    if isinstance(stored, datetime):
        return stored.astimezone(UTC)
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _key(by: Sequence[Dim], values: Sequence[Any]) -> Key:
    """Hours as aware datetimes; group and agent keys as ids or None (buckets say 0)."""
    return tuple(
        _hour(v) if d == "hour" else (v or None) if d in ("group", "agent") else v
        for d, v in zip(by, values, strict=True)
    )


async def _bucket_totals(
    session: AsyncSession, w: Window, by: Sequence[Dim], *, hist: bool
) -> dict[Key, Totals]:
    dims = _bucket_dims(by)
    where = _bucket_where(w)
    n = len(by)
    sums = [func.coalesce(func.sum(buckets.c[name]), 0) for name in rollup.COUNTERS]
    column = buckets.c.wait_bh_hist if w.business_hours else buckets.c.wait_hist
    # PostgreSQL sums the histogram's elements as it goes; SQLite would parse the JSON once
    # per element per row, so there a second query groups by the array (parsed once per
    # distinct array: most buckets share a few) and Python adds them up.
    inline = hist and session.get_bind().dialect.name == "postgresql"
    elements = (
        [func.coalesce(func.sum(column[i].as_integer()), 0) for i in range(HIST_LEN)]
        if inline
        else []
    )
    out: dict[Key, Totals] = {}
    stmt = select(*dims, *sums, *elements).where(*where).group_by(*dims)
    for row in await session.execute(stmt):
        counters = row[n : n + len(sums)]
        totals = Totals(values=dict(zip(rollup.COUNTERS, counters, strict=True)))
        if inline:
            totals.hist = [int(c) for c in row[n + len(sums) :]]
        out[_key(by, row[:n])] = totals
    if hist and not inline:
        stmt = select(*dims, column, func.count()).where(*where).group_by(*dims, column)
        for row in await session.execute(stmt):
            found = out.get(_key(by, row[:n]))  # one snapshot: always found
            counts, times = row[n] or (), row[n + 1]
            if found is not None and len(counts) == HIST_LEN:
                found.hist = [a + b * times for a, b in zip(found.hist, counts, strict=True)]
    return out


def _fact_hour(session: AsyncSession) -> ColumnElement[datetime]:
    """A fact's bucket hour (its opening's UTC hour) in SQL."""
    opened = facts.c.opened_at
    if session.get_bind().dialect.name == "postgresql":
        expr: ColumnElement[Any] = func.date_trunc("hour", func.timezone("UTC", opened))
    else:
        expr = func.strftime("%Y-%m-%d %H:00:00.000000", opened)
    return type_coerce(expr, UTCDateTime())


def _fact_dims(session: AsyncSession, by: Sequence[Dim]) -> list[ColumnElement[Any]]:
    columns: dict[Dim, Callable[[], ColumnElement[Any]]] = {
        "hour": lambda: _fact_hour(session),
        "channel": lambda: facts.c.channel,
        "group": lambda: facts.c.group_id,
        "agent": lambda: facts.c.agent_id,
    }
    return [columns[d]() for d in by]


def _tagged_contacts(w: Window) -> Select[Any]:
    return select(ContactTag.contact_id).where(
        ContactTag.tenant_id == w.tenant_id, ContactTag.tag == w.tag
    )


def fact_filters(w: Window) -> list[ColumnElement[bool]]:
    """The window's channel, group, agent and tag on the facts (not the period)."""
    f = facts.c
    where: list[ColumnElement[bool]] = [f.tenant_id == w.tenant_id]
    if w.channels:
        where.append(f.channel.in_(w.channels))
    if w.group_ids:
        where.append(f.group_id.in_(w.group_ids))
    if w.agent_ids:
        where.append(f.agent_id.in_(w.agent_ids))
    if w.tag is not None:
        where.append(f.contact_id.in_(_tagged_contacts(w)))
    return where


def fact_where(w: Window) -> list[ColumnElement[bool]]:
    # A fact is in its bucket's hour; that hour is in the window iff the opening is in
    # [first_hour, end_hour), both whole hours.
    f = facts.c
    return [*fact_filters(w), f.opened_at >= w.first_hour, f.opened_at < w.end_hour]


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(value), 0)


def is_rated() -> ColumnElement[bool]:
    return and_(facts.c.rating_score.is_not(None), facts.c.rating_scale > 1)


def is_bot_resolved() -> ColumnElement[bool]:
    f = facts.c
    return and_(
        f.closed_at.is_not(None),
        f.handed_over.is_(False),
        f.agent_id.is_(None),
        f.first_response_at.is_(None),
    )


def _fact_sums() -> dict[str, ColumnElement[Any]]:
    """``rollup.contribution`` in SQL: what the facts add to each bucket counter."""
    f = facts.c
    fr = f.first_response_s
    fr_bh = func.coalesce(f.first_response_bh_s, fr)
    wait = f.wait_s
    wait_bh = func.coalesce(f.wait_bh_s, wait)
    score = sql_cast(f.rating_score - 1, Float) / (f.rating_scale - 1)
    sums = {
        "conversations": func.count(),
        "handed_over": _count(f.handed_over.is_(True)),
        "bot_served": _count(f.bot_served.is_(True)),
        "bot_handed_over": _count(and_(f.bot_served.is_(True), f.handed_over.is_(True))),
        "closed": _count(f.closed_at.is_not(None)),
        "bot_resolved": _count(is_bot_resolved()),
        "responded": _count(fr.is_not(None)),
        "response_s": _total(fr),
        "response_within_60": _count(fr <= WITHIN_S),
        "response_bh_s": _total(case((fr.is_not(None), fr_bh))),
        "response_bh_within_60": _count(and_(fr.is_not(None), fr_bh <= WITHIN_S)),
        "waited": _count(wait.is_not(None)),
        "wait_s": _total(wait),
        "wait_bh_s": _total(case((wait.is_not(None), wait_bh))),
        "handled": _count(f.handling_s.is_not(None)),
        "handling_s": _total(f.handling_s),
        "transfers": _total(f.transfers),
        "messages_customer": _total(f.messages_customer),
        "messages_agent": _total(f.messages_agent),
        "surveyed": _count(f.surveyed.is_(True)),
        "rated": _count(is_rated()),
        "rating_sum": _total(case((is_rated(), score))),
        "satisfied": _count(and_(is_rated(), f.rating_score == f.rating_scale)),
    }
    missing = set(rollup.COUNTERS) - set(sums)
    if missing:  # a new bucket counter needs its sum here, or the tag path would lie
        raise RuntimeError(f"report_buckets counters without a fact sum: {sorted(missing)}")
    return sums


async def _fact_totals(
    session: AsyncSession, w: Window, by: Sequence[Dim], *, hist: bool
) -> dict[Key, Totals]:
    dims = _fact_dims(session, by)
    sums = _fact_sums()
    columns = [sums[name] for name in rollup.COUNTERS]
    wait: ColumnElement[Any] = facts.c.wait_s
    if w.business_hours:  # as contribution: a business-hours wait only beside a wait
        wait = case((wait.is_not(None), func.coalesce(facts.c.wait_bh_s, wait)))
    # Cumulative counts at each bin's upper edge (bin_of: a wait counts in the first bin
    # whose edge is at least the wait).
    cumulative = [_count(wait <= edge) for edge in WAIT_BINS] if hist else []
    stmt = select(*dims, *columns, *cumulative).where(*fact_where(w)).group_by(*dims)
    out: dict[Key, Totals] = {}
    n = len(by)
    for row in await session.execute(stmt):
        values = dict(zip(rollup.COUNTERS, row[n : n + len(columns)], strict=True))
        totals = Totals(values=values)
        if hist:
            cum = [int(c) for c in row[n + len(columns) :]]
            waited = int(values["waited"])
            totals.hist = [cum[0], *(b - a for a, b in itertools.pairwise(cum))]
            totals.hist.append(waited - cum[-1])
        out[_key(by, row[:n])] = totals
    return out


async def totals(
    session: AsyncSession,
    w: Window,
    by: Sequence[Dim] = (),
    *,
    hist: bool = True,
    source: Source | None = None,
) -> dict[Key, Totals]:
    """The counters per ``by`` key from the buckets, or from the facts with a tag (or when
    ``source`` says so): the same numbers either way."""
    if w.source(source) == "conversations":
        return await _fact_totals(session, w, by, hist=hist)
    return await _bucket_totals(session, w, by, hist=hist)


# --- numbers from totals ---------------------------------------------------------------------


def p90(hist: Sequence[int]) -> float | None:
    return percentile(hist, 0.9)


def percentile(hist: Sequence[int], q: float) -> float | None:
    """Interpolated inside its WAIT_BINS bin (linearly, the bin's count spread evenly over
    it); in the open-ended last bin, that bin's lower edge."""
    n = sum(hist)
    if n == 0:
        return None
    rank = q * n
    seen = 0
    for i, count in enumerate(hist):
        if count and seen + count >= rank:
            if i >= len(WAIT_BINS):
                return float(WAIT_BINS[-1])
            lower = 0.0 if i == 0 else float(WAIT_BINS[i - 1])
            return lower + (WAIT_BINS[i] - lower) * (rank - seen) / count
        seen += count
    return float(WAIT_BINS[-1])


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _int(value: float) -> int:
    return round(value)


Value = int | float | None


def flat_numbers(t: Totals, *, business_hours: bool) -> dict[str, tuple[Value, Metric]]:
    """The conversation numbers of a set of totals by dotted path (``first_response.avg_s``),
    each with its drill-down metric."""
    bh = business_hours
    conversations = _int(t["conversations"])
    bot_served = _int(t["bot_served"])
    bot_handed_over = _int(t["bot_handed_over"])
    closed = _int(t["closed"])
    bot_resolved = _int(t["bot_resolved"])
    responded = _int(t["responded"])
    response_s = float(t["response_bh_s" if bh else "response_s"])
    within = _int(t["response_bh_within_60" if bh else "response_within_60"])
    waited = _int(t["waited"])
    wait_s = float(t["wait_bh_s" if bh else "wait_s"])
    handled = _int(t["handled"])
    surveyed = _int(t["surveyed"])
    rated = _int(t["rated"])
    satisfied = _int(t["satisfied"])
    score = _ratio(float(t["rating_sum"]), rated)
    return {
        "conversations": (conversations, "conversations"),
        "handed_over": (_int(t["handed_over"]), "handed_over"),
        "bot_served": (bot_served, "bot_served"),
        "bot_handed_over": (bot_handed_over, "bot_handed_over"),
        "handoff_rate": (_ratio(bot_handed_over, bot_served), "bot_handed_over"),
        "closed": (closed, "closed"),
        "bot_resolved": (bot_resolved, "bot_resolved"),
        "bot_resolution_rate": (_ratio(bot_resolved, closed), "bot_resolved"),
        "first_response.count": (responded, "responded"),
        "first_response.avg_s": (_ratio(response_s, responded), "responded"),
        "first_response.within_60": (within, "responded_within_60"),
        "first_response.within_60_share": (_ratio(within, responded), "responded_within_60"),
        "first_response.later": (responded - within, "responded_later"),
        "queue_wait.count": (waited, "waited"),
        "queue_wait.avg_s": (_ratio(wait_s, waited), "waited"),
        "queue_wait.p90_s": (p90(t.hist), "waited"),
        "handling.count": (handled, "handled"),
        "handling.avg_s": (_ratio(float(t["handling_s"]), handled), "handled"),
        "transfers": (_int(t["transfers"]), "transferred"),
        "satisfaction.surveyed": (surveyed, "surveyed"),
        "satisfaction.rated": (rated, "rated"),
        "satisfaction.response_rate": (_ratio(rated, surveyed), "rated"),
        "satisfaction.score": (score, "rated"),
        "satisfaction.score_5": (None if score is None else 1 + 4 * score, "rated"),
        "satisfaction.satisfied": (satisfied, "satisfied"),
        "satisfaction.satisfied_share": (_ratio(satisfied, rated), "satisfied"),
    }


_GROUPS: dict[str, type[Any]] = {
    "first_response": FirstResponse,
    "queue_wait": QueueWait,
    "handling": Handling,
    "satisfaction": Satisfaction,
}


def numbers(t: Totals, *, business_hours: bool) -> dict[str, Any]:
    """The conversation numbers as ``schemas.Numbers`` fields."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Figure]] = {}
    for path, (value, metric) in flat_numbers(t, business_hours=business_hours).items():
        head, _, name = path.partition(".")
        figure = Figure(value=value, metric=metric)
        if name:
            nested.setdefault(head, {})[name] = figure
        else:
            top[head] = figure
    return top | {head: _GROUPS[head](**fields) for head, fields in nested.items()}


# --- presence and occupancy ------------------------------------------------------------------

PRESENCE = ("online_s", "away_s", "load_s", "capacity_s")


def _presence_where(w: Window) -> list[ColumnElement[bool]]:
    h = agent_hours.c
    where = [h.tenant_id == w.tenant_id, h.hour >= w.first_hour, h.hour < w.end_hour]
    if w.agent_ids:
        where.append(h.agent_id.in_(w.agent_ids))
    if w.group_ids:
        where.append(
            h.agent_id.in_(
                select(GroupMember.account_id).where(
                    GroupMember.tenant_id == w.tenant_id, GroupMember.group_id.in_(w.group_ids)
                )
            )
        )
    return where


async def presence(
    session: AsyncSession, w: Window, by: Sequence[Literal["hour", "agent"]] = ()
) -> dict[Key, dict[str, float]]:
    """Online, away, load and capacity seconds per key (agents' hours in the window; the
    channel and tag filters do not apply to time)."""
    h = agent_hours.c
    dims = [h.hour if d == "hour" else h.agent_id for d in by]
    sums = [func.coalesce(func.sum(h[name]), 0.0) for name in PRESENCE]
    stmt = select(*dims, *sums).where(*_presence_where(w)).group_by(*dims)
    out: dict[Key, dict[str, float]] = {}
    for row in await session.execute(stmt):
        out[tuple(row[: len(by)])] = {
            name: float(v) for name, v in zip(PRESENCE, row[len(by) :], strict=True)
        }
    return out


def occupancy(seconds: dict[str, float] | None) -> Occupancy:
    s = seconds or dict.fromkeys(PRESENCE, 0.0)
    return Occupancy(
        online_s=Figure(value=s["online_s"]),
        away_s=Figure(value=s["away_s"]),
        load_s=Figure(value=s["load_s"]),
        capacity_s=Figure(value=s["capacity_s"]),
        occupancy=Figure(value=_ratio(s["load_s"], s["capacity_s"])),
    )


# --- ticket SLA ------------------------------------------------------------------------------

SLA_COUNTS: tuple[str, ...] = (
    "created",
    "fr_target",
    "fr_met",
    "fr_breached",
    "res_target",
    "res_met",
    "res_breached",
    "breached",
)


def _sla_sums(now: datetime) -> list[ColumnElement[Any]]:
    """Per clock: a target (a due time); breached (marked by the sweep, done late, or not
    done and past due while its clock runs); met (done in time, not breached). A ticket
    solved without an answer needed none (as ``tickets.sla.state_of`` says)."""
    t = tickets.c
    fr_due, res_due = t.first_response_due_at, t.resolution_due_at
    fr_done = func.coalesce(t.first_response_at, t.solved_at)
    fr_breached = and_(
        fr_due.is_not(None),
        (t.first_response_breached.is_(True))
        | (fr_done > fr_due)
        | (fr_done.is_(None) & (fr_due <= now)),
    )
    fr_met = and_(fr_due.is_not(None), fr_done.is_not(None), fr_done <= fr_due, ~fr_breached)
    # Pending stops the resolution clock (the sweep marks only open tickets).
    res_breached = and_(
        res_due.is_not(None),
        (t.resolution_breached.is_(True))
        | (t.solved_at > res_due)
        | (t.solved_at.is_(None) & (t.status == TicketStatus.open.value) & (res_due <= now)),
    )
    res_met = and_(
        res_due.is_not(None), t.solved_at.is_not(None), t.solved_at <= res_due, ~res_breached
    )
    return [
        func.count(),
        _count(fr_due.is_not(None)),
        _count(fr_met),
        _count(fr_breached),
        _count(res_due.is_not(None)),
        _count(res_met),
        _count(res_breached),
        _count(fr_breached | res_breached),
    ]


def _ticket_where(w: Window) -> list[ColumnElement[bool]]:
    """Tickets created in the window's days (exact local midnights: tickets have no
    buckets), of its channels, groups, assignees and tagged customers."""
    t = tickets.c
    where = [
        t.tenant_id == w.tenant_id,
        t.created_at >= w.midnight(w.first),
        t.created_at < w.midnight(w.last + timedelta(days=1)),
    ]
    if w.channels:
        where.append(t.channel.in_(w.channels))
    if w.group_ids:
        where.append(t.group_id.in_(w.group_ids))
    if w.agent_ids:
        where.append(t.assignee_id.in_(w.agent_ids))
    if w.tag is not None:
        where.append(t.contact_id.in_(_tagged_contacts(w)))
    return where


async def ticket_sla(
    session: AsyncSession,
    w: Window,
    by: Sequence[Literal["channel", "group", "agent"]] = (),
    *,
    now: datetime | None = None,
) -> dict[Key, dict[str, int]]:
    t = tickets.c
    columns = {"channel": t.channel, "group": t.group_id, "agent": t.assignee_id}
    dims = [columns[d] for d in by]
    stmt = select(*dims, *_sla_sums(now or utcnow())).where(*_ticket_where(w)).group_by(*dims)
    out: dict[Key, dict[str, int]] = {}
    for row in await session.execute(stmt):
        out[tuple(row[: len(by)])] = {
            name: int(v) for name, v in zip(SLA_COUNTS, row[len(by) :], strict=True)
        }
    return out


def ticket_numbers(counts: dict[str, int] | None) -> TicketNumbers:
    c = counts or dict.fromkeys(SLA_COUNTS, 0)

    def clock(prefix: str) -> SlaClockNumbers:
        met, breached = c[f"{prefix}_met"], c[f"{prefix}_breached"]
        return SlaClockNumbers(
            with_target=Figure(value=c[f"{prefix}_target"]),
            met=Figure(value=met),
            breached=Figure(value=breached),
            compliance=Figure(value=_ratio(met, met + breached)),
        )

    return TicketNumbers(
        created=Figure(value=c["created"]),
        first_response=clock("fr"),
        resolution=clock("res"),
        breached=Figure(value=c["breached"]),
    )


# --- the reports -----------------------------------------------------------------------------


async def overview(
    session: AsyncSession,
    w: Window,
    *,
    now: datetime | None = None,
    source: Source | None = None,
) -> Overview:
    src = w.source(source)
    found = await totals(session, w, source=src)
    t = found.get((), Totals())
    time_spent = (await presence(session, w)).get(())
    sla = (await ticket_sla(session, w, now=now)).get(())
    return Overview(
        period=w.period(src),
        tickets=ticket_numbers(sla),
        occupancy=occupancy(time_spent),
        **numbers(t, business_hours=w.business_hours),
    )


SERIES_NUMBERS: dict[str, str] = {
    "conversations": "conversations",
    "handed_over": "handed_over",
    "bot_served": "bot_served",
    "bot_handed_over": "bot_handed_over",
    "handoff_rate": "handoff_rate",
    "closed": "closed",
    "bot_resolved": "bot_resolved",
    "bot_resolution_rate": "bot_resolution_rate",
    "responded": "first_response.count",
    "first_response_avg_s": "first_response.avg_s",
    "responded_within_60": "first_response.within_60",
    "within_60_share": "first_response.within_60_share",
    "waited": "queue_wait.count",
    "wait_avg_s": "queue_wait.avg_s",
    "wait_p90_s": "queue_wait.p90_s",
    "handled": "handling.count",
    "handling_avg_s": "handling.avg_s",
    "transfers": "transfers",
    "surveyed": "satisfaction.surveyed",
    "rated": "satisfaction.rated",
    "response_rate": "satisfaction.response_rate",
    "satisfaction_score": "satisfaction.score",
    "satisfaction_score_5": "satisfaction.score_5",
    "satisfied": "satisfaction.satisfied",
    "satisfied_share": "satisfaction.satisfied_share",
}
SERIES_PRESENCE = ("online_s", "away_s", "occupancy")


async def series(
    session: AsyncSession,
    w: Window,
    *,
    metric: SeriesMetric,
    interval: Interval = "day",
    source: Source | None = None,
) -> Series:
    """One number per local day (or per UTC hour, labelled with its local start), every
    day or hour of the window present."""
    src = w.source(source)
    slots: list[Any] = w.days() if interval == "day" else w.hours()
    points: list[SeriesPoint] = []
    if metric in SERIES_PRESENCE:
        by_hour = await presence(session, w, ("hour",))
        spent: dict[Any, dict[str, float]] = {}
        for (hour,), seconds in by_hour.items():
            slot = w.day_of(hour) if interval == "day" else hour
            into = spent.setdefault(slot, dict.fromkeys(PRESENCE, 0.0))
            for name, value in seconds.items():
                into[name] += value
        for slot in slots:
            figure = getattr(occupancy(spent.get(slot)), metric)
            points.append(_point(w, slot, interval, figure))
    else:
        hourly = await totals(session, w, ("hour",), hist=metric == "wait_p90_s", source=src)
        grouped: dict[Any, Totals] = {}
        for (hour,), t in hourly.items():
            slot = w.day_of(hour) if interval == "day" else hour
            grouped.setdefault(slot, Totals()).add(t)
        path = SERIES_NUMBERS[metric]
        for slot in slots:
            t = grouped.get(slot, Totals())
            number, drill = flat_numbers(t, business_hours=w.business_hours)[path]
            points.append(_point(w, slot, interval, Figure(value=number, metric=drill)))
    return Series(period=w.period(src), metric=metric, interval=interval, points=points)


def _point(w: Window, slot: Any, interval: Interval, figure: Figure) -> SeriesPoint:
    if interval == "day":
        return SeriesPoint(at=slot.isoformat(), value=figure.value, metric=figure.metric)
    return SeriesPoint(
        at=slot.astimezone(w.zone).isoformat(), hour=slot, value=figure.value, metric=figure.metric
    )


async def _names(
    session: AsyncSession, model: Any, tenant_id: int, ids: Iterable[int | None]
) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(
        select(model.id, model.name).where(model.tenant_id == tenant_id, model.id.in_(wanted))
    )
    return {row[0]: row[1] for row in rows}


async def breakdown(
    session: AsyncSession,
    w: Window,
    *,
    by: BreakdownBy,
    now: datetime | None = None,
    source: Source | None = None,
) -> Breakdown:
    """The overview's numbers per channel, group or agent (with names); occupancy per agent.
    Rows by conversations, most first."""
    src = w.source(source)
    found = await totals(session, w, (by,), source=src)
    sla = await ticket_sla(session, w, (by,), now=now)
    spent = await presence(session, w, ("agent",)) if by == "agent" else {}
    keys = sorted(
        {k[0] for k in found} | {k[0] for k in sla},
        key=lambda k: (-found.get((k,), Totals())["conversations"], k is None, str(k)),
    )
    if by == "channel":
        names: dict[Any, str] = {k: CHANNEL_LABELS.get(k, k) for k in keys if k is not None}
    else:
        names = dict(await _names(session, Group if by == "group" else Account, w.tenant_id, keys))
    rows = []
    for k in keys:
        none = NO_GROUP if by == "group" else NO_AGENT if by == "agent" else "—"
        rows.append(
            BreakdownRow(
                key=k,
                name=names.get(k, none if k is None else f"#{k}"),
                tickets=ticket_numbers(sla.get((k,))),
                occupancy=occupancy(spent.get((k,))) if by == "agent" and k is not None else None,
                **numbers(found.get((k,), Totals()), business_hours=w.business_hours),
            )
        )
    return Breakdown(period=w.period(src), by=by, rows=rows)


async def agents(session: AsyncSession, w: Window, *, source: Source | None = None) -> AgentsReport:
    """Per agent: their conversations' numbers and their time (online, away, occupancy).
    Every active account with the agent role (of the window's agents or groups, when it names
    any), and anyone else with conversations or time in the period."""
    src = w.source(source)
    found = await totals(session, w, ("agent",), source=src)
    spent = await presence(session, w, ("agent",))
    roster = select(Account.id).where(
        Account.tenant_id == w.tenant_id, Account.active.is_(True), Account.role == Role.agent
    )
    if w.agent_ids:
        roster = roster.where(Account.id.in_(w.agent_ids))
    if w.group_ids:
        roster = roster.where(
            Account.id.in_(
                select(GroupMember.account_id).where(
                    GroupMember.tenant_id == w.tenant_id, GroupMember.group_id.in_(w.group_ids)
                )
            )
        )
    ids = set(await session.scalars(roster))
    ids |= {k[0] for k in found if k[0] is not None} | {k[0] for k in spent}
    names = await _names(session, Account, w.tenant_id, ids)
    order = sorted(
        ids, key=lambda i: (-found.get((i,), Totals())["conversations"], names.get(i, ""), i)
    )
    return AgentsReport(
        period=w.period(src),
        agents=[
            AgentRow(
                agent=Named(id=i, name=names.get(i)),
                occupancy=occupancy(spent.get((i,))),
                **numbers(found.get((i,), Totals()), business_hours=w.business_hours),
            )
            for i in order
        ],
    )


# The reports as plain functions (session, window) → answer, for timing without HTTP.
REPORTS: dict[str, Callable[[AsyncSession, Window], Awaitable[Any]]] = {
    "overview": lambda s, w: overview(s, w),
    "series_day": lambda s, w: series(s, w, metric="conversations"),
    "series_p90_hour": lambda s, w: series(s, w, metric="wait_p90_s", interval="hour"),
    "breakdown_channel": lambda s, w: breakdown(s, w, by="channel"),
    "breakdown_group": lambda s, w: breakdown(s, w, by="group"),
    "breakdown_agent": lambda s, w: breakdown(s, w, by="agent"),
    "agents": lambda s, w: agents(s, w),
    "conversations": lambda s, w: _drill(s, w),
    "hot_words": lambda s, w: _hot_words(s, w),
}


async def _drill(session: AsyncSession, w: Window) -> Any:
    from huiliu.analytics import drill  # it builds on this module

    return await drill.conversations(session, w, metric="responded_later")


async def _hot_words(session: AsyncSession, w: Window) -> Any:
    from huiliu.analytics import hotwords  # it builds on this module

    return await hotwords.hot_words(session, w)
