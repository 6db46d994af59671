"""Quick replies: every account reads and searches them, supervisors and admins keep them;
shortcuts are unique per merchant; the demo merchant has a useful set."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from huiliu.db import Database
from huiliu.demo import DEMO_REPLIES, ensure_demo_replies
from tests.clients import bearer, widget_session
from tests.factories import World

_ids = itertools.count()
URL = "/api/v1/quick-replies"


async def create(http: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    body = {"shortcut": f"r{next(_ids)}", "title": "问候", "text": "您好！", **fields}
    r = await http.post(URL, json=body, headers=bearer(world.supervisor.token))
    assert r.status_code == 201, r.text
    reply: dict[str, Any] = r.json()
    return reply


async def listed(http: httpx.AsyncClient, token: str, search: str | None = None) -> list[Any]:
    params = {"search": search} if search is not None else {}
    r = await http.get(URL, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    body: list[Any] = r.json()
    return body


async def test_supervisors_keep_quick_replies_and_agents_read_them_by_shortcut(
    http: httpx.AsyncClient, world: World
) -> None:
    wait = await create(http, world, shortcut="/wait", title="请稍等", text="请稍等，马上查。")
    hi = await create(http, world, shortcut="hi", text="您好", category=" 常用 ")
    assert wait["shortcut"] == "wait"  # the '/' typed before it is not part of it
    assert hi["category"] == "常用"
    assert set(hi) == {"id", "shortcut", "title", "text", "category", "created_at", "updated_at"}
    assert [r["shortcut"] for r in await listed(http, world.agent.token)] == ["hi", "wait"]
    r = await http.patch(
        f"{URL}/{hi['id']}",
        json={"text": "您好，很高兴为您服务", "category": None},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["text"], r.json()["category"], r.json()["title"]) == (
        "您好，很高兴为您服务",
        None,
        "问候",
    )
    assert r.json()["updated_at"] >= hi["updated_at"]
    r = await http.delete(f"{URL}/{wait['id']}", headers=bearer(world.supervisor.token))
    assert r.status_code == 204
    assert [r["id"] for r in await listed(http, world.agent.token)] == [hi["id"]]


async def test_search_matches_shortcut_title_and_text_literally(
    http: httpx.AsyncClient, world: World
) -> None:
    await create(http, world, shortcut="refund", title="退款流程", text="申请退款后 1–3 天到账")
    await create(http, world, shortcut="ship", title="发货时间", text="48 小时内发货")
    await create(http, world, shortcut="pct", title="折扣", text="满 100 减 10%")
    token = world.agent.token
    assert [r["shortcut"] for r in await listed(http, token, "REF")] == ["refund"]
    assert [r["shortcut"] for r in await listed(http, token, "发货")] == ["ship"]
    assert [r["shortcut"] for r in await listed(http, token, "到账")] == ["refund"]
    assert [r["shortcut"] for r in await listed(http, token, "10%")] == ["pct"]
    assert [r["shortcut"] for r in await listed(http, token, "%")] == ["pct"]
    assert [r["shortcut"] for r in await listed(http, token, "_")] == []
    assert len(await listed(http, token, "  ")) == 3  # blank: everything


async def test_a_taken_shortcut_is_a_conflict_on_create_and_rename(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    taken = await create(http, world, shortcut="bye")
    other = await create(http, world, shortcut="thanks")
    body = {"shortcut": "bye", "title": "再见", "text": "再见！"}
    r = await http.post(URL, json=body, headers=bearer(world.supervisor.token))
    assert r.status_code == 409
    assert r.json() == {
        "code": "conflict",
        "detail": "the shortcut /bye is taken",
        "field": "shortcut",
    }
    r = await http.patch(
        f"{URL}/{other['id']}", json={"shortcut": "bye"}, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 409
    assert [x["shortcut"] for x in await listed(http, world.agent.token)] == ["bye", "thanks"]
    # Keeping one's own shortcut is no conflict; another merchant may use the same one.
    r = await http.patch(
        f"{URL}/{taken['id']}", json={"shortcut": "bye"}, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200
    r = await http.post(URL, json=body, headers=bearer(other_world.supervisor.token))
    assert r.status_code == 201


async def test_agents_and_customers_cannot_change_quick_replies(
    http: httpx.AsyncClient, world: World
) -> None:
    reply = await create(http, world)
    agent = bearer(world.agent.token)
    body = {"shortcut": "new", "title": "t", "text": "x"}
    assert (await http.post(URL, json=body, headers=agent)).status_code == 403
    assert (
        await http.patch(f"{URL}/{reply['id']}", json={"text": "y"}, headers=agent)
    ).status_code == 403
    assert (await http.delete(f"{URL}/{reply['id']}", headers=agent)).status_code == 403
    visitor = bearer((await widget_session(http, world.widget_key))["visitor_token"])
    assert (await http.get(URL, headers=visitor)).status_code == 403
    assert (await http.get(URL)).status_code == 401
    assert [r["text"] for r in await listed(http, world.agent.token)] == [reply["text"]]


async def test_another_merchants_quick_replies_are_not_found(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    reply = await create(http, world)
    sup = bearer(other_world.supervisor.token)
    r = await http.patch(f"{URL}/{reply['id']}", json={"text": "改"}, headers=sup)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert (await http.delete(f"{URL}/{reply['id']}", headers=sup)).status_code == 404
    assert await listed(http, other_world.agent.token) == []
    assert [r["text"] for r in await listed(http, world.agent.token)] == [reply["text"]]


@pytest.mark.parametrize(
    "body",
    [
        {"shortcut": "two words", "title": "t", "text": "x"},
        {"shortcut": "", "title": "t", "text": "x"},
        {"shortcut": "/", "title": "t", "text": "x"},
        {"shortcut": "s" * 33, "title": "t", "text": "x"},
        {"shortcut": "ok", "title": "   ", "text": "x"},
        {"shortcut": "ok", "title": "t" * 101, "text": "x"},
        {"shortcut": "ok", "title": "t", "text": "x" * 2001},
        {"shortcut": "ok", "title": "t", "text": "x", "category": "c" * 51},
        {"shortcut": "ok", "title": "t"},
        {"shortcut": "ok", "title": "t", "text": "x", "shared": True},
        {"shortcut": 5, "title": "t", "text": "x"},
    ],
)
async def test_bad_quick_replies_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, world: World, body: dict[str, Any]
) -> None:
    r = await http.post(URL, json=body, headers=bearer(world.supervisor.token))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid"
    assert await listed(http, world.agent.token) == []


async def test_a_bad_patch_changes_nothing(http: httpx.AsyncClient, world: World) -> None:
    reply = await create(http, world)
    for body in ({"text": ""}, {"shortcut": "a b"}, {"title": None, "x": 1}):
        r = await http.patch(
            f"{URL}/{reply['id']}", json=body, headers=bearer(world.supervisor.token)
        )
        assert r.status_code == 422, (body, r.text)
    assert await listed(http, world.agent.token) == [reply]


async def test_the_demo_merchant_gets_its_quick_replies_once(
    db: Database, http: httpx.AsyncClient, world: World
) -> None:
    await ensure_demo_replies(db, world.tenant_id)
    first = await listed(http, world.agent.token)
    assert len(first) == len(DEMO_REPLIES) >= 8
    shortcuts = {r["shortcut"] for r in first}
    assert {"hi", "wait", "thanks", "refund", "shipping", "invoice", "bye", "sorry"} <= shortcuts
    assert any("您好" in r["text"] for r in first)
    assert any("再见" in r["text"] for r in first)
    # Run again after a supervisor edited one: nothing is added or overwritten.
    edited = next(r for r in first if r["shortcut"] == "hi")
    await http.patch(
        f"{URL}/{edited['id']}", json={"text": "您好呀"}, headers=bearer(world.supervisor.token)
    )
    await ensure_demo_replies(db, world.tenant_id)
    again = await listed(http, world.agent.token)
    assert len(again) == len(first)
    assert next(r for r in again if r["shortcut"] == "hi")["text"] == "您好呀"
