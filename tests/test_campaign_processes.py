"""A campaign to 10,000 customers across channels, sent by a real `huiliu worker` that is
killed with SIGKILL mid-campaign and started again: every reachable customer gets exactly
one notice, the opted-out and the unreachable none, SMS waits out the quiet hours."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from huiliu.campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignKind,
    CampaignStatus,
    CampaignTemplate,
    DeliveryStatus,
    Scenario,
)
from huiliu.channels.models import ChannelAccount
from huiliu.contacts.models import Contact, ContactIdentity, ContactTag, Segment
from huiliu.conversations.models import Conversation, Message, SenderType
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.db.migrate import upgrade
from huiliu.tenants import service as tenants_service
from tests.conftest import TEST_SECRET
from tests.services import Backend, create_pg_database, drop_pg_database

pytestmark = pytest.mark.slow

WEB, SMS, OPTED_OUT, NOWHERE = 9000, 500, 300, 200  # 10,000 customers


@pytest.fixture
async def fresh_db(backend: Backend, tmp_path: Path) -> AsyncIterator[str]:
    """A database of the test's own: nobody else's sender touches the campaign."""
    if backend.name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'campaign.db'}"
        await upgrade(url)
        yield url
        return
    name, url = await create_pg_database()
    await upgrade(url)
    try:
        yield url
    finally:
        await drop_pg_database(name)


async def lay_out(db: Database) -> tuple[int, int]:
    """The merchant, its customers (tagged 收藏), a segment, a template and a campaign with
    quiet hours around now. Returns (tenant, campaign)."""
    now = utcnow()
    async with db.write() as session:
        tenant = await tenants_service.create(session, name="大促商城", slug="big-sale")
        tid = tenant.id
        sms = ChannelAccount(
            tenant_id=tid,
            type="sms",
            name="短信",
            token="tok" + "0" * 29,
            config={
                "account_sid": "AC" + "0" * 32,
                "auth_token": "x" * 32,
                "from_number": "+15005550006",
                "api_base": "http://127.0.0.1:9",  # never called: SMS waits out the quiet hours
            },
        )
        template = CampaignTemplate(
            tenant_id=tid,
            name="降价",
            scenario=Scenario.price_drop,
            text="{{contact.name|亲}}，降价了",
        )
        segment = Segment(tenant_id=tid, name="收藏的人", filter={"tags_all": ["收藏"]})
        session.add_all([sms, template, segment])
        await session.flush()
        template_id, segment_id = template.id, segment.id
    async with db.write_connection() as conn:
        kinds = ["web"] * WEB + ["sms"] * SMS + ["out"] * OPTED_OUT + ["none"] * NOWHERE
        ids: list[int] = []
        for i in range(0, len(kinds), 1000):
            rows = [
                {
                    "tenant_id": tid,
                    "name": f"客户{n}",
                    "attributes": {},
                    "verified": False,
                    "created_at": now,
                    "marketing_opt_out_at": now if kinds[n] == "out" else None,
                }
                for n in range(i, min(i + 1000, len(kinds)))
            ]
            found = await conn.execute(
                insert(Contact.__table__).returning(Contact.__table__.c.id), rows
            )
            ids += [r[0] for r in found]
        identities = [
            {
                "tenant_id": tid,
                "contact_id": cid,
                "channel": "sms" if kind == "sms" else "web",
                "external_id": f"+1415{cid:07d}" if kind == "sms" else f"v-{cid}",
                "created_at": now,
            }
            for cid, kind in zip(ids, kinds, strict=True)
            if kind != "none"
        ]
        tags = [
            {"tenant_id": tid, "contact_id": cid, "tag": "收藏", "created_at": now} for cid in ids
        ]
        for i in range(0, len(ids), 1000):
            await conn.execute(insert(ContactIdentity.__table__), identities[i : i + 1000])
            await conn.execute(insert(ContactTag.__table__), tags[i : i + 1000])
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    async with db.write() as session:
        campaign = Campaign(
            tenant_id=tid,
            name="双十二降价",
            template_id=template_id,
            kind=CampaignKind.segment,
            segment_id=segment_id,
            status=CampaignStatus.running,
            channels=[],
            rate_per_minute=100_000,
            quiet_start=(local - timedelta(hours=1)).strftime("%H:%M"),
            quiet_end=(local + timedelta(hours=2)).strftime("%H:%M"),
            timezone="Asia/Shanghai",
            started_at=now,
        )
        session.add(campaign)
        await session.flush()
        return tid, campaign.id


def worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUILIU_DATABASE_URL": url,
        "HUILIU_REDIS_URL": "",
        "HUILIU_SECRET_KEY": TEST_SECRET,
        "HUILIU_CAMPAIGN_SEND_S": "0.1",
        "HUILIU_LOG_LEVEL": "warning",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "huiliu", "worker"], env=env, stdout=out, stderr=out
        )


async def tally(db: Database, campaign_id: int) -> dict[str, Any]:
    async with db.read() as session:
        by_status = dict(
            (
                await session.execute(
                    select(CampaignDelivery.status, func.count())
                    .where(CampaignDelivery.campaign_id == campaign_id)
                    .group_by(CampaignDelivery.status)
                )
            ).all()
        )
        notices = await session.scalar(
            select(func.count(Message.id)).where(Message.sender_type == SenderType.bot)
        )
        twice = await session.scalar(
            select(func.count()).select_from(
                select(Conversation.contact_id)
                .join(Message, Message.conversation_id == Conversation.id)
                .where(Message.sender_type == SenderType.bot)
                .group_by(Conversation.contact_id)
                .having(func.count(Message.id) > 1)
                .subquery()
            )
        )
        reasons = dict(
            (
                await session.execute(
                    select(CampaignDelivery.reason, func.count())
                    .where(
                        CampaignDelivery.campaign_id == campaign_id,
                        CampaignDelivery.status == DeliveryStatus.skipped,
                    )
                    .group_by(CampaignDelivery.reason)
                )
            ).all()
        )
    return {
        "sent": by_status.get(DeliveryStatus.sent, 0),
        "pending": by_status.get(DeliveryStatus.pending, 0),
        "skipped": reasons,
        "notices": notices,
        "twice": twice,
    }


async def wait_for(
    db: Database, campaign_id: int, until: Any, timeout: float = 120.0
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await tally(db, campaign_id)
        if until(got):
            return got
        if loop.time() > deadline:
            raise AssertionError(f"never got there: {got}")
        await asyncio.sleep(0.05)


async def test_a_campaign_to_10000_survives_kill_9_and_sends_each_exactly_once(
    fresh_db: str, tmp_path: Path
) -> None:
    db = Database(fresh_db)
    log = tmp_path / "worker.log"
    try:
        _tenant, campaign_id = await lay_out(db)
        first = worker(fresh_db, log)
        try:
            mid = await wait_for(db, campaign_id, lambda t: t["sent"] >= 1500)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        killed = await tally(db, campaign_id)
        assert killed["sent"] < WEB, "the kill came after the end: nothing was tested"
        # What the killed worker committed is whole: each sent delivery is one notice.
        assert (killed["notices"], killed["twice"]) == (killed["sent"], 0)
        assert killed["sent"] >= mid["sent"]
        again = worker(fresh_db, log)
        try:
            done = await wait_for(
                db,
                campaign_id,
                lambda t: (
                    t["sent"] + sum(t["skipped"].values()) + t["pending"] == 10_000
                    and t["pending"] == SMS
                    and t["sent"] == WEB
                ),
            )
        finally:
            again.terminate()
            again.wait(20)
        assert done == {
            "sent": WEB,
            "pending": SMS,  # SMS waits for the quiet hours' end
            "skipped": {"opted_out": OPTED_OUT, "unreachable": NOWHERE},
            "notices": WEB,
            "twice": 0,
        }, log.read_text()[-2000:]
        async with db.read() as session:
            channels = dict(
                (
                    await session.execute(
                        select(CampaignDelivery.channel, func.count())
                        .where(CampaignDelivery.status == DeliveryStatus.sent)
                        .group_by(CampaignDelivery.channel)
                    )
                ).all()
            )
        assert channels == {"web": WEB}
    finally:
        await db.dispose()
