"""Outbound webhooks through the API: endpoints, signed deliveries to a real receiver on
loopback, retries, final failures, dead deliveries, the test ping, isolation, bad input."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from huiliu.config import Settings
from huiliu.db import Database
from huiliu.integrations import merchant_api
from huiliu.outbox.registry import Context, Job
from huiliu.webhooks import delivery
from huiliu.webhooks import service as webhooks_service
from huiliu.webhooks.schemas import WebhookIn
from tests.clients import Connect, bearer, open_conversation
from tests.factories import World
from tests.receiver import TIMEOUT, Receiver, create_endpoint, signed
from tests.services import IN_CI

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
ALL_EVENTS = [
    "message.created",
    "conversation.opened",
    "conversation.assigned",
    "conversation.closed",
    "contact.offline_message",
]


def new_path() -> str:
    return "hook-" + secrets.token_hex(4)


async def deliveries(
    http: httpx.AsyncClient, world: World, endpoint_id: int, **params: Any
) -> list[dict[str, Any]]:
    r = await http.get(
        f"/api/v1/tenant/webhooks/{endpoint_id}/deliveries",
        params=params,
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


async def settled(
    http: httpx.AsyncClient, world: World, endpoint_id: int, count: int = 1, timeout: float = 15
) -> list[dict[str, Any]]:
    """The endpoint's deliveries once ``count`` of them have finished (done, failed, dead)."""
    deadline = time.monotonic() + timeout
    while True:
        got = await deliveries(http, world, endpoint_id)
        if sum(d["status"] != "pending" for d in got) >= count:
            return got
        assert time.monotonic() < deadline, got
        await asyncio.sleep(0.05)


async def ping(http: httpx.AsyncClient, world: World, endpoint_id: int) -> dict[str, Any]:
    r = await http.post(
        f"/api/v1/tenant/webhooks/{endpoint_id}/test", headers=bearer(world.admin.token)
    )
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    return body


# -- endpoints --------------------------------------------------------------------------


async def test_a_new_endpoint_shows_its_secret_once(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    created = await create_endpoint(
        http,
        world.admin.token,
        receiver,
        new_path(),
        ["message.created", "message.created", "conversation.closed"],
        description="  订单系统  ",
    )
    assert created["secret"].startswith("whsec_")
    assert len(created["secret"]) > 40
    assert created["events"] == ["message.created", "conversation.closed"]  # each once
    assert created["description"] == "订单系统"
    assert created["active"] is True
    listed = (await http.get("/api/v1/tenant/webhooks", headers=bearer(world.admin.token))).json()
    assert [e["id"] for e in listed] == [created["id"]]
    one = (
        await http.get(
            f"/api/v1/tenant/webhooks/{created['id']}", headers=bearer(world.admin.token)
        )
    ).json()
    for shown in (listed[0], one):
        assert "secret" not in shown
        assert shown == {k: v for k, v in created.items() if k != "secret"}


async def test_an_endpoint_is_changed_and_deleted(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    created = await create_endpoint(
        http, world.admin.token, receiver, new_path(), ["message.created"], description="a"
    )
    url = f"/api/v1/tenant/webhooks/{created['id']}"
    r = await http.patch(
        url,
        json={
            "events": ["conversation.opened"],
            "description": None,
            "url": "https://hooks.example.com/huiliu",
        },
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["events"] == ["conversation.opened"]
    assert changed["description"] is None
    assert changed["url"] == "https://hooks.example.com/huiliu"
    assert changed["active"] is True
    assert changed["updated_at"] >= created["updated_at"]
    r = await http.delete(url, headers=bearer(world.admin.token))
    assert r.status_code == 204
    assert (await http.get(url, headers=bearer(world.admin.token))).status_code == 404
    listed = await http.get("/api/v1/tenant/webhooks", headers=bearer(world.admin.token))
    assert listed.json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.com/x", "events": ["message.created"]}, "url"),
        ({"url": "ftp://127.0.0.1/x", "events": ["message.created"]}, "url"),
        ({"url": "https://", "events": ["message.created"]}, "url"),
        ({"url": "https://u:p@hooks.example.com/", "events": ["message.created"]}, "url"),
        ({"url": "https://hooks.example.com/", "events": ["message.deleted"]}, "events"),
        ({"url": "https://hooks.example.com/", "events": ["ping"]}, "events"),
        ({"url": "https://hooks.example.com/", "events": []}, "events"),
        ({"url": "https://hooks.example.com/", "events": "message.created"}, "events"),
        ({"url": "https://hooks.example.com/"}, "events"),
        ({"url": "https://hooks.example.com/", "events": ["message.created"], "x": 1}, "x"),
        (
            {"url": "https://hooks.example.com/", "events": ["message.created"], "secret": "s"},
            "secret",
        ),
    ],
)
async def test_bad_endpoints_are_refused_with_a_clear_422(
    http: httpx.AsyncClient, world: World, body: dict[str, Any], field: str
) -> None:
    r = await http.post("/api/v1/tenant/webhooks", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid"
    assert f"body.{field}" in r.json()["detail"]
    listed = (await http.get("/api/v1/tenant/webhooks", headers=bearer(world.admin.token))).json()
    assert listed == []


async def test_a_bad_change_is_refused_and_changes_nothing(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    created = await create_endpoint(
        http, world.admin.token, receiver, new_path(), ["message.created"]
    )
    url = f"/api/v1/tenant/webhooks/{created['id']}"
    for patch in (
        {"url": "http://10.0.0.8/hook"},
        {"events": []},
        {"events": ["conversation.reopened"]},
        {"secret": "mine"},
    ):
        r = await http.patch(url, json=patch, headers=bearer(world.admin.token))
        assert r.status_code == 422, (patch, r.text)
        assert r.json()["code"] == "invalid"
    one = (await http.get(url, headers=bearer(world.admin.token))).json()
    assert one == {k: v for k, v in created.items() if k != "secret"}
    r = await http.get(
        f"{url}/deliveries", params={"limit": 201}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 422


async def test_a_merchant_has_at_most_twenty_endpoints(
    http: httpx.AsyncClient, world: World
) -> None:
    body = {"url": "https://hooks.example.com/huiliu", "events": ["message.created"]}
    for _ in range(20):
        r = await http.post("/api/v1/tenant/webhooks", json=body, headers=bearer(world.admin.token))
        assert r.status_code == 201, r.text
    r = await http.post("/api/v1/tenant/webhooks", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 422
    assert r.json()["code"] == "limit_reached"
    assert "20" in r.json()["detail"]
    listed = (await http.get("/api/v1/tenant/webhooks", headers=bearer(world.admin.token))).json()
    assert len(listed) == 20


async def test_only_admins_keep_endpoints(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    created = await create_endpoint(
        http, world.admin.token, receiver, new_path(), ["message.created"]
    )
    for person in (world.supervisor, world.agent):
        r = await http.get("/api/v1/tenant/webhooks", headers=bearer(person.token))
        assert r.status_code == 403
        r = await http.post(
            f"/api/v1/tenant/webhooks/{created['id']}/test", headers=bearer(person.token)
        )
        assert r.status_code == 403


async def test_another_merchants_endpoint_ids_are_not_found(
    http: httpx.AsyncClient, world: World, other_world: World, receiver: Receiver
) -> None:
    path = new_path()
    created = await create_endpoint(http, world.admin.token, receiver, path, ["message.created"])
    url = f"/api/v1/tenant/webhooks/{created['id']}"
    them = bearer(other_world.admin.token)
    calls = [
        http.get(url, headers=them),
        http.patch(url, json={"active": False}, headers=them),
        http.delete(url, headers=them),
        http.post(f"{url}/test", headers=them),
        http.get(f"{url}/deliveries", headers=them),
    ]
    for call in calls:
        r = await call
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "not_found"
    assert (await http.get("/api/v1/tenant/webhooks", headers=them)).json() == []
    # Untouched for its owner, and nothing was sent.
    one = (await http.get(url, headers=bearer(world.admin.token))).json()
    assert one["active"] is True
    assert await deliveries(http, world, created["id"]) == []
    assert receiver.received(path) == []


# -- deliveries -------------------------------------------------------------------------


def check_signed(got: Any, secret: str) -> None:
    assert got.valid
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["x-huiliu-timestamp"]) - time.time()) < 60
    assert got.headers["x-huiliu-signature"] == signed(
        secret, got.headers["x-huiliu-timestamp"], got.raw
    )
    # The scheme of the merchant API's calls (docs/bot.md) verifies it too.
    assert merchant_api.verify(
        secret, got.headers["x-huiliu-timestamp"], got.raw, got.headers["x-huiliu-signature"]
    )


async def test_conversation_events_are_delivered_signed_with_the_documented_body(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = new_path()
    created = await create_endpoint(
        http, world.admin.token, receiver, path, [e for e in ALL_EVENTS if e != ALL_EVENTS[-1]]
    )
    _visitor, agent, cid = await open_conversation(http, connect, world)  # opened, claimed
    reply = await agent.send_text("您好，今天下午发货", "w-1", conversation_id=cid)
    r = await http.post(
        f"/api/v1/conversations/{cid}/close",
        json={"reason": "resolved"},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200, r.text
    # seq 1 opened, 2 the customer's text, 3 assigned, 4 the agent's reply, 5 closed, 6 the
    # satisfaction survey.
    await receiver.wait(lambda g: len({x.delivery for x in g}) >= 9, path)
    await receiver_quiet()
    got = receiver.received(path)
    assert len(got) == 9  # each delivery once: every receiver answered 200
    seen = {(x.event, x.body["data"]["message"]["seq"]) for x in got}
    assert seen == {
        ("conversation.opened", 1),
        ("conversation.assigned", 3),
        ("conversation.closed", 5),
        *(("message.created", seq) for seq in range(1, 7)),
    }
    contact_id = got[0].body["data"]["conversation"]["contact_id"]
    for x in got:
        check_signed(x, created["secret"])
        body = x.body
        assert set(body) == {"id", "event", "created_at", "tenant_id", "data"}
        assert body["id"] == x.delivery
        assert body["event"] == x.event
        assert body["tenant_id"] == world.tenant_id
        assert body["created_at"].endswith("Z")
        assert set(body["data"]) == {"conversation", "message"}
        assert body["data"]["conversation"] == {
            "id": cid,
            "contact_id": contact_id,
            "channel": "web",
        }
        assert set(body["data"]["message"]) == {
            "id",
            "conversation_id",
            "seq",
            "sender",
            "client_msg_id",
            "content",
            "created_at",
        }
    by_key = {(x.event, x.body["data"]["message"]["seq"]): x.body["data"]["message"] for x in got}
    assert by_key[("message.created", 2)]["content"] == {
        "type": "text",
        "text": "你好，我想问一下发货时间",
    }
    assert by_key[("message.created", 2)]["sender"] == {"type": "contact", "id": contact_id}
    assert by_key[("message.created", 4)]["id"] == reply["message_id"]
    assert by_key[("message.created", 4)]["sender"] == {"type": "agent", "id": world.agent.id}
    assigned = by_key[("conversation.assigned", 3)]["content"]
    assert (assigned["type"], assigned["event"]) == ("event", "assigned")
    assert by_key[("message.created", 6)]["content"]["type"] == "survey"
    assert assigned["account_id"] == world.agent.id
    assert by_key[("conversation.closed", 5)]["content"]["reason"] == "resolved"
    # The admin's view: every delivery done at the first attempt, with the answer's status.
    listed = await settled(http, world, created["id"], count=9)
    assert len(listed) == 9
    assert [d["id"] for d in listed] == sorted((x.delivery for x in got), reverse=True)
    for d in listed:
        assert d["status"] == "done"
        assert d["attempts"] == 1
        assert d["response_status"] == 200
        assert d["error"] is None
        assert isinstance(d["duration_ms"], int)
        assert d["next_attempt_at"] is None
        assert d["done_at"] >= d["created_at"]
    assert len(await deliveries(http, world, created["id"], limit=3)) == 3


async def test_only_the_subscribed_events_are_delivered(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = new_path()
    await create_endpoint(http, world.admin.token, receiver, path, ["conversation.assigned"])
    _visitor, _agent, cid = await open_conversation(http, connect, world)
    got = await receiver.wait(lambda g: len(g) >= 1, path)
    await receiver_quiet()
    got = receiver.received(path)
    assert [(x.event, x.body["data"]["conversation"]["id"]) for x in got] == [
        ("conversation.assigned", cid)
    ]


async def receiver_quiet(seconds: float = 0.6) -> None:
    """Long enough for the worker (polling every 50 ms) to have sent anything due."""
    await asyncio.sleep(seconds)


async def test_the_test_ping_is_delivered_and_listed(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    path = new_path()
    created = await create_endpoint(
        http, world.admin.token, receiver, path, ["message.created"], active=False
    )
    queued = await ping(http, world, created["id"])
    assert queued["event"] == "ping"
    assert queued["status"] == "pending"
    assert queued["attempts"] == 0
    # Sent although the endpoint is off: an admin tries a receiver before turning it on.
    (got,) = await receiver.wait(lambda g: len(g) == 1, path)
    check_signed(got, created["secret"])
    assert got.event == "ping"
    assert got.delivery == queued["id"]
    assert got.body["data"] == {"endpoint_id": created["id"], "text": "Huiliu test delivery"}
    (listed,) = await settled(http, world, created["id"])
    assert listed["id"] == queued["id"]
    assert listed["status"] == "done"
    assert listed["response_status"] == 200


async def test_retries_back_off_then_succeed_with_the_same_delivery_id(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    path = new_path()
    created = await create_endpoint(http, world.admin.token, receiver, path, ["message.created"])
    receiver.answer(path, 500, 429, TIMEOUT)  # then 200
    queued = await ping(http, world, created["id"])
    (done,) = await settled(http, world, created["id"], timeout=20)
    got = receiver.received(path)
    assert [x.answered for x in got] == [500, 429, TIMEOUT, 200]
    assert {x.delivery for x in got} == {queued["id"]}
    assert len({x.raw for x in got}) == 1  # the same body every time, signed every time
    for x in got:
        check_signed(x, created["secret"])
    # Exponential back-off with jitter (base 0.05 s in the tests): at least half of each
    # step; the timed-out attempt waited out the 1 s timeout first.
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert gaps[0] >= 0.025
    assert gaps[1] >= 0.05
    assert gaps[2] >= 1.0
    assert done["status"] == "done"
    assert done["attempts"] == 4
    assert done["response_status"] == 200
    assert done["error"] is None


async def test_a_4xx_answer_is_final(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    path = new_path()
    created = await create_endpoint(http, world.admin.token, receiver, path, ["message.created"])
    receiver.always(path, 410)
    await ping(http, world, created["id"])
    (failed,) = await settled(http, world, created["id"])
    await receiver_quiet()
    assert len(receiver.received(path)) == 1
    assert failed["status"] == "failed"
    assert failed["attempts"] == 1
    assert failed["response_status"] == 410
    assert failed["error"] == "HTTP 410: answered 410"
    assert failed["done_at"] is not None


async def test_a_delivery_is_dead_after_the_most_attempts(
    http: httpx.AsyncClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    path = new_path()
    created = await create_endpoint(http, world.admin.token, receiver, path, ["message.created"])
    receiver.always(path, 503)
    queued = await ping(http, world, created["id"])
    (dead,) = await settled(http, world, created["id"], timeout=20)
    await receiver_quiet()
    got = receiver.received(path)
    assert len(got) == settings.outbox_max_attempts == 5
    assert {x.delivery for x in got} == {queued["id"]}
    assert dead["status"] == "dead"
    assert dead["attempts"] == 5
    assert dead["response_status"] == 503
    assert dead["error"] == "HTTP 503: answered 503"


async def test_an_unreachable_receiver_is_retried(http: httpx.AsyncClient, world: World) -> None:
    from tests.services import free_port

    r = await http.post(
        "/api/v1/tenant/webhooks",
        json={"url": f"http://127.0.0.1:{free_port()}/nobody", "events": ["message.created"]},
        headers=bearer(world.admin.token),
    )
    endpoint_id = r.json()["id"]
    await ping(http, world, endpoint_id)
    (dead,) = await settled(http, world, endpoint_id, timeout=20)
    assert dead["status"] == "dead"
    assert dead["attempts"] == 5
    assert dead["response_status"] is None
    assert dead["error"].startswith("could not deliver: ConnectError")


async def test_a_disabled_endpoint_gets_nothing(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    on, off, born_off = new_path(), new_path(), new_path()
    await create_endpoint(http, world.admin.token, receiver, on, ["message.created"])
    turned_off = await create_endpoint(http, world.admin.token, receiver, off, ["message.created"])
    never_on = await create_endpoint(
        http, world.admin.token, receiver, born_off, ["message.created"], active=False
    )
    r = await http.patch(
        f"/api/v1/tenant/webhooks/{turned_off['id']}",
        json={"active": False},
        headers=bearer(world.admin.token),
    )
    assert r.json()["active"] is False
    await open_conversation(http, connect, world)  # opened, a text, assigned
    await receiver.wait(lambda g: len(g) >= 3, on)
    await receiver_quiet()
    assert receiver.received(off) == []
    assert receiver.received(born_off) == []
    assert await deliveries(http, world, turned_off["id"]) == []
    assert await deliveries(http, world, never_on["id"]) == []


# -- signing, unit -----------------------------------------------------------------------


async def test_signature_is_hmac_sha256_of_timestamp_dot_body(db: Database, world: World) -> None:
    """The one test with a mock transport: what the handler puts on the wire."""
    async with db.write() as session:
        endpoint = await webhooks_service.create(
            session,
            tenant_id=world.tenant_id,
            data=WebhookIn(url="https://hooks.example.com/huiliu", events=["message.created"]),
        )
        endpoint_id, secret = endpoint.id, endpoint.secret
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    from huiliu.db.base import utcnow

    job = Job(
        id=4242,
        tenant_id=world.tenant_id,
        kind="webhook",
        payload={"endpoint_id": endpoint_id, "event": "ping"},
        attempt=1,
        created_at=utcnow(),
    )
    settings = Settings(secret_key="0" * 32)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        outcome = await delivery.deliver(Context(db, client, settings), job)
    assert outcome.status == "done"
    assert outcome.result is not None
    assert outcome.result["response_status"] == 204
    (request,) = seen
    assert str(request.url) == "https://hooks.example.com/huiliu"
    body = request.content
    timestamp = request.headers["x-huiliu-timestamp"]
    assert request.headers["x-huiliu-signature"] == signed(secret, timestamp, body)
    assert request.headers["x-huiliu-delivery"] == "4242"
    assert request.headers["x-huiliu-event"] == "ping"
    # The verifier docs/webhooks.md gives merchants accepts it, and refuses a changed body.
    verify = docs_python_verifier()
    assert verify(secret, timestamp, request.headers["x-huiliu-signature"], body)
    assert not verify(secret, timestamp, request.headers["x-huiliu-signature"], body + b" ")
    old = str(int(timestamp) - 600)  # a recording replayed ten minutes later
    assert not verify(secret, old, signed(secret, old, body), body)


def docs_python_verifier() -> Any:
    """The Python verification snippet of docs/webhooks.md, run as it is printed."""
    text = DOCS.read_text()
    match = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert match is not None, "docs/webhooks.md has no Python snippet"
    scope: dict[str, Any] = {}
    exec(match.group(1), scope)
    return scope["verify_huiliu"]


async def test_a_delivery_for_a_disabled_or_deleted_endpoint_sends_nothing(
    db: Database, world: World
) -> None:
    """A delivery enqueued before its endpoint was turned off (or deleted) fails when its
    turn comes, without a request."""
    async with db.write() as session:
        endpoint = await webhooks_service.create(
            session,
            tenant_id=world.tenant_id,
            data=WebhookIn(
                url="https://hooks.example.com/huiliu", events=["message.created"], active=False
            ),
        )
        endpoint_id = endpoint.id
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    from huiliu.db.base import utcnow

    def job(endpoint: int, event: str) -> Job:
        payload = {"endpoint_id": endpoint, "event": event, "conversation_id": 1, "message_id": 1}
        return Job(1, world.tenant_id, "webhook", payload, 1, utcnow())

    settings = Settings(secret_key="0" * 32)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        ctx = Context(db, client, settings)
        off = await delivery.deliver(ctx, job(endpoint_id, "message.created"))
        gone = await delivery.deliver(ctx, job(endpoint_id + 10_000, "message.created"))
    assert (off.status, off.error) == ("failed", "the endpoint is disabled")
    assert (gone.status, gone.error) == ("failed", "the endpoint was deleted")
    assert seen == []


def test_the_node_verifier_in_the_docs_accepts_a_signature(tmp_path: Path) -> None:
    """The Node.js snippet of docs/webhooks.md, run by Node on a signature made here."""
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node on PATH is needed (CI=true: this test must run)")
        pytest.skip("node is not on PATH")
    match = re.search(r"```js\n(.*?)```", DOCS.read_text(), flags=re.S)
    assert match is not None, "docs/webhooks.md has no Node snippet"
    (tmp_path / "verify.js").write_text(match.group(1))
    secret, timestamp = "whsec_test", str(int(time.time()))
    body = '{"id":1,"event":"ping","data":{"text":"汇流"}}'.encode()
    good = signed(secret, timestamp, body)
    old = str(int(timestamp) - 600)
    script = f"""
const {{ verifyHuiliu }} = require({json.dumps(str(tmp_path / "verify.js"))});
const body = Buffer.from({json.dumps(body.decode())});
console.log(JSON.stringify([
  verifyHuiliu({json.dumps(secret)}, {json.dumps(timestamp)}, {json.dumps(good)}, body),
  verifyHuiliu({json.dumps(secret)}, {json.dumps(timestamp)}, {json.dumps(good)},
               Buffer.concat([body, Buffer.from(" ")])),
  verifyHuiliu("other", {json.dumps(timestamp)}, {json.dumps(good)}, body),
  verifyHuiliu({json.dumps(secret)}, {json.dumps(old)},
               {json.dumps(signed(secret, old, body))}, body),
]));
"""
    done = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, False, False, False]
