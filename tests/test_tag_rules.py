"""Tag rules through the API: each condition tags exactly the right customers as events
happen (orders pushed by the merchant, pages tracked by the widget, conversations closing,
attributes and channels), a person's tag of the same name is never touched, time passing
(the sweep on a fake clock) takes tags off and puts them on, a new or changed rule is
backfilled over 10,000 customers with progress and resumes after a crash, disabling and
deleting take the rule's tags off, previews, bad rules (422 naming the field), and who may
do what."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, insert, select, update

from huiliu.contacts import rules_sweep
from huiliu.contacts.models import Contact, ContactOrder, ContactTag, TagRule
from huiliu.conversations.models import Conversation
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.tenants.service import identity_signature
from tests.clients import Connect, bearer, widget_session
from tests.factories import World
from tests.server import ThreadServer

R = "/api/v1/tag-rules"
_ids = itertools.count()


# -- helpers ----------------------------------------------------------------------------------


async def make_rule(
    http: httpx.AsyncClient, world: World, body: dict[str, Any], *, wait: bool = True
) -> dict[str, Any]:
    r = await http.post(R, json=body, headers=bearer(world.admin.token))
    assert r.status_code == 201, r.text
    rule: dict[str, Any] = r.json()
    return await backfilled(http, world, rule["id"]) if wait else rule


async def backfilled(
    http: httpx.AsyncClient, world: World, rule_id: int, timeout: float = 60
) -> dict[str, Any]:
    """The rule once its backfill is done."""
    deadline = time.monotonic() + timeout
    while True:
        r = await http.get(f"{R}/{rule_id}", headers=bearer(world.admin.token))
        assert r.status_code == 200, r.text
        rule: dict[str, Any] = r.json()
        if rule["backfill"]["done"] >= rule["backfill"]["total"]:
            return rule
        assert time.monotonic() < deadline, rule
        await asyncio.sleep(0.05)


async def tags_of(http: httpx.AsyncClient, world: World, contact_id: int) -> list[str]:
    r = await http.get(f"/api/v1/contacts/{contact_id}", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    return list(r.json()["tags"])


async def tagged(db: Database, world: World, tag: str) -> set[int]:
    """Who holds ``tag`` (by anyone) in the world's tenant."""
    async with db.read() as session:
        rows = await session.scalars(
            select(ContactTag.contact_id).where(
                ContactTag.tenant_id == world.tenant_id, ContactTag.tag == tag
            )
        )
        return set(rows)


async def api_key(http: httpx.AsyncClient, world: World) -> str:
    r = await http.post(
        "/api/v1/tenant/api-keys", json={"name": "shop"}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def push_order(
    http: httpx.AsyncClient,
    key: str,
    user_id: str,
    order_id: str,
    total: str,
    *,
    status: str = "paid",
    days_ago: float = 1,
) -> int:
    """The merchant pushes an order (the integration API); the customer's contact id."""
    placed = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    r = await http.put(
        f"/api/v1/integration/customers/{user_id}/orders/{order_id}",
        json={"status": status, "total": total, "placed_at": placed},
        headers=bearer(key),
    )
    assert r.status_code in (200, 201), r.text
    return int(r.json()["contact_id"])


async def visitor(http: httpx.AsyncClient, world: World) -> dict[str, Any]:
    return await widget_session(http, world.widget_key)


async def track(http: httpx.AsyncClient, session: dict[str, Any], url: str) -> None:
    r = await http.post(
        "/api/v1/widget/track", json={"url": url}, headers=bearer(session["visitor_token"])
    )
    assert r.status_code == 201, r.text


async def chat_and_close(
    http: httpx.AsyncClient, connect: Connect, world: World, token: str, text: str
) -> None:
    """The customer writes ``text`` (opening a conversation); an agent claims and closes it."""
    sock = await connect("visitor", token)
    ack = await sock.send_text(text, f"m-{next(_ids)}")
    assert ack["type"] == "ack", ack
    cid = ack["conversation_id"]
    agent = bearer(world.agent.token)
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=agent)
    assert r.status_code == 200, r.text
    r = await http.post(f"/api/v1/conversations/{cid}/close", headers=agent)
    assert r.status_code == 200, r.text
    await sock.close()


async def sweep(
    server: ThreadServer, world: World, *, now: datetime, since: datetime | None
) -> Any:
    return await server.call(
        rules_sweep.sweep(server.runtime.db, now=now, since=since, tenant_id=world.tenant_id)
    )


async def add_contacts(db: Database, world: World, rows: list[dict[str, Any]]) -> list[int]:
    async with db.write() as session:
        now = utcnow()
        ids = []
        for row in rows:
            contact = Contact(tenant_id=world.tenant_id, created_at=now, **row)
            session.add(contact)
            await session.flush()
            ids.append(contact.id)
        return ids


# -- each condition, as events happen ---------------------------------------------------------


async def test_spending_counts_paid_orders_in_the_window_as_the_merchant_pushes_them(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    rule = await make_rule(
        http,
        world,
        {
            "tag": "高消费",
            "conditions": [{"fact": "orders.spent", "days": 90, "op": ">", "value": 1000}],
        },
    )
    key = await api_key(http, world)
    a = await push_order(http, key, "alice", "A1", "600.00")
    assert await tags_of(http, world, a) == []
    await push_order(http, key, "alice", "A2", "400.01")
    assert await tags_of(http, world, a) == ["高消费"]
    # Cancelled and refunded orders are not spent; orders before the window do not count.
    b = await push_order(http, key, "bob", "B1", "900.00")
    await push_order(http, key, "bob", "B2", "500.00", status="cancelled")
    c = await push_order(http, key, "carol", "C1", "5000.00", days_ago=91)
    d = await push_order(http, key, "dave", "D1", "1000.00")  # not more than 1000
    assert await tagged(db, world, "高消费") == {a}
    for contact in (b, c, d):
        assert await tags_of(http, world, contact) == []
    # Alice's big order is refunded: the tag comes off.
    await push_order(http, key, "alice", "A1", "600.00", status="refunded")
    assert await tags_of(http, world, a) == []
    r = await http.get(f"{R}/{rule['id']}", headers=bearer(world.admin.token))
    assert r.json()["tagged"] == 0


async def test_order_count_counts_every_status(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    await make_rule(
        http,
        world,
        {
            "tag": "回头客",
            "conditions": [{"fact": "orders.count", "days": 30, "op": ">=", "value": 2}],
        },
    )
    key = await api_key(http, world)
    a = await push_order(http, key, "u1", "O1", "10")
    await push_order(http, key, "u1", "O2", "10", status="cancelled")
    b = await push_order(http, key, "u2", "O3", "10")
    await push_order(http, key, "u2", "O4", "10", days_ago=31)
    assert await tagged(db, world, "回头客") == {a}
    assert await tags_of(http, world, b) == []


async def test_three_product_pages_this_week_tags_the_visitor_and_time_takes_it_off(
    http: httpx.AsyncClient, db: Database, world: World, server: ThreadServer
) -> None:
    await make_rule(
        http,
        world,
        {
            "tag": "意向客户",
            "conditions": [
                {
                    "fact": "visits.count",
                    "days": 7,
                    "url_contains": "/product/",
                    "op": ">=",
                    "value": 3,
                }
            ],
        },
    )
    keen, browsing = await visitor(http, world), await visitor(http, world)
    for n in range(3):
        await track(http, keen, f"https://shop.example/product/{n}")
        await track(http, browsing, f"https://shop.example/blog/{n}")
    await track(http, browsing, "https://shop.example/product/9")
    assert await tagged(db, world, "意向客户") == {keen["contact_id"]}
    # A week and a day later, without any event, the visits have left "this week".
    now = utcnow()
    result = await sweep(server, world, now=now + timedelta(days=8), since=now)
    assert result.removed == 1
    assert await tagged(db, world, "意向客户") == set()


async def test_asking_about_returns_twice_tags_the_customer_when_the_second_chat_closes(
    http: httpx.AsyncClient, db: Database, world: World, connect: Connect
) -> None:
    await make_rule(
        http,
        world,
        {
            "tag": "售后关注",
            "description": "asked about returns twice",
            "conditions": [
                {
                    "fact": "conversations.count",
                    "days": 30,
                    "mentions": ["退货", "退款"],
                    "op": ">=",
                    "value": 2,
                }
            ],
        },
    )
    returns, shipping = await visitor(http, world), await visitor(http, world)
    await chat_and_close(http, connect, world, returns["visitor_token"], "这个能退货吗")
    assert await tags_of(http, world, returns["contact_id"]) == []
    await chat_and_close(http, connect, world, returns["visitor_token"], "退款什么时候到账")
    assert await tags_of(http, world, returns["contact_id"]) == ["售后关注"]
    for text in ("什么时候发货", "快递到哪了"):
        await chat_and_close(http, connect, world, shipping["visitor_token"], text)
    assert await tagged(db, world, "售后关注") == {returns["contact_id"]}


async def test_a_conversation_closed_for_idleness_is_counted_too(
    http: httpx.AsyncClient, db: Database, world: World, connect: Connect
) -> None:
    await make_rule(
        http,
        world,
        {
            "tag": "问过退款",
            "conditions": [
                {
                    "fact": "conversations.count",
                    "days": 7,
                    "mentions": ["退款"],
                    "op": ">=",
                    "value": 1,
                }
            ],
        },
    )
    r = await http.put(
        "/api/v1/tenant/routing", json={"idle_close_s": 600}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    someone = await visitor(http, world)
    sock = await connect("visitor", someone["visitor_token"])
    ack = await sock.send_text("我要退款", "idle-1")
    assert ack["type"] == "ack", ack
    async with db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == ack["conversation_id"])
            .values(last_message_at=utcnow() - timedelta(seconds=601))
        )
    deadline = time.monotonic() + 10
    while await tags_of(http, world, someone["contact_id"]) != ["问过退款"]:
        assert time.monotonic() < deadline, "the idle close did not decide the rule"
        await asyncio.sleep(0.1)
    r = await http.get(
        f"/api/v1/conversations/{ack['conversation_id']}", headers=bearer(world.admin.token)
    )
    assert r.json()["status"] == "closed"


async def test_any_conversation_counts_without_mentions(
    http: httpx.AsyncClient, world: World, connect: Connect
) -> None:
    await make_rule(
        http,
        world,
        {
            "tag": "常咨询",
            "conditions": [{"fact": "conversations.count", "days": 7, "op": ">=", "value": 1}],
        },
    )
    someone = await visitor(http, world)
    await chat_and_close(http, connect, world, someone["visitor_token"], "你好")
    assert await tags_of(http, world, someone["contact_id"]) == ["常咨询"]


async def test_attribute_rules_follow_changes_to_the_profile(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    ids = await add_contacts(
        db,
        world,
        [
            {"attributes": {"level": "gold", "points": 1200}},
            {"attributes": {"level": "silver", "points": 1500}},
            {"attributes": {"level": "gold", "points": "lots"}},  # not a number
            {"attributes": {"level": "gold", "points": 900}},
            {"attributes": {}},
        ],
    )
    await make_rule(
        http,
        world,
        {
            "tag": "金卡高分",
            "conditions": [
                {"fact": "attribute", "key": "level", "op": "=", "value": "gold"},
                {"fact": "attribute", "key": "points", "op": ">=", "value": 1000},
            ],
        },
    )
    await make_rule(
        http,
        world,
        {
            "tag": "无等级",
            "conditions": [{"fact": "attribute", "key": "level", "op": "unset"}],
        },
    )
    await make_rule(
        http,
        world,
        {
            "tag": "非金卡",
            "conditions": [{"fact": "attribute", "key": "level", "op": "!=", "value": "gold"}],
        },
    )
    assert await tagged(db, world, "金卡高分") == {ids[0]}
    assert await tagged(db, world, "无等级") == {ids[4]}
    assert await tagged(db, world, "非金卡") == {ids[1], ids[4]}
    # The agent edits the profile: the rules see it at once.
    r = await http.patch(
        f"/api/v1/contacts/{ids[3]}",
        json={"attributes": {"level": "gold", "points": 1000}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["金卡高分"]
    r = await http.patch(
        f"/api/v1/contacts/{ids[0]}", json={"attributes": {}}, headers=bearer(world.agent.token)
    )
    assert sorted(r.json()["tags"]) == ["无等级", "非金卡"]


async def test_a_channel_rule_tags_who_is_reachable_there(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    [member, _text] = await add_contacts(
        db, world, [{"attributes": {"member": True}}, {"attributes": {"member": "true"}}]
    )
    await make_rule(
        http,
        world,
        {
            "tag": "已注册",
            "match": "any",
            "conditions": [
                {"fact": "channel", "channel": "user"},
                {"fact": "attribute", "key": "member", "op": "=", "value": True},
            ],
        },
    )
    assert await tagged(db, world, "已注册") == {member}  # true, not the text "true"
    # New customers: an anonymous visitor, and one signed in by the merchant (a user id).
    anonymous = await visitor(http, world)
    user_id = f"member-{next(_ids)}"
    signed = await widget_session(
        http,
        world.widget_key,
        identity={
            "user_id": user_id,
            "signature": identity_signature(world.identity_secret, user_id),
        },
    )
    assert await tags_of(http, world, signed["contact_id"]) == ["已注册"]
    assert await tags_of(http, world, anonymous["contact_id"]) == []
    assert await tagged(db, world, "已注册") == {signed["contact_id"], member}


# -- a person's tag -------------------------------------------------------------------------


async def test_a_persons_tag_of_the_same_name_is_never_duplicated_nor_taken_off(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    key = await api_key(http, world)
    vip = await push_order(http, key, "vip", "V1", "10")
    r = await http.put(f"/api/v1/contacts/{vip}/tags/VIP", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    rule = await make_rule(
        http,
        world,
        {"tag": "VIP", "conditions": [{"fact": "orders.spent", "days": 30, "op": ">", "value": 0}]},
    )
    other = await push_order(http, key, "other", "X1", "10")
    assert await tagged(db, world, "VIP") == {vip, other}
    async with db.read() as session:
        rows = (
            await session.execute(
                select(ContactTag.contact_id, ContactTag.rule_id).where(
                    ContactTag.tenant_id == world.tenant_id, ContactTag.tag == "VIP"
                )
            )
        ).all()
    assert sorted(rows) == sorted([(vip, None), (other, rule["id"])])
    # Both stop spending: the rule's tag comes off, the person's stays.
    await push_order(http, key, "vip", "V1", "10", status="refunded")
    await push_order(http, key, "other", "X1", "10", status="refunded")
    assert await tagged(db, world, "VIP") == {vip}
    # Deleting the rule leaves it too.
    r = await http.delete(f"{R}/{rule['id']}", headers=bearer(world.admin.token))
    assert r.status_code == 204
    assert await tags_of(http, world, vip) == ["VIP"]


# -- time passing -----------------------------------------------------------------------------


async def test_time_alone_makes_a_rule_about_few_orders_hold(
    http: httpx.AsyncClient, db: Database, world: World, server: ThreadServer
) -> None:
    """ "No order in 30 days": nobody orders, yet customers start to qualify as their last
    order leaves the window. The sweep finds them by the events that left it (or, on a
    process's first sweep, by deciding everyone)."""
    rule = await make_rule(
        http,
        world,
        {
            "tag": "沉睡",
            "conditions": [
                {"fact": "orders.count", "days": 30, "op": "<", "value": 1},
                {"fact": "channel", "channel": "user"},
            ],
        },
    )
    key = await api_key(http, world)
    old = await push_order(http, key, "old", "P1", "10", days_ago=25)
    recent = await push_order(http, key, "recent", "P2", "10", days_ago=2)
    never = await push_order(http, key, "never", "P3", "10", days_ago=400)
    assert await tagged(db, world, "沉睡") == {never}
    now = utcnow()
    await sweep(server, world, now=now + timedelta(days=6), since=now)
    assert await tagged(db, world, "沉睡") == {never, old}
    # A first sweep (nothing known about the previous one) decides everyone.
    async with db.write() as session:
        await session.execute(delete(ContactTag).where(ContactTag.rule_id == rule["id"]))
    await sweep(server, world, now=now + timedelta(days=29), since=None)
    assert await tagged(db, world, "沉睡") == {never, old, recent}


async def test_the_process_sweeper_remembers_its_last_sweep(
    http: httpx.AsyncClient, db: Database, world: World, server: ThreadServer
) -> None:
    await make_rule(
        http,
        world,
        {
            "tag": "本周活跃",
            "conditions": [{"fact": "visits.count", "days": 7, "op": ">=", "value": 1}],
        },
    )
    someone = await visitor(http, world)
    await track(http, someone, "https://shop.example/")
    assert await tagged(db, world, "本周活跃") == {someone["contact_id"]}
    sweeper = server.runtime.tag_rules
    await server.call(sweeper.sweep_once(utcnow()))
    await server.call(sweeper.sweep_once(utcnow() + timedelta(days=7, minutes=1)))
    assert await tagged(db, world, "本周活跃") == set()


# -- backfill -------------------------------------------------------------------------------


async def test_a_new_rule_backfills_ten_thousand_customers_with_progress_and_resumes(
    http: httpx.AsyncClient, db: Database, world: World, server: ThreadServer
) -> None:
    n = 10_000
    now = utcnow()
    async with db.write() as session:
        await session.execute(
            insert(Contact),
            [
                {
                    "tenant_id": world.tenant_id,
                    "name": f"客户{i}",
                    "attributes": {"tier": "gold" if i % 3 == 0 else "plain", "i": i},
                    "verified": False,
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        ids = list(
            await session.scalars(
                select(Contact.id).where(Contact.tenant_id == world.tenant_id).order_by(Contact.id)
            )
        )
        await session.execute(
            insert(ContactOrder),
            [
                {
                    "tenant_id": world.tenant_id,
                    "contact_id": cid,
                    "external_id": f"o-{cid}",
                    "status": "paid",
                    "total_cents": 100,
                    "currency": "CNY",
                    "items": [],
                    "placed_at": now - timedelta(days=1),
                    "updated_at": now,
                }
                for i, cid in enumerate(ids)
                if i % 2 == 0
            ],
        )
    expected = {cid for i, cid in enumerate(ids) if i % 6 == 0}
    started = time.monotonic()
    rule = await make_rule(
        http,
        world,
        {
            "tag": "金卡买家",
            "conditions": [
                {"fact": "attribute", "key": "tier", "op": "=", "value": "gold"},
                {"fact": "orders.count", "days": 30, "op": ">=", "value": 1},
            ],
        },
        wait=False,
    )
    assert rule["backfill"]["total"] == n
    seen = set()
    while True:
        r = await http.get(f"{R}/{rule['id']}", headers=bearer(world.admin.token))
        progress = r.json()["backfill"]
        seen.add(progress["done"])
        if progress["done"] == progress["total"]:
            break
        assert time.monotonic() - started < 60, progress
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed
    assert progress == {"done": n, "total": n}
    assert all(d % rules_sweep.BATCH == 0 or d == n for d in seen)
    assert await tagged(db, world, "金卡买家") == expected
    assert r.json()["tagged"] == len(expected)

    # A process dies half-way through a backfill: its progress is stored, and the next sweep
    # (on any process) finishes it.
    async with db.write() as session:
        await session.execute(delete(ContactTag).where(ContactTag.rule_id == rule["id"]))
        await session.execute(
            update(TagRule).where(TagRule.id == rule["id"]).values(backfill_done=5000)
        )
    result = await sweep(server, world, now=utcnow(), since=utcnow())
    assert result.backfilled == 1
    r = await http.get(f"{R}/{rule['id']}", headers=bearer(world.admin.token))
    assert r.json()["backfill"] == {"done": n, "total": n}
    assert await tagged(db, world, "金卡买家") == {cid for cid in expected if cid >= ids[5000]}


async def test_changing_disabling_and_deleting_a_rule(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    ids = await add_contacts(
        db, world, [{"attributes": {"city": c}} for c in ("上海", "北京", "上海浦东", "广州")]
    )
    rule = await make_rule(
        http,
        world,
        {
            "tag": "上海",
            "conditions": [{"fact": "attribute", "key": "city", "op": "=", "value": "上海"}],
        },
    )
    assert rule["tagged"] == 1
    admin = bearer(world.admin.token)

    async def patch(body: dict[str, Any]) -> dict[str, Any]:
        r = await http.patch(f"{R}/{rule['id']}", json=body, headers=admin)
        assert r.status_code == 200, r.text
        return await backfilled(http, world, rule["id"])

    changed = await patch(
        {"conditions": [{"fact": "attribute", "key": "city", "op": "contains", "value": "上海"}]}
    )
    assert changed["tagged"] == 2
    assert await tagged(db, world, "上海") == {ids[0], ids[2]}
    renamed = await patch({"tag": "沪"})
    assert renamed["tag"] == "沪"
    assert await tagged(db, world, "上海") == set()
    assert await tagged(db, world, "沪") == {ids[0], ids[2]}
    off = await patch({"enabled": False})
    assert off["enabled"] is False
    assert off["tagged"] == 0
    assert await tagged(db, world, "沪") == set()
    on = await patch({"enabled": True})
    assert on["tagged"] == 2
    described = await patch({"description": "上海的客户"})
    assert described["description"] == "上海的客户"
    r = await http.get(R, headers=bearer(world.agent.token))  # any account lists them
    assert [x["tag"] for x in r.json()] == ["沪"]
    r = await http.delete(f"{R}/{rule['id']}", headers=admin)
    assert r.status_code == 204
    assert await tagged(db, world, "沪") == set()
    r = await http.get(f"{R}/{rule['id']}", headers=admin)
    assert r.status_code == 404


async def test_preview_counts_who_a_rule_would_tag_and_shows_the_newest(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    ids = await add_contacts(db, world, [{"attributes": {"n": i}} for i in range(30)])
    body = {"conditions": [{"fact": "attribute", "key": "n", "op": "<", "value": 25}]}
    r = await http.post(f"{R}/preview", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 25
    sample = [c["id"] for c in r.json()["contacts"]]
    assert sample == sorted(ids[:25], reverse=True)[:20]
    # Nothing was stored.
    r = await http.get(R, headers=bearer(world.admin.token))
    assert r.json() == []


# -- bad rules, limits and who may ----------------------------------------------------------


async def test_bad_rules_are_refused_naming_the_field(
    http: httpx.AsyncClient, world: World
) -> None:
    spent = {"fact": "orders.spent", "days": 90, "op": ">", "value": 1000}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"tag": "x", "conditions": [{**spent, "days": 0}]}, "conditions.0.days"),
        ({"tag": "x", "conditions": [{**spent, "days": 3651}]}, "conditions.0.days"),
        ({"tag": "x", "conditions": [spent, {**spent, "op": "~"}]}, "conditions.1.op"),
        ({"tag": "x", "conditions": [{**spent, "value": 1.005}]}, "conditions.0.value"),
        ({"tag": "x", "conditions": [{**spent, "value": -1}]}, "conditions.0.value"),
        ({"tag": "x", "conditions": [{**spent, "colour": "red"}]}, "conditions.0.colour"),
        ({"tag": "x", "conditions": [{"fact": "orders.sum", "days": 1}]}, "conditions.0.fact"),
        ({"tag": "x", "conditions": [{"days": 1}]}, "conditions.0.fact"),
        ({"tag": "x", "conditions": []}, "conditions"),
        ({"tag": "x", "conditions": [spent] * 11}, "conditions"),
        ({"tag": "x", "match": "most", "conditions": [spent]}, "match"),
        ({"tag": "   ", "conditions": [spent]}, "tag"),
        ({"tag": "x" * 33, "conditions": [spent]}, "tag"),
        ({"conditions": [spent]}, "tag"),
        (
            {
                "tag": "x",
                "conditions": [{"fact": "visits.count", "days": 7, "op": ">", "value": 1.5}],
            },
            "conditions.0.value",
        ),
        (
            {
                "tag": "x",
                "conditions": [
                    {
                        "fact": "conversations.count",
                        "days": 7,
                        "mentions": [],
                        "op": ">",
                        "value": 1,
                    }
                ],
            },
            "conditions.0.mentions",
        ),
        (
            {
                "tag": "x",
                "conditions": [{"fact": "attribute", "key": "a", "op": "set", "value": 1}],
            },
            "conditions.0.value",
        ),
        (
            {
                "tag": "x",
                "conditions": [{"fact": "attribute", "key": "a", "op": ">", "value": "z"}],
            },
            "conditions.0.value",
        ),
        (
            {"tag": "x", "conditions": [{"fact": "attribute", "key": 'a"b', "op": "set"}]},
            "conditions.0.key",
        ),
        (
            {"tag": "x", "conditions": [{"fact": "channel", "channel": "WeChat!"}]},
            "conditions.0.channel",
        ),
    ]
    for body, field in cases:
        r = await http.post(R, json=body, headers=bearer(world.admin.token))
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field, (body, r.json())
        assert "orders.spent." not in r.json()["detail"], r.json()
    r = await http.post(
        f"{R}/preview",
        json={"conditions": [{**spent, "days": 0}]},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 422
    assert r.json()["field"] == "conditions.0.days"
    r = await http.get(R, headers=bearer(world.admin.token))
    assert r.json() == []


async def test_a_tag_has_one_rule_and_a_merchant_at_most_a_hundred(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    body = {"tag": "t0", "conditions": [{"fact": "channel", "channel": "wechat"}]}
    await make_rule(http, world, body)
    r = await http.post(R, json=body, headers=bearer(world.admin.token))
    assert r.status_code == 409
    assert r.json()["field"] == "tag"
    async with db.write() as session:
        await session.execute(
            insert(TagRule),
            [
                {
                    "tenant_id": world.tenant_id,
                    "tag": f"t{i}",
                    "description": "",
                    "match": "all",
                    "conditions": body["conditions"],
                    "enabled": False,
                    "backfill_total": 0,
                    "backfill_done": 0,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
                for i in range(1, 100)
            ],
        )
    r = await http.post(R, json={**body, "tag": "t100"}, headers=bearer(world.admin.token))
    assert r.status_code == 422
    assert r.json()["code"] == "limit_reached"
    rules = (await http.get(R, headers=bearer(world.admin.token))).json()
    r = await http.patch(
        f"{R}/{rules[-1]['id']}", json={"tag": "t0"}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 409
    assert r.json()["field"] == "tag"


async def test_agents_list_rules_but_only_marketing_changes_them_and_merchants_are_apart(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    body = {"tag": "t", "conditions": [{"fact": "channel", "channel": "sms"}]}
    rule = await make_rule(http, world, body)
    agent = bearer(world.agent.token)
    assert (await http.get(R, headers=agent)).status_code == 200
    for method, path in (
        ("POST", R),
        ("POST", f"{R}/preview"),
        ("GET", f"{R}/{rule['id']}"),
        ("PATCH", f"{R}/{rule['id']}"),
        ("DELETE", f"{R}/{rule['id']}"),
    ):
        r = await http.request(
            method, path, json=None if method in ("GET", "DELETE") else body, headers=agent
        )
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["permission"] == "marketing.manage"
    visitor_session = await visitor(http, world)
    r = await http.get(R, headers=bearer(visitor_session["visitor_token"]))
    assert r.status_code == 403
    theirs = bearer(other_world.admin.token)
    assert (await http.get(R, headers=theirs)).json() == []
    for method in ("GET", "PATCH", "DELETE"):
        r = await http.request(
            method, f"{R}/{rule['id']}", json=None if method != "PATCH" else {}, headers=theirs
        )
        assert r.status_code == 404, (method, r.text)
