"""The report routes over facts laid down with known timestamps (a fake clock): every number
of every report exact, in business hours and in time zones; the tag path (per-conversation
facts) equal to the bucket path; the drill-down listing exactly the conversations behind each
number; exports that parse back to the same numbers; bad filters; every route × role."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import openpyxl
import pytest
from sqlalchemy import insert

from huiliu.analytics import drill as drill_down
from huiliu.analytics import export, hotwords, queries, window
from huiliu.analytics.api import router as reports_router
from huiliu.analytics.models import AgentHour, ConversationTerm, ReportSettingsRow, TermDay
from huiliu.analytics.rollup import FACT_FIELDS, save_fact
from huiliu.analytics.schemas import ReportFilters
from huiliu.contacts.models import Contact, ContactTag
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.db import Database
from huiliu.routing.models import Group, GroupMember
from huiliu.tickets.models import Ticket, TicketSource, TicketStatus
from tests.clients import bearer, widget_session
from tests.factories import World

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)
PERIOD = {"from": "2026-03-02", "to": "2026-03-03"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fact(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict.fromkeys(FACT_FIELDS, None)
    base |= {
        "channel": "web",
        "handed_over": False,
        "bot_served": False,
        "transfers": 0,
        "messages_customer": 0,
        "messages_agent": 0,
        "messages_bot": 0,
        "surveyed": False,
    }
    return base | values


@dataclass
class Scenario:
    world: World
    ids: dict[str, int] = field(default_factory=dict)  # conversation ids by name
    groups: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)

    def cids(self, *names: str) -> set[int]:
        return {self.ids[n] for n in names}


async def make_group(db: Database, world: World, name: str, members: list[int]) -> int:
    async with db.write() as session:
        group = Group(tenant_id=world.tenant_id, name=name)
        session.add(group)
        await session.flush()
        for account_id in members:
            session.add(
                GroupMember(tenant_id=world.tenant_id, group_id=group.id, account_id=account_id)
            )
        return group.id


async def lay_down(
    db: Database, world: World, facts: dict[str, dict[str, Any]], *, tags: dict[str, list[str]]
) -> tuple[dict[str, int], dict[str, int]]:
    """A contact and a conversation per fact (named), the facts saved with ``save_fact``,
    and the contacts' tags."""
    ids: dict[str, int] = {}
    contacts: dict[str, int] = {}
    async with db.write() as session:
        for name, values in facts.items():
            contact = Contact(tenant_id=world.tenant_id, name=f"客户{name}")
            session.add(contact)
            await session.flush()
            conversation = Conversation(
                tenant_id=world.tenant_id,
                contact_id=contact.id,
                channel=values.get("channel", "web"),
                status=ConversationStatus.closed,
                created_at=values["opened_at"],
            )
            session.add(conversation)
            await session.flush()
            ids[name], contacts[name] = conversation.id, contact.id
            for tag in tags.get(name, []):
                session.add(ContactTag(tenant_id=world.tenant_id, contact_id=contact.id, tag=tag))
        await session.flush()
        conn = await session.connection()
        for name, values in facts.items():
            row = fact(tenant_id=world.tenant_id, contact_id=contacts[name], **values)
            assert await save_fact(conn, ids[name], row)
    return ids, contacts


async def scenario(db: Database, world: World) -> Scenario:
    """Six conversations on 2 and 3 March 2026 in Shanghai (UTC+8), two outside them."""
    a, b = world.agents[0].id, world.agents[1].id
    s = Scenario(world)
    s.groups["g1"] = await make_group(db, world, "售前", [a])
    s.groups["g2"] = await make_group(db, world, "售后", [b])
    g1, g2 = s.groups["g1"], s.groups["g2"]
    served = {"handed_over": True, "surveyed": True}
    facts = {
        # The bot alone, closed by the customer: bot resolved. 10:00 in Shanghai.
        "c1": {
            "bot_served": True,
            "opened_at": utc(2026, 3, 2, 2),
            "closed_at": utc(2026, 3, 2, 2, 5),
        },
        # The bot handed it over; waited 45 s, answered after 70 s, transferred once, rated
        # 2 of 3.
        "c2": {
            **served,
            "bot_served": True,
            "opened_at": utc(2026, 3, 2, 2, 10),
            "group_id": g1,
            "agent_id": a,
            "first_response_at": utc(2026, 3, 2, 2, 11, 10),
            "wait_s": 45.0,
            "wait_bh_s": 45.0,
            "first_response_s": 70.0,
            "first_response_bh_s": 70.0,
            "handling_s": 600.0,
            "transfers": 1,
            "closed_at": utc(2026, 3, 2, 2, 30),
            "closed_by": "agent",
            "rating_score": 2,
            "rating_scale": 3,
        },
        "c3": {
            **served,
            "channel": "wechat",
            "opened_at": utc(2026, 3, 2, 3),
            "group_id": g1,
            "agent_id": a,
            "first_response_at": utc(2026, 3, 2, 3, 1),
            "wait_s": 5.0,
            "first_response_s": 60.0,  # within the minute, just
            "handling_s": 300.0,
            "closed_at": utc(2026, 3, 2, 3, 10),
            "closed_by": "agent",
            "rating_score": 5,
            "rating_scale": 5,
        },
        # 23:30 UTC on the 1st is 07:30 on the 2nd in Shanghai: before business hours, so
        # its business-hours wait and response are shorter. Still open, surveyed, unrated.
        "c4": {
            **served,
            "channel": "wechat",
            "opened_at": utc(2026, 3, 1, 23, 30),
            "group_id": g2,
            "agent_id": b,
            "first_response_at": utc(2026, 3, 1, 23, 34, 10),
            "wait_s": 200.0,
            "wait_bh_s": 20.0,
            "first_response_s": 250.0,
            "first_response_bh_s": 50.0,
        },
        "c5": {
            **served,
            "channel": "email",
            "opened_at": utc(2026, 3, 3, 1),
            "group_id": g2,
            "agent_id": b,
            "first_response_at": utc(2026, 3, 3, 1, 12),
            "wait_s": 700.0,
            "wait_bh_s": 100.0,
            "first_response_s": 20.0,
            "handling_s": 100.0,
            "closed_at": utc(2026, 3, 3, 1, 14),
            "closed_by": "timeout",
            "rating_score": 1,
            "rating_scale": 5,
        },
        # The bot, still open.
        "c6": {"bot_served": True, "opened_at": utc(2026, 3, 3, 6)},
        # 23:30 on the 1st in Shanghai, and midnight on the 4th: outside the period.
        "before": {**served, "opened_at": utc(2026, 3, 1, 15, 30), "wait_s": 9.0},
        "after": {**served, "opened_at": utc(2026, 3, 3, 16), "wait_s": 9.0},
    }
    tags = {"c2": ["VIP"], "c3": ["VIP", "批发"], "c5": ["VIP"], "before": ["VIP"]}
    s.ids, s.contacts = await lay_down(db, world, facts, tags=tags)
    return s


async def get(http: httpx.AsyncClient, world: World, path: str, **params: Any) -> Any:
    r = await http.get(
        f"/api/v1/reports/{path}", params=params, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200, r.text
    return r.json()


def values(node: Any) -> Any:
    """A report's numbers without their drill-down keys."""
    if isinstance(node, dict) and set(node) == {"value", "metric"}:
        return node["value"]
    if isinstance(node, dict):
        return {k: values(v) for k, v in node.items()}
    if isinstance(node, list):
        return [values(v) for v in node]
    return node


EXPECTED = {
    "conversations": 6,
    "handed_over": 4,
    "bot_served": 3,
    "bot_handed_over": 1,
    "handoff_rate": 1 / 3,
    "closed": 4,
    "bot_resolved": 1,
    "bot_resolution_rate": 1 / 4,
    "first_response": {
        "count": 4,
        "avg_s": 400 / 4,
        "within_60": 2,
        "within_60_share": 0.5,
        "later": 2,
    },
    # Waits 5, 45, 200, 700 s: bins ≤10, ≤45, ≤300, ≤1800. The 90th percentile is rank 3.6
    # of 4: 0.6 into the last occupied bin (600, 1800].
    "queue_wait": {"count": 4, "avg_s": 950 / 4, "p90_s": 600 + 1200 * 0.6},
    "handling": {"count": 3, "avg_s": 1000 / 3},
    "transfers": 1,
    "satisfaction": {
        "surveyed": 4,
        "rated": 3,
        "response_rate": 3 / 4,
        "score": (0.5 + 1.0 + 0.0) / 3,
        "score_5": 1 + 4 * (0.5 + 1.0 + 0.0) / 3,
        "satisfied": 1,
        "satisfied_share": 1 / 3,
    },
}
# Business hours: responses 70, 60, 50, 20 s; waits 45, 5, 20, 100 s (p90 0.6 into (90, 120]).
EXPECTED_BH = EXPECTED | {
    "first_response": {
        "count": 4,
        "avg_s": 200 / 4,
        "within_60": 3,
        "within_60_share": 0.75,
        "later": 1,
    },
    "queue_wait": {"count": 4, "avg_s": 170 / 4, "p90_s": 90 + 30 * 0.6},
}


def conversation_numbers(report: dict[str, Any]) -> dict[str, Any]:
    return {k: values(report[k]) for k in EXPECTED}


async def test_overview_counts_every_number_of_the_period_in_the_report_time_zone(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    await scenario(db, world)
    report = await get(http, world, "overview", **PERIOD)
    assert report["period"] == {
        "from": "2026-03-02",
        "to": "2026-03-03",
        "tz": "Asia/Shanghai",
        "business_hours": False,
        "source": "buckets",
    }
    assert conversation_numbers(report) == EXPECTED
    # Each number names the conversations behind it.
    assert report["handoff_rate"]["metric"] == "bot_handed_over"
    assert report["first_response"]["later"]["metric"] == "responded_later"
    assert report["transfers"]["metric"] == "transferred"
    assert report["satisfaction"]["satisfied_share"]["metric"] == "satisfied"
    bh = await get(http, world, "overview", business_hours="true", **PERIOD)
    assert bh["period"]["business_hours"] is True
    assert conversation_numbers(bh) == EXPECTED_BH


async def test_the_tag_path_counts_the_tagged_customers_conversations_and_equals_the_buckets(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    await scenario(db, world)
    vip = await get(http, world, "overview", tag="VIP", **PERIOD)
    assert vip["period"]["source"] == "conversations"
    # c2, c3 and c5 (the tagged customer of "before" is outside the period).
    assert values(vip["conversations"]) == 3
    assert values(vip["first_response"]) == {
        "count": 3,
        "avg_s": 150 / 3,
        "within_60": 2,
        "within_60_share": 2 / 3,
        "later": 1,
    }
    assert values(vip["satisfaction"]["rated"]) == 3
    # Without a tag, both paths give the same answer for every report.
    async with db.read() as session:
        for tz, bh in itertools.product(("Asia/Shanghai", "Asia/Kolkata"), (False, True)):
            filters = ReportFilters.model_validate(PERIOD | {"tz": tz, "business_hours": bh})
            w = await window.resolve(session, tenant_id=world.tenant_id, filters=filters)
            from_buckets = await every_report(session, w, "buckets")
            assert from_buckets == await every_report(session, w, "conversations"), (tz, bh)
            assert from_buckets["overview"]["conversations"]["value"] > 0


async def every_report(session: Any, w: window.Window, source: window.Source) -> dict[str, Any]:
    """Every report of the window from one source, without the period (which names it)."""
    found: dict[str, Any] = {
        "overview": await queries.overview(session, w, source=source),
        "agents": await queries.agents(session, w, source=source),
    }
    for by in ("channel", "group", "agent"):
        found[by] = await queries.breakdown(session, w, by=by, source=source)  # type: ignore[arg-type]
    for metric, interval in itertools.product(
        ("conversations", "wait_p90_s", "satisfaction_score", "within_60_share"), ("day", "hour")
    ):
        found[f"{metric} {interval}"] = await queries.series(
            session,
            w,
            metric=metric,
            interval=interval,
            source=source,  # type: ignore[arg-type]
        )
    return {name: report.model_dump(exclude={"period"}) for name, report in found.items()}


async def test_series_has_every_day_and_hour_zero_filled_and_counts_an_hour_on_the_day_it_starts(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    await scenario(db, world)
    days = await get(
        http, world, "series", metric="conversations", to="2026-03-04", **{"from": "2026-03-02"}
    )
    assert [(p["at"], p["value"], p["metric"]) for p in days["points"]] == [
        ("2026-03-02", 4, "conversations"),  # c1–c4: c4 at 23:30 UTC on the 1st
        ("2026-03-03", 2, "conversations"),
        ("2026-03-04", 1, "conversations"),  # "after", at its midnight
    ]
    rates = await get(
        http, world, "series", metric="within_60_share", to="2026-03-04", **{"from": "2026-03-02"}
    )
    # c2 70 s, c3 60 s, c4 250 s on the 2nd; c5 20 s on the 3rd; nobody answered on the 4th.
    assert [p["value"] for p in rates["points"]] == [1 / 3, 1.0, None]
    assert {p["metric"] for p in rates["points"]} == {"responded_within_60"}
    p90 = await get(http, world, "series", metric="wait_p90_s", business_hours="true", **PERIOD)
    # The 2nd: business-hours waits 45, 5, 20 s (rank 2.7 of 3: 0.7 into (30, 45]); the
    # 3rd: 100 s alone (rank 0.9: 0.9 into (90, 120]).
    assert [p["value"] for p in p90["points"]] == [30 + 15 * 0.7, 90 + 30 * 0.9]
    hours = await get(http, world, "series", metric="conversations", interval="hour", **PERIOD)
    points = hours["points"]
    assert len(points) == 48
    assert points[0]["at"] == "2026-03-02T00:00:00+08:00"
    assert points[0]["hour"] == "2026-03-01T16:00:00Z"
    busy = {p["at"]: p["value"] for p in points if p["value"]}
    assert busy == {
        "2026-03-02T07:00:00+08:00": 1,  # c4
        "2026-03-02T10:00:00+08:00": 2,  # c1, c2
        "2026-03-02T11:00:00+08:00": 1,  # c3
        "2026-03-03T09:00:00+08:00": 1,  # c5
        "2026-03-03T14:00:00+08:00": 1,  # c6
    }


async def test_a_half_hour_zone_counts_an_hour_that_straddles_midnight_on_the_day_it_starts(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    # India is UTC+5:30: the UTC hour 18:00–19:00 on 1 March runs 23:30–00:30 locally.
    ids, _contacts = await lay_down(
        db,
        world,
        {
            "late": {"opened_at": utc(2026, 3, 1, 18, 40)},  # 00:10 on the 2nd, in the 23:30 hour
            "next": {"opened_at": utc(2026, 3, 1, 19, 5)},  # 00:35 on the 2nd
            "last": {"opened_at": utc(2026, 3, 2, 18, 20)},  # 23:50 on the 2nd
            "over": {"opened_at": utc(2026, 3, 2, 19, 0)},  # 00:30 on the 3rd
        },
        tags={},
    )
    one_day = {"from": "2026-03-02", "to": "2026-03-02", "tz": "Asia/Kolkata"}
    report = await get(http, world, "overview", **one_day)
    assert values(report["conversations"]) == 2  # next and last (the 18:00 UTC hour is the 1st's)
    drill = await get(http, world, "conversations", **one_day)
    assert {c["conversation_id"] for c in drill["conversations"]} == {ids["next"], ids["last"]}
    hours = await get(http, world, "series", interval="hour", **one_day)
    assert hours["points"][0]["at"] == "2026-03-02T00:30:00+05:30"
    assert len(hours["points"]) == 24
    assert sum(p["value"] for p in hours["points"]) == 2
    days = await get(
        http, world, "series", tz="Asia/Kolkata", **{"from": "2026-03-01", "to": "2026-03-02"}
    )
    assert [(p["at"], p["value"]) for p in days["points"]] == [("2026-03-01", 1), ("2026-03-02", 2)]
    tagged = await get(http, world, "overview", tag="nobody", **one_day)
    assert values(tagged["conversations"]) == 0
    async with db.read() as session:
        filters = ReportFilters.model_validate(one_day)
        w = await window.resolve(session, tenant_id=world.tenant_id, filters=filters)
        assert await every_report(session, w, "buckets") == await every_report(
            session, w, "conversations"
        )
    # Without tz, the tenant's report settings decide.
    async with db.write() as session:
        session.add(
            ReportSettingsRow(tenant_id=world.tenant_id, settings={"timezone": "Asia/Kolkata"})
        )
    default = await get(http, world, "overview", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert default["period"]["tz"] == "Asia/Kolkata"
    assert values(default["conversations"]) == 2


def test_a_day_when_clocks_change_has_23_or_25_hours() -> None:
    spring = window.Window(
        tenant_id=1, first=date(2026, 3, 29), last=date(2026, 3, 29), tz="Europe/Berlin"
    )
    autumn = window.Window(
        tenant_id=1, first=date(2026, 10, 25), last=date(2026, 10, 25), tz="Europe/Berlin"
    )
    assert len(spring.hours()) == 23
    assert len(autumn.hours()) == 25
    assert {spring.day_of(h) for h in spring.hours()} == {date(2026, 3, 29)}


async def test_breakdown_gives_the_numbers_per_channel_group_and_agent_with_names(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    s = await scenario(db, world)
    a, b = world.agents[0].id, world.agents[1].id
    await hours_online(db, world)
    by_channel = await get(http, world, "breakdown", by="channel", **PERIOD)
    rows = {r["key"]: r for r in by_channel["rows"]}
    assert [(r["key"], r["name"], values(r["conversations"])) for r in by_channel["rows"]] == [
        ("web", "网页", 3),
        ("wechat", "微信公众号", 2),
        ("email", "邮件", 1),
    ]
    assert values(rows["wechat"]["first_response"]["avg_s"]) == (60 + 250) / 2
    assert rows["web"]["occupancy"] is None
    by_group = await get(http, world, "breakdown", by="group", **PERIOD)
    assert {(r["key"], r["name"], values(r["conversations"])) for r in by_group["rows"]} == {
        (s.groups["g1"], "售前", 2),
        (s.groups["g2"], "售后", 2),
        (None, "（无分组）", 2),
    }
    g2 = next(r for r in by_group["rows"] if r["key"] == s.groups["g2"])
    assert values(g2["queue_wait"]) == {"count": 2, "avg_s": 450.0, "p90_s": 600 + 1200 * 0.8}
    by_agent = await get(http, world, "breakdown", by="agent", **PERIOD)
    agents = {r["key"]: r for r in by_agent["rows"]}
    assert set(agents) == {a, b, None}
    assert agents[a]["name"] == "Agent 2"
    assert agents[None]["name"] == "（机器人，无人工）"
    assert values(agents[a]["satisfaction"]["score"]) == (0.5 + 1.0) / 2
    assert values(agents[a]["occupancy"]["occupancy"]) == 6000 / 12000
    assert agents[None]["occupancy"] is None


async def hours_online(db: Database, world: World) -> None:
    """Agent A online 50 min and away 10 in Shanghai's 10:00 on the 2nd; agent B a full hour
    at 07:00 (23:00 UTC on the 1st); A again on the 1st (outside the period)."""
    a, b = world.agents[0].id, world.agents[1].id
    async with db.write() as session:
        await session.execute(
            insert(AgentHour),
            [
                {
                    "tenant_id": world.tenant_id,
                    "agent_id": a,
                    "hour": utc(2026, 3, 2, 2),
                    "online_s": 3000.0,
                    "away_s": 600.0,
                    "load_s": 6000.0,
                    "capacity_s": 12000.0,
                },
                {
                    "tenant_id": world.tenant_id,
                    "agent_id": b,
                    "hour": utc(2026, 3, 1, 23),
                    "online_s": 3600.0,
                    "away_s": 0.0,
                    "load_s": 3600.0,
                    "capacity_s": 7200.0,
                },
                {
                    "tenant_id": world.tenant_id,
                    "agent_id": a,
                    "hour": utc(2026, 3, 1, 15),
                    "online_s": 3600.0,
                    "away_s": 0.0,
                    "load_s": 3600.0,
                    "capacity_s": 3600.0,
                },
            ],
        )


async def test_occupancy_and_time_online_come_from_the_agents_hours(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    s = await scenario(db, world)
    await hours_online(db, world)
    a, b = world.agents[0].id, world.agents[1].id
    report = await get(http, world, "overview", **PERIOD)
    assert values(report["occupancy"]) == {
        "online_s": 6600.0,
        "away_s": 600.0,
        "load_s": 9600.0,
        "capacity_s": 19200.0,
        "occupancy": 0.5,
    }
    # The group filter keeps its members' time; the channel filter does not narrow time.
    g1 = await get(http, world, "overview", group_id=s.groups["g1"], channel="web", **PERIOD)
    assert values(g1["occupancy"]["online_s"]) == 3000.0
    assert values(g1["conversations"]) == 1  # c2
    series = await get(http, world, "series", metric="occupancy", **PERIOD)
    assert [p["value"] for p in series["points"]] == [0.5, None]
    team = await get(http, world, "agents", **PERIOD)
    rows = {r["agent"]["id"]: r for r in team["agents"]}
    assert set(rows) == {a, b}  # the active agents (supervisors and admins serve no one here)
    assert values(rows[a]["conversations"]) == 2
    assert values(rows[a]["first_response"]["avg_s"]) == 65.0
    assert values(rows[a]["handling"]["avg_s"]) == 450.0
    assert values(rows[a]["satisfaction"]["satisfied"]) == 1
    assert values(rows[a]["occupancy"]) == {
        "online_s": 3000.0,
        "away_s": 600.0,
        "load_s": 6000.0,
        "capacity_s": 12000.0,
        "occupancy": 0.5,
    }
    assert values(rows[b]["occupancy"]["occupancy"]) == 0.5
    assert values(rows[b]["satisfaction"]) == {
        "surveyed": 2,
        "rated": 1,
        "response_rate": 0.5,
        "score": 0.0,
        "score_5": 1.0,
        "satisfied": 0,
        "satisfied_share": 0.0,
    }
    only_b = await get(http, world, "agents", agent_id=b, **PERIOD)
    assert [r["agent"]["id"] for r in only_b["agents"]] == [b]


async def add_tickets(db: Database, world: World, rows: list[dict[str, Any]]) -> list[int]:
    async with db.write() as session:
        made = []
        for n, values in enumerate(rows, start=1):
            ticket = Ticket(
                tenant_id=world.tenant_id,
                number=n,
                subject=f"工单 {n}",
                source=TicketSource.manual,
                **values,
            )
            session.add(ticket)
            made.append(ticket)
        await session.flush()
        return [t.id for t in made]


async def test_ticket_sla_compliance_counts_the_tickets_created_in_the_period(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    s = await scenario(db, world)
    a = world.agents[0].id
    g1 = s.groups["g1"]
    day1, day2 = utc(2026, 3, 2, 3), utc(2026, 3, 3, 3)
    hour = timedelta(hours=1)
    await add_tickets(
        db,
        world,
        [
            # Answered and solved in time.
            {
                "created_at": day1,
                "channel": "web",
                "group_id": g1,
                "assignee_id": a,
                "first_response_due_at": day1 + hour,
                "first_response_at": day1 + hour / 2,
                "resolution_due_at": day1 + 8 * hour,
                "solved_at": day1 + 2 * hour,
                "status": TicketStatus.solved,
            },
            # Answered late, still open past its resolution due time.
            {
                "created_at": day1,
                "channel": "wechat",
                "group_id": g1,
                "assignee_id": a,
                "first_response_due_at": day1 + hour,
                "first_response_at": day1 + 2 * hour,
                "resolution_due_at": day1 + 8 * hour,
                "status": TicketStatus.open,
            },
            # No targets.
            {"created_at": day2, "channel": "web", "status": TicketStatus.open},
            # Marked breached by the sweep; pending stops the resolution clock.
            {
                "created_at": day2,
                "channel": "email",
                "first_response_due_at": day2 + hour,
                "first_response_breached": True,
                "resolution_due_at": day2 + 2 * hour,
                "status": TicketStatus.pending,
            },
            # Solved without needing an answer, in time.
            {
                "created_at": day1,
                "channel": "web",
                "first_response_due_at": day1 + hour,
                "resolution_due_at": day1 + 8 * hour,
                "solved_at": day1 + hour / 4,
                "status": TicketStatus.closed,
                "closed_at": day1 + hour,
            },
            # 23:00 on the 1st in Shanghai: outside the period.
            {
                "created_at": utc(2026, 3, 1, 15),
                "first_response_due_at": day1,
                "first_response_breached": True,
                "status": TicketStatus.open,
            },
            # Due at 05:00 on the 3rd, unanswered: running before, breached after.
            {
                "created_at": utc(2026, 3, 3, 4),
                "channel": "sms",
                "first_response_due_at": utc(2026, 3, 3, 5),
                "status": TicketStatus.open,
            },
        ],
    )
    report = await get(http, world, "overview", **PERIOD)
    assert values(report["tickets"]) == {
        "created": 6,
        "first_response": {"with_target": 5, "met": 2, "breached": 3, "compliance": 2 / 5},
        "resolution": {"with_target": 4, "met": 2, "breached": 1, "compliance": 2 / 3},
        "breached": 3,
    }
    # Before the last ticket's due time (a fake clock) its clock still runs.
    async with db.read() as session:
        w = await window.resolve(
            session, tenant_id=world.tenant_id, filters=ReportFilters.model_validate(PERIOD)
        )
        early = await queries.overview(session, w, now=utc(2026, 3, 3, 4, 30))
    assert early.tickets.first_response.breached.value == 2
    assert early.tickets.first_response.compliance.value == 0.5
    assert early.tickets.breached.value == 2
    by_group = await get(http, world, "breakdown", by="group", **PERIOD)
    g1_row = next(r for r in by_group["rows"] if r["key"] == g1)
    assert values(g1_row["tickets"]["first_response"]) == {
        "with_target": 2,
        "met": 1,
        "breached": 1,
        "compliance": 0.5,
    }
    web = await get(http, world, "overview", channel="web", **PERIOD)
    assert values(web["tickets"]["created"]) == 3
    mine = await get(http, world, "overview", agent_id=a, **PERIOD)
    assert values(mine["tickets"]["created"]) == 2


DRILL = {
    "conversations": {"c1", "c2", "c3", "c4", "c5", "c6"},
    "handed_over": {"c2", "c3", "c4", "c5"},
    "bot_served": {"c1", "c2", "c6"},
    "bot_handed_over": {"c2"},
    "closed": {"c1", "c2", "c3", "c5"},
    "bot_resolved": {"c1"},
    "responded": {"c2", "c3", "c4", "c5"},
    "responded_within_60": {"c3", "c5"},
    "responded_later": {"c2", "c4"},
    "waited": {"c2", "c3", "c4", "c5"},
    "handled": {"c2", "c3", "c5"},
    "transferred": {"c2"},
    "surveyed": {"c2", "c3", "c4", "c5"},
    "rated": {"c2", "c3", "c5"},
    "unrated": {"c4"},
    "satisfied": {"c3"},
    "unsatisfied": {"c5"},
}


async def drill(http: httpx.AsyncClient, world: World, **params: Any) -> set[int]:
    body = await get(http, world, "conversations", per_page=200, **params)
    assert body["total"] == len(body["conversations"])
    return {c["conversation_id"] for c in body["conversations"]}


async def test_the_drill_down_lists_exactly_the_conversations_behind_each_number(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    s = await scenario(db, world)
    assert set(DRILL) == set(queries.Metric.__args__)  # type: ignore[attr-defined]
    for metric, names in DRILL.items():
        assert await drill(http, world, metric=metric, **PERIOD) == s.cids(*names), metric
    # Each figure's count is its drill-down's total.
    report = await get(http, world, "overview", **PERIOD)
    counted = [
        report["conversations"],
        report["handed_over"],
        report["bot_served"],
        report["bot_handed_over"],
        report["closed"],
        report["bot_resolved"],
        report["first_response"]["count"],
        report["first_response"]["within_60"],
        report["first_response"]["later"],
        report["queue_wait"]["count"],
        report["handling"]["count"],
        report["satisfaction"]["surveyed"],
        report["satisfaction"]["rated"],
        report["satisfaction"]["satisfied"],
    ]
    for figure in counted:
        page = await get(http, world, "conversations", metric=figure["metric"], **PERIOD)
        assert page["total"] == figure["value"], figure
    # Business hours move c4 (50 s) within the minute.
    bh = {"business_hours": "true", **PERIOD}
    assert await drill(http, world, metric="responded_within_60", **bh) == s.cids("c3", "c4", "c5")
    assert await drill(http, world, metric="responded_later", **bh) == s.cids("c2")
    # The same filters as the reports.
    assert await drill(http, world, tag="VIP", **PERIOD) == s.cids("c2", "c3", "c5")
    assert await drill(http, world, channel="wechat", metric="responded", **PERIOD) == s.cids(
        "c3", "c4"
    )
    assert await drill(http, world, group_id=s.groups["g2"], **PERIOD) == s.cids("c4", "c5")
    assert await drill(http, world, agent_id=world.agents[0].id, **PERIOD) == s.cids("c2", "c3")
    # An hourly point's conversations: 10:00 in Shanghai on the 2nd.
    assert await drill(http, world, hour="2026-03-02T02:00:00Z", **PERIOD) == s.cids("c1", "c2")
    # Rows carry who, where and the numbers; newest first, a page at a time.
    page = await get(http, world, "conversations", metric="rated", per_page=2, **PERIOD)
    assert page["total"] == 3
    assert [c["conversation_id"] for c in page["conversations"]] == [s.ids["c5"], s.ids["c3"]]
    row = page["conversations"][1]
    assert row["contact"] == {"id": s.contacts["c3"], "name": "客户c3"}
    assert row["group"] == {"id": s.groups["g1"], "name": "售前"}
    assert row["agent"] == {"id": world.agents[0].id, "name": "Agent 2"}
    assert row["channel"] == "wechat"
    assert row["opened_at"] == "2026-03-02T03:00:00Z"
    assert (row["wait_s"], row["first_response_s"], row["handling_s"]) == (5.0, 60.0, 300.0)
    assert (row["rating_score"], row["rating_scale"]) == (5, 5)
    second = await get(http, world, "conversations", metric="rated", per_page=2, page=2, **PERIOD)
    assert [c["conversation_id"] for c in second["conversations"]] == [s.ids["c2"]]
    assert page["capped"] is False


async def test_a_drill_down_counts_up_to_its_cap(
    http: httpx.AsyncClient, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await scenario(db, world)
    monkeypatch.setattr(drill_down, "COUNT_CAP", 4)
    page = await get(http, world, "conversations", per_page=10, **PERIOD)
    assert (page["total"], page["capped"]) == (4, True)
    assert len(page["conversations"]) == 6  # the rows are all there; only the count stops
    exact = await get(http, world, "conversations", metric="handed_over", **PERIOD)
    assert (exact["total"], exact["capped"]) == (4, False)
    assert {c["conversation_id"] for c in exact["conversations"]} == s.cids("c2", "c3", "c4", "c5")


def test_p90_is_interpolated_inside_its_bin_and_open_ended_past_the_last_edge() -> None:
    empty = [0] * queries.HIST_LEN
    assert queries.p90(empty) is None
    ten_in_first = [10, *empty[1:]]  # ten waits of up to 10 s: rank 9 is 0.9 into (0, 10]
    assert queries.p90(ten_in_first) == 9.0
    # Nine up to 10 s and one beyond 30 min: rank 9 is the first bin's end.
    assert queries.p90([9, *empty[1:-1], 1]) == 10.0
    assert queries.p90([*empty[:-1], 3]) == 1800.0  # past the last edge: that edge
    assert queries.percentile([0, 4, *empty[2:]], 0.5) == 15.0  # rank 2 of 4 in (10, 20]


# Conversations and the terms their customers wrote: the period (2 and 3 March) and the
# previous two days.
TERMS: dict[str, tuple[date, str, dict[str, int]]] = {
    "p1": (date(2026, 2, 28), "web", {"退款": 1}),
    "p2": (date(2026, 2, 28), "web", {"退款": 2, "发货": 1}),
    "p3": (date(2026, 3, 1), "web", {"发货": 1}),
    "p4": (date(2026, 3, 1), "wechat", {"发货": 1}),
    "p5": (date(2026, 3, 1), "web", {"发货": 2}),
    "p6": (date(2026, 3, 1), "web", {"发货": 1, "尺码": 1}),
    "q1": (D1, "web", {"退款": 2, "发货": 1}),
    "q2": (D1, "wechat", {"退款": 1, "发货": 3}),
    "q3": (D1, "web", {"退款": 1}),
    "q4": (D2, "wechat", {"退款": 1, "优惠券": 2, "尺码": 1}),
    "q5": (D2, "web", {"优惠券": 1}),
    "q6": (D2, "web", {"优惠券": 1}),
    "old": (date(2026, 2, 27), "web", {"旧词": 1}),
}


async def lay_down_terms(db: Database, world: World) -> dict[str, int]:
    """Each conversation opened at noon in Shanghai, its terms, and the term days they add
    up to (as the fold writes them)."""
    facts = {
        name: {"opened_at": datetime(day.year, day.month, day.day, 4, tzinfo=UTC), "channel": ch}
        for name, (day, ch, _terms) in TERMS.items()
    }
    ids, _contacts = await lay_down(db, world, facts, tags={"q2": ["VIP"]})
    days: Counter[tuple[date, str]] = Counter()
    mentions: Counter[tuple[date, str]] = Counter()
    rows = []
    for name, (day, _ch, said) in TERMS.items():
        for term, n in said.items():
            rows.append(
                {
                    "conversation_id": ids[name],
                    "term": term,
                    "tenant_id": world.tenant_id,
                    "day": day,
                    "mentions": n,
                }
            )
            days[day, term] += 1
            mentions[day, term] += n
    async with db.write() as session:
        await session.execute(insert(ConversationTerm), rows)
        await session.execute(
            insert(TermDay),
            [
                {
                    "tenant_id": world.tenant_id,
                    "day": day,
                    "term": term,
                    "conversations": n,
                    "mentions": mentions[day, term],
                }
                for (day, term), n in days.items()
            ],
        )
    return ids


def terms_of(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            t["term"],
            t["conversations"]["value"],
            t["mentions"],
            t["previous"],
            t["change"],
            t["change_rate"],
        )
        for t in rows
    ]


async def test_hot_words_rank_terms_by_conversations_and_rising_ones_against_the_previous_period(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    ids = await lay_down_terms(db, world)
    words = await get(http, world, "hot-words", **PERIOD)
    assert (words["previous_from"], words["previous_to"]) == ("2026-02-28", "2026-03-01")
    assert terms_of(words["top"]) == [
        ("退款", 4, 5, 2, 2, 1.0),
        ("优惠券", 3, 4, 0, 3, None),
        ("发货", 2, 4, 5, -3, -0.6),
        ("尺码", 1, 1, 1, 0, 0.0),
    ]
    assert [t["term"] for t in words["rising"]] == ["优惠券", "退款"]
    assert {t["conversations"]["metric"] for t in words["top"]} == {"conversations"}
    first = await get(http, world, "hot-words", limit=1, **PERIOD)
    assert ([t["term"] for t in first["top"]], [t["term"] for t in first["rising"]]) == (
        ["退款"],
        ["优惠券"],
    )
    # Narrowed to a channel, from each conversation's terms.
    wechat = await get(http, world, "hot-words", channel="wechat", **PERIOD)
    assert wechat["period"]["source"] == "conversations"
    assert terms_of(wechat["top"]) == [
        ("退款", 2, 2, 0, 2, None),
        ("发货", 1, 3, 1, 0, 0.0),
        ("优惠券", 1, 2, 0, 1, None),
        ("尺码", 1, 1, 0, 1, None),
    ]
    assert [t["term"] for t in wechat["rising"]] == ["退款", "优惠券", "尺码"]
    # Both paths agree without filters.
    async with db.read() as session:
        w = await window.resolve(
            session, tenant_id=world.tenant_id, filters=ReportFilters.model_validate(PERIOD)
        )
        daily = await hotwords.hot_words(session, w, source="buckets")
        per_conversation = await hotwords.hot_words(session, w, source="conversations")
    assert daily.model_dump(exclude={"period"}) == per_conversation.model_dump(exclude={"period"})
    # Each term drills down to its conversations on the same days.
    by_name = {v: k for k, v in ids.items()}

    async def named(**params: Any) -> set[str]:
        return {by_name[i] for i in await drill(http, world, **params)}

    assert await named(term="退款", **PERIOD) == {"q1", "q2", "q3", "q4"}
    assert await named(term="退款", channel="wechat", **PERIOD) == {"q2", "q4"}
    assert await named(term="退款", tag="VIP", **PERIOD) == {"q2"}
    before = {"from": "2026-02-28", "to": "2026-03-01"}
    assert await named(term="发货", **before) == {"p2", "p3", "p4", "p5", "p6"}
    # Hot words count days of the tenant's zone, whatever tz asks.
    elsewhere = await get(http, world, "hot-words", tz="America/New_York", **PERIOD)
    assert elsewhere["period"]["tz"] == "Asia/Shanghai"
    assert terms_of(elsewhere["top"]) == terms_of(words["top"])


def flat(node: Any, prefix: str = "") -> dict[str, Any]:
    """A report's figures by dotted path (what the export's 键 column says)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "period":
            continue
        if isinstance(value, dict) and set(value) == {"value", "metric"}:
            out[prefix + key] = value["value"]
        elif isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
    return out


def cell(value: Any) -> Any:
    """A JSON number as the export writes it."""
    return round(value, 4) if isinstance(value, float) else value


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode()), "CSV starts with a BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(body: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def from_text(text: str) -> Any:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


async def download(
    http: httpx.AsyncClient, world: World, path: str, **params: Any
) -> httpx.Response:
    r = await http.get(
        f"/api/v1/reports/{path}/export", params=params, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    return r


def table(rows: list[list[Any]], head: str) -> list[dict[str, Any]]:
    """The rows under the header row that starts with ``head``, as dicts."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == head)
    names = rows[start]
    return [dict(zip(names, row, strict=False)) for row in rows[start + 1 :] if row]


async def test_csv_and_xlsx_exports_parse_back_to_the_reports_numbers(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    s = await scenario(db, world)
    await hours_online(db, world)
    report = await get(http, world, "overview", **PERIOD)
    expected = {path: cell(v) for path, v in flat(report).items()}
    r = await download(http, world, "overview", format="csv", **PERIOD)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="huiliu-overview-2026-03-02_2026-03-03.csv"; '
        "filename*=UTF-8''" + quote("概览-2026-03-02_2026-03-03.csv")
    )
    rows = read_csv(r.content)
    assert rows[0] == ["时间范围", "2026-03-02 至 2026-03-03"]
    lines = table(rows, "指标")
    assert {line["键"]: from_text(line["数值"]) for line in lines} == expected
    labels = {line["键"]: line["指标"] for line in lines}
    assert labels["first_response.within_60_share"] == "60秒内响应占比"
    assert labels["queue_wait.p90_s"] == "排队时长P90（秒）"
    r = await download(http, world, "overview", format="xlsx", **PERIOD)
    assert r.headers["content-type"] == export.XLSX_MEDIA
    assert (
        'filename="huiliu-overview-2026-03-02_2026-03-03.xlsx"' in r.headers["content-disposition"]
    )
    lines = table(read_xlsx(r.content), "指标")
    assert {line["键"]: line["数值"] for line in lines} == expected

    by_agent = await get(http, world, "breakdown", by="agent", **PERIOD)
    for fmt in ("csv", "xlsx"):
        r = await download(http, world, "breakdown", by="agent", format=fmt, **PERIOD)
        got = read_csv(r.content) if fmt == "csv" else read_xlsx(r.content)
        lines = table(got, "客服ID")
        assert len(lines) == len(by_agent["rows"])
        for line, row in zip(lines, by_agent["rows"], strict=True):
            assert line["客服"] == row["name"]
            for path, value in flat(row).items():
                shown = line[export.LABELS[path]]
                assert (from_text(shown) if fmt == "csv" else shown) == cell(value), path

    team = await get(http, world, "agents", **PERIOD)
    lines = table(
        read_xlsx((await download(http, world, "agents", format="xlsx", **PERIOD)).content),
        "客服ID",
    )
    assert [(line["客服ID"], line["会话数"], line["占用率"]) for line in lines] == [
        (a["agent"]["id"], a["conversations"]["value"], a["occupancy"]["occupancy"]["value"])
        for a in team["agents"]
    ]

    r = await download(http, world, "series", metric="handling_avg_s", format="csv", **PERIOD)
    assert table(read_csv(r.content), "日期") == [
        {"日期": "2026-03-02", "平均处理时长（秒）": str(round(900 / 2, 4))},
        {"日期": "2026-03-03", "平均处理时长（秒）": "100.0"},
    ]
    assert (
        'filename="huiliu-series-handling_avg_s-2026-03-02_2026-03-03.csv"'
        in r.headers["content-disposition"]
    )

    # The drill-down exports all its rows: who, where, local times, the numbers.
    for fmt in ("csv", "xlsx"):
        r = await download(http, world, "conversations", metric="responded", format=fmt, **PERIOD)
        got = read_csv(r.content) if fmt == "csv" else read_xlsx(r.content)
        lines = table(got, "会话ID")
        ids = {int(line["会话ID"]) for line in lines}
        assert ids == s.cids("c2", "c3", "c4", "c5")
        c3 = next(line for line in lines if int(line["会话ID"]) == s.ids["c3"])
        assert c3["客户"] == "客户c3"
        assert c3["渠道"] == "微信公众号"
        assert c3["分组"] == "售前"
        assert c3["客服"] == "Agent 2"
        opened = c3["开始时间（Asia/Shanghai）"]
        assert str(opened) == "2026-03-02 11:00:00"  # 03:00 UTC
        assert from_text(str(c3["首次响应（秒）"])) == 60.0
        assert c3["结束方"] == "客服"


async def test_hot_words_export_lists_both_rankings(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    await lay_down_terms(db, world)
    r = await download(http, world, "hot-words", format="csv", **PERIOD)
    lines = table(read_csv(r.content), "榜单")
    assert [(line["榜单"], line["词"], line["会话数"], line["变化"]) for line in lines] == [
        ("热词", "退款", "4", "2"),
        ("热词", "优惠券", "3", "3"),
        ("热词", "发货", "2", "-3"),
        ("热词", "尺码", "1", "0"),
        ("上升", "优惠券", "3", "3"),
        ("上升", "退款", "4", "2"),
    ]


async def test_a_drill_down_export_past_the_cap_is_refused_with_a_clear_error(
    http: httpx.AsyncClient, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scenario(db, world)
    monkeypatch.setattr(export, "MAX_ROWS", 5)
    r = await http.get(
        "/api/v1/reports/conversations/export",
        params={"format": "csv", **PERIOD},
        headers=bearer(world.supervisor.token),
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "too_many_rows"
    assert "more than 5 conversations" in r.json()["detail"]
    ok = await download(http, world, "conversations", metric="handed_over", **PERIOD)
    assert len(table(read_csv(ok.content), "会话ID")) == 4


async def test_the_export_reads_every_row_in_keyset_chunks(db: Database, world: World) -> None:
    s = await scenario(db, world)
    async with db.read() as session:
        w = await window.resolve(
            session, tenant_id=world.tenant_id, filters=ReportFilters.model_validate(PERIOD)
        )
        rows = drill_down.iter_conversations(
            session, w, metric="conversations", term=None, hour=None, chunk=2
        )
        got = [r.conversation_id async for r in rows]
        page = await drill_down.conversations(session, w, per_page=200)
    assert got == [r.conversation_id for r in page.conversations]
    assert set(got) == s.cids("c1", "c2", "c3", "c4", "c5", "c6")


async def test_bad_filters_are_refused_with_a_clear_message(
    http: httpx.AsyncClient, db: Database, world: World, other_world: World
) -> None:
    theirs = await make_group(db, other_world, "别家", [])
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("overview", {"from": "2026-03-05", "to": "2026-03-01"}, "before from"),
        ("overview", {"from": "2025-01-01", "to": "2026-03-01"}, "at most 400"),
        ("overview", {"from": "03/01/2026"}, "from"),
        ("overview", {"tz": "Mars/Olympus_Mons"}, "unknown time zone"),
        ("overview", {"tz": "../../etc/passwd"}, "unknown time zone"),
        ("overview", {"channel": "fax"}, "unknown channel 'fax'"),
        ("overview", {"group_id": theirs}, f"no group {theirs}"),
        ("overview", {"agent_id": other_world.agent.id}, f"no account {other_world.agent.id}"),
        ("overview", {"group_id": "x"}, "group_id"),
        ("overview", {"business_hours": "maybe"}, "business_hours"),
        ("overview", {"tag": "x" * 33}, "tag"),
        ("overview", {"tag": "  "}, "tag must not be blank"),
        ("overview", {"from": "1900-01-01", "to": "1900-01-02"}, "between"),
        ("series", {"metric": "revenue"}, "metric"),
        ("series", {"interval": "week"}, "interval"),
        ("breakdown", {}, "by"),
        ("breakdown", {"by": "planet"}, "by"),
        ("conversations", {"metric": "everything"}, "metric"),
        ("conversations", {"per_page": 0}, "per_page"),
        ("conversations", {"hour": "2026-03-02T02:30:00Z", **PERIOD}, "whole UTC hour"),
        ("conversations", {"hour": "2026-03-09T02:00:00Z", **PERIOD}, "outside the period"),
        ("conversations", {"hour": "2026-03-02T02:00:00", **PERIOD}, "offset"),
        ("conversations", {"hour": "9999-12-31T23:00:00-01:00", **PERIOD}, "out of range"),
        ("conversations", {"term": ""}, "term"),
        ("hot-words", {"limit": 0}, "limit"),
        ("hot-words", {"limit": 101}, "limit"),
        ("overview/export", {"format": "pdf"}, "format"),
        ("conversations/export", {"hour": "2026-03-02T02:30:00Z", **PERIOD}, "whole UTC hour"),
    ]
    for path, params, says in cases:
        r = await http.get(
            f"/api/v1/reports/{path}", params=params, headers=bearer(world.supervisor.token)
        )
        assert r.status_code == 422, (path, params, r.text)
        assert says in r.json()["detail"], (path, params, r.json())
    r = await http.get(
        "/api/v1/reports/overview",
        params={"from": "2026-03-05", "to": "2026-03-01"},
        headers=bearer(world.supervisor.token),
    )
    assert r.json() == {
        "code": "invalid",
        "detail": "to (2026-03-01) is before from (2026-03-05)",
        "field": "to",
    }


ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("overview", {}),
    ("series", {"metric": "wait_p90_s"}),
    ("breakdown", {"by": "group"}),
    ("agents", {}),
    ("conversations", {"metric": "rated"}),
    ("hot-words", {}),
    ("overview/export", {"format": "xlsx"}),
    ("series/export", {}),
    ("breakdown/export", {"by": "channel"}),
    ("agents/export", {}),
    ("conversations/export", {}),
    ("hot-words/export", {"format": "xlsx"}),
]


async def test_supervisors_and_admins_see_every_report_and_nobody_else_does(
    http: httpx.AsyncClient, world: World
) -> None:
    visitor = (await widget_session(http, world.widget_key))["visitor_token"]
    callers = {
        "admin": (world.admin.token, 200),
        "supervisor": (world.supervisor.token, 200),
        "agent": (world.agent.token, 403),
        "visitor": (visitor, 403),
    }
    assert {r.path for r in reports_router.routes} == {f"/api/v1/reports/{p}" for p, _ in ROUTES}
    for (path, params), (role, (token, status)) in itertools.product(ROUTES, callers.items()):
        r = await http.get(
            f"/api/v1/reports/{path}", params={**PERIOD, **params}, headers=bearer(token)
        )
        assert r.status_code == status, (path, role, r.text)
        if status == 403:
            assert r.json()["code"] == "forbidden"
    for path, params in ROUTES:
        r = await http.get(f"/api/v1/reports/{path}", params=params)
        assert r.status_code == 401, path


def test_exported_cells_never_run_as_formulas_and_drop_what_a_sheet_cannot_hold() -> None:
    """A customer's name comes from their channel profile: "=HYPERLINK(…)" stays text, and a
    control character in a nickname does not break the export."""
    rows = [["名称", "数量"], ['=HYPERLINK("http://evil","x")', 1], ["Lin\x01", -2], ["@me", 3]]
    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(rows, "会话"))).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[1:] == [['\'=HYPERLINK("http://evil","x")', 1], ["Lin", -2], ["'@me", 3]]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    parsed = list(csv.reader(io.StringIO(export.to_csv(rows).decode("utf-8-sig"))))
    assert parsed[1:] == [['\'=HYPERLINK("http://evil","x")', "1"], ["Lin", "-2"], ["'@me", "3"]]
