"""Accounts for colleagues and admins: everyone lists them with load, capacity and groups;
admins change names, roles, passwords and who is active, never removing the last admin;
a deactivated agent's work goes back to the queue and their sockets close at once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from huiliu.accounts.models import Role
from huiliu.db import Database
from tests.clients import Connect, bearer, open_conversation, widget_session
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, World, make_world
from tests.test_routing import arrive, assigned_to, make_group


async def accounts(http: httpx.AsyncClient, token: str) -> dict[int, dict[str, Any]]:
    r = await http.get("/api/v1/accounts", headers=bearer(token))
    assert r.status_code == 200, r.text
    return {a["id"]: a for a in r.json()}


async def patch(
    http: httpx.AsyncClient, world: World, account_id: int, token: str | None = None, **body: Any
) -> httpx.Response:
    return await http.patch(
        f"/api/v1/accounts/{account_id}", json=body, headers=bearer(token or world.admin.token)
    )


async def test_every_account_lists_colleagues_with_load_capacity_and_groups(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    group = await make_group(http, world, members=[a.id], strategy="manual")
    await open_conversation(http, connect, world)  # a claims one
    r = await http.put(
        f"/api/v1/accounts/{b.id}/capacity", json={"capacity": 3}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200
    listed = await accounts(http, b.token)  # an agent may list them
    assert set(listed) == {world.admin.id, world.supervisor.id, a.id, b.id}
    assert (listed[a.id]["load"], listed[a.id]["effective_capacity"]) == (1, 20)
    assert listed[a.id]["capacity"] is None
    assert listed[a.id]["group_ids"] == [group["id"]]
    assert (listed[b.id]["load"], listed[b.id]["effective_capacity"]) == (0, 3)
    assert listed[b.id]["group_ids"] == []
    assert {"id", "email", "name", "role", "status", "active", "created_at"} <= set(listed[a.id])
    r = await http.get("/api/v1/me", headers=bearer(a.token))
    me = r.json()
    assert (me["id"], me["load"], me["effective_capacity"], me["group_ids"]) == (
        a.id,
        1,
        20,
        [group["id"]],
    )


async def test_an_admin_renames_promotes_and_resets_a_password(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a = world.agent
    r = await patch(http, world, a.id, name="小汇", role="supervisor", password="new password 1")
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["role"]) == ("小汇", "supervisor")
    assert "password" not in r.json()
    assert "password_hash" not in r.json()
    # The new role counts at once, the new password from the next login.
    assert (await http.get("/api/v1/tenant", headers=bearer(a.token))).status_code == 200
    login = {"email": a.email, "password": "new password 1"}
    assert (await http.post("/api/v1/auth/login", json=login)).status_code == 200
    login["password"] = PASSWORD
    assert (await http.post("/api/v1/auth/login", json=login)).status_code == 401
    listed = await accounts(http, world.agents[1].token)
    assert listed[a.id]["name"] == "小汇"


async def test_a_deactivated_agents_work_is_requeued_and_their_sockets_closed(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    await make_group(http, world, members=[a.id, b.id])
    # b is away: the customer lands with a.
    r = await http.put("/api/v1/me/status", json={"status": "away"}, headers=bearer(b.token))
    assert r.status_code == 200
    visitor, cid, _ = await arrive(http, connect, world)
    assert await assigned_to(visitor, cid) == a.id
    a_sock = await connect("agent", a.token)
    await http.put("/api/v1/me/status", json={"status": "online"}, headers=bearer(b.token))
    r = await patch(http, world, a.id, active=False)
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["status"], r.json()["load"]) == (False, "offline", 0)
    # Back in the queue with the reason in the log, and the router gives it to b.
    while True:
        message = (await visitor.recv_type("message.new"))["message"]
        if message["content"].get("event") == "transferred":
            assert message["content"]["reason"] == "the agent was deactivated"
            break
    assert await assigned_to(visitor, cid) == b.id

    async def until_closed() -> None:
        while True:
            await a_sock.ws.recv()

    with pytest.raises(websockets.ConnectionClosed) as closed:
        await until_closed()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4001
    r = await http.get("/api/v1/me", headers=bearer(a.token))
    assert (r.status_code, r.json()["code"]) == (401, "account_inactive")
    login = {"email": a.email, "password": PASSWORD}
    assert (await http.post("/api/v1/auth/login", json=login)).json()["code"] == "account_inactive"
    # Reactivated, they log in again (and are offline until they say otherwise).
    r = await patch(http, world, a.id, active=True)
    assert (r.json()["active"], r.json()["status"]) == (True, "offline")
    assert (await http.post("/api/v1/auth/login", json=login)).status_code == 200


async def test_a_demoted_supervisors_open_socket_stops_seeing_colleagues_conversations(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    sup = await connect("agent", world.supervisor.token)
    await sup.send({"type": "resume", "cursors": {}})
    await sup.recv_type("resumed")
    visitor, _agent, cid = await open_conversation(http, connect, world)  # the first agent's
    assert (await visitor.send_text("一", "c-1", conversation_id=cid))["type"] == "ack"
    await sup.messages_until(cid, 4)  # opened, the first message, assigned, 一
    r = await patch(http, world, world.supervisor.id, role="agent")
    assert r.status_code == 200, r.text
    await asyncio.sleep(0.3)  # the change travels the bus
    assert (await visitor.send_text("二", "c-2", conversation_id=cid))["type"] == "ack"
    assert [f for f in await sup.silent(0.5) if f["type"] == "message.new"] == []


async def test_an_admin_cannot_demote_or_deactivate_themself(
    http: httpx.AsyncClient, world: World
) -> None:
    second, _email = await _second_admin(http, world)
    for body in ({"role": "supervisor"}, {"active": False}, {"role": "agent", "active": False}):
        r = await patch(http, world, world.admin.id, **body)
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "conflict"
        assert "your own account" in r.json()["detail"]
    me = (await accounts(http, world.admin.token))[world.admin.id]
    assert (me["role"], me["active"]) == ("admin", True)
    # Changing one's own name or password is fine, and so is demoting another admin.
    assert (await patch(http, world, world.admin.id, name="店长")).status_code == 200
    assert (await patch(http, world, second, role="agent")).status_code == 200


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    http: httpx.AsyncClient, world: World
) -> None:
    second_id, email = await _second_admin(http, world)
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    second_token = login.json()["access_token"]
    results = await asyncio.gather(
        patch(http, world, second_id, role="agent"),
        patch(http, world, world.admin.id, token=second_token, role="agent"),
    )
    # Whichever commits first wins; the other finds its caller no admin any more (403) or,
    # if it got past that check first, its target the last admin (409).
    statuses = sorted(r.status_code for r in results)
    assert statuses in ([200, 403], [200, 409]), [r.text for r in results]
    refused = next(r for r in results if r.status_code != 200)
    if refused.status_code == 409:
        assert refused.json()["detail"] == (
            "the merchant's last active admin cannot be demoted or deactivated"
        )
    roles = [a["role"] for a in (await accounts(http, world.supervisor.token)).values()]
    assert roles.count("admin") == 1


async def test_only_admins_change_accounts_and_only_their_own_merchants(
    http: httpx.AsyncClient, world: World, db: Database
) -> None:
    other = await make_world(db, TEST_SECRET)
    target = world.agent.id
    for token in (world.supervisor.token, world.agents[1].token):
        r = await patch(http, world, target, token=token, name="x")
        assert r.status_code == 403
    visitor = (await widget_session(http, world.widget_key))["visitor_token"]
    assert (await patch(http, world, target, token=visitor, name="x")).status_code == 403
    assert (await http.get("/api/v1/accounts", headers=bearer(visitor))).status_code == 403
    r = await patch(http, world, target, token=other.admin.token, name="x")
    assert r.status_code == 404
    assert r.json() == {"code": "not_found", "detail": "account not found"}
    assert target not in await accounts(http, other.agent.token)
    assert (await accounts(http, world.admin.token))[target]["name"] != "x"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "owner"},
        {"password": "short"},
        {"name": ""},
        {"name": "n" * 101},
        {"active": "no"},
        {"email": "new@example.com"},
        {"capacity": 5},
    ],
)
async def test_bad_account_changes_are_refused_and_nothing_changes(
    http: httpx.AsyncClient, world: World, body: dict[str, Any]
) -> None:
    before = (await accounts(http, world.admin.token))[world.agent.id]
    r = await patch(http, world, world.agent.id, **body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid"
    assert (await accounts(http, world.admin.token))[world.agent.id] == before


async def _second_admin(http: httpx.AsyncClient, world: World) -> tuple[int, str]:
    """Another admin of the merchant: their id and e-mail (addresses are unique across
    merchants)."""
    body = {
        "email": f"second-admin-{world.tenant_id}@example.com",
        "name": "Admin Two",
        "role": Role.admin.value,
        "password": PASSWORD,
    }
    r = await http.post("/api/v1/accounts", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 201, r.text
    return int(r.json()["id"]), str(body["email"])
