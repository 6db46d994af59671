"""Report benchmark data: one tenant's conversations over 90 days — raw rows and folded.

Writes N conversations with M messages in all (defaults 1 000 000 and 10 000 000) for one
tenant with four groups (three with working hours) and 50 agents, on every channel, in the
mixes a shop sees: about 60 % served by the bot alone, the rest handed over or arriving on
channels without a bot (e-mail, SMS, phone), waiting in queues (longer outside working
hours), answered, now and then transferred, closed by the agent, the customer or the idle
timeout, some surveyed and rated; the last hours' conversations still open. Customers' words
come from the demo shop's FAQ questions.

Rows go in fast, straight to the database (executemany on SQLite, COPY on PostgreSQL),
and the report tables with them: each conversation's facts are computed in memory by the
fold's own ``analytics.fold.facts_of`` from the very rows written, its buckets summed with
``rollup.contribution`` and its hot-word terms counted by ``analytics.terms``, so the tables
hold what folding every conversation would store (``--verify`` folds a sample through the
real code and compares). Agents' hours (online, away, load, capacity) are synthetic shifts.

    .venv/bin/python bench/reports_data.py                                  # SQLite, temp dir
    .venv/bin/python bench/reports_data.py --conversations 20000 --messages 200000
    .venv/bin/python bench/reports_data.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/huiliu_reports

At the end it prints where the data is, the tenant, a sign-in and how to reuse the data
(the same --database-url again finds the tenant and writes nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import csv
import itertools
import json
import math
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import JSON, Boolean, Date, Enum, Table, func, select
from sqlalchemy.engine import make_url

from huiliu.accounts.models import Account, AgentStatus, Role
from huiliu.analytics import fold, rollup, terms
from huiliu.analytics.models import (
    AgentHour,
    ConversationFact,
    ConversationTerm,
    ReportBucket,
    TermDay,
)
from huiliu.auth.passwords import hash_password
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation, Message
from huiliu.db import Database
from huiliu.db.base import UTCDateTime
from huiliu.db.migrate import upgrade
from huiliu.routing.hours import WorkingHours
from huiliu.routing.models import Group, GroupMember
from huiliu.satisfaction.models import Survey
from huiliu.tenants import service as tenants_service
from huiliu.tickets.sla import Clock

SLUG = "reports-bench"
PASSWORD = "reports-bench-password"
ZONE = ZoneInfo("Asia/Shanghai")
console = Console(stderr=True)

# (channel, share of conversations, served by the bot first)
CHANNELS: tuple[tuple[str, float, bool], ...] = (
    ("web", 0.35, True),
    ("app", 0.20, True),
    ("wechat", 0.20, True),
    ("weibo", 0.03, True),
    ("api", 0.05, True),
    ("email", 0.08, False),
    ("sms", 0.04, False),
    ("phone", 0.05, False),
)
BOT_ONLY = 0.60  # of all conversations (so of the bot's channels' 83 %, about 72 %)
DAILY = {"start": "09:00", "end": "21:00"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WEEKDAYS, "sat", "sun")
# (name, agents, working hours or None: around the clock, the channels it takes)
GROUPS: tuple[tuple[str, int, dict[str, Any] | None, tuple[str, ...]], ...] = (
    ("售前咨询", 15, {"weekly": {d: [DAILY] for d in ALL_DAYS}}, ("web", "app")),
    (
        "售后服务",
        20,
        {"weekly": {d: [DAILY] for d in ALL_DAYS}},
        ("wechat", "weibo", "email", "sms"),
    ),
    ("物流查询", 10, None, ("phone", "api")),
    ("VIP 专线", 5, {"weekly": {d: [{"start": "09:00", "end": "18:00"}] for d in WEEKDAYS}}, ()),
)
# Conversations per local hour of the day (relative).
DIURNAL = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 7, 9, 9, 7, 8, 9, 9, 8, 7, 6, 7, 8, 8, 6, 3)
SCORES_5 = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (0.04, 0.05, 0.11, 0.30, 0.50)
AGENT_LINES = (
    "您好，我来帮您查一下",
    "请提供一下订单号",
    "已经为您处理好了",
    "稍等，我帮您联系仓库",
    "还有其他可以帮您的吗",
)
CUSTOMER_LINES = ("好的", "订单号是 20991234567", "什么时候能到", "还没收到退款", "谢谢")
HANDOFF_ASKS = ("转人工", "我要人工客服", "人工服务")
CHUNK = 5000  # conversations per transaction


def faq_questions() -> list[str]:
    text = resources.files("huiliu").joinpath("demo_data/faq_zh_questions.csv").read_text("utf-8")
    return [row["question"] for row in csv.DictReader(text.splitlines())]


# -- the tenant -----------------------------------------------------------------------------


@dataclass
class Team:
    id: int
    hours: WorkingHours | None
    agents: list[tuple[int, str]]  # (id, name)
    clock: Clock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.hours)


@dataclass
class Shop:
    tenant_id: int
    teams: dict[str, Team]
    by_channel: dict[str, list[str]]
    capacity: dict[int, int]


async def existing_tenant(db: Database) -> int | None:
    async with db.read() as session:
        found = await tenants_service.get_by_slug(session, slug=SLUG)
    return None if found is None else int(found.id)


async def make_shop(db: Database) -> Shop:
    password = hash_password(PASSWORD)
    rng = random.Random(7)
    async with db.write() as session:
        tenant = await tenants_service.create(session, name="报表压测商城", slug=SLUG)
        tenant_id = int(tenant.id)
        for role, n in ((Role.admin, 1), (Role.supervisor, 1)):
            session.add(
                Account(
                    tenant_id=tenant_id,
                    email=f"{role.value}{n}@{SLUG}.example.com",
                    name=f"{role.value} {n}",
                    role=role,
                    password_hash=password,
                    status=AgentStatus.offline,
                )
            )
        teams: dict[str, Team] = {}
        capacity: dict[int, int] = {}
        number = itertools.count(1)
        for name, count, hours, channels in GROUPS:
            hours_json = {"timezone": "Asia/Shanghai", **hours} if hours else None
            group = Group(
                tenant_id=tenant_id,
                name=name,
                is_default=name == "售后服务",
                channels=list(channels),
                working_hours=hours_json,
            )
            session.add(group)
            await session.flush()
            agents = []
            for _ in range(count):
                n = next(number)
                agent = Account(
                    tenant_id=tenant_id,
                    email=f"agent{n}@{SLUG}.example.com",
                    name=f"客服{n:02d}",
                    role=Role.agent,
                    password_hash=password,
                    status=AgentStatus.offline,
                    capacity=rng.choice([5, 8, 10, None]),
                )
                session.add(agent)
                await session.flush()
                session.add(
                    GroupMember(tenant_id=tenant_id, group_id=group.id, account_id=agent.id)
                )
                agents.append((int(agent.id), agent.name))
                capacity[int(agent.id)] = agent.capacity or 20
            teams[name] = Team(
                int(group.id),
                WorkingHours.model_validate(hours_json) if hours_json else None,
                agents,
            )
    by_channel = {
        c: [n for n, _, _, cs in GROUPS if c in cs] or ["售后服务"] for c, _, _ in CHANNELS
    }
    return Shop(tenant_id, teams, by_channel, capacity)


# -- one conversation -------------------------------------------------------------------------


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"type": "event", "event": name, **{k: v for k, v in fields.items() if v is not None}}


def text(words: str) -> dict[str, Any]:
    return {"type": "text", "text": words}


@dataclass
class Made:
    conversation: dict[str, Any]
    messages: list[dict[str, Any]]
    survey: dict[str, Any] | None
    hours: WorkingHours | None
    texts: list[str]  # the customer's, for terms


class Maker:
    """Scripts conversations; ``target`` messages per conversation on average."""

    def __init__(self, rng: random.Random, shop: Shop, *, end: datetime, target: float) -> None:
        self.rng = rng
        self.shop = shop
        self.end = end
        self.target = target
        self.written = 0
        self.made = 0
        self.questions = faq_questions()
        self.channels = [c for c, _, _ in CHANNELS]
        self.weights = list(itertools.accumulate(w for _, w, _ in CHANNELS))
        self.bot_channels = {c for c, _, bot in CHANNELS if bot}
        bot_share = sum(w for _, w, bot in CHANNELS if bot)
        self.bot_only = BOT_ONLY / bot_share

    def _mean_exchanges(self) -> float:
        """People's back-and-forths: a running controller keeps the messages on target."""
        deficit = self.target * (self.made + 1) - self.written
        return max(1.0, min(40.0, 4.0 + deficit / 40.0))

    def make(self, cid: int, contact_id: int, opened: datetime) -> Made:
        rng, shop = self.rng, self.shop
        channel = self.channels[bisect.bisect(self.weights, rng.random() * self.weights[-1])]
        team_name = "VIP 专线" if rng.random() < 0.04 else rng.choice(shop.by_channel[channel])
        team = shop.teams[team_name]
        messages: list[dict[str, Any]] = []
        texts: list[str] = []
        t = opened

        def add(sender: str, content: dict[str, Any], sender_id: int | None = None) -> None:
            messages.append(
                {
                    "sender_type": sender,
                    "sender_id": sender_id,
                    "content_type": content["type"],
                    "content": content,
                    "created_at": t,
                }
            )
            if sender == "contact" and content["type"] == "text":
                texts.append(content["text"])

        def later(low: float, high: float) -> None:
            nonlocal t
            t = t + timedelta(milliseconds=round(rng.uniform(low, high) * 1000))

        add("system", event("opened"))
        bot = channel in self.bot_channels
        row: dict[str, Any] = {
            "group_id": team.id,
            "with_bot": bot,
            "queued_at": None,
            "assignee_id": None,
            "assigned_at": None,
            "status": "open",
            "closed_at": None,
        }
        closed = False
        queued: datetime | None = None
        if bot:
            later(0.2, 0.8)
            add("bot", text("您好，我是小汇，有什么可以帮您？"))
            if rng.random() < self.bot_only:
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    later(5, 90)
                    add("contact", text(rng.choice(self.questions)))
                    later(0.5, 2)
                    add("bot", text("为您找到以下答案，希望对您有帮助"))
                if rng.random() < 0.55:
                    later(1800, 1800)
                    add("system", event("closed", reason="idle for 30 min"))
                else:
                    later(5, 120)
                    add("system", event("closed"))
                closed = True
            else:
                for _ in range(rng.choice((0, 1, 1, 2))):
                    later(5, 90)
                    add("contact", text(rng.choice(self.questions)))
                    later(0.5, 2)
                    add("bot", text("为您找到以下答案，希望对您有帮助"))
                later(5, 60)
                add("contact", text(rng.choice(HANDOFF_ASKS)))
                later(0.3, 1)
                add("bot", text("正在为您转接人工客服，请稍候"))
                add("system", event("handoff", reason="客户要求人工服务", to_group_id=team.id))
                queued = t
                row["with_bot"] = False
        else:
            add("contact", text(rng.choice(self.questions)))
            queued = t
        agent: int | None = None
        if queued is not None:
            closed = self._served(team, add, later, lambda: t, row, rng)
            agent = row["assignee_id"]
        # The window ends now: what would happen later has not happened yet.
        cut = [m for m in messages if m["created_at"] <= self.end]
        if len(cut) < len(messages):
            messages = cut
            closed = any(m["content"].get("event") == "closed" for m in messages)
            texts = [
                m["content"]["text"]
                for m in messages
                if m["sender_type"] == "contact" and m["content_type"] == "text"
            ]
        events = [m for m in messages if m["content_type"] == "event"]
        assigned = [m for m in events if m["content"]["event"] == "assigned"]
        transfers = [m for m in events if m["content"]["event"] == "transferred"]
        handoffs = [m for m in events if m["content"]["event"] == "handoff"]
        last = messages[-1]["created_at"]
        if closed:
            row |= {"status": "closed", "closed_at": last, "queued_at": None}
        else:
            if bot and not handoffs and not assigned:
                row["with_bot"] = True
            moved = max((m["created_at"] for m in (*assigned, *transfers, *handoffs)), default=None)
            if assigned and assigned[-1]["created_at"] == moved:
                row["assignee_id"] = assigned[-1]["content"]["account_id"]
                row["assigned_at"] = moved
            else:
                row["assignee_id"] = None
                row["queued_at"] = moved if moved is not None else (None if bot else opened)
        groups = [
            m["content"].get("to_group_id") for m in transfers if m["content"].get("to_group_id")
        ]
        if groups:
            row["group_id"] = groups[-1]
        survey = None
        if closed and agent is not None and rng.random() < 0.6:
            answered = rng.random() < 0.65
            survey = {
                "scale": 5,
                "score": rng.choices(SCORES_5, SCORE_WEIGHTS)[0] if answered else None,
                "asked_at": last,
                "answered_at": last + timedelta(seconds=rng.randint(5, 300)) if answered else None,
            }
        conversation = {
            "id": cid,
            "tenant_id": shop.tenant_id,
            "contact_id": contact_id,
            "channel": channel,
            "created_at": opened,
            "last_message_at": last,
            "last_seq": len(messages),
            "rating_score": None,
            **row,
        }
        contact_times = [m["created_at"] for m in messages if m["sender_type"] == "contact"]
        agent_times = [m["created_at"] for m in messages if m["sender_type"] == "agent"]
        conversation["last_contact_message_at"] = contact_times[-1] if contact_times else None
        conversation["last_agent_message_at"] = agent_times[-1] if agent_times else None
        final_team = next(
            (tm for tm in shop.teams.values() if tm.id == conversation["group_id"]), team
        )
        self.made += 1
        self.written += len(messages)
        return Made(conversation, messages, survey, final_team.hours, texts)

    def _served(
        self,
        team: Team,
        add: Callable[..., None],
        later: Callable[[float, float], None],
        now: Callable[[], datetime],
        row: dict[str, Any],
        rng: random.Random,
    ) -> bool:
        """Queue, assignment, the conversation with people, maybe a transfer, the close;
        whether it closed."""

        def wait_in(tm: Team) -> tuple[int, str] | None:
            if rng.random() < 0.03:
                return None  # gives up waiting
            # Waits grow in working time: outside it, until the group opens.
            business_wait = min(1800.0, rng.lognormvariate(math.log(25), 1.0))
            calendar = (tm.clock.add(now(), business_wait) - now()).total_seconds()
            later(calendar, calendar)
            chosen = rng.choice(tm.agents)
            add("system", event("assigned", account_id=chosen[0], account_name=chosen[1]))
            row["assignee_id"] = chosen[0]
            return chosen

        served = wait_in(team)
        if served is None:
            later(30, 600)
            add("system", event("closed"))
            return True
        later(3, min(600.0, rng.lognormvariate(math.log(20), 0.8)) + 3)
        add("agent", text(rng.choice(AGENT_LINES)), served[0])
        for _ in range(max(0, round(rng.gauss(self._mean_exchanges(), 2)) - 1)):
            later(10, 90)
            add("contact", text(rng.choice(CUSTOMER_LINES + tuple(self.questions[:50]))))
            later(10, 120)
            add("agent", text(rng.choice(AGENT_LINES)), served[0])
        if rng.random() < 0.08:
            target_name = rng.choice([n for n in self.shop.teams if self.shop.teams[n] is not team])
            target = self.shop.teams[target_name]
            later(5, 60)
            add("system", event("transferred", account_id=served[0], to_group_id=target.id))
            again = wait_in(target)
            if again is not None:
                served = again
                later(5, 60)
                add("agent", text(rng.choice(AGENT_LINES)), served[0])
        ending = rng.random()
        if ending < 0.75:
            later(30, 300)
            add("system", event("closed", account_id=served[0]))
        elif ending < 0.95:
            later(1800, 1800)
            add("system", event("closed", reason="idle for 30 min"))
        else:
            later(10, 120)
            add("system", event("closed"))
        return True


# -- writing ----------------------------------------------------------------------------------


def _is_json(column: Any) -> bool:
    return isinstance(column.type, JSON)


class Sink:
    """Rows into tables as fast as the engine takes them."""

    sqlite: bool

    def converters(
        self, table: Table, columns: Sequence[str]
    ) -> list[tuple[int, Callable[[Any], Any]]]:
        """(position, conversion) for the columns whose values the driver cannot take as
        they are."""
        out: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(columns):
            column = table.c[name]
            kind = column.type
            if isinstance(kind, UTCDateTime):
                out.append((i, self.timestamp))
            elif _is_json(column):
                out.append((i, lambda v: orjson.dumps(v).decode()))
            elif isinstance(kind, Boolean) and self.sqlite:
                out.append((i, lambda v: None if v is None else int(bool(v))))
            elif isinstance(kind, Date) and self.sqlite:
                out.append((i, lambda v: None if v is None else v.isoformat()))
            elif isinstance(kind, Enum):
                out.append((i, lambda v: None if v is None else str(getattr(v, "value", v))))
        return out

    def records(self, table: Table, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[Any]]:
        columns = _columns(table, rows)
        convert = self.converters(table, columns)
        values = itemgetter(*columns)
        out = []
        for row in rows:
            record = list(values(row))
            for i, f in convert:
                record[i] = f(record[i])
            out.append(tuple(record))
        return columns, out

    def timestamp(self, value: datetime | None) -> Any:
        raise NotImplementedError

    async def write(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


def _columns(table: Table, rows: Sequence[dict[str, Any]]) -> list[str]:
    return [c.name for c in table.columns if c.name in rows[0]]


class SqliteSink(Sink):
    sqlite = True

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        self.conn.execute("BEGIN")

    def timestamp(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        # As SQLAlchemy stores them: naive UTC, always with microseconds.
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    async def write(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        columns, records = self.records(table, rows)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        self.conn.executemany(sql, records)

    async def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    async def close(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PgSink(Sink):
    sqlite = False

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.tx: Any = None

    @classmethod
    async def open(cls, url: str) -> PgSink:
        import asyncpg

        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        sink = cls(await asyncpg.connect(dsn))
        # The rows are consistent by construction: skip the foreign-key triggers (row by
        # row, they cost more than the COPY itself) when allowed to (a superuser).
        with contextlib.suppress(asyncpg.PostgresError):
            await sink.conn.execute("SET session_replication_role = replica")
        await sink.begin()
        return sink

    async def begin(self) -> None:
        self.tx = self.conn.transaction()
        await self.tx.start()

    def timestamp(self, value: datetime | None) -> Any:
        return value

    async def write(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        columns, records = self.records(table, rows)
        await self.conn.copy_records_to_table(table.name, records=records, columns=columns)

    async def commit(self) -> None:
        await self.tx.commit()
        await self.begin()

    async def close(self) -> None:
        await self.tx.commit()
        for name in ("contacts", "conversations", "messages"):
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {name}))"
            )
        await self.conn.execute("ANALYZE")
        await self.conn.close()


T = cast(
    dict[str, Table],
    {
        "contacts": Contact.__table__,
        "conversations": Conversation.__table__,
        "messages": Message.__table__,
        "surveys": Survey.__table__,
        "facts": ConversationFact.__table__,
        "buckets": ReportBucket.__table__,
        "terms": ConversationTerm.__table__,
        "term_days": TermDay.__table__,
        "agent_hours": AgentHour.__table__,
    },
)


_templates: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}


def full_row(table: Table, values: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of ``table``: the given values, its Python default or None elsewhere."""
    template = _templates.get((table.name, skip))
    if template is None:
        template = {}
        for column in table.columns:
            if column.name in skip:
                continue
            scalar = column.default is not None and getattr(column.default, "is_scalar", False)
            template[column.name] = getattr(column.default, "arg", None) if scalar else None
        _templates[(table.name, skip)] = template
    return {**template, **{k: v for k, v in values.items() if k in template}}


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Summary:
    database_url: str
    tenant_id: int
    start: datetime
    end: datetime
    conversations: int = 0
    messages: int = 0
    facts: int = 0
    buckets: int = 0
    terms: int = 0
    term_days: int = 0
    agent_hours: int = 0
    seconds: float = 0.0
    reused: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if not isinstance(v, datetime)},
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "slug": SLUG,
            "admin": {"email": f"admin1@{SLUG}.example.com", "password": PASSWORD},
        }


def opening_times(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    """``n`` moments in [start, end), busier by day (Shanghai time) and on weekdays."""
    hours: list[datetime] = []
    weights: list[float] = []
    at = start
    while at < end:
        local = at.astimezone(ZONE)
        hours.append(at)
        weights.append(DIURNAL[local.hour] * (0.8 if local.weekday() >= 5 else 1.0))
        at += timedelta(hours=1)
    cumulative = list(itertools.accumulate(weights))
    out = []
    for _ in range(n):
        hour = hours[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
        out.append(hour + timedelta(milliseconds=rng.randrange(3_600_000)))
    out.sort()
    return [t for t in out if t < end] or [start]


def agent_hour_rows(
    rng: random.Random, shop: Shop, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Synthetic shifts: each agent works five days a week, eight hours from 09:00 or 13:00
    (Shanghai), mostly online, now and then away, carrying 30–90 % of their capacity."""
    rows: list[dict[str, Any]] = []
    for team in shop.teams.values():
        for agent_id, _name in team.agents:
            off = {rng.randrange(7), rng.randrange(7)}
            begin = rng.choice((9, 13))
            day = start.astimezone(ZONE).date()
            while datetime.combine(day, datetime.min.time(), ZONE) < end:
                if day.weekday() not in off:
                    for h in range(begin, begin + 8):
                        hour = datetime(day.year, day.month, day.day, h, tzinfo=ZONE).astimezone(
                            UTC
                        )
                        if not start <= hour < end:
                            continue
                        online = rng.uniform(2700, 3600)
                        capacity = shop.capacity[agent_id]
                        rows.append(
                            {
                                "tenant_id": shop.tenant_id,
                                "agent_id": agent_id,
                                "hour": hour,
                                "online_s": online,
                                "away_s": 3600 - online,
                                "load_s": online * capacity * rng.uniform(0.3, 0.9),
                                "capacity_s": online * capacity,
                            }
                        )
                day += timedelta(days=1)
    return rows


async def next_id(db: Database, table: Table) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


async def generate(
    database_url: str,
    *,
    conversations: int,
    messages: int,
    days: int = 90,
    seed: int = 1,
    end: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Write the tenant and its data (or find it, written before); the summary."""
    await upgrade(database_url)
    db = Database(database_url)
    try:
        found = await existing_tenant(db)
        end = end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(days=days)
        if found is not None:
            return Summary(database_url, found, start, end, reused=True)
        shop = await make_shop(db)
        first_contact = await next_id(db, T["contacts"])
        first_conversation = await next_id(db, T["conversations"])
        first_message = await next_id(db, T["messages"])
    finally:
        await db.dispose()
    began = time.monotonic()
    rng = random.Random(seed)
    summary = Summary(database_url, shop.tenant_id, start, end)
    sink: Sink = (
        SqliteSink(str(make_url(database_url).database))
        if database_url.startswith("sqlite")
        else await PgSink.open(database_url)
    )
    maker = Maker(rng, shop, end=end, target=messages / max(1, conversations))
    analyzer = terms.TermAnalyzer()
    words: dict[str, list[str]] = {}
    times = opening_times(rng, conversations, start, end)
    regulars = max(1, len(times) // 3)  # returning customers: about three visits each
    contact_ids = itertools.count(first_contact)
    contacts_pool = [next(contact_ids) for _ in range(regulars)]
    await sink.write(
        T["contacts"],
        [
            full_row(
                T["contacts"],
                {
                    "id": c,
                    "tenant_id": shop.tenant_id,
                    "name": f"客户{c}",
                    "attributes": {},
                    "created_at": start,
                },
            )
            for c in contacts_pool
        ],
    )
    message_ids = itertools.count(first_message)
    pending: dict[tuple[Any, ...], dict[str, Any]] = {}  # buckets of hours not yet complete
    pending_days: dict[tuple[date, str], list[int]] = {}
    try:
        for offset in range(0, len(times), CHUNK):
            chunk = times[offset : offset + CHUNK]
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in T}
            for n, opened in enumerate(chunk):
                cid = first_conversation + offset + n
                made = maker.make(cid, rng.choice(contacts_pool), opened)
                conv = made.conversation
                if conv["status"] == "open":  # one open conversation per customer and channel
                    conv["contact_id"] = next(contact_ids)
                    rows["contacts"].append(
                        full_row(
                            T["contacts"],
                            {
                                "id": conv["contact_id"],
                                "tenant_id": shop.tenant_id,
                                "attributes": {},
                                "created_at": opened,
                            },
                        )
                    )
                rows["conversations"].append(full_row(T["conversations"], conv))
                for seq, m in enumerate(made.messages, 1):
                    rows["messages"].append(
                        full_row(
                            T["messages"],
                            {
                                "id": next(message_ids),
                                "tenant_id": shop.tenant_id,
                                "conversation_id": cid,
                                "seq": seq,
                                **m,
                            },
                        )
                    )
                survey_row = None
                if made.survey is not None:
                    survey_row = {
                        "tenant_id": shop.tenant_id,
                        "conversation_id": cid,
                        "agent_id": conv["assignee_id"],
                        "group_id": conv["group_id"],
                        "channel": conv["channel"],
                        "trigger": "agent_close",
                        "via": "buttons",
                        "token": f"bench{cid:038d}",
                        "tags": [],
                        **made.survey,
                    }
                    rows["surveys"].append(full_row(T["surveys"], survey_row, skip=("id",)))
                fact = fold.facts_of(conv, made.messages, survey_row, made.hours)
                rows["facts"].append({"conversation_id": cid, **fact, "updated_at": end})
                key = rollup.bucket_key(fact)
                if key not in pending:
                    pending[key] = rollup.empty_bucket()
                rollup.add_into(pending[key], rollup.contribution(fact))
                if fact["closed_at"] is not None:
                    for t in made.texts:
                        if t not in words:
                            words[t] = analyzer.words_and_phrases(t)
                    day = fact["opened_at"].astimezone(ZONE).date()
                    for term, mentions in terms.count(words[t] for t in made.texts).items():
                        rows["terms"].append(
                            {
                                "conversation_id": cid,
                                "term": term,
                                "tenant_id": shop.tenant_id,
                                "day": day,
                                "mentions": mentions,
                            }
                        )
                        total = pending_days.setdefault((day, term), [0, 0])
                        total[0] += 1
                        total[1] += mentions
            # Buckets of hours before the next conversation's are complete; so are days.
            upcoming = times[offset + CHUNK] if offset + CHUNK < len(times) else None
            done_hour = rollup.hour_of(upcoming) if upcoming else None
            done_day = upcoming.astimezone(ZONE).date() if upcoming else None
            for key in [k for k in pending if done_hour is None or k[1] < done_hour]:
                values = pending.pop(key)
                rows["buckets"].append(dict(zip(rollup.KEY_FIELDS, key, strict=True)) | values)
            for key in [k for k in pending_days if done_day is None or k[0] < done_day]:
                c, m = pending_days.pop(key)
                rows["term_days"].append(
                    {
                        "tenant_id": shop.tenant_id,
                        "day": key[0],
                        "term": key[1],
                        "conversations": c,
                        "mentions": m,
                    }
                )
            for name in (
                "contacts",
                "conversations",
                "messages",
                "surveys",
                "facts",
                "buckets",
                "terms",
                "term_days",
            ):
                await sink.write(T[name], rows[name])
            await sink.commit()
            summary.conversations += len(rows["conversations"])
            summary.messages += len(rows["messages"])
            summary.facts += len(rows["facts"])
            summary.buckets += len(rows["buckets"])
            summary.terms += len(rows["terms"])
            summary.term_days += len(rows["term_days"])
            if progress is not None:
                progress(summary.conversations, len(times))
        hours = agent_hour_rows(rng, shop, start, end)
        await sink.write(T["agent_hours"], hours)
        summary.agent_hours = len(hours)
    finally:
        await sink.close()
    summary.seconds = time.monotonic() - began
    return summary


async def verify(database_url: str, tenant_id: int, sample: int, seed: int = 2) -> int:
    """Fold ``sample`` random conversations through the real code and compare with what was
    written; the number compared (an AssertionError names the first that differs)."""
    db = Database(database_url)
    try:
        async with db.read() as session:
            ids = list(
                await session.scalars(
                    select(T["conversations"].c.id).where(
                        T["conversations"].c.tenant_id == tenant_id
                    )
                )
            )
            chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
            conn = await session.connection()
            for cid in chosen:
                computed = await fold.facts_from_raw(conn, cid)
                stored = (
                    (
                        await conn.execute(
                            select(rollup.facts).where(rollup.facts.c.conversation_id == cid)
                        )
                    )
                    .mappings()
                    .one()
                )
                assert computed == {k: stored[k] for k in rollup.FACT_FIELDS}, cid
        return len(chosen)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL (default: a new SQLite file in a temp dir)",
    )
    parser.add_argument(
        "--verify", type=int, default=200, help="conversations folded to compare (0: none)"
    )
    args = parser.parse_args()
    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='huiliu-reports-')) / 'huiliu.db'}"
    )

    async def run() -> Summary:
        with Progress(
            TextColumn("writing conversations"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("conversations", total=args.conversations)
            summary = await generate(
                url,
                conversations=args.conversations,
                messages=args.messages,
                days=args.days,
                seed=args.seed,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        if args.verify and not summary.reused:
            checked = await verify(url, summary.tenant_id, args.verify)
            console.print(f"verified: {checked} conversations folded by the real code match")
        return summary

    summary = asyncio.run(run())
    safe = make_url(url).render_as_string(hide_password=True)
    if summary.reused:
        console.print(
            f"[bold]{safe}[/bold] already holds the tenant {SLUG!r} "
            f"(id {summary.tenant_id}); nothing written."
        )
    else:
        rate = summary.messages / max(summary.seconds, 1e-9)
        console.print(
            f"wrote {summary.conversations:,} conversations, {summary.messages:,} messages, "
            f"{summary.buckets:,} buckets, {summary.terms:,} terms, "
            f"{summary.agent_hours:,} agent hours "
            f"in {summary.seconds:.0f} s ({rate:,.0f} messages/s)"
        )
    console.print(
        f"data: {safe}   tenant {SLUG!r} (id {summary.tenant_id}), "
        f"{summary.start:%Y-%m-%d %H:%M} → {summary.end:%Y-%m-%d %H:%M} UTC"
    )
    console.print(f"sign in: admin1@{SLUG}.example.com / {PASSWORD}")
    console.print(
        f"reuse: .venv/bin/python bench/reports_data.py --database-url '{safe}'  (writes nothing)"
    )
    console.print(f"serve it: HUILIU_DATABASE_URL='{safe}' .venv/bin/huiliu serve")
    print(json.dumps(summary.as_json(), ensure_ascii=False))


if __name__ == "__main__":
    main()
