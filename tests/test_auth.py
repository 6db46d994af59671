"""Logging in, tokens, widget sessions with signed identities, and the socket handshake."""

from __future__ import annotations

import time

import httpx
import pytest
import websockets

from huiliu.accounts.models import Role
from huiliu.auth import tokens
from huiliu.auth.principal import Principal
from huiliu.tenants.service import identity_signature
from tests.clients import Connect, bearer, widget_session
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, World
from tests.server import ThreadServer


async def test_login_returns_a_token_that_opens_the_agent_socket(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    r = await http.post(
        "/api/v1/auth/login", json={"email": world.agent.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["account"]["role"] == "agent"
    sock = await connect("agent", body["access_token"])
    assert sock.hello["principal"] == {
        "kind": "account",
        "id": world.agent.id,
        "tenant_id": world.tenant_id,
        "role": "agent",
    }


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.com", PASSWORD), (None, "wrong password")],
)
async def test_wrong_credentials_are_refused_alike(
    http: httpx.AsyncClient, world: World, email: str | None, password: str
) -> None:
    r = await http.post(
        "/api/v1/auth/login", json={"email": email or world.agent.email, "password": password}
    )
    assert r.status_code == 401
    assert r.json() == {"code": "bad_credentials", "detail": "wrong e-mail or password"}


async def test_requests_without_or_with_a_bad_token_get_401(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v1/conversations")
    assert r.status_code == 401
    assert r.json()["code"] == "missing_token"
    r = await http.get("/api/v1/conversations", headers=bearer("not-a-token"))
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_token"
    forged = tokens.issue(
        Principal(kind="account", tenant_id=1, id=1, role=Role.admin),
        secret="another-deployments-secret-key-0123456789",
        ttl_s=60,
    )
    assert (await http.get("/api/v1/me", headers=bearer(forged))).status_code == 401


async def _close_code(server: ThreadServer, path: str) -> tuple[int, str]:
    async with websockets.connect(server.ws_url + path) as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None
    return info.value.rcvd.code, info.value.rcvd.reason


async def test_socket_handshake_with_bad_or_expired_token_closes_with_clear_code(
    server: ThreadServer, world: World
) -> None:
    assert await _close_code(server, "/ws/agent?token=garbage") == (4001, "invalid token")
    assert (await _close_code(server, "/ws/agent"))[0] == 4001
    expired = tokens.issue(
        Principal(kind="account", tenant_id=world.tenant_id, id=world.agent.id, role=Role.agent),
        secret=TEST_SECRET,
        ttl_s=-10,
    )
    code, reason = await _close_code(server, f"/ws/agent?token={expired}")
    assert code == 4002
    assert "expired" in reason
    code, _ = await _close_code(server, f"/ws/visitor?token={world.agent.token}")
    assert code == 4003


async def test_widget_session_with_unknown_key_is_404(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/v1/widget/sessions", json={"widget_key": "wk_nope"})
    assert r.status_code == 404
    assert r.json()["field"] == "widget_key"


async def test_signed_identity_gives_one_contact_across_sessions(
    http: httpx.AsyncClient, world: World
) -> None:
    sig = identity_signature(world.identity_secret, "user-42")
    identity = {"user_id": "user-42", "signature": sig, "name": "王小明", "email": "w@example.com"}
    first = await widget_session(http, world.widget_key, identity=identity)
    second = await widget_session(http, world.widget_key, identity=identity)
    assert first["verified"] is True
    assert first["contact_id"] == second["contact_id"]


async def test_bad_identity_signature_is_rejected(http: httpx.AsyncClient, world: World) -> None:
    sig = identity_signature(world.identity_secret, "user-42")
    r = await http.post(
        "/api/v1/widget/sessions",
        json={"widget_key": world.widget_key, "identity": {"user_id": "user-43", "signature": sig}},
    )
    assert r.status_code == 401
    assert r.json()["code"] == "bad_signature"


async def test_anonymous_visitor_keeps_its_contact_with_visitor_id_but_never_an_identified_one(
    http: httpx.AsyncClient, world: World
) -> None:
    first = await widget_session(http, world.widget_key)
    again = await widget_session(http, world.widget_key, visitor_id=first["visitor_id"])
    assert again["contact_id"] == first["contact_id"]
    made_up = await widget_session(http, world.widget_key, visitor_id="guess-" + str(time.time()))
    assert made_up["contact_id"] != first["contact_id"]
    sig = identity_signature(world.identity_secret, "vip-1")
    identified = await widget_session(
        http, world.widget_key, identity={"user_id": "vip-1", "signature": sig}
    )
    # Knowing a user id without the signature gets an anonymous contact, never theirs.
    r = await http.post(
        "/api/v1/widget/sessions",
        json={
            "widget_key": world.widget_key,
            "identity": {"user_id": "vip-1", "signature": "0" * 64},
        },
    )
    assert r.status_code == 401
    anon = await widget_session(http, world.widget_key, visitor_id="vip-1")
    assert anon["contact_id"] != identified["contact_id"]


async def test_agent_status_and_claim_need_online(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    cid = (await visitor.send_text("hi", "s-1"))["conversation_id"]
    h = bearer(world.agent.token)
    r = await http.put("/api/v1/me/status", json={"status": "away"}, headers=h)
    assert r.json()["status"] == "away"
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "agent_not_online"
    await http.put("/api/v1/me/status", json={"status": "online"}, headers=h)
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=h)
    assert r.status_code == 200
    assert r.json()["assignee_id"] == world.agent.id
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agents[1].token))
    assert r.status_code == 404  # assigned to a colleague: no longer visible to other agents
    r = await http.put("/api/v1/me/status", json={"status": "asleep"}, headers=h)
    assert r.status_code == 422


async def test_admin_creates_accounts_and_api_keys(http: httpx.AsyncClient, world: World) -> None:
    h = bearer(world.admin.token)
    new = {
        "email": f"fresh-{time.time_ns()}@example.com",
        "name": "新客服",
        "password": "longenough",
    }
    r = await http.post("/api/v1/accounts", json=new, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "agent"
    r = await http.post("/api/v1/accounts", json=new, headers=h)
    assert r.status_code == 409
    login = await http.post(
        "/api/v1/auth/login", json={"email": new["email"], "password": "longenough"}
    )
    assert login.status_code == 200
    r = await http.post("/api/v1/tenant/api-keys", json={"name": "订单系统"}, headers=h)
    assert r.status_code == 201
    key = r.json()
    assert key["key"].startswith("hl_")
    listed = (await http.get("/api/v1/tenant/api-keys", headers=h)).json()
    assert [k["id"] for k in listed] == [key["id"]]
    assert "key" not in listed[0]
    r = await http.delete(f"/api/v1/tenant/api-keys/{key['id']}", headers=h)
    assert r.json()["revoked_at"] is not None
