"""What agents write for each other inside system events — a transfer's note, the bot's
handoff summary — reaches agents and never the customer: not live, not on resume, not over
REST."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from huiliu.conversations.access import customer_view
from huiliu.conversations.schemas import MessageOut, Sender
from tests.clients import Connect, Socket, bearer
from tests.factories import World
from tests.test_routing import arrive, assigned_to, make_group

NOTE = "老客户，上次退款有纠纷，语气注意"


async def transferred_event(sock: Socket, cid: int) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = (await sock.recv_type("message.new"))["message"]
        if message["conversation_id"] == cid and message["content"].get("event") == "transferred":
            return message


async def test_a_transfer_note_reaches_the_agents_and_never_the_customer(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    a, b = world.agents
    await make_group(http, world, members=[a.id, b.id])
    visitor, cid, session = await arrive(http, connect, world)
    first = await assigned_to(visitor, cid)
    other = b if first == a.id else a
    serving = a if first == a.id else b
    colleague = await connect("agent", other.token)
    await colleague.send({"type": "resume", "cursors": {}})

    r = await http.post(
        f"/api/v1/conversations/{cid}/transfer",
        json={"agent_id": other.id, "note": NOTE},
        headers=bearer(serving.token),
    )
    assert r.status_code == 200, r.text

    live_customer = await transferred_event(visitor, cid)
    live_agent = await transferred_event(colleague, cid)
    assert live_agent["content"]["note"] == NOTE
    assert "note" not in live_customer["content"]
    assert live_customer["content"]["event"] == "transferred"
    assert live_customer["seq"] == live_agent["seq"]

    # Resuming from scratch on a new socket, and reading over REST, show the same.
    again = await connect("visitor", session["visitor_token"])
    await again.send({"type": "resume", "cursors": {str(cid): 0}})
    resumed = await transferred_event(again, cid)
    assert "note" not in resumed["content"]
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(session["visitor_token"])
    )
    assert NOTE not in page.text
    agents_page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(other.token)
    )
    assert NOTE in agents_page.text


def test_the_customer_view_drops_the_handoff_summary_and_keeps_the_rest() -> None:
    message = MessageOut(
        id=1,
        conversation_id=2,
        seq=3,
        sender=Sender(type="system"),
        content={
            "type": "event",
            "event": "handoff",
            "reason": "客户要求人工服务",
            "summary": "1. 客户：…",
        },
        created_at=datetime.now(UTC),
    )
    shown = customer_view(message)
    assert shown.content == {"type": "event", "event": "handoff", "reason": "客户要求人工服务"}
    assert "summary" in message.content  # the stored message is untouched
    text = message.model_copy(update={"content": {"type": "text", "text": "note summary"}})
    assert customer_view(text) is text
