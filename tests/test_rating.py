"""Satisfaction ratings over the first route (``POST /conversations/{id}/rating``), kept for
clients written before surveys: the conversation's customer rates it once, after it closed,
as an answer to its survey (docs/satisfaction.md; tests/test_satisfaction.py for the
rest); agents see the rating on the conversation (REST and conversation.updated); the
assigned event names the agent for the customer."""

from __future__ import annotations

from typing import Any

import httpx

from tests.clients import Connect, bearer, open_conversation, widget_session
from tests.factories import World


async def rate(http: httpx.AsyncClient, token: str, cid: int, **body: Any) -> httpx.Response:
    return await http.post(f"/api/v1/conversations/{cid}/rating", json=body, headers=bearer(token))


async def closed_conversation(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> tuple[str, int]:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    cid = (await visitor.send_text("我的快递到哪了", "r-1"))["conversation_id"]
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    token = session["visitor_token"]
    r = await rate(http, token, cid, score=5)
    assert r.status_code == 409
    assert r.json()["code"] == "not_closed"
    r = await http.post(
        f"/api/v1/conversations/{cid}/close",
        json={"reason": "问题已解决"},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 200, r.text
    return token, cid


async def test_the_customer_rates_a_closed_conversation_once_and_agents_see_it(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    token, cid = await closed_conversation(http, connect, world)
    supervisor = await connect("agent", world.supervisor.token)
    r = await rate(http, token, cid, score=4, comment="  回复很快，谢谢  ")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rating_score"], body["rating_comment"]) == (4, "回复很快，谢谢")
    assert body["rated_at"] is not None
    assert body["status"] == "closed"
    frame = await supervisor.recv_type("conversation.updated")
    assert frame["conversation"]["rating_score"] == 4
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    assert (r.json()["rating_score"], r.json()["rating_comment"]) == (4, "回复很快，谢谢")
    # Once only.
    r = await rate(http, token, cid, score=1)
    assert r.status_code == 409
    assert r.json()["code"] == "already_rated"
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    assert r.json()["rating_score"] == 4


async def test_a_comment_is_optional_and_a_blank_one_is_none(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    token, cid = await closed_conversation(http, connect, world)
    r = await rate(http, token, cid, score=1, comment="   ")
    assert r.status_code == 200, r.text
    assert (r.json()["rating_score"], r.json()["rating_comment"]) == (1, None)


async def test_bad_ratings_are_refused_with_a_clear_error(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    token, cid = await closed_conversation(http, connect, world)
    for body, words in [
        ({"score": 0}, "greater than or equal to 1"),
        ({"score": 6}, "less than or equal to 5"),
        ({"score": "5"}, "valid integer"),
        ({"score": 4.5}, "valid integer"),
        ({}, "score"),
        ({"score": 3, "comment": "好" * 501}, "500"),
        ({"score": 3, "stars": 3}, "Extra inputs"),
    ]:
        r = await rate(http, token, cid, **body)
        assert r.status_code == 422, body
        assert r.json()["code"] == "invalid"
        assert words in r.json()["detail"], (body, r.json())
    # Nothing was stored by the refused ones.
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    assert r.json()["rating_score"] is None


async def test_only_the_conversations_customer_rates_it(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World
) -> None:
    _token, cid = await closed_conversation(http, connect, world)
    stranger = (await widget_session(http, world.widget_key))["visitor_token"]
    r = await rate(http, stranger, cid, score=5)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    other = (await widget_session(http, other_world.widget_key))["visitor_token"]
    r = await rate(http, other, cid, score=5)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await rate(http, world.agent.token, cid, score=5)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await rate(http, world.supervisor.token, 10**9, score=5)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_the_assigned_event_names_the_agent_for_the_customer(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    message = (await visitor.recv_type("message.new"))["message"]
    while message["content"].get("event") != "assigned":
        message = (await visitor.recv_type("message.new"))["message"]
    assert message["conversation_id"] == cid
    assert message["content"]["account_id"] == world.agent.id
    assert message["content"]["account_name"] == "Agent 2"


async def test_a_conversation_the_customer_closed_unasked_is_rated_as_their_own_survey(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    async def closed_by_customer() -> tuple[str, int]:
        session = await widget_session(http, world.widget_key)
        visitor = await connect("visitor", session["visitor_token"])
        cid = (await visitor.send_text("不用了，谢谢", "c-1"))["conversation_id"]
        token = session["visitor_token"]
        r = await http.post(f"/api/v1/conversations/{cid}/close", headers=bearer(token))
        assert r.status_code == 200, r.text
        r = await http.get(f"/api/v1/conversations/{cid}/survey", headers=bearer(token))
        assert (r.status_code, r.json()["code"]) == (
            404,
            "no_survey",
        )  # a customer's close asks nothing
        return token, cid

    token, cid = await closed_by_customer()
    r = await rate(http, token, cid, score=2, comment="还可以")
    assert r.status_code == 200, r.text
    assert r.json()["rating_score"] == 2
    r = await http.get(f"/api/v1/conversations/{cid}/survey", headers=bearer(world.agent.token))
    assert (r.json()["trigger"], r.json()["score"], r.json()["label"]) == ("customer", 2, "不满意")
    # With surveys off, nothing is taken.
    r = await http.put(
        "/api/v1/tenant/satisfaction", json={"enabled": False}, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    token, cid = await closed_by_customer()
    r = await rate(http, token, cid, score=5)
    assert (r.status_code, r.json()["code"]) == (409, "surveys_off")
