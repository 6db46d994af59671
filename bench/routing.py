"""Routing benchmark: 10,000 queued conversations among 500 agents of 20 groups.

Runs in one process on the embedded deployment (SQLite file in a temp dir, in-process bus),
through the same code the server runs: routing passes (snapshot, engine, assignments with
their log events, commit) and closes that free capacity.

- throughput: every agent comes online at once; passes run until the queue is served;
  prints assignments/s;
- latency: with every agent full and customers still waiting, one conversation at a time is
  closed and the router kicked; prints p50/p99 from "capacity freed" (the close committed) to
  "assigned" (the next conversation's assignment committed and published).

    .venv/bin/python bench/routing.py [--agents 500 --groups 20 --conversations 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from huiliu.accounts.models import Account, AgentStatus, Role
from huiliu.auth.principal import Principal
from huiliu.bus.events import Event, MessageCreated
from huiliu.bus.memory import MemoryBus
from huiliu.contacts.models import Contact
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations.models import Conversation, Message
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.db.migrate import upgrade
from huiliu.routing.models import Group, GroupMember
from huiliu.routing.router import Router
from huiliu.tenants import service as tenants_service


async def seed(db: Database, *, agents: int, groups: int, conversations: int) -> dict[str, Any]:
    now = utcnow()
    async with db.write() as session:
        tenant = await tenants_service.create(session, name="Bench Shop", slug="bench")
        tenant_id = tenant.id
    async with db.write_connection() as conn:
        group_ids = [
            r.id
            for r in await conn.execute(
                insert(Group).returning(Group.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": tenant_id,
                        "name": f"group {g}",
                        "strategy": "least_load",
                        "last_agent_days": 7,
                        "is_default": g == 0,
                        "created_at": now,
                    }
                    for g in range(groups)
                ],
            )
        ]
        agent_ids = [
            r.id
            for r in await conn.execute(
                insert(Account).returning(Account.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": tenant_id,
                        "email": f"agent{n}@bench.example.com",
                        "name": f"Agent {n}",
                        "role": Role.agent.value,
                        "password_hash": "x",
                        "status": AgentStatus.offline.value,
                        "active": True,
                        "created_at": now,
                    }
                    for n in range(agents)
                ],
            )
        ]
        await conn.execute(
            insert(GroupMember),
            [
                {"tenant_id": tenant_id, "group_id": group_ids[n % groups], "account_id": a}
                for n, a in enumerate(agent_ids)
            ],
        )
        contact_ids = [
            r.id
            for r in await conn.execute(
                insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                [
                    {"tenant_id": tenant_id, "attributes": {}, "verified": False, "created_at": now}
                    for _ in range(conversations)
                ],
            )
        ]
        conv_ids = [
            r.id
            for r in await conn.execute(
                insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": tenant_id,
                        "contact_id": c,
                        "channel": "web",
                        "status": "open",
                        "group_id": group_ids[n % groups],
                        "priority": 0,
                        "queued_at": now,
                        "last_seq": 1,
                        "created_at": now,
                        "last_message_at": now,
                    }
                    for n, c in enumerate(contact_ids)
                ],
            )
        ]
        await conn.execute(
            insert(Message),
            [
                {
                    "tenant_id": tenant_id,
                    "conversation_id": c,
                    "seq": 1,
                    "sender_type": "system",
                    "content_type": "event",
                    "content": {"type": "event", "event": "opened"},
                    "created_at": now,
                }
                for c in conv_ids
            ],
        )
    return {"tenant_id": tenant_id, "agents": agent_ids, "conversations": conv_ids}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="huiliu-bench-routing-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'huiliu.db'}"
        await upgrade(url)
        db = Database(url, sqlite_synchronous=args.synchronous)
        bus = MemoryBus()
        router = Router(db, bus, sweep_s=3600)
        assigned_at: dict[int, float] = {}

        def on_event(event: Event) -> None:
            if (
                isinstance(event, MessageCreated)
                and event.message.content.get("event") == "assigned"
            ):
                assigned_at[event.conversation.id] = time.perf_counter()

        bus.subscribe(on_event)
        await router.start()
        try:
            world = await seed(
                db,
                agents=args.agents,
                groups=args.groups,
                conversations=args.conversations + args.extra,
            )
            tenant_id = world["tenant_id"]
            capacity = args.conversations // args.agents
            async with db.write_connection() as conn:
                await conn.execute(
                    update(Account)
                    .where(Account.tenant_id == tenant_id)
                    .values(status=AgentStatus.online.value, capacity=capacity)
                )

            # Throughput: serve the whole queue.
            started = time.perf_counter()
            passes = 0
            while True:
                result = await router.route_now(tenant_id)
                passes += 1
                if not result.assigned:
                    break
            elapsed = time.perf_counter() - started
            total = len(assigned_at)

            # Latency: close one conversation at a time; the next waiting one is assigned.
            async with db.read() as session:
                serving = list(
                    (
                        await session.execute(
                            select(Conversation.id, Conversation.assignee_id, Conversation.group_id)
                            .where(
                                Conversation.tenant_id == tenant_id,
                                Conversation.assignee_id.is_not(None),
                            )
                            .order_by(Conversation.id)
                            .limit(args.closes)
                        )
                    ).all()
                )
            latencies = []
            for cid, agent_id, group_id in serving:
                before = set(assigned_at)
                principal = Principal(
                    kind="account", tenant_id=tenant_id, id=agent_id, role=Role.agent
                )
                await conversations_actions.close(
                    db, bus, principal=principal, conversation_id=cid, reason="bench"
                )
                freed = time.perf_counter()
                # As the close route does: route the queues the agent and the group serve.
                router.kick(tenant_id, groups=[group_id], agents=[agent_id])
                while len(assigned_at) == len(before):
                    await asyncio.sleep(0)
                (new,) = set(assigned_at) - before
                latencies.append((assigned_at[new] - freed) * 1000)
            return {
                "agents": args.agents,
                "groups": args.groups,
                "queued": args.conversations + args.extra,
                "assigned": total,
                "passes": passes,
                "seconds": round(elapsed, 3),
                "assignments_per_s": round(total / elapsed),
                "freed_to_assigned_ms": {
                    "samples": len(latencies),
                    "p50": round(statistics.median(latencies), 2),
                    "p99": round(pct(latencies, 0.99), 2),
                    "max": round(max(latencies), 2),
                },
            }
        finally:
            await router.stop()
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--extra", type=int, default=1_000, help="customers left waiting")
    parser.add_argument("--closes", type=int, default=300, help="latency samples")
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return
    lat = result["freed_to_assigned_ms"]
    r = result
    print(f"routing: {r['queued']} queued, {r['agents']} agents in {r['groups']} groups")
    print(
        f"  assigned {result['assigned']} in {result['seconds']} s over {result['passes']} passes"
    )
    print(f"  assignments/s          {result['assignments_per_s']}")
    print(
        f"  freed → assigned (ms)  p50 {lat['p50']}  p99 {lat['p99']}  max {lat['max']}"
        f"  (n={lat['samples']})"
    )


if __name__ == "__main__":
    main()
