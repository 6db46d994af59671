"""Segments and the customer directory through the API: counts and members of saved and
previewed filters equal a recomputation in Python over the same customers (tags all / any /
none, attributes by each operator, channels, text search, sign-up dates), pages newest
first, live counts as tags change, the directory's search, bad filters, names unique per
merchant, and who may do what."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from huiliu.contacts.models import Contact, ContactIdentity, ContactTag
from huiliu.db import Database
from tests.clients import bearer
from tests.factories import World

S = "/api/v1/segments"
TZ = ZoneInfo("Asia/Shanghai")
TAGS = ["VIP", "投诉", "批发", "新客"]
CHANNELS = ["web", "wechat", "sms", "user", "email"]
NAMES = ["张三", "李四", "王五", "Anna Smith", "bob lee", None]


async def lay_customers(
    db: Database, world: World, n: int = 80, seed: int = 7
) -> list[dict[str, Any]]:
    """``n`` customers with known tags, attributes, channels and sign-up times; returns
    them as Python sees them."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    people: list[dict[str, Any]] = []
    async with db.write() as session:
        for i in range(n):
            attributes: dict[str, Any] = {}
            if rnd.random() < 0.7:
                attributes["level"] = rnd.choice(["gold", "silver", "Gold", ""])
            if rnd.random() < 0.7:
                attributes["points"] = rnd.choice([0, 150, 999.5, 1000, 2500, "many", True])
            if rnd.random() < 0.5:
                attributes["member"] = rnd.choice([True, False, 1, "true"])
            if rnd.random() < 0.5:
                attributes["city"] = rnd.choice(["上海", "上海浦东", "北京", "SHANGHAI"])
            name = rnd.choice(NAMES)
            email = f"c{i}@example.com" if rnd.random() < 0.4 else None
            phone = f"1380000{i:04d}" if rnd.random() < 0.4 else None
            created = now - timedelta(days=rnd.uniform(0, 60))
            contact = Contact(
                tenant_id=world.tenant_id,
                name=name,
                email=email,
                phone=phone,
                attributes=attributes,
                created_at=created,
            )
            session.add(contact)
            await session.flush()
            tags = rnd.sample(TAGS, rnd.randint(0, 3))
            channels = rnd.sample(CHANNELS, rnd.randint(0, 2))
            for tag in tags:
                session.add(ContactTag(tenant_id=world.tenant_id, contact_id=contact.id, tag=tag))
            for channel in channels:
                session.add(
                    ContactIdentity(
                        tenant_id=world.tenant_id,
                        contact_id=contact.id,
                        channel=channel,
                        external_id=f"{channel}-{contact.id}",
                    )
                )
            people.append(
                {
                    "id": contact.id,
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "attributes": attributes,
                    "created_at": created,
                    "tags": set(tags),
                    "channels": set(channels),
                }
            )
    return people


# -- the filter, in Python ------------------------------------------------------------------


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return "text" if isinstance(v, str) else "none"


def _attr(person: dict[str, Any], key: str, op: str, value: Any) -> bool:
    have = person["attributes"].get(key)
    is_set = have is not None and have != ""
    if op == "set":
        return is_set
    if op == "unset":
        return not is_set
    same = _kind(have) == _kind(value) and have == value
    if op == "=":
        return same
    if op == "!=":
        return not same
    if op == "contains":
        return _kind(have) == "text" and str(value).lower() in str(have).lower()
    if _kind(have) != "number":
        return False
    return bool(
        {
            ">": have > value,
            ">=": have >= value,
            "<": have < value,
            "<=": have <= value,
        }[op]
    )


def keeps(f: dict[str, Any], person: dict[str, Any]) -> bool:
    tags = person["tags"]
    if not set(f.get("tags_all", [])) <= tags:
        return False
    if f.get("tags_any") and not set(f["tags_any"]) & tags:
        return False
    if set(f.get("tags_none", [])) & tags:
        return False
    if not all(_attr(person, a["key"], a["op"], a.get("value")) for a in f.get("attributes", [])):
        return False
    if f.get("channels") and not set(f["channels"]) & person["channels"]:
        return False
    if f.get("q"):
        q = f["q"].lower()
        if not any(q in (person[k] or "").lower() for k in ("name", "email", "phone")):
            return False
    day = person["created_at"].astimezone(TZ).date()
    if f.get("created_after") and day < date.fromisoformat(f["created_after"]):
        return False
    return not (f.get("created_before") and day > date.fromisoformat(f["created_before"]))


def newest_first(people: list[dict[str, Any]]) -> list[int]:
    return [p["id"] for p in sorted(people, key=lambda p: (p["created_at"], p["id"]), reverse=True)]


def _days_ago(n: int) -> str:
    return (datetime.now(TZ) - timedelta(days=n)).date().isoformat()


FILTERS: list[dict[str, Any]] = [
    {},
    {"tags_all": ["VIP"]},
    {"tags_all": ["VIP", "批发"]},
    {"tags_any": ["投诉", "新客"]},
    {"tags_none": ["投诉"]},
    {"tags_all": ["VIP"], "tags_none": ["投诉"], "channels": ["wechat", "sms"]},
    {"attributes": [{"key": "level", "op": "=", "value": "gold"}]},
    {"attributes": [{"key": "level", "op": "!=", "value": "gold"}]},
    {"attributes": [{"key": "level", "op": "set"}]},
    {"attributes": [{"key": "level", "op": "unset"}]},
    {"attributes": [{"key": "points", "op": ">=", "value": 1000}]},
    {"attributes": [{"key": "points", "op": "<", "value": 999.5}]},
    {"attributes": [{"key": "points", "op": "<=", "value": 999.5}]},
    {"attributes": [{"key": "points", "op": "=", "value": 1000}]},
    {"attributes": [{"key": "member", "op": "=", "value": True}]},
    {"attributes": [{"key": "member", "op": "=", "value": 1}]},
    {"attributes": [{"key": "member", "op": "!=", "value": True}]},
    {"attributes": [{"key": "city", "op": "contains", "value": "上海"}]},
    {"attributes": [{"key": "city", "op": "contains", "value": "shang"}]},
    {
        "attributes": [
            {"key": "level", "op": "=", "value": "gold"},
            {"key": "points", "op": ">", "value": 100},
        ],
        "tags_any": ["VIP"],
    },
    {"channels": ["user"]},
    {"q": "example.com"},
    {"q": "anna"},
    {"q": "张"},
    {"q": "1380000"},
    {"created_after": _days_ago(20)},
    {"created_before": _days_ago(30)},
    {"created_after": _days_ago(40), "created_before": _days_ago(10), "tags_none": ["VIP"]},
]


async def test_segment_counts_and_members_equal_a_recomputation(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    people = await lay_customers(db, world)
    admin = bearer(world.admin.token)
    for n, f in enumerate(FILTERS):
        expected = [p for p in people if keeps(f, p)]
        r = await http.post(f"{S}/preview", json={"filter": f}, headers=admin)
        assert r.status_code == 200, (f, r.text)
        assert r.json()["count"] == len(expected), f
        assert [c["id"] for c in r.json()["contacts"]] == newest_first(expected)[:20], f
        r = await http.post(S, json={"name": f"分群 {n}", "filter": f}, headers=admin)
        assert r.status_code == 201, (f, r.text)
        assert r.json()["count"] == len(expected), f
    assert any(0 < sum(keeps(f, p) for p in people) < len(people) for f in FILTERS[1:])
    r = await http.get(S, headers=bearer(world.agent.token))
    assert r.status_code == 200
    listed = {s["name"]: s["count"] for s in r.json()}
    assert listed == {f"分群 {n}": sum(keeps(f, p) for p in people) for n, f in enumerate(FILTERS)}


async def test_a_segments_members_page_newest_first_and_its_count_is_live(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    people = await lay_customers(db, world, n=45, seed=11)
    f = {"tags_none": ["投诉"]}
    r = await http.post(S, json={"name": "不投诉", "filter": f}, headers=bearer(world.admin.token))
    segment = r.json()
    expected = newest_first([p for p in people if keeps(f, p)])
    agent = bearer(world.agent.token)
    got: list[int] = []
    for page in range(1, 10):
        r = await http.get(
            f"{S}/{segment['id']}/contacts", params={"page": page, "per_page": 7}, headers=agent
        )
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(expected)
        rows = r.json()["contacts"]
        if not rows:
            break
        got += [c["id"] for c in rows]
    assert got == expected
    # An agent tags one of them 投诉: the count follows at once.
    moved = expected[0]
    r = await http.put(f"/api/v1/contacts/{moved}/tags/投诉", headers=agent)
    assert r.status_code == 200
    r = await http.get(f"{S}/{segment['id']}", headers=agent)
    assert r.json()["count"] == len(expected) - 1


async def test_the_directory_searches_by_text_tag_and_segment(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    people = await lay_customers(db, world, n=60, seed=3)
    agent = bearer(world.agent.token)
    r = await http.post(
        S,
        json={
            "name": "金卡",
            "filter": {"attributes": [{"key": "level", "op": "=", "value": "gold"}]},
        },
        headers=bearer(world.admin.token),
    )
    gold = r.json()
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}),
        ({"q": "example"}, {"q": "example"}),
        ({"tag": "VIP"}, {"tags_all": ["VIP"]}),
        ({"tag": "VIP", "q": "张"}, {"tags_all": ["VIP"], "q": "张"}),
        (
            {"segment_id": gold["id"], "tag": "新客"},
            {"tags_all": ["新客"], "attributes": [{"key": "level", "op": "=", "value": "gold"}]},
        ),
    ]
    for params, f in cases:
        expected = newest_first([p for p in people if keeps(f, p)])
        r = await http.get("/api/v1/contacts", params={**params, "per_page": 100}, headers=agent)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(expected), params
        assert [c["id"] for c in body["contacts"]] == expected, params
    r = await http.get("/api/v1/contacts", params={"per_page": 5, "page": 2}, headers=agent)
    first = r.json()["contacts"][0]
    person = next(p for p in people if p["id"] == first["id"])
    assert set(first) == {"id", "name", "email", "phone", "tags", "created_at", "last_seen_at"}
    assert first["tags"] == sorted(person["tags"])
    assert first["id"] == newest_first(people)[5]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": "x", "filter": {"tags_all": ["  "]}}, "filter.tags_all.0"),
        ({"name": "x", "filter": {"colour": "red"}}, "filter.colour"),
        (
            {"name": "x", "filter": {"attributes": [{"key": "a", "op": "~"}]}},
            "filter.attributes.0.op",
        ),
        (
            {"name": "x", "filter": {"attributes": [{"key": "a", "op": ">", "value": "z"}]}},
            "filter.attributes.0",
        ),
        (
            {"name": "x", "filter": {"attributes": [{"key": "a", "op": "set", "value": 1}]}},
            "filter.attributes.0",
        ),
        ({"name": "x", "filter": {"channels": ["We Chat"]}}, "filter.channels.0"),
        ({"name": "x", "filter": {"created_after": "2026-13-01"}}, "filter.created_after"),
        (
            {
                "name": "x",
                "filter": {"created_after": "2026-02-01", "created_before": "2026-01-01"},
            },
            "filter",
        ),
        ({"name": "", "filter": {}}, "name"),
    ],
)
async def test_bad_filters_are_refused_naming_the_field(
    http: httpx.AsyncClient, world: World, body: dict[str, Any], where: str
) -> None:
    r = await http.post(S, json=body, headers=bearer(world.admin.token))
    assert r.status_code == 422, r.text
    assert f"body.{where}" in r.json()["detail"], r.json()
    r = await http.post(
        f"{S}/preview", json={"filter": body["filter"]}, headers=bearer(world.admin.token)
    )
    assert r.status_code == (200 if where == "name" else 422), r.text


async def test_names_are_unique_per_merchant_and_only_marketing_changes_segments(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    admin, agent = bearer(world.admin.token), bearer(world.agent.token)
    r = await http.post(S, json={"name": "VIP", "filter": {"tags_all": ["VIP"]}}, headers=admin)
    assert r.status_code == 201, r.text
    segment = r.json()
    assert segment["created_by"] == world.admin.id
    r = await http.post(S, json={"name": "VIP"}, headers=admin)
    assert r.status_code == 409
    assert r.json()["field"] == "name"
    r = await http.post(S, json={"name": "其他"}, headers=admin)
    r = await http.patch(f"{S}/{r.json()['id']}", json={"name": "VIP"}, headers=admin)
    assert r.status_code == 409
    assert r.json()["field"] == "name"
    # Another merchant may use the name.
    r = await http.post(S, json={"name": "VIP"}, headers=bearer(other_world.admin.token))
    assert r.status_code == 201
    for method, path in (
        ("POST", S),
        ("POST", f"{S}/preview"),
        ("PATCH", f"{S}/{segment['id']}"),
        ("DELETE", f"{S}/{segment['id']}"),
    ):
        r = await http.request(
            method, path, json=None if method == "DELETE" else {"filter": {}}, headers=agent
        )
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["permission"] == "marketing.manage"
    assert (await http.get(S, headers=agent)).status_code == 200
    theirs = bearer(other_world.admin.token)
    for method in ("GET", "PATCH", "DELETE"):
        r = await http.request(
            method, f"{S}/{segment['id']}", json=None if method != "PATCH" else {}, headers=theirs
        )
        assert r.status_code == 404, (method, r.text)
    r = await http.get(f"{S}/{segment['id']}/contacts", headers=theirs)
    assert r.status_code == 404
    r = await http.get("/api/v1/contacts", params={"segment_id": segment["id"]}, headers=theirs)
    assert r.status_code == 404
    r = await http.patch(
        f"{S}/{segment['id']}", json={"filter": {"tags_any": ["新客"]}}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["filter"]["tags_any"] == ["新客"]
    r = await http.delete(f"{S}/{segment['id']}", headers=admin)
    assert r.status_code == 204
    assert (await http.get(f"{S}/{segment['id']}", headers=admin)).status_code == 404
