"""Quality review through the API: checklists (validated, one default, versioned), samples
of closed conversations by each mode (laid down with known ratings, handling times and
message counts; random ones reproducible from their seed), scoring with weights, n/a and
critical items, drafts, submitting, the edit window with its change log, disputes and their
resolution, agents seeing only their own reviews, every route by role, and bad input."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from huiliu.analytics.models import ConversationFact
from huiliu.analytics.rollup import FACT_FIELDS, save_fact
from huiliu.contacts.models import Contact
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.quality import scoring
from huiliu.quality.models import QualityReview
from huiliu.routing.models import Group
from tests.clients import bearer, widget_session
from tests.factories import Person, World

Q = "/api/v1/quality"
_ids = itertools.count(1)


# --- laying down conversations -------------------------------------------------------------


@dataclass
class Conv:
    """A closed conversation as it would be stored, and its report facts (None: no fact)."""

    agent_id: int | None
    closed_ago_h: float = 1.0
    channel: str = "web"
    group_id: int | None = None
    handled_s: float | None = 120.0  # assigned this long before it closed (the columns)
    star_rating: int | None = None  # conversations.rating_score (1–5)
    last_seq: int = 4
    status: ConversationStatus = ConversationStatus.closed
    fact: dict[str, Any] | None = field(default=None)
    texts: tuple[str, ...] = ()


def _zero(column: Any) -> Any:
    """A required fact column's empty value (the facts gain columns as reports grow)."""
    if column.nullable:
        return None
    python_type = column.type.python_type
    return {bool: False, int: 0, float: 0.0}.get(python_type)


def fact_of(conv: Conversation, **over: Any) -> dict[str, Any]:
    columns = ConversationFact.__table__.columns
    base: dict[str, Any] = {name: _zero(columns[name]) for name in FACT_FIELDS}
    base |= {
        "tenant_id": conv.tenant_id,
        "contact_id": conv.contact_id,
        "channel": conv.channel,
        "group_id": conv.group_id,
        "agent_id": conv.assignee_id,
        "opened_at": conv.created_at,
        "closed_at": conv.closed_at,
        "closed_by": "agent",
        "handed_over": True,
        "transfers": 0,
        "messages_customer": 0,
        "messages_agent": 0,
        "messages_bot": 0,
        "surveyed": False,
    }
    return base | over


async def lay(db: Database, world: World, *convs: Conv, now: datetime | None = None) -> list[int]:
    """Store the conversations (and their facts) directly, with known timestamps."""
    now = now or utcnow()
    ids: list[int] = []
    async with db.write() as session:
        for spec in convs:
            contact = Contact(tenant_id=world.tenant_id, name=f"客户{next(_ids)}", attributes={})
            session.add(contact)
            await session.flush()
            closed = now - timedelta(hours=spec.closed_ago_h)
            opened = closed - timedelta(seconds=(spec.handled_s or 0) + 60)
            conv = Conversation(
                tenant_id=world.tenant_id,
                contact_id=contact.id,
                channel=spec.channel,
                status=spec.status,
                assignee_id=spec.agent_id,
                group_id=spec.group_id,
                assigned_at=None
                if spec.handled_s is None
                else closed - timedelta(seconds=spec.handled_s),
                created_at=opened,
                last_message_at=closed,
                closed_at=closed if spec.status == ConversationStatus.closed else None,
                rating_score=spec.star_rating,
                last_seq=max(spec.last_seq, len(spec.texts)),
            )
            session.add(conv)
            await session.flush()
            for seq, text in enumerate(spec.texts, start=1):
                session.add(
                    Message(
                        tenant_id=world.tenant_id,
                        conversation_id=conv.id,
                        seq=seq,
                        sender_type=SenderType.contact if seq % 2 else SenderType.agent,
                        sender_id=contact.id if seq % 2 else spec.agent_id,
                        content_type="text",
                        content={"type": "text", "text": text},
                        created_at=opened + timedelta(seconds=seq),
                    )
                )
            if spec.fact is not None:
                await session.flush()
                await save_fact(await session.connection(), conv.id, fact_of(conv, **spec.fact))
            ids.append(conv.id)
    return ids


async def new_group(db: Database, world: World, name: str) -> int:
    async with db.write() as session:
        group = Group(tenant_id=world.tenant_id, name=name)
        session.add(group)
        await session.flush()
        return group.id


async def shift_submitted(db: Database, review_id: int, days: float) -> None:
    """Move a review's submission into the past (the windows count from it)."""
    async with db.write() as session:
        review = await session.get(QualityReview, review_id)
        assert review is not None
        assert review.submitted_at is not None
        back = timedelta(days=days)
        await session.execute(
            update(QualityReview)
            .where(QualityReview.id == review_id)
            .values(
                submitted_at=review.submitted_at - back,
                published_at=(review.published_at or review.submitted_at) - back,
            )
        )


# --- REST helpers --------------------------------------------------------------------------


async def call(
    http: httpx.AsyncClient, method: str, path: str, token: str, body: Any = None
) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    return await http.request(method, Q + path, **kwargs)


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def fails(r: httpx.Response, status: int, code: str | None = None, field: str | None = None) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return str(body["detail"])


ITEMS: list[dict[str, Any]] = [
    {"key": "greeting", "label": "规范问候", "scoring": "pass_fail", "max_points": 10},
    {"key": "solution", "label": "解决问题", "scoring": "points", "max_points": 30},
    {"key": "tone", "label": "服务态度", "scoring": "points", "max_points": 20},
    {
        "key": "compliance",
        "label": "合规承诺",
        "scoring": "pass_fail",
        "max_points": 10,
        "critical": True,
        "description": "不得承诺无法兑现的赔付",
    },
]


async def checklist(
    http: httpx.AsyncClient, person: Person, items: list[dict[str, Any]] | None = None, **over: Any
) -> dict[str, Any]:
    body = {"name": f"服务质检表 {next(_ids)}", "items": items or ITEMS, **over}
    created: dict[str, Any] = ok(await call(http, "POST", "/checklists", person.token, body), 201)
    return created


def period(hours: float = 48) -> dict[str, str]:
    return {"since": (utcnow() - timedelta(hours=hours)).isoformat()}


async def batch(
    http: httpx.AsyncClient, person: Person, mode: str = "random", **over: Any
) -> dict[str, Any]:
    body = {"mode": mode, **period(), **over}
    created: dict[str, Any] = ok(await call(http, "POST", "/batches", person.token, body), 201)
    return created


async def review_of(
    http: httpx.AsyncClient, person: Person, batch_id: int, conversation_id: int
) -> dict[str, Any]:
    body = {"batch_id": batch_id, "conversation_id": conversation_id}
    created: dict[str, Any] = ok(await call(http, "POST", "/reviews", person.token, body), 201)
    return created


FULL = [
    {"key": "greeting", "passed": True, "comment": "问候规范"},
    {"key": "solution", "points": 24},
    {"key": "tone", "na": True},
    {"key": "compliance", "passed": True},
]


async def submitted(
    http: httpx.AsyncClient, reviewer: Person, batch_id: int, conversation_id: int
) -> dict[str, Any]:
    review = await review_of(http, reviewer, batch_id, conversation_id)
    ok(
        await call(
            http,
            "PATCH",
            f"/reviews/{review['id']}",
            reviewer.token,
            {"scores": FULL, "comment": "整体不错"},
        )
    )
    body: dict[str, Any] = ok(
        await call(http, "POST", f"/reviews/{review['id']}/submit", reviewer.token)
    )
    return body


async def reviewed_world(
    http: httpx.AsyncClient, db: Database, world: World
) -> tuple[dict[str, Any], list[int]]:
    """A checklist, one conversation per agent in a batch, and a submitted review of the
    first agent's."""
    await checklist(http, world.supervisor)
    cids = await lay(db, world, Conv(world.agents[0].id), Conv(world.agents[1].id))
    b = await batch(http, world.supervisor, n=10)
    review = await submitted(http, world.supervisor, b["id"], cids[0])
    return review, cids


# --- checklists ----------------------------------------------------------------------------


BAD_CHECKLISTS: list[tuple[str, dict[str, Any]]] = [
    ("no items", {"name": "x", "items": []}),
    ("blank name", {"name": "  ", "items": ITEMS}),
    (
        "critical in points",
        {"name": "x", "items": [{"label": "a", "scoring": "points", "critical": True}]},
    ),
    ("zero points", {"name": "x", "items": [{"label": "a", "max_points": 0}]}),
    ("too many points", {"name": "x", "items": [{"label": "a", "max_points": 101}]}),
    ("blank label", {"name": "x", "items": [{"label": " "}]}),
    ("bad key", {"name": "x", "items": [{"label": "a", "key": "A B"}]}),
    (
        "same key twice",
        {"name": "x", "items": [{"label": "a", "key": "k"}, {"label": "b", "key": "k"}]},
    ),
    ("same label twice", {"name": "x", "items": [{"label": "a"}, {"label": "a"}]}),
    ("unknown scoring", {"name": "x", "items": [{"label": "a", "scoring": "stars"}]}),
    ("extra field", {"name": "x", "items": ITEMS, "owner": 1}),
    ("51 items", {"name": "x", "items": [{"label": f"i{n}"} for n in range(51)]}),
]


@pytest.mark.parametrize(("case", "body"), BAD_CHECKLISTS, ids=[c for c, _ in BAD_CHECKLISTS])
async def test_a_bad_checklist_is_422_and_nothing_is_stored(
    http: httpx.AsyncClient, world: World, case: str, body: dict[str, Any]
) -> None:
    fails(await call(http, "POST", "/checklists", world.supervisor.token, body), 422)
    assert ok(await call(http, "GET", "/checklists", world.supervisor.token)) == []


async def test_the_first_checklist_is_the_default_and_there_is_one_default_at_a_time(
    http: httpx.AsyncClient, world: World
) -> None:
    sup = world.supervisor
    first = await checklist(http, sup, name="基础质检")
    assert (first["is_default"], first["version"], first["max_points"]) == (True, 1, 70)
    assert [i["key"] for i in first["items"]] == ["greeting", "solution", "tone", "compliance"]
    assert first["items"][3]["critical"] is True
    # Keys are made when missing.
    second = await checklist(
        http, world.admin, [{"label": "响应及时"}], name="售后质检", is_default=True
    )
    assert second["items"][0]["key"]
    listed = ok(await call(http, "GET", "/checklists", sup.token))
    assert [(c["id"], c["is_default"]) for c in listed] == [
        (second["id"], True),
        (first["id"], False),
    ]
    # Names are unique among live checklists.
    fails(
        await call(http, "POST", "/checklists", sup.token, {"name": "售后质检", "items": ITEMS}),
        422,
        field="name",
    )
    # The default cannot be un-defaulted, nor deleted while another exists.
    body = {"name": "售后质检", "items": [{"label": "响应及时"}], "is_default": False}
    fails(
        await call(http, "PUT", f"/checklists/{second['id']}", sup.token, body),
        422,
        field="is_default",
    )
    fails(await call(http, "DELETE", f"/checklists/{second['id']}", sup.token), 409, "conflict")
    # Another becoming the default takes its place.
    again = ok(
        await call(
            http,
            "PUT",
            f"/checklists/{first['id']}",
            sup.token,
            {"name": "基础质检", "items": ITEMS, "is_default": True},
        )
    )
    assert (again["is_default"], again["version"]) == (True, 1)  # same items: same version
    ok(await call(http, "DELETE", f"/checklists/{second['id']}", sup.token), 204)
    assert [c["id"] for c in ok(await call(http, "GET", "/checklists", sup.token))] == [first["id"]]
    archived = ok(await call(http, "GET", "/checklists?include_archived=true", sup.token))
    assert {c["id"]: c["archived"] for c in archived} == {first["id"]: False, second["id"]: True}
    # A deleted checklist is not edited again; its name is free.
    fails(await call(http, "PUT", f"/checklists/{second['id']}", sup.token, body), 409)
    await checklist(http, sup, name="售后质检")


async def test_changed_items_make_a_new_version_and_old_reviews_keep_their_items(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup = world.supervisor
    card = await checklist(http, sup)
    cids = await lay(db, world, Conv(world.agent.id), Conv(world.agent.id, closed_ago_h=2))
    first = await batch(http, sup, n=1, seed=1)
    old = await submitted(http, sup, first["id"], first["items"][0]["conversation_id"])
    assert (old["checklist_version"], old["total_score"]) == (1, 88.0)
    # Same labels without keys keep their keys; a changed weight is a new version.
    items = [{k: v for k, v in i.items() if k != "key"} for i in ITEMS]
    items[1]["max_points"] = 50
    items.append({"label": "结束语", "max_points": 5})
    new = ok(
        await call(
            http,
            "PUT",
            f"/checklists/{card['id']}",
            sup.token,
            {"name": card["name"], "items": items},
        )
    )
    assert new["version"] == 2
    assert [i["key"] for i in new["items"]][:4] == ["greeting", "solution", "tone", "compliance"]
    kept = ok(await call(http, "GET", f"/reviews/{old['id']}", sup.token))
    assert kept["checklist_version"] == 1
    assert [i["max_points"] for i in kept["items"]] == [10, 30, 20, 10]
    assert kept["total_score"] == 88.0
    # A review begun now is scored with the new items.
    second = await batch(http, sup, n=5)
    assert [i["conversation_id"] for i in second["items"]] == [
        c for c in cids if c != old["conversation_id"]
    ]
    fresh = await review_of(http, sup, second["id"], second["items"][0]["conversation_id"])
    assert (fresh["checklist_version"], len(fresh["items"])) == (2, 5)


# --- sampling ------------------------------------------------------------------------------


def ids_of(sample: dict[str, Any]) -> list[int]:
    key = "conversations" if "conversations" in sample else "items"
    return [c["conversation_id"] for c in sample[key]]


async def preview(http: httpx.AsyncClient, person: Person, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(
        await call(http, "POST", "/samples", person.token, {**period(), **body})
    )
    return result


async def test_a_random_sample_is_reproducible_from_its_seed(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup = world.supervisor
    await checklist(http, sup)
    cids = await lay(
        db, world, *[Conv(world.agents[n % 2].id, closed_ago_h=1 + n) for n in range(12)]
    )
    a = await preview(http, sup, mode="random", n=5, seed=42)
    assert (a["seed"], a["candidates"], len(a["conversations"])) == (42, 12, 5)
    assert set(ids_of(a)) <= set(cids)
    assert ids_of(await preview(http, sup, mode="random", n=5, seed=42)) == ids_of(a)
    # Without a seed the server draws one and says which: sending it back gives the same.
    b = await preview(http, sup, mode="random", n=5)
    assert ids_of(await preview(http, sup, mode="random", n=5, seed=b["seed"])) == ids_of(b)
    # Different seeds give different samples.
    samples = {
        tuple(ids_of(await preview(http, sup, mode="random", n=5, seed=s))) for s in range(1, 6)
    }
    assert len(samples) > 1
    # The batch drawn with the seed holds exactly that sample, in that order, and keeps it.
    made = await batch(http, sup, n=5, seed=42)
    assert (made["seed"], made["candidates"], made["size"]) == (42, 12, 5)
    assert ids_of(made) == ids_of(a)
    assert [i["position"] for i in made["items"]] == [1, 2, 3, 4, 5]
    stored = ok(await call(http, "GET", f"/batches/{made['id']}", sup.token))
    assert (stored["seed"], ids_of(stored)) == (42, ids_of(a))
    assert stored["params"]["mode"] == "random"
    assert stored["params"]["n"] == 5
    # Conversations in a batch are not drawn again.
    rest = await preview(http, sup, mode="random", n=50, seed=42)
    assert rest["candidates"] == 7
    assert set(ids_of(rest)) == set(cids) - set(ids_of(a))


async def test_low_score_takes_the_lowest_ratings_from_facts_then_the_conversation(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    agent = world.agent.id
    cids = await lay(
        db,
        world,
        Conv(agent, fact={"rating_score": 5, "rating_scale": 5}),  # 1.0
        Conv(agent, fact={"rating_score": 2, "rating_scale": 3}),  # 0.5
        Conv(agent, star_rating=2),  # no fact: 2 of 5 stars, 0.25
        Conv(agent, fact={"rating_score": 1, "rating_scale": 5}, star_rating=5, closed_ago_h=3),
        Conv(agent),  # not rated: never picked
        Conv(agent, fact={}, star_rating=1, closed_ago_h=4),  # no rating in the fact: its stars
    )
    got = await preview(http, world.supervisor, mode="low_score", n=4)
    assert got["candidates"] == 6
    # Equal ratings: the one that closed first first.
    assert ids_of(got) == [cids[5], cids[3], cids[2], cids[1]]
    assert [(c["rating_score"], c["rating_scale"]) for c in got["conversations"]] == [
        (1, 5),
        (1, 5),
        (2, 5),
        (2, 3),
    ]
    everything = await preview(http, world.supervisor, mode="low_score", n=200)
    assert cids[4] not in ids_of(everything)
    assert len(ids_of(everything)) == 5


async def test_long_takes_the_longest_by_handling_time_or_by_messages(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    agent = world.agent.id
    cids = await lay(
        db,
        world,
        Conv(
            agent,
            handled_s=50,
            fact={"handling_s": 600.0, "messages_customer": 2, "messages_agent": 1},
        ),
        Conv(
            agent,
            handled_s=900,
            fact={"handling_s": 100.0, "messages_customer": 10, "messages_agent": 5},
        ),
        Conv(agent, handled_s=300, last_seq=8),  # no fact: closed - assigned, and its log
        Conv(agent, handled_s=None, last_seq=1),  # never assigned: no handling time
    )
    by_time = await preview(http, world.supervisor, mode="long", n=3)
    assert ids_of(by_time) == [cids[0], cids[2], cids[1]]
    assert [c["handling_s"] for c in by_time["conversations"]] == [600.0, 300.0, 100.0]
    by_messages = await preview(http, world.supervisor, mode="long", long_by="messages", n=2)
    assert ids_of(by_messages) == [cids[1], cids[2]]
    assert [c["messages"] for c in by_messages["conversations"]] == [15, 8]


async def test_by_agent_takes_n_of_each_agent(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    a, b = world.agents[0].id, world.agents[1].id
    cids = await lay(db, world, *[Conv(a, closed_ago_h=1 + n) for n in range(4)], Conv(b))
    got = await preview(http, world.supervisor, mode="by_agent", n=2, seed=7)
    agents = [c["agent_id"] for c in got["conversations"]]
    assert sorted(agents) == sorted([a, a, b])
    assert agents == sorted(agents, key=lambda x: x)  # agents in id order
    assert set(ids_of(got)) <= set(cids)
    assert ids_of(await preview(http, world.supervisor, mode="by_agent", n=2, seed=7)) == ids_of(
        got
    )


async def test_the_period_and_filters_choose_the_candidates(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    a, b = world.agents[0].id, world.agents[1].id
    group = await new_group(db, world, "售后")
    cids = await lay(
        db,
        world,
        Conv(a, closed_ago_h=2, channel="web", group_id=group),
        Conv(b, closed_ago_h=3, channel="wechat"),
        Conv(a, closed_ago_h=30, channel="wechat"),  # before the period below
        Conv(a, closed_ago_h=1, status=ConversationStatus.open),  # still open
        Conv(None, closed_ago_h=1),  # the bot alone: nobody to review
        Conv(None, closed_ago_h=1, fact={"agent_id": b, "group_id": group}),  # the fact knows
    )
    sup = world.supervisor
    day = period(24)
    got = await preview(http, sup, mode="random", n=50, seed=1, **day)
    assert set(ids_of(got)) == {cids[0], cids[1], cids[5]}
    assert {c["conversation_id"]: c["agent_id"] for c in got["conversations"]}[cids[5]] == b
    until = (utcnow() - timedelta(hours=2.5)).isoformat()
    older = await preview(http, sup, mode="random", n=50, seed=1, until=until, **period(40))
    assert set(ids_of(older)) == {cids[1], cids[2]}
    assert set(ids_of(await preview(http, sup, mode="random", n=50, channel="wechat", **day))) == {
        cids[1]
    }
    assert set(ids_of(await preview(http, sup, mode="random", n=50, group_id=group, **day))) == {
        cids[0],
        cids[5],
    }
    assert set(ids_of(await preview(http, sup, mode="random", n=50, agent_id=b, **day))) == {
        cids[1],
        cids[5],
    }


async def test_bad_sample_requests_are_422(
    http: httpx.AsyncClient, db: Database, world: World, other_world: World
) -> None:
    sup = world.supervisor
    now = utcnow()
    soon = (now + timedelta(hours=1)).isoformat()
    since = (now - timedelta(days=1)).isoformat()
    other_group = await new_group(db, other_world, "别家")
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"mode": "random", "since": soon}, "since"),
        (
            {"mode": "random", "since": since, "until": (now - timedelta(days=2)).isoformat()},
            "until",
        ),
        ({"mode": "random", "since": (now - timedelta(days=400)).isoformat()}, "until"),
        ({"mode": "random", "since": since, "n": 0}, None),
        ({"mode": "random", "since": since, "n": 201}, None),
        ({"mode": "by_agent", "since": since, "n": 51}, "n"),
        ({"mode": "random", "since": "2026-01-01T00:00:00"}, None),  # no time zone
        ({"mode": "sometimes", "since": since}, None),
        ({"mode": "long", "since": since, "long_by": "words"}, None),
        ({"mode": "random", "since": since, "seed": -1}, None),
        ({"mode": "random", "since": since, "group_id": other_group}, "group_id"),
        ({"mode": "random", "since": since, "agent_id": other_world.agent.id}, "agent_id"),
        ({"mode": "random"}, None),
    ]
    for body, where in cases:
        fails(await call(http, "POST", "/samples", sup.token, body), 422, field=where)
        fails(await call(http, "POST", "/batches", sup.token, body), 422)
    # No checklist yet; then nothing to draw; then a reviewer who is no supervisor.
    fails(
        await call(http, "POST", "/batches", sup.token, {"mode": "random", "since": since}),
        422,
        field="checklist_id",
    )
    card = await checklist(http, sup)
    fails(
        await call(http, "POST", "/batches", sup.token, {"mode": "random", "since": since}),
        422,
        "empty_sample",
    )
    await lay(db, world, Conv(world.agent.id))
    for assignee in (world.agent.id, other_world.supervisor.id, 999_999):
        body = {"mode": "random", "since": since, "assignee_id": assignee}
        fails(await call(http, "POST", "/batches", sup.token, body), 422, field="assignee_id")
    body = {"mode": "random", "since": since, "checklist_id": card["id"] + 10_000}
    fails(await call(http, "POST", "/batches", sup.token, body), 422, field="checklist_id")
    assert ok(await call(http, "GET", "/batches", sup.token)) == []


async def test_a_batch_is_a_queue_assigned_to_a_reviewer(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup, admin = world.supervisor, world.admin
    card = await checklist(http, sup)
    cids = await lay(db, world, Conv(world.agent.id), Conv(world.agent.id, closed_ago_h=2))
    made = await batch(http, sup, n=5, name="十二月第一周")
    assert (made["name"], made["assignee_id"], made["checklist_id"]) == (
        "十二月第一周",
        sup.id,
        card["id"],
    )
    assert (made["size"], made["reviewed"]) == (2, 0)
    mine = ok(await call(http, "GET", "/batches?assignee=me", sup.token))
    assert [x["id"] for x in mine] == [made["id"]]
    assert ok(await call(http, "GET", "/batches?assignee=me", admin.token)) == []
    fails(await call(http, "GET", "/batches?assignee=someone", sup.token), 422, field="assignee")
    moved = ok(
        await call(http, "PATCH", f"/batches/{made['id']}", sup.token, {"assignee_id": admin.id})
    )
    assert moved["assignee_id"] == admin.id
    fails(
        await call(
            http, "PATCH", f"/batches/{made['id']}", sup.token, {"assignee_id": world.agent.id}
        ),
        422,
        field="assignee_id",
    )
    # Progress: a draft is not reviewed yet; a submitted review is.
    draft = await review_of(http, admin, made["id"], cids[0])
    detail = ok(await call(http, "GET", f"/batches/{made['id']}", sup.token))
    states = {i["conversation_id"]: (i["review_id"], i["review_status"]) for i in detail["items"]}
    assert states == {cids[0]: (draft["id"], "draft"), cids[1]: (None, None)}
    assert detail["reviewed"] == 0
    # Deleting the batch takes its drafts; its conversations can be drawn again.
    ok(await call(http, "DELETE", f"/batches/{made['id']}", sup.token), 204)
    fails(await call(http, "GET", f"/reviews/{draft['id']}", sup.token), 404)
    again = await batch(http, sup, n=5)
    assert set(ids_of(again)) == set(cids)
    await submitted(http, sup, again["id"], cids[1])
    listed = ok(await call(http, "GET", "/batches", sup.token))
    assert [(x["id"], x["size"], x["reviewed"]) for x in listed] == [(again["id"], 2, 1)]
    fails(await call(http, "DELETE", f"/batches/{again['id']}", sup.token), 409, "conflict")


# --- scoring -------------------------------------------------------------------------------


async def test_the_total_weighs_items_by_points_and_a_failed_critical_item_zeroes_it(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup = world.supervisor
    await checklist(http, sup)
    cids = await lay(db, world, Conv(world.agent.id))
    made = await batch(http, sup)
    review = await review_of(http, sup, made["id"], cids[0])
    assert (review["status"], review["total_score"], review["scores"]) == ("draft", None, [])
    assert review["checklist_name"].startswith("服务质检表")
    rid = review["id"]
    # A draft's total counts what is scored so far.
    part = ok(
        await call(
            http,
            "PATCH",
            f"/reviews/{rid}",
            sup.token,
            {"scores": [{"key": "greeting", "passed": True}]},
        )
    )
    assert (part["total_score"], part["earned"], part["possible"]) == (100.0, 10, 10)
    part = ok(
        await call(
            http,
            "PATCH",
            f"/reviews/{rid}",
            sup.token,
            {"scores": [{"key": "greeting", "passed": False}, {"key": "solution", "points": 15}]},
        )
    )
    assert (part["total_score"], part["earned"], part["possible"]) == (37.5, 15, 40)
    # Every item: 10 + 24 + 10 of 10 + 30 + 10 (tone is n/a) = 44 of 50.
    full = ok(await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": FULL}))
    assert (full["total_score"], full["earned"], full["possible"]) == (88.0, 44, 50)
    assert [(s["key"], s["earned"]) for s in full["scores"]] == [
        ("greeting", 10),
        ("solution", 24),
        ("tone", None),
        ("compliance", 10),
    ]
    assert full["passed"] is True  # the default pass mark: 80
    # A failed critical item: 0, whatever the rest earned.
    failing = [*FULL[:3], {"key": "compliance", "passed": False, "comment": "承诺了全额赔付"}]
    crit = ok(await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": failing}))
    assert (crit["total_score"], crit["critical_failed"], crit["earned"]) == (0.0, True, 34)
    done = ok(await call(http, "POST", f"/reviews/{rid}/submit", sup.token))
    assert (done["status"], done["total_score"], done["critical_failed"]) == (
        "submitted",
        0.0,
        True,
    )
    assert done["scores"][3]["comment"] == "承诺了全额赔付"
    # The pass mark is the tenant's.
    ok(await call(http, "PUT", "/settings", world.admin.token, {"pass_mark": 90}))
    cids2 = await lay(db, world, Conv(world.agent.id, closed_ago_h=3))
    second = await batch(http, sup)
    assert ids_of(second) == cids2
    passing = await submitted(http, sup, second["id"], cids2[0])
    assert (passing["total_score"], passing["passed"]) == (88.0, False)


async def test_bad_scores_are_422_naming_the_score(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup = world.supervisor
    await checklist(http, sup)
    cids = await lay(db, world, Conv(world.agent.id))
    made = await batch(http, sup)
    rid = (await review_of(http, sup, made["id"], cids[0]))["id"]
    cases: list[tuple[list[dict[str, Any]], str | None, str]] = [
        ([{"key": "solution", "points": 31}], "scores.0.points", "above"),
        (
            [{"key": "greeting", "passed": True}, {"key": "nope", "passed": True}],
            "scores.1.key",
            "not an item",
        ),
        ([{"key": "greeting", "points": 10}], "scores.0.points", "pass/fail"),
        ([{"key": "solution", "passed": True}], "scores.0.passed", "points"),
        ([{"key": "compliance", "na": True}], "scores.0.na", "critical"),
        ([{"key": "tone", "na": True, "points": 3}], "scores.0", "n/a"),
        (
            [{"key": "greeting", "passed": True}, {"key": "greeting", "passed": False}],
            "scores.1.key",
            "twice",
        ),
        ([{"key": "solution", "points": -1}], None, ""),
        ([{"key": "solution", "points": "lots"}], None, ""),
        ([{"key": "solution", "stars": 3}], None, ""),
    ]
    for scores, where, words in cases:
        detail = fails(
            await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": scores}),
            422,
            field=where,
        )
        assert words in detail
    assert ok(await call(http, "GET", f"/reviews/{rid}", sup.token))["scores"] == []
    # Submitting needs every item: the detail names the missing ones.
    ok(await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": FULL[:2]}))
    detail = fails(
        await call(http, "POST", f"/reviews/{rid}/submit", sup.token), 422, field="scores"
    )
    assert "服务态度" in detail
    assert "合规承诺" in detail
    # A checklist of only optional items cannot be submitted all n/a.
    await checklist(
        http, sup, [{"key": "a", "label": "甲"}, {"key": "b", "label": "乙"}], is_default=True
    )
    cids2 = await lay(db, world, Conv(world.agent.id, closed_ago_h=2))
    other = await batch(http, sup)
    assert ids_of(other) == cids2
    rid2 = (await review_of(http, sup, other["id"], cids2[0]))["id"]
    ok(
        await call(
            http,
            "PATCH",
            f"/reviews/{rid2}",
            sup.token,
            {"scores": [{"key": "a", "na": True}, {"key": "b", "na": True}]},
        )
    )
    fails(await call(http, "POST", f"/reviews/{rid2}/submit", sup.token), 422, field="scores")
    # A comment that is too long.
    fails(await call(http, "PATCH", f"/reviews/{rid2}", sup.token, {"comment": "长" * 5001}), 422)


# --- drafts, submitting, editing -----------------------------------------------------------


async def test_drafts_submit_and_edits_within_the_window_with_a_change_log(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup, agent = world.supervisor, world.agent
    await checklist(http, sup)
    cids = await lay(db, world, Conv(agent.id, texts=("我的快递三天没动了", "马上为您查询")))
    made = await batch(http, sup)
    draft = await review_of(http, sup, made["id"], cids[0])
    rid = draft["id"]
    assert draft["agent_id"] == agent.id
    assert draft["reviewer_id"] == sup.id
    # The agent sees no draft.
    fails(await call(http, "GET", f"/reviews/{rid}", agent.token), 404)
    assert ok(await call(http, "GET", "/my-reviews", agent.token))["reviews"] == []
    # Only the reviewer edits and submits it; a colleague supervisor reads it.
    ok(await call(http, "GET", f"/reviews/{rid}", world.admin.token))
    fails(
        await call(http, "PATCH", f"/reviews/{rid}", world.admin.token, {"comment": "x"}),
        403,
        "not_reviewer",
    )
    fails(
        await call(http, "POST", f"/reviews/{rid}/submit", world.admin.token), 403, "not_reviewer"
    )
    ok(
        await call(
            http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": FULL, "comment": "整体不错"}
        )
    )
    done = ok(await call(http, "POST", f"/reviews/{rid}/submit", sup.token))
    assert (done["status"], done["total_score"], done["comment"]) == ("submitted", 88.0, "整体不错")
    assert done["submitted_at"] is not None
    submitted_at = datetime.fromisoformat(done["submitted_at"])
    assert datetime.fromisoformat(done["editable_until"]) - submitted_at == timedelta(days=7)
    assert datetime.fromisoformat(done["disputable_until"]) - submitted_at == timedelta(days=7)
    fails(await call(http, "POST", f"/reviews/{rid}/submit", sup.token), 409, "conflict")
    fails(await call(http, "DELETE", f"/reviews/{rid}", sup.token), 409, "conflict")
    # The agent sees it, unread until read.
    mine = ok(await call(http, "GET", "/my-reviews", agent.token))
    assert (mine["total"], mine["unread"], mine["reviews"][0]["unread"]) == (1, 1, True)
    read = ok(await call(http, "POST", f"/reviews/{rid}/read", agent.token))
    assert read["unread"] is False
    assert ok(await call(http, "GET", "/my-reviews", agent.token))["unread"] == 0
    fails(await call(http, "POST", f"/reviews/{rid}/read", sup.token), 403)
    # Its transcript, for the agent and the reviewer alike.
    for person in (agent, sup):
        transcript = ok(await call(http, "GET", f"/transcripts/{cids[0]}", person.token))
        assert [m["content"]["text"] for m in transcript["messages"]] == [
            "我的快递三天没动了",
            "马上为您查询",
        ]
        assert transcript["channel"] == "web"
        assert transcript["assignee_id"] == agent.id
    # An edit within the window: logged with before and after, unread again for the agent.
    better = [*FULL[:1], {"key": "solution", "points": 27}, *FULL[2:]]
    edited = ok(
        await call(
            http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": better, "comment": "复核后调整"}
        )
    )
    assert (edited["total_score"], edited["unread"]) == (94.0, True)
    assert ok(await call(http, "GET", "/my-reviews", agent.token))["unread"] == 1
    # A submitted review stays complete.
    fails(
        await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"scores": FULL[:2]}),
        422,
        field="scores",
    )
    # Unchanged: nothing logged.
    ok(await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"comment": "复核后调整"}))
    history = ok(await call(http, "GET", f"/reviews/{rid}/history", sup.token))
    assert [h["kind"] for h in history] == ["created", "submitted", "edited"]
    change = history[2]
    assert change["actor_id"] == sup.id
    assert (change["data"]["old"]["total_score"], change["data"]["new"]["total_score"]) == (
        88.0,
        94.0,
    )
    assert (change["data"]["old"]["comment"], change["data"]["new"]["comment"]) == (
        "整体不错",
        "复核后调整",
    )
    assert ok(await call(http, "GET", f"/reviews/{rid}/history", agent.token)) == history
    # Past the window: no more edits.
    await shift_submitted(db, rid, 8)
    fails(
        await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"comment": "再改"}),
        409,
        "edit_window_passed",
    )
    assert ok(await call(http, "GET", f"/reviews/{rid}", sup.token))["comment"] == "复核后调整"


async def test_a_conversation_is_reviewed_once_per_batch_and_never_by_its_own_agent(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup, admin = world.supervisor, world.admin
    await checklist(http, sup)
    cids = await lay(db, world, Conv(world.agent.id), Conv(sup.id, closed_ago_h=2))
    made = await batch(http, sup)
    first = await review_of(http, sup, made["id"], cids[0])
    detail = fails(
        await call(
            http,
            "POST",
            "/reviews",
            admin.token,
            {"batch_id": made["id"], "conversation_id": cids[0]},
        ),
        409,
        "already_reviewed",
    )
    assert str(first["id"]) in detail
    # A conversation that is not in the batch; a batch that does not exist.
    extra = await lay(db, world, Conv(world.agent.id, closed_ago_h=3))
    fails(
        await call(
            http,
            "POST",
            "/reviews",
            sup.token,
            {"batch_id": made["id"], "conversation_id": extra[0]},
        ),
        422,
        field="conversation_id",
    )
    fails(
        await call(
            http,
            "POST",
            "/reviews",
            sup.token,
            {"batch_id": made["id"] + 999, "conversation_id": cids[0]},
        ),
        404,
    )
    # The supervisor served the second one: someone else reviews it.
    fails(
        await call(
            http,
            "POST",
            "/reviews",
            sup.token,
            {"batch_id": made["id"], "conversation_id": cids[1]},
        ),
        403,
        "own_conversation",
    )
    await review_of(http, admin, made["id"], cids[1])
    # A draft can be thrown away by its reviewer and begun again.
    fails(await call(http, "DELETE", f"/reviews/{first['id']}", admin.token), 403, "not_reviewer")
    ok(await call(http, "DELETE", f"/reviews/{first['id']}", sup.token), 204)
    await review_of(http, admin, made["id"], cids[0])


# --- disputes ------------------------------------------------------------------------------


async def test_an_agent_disputes_once_and_a_supervisor_revises_or_upholds(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup, admin, agent, other = world.supervisor, world.admin, world.agents[0], world.agents[1]
    review, cids = await reviewed_world(http, db, world)
    rid = review["id"]
    # Only its agent disputes it; a dispute needs words.
    fails(await call(http, "POST", f"/reviews/{rid}/dispute", other.token, {"comment": "x"}), 404)
    fails(await call(http, "POST", f"/reviews/{rid}/dispute", sup.token, {"comment": "x"}), 403)
    fails(await call(http, "POST", f"/reviews/{rid}/dispute", agent.token, {"comment": "  "}), 422)
    fails(
        await call(http, "POST", f"/reviews/{rid}/resolve", sup.token, {"outcome": "upheld"}),
        409,
        "not_disputed",
    )
    disputed = ok(
        await call(
            http,
            "POST",
            f"/reviews/{rid}/dispute",
            agent.token,
            {"comment": "客户要求的是退款，我已按流程处理"},
        )
    )
    assert disputed["status"] == "disputed"
    assert disputed["dispute"]["comment"] == "客户要求的是退款，我已按流程处理"
    assert disputed["dispute"]["outcome"] is None
    assert disputed["disputable_until"] is None
    fails(
        await call(http, "POST", f"/reviews/{rid}/dispute", agent.token, {"comment": "再说一次"}),
        409,
        "already_disputed",
    )
    # While disputed the reviewer does not edit: the dispute is resolved.
    fails(
        await call(http, "PATCH", f"/reviews/{rid}", sup.token, {"comment": "x"}),
        409,
        "review_disputed",
    )
    open_ = ok(await call(http, "GET", "/disputes", sup.token))
    assert [r["id"] for r in open_["reviews"]] == [rid]
    fails(await call(http, "GET", "/disputes", agent.token), 403)
    # Bad resolutions.
    for body in (
        {"outcome": "revised"},
        {"outcome": "upheld", "scores": FULL},
        {"outcome": "maybe"},
        {"outcome": "revised", "scores": FULL[:1]},
        {"outcome": "revised", "scores": [*FULL[:3], {"key": "compliance", "points": 3}]},
    ):
        fails(await call(http, "POST", f"/reviews/{rid}/resolve", sup.token, body), 422)
    fails(
        await call(http, "POST", f"/reviews/{rid}/resolve", agent.token, {"outcome": "upheld"}), 403
    )
    # Revised: new scores, logged, and the agent has something unread.
    ok(await call(http, "POST", f"/reviews/{rid}/read", agent.token))
    better = [*FULL[:1], {"key": "solution", "points": 27}, *FULL[2:]]
    body = {
        "outcome": "revised",
        "comment": "已核实，按流程处理",
        "scores": better,
        "review_comment": "申诉成立",
    }
    resolved = ok(await call(http, "POST", f"/reviews/{rid}/resolve", admin.token, body))
    assert (resolved["status"], resolved["total_score"], resolved["comment"]) == (
        "submitted",
        94.0,
        "申诉成立",
    )
    assert resolved["dispute"]["outcome"] == "revised"
    assert resolved["dispute"]["resolution"] == "已核实，按流程处理"
    assert resolved["dispute"]["resolved_by_id"] == admin.id
    mine = ok(await call(http, "GET", "/my-reviews", agent.token))
    assert (mine["unread"], mine["reviews"][0]["dispute"]["outcome"]) == (1, "revised")
    fails(
        await call(http, "POST", f"/reviews/{rid}/resolve", sup.token, {"outcome": "upheld"}),
        409,
        "not_disputed",
    )
    fails(
        await call(http, "POST", f"/reviews/{rid}/dispute", agent.token, {"comment": "再申诉"}),
        409,
        "already_disputed",
    )
    assert ok(await call(http, "GET", "/disputes", sup.token))["reviews"] == []
    assert [
        r["id"]
        for r in ok(await call(http, "GET", "/disputes?state=resolved", sup.token))["reviews"]
    ] == [rid]
    history = ok(await call(http, "GET", f"/reviews/{rid}/history", agent.token))
    assert [h["kind"] for h in history] == ["created", "submitted", "disputed", "resolved"]
    assert history[3]["data"]["old"]["total_score"] == 88.0
    assert history[3]["data"]["new"]["total_score"] == 94.0
    # Upheld: the review stands. A second review, of the other agent.
    second = await submitted(http, sup, review["batch_id"], cids[1])
    ok(
        await call(
            http, "POST", f"/reviews/{second['id']}/dispute", other.token, {"comment": "不认同"}
        )
    )
    upheld = ok(
        await call(
            http,
            "POST",
            f"/reviews/{second['id']}/resolve",
            sup.token,
            {"outcome": "upheld", "comment": "维持原评分"},
        )
    )
    assert (upheld["status"], upheld["total_score"], upheld["dispute"]["outcome"]) == (
        "submitted",
        88.0,
        "upheld",
    )


async def test_a_review_is_disputed_only_within_the_window(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    review, _ = await reviewed_world(http, db, world)
    await shift_submitted(db, review["id"], 7.5)
    fails(
        await call(
            http,
            "POST",
            f"/reviews/{review['id']}/dispute",
            world.agent.token,
            {"comment": "不认同"},
        ),
        409,
        "dispute_window_passed",
    )
    # A longer window, set by an admin, lets it through.
    ok(await call(http, "PUT", "/settings", world.admin.token, {"dispute_window_days": 30}))
    ok(
        await call(
            http,
            "POST",
            f"/reviews/{review['id']}/dispute",
            world.agent.token,
            {"comment": "不认同"},
        )
    )


async def test_a_zero_day_edit_window_freezes_a_review_once_submitted(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    ok(await call(http, "PUT", "/settings", world.admin.token, {"edit_window_days": 0}))
    review, _ = await reviewed_world(http, db, world)
    assert review["editable_until"] == review["submitted_at"]
    r = await call(
        http, "PATCH", f"/reviews/{review['id']}", world.supervisor.token, {"comment": "改"}
    )
    fails(r, 409, "edit_window_passed")


# --- who sees what -------------------------------------------------------------------------


async def test_agents_see_their_own_reviews_only_and_cannot_review(
    http: httpx.AsyncClient, db: Database, world: World
) -> None:
    sup, mine, theirs = world.supervisor, world.agents[0], world.agents[1]
    review, cids = await reviewed_world(http, db, world)
    other = await submitted(http, sup, review["batch_id"], cids[1])
    assert other["agent_id"] == theirs.id
    for person, own, foreign, conv, foreign_conv in (
        (mine, review, other, cids[0], cids[1]),
        (theirs, other, review, cids[1], cids[0]),
    ):
        page = ok(await call(http, "GET", "/my-reviews", person.token))
        assert [r["id"] for r in page["reviews"]] == [own["id"]]
        ok(await call(http, "GET", f"/reviews/{own['id']}", person.token))
        for path in (f"/reviews/{foreign['id']}", f"/reviews/{foreign['id']}/history"):
            fails(await call(http, "GET", path, person.token), 404)
        fails(await call(http, "POST", f"/reviews/{foreign['id']}/read", person.token), 404)
        ok(await call(http, "GET", f"/transcripts/{conv}", person.token))
        fails(await call(http, "GET", f"/transcripts/{foreign_conv}", person.token), 404)
    # An agent does not review, list everyone's reviews, or draw samples.
    agent = world.agent
    body = {"batch_id": review["batch_id"], "conversation_id": cids[1]}
    fails(await call(http, "POST", "/reviews", agent.token, body), 403)
    fails(
        await call(http, "PATCH", f"/reviews/{review['id']}", agent.token, {"comment": "满分"}), 403
    )
    fails(await call(http, "GET", "/reviews", agent.token), 403)
    # A supervisor sees all, filtered.
    everyone = ok(await call(http, "GET", "/reviews", sup.token))
    assert {r["id"] for r in everyone["reviews"]} == {review["id"], other["id"]}
    only = ok(await call(http, "GET", f"/reviews?agent_id={theirs.id}", sup.token))
    assert [r["id"] for r in only["reviews"]] == [other["id"]]
    drafts = ok(await call(http, "GET", "/reviews?status=draft", sup.token))
    assert drafts["total"] == 0
    fails(await call(http, "GET", "/reviews?status=lost", sup.token), 422)


async def test_another_tenants_quality_data_is_404(
    http: httpx.AsyncClient, db: Database, world: World, other_world: World
) -> None:
    review, cids = await reviewed_world(http, db, world)
    stranger = other_world.supervisor
    card = ok(await call(http, "GET", "/checklists", world.supervisor.token))[0]
    for method, path, body in (
        ("GET", f"/checklists/{card['id']}", None),
        ("PUT", f"/checklists/{card['id']}", {"name": "x", "items": ITEMS}),
        ("DELETE", f"/checklists/{card['id']}", None),
        ("GET", f"/batches/{review['batch_id']}", None),
        ("PATCH", f"/batches/{review['batch_id']}", {"name": "x"}),
        ("DELETE", f"/batches/{review['batch_id']}", None),
        ("GET", f"/reviews/{review['id']}", None),
        ("PATCH", f"/reviews/{review['id']}", {"comment": "x"}),
        ("POST", f"/reviews/{review['id']}/submit", None),
        ("POST", f"/reviews/{review['id']}/resolve", {"outcome": "upheld"}),
        ("GET", f"/reviews/{review['id']}/history", None),
        ("GET", f"/transcripts/{cids[0]}", None),
        ("POST", "/reviews", {"batch_id": review["batch_id"], "conversation_id": cids[1]}),
    ):
        fails(await call(http, method, path, stranger.token, body), 404)
    assert ok(await call(http, "GET", "/reviews", stranger.token))["reviews"] == []
    assert ok(await call(http, "GET", "/batches", stranger.token)) == []
    # Their own sample never reaches into this tenant's conversations.
    await checklist(http, stranger)
    fails(
        await call(http, "POST", "/batches", stranger.token, {"mode": "random", **period()}),
        422,
        "empty_sample",
    )


# Every route, with who may call it: "agent" (every account), "supervisor" (and admins),
# "admin". Bodies are valid, so a caller allowed through never gets 403.
ROUTES: list[tuple[str, str, Any, str]] = [
    ("GET", "/settings", None, "agent"),
    ("PUT", "/settings", {"pass_mark": 75}, "admin"),
    ("GET", "/checklists", None, "supervisor"),
    ("POST", "/checklists", {"name": "{unique}", "items": ITEMS}, "supervisor"),
    ("GET", "/checklists/{checklist}", None, "supervisor"),
    (
        "PUT",
        "/checklists/{checklist}",
        {"name": "基础", "items": ITEMS, "is_default": True},
        "supervisor",
    ),
    ("DELETE", "/checklists/{spare}", None, "supervisor"),
    ("POST", "/samples", {"mode": "random", "since": "{since}"}, "supervisor"),
    ("POST", "/batches", {"mode": "random", "since": "{since}"}, "supervisor"),
    ("GET", "/batches", None, "supervisor"),
    ("GET", "/batches/{batch}", None, "supervisor"),
    ("PATCH", "/batches/{batch}", {"name": "改名"}, "supervisor"),
    ("DELETE", "/batches/{spare_batch}", None, "supervisor"),
    (
        "POST",
        "/reviews",
        {"batch_id": "{batch}", "conversation_id": "{conversation}"},
        "supervisor",
    ),
    ("GET", "/reviews", None, "supervisor"),
    ("GET", "/disputes", None, "supervisor"),
    ("GET", "/my-reviews", None, "agent"),
    ("GET", "/reviews/{review}", None, "agent"),
    ("GET", "/reviews/{review}/history", None, "agent"),
    ("PATCH", "/reviews/{draft}", {"comment": "草稿"}, "supervisor"),
    ("POST", "/reviews/{draft}/submit", None, "supervisor"),
    ("DELETE", "/reviews/{draft}", None, "supervisor"),
    ("POST", "/reviews/{review}/read", None, "agent"),
    ("POST", "/reviews/{review}/dispute", {"comment": "不认同"}, "agent"),
    ("POST", "/reviews/{review}/resolve", {"outcome": "upheld"}, "supervisor"),
    ("GET", "/transcripts/{reviewed_conversation}", None, "agent"),
]
RANK = {"agent": 0, "supervisor": 1, "admin": 2}


@pytest.mark.parametrize(
    ("method", "path", "body", "least"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
async def test_every_route_refuses_roles_below_its_own_and_visitors(
    http: httpx.AsyncClient,
    db: Database,
    world: World,
    method: str,
    path: str,
    body: Any,
    least: str,
) -> None:
    sup = world.supervisor
    review, cids = await reviewed_world(http, db, world)
    await lay(db, world, Conv(world.agent.id, closed_ago_h=5))
    spare = await checklist(http, sup)
    spare_batch = await batch(http, sup)
    card = ok(await call(http, "GET", "/checklists", sup.token))[-1]
    names = {
        "checklist": card["id"],
        "spare": spare["id"],
        "batch": review["batch_id"],
        "spare_batch": spare_batch["id"],
        "review": review["id"],
        "conversation": cids[1],
        "reviewed_conversation": cids[0],
    }

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            name = value[1:-1]
            if name == "since":
                return (utcnow() - timedelta(days=2)).isoformat()
            if name == "unique":
                return f"质检表 {next(_ids)}"
            return names[name]
        return value

    visitor = (await widget_session(http, world.widget_key))["visitor_token"]
    callers: list[tuple[str | None, str]] = [
        (None, visitor),
        ("agent", world.agent.token),
        ("supervisor", world.supervisor.token),
        ("admin", world.admin.token),
    ]
    for role, token in callers:
        # A fresh draft per caller (a draft route may consume one); the supervisor's own.
        await lay(db, world, Conv(world.agents[1].id, closed_ago_h=6))
        fresh = await batch(http, sup, n=1)
        draft = await review_of(http, sup, fresh["id"], fresh["items"][0]["conversation_id"])
        names["draft"] = draft["id"]
        url = path.format(**{k: v for k, v in names.items() if "{" + k + "}" in path})
        r = await call(http, method, url, token, fill(body))
        allowed = role is not None and RANK[role] >= RANK[least]
        if not allowed:
            assert r.status_code == 403, (role, r.text)
            continue
        # Allowed through: whatever the rule inside says, never a role refusal.
        assert r.status_code < 500, (role, r.text)
        if r.status_code == 403:
            # Rules past the role: only the reviewer edits a draft, only the agent disputes.
            assert (role, path) in {
                ("admin", "/reviews/{draft}"),
                ("admin", "/reviews/{draft}/submit"),
                ("supervisor", "/reviews/{review}/read"),
                ("admin", "/reviews/{review}/read"),
                ("supervisor", "/reviews/{review}/dispute"),
                ("admin", "/reviews/{review}/dispute"),
                ("supervisor", "/reviews/{review}/resolve"),
                ("admin", "/reviews/{review}/resolve"),
            }, (role, path, r.text)
        elif role == "agent" and path.startswith("/reviews/{review}"):
            assert r.status_code in (200, 409), r.text  # the agent's own review


async def test_settings_are_read_by_every_account_and_written_by_admins(
    http: httpx.AsyncClient, world: World
) -> None:
    assert ok(await call(http, "GET", "/settings", world.agent.token)) == {
        "edit_window_days": 7,
        "dispute_window_days": 7,
        "pass_mark": 80,
    }
    for body in (
        {"pass_mark": 101},
        {"edit_window_days": -1},
        {"dispute_window_days": 91},
        {"x": 1},
    ):
        fails(await call(http, "PUT", "/settings", world.admin.token, body), 422)
    fails(await call(http, "PUT", "/settings", world.supervisor.token, {"pass_mark": 60}), 403)
    saved = ok(
        await call(
            http, "PUT", "/settings", world.admin.token, {"pass_mark": 60, "edit_window_days": 3}
        )
    )
    assert saved == {"edit_window_days": 3, "dispute_window_days": 7, "pass_mark": 60}
    assert ok(await call(http, "GET", "/settings", world.supervisor.token)) == saved


def test_totals_round_halves_up_as_the_review_form_shows_them() -> None:
    items = [
        {"key": k, "label": k, "scoring": "points", "max_points": 100, "critical": False}
        for k in "abcd"
    ]

    def points(*given: int) -> list[dict[str, Any]]:
        return [
            {"key": k, "passed": None, "points": p, "na": False, "comment": ""}
            for k, p in zip("abcd", given, strict=True)
        ]

    assert scoring.total_of(items, points(100, 49, 0, 0)).total == 37.3  # 37.25
    assert scoring.total_of(items, points(100, 48, 0, 1)).total == 37.3
    assert scoring.total_of(items, points(33, 0, 0, 0)).total == 8.3  # 8.25
    assert scoring.total_of(items, points(1, 0, 0, 0)).total == 0.3  # 0.25
    assert scoring.total_of(items, points(100, 100, 100, 100)).total == 100.0
