"""The customer profile: the merchant's profile fields, and what the merchant's system pushes
with an API key — customers by its own user id and their orders, which the workbench lists
as purchases."""

from __future__ import annotations

from typing import Any

import httpx

from huiliu.contacts import service as contacts_service
from huiliu.db import Database
from huiliu.tenants.service import identity_signature
from tests.clients import bearer, widget_session
from tests.factories import World

ORDER = {
    "title": "羽绒服 ×1",
    "status": "paid",
    "total": "1299.00",
    "items": [{"product_id": "sku-1", "name": "羽绒服", "quantity": 1, "price": "1299.00"}],
    "placed_at": "2026-11-20T10:00:00+08:00",
}


async def api_key(http: httpx.AsyncClient, world: World) -> str:
    r = await http.post(
        "/api/v1/tenant/api-keys", json={"name": "订单系统"}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 201, r.text
    key: str = r.json()["key"]
    return key


async def put(http: httpx.AsyncClient, key: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return await http.put(f"/api/v1/integration{path}", json=body, headers=bearer(key))


async def test_the_integration_routes_take_only_a_live_api_key(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await http.put("/api/v1/integration/customers/u1", json={})
    assert (r.status_code, r.json()["code"]) == (401, "missing_token")
    for token in ("hl_nope_nope", world.admin.token):  # an account's token is no API key
        r = await put(http, token, "/customers/u1", {})
        assert (r.status_code, r.json()["code"]) == (401, "invalid_api_key"), token
    key = await api_key(http, world)
    assert (await put(http, key, "/customers/u1", {})).status_code == 201
    keys = (await http.get("/api/v1/tenant/api-keys", headers=bearer(world.admin.token))).json()
    r = await http.delete(
        f"/api/v1/tenant/api-keys/{keys[0]['id']}", headers=bearer(world.admin.token)
    )
    assert r.status_code == 200
    r = await put(http, key, "/customers/u1", {})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_api_key")
    # And an API key opens nothing but the integration routes.
    key = await api_key(http, world)
    assert (await http.get("/api/v1/conversations", headers=bearer(key))).status_code == 401


async def test_a_pushed_customer_is_the_one_who_signs_in_through_the_widget(
    http: httpx.AsyncClient, world: World
) -> None:
    key = await api_key(http, world)
    body = {"name": "王芳", "phone": "13800000000", "attributes": {"level": "gold", "city": "杭州"}}
    r = await put(http, key, "/customers/u-42", body)
    assert r.status_code == 201, r.text
    pushed = r.json()
    assert (pushed["name"], pushed["verified"]) == ("王芳", True)
    assert pushed["attributes"] == {"level": "gold", "city": "杭州"}
    assert [(i["channel"], i["external_id"]) for i in pushed["identities"]] == [("user", "u-42")]
    # Again: fields left out stay, attributes merge, null removes one.
    r = await put(http, key, "/customers/u-42", {"attributes": {"city": None, "points": 120}})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["attributes"]) == ("王芳", {"level": "gold", "points": 120})
    sig = identity_signature(world.identity_secret, "u-42")
    session = await widget_session(
        http, world.widget_key, identity={"user_id": "u-42", "signature": sig}
    )
    assert session["contact_id"] == pushed["id"]


async def test_orders_are_stored_once_per_id_updated_on_resend_and_listed_newest_first(
    http: httpx.AsyncClient, world: World
) -> None:
    key = await api_key(http, world)
    r = await put(http, key, "/customers/u-7/orders/SO-1", ORDER)
    assert r.status_code == 201, r.text
    contact_id = r.json()["contact_id"]
    assert r.json() == {"contact_id": contact_id, "order_id": "SO-1", "created": True}
    later = {
        **ORDER,
        "title": "围巾",
        "total": "89.5",
        "placed_at": "2026-11-25T02:00:00Z",
        "items": [],
    }
    assert (await put(http, key, "/customers/u-7/orders/SO-2", later)).status_code == 201
    r = await put(http, key, "/customers/u-7/orders/SO-1", {**ORDER, "status": "refunded"})
    assert (r.status_code, r.json()["created"]) == (200, False)
    r = await http.get(
        f"/api/v1/contacts/{contact_id}/purchases", headers=bearer(world.agent.token)
    )
    assert r.status_code == 200, r.text
    purchases = r.json()
    assert [(p["order_id"], p["status"], p["total"]) for p in purchases] == [
        ("SO-2", "paid", "89.50"),
        ("SO-1", "refunded", "1299.00"),
    ]
    assert purchases[1]["items"] == [
        {
            "product_id": "sku-1",
            "name": "羽绒服",
            "quantity": 1,
            "price_cents": 129900,
            "price": "1299.00",
        }
    ]
    assert purchases[0]["placed_at"].startswith("2026-11-25T02:00:00")
    # An order the merchant moves to another customer follows.
    r = await put(http, key, "/customers/u-8/orders/SO-2", later)
    assert r.status_code == 200
    moved = r.json()["contact_id"]
    assert moved != contact_id
    listed = (
        await http.get(
            f"/api/v1/contacts/{contact_id}/purchases", headers=bearer(world.agent.token)
        )
    ).json()
    assert [p["order_id"] for p in listed] == ["SO-1"]


async def test_bad_orders_and_customers_are_refused_naming_the_field_and_store_nothing(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    key = await api_key(http, world)
    bad: list[tuple[dict[str, Any], str]] = [
        ({**ORDER, "placed_at": "2026-11-20T10:00:00"}, "placed_at"),  # no zone
        ({**ORDER, "total": "-1"}, "total"),
        ({**ORDER, "total": "1.234"}, "total"),
        ({**ORDER, "status": "Paid!"}, "status"),
        ({**ORDER, "currency": "rmb"}, "currency"),
        ({**ORDER, "items": [{"product_id": "", "name": "x", "price": "1"}]}, "items"),
        ({**ORDER, "owner": "me"}, "owner"),
    ]
    for body, field in bad:
        r = await put(http, key, "/customers/u-9/orders/SO-9", body)
        assert r.status_code == 422, (field, r.text)
        assert field in r.text, (field, r.text)
    r = await put(http, key, "/customers/u-9", {"attributes": {"nested": {"a": 1}}})
    assert r.status_code == 422
    r = await put(http, key, "/customers/" + "x" * 201, {})
    assert r.status_code == 422
    async with db.read() as session:  # the refused pushes created nobody
        assert (
            await contacts_service.get_by_identity(
                session, tenant_id=world.tenant_id, channel="user", external_id="u-9"
            )
            is None
        )


async def test_profile_fields_check_the_attributes_people_and_systems_write(
    http: httpx.AsyncClient, world: World
) -> None:
    admin = bearer(world.admin.token)
    assert (await http.get("/api/v1/tenant/profile", headers=bearer(world.agent.token))).json() == {
        "fields": []
    }
    fields = {
        "fields": [
            {
                "key": "level",
                "label": "会员等级",
                "type": "select",
                "options": ["普通", "黄金", "钻石"],
            },
            {"key": "points", "label": "积分", "type": "number"},
            {"key": "birthday", "label": "生日", "type": "date"},
        ]
    }
    r = await http.put(
        "/api/v1/tenant/profile", json=fields, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 403  # settings.manage
    r = await http.put("/api/v1/tenant/profile", json=fields, headers=admin)
    assert r.status_code == 200, r.text
    for bad in (
        {"fields": [{**fields["fields"][1], "required": True}]},
        {"fields": [fields["fields"][1], fields["fields"][1]]},
        {"fields": [{"key": "Level", "label": "x", "type": "text"}]},
        {"fields": [{"key": "x", "label": "x", "type": "select"}]},
    ):
        r = await http.put("/api/v1/tenant/profile", json=bad, headers=admin)
        assert r.status_code == 422, (bad, r.text)
    key = await api_key(http, world)
    r = await put(http, key, "/customers/u-1", {"attributes": {"level": "白银"}})
    assert (r.status_code, r.json()["field"]) == (422, "attributes.level")
    assert "普通, 黄金, 钻石" in r.json()["detail"]
    r = await put(http, key, "/customers/u-1", {"attributes": {"level": "黄金", "wechat": "wf"}})
    assert r.status_code == 201, r.text  # a key the merchant has not defined passes as it is
    contact = r.json()["id"]
    r = await http.patch(
        f"/api/v1/contacts/{contact}",
        json={"attributes": {"points": "many"}},
        headers=bearer(world.agent.token),
    )
    assert (r.status_code, r.json()["field"]) == (422, "attributes.points")
    r = await http.patch(
        f"/api/v1/contacts/{contact}",
        json={"attributes": {"points": 10, "birthday": "1990-02-01"}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200
    assert r.json()["attributes"] == {"points": 10, "birthday": "1990-02-01"}
