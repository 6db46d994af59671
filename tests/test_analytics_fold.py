"""The report fold: facts from raw rows with known timestamps (a fake clock: the rows are
written with explicit times), buckets and term days equal to a recomputation whatever the
order and repetition of folds, the outbox job end to end through the server, and the
rebuild."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, func, insert, select, update

from huiliu.analytics import fold, rebuild, rollup, terms
from huiliu.analytics import settings as report_settings
from huiliu.analytics.models import WAIT_BINS, ConversationTerm, TermDay
from huiliu.analytics.settings import ReportSettings
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation, Message
from huiliu.db import Database
from huiliu.outbox import service as outbox_service
from huiliu.outbox.registry import Context, Job
from huiliu.routing.models import Group
from huiliu.satisfaction.models import Survey
from huiliu.tenants import service as tenants_service
from tests.clients import Connect, bearer, widget_session
from tests.conftest import TEST_SECRET
from tests.factories import World, make_world
from tests.kb_data import enable_bot

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
contacts = cast(Table, Contact.__table__)
groups = cast(Table, Group.__table__)
surveys = cast(Table, Survey.__table__)
term_rows = cast(Table, ConversationTerm.__table__)
term_days = cast(Table, TermDay.__table__)

# A Monday, 10:00 in Shanghai. Far from the real clock: the test server's own sweeps and
# samplers never act on these rows.
T0 = datetime(2099, 3, 2, 2, 0, tzinfo=UTC)
OFFICE = {
    "timezone": "Asia/Shanghai",
    "weekly": {
        d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
    },
}
_ids = itertools.count()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"type": "event", "event": name, **fields}


def text(words: str, **fields: Any) -> dict[str, Any]:
    return {"type": "text", "text": words, **fields}


@dataclass
class Step:
    at: datetime
    sender: str  # contact | agent | bot | system
    content: dict[str, Any]
    sender_id: int | None = None


@dataclass
class Script:
    """A conversation's raw rows as the actions would have left them."""

    opened_at: datetime
    steps: list[Step] = field(default_factory=list)
    channel: str = "web"
    group_id: int | None = None
    with_bot: bool = False  # the row's flag at the end
    queued_at: datetime | None = None  # the row's
    rating_score: int | None = None  # legacy
    survey: tuple[int, int | None] | None = None  # (scale, score)


async def new_contact(conn: Any, tenant_id: int) -> int:
    result = await conn.execute(
        insert(contacts)
        .values(tenant_id=tenant_id, name=f"客户 {next(_ids)}", attributes={}, created_at=T0)
        .returning(contacts.c.id)
    )
    return int(result.scalar_one())


async def write_conversation(db: Database, tenant_id: int, script: Script) -> int:
    """Insert the conversation and its first steps (an opened event first)."""
    async with db.write_connection() as conn:
        contact_id = await new_contact(conn, tenant_id)
        result = await conn.execute(
            insert(conversations)
            .values(
                tenant_id=tenant_id,
                contact_id=contact_id,
                channel=script.channel,
                status="open",
                group_id=script.group_id,
                with_bot=script.with_bot,
                queued_at=script.queued_at,
                last_seq=0,
                created_at=script.opened_at,
                last_message_at=script.opened_at,
            )
            .returning(conversations.c.id)
        )
        cid = int(result.scalar_one())
    await add_steps(db, cid, [Step(script.opened_at, "system", event("opened")), *script.steps])
    if script.rating_score is not None or script.survey is not None:
        await rate(db, tenant_id, cid, script)
    return cid


async def add_steps(db: Database, cid: int, steps: Sequence[Step]) -> None:
    """Append messages; a closed event closes the row, as the close actions do."""
    if not steps:
        return
    async with db.write_connection() as conn:
        row = (
            await conn.execute(
                select(conversations.c.tenant_id, conversations.c.last_seq).where(
                    conversations.c.id == cid
                )
            )
        ).one()
        seq = int(row.last_seq)
        for step in steps:
            seq += 1
            await conn.execute(
                insert(messages).values(
                    tenant_id=row.tenant_id,
                    conversation_id=cid,
                    seq=seq,
                    sender_type=step.sender,
                    sender_id=step.sender_id,
                    content_type=step.content["type"],
                    content=step.content,
                    created_at=step.at,
                )
            )
            values: dict[str, Any] = {"last_seq": seq, "last_message_at": step.at}
            if step.content.get("event") == "closed":
                values |= {"status": "closed", "closed_at": step.at}
            await conn.execute(
                update(conversations).where(conversations.c.id == cid).values(**values)
            )


async def rate(db: Database, tenant_id: int, cid: int, script: Script) -> None:
    async with db.write_connection() as conn:
        if script.rating_score is not None:
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == cid)
                .values(rating_score=script.rating_score)
            )
        if script.survey is not None:
            scale, score = script.survey
            await conn.execute(
                insert(surveys).values(
                    tenant_id=tenant_id,
                    conversation_id=cid,
                    channel="web",
                    scale=scale,
                    trigger="agent_close",
                    via="buttons",
                    token=f"t{next(_ids)}-{cid}",
                    asked_at=script.opened_at,
                    score=score,
                    tags=[],
                )
            )


async def make_group(db: Database, tenant_id: int, hours: dict[str, Any] | None) -> int:
    async with db.write_connection() as conn:
        result = await conn.execute(
            insert(groups)
            .values(
                tenant_id=tenant_id,
                name=f"售后 {next(_ids)}",
                strategy="least_load",
                last_agent_days=7,
                is_default=False,
                channels=[],
                working_hours=hours,
                created_at=T0,
            )
            .returning(groups.c.id)
        )
        return int(result.scalar_one())


async def fold_all(db: Database, tenant_id: int, ids: Sequence[int]) -> fold.Folded:
    async with db.write_connection() as conn:
        return await fold.fold(conn, tenant_id=tenant_id, conversation_ids=ids)


async def bucket_table(db: Database, tenant_id: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    async with db.read() as session:
        rows = (
            await session.execute(
                select(rollup.buckets).where(rollup.buckets.c.tenant_id == tenant_id)
            )
        ).mappings()
        return {
            tuple(r[k] for k in rollup.KEY_FIELDS): {
                k: r[k] for k in (*rollup.COUNTERS, *rollup.HISTOGRAMS)
            }
            for r in rows
        }


async def fact_table(db: Database, tenant_id: int) -> dict[int, dict[str, Any]]:
    async with db.read() as session:
        rows = (
            await session.execute(select(rollup.facts).where(rollup.facts.c.tenant_id == tenant_id))
        ).mappings()
        return {int(r["conversation_id"]): {k: r[k] for k in rollup.FACT_FIELDS} for r in rows}


async def term_day_table(db: Database, tenant_id: int) -> dict[tuple[date, str], tuple[int, int]]:
    async with db.read() as session:
        rows = await session.execute(
            select(
                term_days.c.day, term_days.c.term, term_days.c.conversations, term_days.c.mentions
            ).where(term_days.c.tenant_id == tenant_id)
        )
        return {(r.day, r.term): (r.conversations, r.mentions) for r in rows}


async def term_table(db: Database, tenant_id: int) -> dict[int, dict[str, tuple[date, int]]]:
    out: dict[int, dict[str, tuple[date, int]]] = {}
    async with db.read() as session:
        for r in await session.execute(select(term_rows).where(term_rows.c.tenant_id == tenant_id)):
            out.setdefault(int(r.conversation_id), {})[r.term] = (r.day, int(r.mentions))
    return out


def bucket(**values: Any) -> dict[str, Any]:
    """A bucket's counters: the given ones, zero elsewhere; ``wait_bin`` / ``wait_bh_bin``
    name the histogram bin holding one wait."""
    out = rollup.empty_bucket()
    for name in ("wait_bin", "wait_bh_bin"):
        if name in values:
            hist = "wait_hist" if name == "wait_bin" else "wait_bh_hist"
            out[hist][values.pop(name)] = 1
    unknown = set(values) - set(out)
    assert not unknown, unknown
    out.update(values)
    return out


@pytest.fixture
async def quiet_world(db: Database) -> World:
    """A tenant whose agents are offline and in no group: the test server's router never
    assigns the raw conversations these tests write."""
    return await make_world(db, TEST_SECRET, online=False)


# -- a scripted day -----------------------------------------------------------------------


async def test_a_scripted_day_gives_exact_facts_and_buckets(
    db: Database, quiet_world: World
) -> None:
    tenant = quiet_world.tenant_id
    a1, a2 = quiet_world.agents[0].id, quiet_world.agents[1].id
    office = await make_group(db, tenant, OFFICE)

    # 1. The bot alone: greeting, a question, its answer; the customer leaves.
    bot_only = await write_conversation(
        db,
        tenant,
        Script(
            opened_at=at(0),
            with_bot=True,
            steps=[
                Step(at(1), "bot", text("您好，我是小汇")),
                Step(at(10), "contact", text("怎么开发票")),
                Step(at(11), "bot", text("在订单页点“申请发票”即可")),
                Step(at(60), "system", event("closed")),
            ],
        ),
    )
    # 2. Handed over, waits 45 s, first answer 70 s after the handoff, transferred once,
    #    closed by the agent, rated 2 of 3.
    served = await write_conversation(
        db,
        tenant,
        Script(
            opened_at=at(100),
            group_id=office,
            survey=(3, 2),
            steps=[
                Step(at(101), "bot", text("您好，我是小汇")),
                Step(at(110), "contact", text("我的快递一直没到，想修改收货地址")),
                Step(at(111), "bot", text("正在为您转接人工客服")),
                Step(at(111), "system", event("handoff", reason="客户要求人工服务")),
                Step(at(156), "system", event("assigned", account_id=a1)),
                Step(at(181), "agent", text("您好，我来帮您查一下"), a1),
                Step(at(300), "system", event("transferred", account_id=a1, to_account_id=a2)),
                Step(at(320), "system", event("assigned", account_id=a2)),
                Step(at(330), "agent", text("地址已经改好了"), a2),
                Step(at(340), "contact", text("好的谢谢", button_id="thanks")),
                Step(at(345), "contact", text("收货地址改好就行")),
                Step(at(400), "system", event("closed", account_id=a2)),
            ],
        ),
    )
    # 3. No bot; closed by the idle timeout; the legacy 5-star rating.
    timed_out = await write_conversation(
        db,
        tenant,
        Script(
            opened_at=at(500),
            channel="wechat",
            rating_score=4,
            steps=[
                Step(at(500), "contact", text("在吗")),
                Step(at(530), "system", event("assigned", account_id=a1)),
                Step(at(560), "agent", text("在的，请讲"), a1),
                Step(at(2300), "system", event("closed", reason="idle for 30 min")),
            ],
        ),
    )
    # 4. Across an hour boundary: opened at 02:59:30, assigned at 03:00:30 → the 02:00 bucket.
    across = await write_conversation(
        db,
        tenant,
        Script(
            opened_at=at(3570),
            channel="api",
            steps=[
                Step(at(3570), "contact", text("发票抬头写错了")),
                Step(at(3630), "system", event("assigned", account_id=a1)),
                Step(at(3660), "agent", text("可以重开"), a1),
                Step(at(4200), "system", event("closed", account_id=a1)),
            ],
        ),
    )
    # 5. Outside business hours: 20:00 in Shanghai; assigned at 09:00:40 the next morning.
    evening = T0 + timedelta(hours=10)  # 12:00 UTC = 20:00 in Shanghai
    next_morning = T0 + timedelta(hours=23)  # 01:00 UTC = 09:00 in Shanghai
    outside = await write_conversation(
        db,
        tenant,
        Script(
            opened_at=evening,
            channel="email",
            group_id=office,
            steps=[
                Step(evening, "contact", text("退货退款怎么申请")),
                Step(
                    next_morning + timedelta(seconds=40), "system", event("assigned", account_id=a1)
                ),
                Step(next_morning + timedelta(seconds=90), "agent", text("您好"), a1),
                Step(next_morning + timedelta(minutes=5), "system", event("closed", account_id=a1)),
            ],
        ),
    )
    # 6. Opened at 00:30 in Shanghai (16:30 UTC, still the 2nd): its terms' day is the 3rd.
    late = T0 + timedelta(hours=14, minutes=30)
    after_midnight = await write_conversation(
        db,
        tenant,
        Script(
            opened_at=late,
            with_bot=True,
            steps=[
                Step(late, "bot", text("您好")),
                Step(late + timedelta(seconds=5), "contact", text("优惠券怎么用")),
                Step(late + timedelta(seconds=30), "system", event("closed", reason="不用了")),
            ],
        ),
    )
    ids = [bot_only, served, timed_out, across, outside, after_midnight]
    folded = await fold_all(db, tenant, ids)
    # Five with terms: "在吗" has none.
    assert (folded.conversations, folded.facts_changed, folded.terms_changed) == (6, 6, 5)

    base: dict[str, Any] = {
        "tenant_id": tenant,
        "group_id": None,
        "agent_id": None,
        "queued_at": None,
        "assigned_at": None,
        "first_response_at": None,
        "handed_over": True,
        "bot_served": False,
        "wait_s": None,
        "wait_bh_s": None,
        "first_response_s": None,
        "first_response_bh_s": None,
        "handling_s": None,
        "transfers": 0,
        "messages_bot": 0,
        "surveyed": False,
        "rating_score": None,
        "rating_scale": None,
    }
    facts = await fact_table(db, tenant)
    contact_of = {cid: facts[cid]["contact_id"] for cid in ids}
    expected = {
        bot_only: base
        | {
            "channel": "web",
            "opened_at": at(0),
            "closed_at": at(60),
            "closed_by": "customer",
            "handed_over": False,
            "bot_served": True,
            "messages_customer": 1,
            "messages_agent": 0,
            "messages_bot": 2,
        },
        served: base
        | {
            "channel": "web",
            "group_id": office,
            "agent_id": a2,
            "opened_at": at(100),
            "queued_at": at(111),
            "assigned_at": at(156),
            "first_response_at": at(181),
            "closed_at": at(400),
            "closed_by": "agent",
            "bot_served": True,
            "wait_s": 45.0,
            "wait_bh_s": 45.0,
            "first_response_s": 70.0,
            "first_response_bh_s": 70.0,
            "handling_s": 244.0,
            "transfers": 1,
            "messages_customer": 3,
            "messages_agent": 2,
            "messages_bot": 2,
            "surveyed": True,
            "rating_score": 2,
            "rating_scale": 3,
        },
        timed_out: base
        | {
            "channel": "wechat",
            "agent_id": a1,
            "opened_at": at(500),
            "queued_at": at(500),
            "assigned_at": at(530),
            "first_response_at": at(560),
            "closed_at": at(2300),
            "closed_by": "timeout",
            "wait_s": 30.0,
            "wait_bh_s": 30.0,
            "first_response_s": 60.0,
            "first_response_bh_s": 60.0,
            "handling_s": 1770.0,
            "messages_customer": 1,
            "messages_agent": 1,
            "surveyed": True,
            "rating_score": 4,
            "rating_scale": 5,
        },
        across: base
        | {
            "channel": "api",
            "agent_id": a1,
            "opened_at": at(3570),
            "queued_at": at(3570),
            "assigned_at": at(3630),
            "first_response_at": at(3660),
            "closed_at": at(4200),
            "closed_by": "agent",
            "wait_s": 60.0,
            "wait_bh_s": 60.0,
            "first_response_s": 90.0,
            "first_response_bh_s": 90.0,
            "handling_s": 570.0,
            "messages_customer": 1,
            "messages_agent": 1,
        },
        outside: base
        | {
            "channel": "email",
            "group_id": office,
            "agent_id": a1,
            "opened_at": evening,
            "queued_at": evening,
            "assigned_at": next_morning + timedelta(seconds=40),
            "first_response_at": next_morning + timedelta(seconds=90),
            "closed_at": next_morning + timedelta(minutes=5),
            "closed_by": "agent",
            "wait_s": 13 * 3600 + 40.0,
            "wait_bh_s": 40.0,  # counted from 09:00
            "first_response_s": 13 * 3600 + 90.0,
            "first_response_bh_s": 90.0,
            "handling_s": 260.0,
            "messages_customer": 1,
            "messages_agent": 1,
        },
        after_midnight: base
        | {
            "channel": "web",
            "opened_at": late,
            "closed_at": late + timedelta(seconds=30),
            "closed_by": "customer",
            "handed_over": False,
            "bot_served": True,
            "messages_customer": 1,
            "messages_agent": 0,
            "messages_bot": 1,
        },
    }
    for cid in ids:
        assert facts[cid] == expected[cid] | {"contact_id": contact_of[cid]}, cid
        async with db.read() as session:
            assert await fold.facts_from_raw(await session.connection(), cid) == facts[cid]

    hour2, hour3 = T0, T0 + timedelta(hours=1)
    bins = {s: rollup.bin_of(s) for s in (30, 40, 45, 60, 13 * 3600 + 40)}
    assert (bins[30], bins[40], bins[45], bins[60]) == (2, 3, 3, 4)  # 30 ≤ 30 < 40 ≤ 45 …
    assert bins[13 * 3600 + 40] == len(WAIT_BINS)  # the open-ended last bin
    assert await bucket_table(db, tenant) == {
        (tenant, hour2, "web", 0, 0): bucket(
            conversations=1, closed=1, bot_resolved=1, bot_served=1, messages_customer=1
        ),
        (tenant, hour2, "web", office, a2): bucket(
            conversations=1,
            handed_over=1,
            closed=1,
            bot_served=1,
            bot_handed_over=1,
            responded=1,
            response_s=70.0,
            response_bh_s=70.0,
            waited=1,
            wait_s=45.0,
            wait_bh_s=45.0,
            wait_bin=3,
            wait_bh_bin=3,
            handled=1,
            handling_s=244.0,
            transfers=1,
            messages_customer=3,
            messages_agent=2,
            surveyed=1,
            rated=1,
            rating_sum=0.5,
        ),
        (tenant, hour2, "wechat", 0, a1): bucket(
            conversations=1,
            handed_over=1,
            closed=1,
            responded=1,
            response_s=60.0,
            response_within_60=1,
            response_bh_s=60.0,
            response_bh_within_60=1,
            waited=1,
            wait_s=30.0,
            wait_bh_s=30.0,
            wait_bin=2,
            wait_bh_bin=2,
            handled=1,
            handling_s=1770.0,
            messages_customer=1,
            messages_agent=1,
            surveyed=1,
            rated=1,
            rating_sum=0.75,
        ),
        (tenant, hour2, "api", 0, a1): bucket(
            conversations=1,
            handed_over=1,
            closed=1,
            responded=1,
            response_s=90.0,
            response_bh_s=90.0,
            waited=1,
            wait_s=60.0,
            wait_bh_s=60.0,
            wait_bin=4,
            wait_bh_bin=4,
            handled=1,
            handling_s=570.0,
            messages_customer=1,
            messages_agent=1,
        ),
        (tenant, T0 + timedelta(hours=10), "email", office, a1): bucket(
            conversations=1,
            handed_over=1,
            closed=1,
            responded=1,
            response_s=13 * 3600 + 90.0,
            response_bh_s=90.0,
            waited=1,
            wait_s=13 * 3600 + 40.0,
            wait_bh_s=40.0,
            wait_bin=len(WAIT_BINS),
            wait_bh_bin=3,
            handled=1,
            handling_s=260.0,
            messages_customer=1,
            messages_agent=1,
        ),
        (tenant, T0 + timedelta(hours=14), "web", 0, 0): bucket(
            conversations=1, closed=1, bot_resolved=1, bot_served=1, messages_customer=1
        ),
    }
    assert (tenant, hour3, "api", 0, a1) not in await bucket_table(db, tenant)

    # Terms: the customer's own words, a tap left out; days in Shanghai.
    stored = await term_table(db, tenant)
    march2, march3 = date(2099, 3, 2), date(2099, 3, 3)
    # 我的快递一直没到，想修改收货地址 + 收货地址改好就行 (好的谢谢 was a tap):
    assert stored[served] == {
        "快递": (march2, 1),
        "修改": (march2, 1),
        "收货": (march2, 2),
        "修改收货": (march2, 1),
        "地址": (march2, 2),
        "收货地址": (march2, 2),
        "改好": (march2, 1),
        "地址改好": (march2, 1),
    }
    assert stored[bot_only] == {"开发票": (march2, 1)}  # 怎么开发票: jieba keeps 开发票
    assert timed_out not in stored  # 在吗
    assert stored[after_midnight] == {"优惠券": (march3, 1)}
    days = await term_day_table(db, tenant)
    assert days[(march2, "收货地址")] == (1, 2)
    assert days[(march2, "发票抬头")] == (1, 1)
    assert days[(march2, "退货退款")] == (1, 1)
    assert days[(march3, "优惠券")] == (1, 1)
    assert (march2, "优惠券") not in days
    assert not any(term in ("谢谢", "好的", "在吗", "怎么") for _day, term in days)

    # Folding again, in another order, changes nothing.
    before = (await fact_table(db, tenant), await bucket_table(db, tenant), days)
    again = await fold_all(db, tenant, list(reversed(ids)))
    assert (again.facts_changed, again.terms_changed) == (0, 0)
    after = (await fact_table(db, tenant), await bucket_table(db, tenant))
    assert after == before[:2]
    assert await term_day_table(db, tenant) == days


async def test_business_hours_fall_back_to_the_report_settings(
    db: Database, quiet_world: World
) -> None:
    tenant = quiet_world.tenant_id
    evening = T0 + timedelta(hours=10)
    script = Script(
        opened_at=evening,
        steps=[
            Step(evening, "contact", text("还在吗")),
            Step(
                evening + timedelta(hours=13, seconds=30),
                "system",
                event("assigned", account_id=quiet_world.agent.id),
            ),
        ],
    )
    cid = await write_conversation(db, tenant, script)
    async with db.read() as session:
        fact = await fold.facts_from_raw(await session.connection(), cid)
    assert fact is not None
    assert fact["wait_s"] == fact["wait_bh_s"] == 13 * 3600 + 30.0  # calendar time
    async with db.write_connection() as conn:
        await report_settings.put(
            conn,
            tenant_id=tenant,
            settings=ReportSettings.model_validate({"business_hours": OFFICE}),
        )
    async with db.read() as session:
        fact = await fold.facts_from_raw(await session.connection(), cid)
    assert fact is not None
    assert (fact["wait_s"], fact["wait_bh_s"]) == (13 * 3600 + 30.0, 30.0)
    async with db.read() as session:
        assert await fold.facts_from_raw(await session.connection(), 10**12) is None


async def prepared(db: Database, tenant: int, cid: int) -> dict[int, fold.Prepared]:
    async with db.read() as session:
        return await fold.prepare(
            await session.connection(), tenant_id=tenant, conversation_ids=[cid]
        )


def marked(ready: dict[int, fold.Prepared], cid: int) -> dict[int, fold.Prepared]:
    """The prepared result with a count no fold computes: saved, it shows it was used."""
    p = ready[cid]
    return {cid: replace(p, facts={**p.facts, "messages_customer": 999})}


async def fold_prepared(
    db: Database, tenant: int, cid: int, ready: dict[int, fold.Prepared]
) -> fold.Folded:
    async with db.write_connection() as conn:
        return await fold.fold(conn, tenant_id=tenant, conversation_ids=[cid], prepared=ready)


async def test_a_prepared_fold_is_saved_only_while_nothing_it_read_changed(
    db: Database, quiet_world: World
) -> None:
    """The outbox job reads and computes outside the write transaction; the write checks
    the conversation's stamp and saves the prepared facts only when they are still true."""
    tenant, agent_id = quiet_world.tenant_id, quiet_world.agent.id
    script = Script(
        opened_at=T0,
        steps=[
            Step(at(5), "contact", text("发票怎么开")),
            Step(at(9), "system", event("assigned", account_id=agent_id)),
            Step(at(20), "agent", text("您好"), agent_id),
        ],
    )
    cid = await write_conversation(db, tenant, script)
    ready = await prepared(db, tenant, cid)
    assert ready[cid].facts["messages_customer"] == 1
    assert ready[cid].day_terms is None  # still open: no terms, no analyzer
    assert ready[cid].analyzer is None
    # Nothing changed: the prepared facts are what is saved.
    assert (await fold_prepared(db, tenant, cid, marked(ready, cid))).conversations == 1
    assert (await fact_table(db, tenant))[cid]["messages_customer"] == 999

    # A message after the read: the stale result is dropped and the fold computes afresh.
    ready = await prepared(db, tenant, cid)
    await add_steps(db, cid, [Step(at(30), "contact", text("要开专票"))])
    await fold_prepared(db, tenant, cid, marked(ready, cid))
    assert (await fact_table(db, tenant))[cid]["messages_customer"] == 2

    # Closed after the read: the fold computes the facts and the terms the read had not.
    ready = await prepared(db, tenant, cid)
    await add_steps(db, cid, [Step(at(40), "system", event("closed", account_id=agent_id))])
    folded = await fold_prepared(db, tenant, cid, marked(ready, cid))
    assert folded.terms_changed == 1
    facts = (await fact_table(db, tenant))[cid]
    assert (facts["messages_customer"], facts["closed_at"]) == (2, at(40))
    assert "专票" in (await term_table(db, tenant))[cid]

    # Closed before the read: the terms are prepared too, and a changed rating (a row the
    # stamp holds) or other report settings make the fold compute again.
    ready = await prepared(db, tenant, cid)
    day_terms = ready[cid].day_terms
    assert day_terms is not None
    assert "专票" in day_terms[1]
    await fold_prepared(db, tenant, cid, marked(ready, cid))
    assert (await fact_table(db, tenant))[cid]["messages_customer"] == 999
    ready = await prepared(db, tenant, cid)
    async with db.write_connection() as conn:
        await conn.execute(
            update(conversations).where(conversations.c.id == cid).values(rating_score=4)
        )
    await fold_prepared(db, tenant, cid, marked(ready, cid))
    facts = (await fact_table(db, tenant))[cid]
    assert (facts["messages_customer"], facts["rating_score"]) == (2, 4)
    ready = await prepared(db, tenant, cid)
    async with db.write_connection() as conn:
        await report_settings.put(
            conn,
            tenant_id=tenant,
            settings=ReportSettings.model_validate({"business_hours": OFFICE}),
        )
    await fold_prepared(db, tenant, cid, marked(ready, cid))
    assert (await fact_table(db, tenant))[cid]["messages_customer"] == 2

    # Another tenant's conversation, prepared or not, is skipped.
    other = await make_world(db, TEST_SECRET, online=False)
    async with db.write_connection() as conn:
        folded = await fold.fold(
            conn, tenant_id=other.tenant_id, conversation_ids=[cid], prepared=ready
        )
    assert folded == fold.Folded()


async def test_a_conversation_that_only_grew_since_the_read_adds_its_new_messages(
    db: Database, quiet_world: World
) -> None:
    """A busy conversation takes messages between the fold's read and its write: the write
    reads only the new ones and computes the facts from both, not the whole history again;
    any other change since the read (the rows the stamp holds) still means a fresh read."""
    tenant, agent_id = quiet_world.tenant_id, quiet_world.agent.id
    script = Script(
        opened_at=T0,
        steps=[
            Step(at(5), "contact", text("发票怎么开")),
            Step(at(9), "system", event("assigned", account_id=agent_id)),
        ],
    )
    cid = await write_conversation(db, tenant, script)

    def relabelled(ready: dict[int, fold.Prepared]) -> dict[int, fold.Prepared]:
        """The prepared rows with the customer's message said to be the bot's: a fold that
        counts a bot message used them rather than reading them again."""
        p = ready[cid]
        rows = [dict(m) for m in p.raw.messages]
        first = next(m for m in rows if m["sender_type"] == "contact")
        first["sender_type"] = "bot"
        return {cid: replace(p, raw=replace(p.raw, messages=rows))}

    ready = relabelled(await prepared(db, tenant, cid))
    await add_steps(
        db,
        cid,
        [
            Step(at(20), "agent", text("您好"), agent_id),
            Step(at(30), "contact", text("要开专票")),
        ],
    )
    await fold_prepared(db, tenant, cid, ready)
    facts = (await fact_table(db, tenant))[cid]
    assert (facts["messages_bot"], facts["messages_customer"], facts["messages_agent"]) == (1, 1, 1)
    assert facts["first_response_at"] == at(20)  # computed with the new rows
    assert facts["agent_id"] == agent_id

    # Rated since the read: a row the stamp holds changed, so everything is read afresh.
    ready = relabelled(await prepared(db, tenant, cid))
    await add_steps(db, cid, [Step(at(40), "contact", text("谢谢"))])
    async with db.write_connection() as conn:
        await conn.execute(
            update(conversations).where(conversations.c.id == cid).values(rating_score=5)
        )
    await fold_prepared(db, tenant, cid, ready)
    facts = (await fact_table(db, tenant))[cid]
    assert (facts["messages_bot"], facts["messages_customer"], facts["rating_score"]) == (0, 3, 5)

    # Closed since the read: read afresh too, with the texts the hot words count.
    ready = relabelled(await prepared(db, tenant, cid))
    await add_steps(db, cid, [Step(at(50), "system", event("closed", account_id=agent_id))])
    folded = await fold_prepared(db, tenant, cid, ready)
    assert folded.terms_changed == 1
    facts = (await fact_table(db, tenant))[cid]
    assert (facts["messages_bot"], facts["closed_at"]) == (0, at(50))
    assert "专票" in (await term_table(db, tenant))[cid]


def test_close_reasons_match_the_code_that_writes_them() -> None:
    from huiliu.channels.phone.actions import CLOSE_REASON

    assert CLOSE_REASON in fold.SYSTEM_CLOSE_REASONS
    for minutes in (1, 30, 1440):
        assert fold.TIMEOUT_CLOSE.match(f"idle for {minutes} min")  # routing/timeouts.py


def test_terms_words_and_phrases() -> None:
    from huiliu.bot.text import Vocabulary

    analyzer = terms.TermAnalyzer(Vocabulary.build([["发票", "fp"]], ["快递"]))
    assert analyzer.words_and_phrases("我想修改一下收货地址") == [
        "修改",
        "收货",
        "地址",
        "收货地址",
    ]
    assert analyzer.words_and_phrases("能开fp吗？") == ["发票"]  # the tenant's synonym
    assert analyzer.words_and_phrases("快递到哪了，订单号SF1234567890") == ["订单号"]
    assert analyzer.words_and_phrases("Where is my order status") == [
        "order",
        "status",
        "order status",
    ]
    assert analyzer.words_and_phrases("你好，谢谢！123 4.5") == []
    assert analyzer.words_and_phrases("優惠券怎麼用") == ["优惠券"]  # traditional → simplified
    assert analyzer.terms(["退货退款", "退款"]) == {"退款": 2, "退货": 1, "退货退款": 1}


# -- rollups equal a recomputation ----------------------------------------------------------

PHRASES = [
    "我的快递到哪了",
    "怎么申请退货退款",
    "发票抬头写错了",
    "优惠券怎么用",
    "想修改收货地址",
    "物流信息一直没更新",
    "商品有质量问题",
    "会员积分怎么兑换",
    "where is my order",
]


def random_script(
    rng: random.Random, start: datetime, agents: Sequence[int], group_ids: Sequence[int]
) -> Script:
    """A conversation with random steps over a few hours (its first half and its rest are
    written at different times by the test)."""
    t = start
    bot = rng.random() < 0.6
    script = Script(
        opened_at=t,
        channel=rng.choice(["web", "app", "wechat", "email", "sms", "api"]),
        group_id=rng.choice([None, *group_ids]),
        with_bot=bot,
    )

    def step(sender: str, content: dict[str, Any], sender_id: int | None = None) -> None:
        nonlocal t
        t += timedelta(seconds=rng.randint(0, 400))
        script.steps.append(Step(t, sender, content, sender_id))

    if bot:
        step("bot", text("您好"))
        for _ in range(rng.randint(0, 3)):
            step("contact", text(rng.choice(PHRASES)))
            step("bot", text("为您找到答案"))
        if rng.random() < 0.4:
            step("contact", text("好的", button_id="ok"))
            step("system", event("closed"))
            script.with_bot = True
            return script
        step("system", event("handoff", reason="转人工"))
        script.with_bot = False
    else:
        step("contact", text(rng.choice(PHRASES)))
    served_by: int | None = None
    for _ in range(rng.randint(0, 2)):
        served_by = rng.choice(agents)
        step("system", event("assigned", account_id=served_by))
        for _ in range(rng.randint(0, 3)):
            step("contact", text(rng.choice(PHRASES)))
            step("agent", text("好的，马上处理"), served_by)
        if rng.random() < 0.5 and group_ids:
            step(
                "system",
                event("transferred", account_id=served_by, to_group_id=rng.choice(group_ids)),
            )
        elif rng.random() < 0.2:
            step("system", event("transferred", reason="no reply within 60 s"))
    ending = rng.random()
    if ending < 0.4:
        step("system", event("closed", account_id=served_by or agents[0]))
    elif ending < 0.6:
        step("system", event("closed", reason="idle for 10 min"))
    elif ending < 0.8:
        step("system", event("closed"))
    if rng.random() < 0.3:
        script.survey = (rng.choice([2, 3, 5]), None)
        if rng.random() < 0.7:
            script.survey = (script.survey[0], rng.randint(1, script.survey[0]))
    elif rng.random() < 0.2:
        script.rating_score = rng.randint(1, 5)
    return script


async def recomputed(
    db: Database, tenant_id: int, ids: Sequence[int]
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], dict[tuple[date, str], tuple[int, int]]]:
    """Buckets and term days from scratch: facts_from_raw of each conversation, summed."""
    all_facts = []
    days: dict[tuple[date, str], list[int]] = {}
    async with db.read() as session:
        conn = await session.connection()
        analyzer = await terms.analyzer_for(conn, tenant_id)
        zone = (await report_settings.get(conn, tenant_id=tenant_id)).zone
        for cid in ids:
            fact = await fold.facts_from_raw(conn, cid)
            assert fact is not None
            all_facts.append(fact)
            if fact["closed_at"] is None:
                continue
            raw = (await fold.read_raw(conn, [cid]))[cid]
            day = fact["opened_at"].astimezone(zone).date()
            for term, mentions in analyzer.terms(fold.customer_texts(raw.messages)).items():
                count = days.setdefault((day, term), [0, 0])
                count[0] += 1
                count[1] += mentions
    buckets = {
        key: value
        for key, value in rollup.buckets_of(all_facts).items()
        if not rollup.is_zero(value)
    }
    return buckets, {key: (c, m) for key, (c, m) in days.items()}


def assert_buckets_equal(
    stored: dict[tuple[Any, ...], dict[str, Any]], expected: dict[tuple[Any, ...], dict[str, Any]]
) -> None:
    # A bucket emptied by facts moving away stays, all zero.
    stored = {k: v for k, v in stored.items() if not rollup.is_zero(v)}
    assert set(stored) == set(expected)
    for key, values in expected.items():
        for name, value in values.items():
            if isinstance(value, float):
                assert stored[key][name] == pytest.approx(value, abs=1e-6), (key, name)
            else:
                assert stored[key][name] == value, (key, name)


async def test_rollups_equal_a_recomputation_whatever_the_order_of_folds(
    db: Database, quiet_world: World
) -> None:
    rng = random.Random(8)
    tenant = quiet_world.tenant_id
    agents = [a.id for a in quiet_world.agents]
    group_ids = [await make_group(db, tenant, OFFICE), await make_group(db, tenant, None)]
    scripts: dict[int, Script] = {}
    rest: dict[int, list[Step]] = {}
    for n in range(60):
        script = random_script(rng, T0 + timedelta(minutes=17 * n), agents, group_ids)
        cut = rng.randint(0, len(script.steps))
        first, later = script.steps[:cut], script.steps[cut:]
        # The row is with the bot until a handoff (or an assignment) takes it.
        bot = bool(script.steps) and script.steps[0].sender == "bot"
        taken = any(s.content.get("event") in ("handoff", "assigned") for s in first)
        partial = Script(**{**script.__dict__, "steps": first, "with_bot": bot and not taken})
        cid = await write_conversation(db, tenant, partial)
        scripts[cid] = script
        rest[cid] = later
    ids = list(scripts)

    async def fold_shuffled() -> None:
        order = [cid for cid in ids for _ in range(rng.randint(1, 3))]
        rng.shuffle(order)
        while order:
            size = rng.randint(1, 7)
            await fold_all(db, tenant, order[:size])
            order = order[size:]

    await fold_shuffled()  # halfway through the conversations
    for cid in ids:
        await add_steps(db, cid, rest[cid])
        async with db.write_connection() as conn:
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == cid)
                .values(with_bot=scripts[cid].with_bot)
            )
    # Some folds see only part of the news; every conversation is folded at least once more.
    await fold_all(db, tenant, rng.sample(ids, 20))
    await fold_shuffled()
    expected_buckets, expected_days = await recomputed(db, tenant, ids)
    assert_buckets_equal(await bucket_table(db, tenant), expected_buckets)
    assert await term_day_table(db, tenant) == expected_days
    assert sum(v["conversations"] for v in expected_buckets.values()) == len(ids)


async def test_a_batch_of_fold_jobs_folds_each_tenant_at_once_and_keeps_each_outcome(
    db: Database, quiet_world: World
) -> None:
    """The worker's batch of folds: every conversation folded as alone, each job with its
    own outcome — another tenant's conversation found by its own tenant's job only, a job
    without a conversation failed — and a second batch changes nothing."""
    rng = random.Random(11)
    other = await make_world(db, TEST_SECRET, online=False)
    agents = [a.id for a in quiet_world.agents]
    mine = [
        await write_conversation(
            db, quiet_world.tenant_id, random_script(rng, T0 + timedelta(hours=n), agents, [])
        )
        for n in range(6)
    ]
    theirs = await write_conversation(
        db, other.tenant_id, random_script(rng, T0, [a.id for a in other.agents], [])
    )
    jobs = [
        Job(100 + n, quiet_world.tenant_id, fold.KIND, {"conversation_id": cid}, 1, T0)
        for n, cid in enumerate(mine)
    ]
    jobs += [
        Job(200, other.tenant_id, fold.KIND, {"conversation_id": theirs}, 1, T0),
        Job(201, quiet_world.tenant_id, fold.KIND, {"conversation_id": theirs}, 1, T0),
        Job(202, quiet_world.tenant_id, fold.KIND, {"conversation_id": "7"}, 1, T0),
    ]
    async with httpx.AsyncClient() as client:
        ctx = Context(db=db, http=client, settings=cast(Any, None))
        first = await fold.run_jobs(ctx, jobs)
        again = await fold.run_jobs(ctx, jobs)
    with_terms = set(await term_table(db, quiet_world.tenant_id)) | set(
        await term_table(db, other.tenant_id)
    )
    assert with_terms  # some of the random conversations closed with words to count
    for job, outcome in zip(jobs[:7], first[:7], strict=True):
        cid = job.payload["conversation_id"]
        assert (outcome.status, outcome.result) == (
            "done",
            {"found": True, "facts_changed": True, "terms_changed": cid in with_terms},
        )
    assert first[7].result == {"found": False, "facts_changed": False, "terms_changed": False}
    assert (first[8].status, first[8].error) == (
        "failed",
        "payload has no conversation_id: {'conversation_id': '7'}",
    )
    unchanged = {"found": True, "facts_changed": False, "terms_changed": False}
    assert [o.result for o in again[:7]] == [unchanged] * 7
    assert set(await fact_table(db, quiet_world.tenant_id)) == set(mine)
    assert set(await fact_table(db, other.tenant_id)) == {theirs}
    expected_buckets, expected_days = await recomputed(db, quiet_world.tenant_id, mine)
    assert_buckets_equal(await bucket_table(db, quiet_world.tenant_id), expected_buckets)
    assert await term_day_table(db, quiet_world.tenant_id) == expected_days


# -- the rebuild ----------------------------------------------------------------------------


async def test_rebuild_gives_the_same_tables_and_mends_broken_ones(
    db: Database, quiet_world: World, other_world: World
) -> None:
    rng = random.Random(80)
    tenant = quiet_world.tenant_id
    agents = [a.id for a in quiet_world.agents]
    group_ids = [await make_group(db, tenant, OFFICE)]
    ids = [
        await write_conversation(
            db, tenant, random_script(rng, T0 + timedelta(minutes=23 * n), agents, group_ids)
        )
        for n in range(25)
    ]
    await fold_all(db, tenant, ids)
    tables = (
        await fact_table(db, tenant),
        await bucket_table(db, tenant),
        await term_table(db, tenant),
        await term_day_table(db, tenant),
    )
    # Another tenant's facts are left alone by a rebuild of this one.
    other = await write_conversation(
        db, other_world.tenant_id, random_script(rng, T0, [other_world.agent.id], [])
    )
    await fold_all(db, other_world.tenant_id, [other])
    others = await fact_table(db, other_world.tenant_id)
    # Break the tables: a bucket off by one, a fact gone, a stray term.
    async with db.write_connection() as conn:
        await conn.execute(
            update(rollup.buckets)
            .where(rollup.buckets.c.tenant_id == tenant)
            .values(conversations=rollup.buckets.c.conversations + 1)
        )
        await conn.execute(rollup.facts.delete().where(rollup.facts.c.conversation_id == ids[3]))
        await conn.execute(
            insert(term_days).values(
                tenant_id=tenant, day=date(2099, 1, 1), term="乱码", conversations=3, mentions=3
            )
        )
    seen: list[tuple[int, int]] = []
    done = await rebuild.rebuild(
        db, tenant_ids=[tenant], batch=7, progress=lambda d, t: seen.append((d, t))
    )
    assert (done.tenants, done.conversations, done.facts) == (1, 25, 25)
    assert seen[0] == (0, 25)
    assert seen[-1] == (25, 25)
    assert len(seen) == 1 + 4
    rebuilt = (
        await fact_table(db, tenant),
        await bucket_table(db, tenant),
        await term_table(db, tenant),
        await term_day_table(db, tenant),
    )
    assert rebuilt[0] == tables[0]
    assert_buckets_equal(rebuilt[1], tables[1])
    assert rebuilt[2:] == tables[2:]
    assert await fact_table(db, other_world.tenant_id) == others
    # Twice: the same.
    await rebuild.rebuild(db, tenant_ids=[tenant])
    assert await fact_table(db, tenant) == tables[0]
    assert await term_day_table(db, tenant) == tables[3]


async def test_rebuild_through_the_cli(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``huiliu analytics rebuild`` on an embedded deployment gives the tables the folds
    gave, by slug or by id; an unknown tenant is exit code 2 with a message."""
    from typer.testing import CliRunner

    from huiliu.cli import cli
    from huiliu.config import get_settings
    from huiliu.db.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'huiliu.db'}"
    await upgrade(url)

    async def tables(tenant: int) -> tuple[Any, ...]:
        database = Database(url)
        try:
            return (
                await fact_table(database, tenant),
                await bucket_table(database, tenant),
                await term_table(database, tenant),
                await term_day_table(database, tenant),
            )
        finally:
            await database.dispose()

    database = Database(url)
    try:
        async with database.write() as session:
            shop = await tenants_service.create(session, name="CLI 店", slug="cli-shop")
            tenant = shop.id
        ids = [
            await write_conversation(
                database, tenant, random_script(random.Random(n), T0 + timedelta(hours=n), [7], [])
            )
            for n in range(12)
        ]
        await fold_all(database, tenant, ids)
    finally:
        await database.dispose()
    folded = await tables(tenant)
    assert set(folded[0]) == set(ids)
    assert folded[2]  # some closed with terms
    monkeypatch.setenv("HUILIU_DATABASE_URL", url)
    monkeypatch.setenv("HUILIU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        for ref in ("cli-shop", str(tenant)):
            result = await asyncio.to_thread(
                runner.invoke, cli, ["analytics", "rebuild", "--tenant", ref, "--batch", "5"]
            )
            assert result.exit_code == 0, result.output
            assert "12 conversations folded" in result.output
            rebuilt = await tables(tenant)
            assert rebuilt[0] == folded[0]
            assert_buckets_equal(rebuilt[1], folded[1])
            assert rebuilt[2:] == folded[2:]
        for ref, words in (
            ("nobody", "no tenant with the slug 'nobody'"),
            ("999", "no tenant with the id 999"),
        ):
            result = await asyncio.to_thread(
                runner.invoke, cli, ["analytics", "rebuild", "--tenant", ref]
            )
            assert result.exit_code == 2
            assert words in result.output
    finally:
        get_settings.cache_clear()


# -- end to end through the server -----------------------------------------------------------


async def wait_for_fact(
    db: Database, cid: int, done: Any, deadline_s: float = 15.0
) -> dict[str, Any]:
    """Poll until the worker has folded what ``done(fact)`` waits for."""
    give_up = time.monotonic() + deadline_s
    while True:
        async with db.read() as session:
            row = (
                (
                    await session.execute(
                        select(rollup.facts).where(rollup.facts.c.conversation_id == cid)
                    )
                )
                .mappings()
                .first()
            )
        if row is not None and done(row):
            return dict(row)
        assert time.monotonic() < give_up, f"not folded: {row}"
        await asyncio.sleep(0.05)


async def test_the_worker_folds_a_served_conversation_and_a_second_run_changes_nothing(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    await enable_bot(http, world)
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("我要转人工", "w-1")
    cid = ack["conversation_id"]
    while True:  # the bot hands over
        message = (await visitor.recv_type("message.new", 10))["message"]
        if message["content"].get("event") == "handoff":
            break
    agent = bearer(world.agent.token)
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=agent)
    assert r.status_code == 200, r.text
    sock = await connect("agent", world.agent.token)
    await sock.send(
        {
            "type": "message.send",
            "client_msg_id": "a-1",
            "conversation_id": cid,
            "content": {"type": "text", "text": "您好，请问有什么可以帮您"},
        }
    )
    assert (await sock.reply_to("a-1"))["type"] == "ack"
    r = await http.post(f"/api/v1/conversations/{cid}/close", json={}, headers=agent)
    assert r.status_code == 200, r.text

    fact = await wait_for_fact(db, cid, lambda f: f["closed_at"] is not None)
    assert fact["first_response_at"] is not None
    assert fact["first_response_s"] >= 0
    assert (fact["agent_id"], fact["closed_by"], fact["bot_served"], fact["handed_over"]) == (
        world.agent.id,
        "agent",
        True,
        True,
    )
    assert (
        fact["queued_at"] <= fact["assigned_at"] <= fact["first_response_at"] <= fact["closed_at"]
    )
    assert (fact["messages_customer"], fact["messages_agent"]) == (1, 1)
    buckets = await bucket_table(db, world.tenant_id)
    assert sum(b["conversations"] for b in buckets.values()) == 1
    assert sum(b["responded"] for b in buckets.values()) == 1

    # Every job of the conversation ran; running the last one again changes nothing.
    async with db.read() as s:
        jobs = await outbox_service.list_by_ref(
            s, tenant_id=world.tenant_id, kind=fold.KIND, ref_id=cid, limit=50
        )
    # opened, the handoff, the assignment, the first reply, the close (some may share one)
    assert len(jobs) >= 3
    async with httpx.AsyncClient() as client:
        ctx = Context(db=db, http=client, settings=cast(Any, None))
        last = jobs[0]  # newest first
        job = Job(last.id, last.tenant_id, last.kind, last.payload, 2, last.created_at)
        outcome = await fold.run_job(ctx, job)
        assert outcome.status == "done"
        assert outcome.result == {"found": True, "facts_changed": False, "terms_changed": False}
        # A job naming another tenant's conversation, or none, does nothing.
        stray = Job(last.id, world.tenant_id + 10**6, last.kind, last.payload, 1, last.created_at)
        assert (await fold.run_job(ctx, stray)).result == {
            "found": False,
            "facts_changed": False,
            "terms_changed": False,
        }
        bad = Job(last.id, world.tenant_id, last.kind, {}, 1, last.created_at)
        assert (await fold.run_job(ctx, bad)).status == "failed"
    assert await wait_for_fact(db, cid, lambda f: True) == fact
    assert await bucket_table(db, world.tenant_id) == buckets


# -- report settings ----------------------------------------------------------------------


async def test_report_settings_are_checked_and_stored(db: Database, quiet_world: World) -> None:
    async with db.read() as session:
        conn = await session.connection()
        assert await report_settings.get(conn, tenant_id=quiet_world.tenant_id) == ReportSettings()
    for body, words in [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": 8}, "string"),
        (
            {"business_hours": {"weekly": {"mon": [{"start": "18:00", "end": "09:00"}]}}},
            "not after",
        ),
        ({"colour": "red"}, "Extra inputs"),
    ]:
        with pytest.raises(ValueError, match=words):
            ReportSettings.model_validate(body)
    chosen = ReportSettings.model_validate({"timezone": "Europe/Berlin", "business_hours": OFFICE})
    for _ in range(2):  # an upsert: the second save replaces the first
        async with db.write_connection() as conn:
            await report_settings.put(conn, tenant_id=quiet_world.tenant_id, settings=chosen)
    async with db.read() as session:
        conn = await session.connection()
        assert await report_settings.get(conn, tenant_id=quiet_world.tenant_id) == chosen
        count = await conn.scalar(
            select(func.count())
            .select_from(report_settings.settings_t)
            .where(report_settings.settings_t.c.tenant_id == quiet_world.tenant_id)
        )
    assert count == 1


async def test_report_settings_routes_check_roles_and_input(settings: Any, db: Database) -> None:
    """GET (supervisors, admins) and PUT (admins) /tenant/reports/settings, on a server of
    its own with ``settings_api.router`` (until app.py includes it)."""
    from huiliu.analytics import settings_api
    from tests.server import ThreadServer
    from tests.services import free_port

    world = await make_world(db, TEST_SECRET)
    srv = ThreadServer(settings, free_port())
    path = "/api/v1/tenant/reports/settings"
    if not any(getattr(route, "path", None) == path for route in srv.app.routes):
        srv.app.include_router(settings_api.router)
    await asyncio.to_thread(srv.start)
    try:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=10) as http:
            r = await http.get(path, headers=bearer(world.supervisor.token))
            assert r.status_code == 200, r.text
            assert r.json() == {"timezone": "Asia/Shanghai", "business_hours": None}
            r = await http.get(path, headers=bearer(world.agent.token))
            assert (r.status_code, r.json()["code"]) == (403, "forbidden")
            body = {"timezone": "Europe/Berlin", "business_hours": OFFICE}
            r = await http.put(path, json=body, headers=bearer(world.supervisor.token))
            assert (r.status_code, r.json()["code"]) == (403, "forbidden")
            for bad, words in [
                ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
                ({"timezone": "Asia/Shanghai", "colour": "red"}, "colour: Extra inputs"),
                (
                    {"business_hours": {"weekly": {"mon": [{"start": "18:00", "end": "09:00"}]}}},
                    "end 09:00 is not after start 18:00",
                ),
                ({"business_hours": {"weekly": {"someday": []}}}, "someday"),
            ]:
                r = await http.put(path, json=bad, headers=bearer(world.admin.token))
                assert r.status_code == 422, bad
                assert r.json()["code"] == "invalid"
                assert words in r.json()["detail"], (bad, r.json())
            r = await http.put(path, json=body, headers=bearer(world.admin.token))
            assert r.status_code == 200, r.text
            r = await http.get(path, headers=bearer(world.admin.token))
            assert r.json()["timezone"] == "Europe/Berlin"
            assert r.json()["business_hours"]["weekly"]["mon"] == [
                {"start": "09:00:00", "end": "18:00:00"}
            ]
            r = await http.get(path)
            assert r.status_code == 401
    finally:
        await asyncio.to_thread(srv.stop)


async def test_the_benchmark_generator_writes_what_folding_would(
    settings: Any, db: Database
) -> None:
    """bench/reports_data.py computes facts, buckets and terms in memory; they must be what
    the fold stores for its raw rows."""
    from bench import reports_data

    end = T0 + timedelta(days=3)
    summary = await reports_data.generate(
        settings.resolved_database_url, conversations=300, messages=3000, days=3, end=end, seed=5
    )
    assert not summary.reused
    assert summary.conversations == 300
    assert 2500 < summary.messages < 3500
    tenant = summary.tenant_id
    async with db.read() as session:
        ids = list(
            await session.scalars(
                select(conversations.c.id).where(conversations.c.tenant_id == tenant)
            )
        )
        conn = await session.connection()
        stored = await fact_table(db, tenant)
        for cid in ids:
            assert await fold.facts_from_raw(conn, cid) == stored[cid], cid
    expected_buckets, expected_days = await recomputed(db, tenant, ids)
    assert_buckets_equal(await bucket_table(db, tenant), expected_buckets)
    assert await term_day_table(db, tenant) == expected_days
    mix = Counter(
        "bot" if not f["handed_over"] else "open" if f["closed_at"] is None else "people"
        for f in stored.values()
    )
    assert 0.5 < mix["bot"] / 300 < 0.7
    # The same database again: found, nothing written.
    again = await reports_data.generate(
        settings.resolved_database_url, conversations=300, messages=3000, days=3, end=end
    )
    assert again.reused
    assert again.tenant_id == tenant


async def test_hot_words_count_a_long_conversation_s_first_characters_only(
    db: Database, quiet_world: World
) -> None:
    """The fold runs in a write transaction: of a conversation of many long messages it
    reads and segments the customer's first ``MAX_TEXT_CHARS`` characters, not all."""
    filler = "退款什么时候到账" * 125  # 1,000 characters
    steps = [
        Step(at(10), "contact", text("会员福利", button_id="menu:1")),  # the shop's words
        Step(at(20), "agent", text("您好，请问有什么可以帮您"), sender_id=1),
        *[Step(at(30 + i), "contact", text(filler)) for i in range(10)],
        Step(at(60), "contact", text("发票抬头写错了")),
        Step(at(70), "system", event("closed")),
    ]
    long_one = await write_conversation(db, quiet_world.tenant_id, Script(at(0), steps))
    short_one = await write_conversation(
        db,
        quiet_world.tenant_id,
        Script(at(0), [Step(at(10), "contact", text("发票抬头写错了")), steps[-1]]),
    )
    async with db.read() as session:
        raws = await fold.read_raw(await session.connection(), [long_one, short_one])
    texts = fold.customer_texts(raws[long_one].messages)
    assert sum(map(len, texts)) == terms.MAX_TEXT_CHARS
    assert texts[0] == filler  # the first ones, in order; the tap is not among them
    counted = terms.TermAnalyzer().terms(texts)
    assert "退款" in counted
    assert "会员" not in counted
    assert "发票" not in counted  # written after the cap
    assert terms.TermAnalyzer().terms(fold.customer_texts(raws[short_one].messages)) == {
        "发票": 1,
        "抬头": 1,
        "写错": 1,
        "发票抬头": 1,
        "抬头写错": 1,
    }

    await fold_all(db, quiet_world.tenant_id, [long_one, short_one])
    stored = await term_table(db, quiet_world.tenant_id)
    assert "发票抬头" in stored[short_one]
    assert "发票抬头" not in stored[long_one]
