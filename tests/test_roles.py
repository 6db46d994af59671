"""Roles for larger departments: every route names the permission it needs and refuses a
role without it; a supervisor of some groups sees only those groups' conversations,
tickets, queues, reviews and reports, live sockets included; nobody hands out more than
they hold; roles and centres are managed with clear errors."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from huiliu.app import create_app
from huiliu.db import Database
from huiliu.roles.permissions import Permission
from tests import test_quality as quality
from tests.clients import Connect, Socket, bearer
from tests.factories import Person, World
from tests.test_reports import lay_down, utc
from tests.test_routing import arrive, assigned_to, make_group

_names = itertools.count()

# Every route an account calls that needs more than being signed in, and what it needs.
# A new route either lands here or in OPEN below: a test fails until it does.
GUARDED: dict[tuple[str, str], str] = {
    ("PATCH", "/api/v1/accounts/{account_id}"): "agents.manage",
    ("POST", "/api/v1/accounts"): "agents.manage",
    ("PUT", "/api/v1/accounts/{account_id}/capacity"): "agents.manage",
    ("PUT", "/api/v1/tenant/default-capacity"): "agents.manage",
    ("DELETE", "/api/v1/tenant/channels/{account_id}"): "channels.manage",
    ("GET", "/api/v1/tenant/channels"): "channels.manage",
    ("GET", "/api/v1/tenant/channels/{account_id}"): "channels.manage",
    ("GET", "/api/v1/tenant/channels/{account_id}/events"): "channels.manage",
    ("GET", "/api/v1/tenant/widget"): "channels.manage",
    ("PATCH", "/api/v1/tenant/channels/{account_id}"): "channels.manage",
    ("POST", "/api/v1/tenant/channels"): "channels.manage",
    ("PUT", "/api/v1/tenant/widget"): "channels.manage",
    ("POST", "/api/v1/conversations/{conversation_id}/assign"): "conversations.monitor",
    ("DELETE", "/api/v1/kb/categories/{category_id}"): "kb.edit",
    ("DELETE", "/api/v1/kb/entries/{entry_id}"): "kb.edit",
    ("GET", "/api/v1/kb/export"): "kb.edit",
    ("GET", "/api/v1/kb/unanswered"): "kb.edit",
    ("GET", "/api/v1/kb/vocabulary"): "kb.edit",
    ("GET", "/api/v1/tenant/bot"): "kb.edit",
    ("PATCH", "/api/v1/kb/categories/{category_id}"): "kb.edit",
    ("PATCH", "/api/v1/kb/entries/{entry_id}"): "kb.edit",
    ("POST", "/api/v1/kb/categories"): "kb.edit",
    ("POST", "/api/v1/kb/entries"): "kb.edit",
    ("POST", "/api/v1/kb/import"): "kb.edit",
    ("POST", "/api/v1/kb/unanswered/resolve"): "kb.edit",
    ("PUT", "/api/v1/kb/vocabulary"): "kb.edit",
    ("PUT", "/api/v1/tenant/bot"): "kb.edit",
    ("DELETE", "/api/v1/segments/{segment_id}"): "marketing.manage",
    ("DELETE", "/api/v1/tag-rules/{rule_id}"): "marketing.manage",
    ("GET", "/api/v1/tag-rules/{rule_id}"): "marketing.manage",
    ("PATCH", "/api/v1/segments/{segment_id}"): "marketing.manage",
    ("PATCH", "/api/v1/tag-rules/{rule_id}"): "marketing.manage",
    ("POST", "/api/v1/segments"): "marketing.manage",
    ("POST", "/api/v1/segments/preview"): "marketing.manage",
    ("POST", "/api/v1/tag-rules"): "marketing.manage",
    ("POST", "/api/v1/tag-rules/preview"): "marketing.manage",
    ("DELETE", "/api/v1/centres/{centre_id}"): "org.manage",
    ("DELETE", "/api/v1/roles/{role_id}"): "org.manage",
    ("PATCH", "/api/v1/centres/{centre_id}"): "org.manage",
    ("PATCH", "/api/v1/roles/{role_id}"): "org.manage",
    ("POST", "/api/v1/centres"): "org.manage",
    ("POST", "/api/v1/roles"): "org.manage",
    ("DELETE", "/api/v1/quality/batches/{batch_id}"): "quality.review",
    ("DELETE", "/api/v1/quality/checklists/{checklist_id}"): "quality.review",
    ("DELETE", "/api/v1/quality/reviews/{review_id}"): "quality.review",
    ("GET", "/api/v1/quality/batches"): "quality.review",
    ("GET", "/api/v1/quality/batches/{batch_id}"): "quality.review",
    ("GET", "/api/v1/quality/checklists"): "quality.review",
    ("GET", "/api/v1/quality/checklists/{checklist_id}"): "quality.review",
    ("GET", "/api/v1/quality/disputes"): "quality.review",
    ("GET", "/api/v1/quality/reviews"): "quality.review",
    ("PATCH", "/api/v1/quality/batches/{batch_id}"): "quality.review",
    ("PATCH", "/api/v1/quality/reviews/{review_id}"): "quality.review",
    ("POST", "/api/v1/quality/batches"): "quality.review",
    ("POST", "/api/v1/quality/checklists"): "quality.review",
    ("POST", "/api/v1/quality/reviews"): "quality.review",
    ("POST", "/api/v1/quality/reviews/{review_id}/resolve"): "quality.review",
    ("POST", "/api/v1/quality/reviews/{review_id}/submit"): "quality.review",
    ("POST", "/api/v1/quality/samples"): "quality.review",
    ("PUT", "/api/v1/quality/checklists/{checklist_id}"): "quality.review",
    ("DELETE", "/api/v1/quick-replies/{reply_id}"): "replies.manage",
    ("PATCH", "/api/v1/quick-replies/{reply_id}"): "replies.manage",
    ("POST", "/api/v1/quick-replies"): "replies.manage",
    ("GET", "/api/v1/reports/agents"): "reports.view",
    ("GET", "/api/v1/reports/agents/export"): "reports.view",
    ("GET", "/api/v1/reports/breakdown"): "reports.view",
    ("GET", "/api/v1/reports/breakdown/export"): "reports.view",
    ("GET", "/api/v1/reports/conversations"): "reports.view",
    ("GET", "/api/v1/reports/conversations/export"): "reports.view",
    ("GET", "/api/v1/reports/hot-words"): "reports.view",
    ("GET", "/api/v1/reports/hot-words/export"): "reports.view",
    ("GET", "/api/v1/reports/overview"): "reports.view",
    ("GET", "/api/v1/reports/overview/export"): "reports.view",
    ("GET", "/api/v1/reports/series"): "reports.view",
    ("GET", "/api/v1/reports/series/export"): "reports.view",
    ("GET", "/api/v1/satisfaction/surveys"): "reports.view",
    ("GET", "/api/v1/tenant/reports/settings"): "reports.view",
    ("GET", "/api/v1/tenant/routing"): "routing.manage",
    ("PATCH", "/api/v1/groups/{group_id}"): "routing.manage",
    ("POST", "/api/v1/groups"): "routing.manage",
    ("PUT", "/api/v1/tenant/routing"): "routing.manage",
    ("DELETE", "/api/v1/tenant/api-keys/{key_id}"): "settings.manage",
    ("DELETE", "/api/v1/tenant/webhooks/{endpoint_id}"): "settings.manage",
    ("GET", "/api/v1/tenant/api-keys"): "settings.manage",
    ("GET", "/api/v1/tenant/satisfaction"): "settings.manage",
    ("GET", "/api/v1/tenant/webhooks"): "settings.manage",
    ("GET", "/api/v1/tenant/webhooks/{endpoint_id}"): "settings.manage",
    ("GET", "/api/v1/tenant/webhooks/{endpoint_id}/deliveries"): "settings.manage",
    ("PATCH", "/api/v1/tenant/webhooks/{endpoint_id}"): "settings.manage",
    ("POST", "/api/v1/tenant/api-keys"): "settings.manage",
    ("POST", "/api/v1/tenant/webhooks"): "settings.manage",
    ("POST", "/api/v1/tenant/webhooks/{endpoint_id}/test"): "settings.manage",
    ("PUT", "/api/v1/quality/settings"): "settings.manage",
    ("PUT", "/api/v1/tenant/reports/settings"): "settings.manage",
    ("PUT", "/api/v1/tenant/satisfaction"): "settings.manage",
    ("PUT", "/api/v1/tenant/tickets"): "settings.manage",
    ("PUT", "/api/v1/tenant/profile"): "settings.manage",
    ("DELETE", "/api/v1/campaign-templates/{template_id}"): "marketing.manage",
    ("GET", "/api/v1/campaign-templates"): "marketing.manage",
    ("GET", "/api/v1/campaigns"): "marketing.manage",
    ("GET", "/api/v1/campaigns/{campaign_id}"): "marketing.manage",
    ("GET", "/api/v1/campaigns/{campaign_id}/deliveries"): "marketing.manage",
    ("GET", "/api/v1/tenant/marketing"): "marketing.manage",
    ("PATCH", "/api/v1/campaign-templates/{template_id}"): "marketing.manage",
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): "marketing.manage",
    ("POST", "/api/v1/campaign-templates"): "marketing.manage",
    ("POST", "/api/v1/campaign-templates/preview"): "marketing.manage",
    ("POST", "/api/v1/campaigns"): "marketing.manage",
    ("POST", "/api/v1/campaigns/{campaign_id}/{action}"): "marketing.manage",
    ("PUT", "/api/v1/tenant/marketing"): "marketing.manage",
}


def _flat(routes: Any) -> Iterator[Any]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat(inner.routes)
        else:
            yield route


def _permissions(dependant: Any) -> set[str]:
    found: set[str] = set()
    for dep in dependant.dependencies:
        permission = getattr(dep.call, "permission", None)
        if permission is not None:
            found.add(permission.value)
        found |= _permissions(dep)
    return found


def api_routes() -> dict[tuple[str, str], set[str]]:
    return {
        (method, route.path): _permissions(route.dependant)
        for route in _flat(create_app().routes)
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1/")
        for method in route.methods
    }


def test_every_route_names_the_permission_the_table_says() -> None:
    declared = {key: perms for key, perms in api_routes().items() if perms}
    assert {key: next(iter(p)) for key, p in declared.items()} == GUARDED
    assert all(len(p) == 1 for p in declared.values())
    # Every permission guards something, except tickets.manage, which widens what the
    # ticket routes show (tested below) rather than opening a route of its own.
    assert set(GUARDED.values()) == {p.value for p in Permission} - {"tickets.manage"}


# -- helpers ----------------------------------------------------------------------------------


async def make_role(
    http: httpx.AsyncClient,
    world: World,
    permissions: list[str],
    *,
    scope: str = "tenant",
    base: str = "supervisor",
    token: str | None = None,
) -> dict[str, Any]:
    body = {
        "name": f"角色 {next(_names)}",
        "base": base,
        "permissions": permissions,
        "scope": scope,
    }
    r = await http.post("/api/v1/roles", json=body, headers=bearer(token or world.admin.token))
    assert r.status_code == 201, r.text
    role: dict[str, Any] = r.json()
    return role


async def give(
    http: httpx.AsyncClient, world: World, person: Person, role: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    r = await http.patch(
        f"/api/v1/accounts/{person.id}",
        json={"role_id": role["id"], **extra},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text
    account: dict[str, Any] = r.json()
    return account


async def make_centre(http: httpx.AsyncClient, world: World, name: str) -> int:
    r = await http.post("/api/v1/centres", json={"name": name}, headers=bearer(world.admin.token))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _url(path: str) -> str:
    for name in ("account_id", "conversation_id", "category_id", "entry_id", "centre_id"):
        path = path.replace("{" + name + "}", "987654")
    for name in ("template_id", "campaign_id", "action", "rule_id", "segment_id"):
        path = path.replace("{" + name + "}", "987654")
    for name in ("role_id", "batch_id", "checklist_id", "review_id", "reply_id", "group_id"):
        path = path.replace("{" + name + "}", "987654")
    return path.replace("{key_id}", "987654").replace("{endpoint_id}", "987654")


async def call(http: httpx.AsyncClient, method: str, path: str, token: str) -> httpx.Response:
    body = None if method in ("GET", "DELETE") else {}
    return await http.request(method, _url(path), json=body, headers=bearer(token))


async def test_a_role_without_a_permission_is_refused_every_route_that_needs_it(
    http: httpx.AsyncClient, world: World
) -> None:
    """For each permission: a role holding all the others gets 403 naming it on every
    route that needs it; a role holding just it gets past the check (a 404 or a 422 for
    the made-up ids and empty bodies, never 403)."""
    people = [world.supervisor, *world.agents]
    for permission in sorted({p.value for p in Permission} - {"tickets.manage"}):
        without = await make_role(http, world, sorted({p.value for p in Permission} - {permission}))
        only = await make_role(http, world, [permission])
        await give(http, world, people[0], without)
        await give(http, world, people[1], only)
        routes = [key for key, p in GUARDED.items() if p == permission]
        for method, path in routes:
            r = await call(http, method, path, people[0].token)
            assert r.status_code == 403, (method, path, r.text)
            assert r.json()["code"] == "forbidden"
            assert r.json()["permission"] == permission
            r = await call(http, method, path, people[1].token)
            assert r.status_code != 403, (method, path, r.text)
            assert r.status_code < 500, (method, path, r.text)
    # The built-in agent role holds nothing: every guarded route refuses it.
    for method, path in GUARDED:
        r = await call(http, method, path, world.agents[1].token)
        assert r.status_code == 403, (method, path, r.text)


async def test_me_says_what_the_role_may_do_and_the_roles_list_counts_holders(
    http: httpx.AsyncClient, world: World
) -> None:
    me = (await http.get("/api/v1/me", headers=bearer(world.admin.token))).json()
    assert set(me["permissions"]) == {p.value for p in Permission}
    assert (me["scope"], me["scope_group_ids"]) == ("tenant", None)
    me = (await http.get("/api/v1/me", headers=bearer(world.agent.token))).json()
    assert (me["permissions"], me["scope"]) == ([], "groups")
    roles = (await http.get("/api/v1/roles", headers=bearer(world.agent.token))).json()
    builtin = {r["base"]: r for r in roles if r["builtin"]}
    assert set(builtin) == {"agent", "supervisor", "admin"}
    assert [builtin[b]["accounts"] for b in ("admin", "supervisor", "agent")] == [1, 1, 2]
    assert "reports.view" in builtin["supervisor"]["permissions"]
    assert "settings.manage" not in builtin["supervisor"]["permissions"]
    catalogue = (await http.get("/api/v1/permissions", headers=bearer(world.agent.token))).json()
    assert set(catalogue) == {p.value for p in Permission}


# -- scope ------------------------------------------------------------------------------------


async def two_groups(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> tuple[dict[str, Any], dict[str, Any], tuple[Socket, int], tuple[Socket, int]]:
    """Group B served by agent 1, group A by agent 0 (and the supervisor, offline); a
    conversation served in each."""
    a0, a1 = world.agents
    s = world.supervisor
    r = await http.put("/api/v1/me/status", json={"status": "offline"}, headers=bearer(s.token))
    assert r.status_code == 200
    group_b = await make_group(http, world, members=[a1.id])
    visitor_b, cid_b, _ = await arrive(http, connect, world)
    assert await assigned_to(visitor_b, cid_b) == a1.id
    group_a = await make_group(http, world, members=[a0.id, s.id])
    visitor_a, cid_a, _ = await arrive(http, connect, world)
    assert await assigned_to(visitor_a, cid_a) == a0.id
    return group_a, group_b, (visitor_a, cid_a), (visitor_b, cid_b)


async def test_a_supervisor_of_some_groups_sees_only_their_conversations_live_and_over_rest(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    group_a, group_b, (visitor_a, cid_a), (visitor_b, cid_b) = await two_groups(
        http, connect, world
    )
    lead = world.supervisor
    role = await make_role(
        http, world, ["conversations.monitor", "reports.view", "tickets.manage"], scope="groups"
    )
    await give(http, world, lead, role)
    me = (await http.get("/api/v1/me", headers=bearer(lead.token))).json()
    assert (me["scope"], me["scope_group_ids"]) == ("groups", [group_a["id"]])
    h = bearer(lead.token)
    assert (await http.get(f"/api/v1/conversations/{cid_a}", headers=h)).status_code == 200
    assert (await http.get(f"/api/v1/conversations/{cid_b}", headers=h)).status_code == 404
    listed = (await http.get("/api/v1/conversations", headers=h)).json()
    ids = {c["id"] for c in (listed["conversations"] if isinstance(listed, dict) else listed)}
    assert cid_a in ids
    assert cid_b not in ids
    r = await http.post(
        f"/api/v1/conversations/{cid_b}/assign", json={"agent_id": world.agent.id}, headers=h
    )
    assert r.status_code == 404, r.text
    # Its queue, not the other group's.
    assert (await http.get(f"/api/v1/groups/{group_a['id']}/queue", headers=h)).status_code == 200
    r = await http.get(f"/api/v1/groups/{group_b['id']}/queue", headers=h)
    assert r.status_code == 403
    # Live: group B's messages never reach its socket; group A's do.
    sock = await connect("agent", lead.token)
    ack = await visitor_b.send_text("B 组的私密问题", "b-1")
    assert ack["type"] == "ack"
    ack = await visitor_a.send_text("A 组的问题", "a-1")
    assert ack["type"] == "ack"
    while True:
        frame = await sock.recv_type("message.new")
        assert frame["message"]["conversation_id"] != cid_b, frame
        if frame["message"]["content"].get("text") == "A 组的问题":
            break
    # The queues' live figures: group B's change never reaches it, group A's does.
    a0, a1 = world.agents
    for agent in (a1, a0):
        r = await http.put(
            "/api/v1/me/status", json={"status": "away"}, headers=bearer(agent.token)
        )
        assert r.status_code == 200
    while True:
        groups = {g["group_id"] for g in (await sock.recv_type("queue.stats"))["groups"]}
        assert group_b["id"] not in groups
        if group_a["id"] in groups:
            break
    # The supervisor intervenes where it oversees, and only there.
    r = await http.post(
        f"/api/v1/conversations/{cid_a}/messages",
        json={"client_msg_id": "lead-1", "content": {"type": "text", "text": "我来帮您看看"}},
        headers=h,
    )
    assert r.status_code in (200, 201), r.text
    r = await http.post(
        f"/api/v1/conversations/{cid_b}/messages",
        json={"client_msg_id": "lead-2", "content": {"type": "text", "text": "越权"}},
        headers=h,
    )
    assert r.status_code == 404, r.text


async def test_a_role_change_reaches_open_sockets_at_once(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _, _, (visitor_a, cid_a), (visitor_b, cid_b) = await two_groups(http, connect, world)
    lead = world.supervisor
    role = await make_role(http, world, ["conversations.monitor"], scope="groups")
    await give(http, world, lead, role)
    sock = await connect("agent", lead.token)
    # Widen the role to the whole tenant: the open socket hears group B at once.
    r = await http.patch(
        f"/api/v1/roles/{role['id']}", json={"scope": "tenant"}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    assert r.json()["accounts"] == 1
    await asyncio.sleep(0.2)  # the account.changed event crosses the bus
    await visitor_b.send_text("现在主管能看到吗", "b-2")
    frame = await sock.recv_type("message.new")
    assert frame["message"]["conversation_id"] == cid_b
    # Take the permission away: it no longer hears others' conversations.
    r = await http.patch(
        f"/api/v1/roles/{role['id']}", json={"permissions": []}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200
    await asyncio.sleep(0.2)
    await visitor_b.send_text("这条主管看不到", "b-3")
    await visitor_a.send_text("这条也看不到", "a-3")
    with pytest.raises(TimeoutError):
        await sock.recv_type("message.new", timeout=1.0)
    assert (
        await http.get(f"/api/v1/conversations/{cid_a}", headers=bearer(lead.token))
    ).status_code == 404


async def test_a_centre_scope_covers_every_group_of_the_centre(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    group_a, group_b, _, (_, cid_b) = await two_groups(http, connect, world)
    hangzhou = await make_centre(http, world, "杭州中心")
    r = await http.patch(
        f"/api/v1/groups/{group_b['id']}",
        json={"centre_id": hangzhou},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["centre_id"] == hangzhou
    role = await make_role(http, world, ["conversations.monitor"], scope="centre")
    lead = world.supervisor
    await give(http, world, lead, role, centre_id=hangzhou)
    me = (await http.get("/api/v1/me", headers=bearer(lead.token))).json()
    # Its centre's group B, and group A, which it is a member of.
    assert me["scope_group_ids"] == sorted([group_a["id"], group_b["id"]])
    assert me["centre_id"] == hangzhou
    h = bearer(lead.token)
    assert (await http.get(f"/api/v1/conversations/{cid_b}", headers=h)).status_code == 200
    centres = (await http.get("/api/v1/centres", headers=bearer(world.agent.token))).json()
    assert centres == [
        {
            "id": hangzhou,
            "name": "杭州中心",
            "group_ids": [group_b["id"]],
            "account_ids": [lead.id],
            "created_at": centres[0]["created_at"],
        }
    ]


async def test_reports_and_surveys_of_a_scoped_supervisor_cover_only_its_groups(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    a0, a1 = world.agents
    r = await http.post(
        "/api/v1/groups",
        json={"name": "A 组", "member_ids": [world.supervisor.id, a0.id]},
        headers=bearer(world.admin.token),
    )
    group_a = r.json()["id"]
    r = await http.post(
        "/api/v1/groups",
        json={"name": "B 组", "member_ids": [a1.id]},
        headers=bearer(world.admin.token),
    )
    group_b = r.json()["id"]
    served = {"assigned_at": utc(2026, 3, 2, 10, 1), "closed_at": utc(2026, 3, 2, 10, 20)}
    ids, _ = await lay_down(
        db,
        world,
        {
            "a": dict(opened_at=utc(2026, 3, 2, 10), group_id=group_a, agent_id=a0.id, **served),
            "b": dict(opened_at=utc(2026, 3, 2, 11), group_id=group_b, agent_id=a1.id, **served),
            "bot": dict(opened_at=utc(2026, 3, 2, 12), bot_served=True),
        },
        tags={},
    )
    role = await make_role(http, world, ["reports.view"], scope="groups")
    await give(http, world, world.supervisor, role)
    h = bearer(world.supervisor.token)
    period = {"from": "2026-03-02", "to": "2026-03-02", "tz": "UTC", "per_page": 50}
    r = await http.get("/api/v1/reports/conversations", params=period, headers=h)
    assert r.status_code == 200, r.text
    assert {c["conversation_id"] for c in r.json()["conversations"]} == {ids["a"]}
    r = await http.get(
        "/api/v1/reports/conversations", params=period, headers=bearer(world.admin.token)
    )
    assert {c["conversation_id"] for c in r.json()["conversations"]} == set(ids.values())
    r = await http.get(
        "/api/v1/reports/overview", params={**period, "group_id": group_b}, headers=h
    )
    assert r.status_code == 403, r.text
    assert r.json()["field"] == "group_id"
    r = await http.get("/api/v1/reports/breakdown", params={**period, "by": "group"}, headers=h)
    assert r.status_code == 200, r.text
    assert "B 组" not in r.text
    r = await http.get("/api/v1/satisfaction/surveys", params={"group_id": group_b}, headers=h)
    assert r.status_code == 403
    # A scope without any group has no report to show, said plainly.
    lonely = await make_role(http, world, ["reports.view"], scope="groups")
    await give(http, world, world.agents[1], lonely)
    r = await http.patch(
        f"/api/v1/groups/{group_b}", json={"member_ids": []}, headers=bearer(world.admin.token)
    )
    r = await http.get("/api/v1/reports/overview", params=period, headers=bearer(a1.token))
    assert r.status_code == 403
    assert "no group" in r.json()["detail"]


async def test_tickets_manage_widens_the_tickets_seen_to_the_scope(
    http: httpx.AsyncClient, world: World
) -> None:
    a0, a1 = world.agents
    admin = bearer(world.admin.token)
    group_a = (
        await http.post(
            "/api/v1/groups", json={"name": "A", "member_ids": [world.supervisor.id]}, headers=admin
        )
    ).json()["id"]
    group_b = (
        await http.post("/api/v1/groups", json={"name": "B", "member_ids": []}, headers=admin)
    ).json()["id"]
    made = {}
    for name, group in (("a", group_a), ("b", group_b), ("none", None)):
        body: dict[str, Any] = {"subject": f"工单 {name}", "description": "…"}
        if group is not None:
            body["group_id"] = group
        r = await http.post("/api/v1/tickets", json=body, headers=bearer(a1.token))
        assert r.status_code == 201, r.text
        made[name] = r.json()["id"]

    async def seen(token: str) -> set[int]:
        r = await http.get("/api/v1/tickets", params={"per_page": 100}, headers=bearer(token))
        assert r.status_code == 200, r.text
        body = r.json()
        return {t["id"] for t in (body["tickets"] if isinstance(body, dict) else body)}

    lead = world.supervisor
    role = await make_role(http, world, ["tickets.manage"], scope="groups")
    await give(http, world, lead, role)
    assert await seen(lead.token) == {made["a"]}
    r = await http.get(f"/api/v1/tickets/{made['b']}", headers=bearer(lead.token))
    assert r.status_code == 404
    await http.patch(f"/api/v1/roles/{role['id']}", json={"scope": "tenant"}, headers=admin)
    assert await seen(lead.token) == set(made.values())
    # Without tickets.manage: only its groups' tickets, its own and the ones it was given.
    await http.patch(f"/api/v1/roles/{role['id']}", json={"permissions": []}, headers=admin)
    assert await seen(lead.token) == {made["a"]}
    assert await seen(a0.token) == set()


# -- granting ---------------------------------------------------------------------------------


async def test_nobody_grants_more_than_they_hold(http: httpx.AsyncClient, world: World) -> None:
    a0, a1 = world.agents
    admin = bearer(world.admin.token)
    group = (
        await http.post(
            "/api/v1/groups", json={"name": "售后", "member_ids": [a0.id]}, headers=admin
        )
    ).json()["id"]
    manager = await make_role(
        http, world, ["org.manage", "agents.manage", "reports.view"], scope="groups"
    )
    lead = world.supervisor
    await give(http, world, lead, manager)
    r = await http.patch(
        f"/api/v1/groups/{group}", json={"member_ids": [a0.id, lead.id]}, headers=admin
    )
    assert r.status_code == 200
    h = bearer(lead.token)
    body = {
        "name": "超级",
        "base": "supervisor",
        "permissions": ["settings.manage"],
        "scope": "groups",
    }
    r = await http.post("/api/v1/roles", json=body, headers=h)
    assert r.status_code == 403
    assert r.json()["field"] == "permissions"
    assert "settings.manage" in r.json()["detail"]
    r = await http.post(
        "/api/v1/roles",
        json={**body, "permissions": ["reports.view"], "scope": "tenant"},
        headers=h,
    )
    assert r.status_code == 403
    assert r.json()["field"] == "scope"
    r = await http.post("/api/v1/roles", json={**body, "permissions": ["reports.view"]}, headers=h)
    assert r.status_code == 201, r.text
    viewer = r.json()
    # It manages the people of its group, with roles it could make.
    r = await http.patch(f"/api/v1/accounts/{a0.id}", json={"role_id": viewer["id"]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["role_id"] == viewer["id"]
    r = await http.patch(f"/api/v1/accounts/{a1.id}", json={"name": "别组的人"}, headers=h)
    assert r.status_code == 403  # not in its groups
    r = await http.patch(f"/api/v1/accounts/{world.admin.id}", json={"name": "x"}, headers=h)
    assert r.status_code == 403
    r = await http.patch(f"/api/v1/accounts/{a0.id}", json={"role": "admin"}, headers=h)
    assert r.status_code == 403
    r = await http.patch(f"/api/v1/accounts/{lead.id}", json={"role": "supervisor"}, headers=h)
    assert r.status_code == 403  # the built-in supervisor is tenant-wide: more than it holds
    r = await http.post(
        "/api/v1/accounts",
        json={
            "email": "new@example.com",
            "name": "新人",
            "password": "long enough 1",
            "role": "admin",
        },
        headers=h,
    )
    assert r.status_code == 403
    # An admin grants anything; the kinds must agree.
    r = await http.patch(
        f"/api/v1/accounts/{a1.id}", json={"role_id": viewer["id"], "role": "agent"}, headers=admin
    )
    assert r.status_code == 422
    assert r.json()["field"] == "role"


# -- managing roles and centres ---------------------------------------------------------------


async def test_roles_are_managed_with_clear_errors(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    roles = {
        r["base"]: r
        for r in (await http.get("/api/v1/roles", headers=admin)).json()
        if r["builtin"]
    }
    role = await make_role(http, world, ["reports.view"], base="agent", scope="centre")
    assert (role["base"], role["builtin"], role["scope"], role["accounts"]) == (
        "agent",
        False,
        "centre",
        0,
    )
    cases: list[tuple[str, str, Any, int, str | None]] = [
        ("POST", "/api/v1/roles", {"name": role["name"], "permissions": []}, 409, "name"),
        ("POST", "/api/v1/roles", {"name": "x", "permissions": ["reports.edit"]}, 422, None),
        ("POST", "/api/v1/roles", {"name": "x", "base": "admin"}, 422, "base"),
        ("POST", "/api/v1/roles", {"name": "", "permissions": []}, 422, None),
        ("PATCH", f"/api/v1/roles/{roles['admin']['id']}", {"permissions": []}, 409, None),
        ("PATCH", f"/api/v1/roles/{roles['supervisor']['id']}", {"name": "经理"}, 422, "name"),
        ("PATCH", f"/api/v1/roles/{role['id']}", {"scope": "planet"}, 422, None),
        ("DELETE", f"/api/v1/roles/{roles['agent']['id']}", None, 409, None),
        ("PATCH", "/api/v1/roles/987654", {"name": "x"}, 404, None),
    ]
    for method, path, body, status, field in cases:
        r = await http.request(method, path, json=body, headers=admin)
        assert r.status_code == status, (method, path, body, r.text)
        if field is not None:
            assert r.json().get("field") == field, r.text
    await give(http, world, world.agent, role)
    r = await http.delete(f"/api/v1/roles/{role['id']}", headers=admin)
    assert (r.status_code, r.json()["code"]) == (409, "role_in_use")
    # A built-in role's rights change for every account holding it.
    r = await http.patch(
        f"/api/v1/roles/{roles['supervisor']['id']}",
        json={"permissions": ["reports.view"]},
        headers=admin,
    )
    assert r.status_code == 200
    s = bearer(world.supervisor.token)
    assert (await http.get("/api/v1/kb/unanswered", headers=s)).status_code == 403
    assert (
        await http.get(
            "/api/v1/reports/overview", params={"from": "2026-03-02", "to": "2026-03-02"}, headers=s
        )
    ).status_code == 200
    await give(http, world, world.agent, roles["agent"])
    assert (await http.delete(f"/api/v1/roles/{role['id']}", headers=admin)).status_code == 204


async def test_centres_are_managed_with_clear_errors(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    centre = await make_centre(http, world, "成都中心")
    r = await http.post("/api/v1/centres", json={"name": "成都中心"}, headers=admin)
    assert (r.status_code, r.json()["field"]) == (409, "name")
    r = await http.post("/api/v1/groups", json={"name": "G", "centre_id": 987654}, headers=admin)
    assert (r.status_code, r.json()["field"]) == (422, "centre_id")
    r = await http.patch(
        f"/api/v1/accounts/{world.agent.id}", json={"centre_id": 987654}, headers=admin
    )
    assert (r.status_code, r.json()["field"]) == (422, "centre_id")
    r = await http.post("/api/v1/groups", json={"name": "G", "centre_id": centre}, headers=admin)
    group = r.json()["id"]
    r = await http.delete(f"/api/v1/centres/{centre}", headers=admin)
    assert (r.status_code, r.json()["code"]) == (409, "centre_not_empty")
    r = await http.patch(f"/api/v1/groups/{group}", json={"centre_id": None}, headers=admin)
    assert r.json()["centre_id"] is None
    r = await http.patch(f"/api/v1/centres/{centre}", json={"name": "成都二中心"}, headers=admin)
    assert r.json()["name"] == "成都二中心"
    assert (await http.delete(f"/api/v1/centres/{centre}", headers=admin)).status_code == 204
    assert (await http.get("/api/v1/centres", headers=admin)).json() == []


async def test_a_knowledge_editor_edits_the_bot_but_not_the_merchant_api_secret(
    http: httpx.AsyncClient, world: World
) -> None:
    admin = bearer(world.admin.token)
    bot = (await http.get("/api/v1/tenant/bot", headers=admin)).json()
    api = {"base_url": "https://shop.example.com/api", "secret": "s3cret-value-1234"}
    r = await http.put("/api/v1/tenant/bot", json={**bot, "merchant_api": api}, headers=admin)
    assert r.status_code == 200, r.text
    editor = await make_role(http, world, ["kb.edit"])
    await give(http, world, world.supervisor, editor)
    h = bearer(world.supervisor.token)
    seen = (await http.get("/api/v1/tenant/bot", headers=h)).json()
    assert set(seen["merchant_api"]["secret"]) == {"*"}
    seen["greeting"] = "您好，我是小汇"
    seen["merchant_api"]["base_url"] = "https://evil.example.com"
    r = await http.put("/api/v1/tenant/bot", json=seen, headers=h)
    assert r.status_code == 200, r.text
    stored = (await http.get("/api/v1/tenant/bot", headers=admin)).json()
    assert stored["greeting"] == "您好，我是小汇"
    assert stored["merchant_api"]["base_url"] == api["base_url"]
    assert stored["merchant_api"]["secret"] == api["secret"]


async def test_a_quality_reviewer_of_some_groups_samples_and_reads_only_their_agents(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    a0, a1 = world.agents
    admin = bearer(world.admin.token)
    lead = world.supervisor
    group_a = (
        await http.post(
            "/api/v1/groups", json={"name": "A", "member_ids": [lead.id, a0.id]}, headers=admin
        )
    ).json()["id"]
    group_b = (
        await http.post("/api/v1/groups", json={"name": "B", "member_ids": [a1.id]}, headers=admin)
    ).json()["id"]
    await quality.checklist(http, world.admin)
    mine, theirs = await quality.lay(
        db, world, quality.Conv(a0.id, group_id=group_a), quality.Conv(a1.id, group_id=group_b)
    )
    # The admin reviews both; then the lead's role narrows to its group.
    everything = await quality.batch(http, world.admin, n=10)
    review_a = await quality.submitted(http, world.admin, everything["id"], mine)
    review_b = await quality.submitted(http, world.admin, everything["id"], theirs)
    role = await make_role(http, world, ["quality.review"], scope="groups")
    await give(http, world, lead, role)
    sample = await quality.preview(http, lead, mode="random", n=50, seed=3, **quality.period())
    assert quality.ids_of(sample) == []  # both were taken by the admin's batch …
    r = await quality.call(
        http,
        "POST",
        "/samples",
        lead.token,
        {"mode": "random", "group_id": group_b, **quality.period()},
    )
    assert r.status_code == 403  # … and another group's is not its to draw
    r = await http.get("/api/v1/quality/reviews", headers=bearer(lead.token))
    assert r.status_code == 200, r.text
    listed = r.json()
    ids = {x["id"] for x in (listed["reviews"] if isinstance(listed, dict) else listed)}
    assert ids == {review_a["id"]}
    assert (
        await http.get(f"/api/v1/quality/reviews/{review_b['id']}", headers=bearer(lead.token))
    ).status_code == 404
    # A reviewer must hold quality.review: the built-in agent cannot be given a batch.
    r = await quality.call(
        http,
        "POST",
        "/batches",
        world.admin.token,
        {"mode": "random", "assignee_id": a1.id, **quality.period()},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "assignee_id"


async def test_a_scoped_manager_moves_no_scope_its_own_or_anyone_elses(
    http: httpx.AsyncClient, world: World
) -> None:
    a0, _ = world.agents
    admin = bearer(world.admin.token)
    lead = world.supervisor
    r = await http.post(
        "/api/v1/groups", json={"name": "售前", "member_ids": [a0.id, lead.id]}, headers=admin
    )
    assert r.status_code == 201
    elsewhere = await make_centre(http, world, "成都中心")
    manager = await make_role(http, world, ["agents.manage", "org.manage"], scope="groups")
    narrower = await make_role(http, world, ["agents.manage"], scope="groups")
    wider = await make_role(http, world, ["agents.manage"], scope="centre")
    await give(http, world, lead, manager)
    h = bearer(lead.token)
    r = await http.patch(f"/api/v1/accounts/{lead.id}", json={"centre_id": elsewhere}, headers=h)
    assert (r.status_code, r.json()["field"]) == (403, "centre_id")
    r = await http.patch(f"/api/v1/accounts/{a0.id}", json={"centre_id": elsewhere}, headers=h)
    assert (r.status_code, r.json()["field"]) == (403, "centre_id")
    r = await http.patch(f"/api/v1/accounts/{lead.id}", json={"role_id": narrower["id"]}, headers=h)
    assert (r.status_code, r.json()["field"]) == (403, "role_id")
    r = await http.patch(f"/api/v1/accounts/{a0.id}", json={"role_id": wider["id"]}, headers=h)
    assert r.status_code == 403  # a centre scope is wider than its own
    r = await http.patch(f"/api/v1/accounts/{a0.id}", json={"role_id": narrower["id"]}, headers=h)
    assert r.status_code == 200, r.text
    r = await http.post(
        "/api/v1/roles",
        json={"name": "中心", "permissions": ["agents.manage"], "scope": "centre"},
        headers=h,
    )
    assert (r.status_code, r.json()["field"]) == (403, "scope")
