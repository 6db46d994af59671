"""Product cards in the workbench: the merchant's catalogue synced with an API key, cards
for what the customer asked about, looked at and bought, each with why, sent in one click."""

from __future__ import annotations

from typing import Any

import httpx

from huiliu.auth import tokens
from huiliu.auth.principal import Principal
from tests.clients import Connect, bearer, open_conversation
from tests.conftest import TEST_SECRET
from tests.factories import World
from tests.test_profile import api_key

SHOP = "https://shop.example.com"
CATALOGUE = [
    {
        "product_id": "sku-down",
        "name": "轻薄羽绒服",
        "price": "599.00",
        "url": f"{SHOP}/p/down",
        "image_url": f"{SHOP}/img/down.jpg",
        "category": "外套",
        "keywords": ["羽绒", "保暖"],
    },
    {
        "product_id": "sku-coat",
        "name": "羊毛大衣",
        "price": "899",
        "url": f"{SHOP}/p/coat",
        "category": "外套",
    },
    {
        "product_id": "sku-scarf",
        "name": "羊绒围巾",
        "price": "199",
        "url": f"{SHOP}/p/scarf",
        "category": "配饰",
    },
    {
        "product_id": "sku-old",
        "name": "旧款羽绒背心",
        "price": "99",
        "active": False,
        "category": "外套",
    },
]


async def sync(http: httpx.AsyncClient, key: str, products: list[dict[str, Any]]) -> httpx.Response:
    return await http.post(
        "/api/v1/integration/products", json={"products": products}, headers=bearer(key)
    )


async def recommendations(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    r = await http.get(
        f"/api/v1/conversations/{cid}/recommendations", headers=bearer(world.agent.token)
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def test_cards_come_from_what_the_customer_asked_viewed_and_bought(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    key = await api_key(http, world)
    r = await sync(http, key, CATALOGUE)
    assert (r.status_code, r.json()) == (200, {"created": 4, "updated": 0})
    visitor, agent_sock, cid = await open_conversation(http, connect, world)
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    ).json()
    contact = conv["contact_id"]
    # Nothing to go on yet but the first words ("发货时间"): no card at all.
    assert await recommendations(http, world, cid) == []
    # The customer looked at the scarf twice, and asks about down jackets.
    session_headers = {"authorization": f"Bearer {await _visitor_token(http, world, contact)}"}
    for _ in range(2):
        r = await http.post(
            "/api/v1/widget/track",
            json={"url": f"{SHOP}/p/scarf/?from=home"},
            headers=session_headers,
        )
        assert r.status_code == 201, r.text
    ack = await visitor.send_text("你们的羽绒服保暖吗？有黑色的吗", "ask-2", conversation_id=cid)
    assert ack["type"] == "ack"
    found = await recommendations(http, world, cid)
    assert [(f["product"]["product_id"], f["reasons"]) for f in found] == [
        ("sku-down", ["asked"]),
        ("sku-scarf", ["viewed"]),
    ]
    assert "羽绒" in found[0]["detail"]
    assert "2 time(s)" in found[1]["detail"]
    assert found[0]["card"] == {
        "type": "card",
        "card_type": "product",
        "title": "轻薄羽绒服",
        "url": f"{SHOP}/p/down",
        "image_url": f"{SHOP}/img/down.jpg",
        "price": "¥599.00",
    }
    # One click: the agent sends the card as it is; the customer gets it.
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": found[0]["card"], "client_msg_id": "card-1"},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    frame = await visitor.recv_type("message.new")
    while frame["message"]["content"]["type"] != "card":
        frame = await visitor.recv_type("message.new")
    assert frame["message"]["content"]["title"] == "轻薄羽绒服"
    assert agent_sock.hello["type"] == "hello"


async def _visitor_token(http: httpx.AsyncClient, world: World, contact_id: int) -> str:
    """A token for the conversation's customer (the widget's own session token)."""

    return tokens.issue(
        Principal(kind="visitor", tenant_id=world.tenant_id, id=contact_id),
        secret=TEST_SECRET,
        ttl_s=600,
    )


async def test_bought_products_and_their_kind_are_suggested_and_off_sale_never(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    key = await api_key(http, world)
    await sync(http, key, CATALOGUE)
    # The merchant's customer u-9 bought the down jacket …
    r = await http.put(
        "/api/v1/integration/customers/u-9/orders/SO-1",
        json={
            "status": "paid",
            "total": "599",
            "items": [{"product_id": "sku-down", "name": "轻薄羽绒服", "price": "599"}],
            "placed_at": "2026-11-20T10:00:00+08:00",
        },
        headers=bearer(key),
    )
    buyer = r.json()["contact_id"]
    # … and asks how to wash it.
    session = await _visitor_token(http, world, buyer)
    sock = await connect("visitor", session)
    ack = await sock.send_text("我买的那件怎么洗", "wash-1")
    bcid = ack["conversation_id"]
    await http.post(f"/api/v1/conversations/{bcid}/claim", headers=bearer(world.agent.token))
    found = await recommendations(http, world, bcid)
    assert [(f["product"]["product_id"], f["reasons"]) for f in found] == [
        ("sku-down", ["bought"]),
        ("sku-coat", ["same_category"]),
    ]
    assert all(f["product"]["product_id"] != "sku-old" for f in found)
    # Taken off sale: never again.
    r = await http.delete("/api/v1/integration/products/sku-coat", headers=bearer(key))
    assert r.status_code == 204
    assert [f["product"]["product_id"] for f in await recommendations(http, world, bcid)] == [
        "sku-down"
    ]


async def test_bad_products_are_refused_naming_the_one_and_the_catalogue_is_searchable(
    http: httpx.AsyncClient, world: World
) -> None:
    key = await api_key(http, world)
    bad = [
        [{"product_id": "a", "name": " "}],
        [{"product_id": "a", "name": "x", "price": "-1"}],
        [{"product_id": "a", "name": "x", "url": "javascript:alert(1)"}],
        [{"product_id": "a", "name": "x", "keywords": ["k"] * 21}],
        [{"product_id": "", "name": "x"}],
        [*CATALOGUE[:2], {"product_id": "c", "name": "x", "owner": 1}],
    ]
    for products in bad:
        r = await sync(http, key, products)
        assert r.status_code == 422, (products, r.text)
    r = await http.get("/api/v1/products?q=外套", headers=bearer(world.agent.token))
    assert r.json() == []  # nothing of the refused pages was stored
    assert (await sync(http, key, [])).status_code == 422
    await sync(http, key, CATALOGUE)
    r = await http.put(
        "/api/v1/integration/products/sku-coat",
        json={"name": "羊毛大衣（新款）", "price": "999", "category": "外套"},
        headers=bearer(key),
    )
    assert (r.status_code, r.json()) == (200, {"created": 0, "updated": 1})
    r = await http.get("/api/v1/products?q=外套", headers=bearer(world.agent.token))
    assert [(p["product_id"], p["price"]) for p in r.json()] == [
        ("sku-coat", "999.00"),
        ("sku-down", "599.00"),
    ]
    assert (
        await http.delete("/api/v1/integration/products/nope", headers=bearer(key))
    ).status_code == 404
    r = await http.get("/api/v1/products", headers=bearer(key))
    assert r.status_code == 401  # an API key opens no workbench route
