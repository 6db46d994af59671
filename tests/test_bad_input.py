"""Bad input gets a clear error frame or 4xx, the socket stays usable, nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from huiliu.db import Database
from tests.clients import Connect, bearer, open_conversation
from tests.factories import World
from tests.test_messages import stored_seqs


def send(cid: Any, content: Any, client_msg_id: Any = "bad-1") -> dict[str, Any]:
    return {
        "type": "message.send",
        "client_msg_id": client_msg_id,
        "conversation_id": cid,
        "content": content,
    }


BAD_FRAMES: list[tuple[str, Any, str]] = [
    ("not json", "{nope", "invalid_json"),
    ("json array", "[1, 2]", "invalid_frame"),
    ("json string", '"hello"', "invalid_frame"),
    ("unknown type", {"type": "message.delete", "id": 1}, "unknown_type"),
    ("no type", {"client_msg_id": "x"}, "unknown_type"),
    (
        "missing client_msg_id",
        {"type": "message.send", "content": {"type": "text", "text": "x"}},
        "invalid_frame",
    ),
    ("missing content", {"type": "message.send", "client_msg_id": "x"}, "invalid_frame"),
    ("extra field", {**send(None, {"type": "text", "text": "x"}), "admin": True}, "invalid_frame"),
    ("id as string", send("{cid}", {"type": "text", "text": "x"}), "invalid_frame"),
    ("id as object", send({"id": 1}, {"type": "text", "text": "x"}), "invalid_frame"),
    ("id as list", send([1], {"type": "text", "text": "x"}), "invalid_frame"),
    ("id negative", send(-5, {"type": "text", "text": "x"}), "invalid_frame"),
    ("client_msg_id as number", send(None, {"type": "text", "text": "x"}, 7), "invalid_frame"),
    (
        "client_msg_id too long",
        send(None, {"type": "text", "text": "x"}, "x" * 65),
        "invalid_frame",
    ),
    ("text as number", send(None, {"type": "text", "text": 5}), "invalid"),
    ("empty text", send(None, {"type": "text", "text": ""}), "invalid"),
    ("content not object", send(None, "hello"), "invalid_frame"),
    ("unknown content type", send(None, {"type": "sticker", "id": 3}), "invalid"),
    ("event from a client", send(None, {"type": "event", "event": "closed"}), "invalid"),
    ("javascript url", send(None, {"type": "image", "url": "javascript:alert(1)"}), "invalid"),
    ("text too long", send(None, {"type": "text", "text": "字" * 5001}), "too_large"),
    (
        "card too large",
        send(
            None,
            {
                "type": "card",
                "card_type": "product",
                "title": "t",
                "url": "https://shop.example.com/p?" + "q" * 2000,
                "image_url": "https://img.example.com/i?" + "q" * 2000,
                "fields": [{"label": f"l{i}", "value": "v" * 200} for i in range(20)],
                "description": "d" * 1000,
            },
        ),
        "too_large",
    ),
    ("frame too large", {"type": "ping", "ts": 1, "pad": "x" * 70_000}, "too_large"),
    ("resume cursors not a map", {"type": "resume", "cursors": [1, 2]}, "invalid_frame"),
    ("resume negative cursor", {"type": "resume", "cursors": {"1": -1}}, "invalid_frame"),
    ("resume key not an id", {"type": "resume", "cursors": {"abc": 1}}, "invalid"),
    ("read seq as string", {"type": "read", "conversation_id": 1, "seq": "5"}, "invalid_frame"),
    (
        "typing bad state",
        {"type": "typing", "conversation_id": 1, "state": "maybe"},
        "invalid_frame",
    ),
]


@pytest.mark.parametrize(("case", "frame", "code"), BAD_FRAMES, ids=[c[0] for c in BAD_FRAMES])
async def test_bad_frame_gets_error_and_socket_stays_open(
    http: httpx.AsyncClient,
    connect: Connect,
    world: World,
    db: Database,
    case: str,
    frame: Any,
    code: str,
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    before = await stored_seqs(db, cid)
    if isinstance(frame, dict):
        if frame.get("conversation_id") is None and frame.get("type") == "message.send":
            frame["conversation_id"] = cid
        if frame.get("conversation_id") == "{cid}":
            frame["conversation_id"] = str(cid)
        raw = json.dumps(frame)
    else:
        raw = frame
    await visitor.send(raw)
    error = await visitor.recv_type("error")
    assert error["code"] == code, (case, error)
    assert error["detail"]
    # Nothing stored, and the same socket still works.
    assert await stored_seqs(db, cid) == before
    ack = await visitor.send_text("还在", "after-bad", conversation_id=cid)
    assert ack["type"] == "ack"
    assert ack["seq"] == before[-1] + 1


async def test_send_error_carries_the_client_msg_id(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    reply = await visitor.send_text("x" * 6000, "too-long-1", conversation_id=cid)
    assert reply == {
        "type": "error",
        "code": "too_large",
        "detail": "text is 6000 characters; the limit is 5000",
        "client_msg_id": "too-long-1",
        "field": "content.text",
    }


async def test_binary_frame_that_is_not_utf8_is_an_error(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, _cid = await open_conversation(http, connect, world)
    await visitor.ws.send(b"\xff\xfe\x00")
    assert (await visitor.recv_type("error"))["code"] == "invalid_json"


async def test_agent_must_name_the_conversation(connect: Connect, world: World) -> None:
    agent = await connect("agent", world.agent.token)
    reply = await agent.send_text("hello", "no-conv")
    assert reply["code"] == "invalid"
    assert reply["field"] == "conversation_id"


async def test_closed_conversation_refuses_new_messages_but_answers_resends(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    first = await visitor.send_text("最后一句", "last-1", conversation_id=cid)
    r = await http.post(
        f"/api/v1/conversations/{cid}/close",
        json={"reason": "resolved"},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "closed"
    assert await visitor.send_text("最后一句", "last-1", conversation_id=cid) == first
    reply = await visitor.send_text("还有问题", "late-1", conversation_id=cid)
    assert reply["code"] == "conversation_closed"
    # Without a conversation id the visitor gets a fresh conversation.
    fresh = await visitor.send_text("还有问题", "late-2")
    assert fresh["type"] == "ack"
    assert fresh["conversation_id"] != cid


REST_BAD: list[tuple[str, str, str, Any, int]] = [
    ("malformed json", "POST", "/api/v1/conversations/{cid}/messages", "{not json", 422),
    ("id not a number", "GET", "/api/v1/conversations/abc", None, 422),
    ("negative after_seq", "GET", "/api/v1/conversations/{cid}/messages?after_seq=-1", None, 422),
    ("limit too big", "GET", "/api/v1/conversations/{cid}/messages?limit=100000", None, 422),
    (
        "both cursors",
        "GET",
        "/api/v1/conversations/{cid}/messages?after_seq=1&before_seq=3",
        None,
        422,
    ),
    ("content not object", "POST", "/api/v1/conversations/{cid}/messages", {"content": "hi"}, 422),
    (
        "extra field",
        "POST",
        "/api/v1/conversations/{cid}/messages",
        {"content": {"type": "text", "text": "x"}, "x": 1},
        422,
    ),
    (
        "text too long",
        "POST",
        "/api/v1/conversations/{cid}/messages",
        {"content": {"type": "text", "text": "x" * 5001}},
        413,
    ),
    (
        "client_msg_id object",
        "POST",
        "/api/v1/conversations/{cid}/messages",
        {"client_msg_id": {"a": 1}, "content": {"type": "text", "text": "x"}},
        422,
    ),
    ("unknown status", "GET", "/api/v1/conversations?status=maybe", None, 422),
    ("login wrong types", "POST", "/api/v1/auth/login", {"email": ["a"], "password": 1}, 422),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "body", "status"), REST_BAD, ids=[c[0] for c in REST_BAD]
)
async def test_bad_rest_input_is_4xx_with_clear_message(
    http: httpx.AsyncClient,
    connect: Connect,
    world: World,
    db: Database,
    case: str,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    _visitor, _agent, cid = await open_conversation(http, connect, world)
    before = await stored_seqs(db, cid)
    headers = bearer(world.agent.token)
    if isinstance(body, str):
        r = await http.request(
            method,
            path.format(cid=cid),
            content=body,
            headers={**headers, "content-type": "application/json"},
        )
    else:
        r = await http.request(method, path.format(cid=cid), json=body, headers=headers)
    assert r.status_code == status, (case, r.text)
    payload = r.json()
    assert payload["code"], payload
    assert payload["detail"], payload
    assert await stored_seqs(db, cid) == before
