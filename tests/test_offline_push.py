"""The offline push: an agent's or the bot's message for a customer with no open socket on
any node sets off the merchant's `contact.offline_message` webhook, once, with what the app
needs to notify the right user; the message itself arrives when the app resumes."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
import pytest

from huiliu.tenants.service import identity_signature
from tests.clients import Connect, Socket, bearer, open_conversation, widget_session
from tests.factories import World
from tests.kb_data import enable_bot
from tests.receiver import Received, Receiver, create_endpoint
from tests.test_processes import StartServer, node_world, servers  # noqa: F401 (fixtures)

EVENTS = ["contact.offline_message", "message.created"]


def new_path() -> str:
    return "push-" + secrets.token_hex(4)


def pushes(got: list[Received]) -> list[Received]:
    return [r for r in got if r.event == "contact.offline_message"]


def created(got: list[Received], message_id: int) -> bool:
    """The message's own `message.created` arrived: its push, enqueued in the same
    transaction, would be due by now."""
    return any(
        r.event == "message.created" and r.body["data"]["message"]["id"] == message_id for r in got
    )


async def quiet() -> None:
    await asyncio.sleep(0.6)


async def agent_says(
    http: httpx.AsyncClient, world: World, cid: int, text: str, cmid: str
) -> dict[str, Any]:
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"client_msg_id": cmid, "content": {"type": "text", "text": text}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code in (200, 201), r.text
    ack: dict[str, Any] = r.json()
    return ack


async def test_a_customer_with_an_open_socket_gets_no_push(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = new_path()
    await create_endpoint(http, world.admin.token, receiver, path, EVENTS)
    visitor, _agent, cid = await open_conversation(http, connect, world)
    reply = await agent_says(http, world, cid, "您好，在的", "op-1")
    assert (await visitor.messages_until(cid, reply["seq"]))[-1]["id"] == reply["message_id"]
    await receiver.wait(lambda got: created(got, reply["message_id"]), path)
    await quiet()
    assert pushes(receiver.received(path)) == []


async def test_after_the_socket_closes_an_agents_message_is_pushed_once(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = new_path()
    await create_endpoint(http, world.admin.token, receiver, path, EVENTS)
    user_id = "u-" + secrets.token_hex(3)
    session = await widget_session(
        http,
        world.widget_key,
        identity={
            "user_id": user_id,
            "signature": identity_signature(world.identity_secret, user_id),
            "name": "王小明",
        },
    )
    visitor = await connect("visitor", session["visitor_token"])
    first = await visitor.send_text("我的快递到哪了", "op-2")
    cid = first["conversation_id"]
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    await visitor.close()
    await asyncio.sleep(0.2)  # the server has seen the socket go
    text = "您好，您的订单今天下午发货，预计明天送达。" * 8  # longer than a preview
    reply = await agent_says(http, world, cid, text, "op-3")
    got = await receiver.wait(lambda g: len(pushes(g)) >= 1, path)
    await quiet()
    got = pushes(receiver.received(path))
    assert len(got) == 1  # one push, one attempt
    push = got[0]
    assert push.valid
    assert push.body["event"] == "contact.offline_message"
    assert push.body["tenant_id"] == world.tenant_id
    assert push.body["data"] == {
        "conversation_id": cid,
        "message_id": reply["message_id"],
        "seq": reply["seq"],
        "sender": {"type": "agent", "id": world.agent.id},
        "content_type": "text",
        "preview": text[:99] + "…",
        "contact": {
            "id": session["contact_id"],
            "name": "王小明",
            "identities": [{"channel": "user", "external_id": user_id}],
        },
    }
    # The message itself is delivered when the app comes back and resumes.
    back = await connect("visitor", session["visitor_token"])
    await back.send({"type": "resume", "cursors": {str(cid): first["seq"]}})
    missed = await back.messages_until(cid, reply["seq"])
    assert missed[-1]["id"] == reply["message_id"]
    await back.recv_type("resumed")
    # Online again: the next message is not pushed.
    again = await agent_says(http, world, cid, "还有别的问题吗？", "op-4")
    await back.messages_until(cid, again["seq"])
    await receiver.wait(lambda g: created(g, again["message_id"]), path)
    await quiet()
    assert len(pushes(receiver.received(path))) == 1


async def test_the_bots_messages_to_a_customer_without_a_socket_are_pushed(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    path = new_path()
    await create_endpoint(http, world.admin.token, receiver, path, ["contact.offline_message"])
    await enable_bot(http, world, greeting="您好，我是小汇，请问有什么可以帮您？")
    # An app without a socket (REST only), e.g. sending from a background task.
    session = await widget_session(http, world.widget_key)
    r = await http.post(
        "/api/v1/conversations",
        json={"client_msg_id": "op-5", "content": {"type": "text", "text": "你好"}},
        headers=bearer(session["visitor_token"]),
    )
    assert r.status_code in (200, 201), r.text
    greeting = "您好，我是小汇，请问有什么可以帮您？"
    # Deliveries are not ordered (docs/webhooks.md): the answer to "你好" may come first.
    await receiver.wait(lambda g: greeting in {p.body["data"]["preview"] for p in pushes(g)}, path)
    got = pushes(receiver.received(path))
    assert {p.body["data"]["sender"]["type"] for p in got} == {"bot"}
    assert {p.body["data"]["contact"]["id"] for p in got} == {session["contact_id"]}
    assert {p.body["data"]["contact"]["identities"][0]["channel"] for p in got} == {"web"}
    # The customer's own message is never pushed to them.
    assert all(p.body["data"]["seq"] > 2 for p in got)


async def test_nobody_subscribed_means_no_push(
    http: httpx.AsyncClient, connect: Connect, world: World, receiver: Receiver
) -> None:
    path = new_path()
    await create_endpoint(http, world.admin.token, receiver, path, ["message.created"])
    visitor, _agent, cid = await open_conversation(http, connect, world)
    await visitor.close()
    await asyncio.sleep(0.2)
    reply = await agent_says(http, world, cid, "您好", "op-6")
    await receiver.wait(lambda got: created(got, reply["message_id"]), path)
    await quiet()
    assert pushes(receiver.received(path)) == []


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_customer_connected_to_another_node_counts_as_online(
    servers: StartServer,  # noqa: F811
    node_world: World,  # noqa: F811
    receiver: Receiver,
) -> None:
    loop = asyncio.get_running_loop()
    a, b = [
        await loop.run_in_executor(None, lambda: servers(HUILIU_OUTBOX_POLL_S="0.1"))
        for _ in range(2)
    ]
    world = node_world
    path = new_path()
    async with (
        httpx.AsyncClient(base_url=a.base_url) as http_a,
        httpx.AsyncClient(base_url=b.base_url) as http_b,
    ):
        await create_endpoint(http_a, world.admin.token, receiver, path, EVENTS)
        session = await widget_session(http_a, world.widget_key)
        visitor = await Socket.connect(a.ws_url, "visitor", session["visitor_token"])
        first = await visitor.send_text("在吗", "n-1")
        cid = first["conversation_id"]
        r = await http_b.post(
            f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token)
        )
        assert r.status_code == 200, r.text
        # The customer's socket is on node A; the agent writes through node B.
        reply = await agent_says(http_b, world, cid, "在的，请讲", "n-2")
        assert (await visitor.messages_until(cid, reply["seq"]))[-1]["id"] == reply["message_id"]
        await receiver.wait(lambda got: created(got, reply["message_id"]), path)
        await quiet()
        assert pushes(receiver.received(path)) == []
        # Gone from node A: node B's next message is pushed, once.
        await visitor.close()
        await asyncio.sleep(0.5)
        later = await agent_says(http_b, world, cid, "您还在吗？", "n-3")
        got = await receiver.wait(lambda g: len(pushes(g)) >= 1, path)
        await quiet()
        got = pushes(receiver.received(path))
        assert len(got) == 1
        assert got[0].body["data"]["message_id"] == later["message_id"]
        assert got[0].body["data"]["contact"]["id"] == session["contact_id"]
