"""Tenants and customers are walled off: another tenant's token or ids get 404/403, and
nothing leaks; a visitor reads only its own conversations."""

from __future__ import annotations

import httpx
import pytest

from huiliu.db import Database
from tests.clients import Connect, bearer, open_conversation, widget_session
from tests.conftest import TEST_SECRET
from tests.factories import World, make_world


@pytest.fixture
async def other(db: Database) -> World:
    return await make_world(db, TEST_SECRET)


async def test_other_tenants_agent_cannot_read_or_write_a_conversation(
    http: httpx.AsyncClient, connect: Connect, world: World, other: World
) -> None:
    _visitor, _agent, cid = await open_conversation(http, connect, world)
    for person in (other.admin, other.supervisor, other.agent):
        h = bearer(person.token)
        for method, path, body in (
            ("GET", f"/api/v1/conversations/{cid}", None),
            ("GET", f"/api/v1/conversations/{cid}/messages", None),
            (
                "POST",
                f"/api/v1/conversations/{cid}/messages",
                {"content": {"type": "text", "text": "x"}},
            ),
            ("POST", f"/api/v1/conversations/{cid}/claim", None),
            ("POST", f"/api/v1/conversations/{cid}/close", None),
            ("POST", f"/api/v1/conversations/{cid}/read", {"seq": 1}),
        ):
            r = await http.request(method, path, json=body, headers=h)
            assert r.status_code == 404, (person.role, method, path, r.text)
            assert r.json()["code"] == "not_found"
            assert r.json()["detail"] == "conversation not found"
        listed = await http.get("/api/v1/conversations", headers=h)
        assert cid not in [c["id"] for c in listed.json()]
    # Accounts of the first tenant are invisible too.
    r = await http.get(f"/api/v1/accounts/{world.agent.id}", headers=bearer(other.admin.token))
    assert r.status_code == 404


async def test_other_tenants_sockets_see_nothing_and_cannot_send(
    http: httpx.AsyncClient, connect: Connect, world: World, other: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    spy = await connect("agent", other.supervisor.token)
    reply = await spy.send_text("偷看", "spy-1", conversation_id=cid)
    assert reply["type"] == "error"
    assert reply["code"] == "not_found"
    await spy.send({"type": "resume", "cursors": {str(cid): 0}})
    assert (await spy.recv_type("error"))["code"] == "not_found"
    await spy.send({"type": "typing", "conversation_id": cid})
    assert (await spy.recv_type("error"))["code"] == "not_found"
    await visitor.send_text("隐私内容", "secret-1", conversation_id=cid)
    leaked = [f for f in await spy.silent(0.4) if f["type"] in ("message.new", "typing")]
    assert leaked == []


async def test_visitor_reads_only_its_own_conversations(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _visitor, _agent, cid = await open_conversation(http, connect, world)
    stranger = await widget_session(http, world.widget_key)
    h = bearer(stranger["visitor_token"])
    assert (await http.get(f"/api/v1/conversations/{cid}", headers=h)).status_code == 404
    assert (await http.get(f"/api/v1/conversations/{cid}/messages", headers=h)).status_code == 404
    assert (await http.get("/api/v1/conversations", headers=h)).json() == []
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "hi"}},
        headers=h,
    )
    assert r.status_code == 404
    sock = await connect("visitor", stranger["visitor_token"])
    reply = await sock.send_text("冒充", "x-1", conversation_id=cid)
    assert reply["code"] == "not_found"


async def test_agent_sees_own_and_unassigned_but_not_colleagues_conversations(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _visitor, _agent, cid = await open_conversation(http, connect, world)  # claimed by agents[0]
    colleague = world.agents[1]
    h = bearer(colleague.token)
    assert (await http.get(f"/api/v1/conversations/{cid}", headers=h)).status_code == 404
    sup = bearer(world.supervisor.token)
    assert (await http.get(f"/api/v1/conversations/{cid}", headers=sup)).status_code == 200


async def test_roles_are_enforced(http: httpx.AsyncClient, world: World) -> None:
    new = {
        "email": "new-agent@example.com",
        "name": "New",
        "role": "agent",
        "password": "pw-123456",
    }
    r = await http.post("/api/v1/accounts", json=new, headers=bearer(world.agent.token))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    r = await http.post("/api/v1/accounts", json=new, headers=bearer(world.supervisor.token))
    assert r.status_code == 403
    # Agents list their colleagues (to transfer to); only admins change accounts.
    assert (
        await http.get("/api/v1/accounts", headers=bearer(world.agent.token))
    ).status_code == 200
    r = await http.patch(
        f"/api/v1/accounts/{world.agent.id}",
        json={"name": "x"},
        headers=bearer(world.supervisor.token),
    )
    assert r.status_code == 403
    assert (
        await http.get("/api/v1/accounts", headers=bearer(world.supervisor.token))
    ).status_code == 200
    r = await http.get("/api/v1/tenant", headers=bearer(world.supervisor.token))
    assert r.status_code == 200
    assert r.json()["identity_secret"] is None  # admins only
    r = await http.get("/api/v1/tenant/api-keys", headers=bearer(world.supervisor.token))
    assert r.status_code == 403


async def test_visitor_token_cannot_use_agent_routes(http: httpx.AsyncClient, world: World) -> None:
    session = await widget_session(http, world.widget_key)
    h = bearer(session["visitor_token"])
    assert (await http.get("/api/v1/me", headers=h)).status_code == 403
    assert (await http.get("/api/v1/accounts", headers=h)).status_code == 403
    assert (await http.get("/api/v1/tenant", headers=h)).status_code == 403
