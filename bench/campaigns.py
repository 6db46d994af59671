"""Campaign benchmark: a campaign to 100,000 customers, and a notice to 10,000 connected
widgets.

* **throughput** (each ``--database-url``): a fresh merchant with ``--customers`` customers
  (a widget identity each, all tagged), a segment of them and a running campaign without a
  rate limit; ``CampaignSender`` rounds in this process, as the worker runs them, until the
  campaign is done. Prints recipients queued per second (the segment written as delivery
  rows) and notices delivered per second (stored with their conversation and marked sent),
  and checks every customer got exactly one.
* **fan-out**: ``huiliu serve`` as a subprocess on a fresh embedded deployment (SQLite, the
  in-process bus, the sender every 0.2 s), ``--widgets`` visitor sockets connected from
  load-generator processes; a campaign to all of them starts, and the time until the last
  socket holds its notice (``message.new``) is measured from the start, with the median and
  p95 of the arrivals.

    .venv/bin/python bench/campaigns.py [--customers 100000] [--widgets 10000]
        [--database-url sqlite+aiosqlite:////tmp/c.db --database-url postgresql+asyncpg://…]
        [--only throughput fanout]

SQLite files given are replaced; a PostgreSQL database given is emptied of its tables by
migrating a fresh schema into it (give a scratch one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from huiliu.auth import tokens
from huiliu.auth.principal import Principal
from huiliu.campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignKind,
    CampaignStatus,
    CampaignTemplate,
    DeliveryStatus,
    Scenario,
)
from huiliu.campaigns.sender import CampaignSender, expand
from huiliu.contacts.models import Contact, ContactIdentity, ContactTag, Segment
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.db.migrate import upgrade
from huiliu.tenants import service as tenants_service

SECRET = "bench-campaigns-secret-key-0123456789"
TAG = "收藏"


async def fresh(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        db = Database(url)
        async with db.write_connection() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()
    await upgrade(url)


async def merchant(db: Database, customers: int) -> tuple[int, int, int, list[int]]:
    """A merchant, its tagged widget customers, a segment and a template."""
    now = utcnow()
    async with db.write() as session:
        tenant = await tenants_service.create(
            session, name="压测商城", slug=f"bench-{time.time_ns()}"
        )
        template = CampaignTemplate(
            tenant_id=tenant.id,
            name="降价",
            scenario=Scenario.price_drop,
            text="{{contact.name|亲}}，您收藏的羽绒服降价了",
        )
        segment = Segment(tenant_id=tenant.id, name="收藏的人", filter={"tags_all": [TAG]})
        session.add_all([template, segment])
        await session.flush()
        tid, template_id, segment_id = tenant.id, template.id, segment.id
    ids: list[int] = []
    async with db.write_connection() as conn:
        for i in range(0, customers, 1000):
            rows = [
                {
                    "tenant_id": tid,
                    "name": f"客户{n}",
                    "attributes": {},
                    "verified": False,
                    "created_at": now,
                }
                for n in range(i, min(i + 1000, customers))
            ]
            found = await conn.execute(
                insert(Contact.__table__).returning(Contact.__table__.c.id), rows
            )
            chunk = [r[0] for r in found]
            ids += chunk
            await conn.execute(
                insert(ContactIdentity.__table__),
                [
                    {
                        "tenant_id": tid,
                        "contact_id": c,
                        "channel": "web",
                        "external_id": f"v-{c}",
                        "created_at": now,
                    }
                    for c in chunk
                ],
            )
            await conn.execute(
                insert(ContactTag.__table__),
                [{"tenant_id": tid, "contact_id": c, "tag": TAG, "created_at": now} for c in chunk],
            )
    return tid, template_id, segment_id, ids


async def start_campaign(db: Database, tid: int, template_id: int, segment_id: int) -> int:
    async with db.write() as session:
        campaign = Campaign(
            tenant_id=tid,
            name="双十二",
            template_id=template_id,
            kind=CampaignKind.segment,
            segment_id=segment_id,
            status=CampaignStatus.running,
            channels=[],
            rate_per_minute=100_000,
            started_at=utcnow(),
        )
        session.add(campaign)
        await session.flush()
        return campaign.id


async def throughput(url: str, customers: int) -> dict[str, Any]:
    await fresh(url)
    db = Database(url)
    try:
        tid, template_id, segment_id, _ids = await merchant(db, customers)
        campaign_id = await start_campaign(db, tid, template_id, segment_id)
        # Queued: the segment written as delivery rows (the sender interleaves this with
        # sending, a chunk a round; timed apart here).
        started = time.perf_counter()
        while True:
            async with db.write_connection() as conn:
                row = (
                    await conn.execute(
                        select(Campaign.__table__)
                        .where(Campaign.id == campaign_id)
                        .with_for_update()
                    )
                ).one()
                if row.expanded:
                    break
                await expand(conn, row, chunk=5000, now=utcnow())
        queued = time.perf_counter() - started
        sender = CampaignSender(db, None, batch=500, chunk=5000)
        started = time.perf_counter()
        while True:
            await sender.once()
            async with db.read() as session:
                campaign = await session.get(Campaign, campaign_id)
                assert campaign is not None
                if campaign.status == CampaignStatus.done:
                    break
        took = time.perf_counter() - started
        async with db.read() as session:
            sent = await session.scalar(
                select(func.count()).where(
                    CampaignDelivery.campaign_id == campaign_id,
                    CampaignDelivery.status == DeliveryStatus.sent,
                )
            )
            distinct = await session.scalar(
                select(func.count(func.distinct(CampaignDelivery.contact_id))).where(
                    CampaignDelivery.campaign_id == campaign_id,
                    CampaignDelivery.status == DeliveryStatus.sent,
                )
            )
        assert sent == distinct == customers, (sent, distinct, customers)
        return {
            "backend": make_url(url).get_backend_name(),
            "customers": customers,
            "queued_per_s": round(customers / queued),
            "delivered_s": round(took, 1),
            "delivered_per_s": round(customers / took),
        }
    finally:
        await db.dispose()


# -- fan-out to connected widgets -------------------------------------------------------------


def generator(ws_url: str, tokens_: list[str], out: Any, ready: Any, go_time: Any) -> None:
    """One load-generator process: its sockets, then each notice's arrival time."""

    async def run() -> None:
        sockets = []
        for i in range(0, len(tokens_), 200):
            batch = await asyncio.gather(
                *[
                    websockets.connect(
                        f"{ws_url}/ws/visitor?token={t}", compression=None, max_queue=None
                    )
                    for t in tokens_[i : i + 200]
                ]
            )
            sockets += batch
        for ws in sockets:
            await ws.recv()  # hello
            await ws.send(json.dumps({"type": "resume", "cursors": {}}))
        ready.set()
        arrivals: list[float] = []

        async def wait(ws: Any) -> None:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 300))
                if (
                    frame.get("type") == "message.new"
                    and frame["message"]["sender"]["type"] == "bot"
                ):
                    arrivals.append(time.time())
                    return

        await asyncio.gather(*[wait(ws) for ws in sockets])
        out.send(arrivals)
        await asyncio.gather(*[ws.close() for ws in sockets])

    asyncio.run(run())


def fanout(widgets: int, procs: int = 2) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="huiliu-bench-campaigns-"))
    url = f"sqlite+aiosqlite:///{data / 'huiliu.db'}"
    asyncio.run(fresh(url))
    db = Database(url)
    tid, template_id, segment_id, ids = asyncio.run(merchant(db, widgets))
    asyncio.run(db.dispose())
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "HUILIU_DATABASE_URL": url,
        "HUILIU_DATA_DIR": str(data),
        "HUILIU_SECRET_KEY": SECRET,
        "HUILIU_CAMPAIGN_SEND_S": "0.2",
        "HUILIU_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "huiliu", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data / "server.log").open("wb"),
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        visitor_tokens = [
            tokens.issue(Principal(kind="visitor", tenant_id=tid, id=c), secret=SECRET, ttl_s=3600)
            for c in ids
        ]
        ctx = mp.get_context("spawn")
        pipes, readies, workers = [], [], []
        for k in range(procs):
            parent, child = ctx.Pipe(duplex=False)
            ready = ctx.Event()
            p = ctx.Process(
                target=generator,
                args=(f"ws://127.0.0.1:{port}", visitor_tokens[k::procs], child, ready, None),
            )
            p.start()
            pipes.append(parent)
            readies.append(ready)
            workers.append(p)
        for ready in readies:
            if not ready.wait(600):
                raise RuntimeError("the sockets did not all connect")
        time.sleep(1.0)
        db = Database(url)
        started = time.time()
        asyncio.run(start_campaign(db, tid, template_id, segment_id))
        asyncio.run(db.dispose())
        arrivals: list[float] = []
        for pipe in pipes:
            arrivals += pipe.recv()
        for p in workers:
            p.join(60)
        assert len(arrivals) == widgets, (len(arrivals), widgets)
        waits = sorted(a - started for a in arrivals)
        return {
            "widgets": widgets,
            "last_s": round(waits[-1], 2),
            "median_s": round(statistics.median(waits), 2),
            "p95_s": round(waits[int(0.95 * (len(waits) - 1))], 2),
        }
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--widgets", type=int, default=10_000)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--only", nargs="*", default=["throughput", "fanout"])
    args = parser.parse_args()
    urls = args.database_url or [
        f"sqlite+aiosqlite:///{tempfile.gettempdir()}/huiliu-bench-campaigns.db"
    ]
    if "throughput" in args.only:
        for url in urls:
            got = asyncio.run(throughput(url, args.customers))
            print(
                f"campaign to {got['customers']:,} on {got['backend']}: "
                f"{got['queued_per_s']:,} recipients/s queued, {got['delivered_per_s']:,} "
                f"notices/s delivered ({got['delivered_s']} s in all)"
            )
    if "fanout" in args.only:
        got = fanout(args.widgets)
        print(
            f"notice to {got['widgets']:,} connected widgets: the last after {got['last_s']} s "
            f"(median {got['median_s']} s, p95 {got['p95_s']} s) from the campaign's start"
        )


if __name__ == "__main__":
    main()
