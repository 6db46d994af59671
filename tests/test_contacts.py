"""The customer panel's API: profile and its limits, tags, every conversation of a customer
under the access rules (and the rules themselves, branch by branch), visited pages, and
orders from the merchant's API."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
from huiliu.contacts.models import ContactVisit
from huiliu.conversations import access
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.roles.permissions import Permission
from huiliu.tenants.service import identity_signature
from tests.clients import Connect, Socket, bearer, widget_session
from tests.factories import World
from tests.server import ThreadServer
from tests.services import free_port

_ids = itertools.count()


async def identified(http: httpx.AsyncClient, world: World, **profile: Any) -> dict[str, Any]:
    user_id = f"u-{next(_ids)}"
    identity = {
        "user_id": user_id,
        "signature": identity_signature(world.identity_secret, user_id),
        **profile,
    }
    session = await widget_session(http, world.widget_key, identity=identity)
    session["user_id"] = user_id
    return session


async def contact(http: httpx.AsyncClient, token: str, contact_id: int) -> dict[str, Any]:
    r = await http.get(f"/api/v1/contacts/{contact_id}", headers=bearer(token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_an_agent_reads_the_profile_with_tags_and_identities(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    session = await identified(
        http, world, name="王小明", email="w@example.com", attributes={"level": "gold"}
    )
    cid = session["contact_id"]
    r = await http.put(f"/api/v1/contacts/{cid}/tags/VIP", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    body = await contact(http, world.agent.token, cid)
    assert set(body) == {
        "id",
        "name",
        "email",
        "phone",
        "attributes",
        "verified",
        "marketing_opt_out_at",
        "created_at",
        "tags",
        "rule_tags",
        "identities",
    }
    assert body["marketing_opt_out_at"] is None
    assert body["name"] == "王小明"
    assert body["attributes"] == {"level": "gold"}
    assert body["verified"] is True
    assert body["tags"] == ["VIP"]
    assert [(i["channel"], i["external_id"]) for i in body["identities"]] == [
        ("user", session["user_id"])
    ]
    assert set(body["identities"][0]) == {"channel", "external_id", "created_at"}
    # Another merchant's accounts and the customer themself get nothing.
    for token in (other_world.admin.token, other_world.agent.token):
        r = await http.get(f"/api/v1/contacts/{cid}", headers=bearer(token))
        assert r.status_code == 404
        assert r.json() == {"code": "not_found", "detail": "contact not found"}
    r = await http.get(f"/api/v1/contacts/{cid}", headers=bearer(session["visitor_token"]))
    assert r.status_code == 403


async def test_patch_changes_what_it_names_and_replaces_attributes_whole(
    http: httpx.AsyncClient, world: World
) -> None:
    session = await identified(
        http, world, name="李雷", email="l@example.com", attributes={"level": "gold", "city": "沪"}
    )
    cid = session["contact_id"]
    r = await http.patch(
        f"/api/v1/contacts/{cid}",
        json={"phone": " 138 0000 0000 ", "email": None, "attributes": {"level": "vip", "n": 3}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "李雷"  # left out: unchanged
    assert body["email"] is None  # null clears
    assert body["phone"] == "138 0000 0000"
    assert body["attributes"] == {"level": "vip", "n": 3}  # replaced, not merged
    assert await contact(http, world.supervisor.token, cid) == body


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"attributes": {"address": {"city": "沪"}}}, 422),
        ({"attributes": {"list": [1, 2]}}, 422),
        ({"attributes": {f"k{i}": i for i in range(51)}}, 422),
        ({"attributes": {"note": "字" * 700}}, 413),
        ({"attributes": None}, 422),
        ({"attributes": {"": 1}}, 422),
        ({"email": "not-an-address"}, 422),
        ({"phone": "call me maybe"}, 422),
        ({"name": "x" * 201}, 422),
        ({"verified": True}, 422),
        ({"tags": ["VIP"]}, 422),
    ],
)
async def test_bad_profile_input_is_refused_and_nothing_changes(
    http: httpx.AsyncClient, world: World, body: dict[str, Any], status: int
) -> None:
    session = await identified(http, world, name="韩梅梅", attributes={"level": "gold"})
    cid = session["contact_id"]
    before = await contact(http, world.agent.token, cid)
    r = await http.patch(f"/api/v1/contacts/{cid}", json=body, headers=bearer(world.agent.token))
    assert r.status_code == status, r.text
    assert r.json()["code"] == ("too_large" if status == 413 else "invalid")
    assert r.json()["detail"]
    assert await contact(http, world.agent.token, cid) == before


async def test_tags_are_trimmed_idempotent_and_counted_for_autocompletion(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    first = (await widget_session(http, world.widget_key))["contact_id"]
    second = (await widget_session(http, world.widget_key))["contact_id"]
    h = bearer(world.agent.token)
    for _ in range(2):
        r = await http.put(f"/api/v1/contacts/{first}/tags/%20%20VIP%20", headers=h)
        assert r.json() == ["VIP"]
    r = await http.put(f"/api/v1/contacts/{first}/tags/投诉", headers=h)
    assert r.json() == ["VIP", "投诉"]
    await http.put(f"/api/v1/contacts/{second}/tags/VIP", headers=h)
    r = await http.get("/api/v1/tags", headers=h)
    assert r.status_code == 200
    assert r.json() == [{"tag": "VIP", "count": 2}, {"tag": "投诉", "count": 1}]
    assert (await http.get("/api/v1/tags?search=诉", headers=h)).json() == [
        {"tag": "投诉", "count": 1}
    ]
    for _ in range(2):
        r = await http.delete(f"/api/v1/contacts/{first}/tags/VIP", headers=h)
        assert r.status_code == 200
        assert r.json() == ["投诉"]
    # Too long, blank, another merchant's customer or tags: refused, and nothing changes.
    assert (
        await http.put(f"/api/v1/contacts/{first}/tags/{'x' * 33}", headers=h)
    ).status_code == 422
    assert (await http.put(f"/api/v1/contacts/{first}/tags/%20", headers=h)).status_code == 422
    other = bearer(other_world.agent.token)
    assert (await http.put(f"/api/v1/contacts/{first}/tags/坏", headers=other)).status_code == 404
    assert (
        await http.delete(f"/api/v1/contacts/{first}/tags/投诉", headers=other)
    ).status_code == 404
    assert (await http.get("/api/v1/tags", headers=other)).json() == []
    assert (await contact(http, world.agent.token, first))["tags"] == ["投诉"]


async def test_a_customers_conversations_follow_the_access_rules(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World
) -> None:
    a, b = world.agents
    session = await widget_session(http, world.widget_key)
    contact_id = session["contact_id"]
    visitor = await connect("visitor", session["visitor_token"])
    old = await _chat(http, visitor, b.token, "上次的问题")
    r = await http.post(f"/api/v1/conversations/{old}/close", headers=bearer(b.token))
    assert r.status_code == 200, r.text

    def path(token: str) -> tuple[str, dict[str, str]]:
        return f"/api/v1/contacts/{contact_id}/conversations", bearer(token)

    async def ids(token: str) -> list[int]:
        url, headers = path(token)
        r = await http.get(url, headers=headers)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()]

    # Nobody serves the customer now: a is told only of what a may see anyway.
    assert await ids(a.token) == []
    assert (
        await http.get(f"/api/v1/conversations/{old}/messages", headers=bearer(a.token))
    ).status_code == 404
    new = await _chat(http, visitor, a.token, "又来了")
    # a serves them now: their whole history, newest first, readable message by message.
    assert await ids(a.token) == [new, old]
    r = await http.get(f"/api/v1/conversations/{old}/messages", headers=bearer(a.token))
    assert r.status_code == 200
    assert [m["content"].get("text") for m in r.json()["messages"]][1] == "上次的问题"
    assert await ids(b.token) == [old]  # b served the old one only
    assert await ids(world.supervisor.token) == [new, old]
    url, _ = path(a.token)
    assert (await http.get(url, params={"before_id": new}, headers=bearer(a.token))).json()[0][
        "id"
    ] == old
    assert (await http.get(url, params={"limit": 1}, headers=bearer(a.token))).json()[0][
        "id"
    ] == new
    # Reading is not writing: the old conversation is b's (a may see it, so not 404).
    r = await http.post(f"/api/v1/conversations/{old}/close", headers=bearer(a.token))
    assert r.status_code == 403
    # Others are kept out.
    assert (await http.get(url, headers=bearer(other_world.supervisor.token))).status_code == 404
    assert (await http.get(url, headers=bearer(session["visitor_token"]))).status_code == 403
    # Once a closes theirs, the colleague's history is closed to a again.
    r = await http.post(f"/api/v1/conversations/{new}/close", headers=bearer(a.token))
    assert r.status_code == 200
    assert await ids(a.token) == [new]


async def test_an_agent_reading_a_colleagues_open_conversation_may_not_write_to_it(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    a, b = world.agents
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    theirs = await _chat(http, visitor, b.token, "网页上问的")
    other_channel = await _open_on_channel(db, world, session["contact_id"], a.id, "email")
    r = await http.get(f"/api/v1/conversations/{theirs}", headers=bearer(a.token))
    assert r.status_code == 200  # a serves the customer by e-mail
    agent = await connect("agent", a.token)
    reply = await agent.send_text("我来回答", "a-1", conversation_id=theirs)
    assert (reply["type"], reply["code"]) == ("error", "forbidden")
    r = await http.post(f"/api/v1/conversations/{theirs}/close", headers=bearer(a.token))
    assert r.status_code == 403
    assert other_channel != theirs


def test_can_see_decides_every_branch() -> None:
    agent = Principal(kind="account", tenant_id=1, id=7, role=Role.agent)
    oversee = frozenset({Permission.monitor})
    supervisor = Principal(
        kind="account", tenant_id=1, id=8, role=Role.supervisor, permissions=oversee
    )
    lead = Principal(  # a supervisor of group 3 only
        kind="account",
        tenant_id=1,
        id=9,
        role=Role.supervisor,
        permissions=oversee,
        group_ids=frozenset({3}),
    )
    visitor = Principal(kind="visitor", tenant_id=1, id=42)

    def sees(
        p: Principal, *, tenant: int = 1, contact: int = 42, group: int | None = None, **kw: Any
    ) -> bool:
        return access.can_see(p, tenant_id=tenant, contact_id=contact, group_id=group, **kw)

    def writes(p: Principal, *, assignee_id: int | None, group: int | None = None) -> bool:
        return access.can_write(
            p, tenant_id=1, contact_id=42, assignee_id=assignee_id, group_id=group
        )

    assert not sees(supervisor, tenant=2, assignee_id=None)  # another tenant
    assert not sees(agent, tenant=2, assignee_id=7, serving_contact=True)
    assert sees(visitor, assignee_id=7)  # the customer's own
    assert not sees(visitor, contact=43, assignee_id=None)
    assert sees(supervisor, assignee_id=9)  # a tenant-wide supervisor sees all
    assert sees(lead, assignee_id=11, group=3)  # a group's supervisor sees its group's …
    assert not sees(lead, assignee_id=11, group=4)  # … and not another's
    assert not sees(lead, assignee_id=11)  # nor one without a group
    assert sees(agent, assignee_id=7)  # the agent's own
    assert sees(agent, assignee_id=None)  # waiting: to claim
    assert not sees(agent, assignee_id=9)  # a colleague's …
    assert sees(agent, assignee_id=9, serving_contact=True)  # … unless serving the customer
    assert not writes(agent, assignee_id=9)
    assert writes(agent, assignee_id=7)
    assert writes(supervisor, assignee_id=9)
    assert writes(lead, assignee_id=11, group=3)
    assert not writes(lead, assignee_id=11, group=4)


async def test_tracked_pages_close_the_previous_visit_and_list_newest_first(
    http: httpx.AsyncClient, world: World, other_world: World, db: Database
) -> None:
    session = await widget_session(http, world.widget_key)
    h = bearer(session["visitor_token"])
    first = {"url": "https://shop.example.com/", "title": "首页", "referrer": ""}
    r = await http.post("/api/v1/widget/track", json=first, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["duration_s"] is None
    second = {"url": "https://shop.example.com/p/1", "referrer": "https://shop.example.com/"}
    assert (await http.post("/api/v1/widget/track", json=second, headers=h)).status_code == 201
    url = f"/api/v1/contacts/{session['contact_id']}/visits"
    visits = (await http.get(url, headers=bearer(world.agent.token))).json()
    assert [v["url"] for v in visits] == [second["url"], first["url"]]
    assert visits[0]["duration_s"] is None
    assert visits[0]["referrer"] == second["referrer"]
    assert visits[0]["title"] is None
    assert visits[1]["referrer"] is None
    assert 0 <= visits[1]["duration_s"] < 60
    # A page left open for hours counts for 30 minutes.
    async with db.write() as s:
        await s.execute(
            update(ContactVisit)
            .where(ContactVisit.id == visits[0]["id"])
            .values(started_at=utcnow() - timedelta(hours=3))
        )
    await http.post(
        "/api/v1/widget/track", json={"url": "https://shop.example.com/cart"}, headers=h
    )
    visits = (await http.get(url, params={"limit": 2}, headers=bearer(world.agent.token))).json()
    assert [v["duration_s"] for v in visits] == [None, 1800]
    assert (await http.get(url, headers=bearer(other_world.agent.token))).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "javascript:alert(1)"},
        {"url": "ftp://shop.example.com/"},
        {"url": "https://shop.example.com/" + "x" * 2000},
        {"url": "https://shop.example.com/", "referrer": "data:text/html,hi"},
        {"url": "https://shop.example.com/", "title": "t" * 301},
        {"url": "https://shop.example.com/", "at": "now"},
        {},
    ],
)
async def test_bad_tracking_is_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, world: World, body: dict[str, Any]
) -> None:
    session = await widget_session(http, world.widget_key)
    r = await http.post("/api/v1/widget/track", json=body, headers=bearer(session["visitor_token"]))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid"
    url = f"/api/v1/contacts/{session['contact_id']}/visits"
    assert (await http.get(url, headers=bearer(world.agent.token))).json() == []


async def test_only_a_visitor_reports_pages(http: httpx.AsyncClient, world: World) -> None:
    body = {"url": "https://shop.example.com/"}
    r = await http.post("/api/v1/widget/track", json=body, headers=bearer(world.agent.token))
    assert r.status_code == 403
    assert (await http.post("/api/v1/widget/track", json=body)).status_code == 401


async def test_orders_come_from_the_merchant_api_and_its_failures_are_reported(
    http: httpx.AsyncClient, world: World, other_world: World, server: ThreadServer
) -> None:
    session = await identified(http, world)
    url = f"/api/v1/contacts/{session['contact_id']}/orders"
    h = bearer(world.agent.token)
    assert (await http.get(url, headers=h)).json() == {
        "configured": False,
        "orders": [],
        "error": None,
    }
    slug = (await http.get("/api/v1/tenant", headers=bearer(world.admin.token))).json()["slug"]
    await _merchant_api(http, world, f"{server.base_url}/demo-shop/{slug}/api")
    body = (await http.get(url, headers=h)).json()
    assert body["configured"] is True
    assert body["error"] is None
    assert [o["status"] for o in body["orders"]] == ["shipped", "paid", "delivered"]
    # The merchant says no (this shop has no API of its own), or cannot be reached at all:
    # the panel shows why, the route does not fail.
    other_slug = (await http.get("/api/v1/tenant", headers=bearer(other_world.admin.token))).json()
    await _merchant_api(http, world, f"{server.base_url}/demo-shop/{other_slug['slug']}/api")
    r = await http.get(url, headers=h)
    assert r.status_code == 200
    assert r.json() == {
        "configured": True,
        "orders": [],
        "error": "the merchant API answered: no such shop",
    }
    await _merchant_api(http, world, f"http://127.0.0.1:{free_port()}", retries=0)
    r = await http.get(url, headers=h)
    assert r.status_code == 200
    assert r.json()["error"].startswith("the merchant API could not be reached")
    assert (await http.get(url, headers=bearer(other_world.agent.token))).status_code == 404


async def _merchant_api(
    http: httpx.AsyncClient, world: World, base_url: str, retries: int = 1
) -> None:
    body = {
        "enabled": False,
        "merchant_api": {
            "base_url": base_url,
            "secret": "merchant-secret-0123456789abcdef",
            "timeout_s": 2,
            "retries": retries,
        },
    }
    r = await http.put("/api/v1/tenant/bot", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text


async def _chat(http: httpx.AsyncClient, visitor: Socket, agent_token: str, text: str) -> int:
    """The visitor writes (opening a conversation); the agent claims it."""
    ack = await visitor.send_text(text, f"c-{next(_ids)}")
    cid = int(ack["conversation_id"])
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(agent_token))
    assert r.status_code == 200, r.text
    return cid


async def _open_on_channel(
    db: Database, world: World, contact_id: int, agent_id: int, channel: str
) -> int:
    """An open conversation of the customer on another channel, served by ``agent_id`` (no
    adapter for a second channel exists yet, so it is written as one would store it)."""
    from huiliu.conversations.models import Conversation

    async with db.write() as session:
        row = Conversation(
            tenant_id=world.tenant_id,
            contact_id=contact_id,
            channel=channel,
            assignee_id=agent_id,
            last_seq=0,
        )
        session.add(row)
        await session.flush()
        return row.id
