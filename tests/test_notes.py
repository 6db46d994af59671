"""Internal notes: accounts who may see a conversation write and read them; they reach
account sockets as note.new, never a customer's; they take no seq and are never resumed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.clients import Connect, Socket, bearer, widget_session
from tests.factories import World


async def chat(
    http: httpx.AsyncClient, connect: Connect, world: World, *, claim: bool = True
) -> tuple[str, Socket, int]:
    """A customer's conversation (claimed by the first agent): their token, socket, id."""
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    await visitor.send({"type": "resume", "cursors": {}})
    cid = (await visitor.send_text("我的快递丢了", "c-1"))["conversation_id"]
    if claim:
        r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
        assert r.status_code == 200, r.text
    return session["visitor_token"], visitor, cid


async def write(http: httpx.AsyncClient, token: str, cid: int, text: str) -> httpx.Response:
    return await http.post(
        f"/api/v1/conversations/{cid}/notes", json={"text": text}, headers=bearer(token)
    )


async def notes(http: httpx.AsyncClient, token: str, cid: int) -> list[dict[str, Any]]:
    r = await http.get(f"/api/v1/conversations/{cid}/notes", headers=bearer(token))
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


async def test_a_note_is_placed_after_the_newest_message_and_listed_in_order(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _token, _visitor, cid = await chat(http, connect, world)
    last_seq = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    ).json()["last_seq"]
    r = await write(http, world.agent.token, cid, "  客户很着急，先查物流  ")
    assert r.status_code == 201, r.text
    note = r.json()
    assert set(note) == {
        "id",
        "conversation_id",
        "author_id",
        "author_name",
        "text",
        "after_seq",
        "created_at",
    }
    assert note["conversation_id"] == cid
    assert (note["author_id"], note["author_name"]) == (world.agent.id, "Agent 2")
    assert note["text"] == "客户很着急，先查物流"
    assert note["after_seq"] == last_seq
    second = (await write(http, world.supervisor.token, cid, "已联系快递公司")).json()
    assert second["author_name"] == "Supervisor 1"
    assert [n["id"] for n in await notes(http, world.agent.token, cid)] == [
        note["id"],
        second["id"],
    ]
    # Notes are not messages: the log and its seq did not move.
    page = (
        await http.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(world.agent.token))
    ).json()
    assert page["last_seq"] == last_seq
    assert all(m["content"]["type"] != "note" for m in page["messages"])


async def test_note_new_reaches_accounts_that_see_the_conversation_and_never_the_customer(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    token, visitor, cid = await chat(http, connect, world)
    serving = await connect("agent", world.agent.token)
    supervisor = await connect("agent", world.supervisor.token)
    colleague = await connect("agent", world.agents[1].token)
    for sock in (serving, supervisor, colleague):
        await sock.send({"type": "resume", "cursors": {}})
        await sock.recv_type("resumed")
    await visitor.silent(0.3)  # what the claim sent
    note = (await write(http, world.supervisor.token, cid, "VIP 客户，优先处理")).json()
    for sock in (serving, supervisor):
        frame = await sock.recv_type("note.new")
        assert frame == {"type": "note.new", "note": note}
    # The colleague may not see the conversation (it is the first agent's), the customer
    # never sees notes; a message sent afterwards still reaches the customer, in order.
    assert [f for f in await colleague.silent(0.4) if f["type"] == "note.new"] == []
    ack = await serving.send_text("正在为您查询", "a-1", conversation_id=cid)
    got = await visitor.messages_until(cid, ack["seq"])
    assert [f for f in visitor.inbox if f["type"] == "note.new"] == []
    assert [f for f in await visitor.silent(0.3) if f["type"] == "note.new"] == []
    assert got[-1]["content"]["text"] == "正在为您查询"
    # Resuming from zero replays messages only.
    again = await connect("visitor", token)
    await again.send({"type": "resume", "cursors": {str(cid): 0}})
    await again.recv_type("resumed")
    assert all(f["type"] != "note.new" for f in again.inbox)


async def test_notes_on_a_waiting_conversation_reach_every_agent(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    _token, _visitor, cid = await chat(http, connect, world, claim=False)
    colleague = await connect("agent", world.agents[1].token)
    r = await write(http, world.agent.token, cid, "这个客户昨天来过")
    assert r.status_code == 201, r.text
    assert (await colleague.recv_type("note.new"))["note"]["id"] == r.json()["id"]


async def test_customers_and_strangers_find_no_notes(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World
) -> None:
    token, _visitor, cid = await chat(http, connect, world)
    await write(http, world.agent.token, cid, "内部备注")
    path = f"/api/v1/conversations/{cid}/notes"
    for who in (token, other_world.supervisor.token, world.agents[1].token):
        r = await http.get(path, headers=bearer(who))
        assert r.status_code == 404, r.text
        assert r.json() == {"code": "not_found", "detail": "conversation not found"}
        r = await http.post(path, json={"text": "偷偷写"}, headers=bearer(who))
        assert r.status_code == 404, r.text
    assert (await http.get(path)).status_code == 401
    assert [n["text"] for n in await notes(http, world.supervisor.token, cid)] == ["内部备注"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n "},
        {"text": "字" * 5001},
        {"text": 5},
        {"text": "ok", "pinned": True},
        {},
    ],
)
async def test_a_bad_note_is_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, connect: Connect, world: World, body: dict[str, Any]
) -> None:
    _token, _visitor, cid = await chat(http, connect, world)
    r = await http.post(
        f"/api/v1/conversations/{cid}/notes", json=body, headers=bearer(world.agent.token)
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid"
    assert await notes(http, world.agent.token, cid) == []


async def test_a_note_on_an_unknown_conversation_is_not_found(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await write(http, world.agent.token, 10**9, "x")
    assert r.status_code == 404
