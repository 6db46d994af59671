"""Routing through the API and real sockets: strategies, queue position, work-conserving
assignment, claims, transfers and hand assignment."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta
from typing import Any

import httpx

from huiliu.db import Database
from huiliu.tenants.service import identity_signature
from tests.clients import Connect, Socket, bearer, widget_session
from tests.factories import World

_names = itertools.count()


async def make_group(
    http: httpx.AsyncClient,
    world: World,
    *,
    members: list[int],
    strategy: str = "least_load",
    default: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "name": f"售前 {next(_names)}",
        "strategy": strategy,
        "is_default": default,
        "member_ids": members,
        **extra,
    }
    r = await http.post("/api/v1/groups", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 201, r.text
    group: dict[str, Any] = r.json()
    return group


async def set_capacity(http: httpx.AsyncClient, world: World, capacity: int) -> None:
    r = await http.put(
        "/api/v1/tenant/default-capacity",
        json={"default_capacity": capacity},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text


async def arrive(
    http: httpx.AsyncClient, connect: Connect, world: World, **session: Any
) -> tuple[Socket, int, dict[str, Any]]:
    info = await widget_session(http, world.widget_key, **session)
    visitor = await connect("visitor", info["visitor_token"])
    await visitor.send({"type": "resume", "cursors": {}})
    ack = await visitor.send_text("你好，在吗", "first")
    return visitor, ack["conversation_id"], info


async def assigned_to(visitor: Socket, cid: int, timeout: float = 5.0) -> int:
    """Wait for the conversation's 'assigned' event; return the agent."""
    while True:
        message = (await visitor.recv_type("message.new", timeout))["message"]
        content = message["content"]
        if message["conversation_id"] == cid and content.get("event") == "assigned":
            return int(content["account_id"])


async def close(http: httpx.AsyncClient, world: World, cid: int) -> None:
    r = await http.post(
        f"/api/v1/conversations/{cid}/close", headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200, r.text


async def test_least_load_spreads_then_queues_then_assigns_when_capacity_frees(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_capacity(http, world, 1)
    await make_group(http, world, members=[a.id for a in world.agents])
    first, c1, _ = await arrive(http, connect, world)
    second, c2, _ = await arrive(http, connect, world)
    served = {await assigned_to(first, c1), await assigned_to(second, c2)}
    assert served == {a.id for a in world.agents}
    # Everyone is full: the next customers wait, told where they stand.
    third, c3, _ = await arrive(http, connect, world)
    position = await third.recv_type("queue.position")
    assert position == {
        "type": "queue.position",
        "conversation_id": c3,
        "position": 1,
        "estimated_wait_s": 90,  # 1 × 180 s default handling time ÷ 2 online slots
    }
    fourth, c4, _ = await arrive(http, connect, world)
    assert (await fourth.recv_type("queue.position"))["position"] == 2
    # A close frees capacity: the longest-waiting conversation is assigned at once.
    await close(http, world, c1)
    assert await assigned_to(third, c3) in served
    moved = await fourth.recv_type("queue.position")
    # A sweep's pass that ran just before the close may first re-estimate the wait (the
    # close taught the group its handling time) at the old place.
    while moved["position"] == 2:
        moved = await fourth.recv_type("queue.position")
    assert moved["conversation_id"] == c4
    assert moved["position"] == 1


async def test_agent_coming_online_takes_waiting_work(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    agent = world.agents[0]
    await http.put("/api/v1/me/status", json={"status": "offline"}, headers=bearer(agent.token))
    await make_group(http, world, members=[agent.id])
    visitor, cid, _ = await arrive(http, connect, world)
    position = await visitor.recv_type("queue.position")
    assert position["estimated_wait_s"] is None  # nobody online in the group
    r = await http.put("/api/v1/me/status", json={"status": "online"}, headers=bearer(agent.token))
    assert r.status_code == 200
    assert await assigned_to(visitor, cid) == agent.id


async def test_capacity_raise_assigns_waiting_work(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    agent = world.agents[0]
    await make_group(http, world, members=[agent.id])
    r = await http.put(
        f"/api/v1/accounts/{agent.id}/capacity",
        json={"capacity": 1},
        headers=bearer(world.admin.token),
    )
    assert r.json()["capacity"] == 1
    first, c1, _ = await arrive(http, connect, world)
    assert await assigned_to(first, c1) == agent.id
    second, c2, _ = await arrive(http, connect, world)
    await second.recv_type("queue.position")
    await http.put(
        f"/api/v1/accounts/{agent.id}/capacity",
        json={"capacity": 2},
        headers=bearer(world.admin.token),
    )
    assert await assigned_to(second, c2) == agent.id


async def test_round_robin_takes_turns_whatever_the_load(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await make_group(http, world, members=[a.id for a in world.agents], strategy="round_robin")
    v1, c1, _ = await arrive(http, connect, world)
    v2, c2, _ = await arrive(http, connect, world)
    x, y = await assigned_to(v1, c1), await assigned_to(v2, c2)
    assert x != y
    # y now has no load and x has one: least-load would pick y, round-robin picks x.
    await close(http, world, c2)
    v3, c3, _ = await arrive(http, connect, world)
    assert await assigned_to(v3, c3) == x
    v4, c4, _ = await arrive(http, connect, world)
    assert await assigned_to(v4, c4) == y


async def test_last_agent_preferred_serves_a_returning_customer(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    members = [a.id for a in world.agents]
    await make_group(http, world, members=members, strategy="last_agent", last_agent_days=7)
    visitor, cid, info = await arrive(http, connect, world)
    first_agent = await assigned_to(visitor, cid)
    await close(http, world, cid)
    # Both agents are free; least-load would pick the one idle longest (the other one).
    back, cid2, _ = await arrive(http, connect, world, visitor_id=info["visitor_id"])
    assert cid2 != cid
    assert await assigned_to(back, cid2) == first_agent


async def test_manual_group_waits_for_a_claim_within_capacity(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_capacity(http, world, 1)
    await make_group(http, world, members=[a.id for a in world.agents], strategy="manual")
    visitor, cid, _ = await arrive(http, connect, world)
    await visitor.recv_type("queue.position")
    agent = world.agents[0]
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(agent.token))
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == agent.id
    assert await assigned_to(visitor, cid) == agent.id
    _other, cid2, _ = await arrive(http, connect, world)
    r = await http.post(f"/api/v1/conversations/{cid2}/claim", headers=bearer(agent.token))
    assert r.status_code == 409
    assert r.json()["code"] == "agent_at_capacity"


async def test_transfer_to_a_full_agent_waits_then_lands_with_the_note(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_capacity(http, world, 1)
    a, b = world.agents
    await make_group(http, world, members=[a.id])
    group_b = await make_group(http, world, members=[b.id], default=False)
    v1, c1, _ = await arrive(http, connect, world)
    assert await assigned_to(v1, c1) == a.id
    # b is busy with another customer of their own group.
    r = await http.post(
        f"/api/v1/conversations/{c1}/transfer",
        json={"group_id": group_b["id"]},
        headers=bearer(a.token),
    )
    assert r.status_code == 200, r.text
    assert await assigned_to(v1, c1) == b.id
    v2, c2, _ = await arrive(http, connect, world)
    assert await assigned_to(v2, c2) == a.id
    # Now a hands c2 to b, who is full: it waits for b, then lands when b closes c1.
    r = await http.post(
        f"/api/v1/conversations/{c2}/transfer",
        json={"agent_id": b.id, "note": "客户要退货，订单 #8812"},
        headers=bearer(a.token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] is None
    waiting = await v2.recv_type("queue.position")
    assert waiting["position"] == 1
    await close(http, world, c1)
    assert await assigned_to(v2, c2) == b.id
    page = await http.get(f"/api/v1/conversations/{c2}/messages", headers=bearer(b.token))
    transferred = [m for m in page.json()["messages"] if m["content"].get("event") == "transferred"]
    assert transferred[0]["content"]["note"] == "客户要退货，订单 #8812"
    assert transferred[0]["content"]["to_account_id"] == b.id


async def test_supervisor_sees_the_queue_and_assigns_by_hand(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    await http.put("/api/v1/me/status", json={"status": "away"}, headers=bearer(a.token))
    group = await make_group(http, world, members=[a.id], strategy="manual")
    visitors = [await arrive(http, connect, world) for _ in range(2)]
    r = await http.get(
        f"/api/v1/groups/{group['id']}/queue", headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200
    queue = r.json()
    assert [e["conversation_id"] for e in queue["entries"]] == [c for _, c, _ in visitors]
    assert [e["position"] for e in queue["entries"]] == [1, 2]
    assert queue["waiting"] == 2
    assert queue["longest_wait_s"] >= queue["entries"][1]["waiting_s"]
    assert queue["agents"] == [
        {
            "id": a.id,
            "name": queue["agents"][0]["name"],
            "status": "away",
            "load": 0,
            "capacity": 20,
        }
    ]
    # Agents outside the group don't see its queue.
    r = await http.get(f"/api/v1/groups/{group['id']}/queue", headers=bearer(b.token))
    assert r.status_code == 403
    _sock, cid, _ = visitors[1]
    r = await http.post(
        f"/api/v1/conversations/{cid}/assign",
        json={"agent_id": b.id},
        headers=bearer(world.supervisor.token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == b.id
    r = await http.post(
        f"/api/v1/conversations/{visitors[0][1]}/assign",
        json={"agent_id": a.id},
        headers=bearer(world.supervisor.token),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "agent_not_online"


async def test_bad_routing_input_is_refused_and_changes_nothing(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World
) -> None:
    a = world.agents[0]
    group = await make_group(http, world, members=[a.id])
    visitor, cid, _ = await arrive(http, connect, world)
    assert await assigned_to(visitor, cid) == a.id
    foreign_group = await make_group(http, other_world, members=[other_world.agents[0].id])
    h = bearer(a.token)
    url = f"/api/v1/conversations/{cid}/transfer"
    cases = [
        ({"agent_id": 999_999}, 404),
        ({"agent_id": other_world.agents[0].id}, 404),
        ({"group_id": foreign_group["id"]}, 404),
        ({"group_id": 999_999}, 404),
        ({}, 422),
        ({"agent_id": world.agents[1].id, "group_id": group["id"]}, 422),
        ({"agent_id": "two"}, 422),
        ({"agent_id": a.id}, 409),
    ]
    for body, status in cases:
        r = await http.post(url, json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["code"]
    conv = (await http.get(f"/api/v1/conversations/{cid}", headers=h)).json()
    assert conv["assignee_id"] == a.id
    admin = bearer(world.admin.token)
    for body in ({"capacity": 0}, {"capacity": -3}, {"capacity": "many"}):
        r = await http.put(f"/api/v1/accounts/{a.id}/capacity", json=body, headers=admin)
        assert r.status_code == 422, r.text
    r = await http.put(
        "/api/v1/tenant/default-capacity", json={"default_capacity": 0}, headers=admin
    )
    assert r.status_code == 422
    r = await http.post(
        "/api/v1/groups",
        json={"name": "x", "member_ids": [other_world.agents[0].id]},
        headers=admin,
    )
    assert r.status_code == 422
    assert "no such account" in r.json()["detail"]
    r = await http.post("/api/v1/groups", json={"name": group["name"]}, headers=admin)
    assert r.status_code == 409
    r = await http.post("/api/v1/groups", json={"name": "y", "strategy": "random"}, headers=admin)
    assert r.status_code == 422
    r = await http.post(
        "/api/v1/groups", json={"name": "z"}, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 403
    groups = (await http.get("/api/v1/groups", headers=admin)).json()
    assert [g["id"] for g in groups] == [group["id"]]


async def backdate(db: Database, cid: int, **columns: float) -> None:
    """Move a conversation's timestamps into the past by the given seconds."""
    from datetime import timedelta

    from sqlalchemy import update

    from huiliu.conversations.models import Conversation
    from huiliu.db.base import utcnow

    values = {name: utcnow() - timedelta(seconds=ago) for name, ago in columns.items()}
    async with db.write() as session:
        await session.execute(update(Conversation).where(Conversation.id == cid).values(**values))


async def set_routing(http: httpx.AsyncClient, world: World, **settings: Any) -> dict[str, Any]:
    r = await http.put("/api/v1/tenant/routing", json=settings, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_unanswered_conversation_moves_to_another_agent(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    await set_routing(http, world, reply_timeout_s=60)
    await make_group(http, world, members=[a.id for a in world.agents])
    visitor, cid, _ = await arrive(http, connect, world)
    first = await assigned_to(visitor, cid)
    await backdate(db, cid, assigned_at=61)
    second = await assigned_to(visitor, cid)
    assert second != first
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    moved = [
        m["content"] for m in page.json()["messages"] if m["content"].get("event") == "transferred"
    ]
    assert moved[0]["reason"] == "no reply within 60 s"


async def test_answered_conversation_stays_with_its_agent(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    await set_routing(http, world, reply_timeout_s=60)
    await make_group(http, world, members=[a.id for a in world.agents])
    visitor, cid, _ = await arrive(http, connect, world)
    agent_id = await assigned_to(visitor, cid)
    agent = next(a for a in world.agents if a.id == agent_id)
    sock = await connect("agent", agent.token)
    assert (await sock.send_text("您好", "reply-1", conversation_id=cid))["type"] == "ack"
    await backdate(db, cid, assigned_at=120, last_agent_message_at=100)
    await asyncio.sleep(0.8)  # several sweeps
    conv = (await http.get(f"/api/v1/conversations/{cid}", headers=bearer(agent.token))).json()
    assert conv["assignee_id"] == agent_id


async def test_idle_conversation_is_closed_with_a_system_message(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    await set_routing(http, world, idle_close_s=600)
    await make_group(http, world, members=[a.id for a in world.agents])
    visitor, cid, _ = await arrive(http, connect, world)
    await assigned_to(visitor, cid)
    await backdate(db, cid, last_message_at=601)
    while True:
        message = (await visitor.recv_type("message.new"))["message"]
        if message["content"].get("event") == "closed":
            break
    assert message["content"]["reason"] == "idle for 10 min"
    updated = await visitor.recv_type("conversation.updated")
    while updated["conversation"]["last_seq"] < message["seq"]:
        updated = await visitor.recv_type("conversation.updated")
    assert updated["conversation"]["status"] == "closed"


async def test_long_wait_offers_to_leave_a_message_once(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    await set_routing(http, world, max_queue_wait_s=30)
    await make_group(http, world, members=[world.agents[0].id], strategy="manual")
    visitor, cid, _ = await arrive(http, connect, world)
    await backdate(db, cid, queued_at=31)
    while True:
        message = (await visitor.recv_type("message.new"))["message"]
        if message["content"]["type"] == "menu":
            break
    assert [b["id"] for b in message["content"]["buttons"]] == ["keep_waiting", "leave_message"]
    await asyncio.sleep(0.8)
    again = [f for f in await visitor.silent(0.2) if f["type"] == "message.new"]
    assert again == []


async def test_vip_customers_and_priority_channels_jump_the_queue(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_routing(
        http,
        world,
        priority_rules=[{"attribute": "level", "equals": "vip", "priority": 10}],
    )
    group = await make_group(http, world, members=[world.agents[0].id], strategy="manual")
    _v1, c1, _ = await arrive(http, connect, world)
    sig = identity_signature(world.identity_secret, "vip-7")
    vip, c2, _ = await arrive(
        http,
        connect,
        world,
        identity={"user_id": "vip-7", "signature": sig, "attributes": {"level": "vip"}},
    )
    assert (await vip.recv_type("queue.position"))["position"] == 1
    queue = (
        await http.get(
            f"/api/v1/groups/{group['id']}/queue", headers=bearer(world.supervisor.token)
        )
    ).json()
    assert [e["conversation_id"] for e in queue["entries"]] == [c2, c1]
    assert [e["priority"] for e in queue["entries"]] == [10, 0]


async def test_routing_settings_are_validated(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    for bad in (
        {"reply_timeout_s": 1},
        {"offline_policy": "vanish"},
        {"priority_rules": [{"priority": 5}]},
        {"priority_rules": [{"attribute": "level", "priority": 5}]},
        {"priority_rules": [{"attribute": "level", "channel": "web", "equals": 1, "priority": 5}]},
        {"unknown": 1},
    ):
        r = await http.put("/api/v1/tenant/routing", json=bad, headers=admin)
        assert r.status_code == 422, (bad, r.text)
    assert (await http.get("/api/v1/tenant/routing", headers=admin)).json()[
        "reply_timeout_s"
    ] is None
    r = await http.put("/api/v1/tenant/routing", json={}, headers=bearer(world.supervisor.token))
    assert r.status_code == 403


async def test_agent_whose_sockets_are_gone_goes_offline_and_work_is_requeued(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_routing(http, world, presence_grace_s=1, offline_policy="requeue")
    a, b = world.agents
    await http.put("/api/v1/me/status", json={"status": "away"}, headers=bearer(b.token))
    await make_group(http, world, members=[a.id, b.id])
    sock = await connect("agent", a.token)
    second = await connect("agent", a.token)
    visitor, cid, _ = await arrive(http, connect, world)
    assert await assigned_to(visitor, cid) == a.id
    await sock.close()
    await asyncio.sleep(1.3)
    me = (await http.get("/api/v1/me", headers=bearer(a.token))).json()
    assert me["status"] == "online"  # one socket is still open
    await second.close()
    await http.put("/api/v1/me/status", json={"status": "online"}, headers=bearer(b.token))
    assert await assigned_to(visitor, cid, timeout=5) == b.id
    me = (await http.get("/api/v1/me", headers=bearer(a.token))).json()
    assert me["status"] == "offline"


async def test_keep_policy_leaves_conversations_with_the_offline_agent(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_routing(http, world, presence_grace_s=1)
    a = world.agents[0]
    await make_group(http, world, members=[a.id])
    sock = await connect("agent", a.token)
    visitor, cid, _ = await arrive(http, connect, world)
    assert await assigned_to(visitor, cid) == a.id
    await sock.close()
    await asyncio.sleep(1.5)
    me = (await http.get("/api/v1/me", headers=bearer(a.token))).json()
    assert me["status"] == "offline"
    conv = (await http.get(f"/api/v1/conversations/{cid}", headers=bearer(a.token))).json()
    assert conv["assignee_id"] == a.id


async def test_outside_working_hours_the_customer_is_told_and_waits_for_the_group_to_open(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    closed_today = {
        "timezone": "Asia/Shanghai",
        "weekly": {"mon": [{"start": "09:00", "end": "18:00"}]},
        "holidays": [
            date.today().isoformat(),
            (date.today() - timedelta(days=1)).isoformat(),
            (date.today() + timedelta(days=1)).isoformat(),
        ],
    }
    group = await make_group(
        http, world, members=[a.id for a in world.agents], working_hours=closed_today
    )
    assert group["open_now"] is False
    visitor, cid, _ = await arrive(http, connect, world)
    while True:
        message = (await visitor.recv_type("message.new"))["message"]
        if message["content"]["type"] == "menu":
            break
    assert "非工作时间" in message["content"]["text"]
    assert "周一 09:00-18:00" in message["content"]["text"]
    await visitor.send_text("我想退货，订单 8812", "left-1", conversation_id=cid)
    r = await http.patch(
        f"/api/v1/groups/{group['id']}",
        json={"always_open": True},
        headers=bearer(world.admin.token),
    )
    assert r.json()["open_now"] is True
    agent_id = await assigned_to(visitor, cid)
    agent = next(a for a in world.agents if a.id == agent_id)
    page = (
        await http.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(agent.token))
    ).json()
    assert "我想退货，订单 8812" in [m["content"].get("text") for m in page["messages"]]


async def test_working_hours_are_validated(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    for hours in (
        {"timezone": "Mars/Olympus", "weekly": {}},
        {"timezone": "Asia/Shanghai", "weekly": {"mon": [{"start": "18:00", "end": "09:00"}]}},
        {"timezone": "Asia/Shanghai", "weekly": {"moon": []}},
        {"timezone": "Asia/Shanghai", "weekly": {"mon": [{"start": "25:00", "end": "26:00"}]}},
        {"timezone": "Asia/Shanghai", "weekly": {}, "holidays": ["not a date"]},
    ):
        r = await http.post(
            "/api/v1/groups", json={"name": "夜班", "working_hours": hours}, headers=admin
        )
        assert r.status_code == 422, (hours, r.text)
    assert (await http.get("/api/v1/groups", headers=admin)).json() == []


async def test_supervisors_watch_the_queue_live(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await set_capacity(http, world, 1)
    a, b = world.agents
    group = await make_group(http, world, members=[a.id, b.id])
    watcher = await connect("agent", world.supervisor.token)
    await watcher.send({"type": "resume", "cursors": {}})
    agent_sock = await connect("agent", a.token)
    for _ in range(3):
        await arrive(http, connect, world)

    async def stats_until(predicate: Any) -> dict[str, Any]:
        while True:
            frame = await watcher.recv_type("queue.stats")
            (mine,) = [g for g in frame["groups"] if g["group_id"] == group["id"]]
            if predicate(mine):
                return dict(mine)

    full = await stats_until(lambda g: g["waiting"] == 1)
    assert sorted((x["id"], x["load"], x["capacity"]) for x in full["agents"]) == [
        (a.id, 1, 1),
        (b.id, 1, 1),
    ]
    assert full["open_now"] is True
    await http.put("/api/v1/me/status", json={"status": "away"}, headers=bearer(b.token))
    away = await stats_until(lambda g: any(x["status"] == "away" for x in g["agents"]))
    assert away["waiting"] == 1
    # Agents don't get the supervisors' view.
    assert [f for f in await agent_sock.silent(0.3) if f["type"] == "queue.stats"] == []


async def test_a_channel_has_its_own_group_and_a_customer_can_pick_another(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World
) -> None:
    a, b = world.agents
    await make_group(http, world, members=[a.id], strategy="manual")  # the default
    web = await make_group(
        http, world, members=[a.id], strategy="manual", default=False, channels=["web"]
    )
    after_sales = await make_group(http, world, members=[b.id], default=False)
    visitor, cid, info = await arrive(http, connect, world)
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(info["visitor_token"]))
    ).json()
    assert conv["group_id"] == web["id"]  # the web channel's group, not the default one
    # The customer taps "售后" in a menu: their conversation moves to that queue.
    r = await http.post(
        f"/api/v1/conversations/{cid}/queue",
        json={"group_id": after_sales["id"]},
        headers=bearer(info["visitor_token"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["group_id"] == after_sales["id"]
    assert await assigned_to(visitor, cid) == b.id
    # Once served, it moves only by transfer; others' conversations and groups are out of reach.
    r = await http.post(
        f"/api/v1/conversations/{cid}/queue",
        json={"group_id": web["id"]},
        headers=bearer(info["visitor_token"]),
    )
    assert r.status_code == 409
    _v2, cid2, info2 = await arrive(http, connect, world)
    foreign = await make_group(http, other_world, members=[other_world.agents[0].id])
    for body, token, status in (
        ({"group_id": foreign["id"]}, info2["visitor_token"], 404),
        ({"group_id": 0}, info2["visitor_token"], 422),
        ({"group_id": web["id"]}, info["visitor_token"], 404),  # not this visitor's conversation
    ):
        r = await http.post(f"/api/v1/conversations/{cid2}/queue", json=body, headers=bearer(token))
        assert r.status_code == status, (body, r.text)
    r = await http.post(
        "/api/v1/groups",
        json={"name": "bad", "channels": ["Web Chat"]},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 422
