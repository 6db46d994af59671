"""The web widget's server side: its public config (appearance, the bot's greeting and
menu), the appearance settings admins keep, and the tenant that serves signed-in customers
only."""

from __future__ import annotations

from typing import Any

import httpx

from huiliu.tenants.service import identity_signature
from tests.clients import Connect, bearer, widget_session
from tests.factories import World
from tests.kb_data import enable_bot

MENU = [
    {"id": "ship", "label": "物流问题", "action": "answer", "text": "48 小时内发货"},
    {"id": "human", "label": "人工客服", "action": "handoff"},
]


async def config(http: httpx.AsyncClient, widget_key: str) -> dict[str, Any]:
    r = await http.get("/api/v1/widget/config", params={"widget_key": widget_key})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def put_widget(http: httpx.AsyncClient, world: World, **body: Any) -> httpx.Response:
    return await http.put("/api/v1/tenant/widget", json=body, headers=bearer(world.admin.token))


async def test_config_is_public_with_defaults_and_no_bot(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await http.get("/api/v1/widget/config", params={"widget_key": world.widget_key})
    assert r.status_code == 200
    assert "max-age" in r.headers["cache-control"]
    assert r.json() == {
        "title": None,
        "color": "#2563eb",
        "logo_url": None,
        "language": "zh-CN",
        "position": "right",
        "greeting": None,
        "identity_required": False,
        "bot": None,
    }


async def test_config_of_an_unknown_or_missing_key_is_a_clear_error(
    http: httpx.AsyncClient,
) -> None:
    r = await http.get("/api/v1/widget/config", params={"widget_key": "wk_nope"})
    assert r.status_code == 404
    assert r.json() == {"code": "not_found", "detail": "unknown widget key", "field": "widget_key"}
    r = await http.get("/api/v1/widget/config")
    assert r.status_code == 422
    assert r.json()["code"] == "invalid"
    assert "widget_key" in r.json()["detail"]


async def test_config_carries_exactly_the_greeting_and_menu_the_bot_then_stores(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await enable_bot(http, world, name="小汇", menu=MENU)
    bot = (await config(http, world.widget_key))["bot"]
    assert bot["name"] == "小汇"
    assert bot["greeting"]["type"] == "text"
    assert "小汇" in bot["greeting"]["text"]
    assert bot["menu"] == {
        "type": "menu",
        "text": "常见问题",
        "buttons": [
            {"id": "menu:ship", "label": "物流问题"},
            {"id": "menu:human", "label": "人工客服"},
        ],
    }
    # The widget shows these the moment it opens and drops the bot's stored copies.
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("物流问题", "w-1")
    said = [
        m["content"]
        for m in await visitor.messages_until(ack["conversation_id"], ack["seq"] + 2)
        if m["sender"]["type"] == "bot"
    ]
    assert said[:2] == [bot["greeting"], bot["menu"]]


async def test_appearance_is_kept_by_channel_managers_and_shown_to_pages(
    http: httpx.AsyncClient, world: World
) -> None:
    settings = {
        "color": "#FF6600",
        "logo_url": "https://shop.example.com/logo.png",
        "title": "  汇流商城客服  ",
        "language": "en",
        "position": "left",
        "greeting": "Hi! How can we help?",
        "identity_required": False,
    }
    r = await put_widget(http, world, **settings)
    assert r.status_code == 200, r.text
    stored = {**settings, "color": "#ff6600", "title": "汇流商城客服"}
    assert r.json() == stored
    r = await http.get("/api/v1/tenant/widget", headers=bearer(world.admin.token))
    assert r.json() == stored
    assert await config(http, world.widget_key) == {**stored, "bot": None}
    # Roles without channels.manage (the built-in agent and supervisor) neither read the
    # settings nor change them.
    for who in (world.agent, world.supervisor):
        r = await http.get("/api/v1/tenant/widget", headers=bearer(who.token))
        assert r.status_code == 403
    r = await http.put(
        "/api/v1/tenant/widget", json=settings, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 403


async def test_bad_appearance_settings_are_refused_with_the_field(
    http: httpx.AsyncClient, world: World
) -> None:
    for body, field, words in [
        ({"color": "red"}, "color", "#rrggbb"),
        ({"color": "#12345"}, "color", "#rrggbb"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url", "http"),
        ({"logo_url": "ftp://example.com/logo.png"}, "logo_url", "http"),
        ({"language": "fr"}, "language", "zh-CN"),
        ({"position": "top"}, "position", "right"),
        ({"title": "x" * 41}, "title", "40"),
        ({"greeting": "x" * 501}, "greeting", "500"),
        ({"colour": "#ffffff"}, "colour", "Extra inputs"),
    ]:
        r = await put_widget(http, world, **body)
        assert r.status_code == 422, body
        detail = r.json()["detail"]
        assert r.json()["code"] == "invalid"
        assert field in detail, (body, detail)
        assert words in detail, (body, detail)
    # Nothing was stored.
    assert (await config(http, world.widget_key))["color"] == "#2563eb"


async def test_a_tenant_that_serves_signed_in_customers_only_refuses_anonymous_sessions(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await put_widget(http, world, identity_required=True)
    assert r.status_code == 200
    assert (await config(http, world.widget_key))["identity_required"] is True
    r = await http.post("/api/v1/widget/sessions", json={"widget_key": world.widget_key})
    assert r.status_code == 403
    assert r.json()["code"] == "identity_required"
    assert r.json()["field"] == "identity"
    identity = {"user_id": "u-7", "signature": identity_signature(world.identity_secret, "u-7")}
    session = await widget_session(http, world.widget_key, identity=identity)
    assert session["verified"] is True
    # A wrong signature is still refused as such.
    r = await http.post(
        "/api/v1/widget/sessions",
        json={"widget_key": world.widget_key, "identity": {**identity, "signature": "0" * 64}},
    )
    assert r.status_code == 401
    assert r.json()["code"] == "bad_signature"


async def test_cors_lets_merchant_pages_call_the_api(http: httpx.AsyncClient) -> None:
    r = await http.options(
        "/api/v1/widget/sessions",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    r = await http.get(
        "/api/v1/widget/config",
        params={"widget_key": "wk_nope"},
        headers={"Origin": "https://shop.example.com"},
    )
    assert r.headers["access-control-allow-origin"] == "*"
