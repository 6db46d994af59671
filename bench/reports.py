"""Report benchmark: every report over a 30-day range on 1 M conversations / 10 M messages.

Times each report function the API serves (``analytics.queries.REPORTS``, hot words, the
business-hours and filtered overviews, and the customer-tag path that sums facts instead of
buckets) over the last 30 days of the data ``bench/reports_data.py`` wrote, ``--runs`` times
each after one warm-up, and prints the median and p95 in milliseconds against the target
(p95 < 500 ms). Wall time, on one connection, in this process, as the API runs them.

    .venv/bin/python bench/reports_data.py --database-url sqlite+aiosqlite:////tmp/r.db
    .venv/bin/python bench/reports.py --database-url sqlite+aiosqlite:////tmp/r.db
    .venv/bin/python bench/reports.py --database-url postgresql+asyncpg://postgres@127.0.0.1/r

``--generate N`` writes N conversations (10 messages each) first when the database holds no
benchmark tenant yet (``make bench`` uses a small set; the 1 M set takes about 20 minutes to
write on SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reports_data
from huiliu.analytics import hotwords, queries, window
from huiliu.analytics.models import ConversationFact
from huiliu.analytics.schemas import ReportFilters
from huiliu.analytics.window import Window
from huiliu.contacts.models import ContactTag
from huiliu.db import Database

TARGET_MS = 500.0
Report = Callable[[AsyncSession, Window], Awaitable[Any]]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def windows(session: AsyncSession, tenant_id: int) -> dict[str, Window]:
    """The last 30 local days with data, plain, in business hours, filtered, by a tag."""
    last = (
        await session.execute(
            select(func.max(ConversationFact.opened_at)).where(
                ConversationFact.tenant_id == tenant_id
            )
        )
    ).scalar_one()
    if last is None:
        raise SystemExit("no report facts for the benchmark tenant: run bench/reports_data.py")
    base = {"from": (last - timedelta(days=29)).date().isoformat(), "to": last.date().isoformat()}
    tag = (
        await session.execute(
            select(ContactTag.tag).where(ContactTag.tenant_id == tenant_id).limit(1)
        )
    ).scalar_one_or_none()
    variants: dict[str, dict[str, Any]] = {
        "plain": base,
        "business_hours": base | {"business_hours": True},
        "filtered": base | {"channel": ["wechat"], "group_id": [await _a_group(session)]},
    }
    if tag is not None:
        variants["tag"] = base | {"tag": tag}
    # A reference "now" just after the data, so the range is never "in the future".
    now = last + timedelta(days=1)
    return {
        name: await window.resolve(
            session, tenant_id=tenant_id, filters=ReportFilters.model_validate(f), now=now
        )
        for name, f in variants.items()
    }


async def _a_group(session: AsyncSession) -> int:
    group = (
        await session.execute(
            select(ConversationFact.group_id).where(ConversationFact.group_id.is_not(None)).limit(1)
        )
    ).scalar_one()
    if group is None:
        raise SystemExit("the benchmark data has no conversation in a group")
    return int(group)


async def run(url: str, runs: int, generate: int) -> dict[str, Any]:
    db = Database(url)
    try:
        tenant_id = await reports_data.existing_tenant(db)
        if tenant_id is None:
            if not generate:
                raise SystemExit(f"{url}: no benchmark tenant; pass --generate N")
            await db.dispose()
            summary = await reports_data.generate(
                url,
                conversations=generate,
                messages=generate * 10,
                days=90,
                seed=1,
                progress=lambda done, total: print(f"\rwriting {done}/{total}", end="", flush=True),
            )
            print()
            tenant_id = summary.tenant_id
            db = Database(url)
        async with db.read() as session:
            facts = (
                await session.execute(
                    select(func.count()).where(ConversationFact.tenant_id == tenant_id)
                )
            ).scalar_one()
            w = await windows(session, tenant_id)
            cases: dict[str, tuple[Report, Window]] = {
                name: (fn, w["plain"]) for name, fn in queries.REPORTS.items()
            }
            cases["hot_words"] = (lambda s, win: hotwords.hot_words(s, win), w["plain"])
            cases["overview_business_hours"] = (queries.REPORTS["overview"], w["business_hours"])
            cases["overview_channel_group"] = (queries.REPORTS["overview"], w["filtered"])
            if "tag" in w:
                cases["overview_by_tag"] = (queries.REPORTS["overview"], w["tag"])
            results: dict[str, dict[str, float]] = {}
            for name, (fn, span) in cases.items():
                await fn(session, span)  # warm-up: caches and query plans
                times = []
                for _ in range(runs):
                    start = time.perf_counter()
                    await fn(session, span)
                    times.append((time.perf_counter() - start) * 1000)
                results[name] = {"p50_ms": statistics.median(times), "p95_ms": p95(times)}
                mark = "ok" if results[name]["p95_ms"] < TARGET_MS else "OVER"
                print(
                    f"{name:26s} p50 {results[name]['p50_ms']:8.1f} ms"
                    f"   p95 {results[name]['p95_ms']:8.1f} ms   {mark}",
                    flush=True,
                )
        return {
            "database": make_url(url).get_backend_name(),
            "facts": facts,
            "runs": runs,
            "reports": results,
        }
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--generate", type=int, default=0, help="conversations to write if none")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    out = asyncio.run(run(args.database_url, args.runs, args.generate))
    print(f"{out['database']}: {out['facts']} conversations, 30 days, {out['runs']} runs each")
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
