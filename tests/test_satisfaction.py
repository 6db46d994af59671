"""Satisfaction surveys end to end, on both backends: per-tenant settings (checked), each
trigger (an agent's close, the idle close, an agent's request) asks once and only when the
settings say so; each channel carries it — the widget's buttons over HTTP, a reply with a
number on WeChat and SMS (which opens nothing and never reaches the bot), a link to the
rating page in e-mail over a real SMTP conversation; bad answers get a clear 4xx; the
supervisors' list filters the results."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from huiliu.channels.plaintext import survey_text
from huiliu.channels.weibo.adapter import replies as weibo_replies
from huiliu.config import Settings
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.satisfaction.models import Survey
from huiliu.satisfaction.replies import parse
from tests.clients import Connect, Socket, bearer, open_conversation, widget_session
from tests.conftest import make_settings, module_backend
from tests.factories import World
from tests.fake_twilio import FakeTwilio, inbound_params
from tests.fake_twilio import push as sms_push
from tests.fake_wechat import FakeWechat, message_xml
from tests.server import ThreadServer
from tests.services import Backend, free_port
from tests.test_channel_email import Sink, mail, make_account, send
from tests.test_channel_email import conversation_of as mail_conversation_of
from tests.test_channel_sms import number, sms_account
from tests.test_channel_wechat import fan, push, wechat_account
from tests.test_routing import backdate, make_group, set_routing


@pytest.fixture(scope="module")
def settings(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """This module's settings: the embedded SMTP server on (the e-mail survey), on a
    database of the module's own where the session's server would get in the way."""
    own = module_backend(backend, tmp_path_factory.mktemp("satisfaction"), "satisfaction")
    return make_settings(own, smtp_port=free_port())


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ThreadServer]:
    """This module's server."""
    srv = ThreadServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    s = Sink()
    s.controller.start()
    yield s
    s.controller.stop()


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


# -- helpers ----------------------------------------------------------------------------------


async def put_settings(http: httpx.AsyncClient, world: World, **settings: Any) -> dict[str, Any]:
    r = await http.put(
        "/api/v1/tenant/satisfaction", json=settings, headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def survey(http: httpx.AsyncClient, token: str, cid: int) -> httpx.Response:
    return await http.get(f"/api/v1/conversations/{cid}/survey", headers=bearer(token))


async def answer(http: httpx.AsyncClient, token: str, cid: int, **body: Any) -> httpx.Response:
    return await http.post(
        f"/api/v1/conversations/{cid}/survey/answer", json=body, headers=bearer(token)
    )


async def request(http: httpx.AsyncClient, token: str, cid: int) -> httpx.Response:
    return await http.post(f"/api/v1/conversations/{cid}/survey", headers=bearer(token))


async def close(http: httpx.AsyncClient, token: str, cid: int) -> None:
    r = await http.post(
        f"/api/v1/conversations/{cid}/close", json={"reason": "已解决"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text


async def served(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> tuple[Socket, str, int]:
    """A widget customer's conversation an agent claimed and answered: (their socket, their
    token, the conversation)."""
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    cid = (await visitor.send_text("我的快递到哪了", "s-1"))["conversation_id"]
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "明天送到"}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    return visitor, session["visitor_token"], cid


async def survey_message(sock: Socket, cid: int) -> dict[str, Any]:
    while True:
        message = (await sock.recv_type("message.new"))["message"]
        if message["conversation_id"] == cid and message["content"]["type"] == "survey":
            return message


async def contents(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    r = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200, r.text
    return [m["content"] for m in r.json()["messages"]]


async def expire(db: Database, cid: int) -> None:
    """The fake clock: the survey was asked 25 hours ago (its 24-hour window has ended)."""
    asked = utcnow() - timedelta(hours=25)
    async with db.write() as session:
        await session.execute(
            update(Survey)
            .where(Survey.conversation_id == cid)
            .values(asked_at=asked, expires_at=asked + timedelta(hours=24))
        )


async def wait_for(check: Any, timeout: float = 10) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


# -- settings ---------------------------------------------------------------------------------


async def test_settings_have_chinese_defaults_until_an_admin_saves_them(
    http: httpx.AsyncClient, world: World
) -> None:
    r = await http.get("/api/v1/tenant/satisfaction", headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text
    defaults = r.json()
    assert defaults["enabled"] is True
    assert defaults["scale"] == 5
    assert defaults["labels"] == ["非常不满意", "不满意", "一般", "满意", "非常满意"]
    assert "回复慢" in defaults["tags"]["1"]
    assert defaults["answer_window_h"] == 24
    assert defaults["ask_on"] == {"agent_close": True, "timeout_close": True, "request": True}
    assert defaults["ask_bot_only"] is False
    saved = await put_settings(http, world, scale=3, tags={"1": ["回复慢", "没解决问题"]})
    assert saved["labels"] == ["不满意", "一般", "满意"]
    assert saved["tags"] == {"1": ["回复慢", "没解决问题"]}
    again = await http.get("/api/v1/tenant/satisfaction", headers=bearer(world.admin.token))
    assert again.json() == saved
    two = await put_settings(http, world, scale=2)
    assert two["labels"] == ["不满意", "满意"]
    # Roles without settings.manage (the built-in agent and supervisor) read nothing here
    # and do not write.
    for who in (world.agent, world.supervisor):
        r = await http.get("/api/v1/tenant/satisfaction", headers=bearer(who.token))
        assert r.status_code == 403
    r = await http.put(
        "/api/v1/tenant/satisfaction", json={"scale": 3}, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 403


async def test_bad_settings_are_refused_with_a_clear_error_and_change_nothing(
    http: httpx.AsyncClient, world: World
) -> None:
    saved = await put_settings(http, world, scale=3)
    for body, words in [
        ({"scale": 4}, "2, 3 or 5"),
        ({"scale": 3, "labels": ["差", "好"]}, "needs 3 labels, 2 given"),
        ({"scale": 2, "labels": ["差", "中", "好"]}, "needs 2 labels, 3 given"),
        ({"scale": 3, "tags": {"4": ["回复慢"]}}, "4 is not a point of the 1–3 scale"),
        ({"tags": {"1": ["回复慢", "回复慢"]}}, "lists a tag twice"),
        ({"labels": ["", "b", "c", "d", "e"]}, "at least 1 character"),
        ({"answer_window_h": 0}, "greater than or equal to 1"),
        ({"prompt": "评" * 201}, "at most 200"),
        ({"ask_on": {"on_close": True}}, "Extra inputs"),
        ({"stars": 5}, "Extra inputs"),
    ]:
        r = await http.put(
            "/api/v1/tenant/satisfaction", json=body, headers=bearer(world.admin.token)
        )
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "invalid"
        assert words in r.json()["detail"], (body, r.json())
    r = await http.get("/api/v1/tenant/satisfaction", headers=bearer(world.admin.token))
    assert r.json() == saved


# -- triggers ---------------------------------------------------------------------------------


async def test_an_agents_close_asks_the_widget_customer_once_with_buttons(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, token, cid = await served(http, connect, world)
    await close(http, world.agent.token, cid)
    message = await survey_message(visitor, cid)
    assert message["sender"] == {"type": "system", "id": None}
    content = message["content"]
    assert content["scale"] == 5
    assert [o["label"] for o in content["options"]] == [
        "非常不满意",
        "不满意",
        "一般",
        "满意",
        "非常满意",
    ]
    assert content["prompt"] == "感谢您的咨询，请对本次服务进行评价。"
    assert content["comment"] is True
    r = await survey(http, token, cid)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["id"] == content["survey_id"]
    assert (got["state"], got["trigger"], got["via"]) == ("open", "agent_close", "buttons")
    assert got["agent_id"] == world.agent.id
    assert got["channel"] == "web"
    assert "token" not in got
    # Once: asking again (by hand) is refused.
    r = await request(http, world.agent.token, cid)
    assert (r.status_code, r.json()["code"]) == (409, "already_asked")
    assert [c["type"] for c in await contents(http, world, cid)].count("survey") == 1


async def test_nothing_is_asked_while_surveys_or_the_trigger_are_off(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await put_settings(http, world, enabled=False)
    _visitor, token, cid = await served(http, connect, world)
    await close(http, world.agent.token, cid)
    r = await survey(http, token, cid)
    assert (r.status_code, r.json()["code"]) == (404, "no_survey")
    assert "survey" not in [c["type"] for c in await contents(http, world, cid)]

    await put_settings(http, world, ask_on={"agent_close": False, "request": False})
    _visitor, token, cid = await served(http, connect, world)
    r = await request(http, world.agent.token, cid)
    assert (r.status_code, r.json()["code"]) == (409, "surveys_off")
    await close(http, world.agent.token, cid)
    r = await survey(http, token, cid)
    assert (r.status_code, r.json()["code"]) == (404, "no_survey")


async def test_a_conversation_no_person_served_is_asked_only_when_the_settings_say_so(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    async def unserved() -> tuple[str, int]:
        session = await widget_session(http, world.widget_key)
        visitor = await connect("visitor", session["visitor_token"])
        cid = (await visitor.send_text("在吗", "u-1"))["conversation_id"]
        return session["visitor_token"], cid

    await make_group(http, world, members=[], strategy="manual")  # nobody takes it
    token, cid = await unserved()
    await close(http, world.supervisor.token, cid)
    r = await survey(http, token, cid)
    assert r.status_code == 404
    await put_settings(http, world, ask_bot_only=True)
    token, cid = await unserved()
    await close(http, world.supervisor.token, cid)
    r = await survey(http, token, cid)
    assert r.status_code == 200, r.text
    assert (r.json()["agent_id"], r.json()["trigger"]) == (None, "agent_close")


async def test_an_idle_close_asks_with_the_timeout_trigger_only_while_it_is_on(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    await set_routing(http, world, idle_close_s=600)
    await make_group(http, world, members=[a.id for a in world.agents])

    async def idle_closed() -> tuple[Socket, str, int]:
        session = await widget_session(http, world.widget_key)
        visitor = await connect("visitor", session["visitor_token"])
        cid = (await visitor.send_text("你好，在吗", "i-1"))["conversation_id"]
        while True:  # routing and the idle sweep run on the server's clock: wait generously
            content = (await visitor.recv_type("message.new", timeout=30))["message"]["content"]
            if content.get("event") == "assigned":
                break
        await backdate(db, cid, last_message_at=601)
        while True:
            content = (await visitor.recv_type("message.new", timeout=30))["message"]["content"]
            if content.get("event") == "closed":
                return visitor, session["visitor_token"], cid

    visitor, token, cid = await idle_closed()
    message = await survey_message(visitor, cid)
    r = await survey(http, token, cid)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["trigger"]) == (
        message["content"]["survey_id"],
        "timeout_close",
    )

    await put_settings(http, world, ask_on={"timeout_close": False})
    _visitor, token, cid = await idle_closed()
    r = await survey(http, token, cid)  # the close and any survey commit together
    assert (r.status_code, r.json()["code"]) == (404, "no_survey")


async def test_an_agent_asks_during_the_chat_once_and_the_close_asks_no_more(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, token, cid = await served(http, connect, world)
    other = world.agents[1]
    r = await request(http, other.token, cid)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")  # not theirs to see
    r = await request(http, token, cid)
    assert r.status_code == 403  # a customer does not ask themself
    r = await request(http, world.agent.token, cid)
    assert r.status_code == 201, r.text
    assert (r.json()["trigger"], r.json()["state"]) == ("request", "open")
    message = await survey_message(visitor, cid)
    assert message["content"]["survey_id"] == r.json()["id"]
    r = await request(http, world.agent.token, cid)
    assert (r.status_code, r.json()["code"]) == (409, "already_asked")
    # The customer answers while the chat is still open; the close then asks nothing.
    r = await answer(http, token, cid, score=5)
    assert r.status_code == 200, r.text
    await close(http, world.agent.token, cid)
    assert [c["type"] for c in await contents(http, world, cid)].count("survey") == 1
    r = await request(http, world.supervisor.token, cid)
    assert (r.status_code, r.json()["code"]) == (409, "already_rated")
    r = await request(http, world.supervisor.token, 10**9)
    assert r.status_code == 404


# -- the widget's buttons ---------------------------------------------------------------------


async def test_the_widget_customer_answers_over_http_and_agents_see_it(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, token, cid = await served(http, connect, world)
    supervisor = await connect("agent", world.supervisor.token)
    await close(http, world.agent.token, cid)
    await survey_message(visitor, cid)
    r = await answer(http, token, cid, score=4, tags=["回复及时"], comment="  很耐心  ")
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["state"], got["score"], got["label"]) == ("answered", 4, "满意")
    assert (got["tags"], got["comment"]) == (["回复及时"], "很耐心")
    while True:
        frame = await supervisor.recv_type("conversation.updated")
        if frame["conversation"]["id"] == cid and frame["conversation"]["rating_score"]:
            break
    assert frame["conversation"]["rating_comment"] == "很耐心"
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    assert (r.json()["rating_score"], r.json()["rating_comment"]) == (4, "很耐心")
    assert r.json()["rated_at"] is not None
    r = await survey(http, world.agent.token, cid)
    assert (r.json()["score"], r.json()["tags"]) == (4, ["回复及时"])
    r = await answer(http, token, cid, score=1)
    assert (r.status_code, r.json()["code"]) == (409, "already_rated")
    r = await survey(http, token, cid)
    assert r.json()["score"] == 4


async def test_bad_answers_get_a_clear_4xx_and_store_nothing(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World, db: Database
) -> None:
    await put_settings(http, world, scale=3, tags={"1": ["回复慢"], "3": ["态度很好"]})
    visitor, token, cid = await served(http, connect, world)
    await close(http, world.agent.token, cid)
    await survey_message(visitor, cid)
    for body, status, words in [
        ({"score": 0}, 422, "greater than or equal to 1"),
        ({"score": 4}, 422, "1 … 3 on this 3-point survey"),
        ({"score": "3"}, 422, "valid integer"),
        ({"score": 3, "tags": ["回复慢"]}, 422, "not a tag offered for 满意"),
        ({"score": 2, "tags": ["态度很好"]}, 422, "offered: none"),
        ({"score": 3, "comment": "好" * 501}, 422, "at most 500"),
        ({"score": 3, "stars": 3}, 422, "Extra inputs"),
        ({}, 422, "score"),
    ]:
        r = await answer(http, token, cid, **body)
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["detail"], (body, r.json())
    # Only the conversation's customer answers it.
    stranger = (await widget_session(http, world.widget_key))["visitor_token"]
    r = await answer(http, stranger, cid, score=3)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    other = (await widget_session(http, other_world.widget_key))["visitor_token"]
    r = await answer(http, other, cid, score=3)
    assert r.status_code == 404
    r = await answer(http, world.agent.token, cid, score=3)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await survey(http, token, cid)
    assert (r.json()["state"], r.json()["score"]) == ("open", None)
    # Too late.
    await expire(db, cid)
    r = await answer(http, token, cid, score=3)
    assert (r.status_code, r.json()["code"]) == (410, "survey_expired")
    assert "24 hours" in r.json()["detail"]
    r = await survey(http, token, cid)
    assert r.json()["state"] == "expired"
    conv = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    assert conv.json()["rating_score"] is None

    # No comment where the survey takes none; no survey at all.
    await put_settings(http, world, scale=3, comment=False)
    visitor, token, cid = await served(http, connect, world)
    await close(http, world.agent.token, cid)
    await survey_message(visitor, cid)
    r = await answer(http, token, cid, score=2, comment="还行")
    assert (r.status_code, r.json()["field"]) == (422, "comment")
    r = await answer(http, token, cid, score=2)
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "一般"
    _visitor, _agent, open_cid = await open_conversation(http, connect, world)
    r = await survey(http, world.supervisor.token, open_cid)
    assert (r.status_code, r.json()["code"]) == (404, "no_survey")


async def test_the_old_rating_route_answers_the_survey_on_its_scale(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await put_settings(http, world, scale=3)
    visitor, token, cid = await served(http, connect, world)
    await close(http, world.agent.token, cid)
    await survey_message(visitor, cid)
    r = await http.post(
        f"/api/v1/conversations/{cid}/rating", json={"score": 5}, headers=bearer(token)
    )
    assert (r.status_code, r.json()["field"]) == (422, "score")
    r = await http.post(
        f"/api/v1/conversations/{cid}/rating",
        json={"score": 3, "comment": "好"},
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["rating_score"], r.json()["rating_comment"]) == (3, "好")
    r = await survey(http, token, cid)
    assert (r.json()["score"], r.json()["label"], r.json()["tags"]) == (3, "满意", [])


# -- WeChat: reply with a number --------------------------------------------------------------


async def test_a_wechat_reply_with_a_number_answers_the_survey_and_opens_nothing(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    r = await push(http, to, message_xml(to.appid, openid, "text", Content="衣服尺码不对"))
    assert r.status_code == 200, r.text
    stored = await wait_for(lambda: _stored_events(http, world, account))
    cid = stored[0]["conversation_id"]
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "可以换货"}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    await close(http, world.agent.token, cid)
    got = await wechat.wait(lambda s: any("请回复数字" in x.text for x in s), openid)
    ask = next(x for x in got if "请回复数字" in x.text)
    assert ask.msgtype == "text"
    assert "5 非常满意" in ask.text

    r = await push(http, to, message_xml(to.appid, openid, "text", Content="5 很好"))
    assert r.status_code == 200, r.text
    result = (await survey(http, world.supervisor.token, cid)).json()
    assert (result["state"], result["score"], result["comment"]) == ("answered", 5, "很好")
    assert result["via"] == "reply"
    await wechat.wait(lambda s: any("感谢您的评价" in x.text for x in s), openid)
    # The reply and the thanks are in the surveyed conversation; nothing new was opened.
    texts = [c.get("text") for c in await contents(http, world, cid) if c["type"] == "text"]
    assert texts[-2:] == ["5 很好", "感谢您的评价，祝您生活愉快！"]
    events = await _stored_events(http, world, account)
    assert {e["conversation_id"] for e in events} == {cid}
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    ).json()
    assert (conv["status"], conv["rating_score"]) == ("closed", 5)

    # Any other text is a normal message: a new conversation.
    r = await push(http, to, message_xml(to.appid, openid, "text", Content="还有个问题"))
    assert r.status_code == 200
    events = await _stored_events(http, world, account)
    assert len({e["conversation_id"] for e in events}) == 2


async def _stored_events(
    http: httpx.AsyncClient, world: World, account: dict[str, Any]
) -> list[dict[str, Any]]:
    r = await http.get(
        f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
    )
    found = [e for e in r.json() if e["direction"] == "inbound" and e["status"] == "stored"]
    return sorted(found, key=lambda e: e["id"])


# -- SMS --------------------------------------------------------------------------------------


async def test_an_sms_reply_of_2_answers_a_3_point_survey(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    await put_settings(http, world, scale=3)
    account = await sms_account(http, world, twilio)
    customer = number()
    r = await sms_push(http, account["inbound_url"], inbound_params(customer, "发票怎么开"))
    assert r.status_code == 200, r.text
    cid = (await _stored_events(http, world, account))[0]["conversation_id"]
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    await close(http, world.agent.token, cid)
    got = await twilio.wait(
        lambda s: any("请回复数字 1-3" in x.form["Body"] for x in s), to=customer
    )
    body = next(x.form["Body"] for x in got if "请回复数字" in x.form["Body"])
    assert body.splitlines()[1:4] == ["1 不满意", "2 一般", "3 满意"]

    r = await sms_push(http, account["inbound_url"], inbound_params(customer, "2"))
    assert r.status_code == 200, r.text
    result = (await survey(http, world.supervisor.token, cid)).json()
    assert (result["score"], result["label"], result["comment"]) == (2, "一般", None)
    await twilio.wait(lambda s: any("感谢您的评价" in x.form["Body"] for x in s), to=customer)
    assert {e["conversation_id"] for e in await _stored_events(http, world, account)} == {cid}

    # Once answered, a number is just a message.
    r = await sms_push(http, account["inbound_url"], inbound_params(customer, "3"))
    assert r.status_code == 200
    later = await _stored_events(http, world, account)
    assert later[-1]["conversation_id"] != cid
    assert {"type": "text", "text": "3"} in await contents(
        http, world, later[-1]["conversation_id"]
    )


async def test_a_text_that_is_not_an_answer_goes_on_as_a_message(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    customer = number()
    await sms_push(http, account["inbound_url"], inbound_params(customer, "在吗"))
    cid = (await _stored_events(http, world, account))[0]["conversation_id"]
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    await close(http, world.agent.token, cid)
    await twilio.wait(lambda s: any("请回复数字" in x.form["Body"] for x in s), to=customer)
    r = await sms_push(http, account["inbound_url"], inbound_params(customer, "2个小时了还没到"))
    assert r.status_code == 200
    events = await _stored_events(http, world, account)
    assert events[-1]["conversation_id"] != cid  # a new conversation
    assert (await survey(http, world.supervisor.token, cid)).json()["state"] == "open"
    # The customer moved on: a number now belongs to the new conversation, not the survey.
    await sms_push(http, account["inbound_url"], inbound_params(customer, "5"))
    assert (await survey(http, world.supervisor.token, cid)).json()["state"] == "open"


async def test_offered_tags_named_in_a_reply_count_as_picked(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    await put_settings(http, world, comment=False)  # the tags still count, the words do not
    account = await sms_account(http, world, twilio)
    customer = number()
    await sms_push(http, account["inbound_url"], inbound_params(customer, "退货地址是哪里"))
    cid = (await _stored_events(http, world, account))[0]["conversation_id"]
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    await close(http, world.agent.token, cid)
    got = await twilio.wait(lambda s: any("请回复数字" in x.form["Body"] for x in s), to=customer)
    body = next(x.form["Body"] for x in got if "请回复数字" in x.form["Body"])
    assert body.endswith("请回复数字 1-5 进行评价。")  # no comment asked for
    r = await sms_push(http, account["inbound_url"], inbound_params(customer, "1 态度不好，回复慢"))
    assert r.status_code == 200, r.text
    result = (await survey(http, world.supervisor.token, cid)).json()
    assert (result["score"], result["tags"], result["comment"]) == (1, ["回复慢", "态度不好"], None)


def test_replies_are_read_as_a_number_and_a_comment() -> None:
    assert parse("5") == (5, None)
    assert parse(" 5 很好 ") == (5, "很好")
    assert parse("５，态度很好") == (5, "态度很好")
    assert parse("4分") == (4, None)
    assert parse("1 星 回复慢") == (1, "回复慢")
    assert parse("3.") == (3, None)
    assert parse("2个小时了") is None
    # After a survey, a quantity is a customer writing, not a rating.
    for text in ["3分钟前下的单还没发货", "1-2天能到吗", "2 件衣服都破了", "2 天了"]:
        assert parse(text) is None, text
    assert parse("4分 还行") == (4, "还行")
    assert parse("5颗星") == (5, None)
    assert parse("很好") is None
    assert parse("123") is None
    text = survey_text(
        {
            "prompt": "请评价",
            "comment": False,
            "options": [{"score": 1, "label": "不满意"}, {"score": 2, "label": "满意"}],
        }
    )
    assert text == "请评价\n1 不满意\n2 满意\n请回复数字 1-2 进行评价。"
    # Weibo's replies and SMS carry the same text.
    content = {"type": "survey", "prompt": "请评价", "comment": False, "options": []}
    content["options"] = [{"score": 1, "label": "不满意"}, {"score": 2, "label": "满意"}]
    assert weibo_replies(content) == [("text", {"text": text})]


# -- e-mail: the rating page ------------------------------------------------------------------


async def test_an_email_survey_links_to_the_rating_page_which_takes_the_answer_once(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink, db: Database
) -> None:
    account = await make_account(http, world, server, sink)
    customer = f"wang-{secrets.token_hex(3)}@customer.example"
    first = mail(account["config"]["address"], customer)
    await send(server, first)
    cid = await mail_conversation_of(http, world, account, first["Message-ID"])
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    await close(http, world.agent.token, cid)
    [asked] = await sink.wait(customer)
    assert asked["Subject"] == "Re: 订单 1234 还没到"
    plain = asked.get_body(("plain",))
    assert plain is not None
    links = re.findall(r"(http://\S+/rate/[A-Za-z0-9_-]{43})(\?score=\d)?", plain.get_content())
    assert links, plain.get_content()
    link = links[-1][0]
    assert link.startswith(server.base_url)
    assert [f"?score={n}" for n in range(1, 6)] == [s for _, s in links[:5]]
    path = link.removeprefix(server.base_url)

    page = await http.get(path, params={"score": "4"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "非常满意" in page.text
    assert 'value="4" checked' in page.text
    assert "回复及时" in page.text

    # A bad answer shows the form again with the reason.
    for form, words in [
        ({"score": "9"}, "请选择页面上的一个评分"),
        ({"comment": "好"}, "请先选择一个评分"),
        ({"score": "4", "tags_4": "不存在的原因"}, "请只选择页面上列出的原因"),
        ({"score": "4", "comment": "好" * 501}, "最多 500 字"),
    ]:
        r = await http.post(path, data=form)
        assert r.status_code == 422, (form, r.text)
        assert words in r.text, form
    r = await http.post(path, data={"score": "4", "tags_4": "回复及时", "comment": "发货很快"})
    assert r.status_code == 200, r.text
    assert "感谢您的评价" in r.text
    result = (await survey(http, world.supervisor.token, cid)).json()
    assert (result["score"], result["tags"], result["comment"]) == (4, ["回复及时"], "发货很快")
    assert result["via"] == "link"
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.agent.token))
    ).json()
    assert conv["rating_score"] == 4

    again = await http.post(path, data={"score": "1"})
    assert again.status_code == 409
    assert "已经评价过" in again.text
    looked = await http.get(path)
    assert looked.status_code == 200
    assert "满意" in looked.text
    unknown = await http.get("/rate/" + "x" * 43)
    assert unknown.status_code == 404
    assert "评价链接无效" in unknown.text
    assert (await http.post("/rate/short", data={"score": "1"})).status_code == 404
    # A digit that is not ASCII ("²".isdigit() is true, int("²") fails) is a bad form, not a 500.
    assert (await http.get(path, params={"score": "²"})).status_code < 500
    assert (await http.post(path, data={"score": "²"})).status_code < 500

    # Another conversation's survey, after its window closed.
    second = mail(account["config"]["address"], customer, subject="又一个问题")
    await send(server, second)
    cid2 = await mail_conversation_of(http, world, account, second["Message-ID"])
    await http.post(f"/api/v1/conversations/{cid2}/claim", headers=bearer(world.agent.token))
    await close(http, world.agent.token, cid2)
    mails = await sink.wait(customer, count=2)
    plain = mails[-1].get_body(("plain",))
    assert plain is not None
    path2 = re.findall(r"(/rate/[A-Za-z0-9_-]{43})", plain.get_content())[-1]
    await expire(db, cid2)
    r = await http.get(path2)
    assert r.status_code == 410
    assert "评价已过期" in r.text
    r = await http.post(path2, data={"score": "5"})
    assert r.status_code == 410


# -- results ----------------------------------------------------------------------------------


async def test_supervisors_list_the_results_with_filters(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, token, answered_cid = await served(http, connect, world)
    await close(http, world.agent.token, answered_cid)
    await survey_message(visitor, answered_cid)
    assert (await answer(http, token, answered_cid, score=2, tags=["回复慢"])).status_code == 200
    visitor, _token, open_cid = await served(http, connect, world)
    await close(http, world.agent.token, open_cid)
    await survey_message(visitor, open_cid)

    async def listed(**params: Any) -> dict[str, Any]:
        r = await http.get(
            "/api/v1/satisfaction/surveys", params=params, headers=bearer(world.supervisor.token)
        )
        assert r.status_code == 200, r.text
        page: dict[str, Any] = r.json()
        return page

    everything = await listed()
    assert everything["total"] == 2
    assert [s["conversation_id"] for s in everything["surveys"]] == [open_cid, answered_cid]
    row = everything["surveys"][1]
    assert (row["score"], row["label"], row["tags"]) == (2, "不满意", ["回复慢"])
    assert row["agent_name"] == "Agent 2"
    assert row["contact_id"]
    assert [s["conversation_id"] for s in (await listed(answered="true"))["surveys"]] == [
        answered_cid
    ]
    assert (await listed(answered="false"))["total"] == 1
    assert (await listed(score=[1, 2]))["total"] == 1
    assert (await listed(score=5))["total"] == 0
    assert (await listed(agent_id=world.agent.id, channel="web"))["total"] == 2
    assert (await listed(agent_id=world.agents[1].id))["total"] == 0
    soon = (utcnow() + timedelta(hours=1)).isoformat()
    assert (await listed(since=soon))["total"] == 0
    assert (await listed(until=soon, per_page=1, page=2))["surveys"][0]["conversation_id"] == (
        answered_cid
    )
    for params, field in [
        ({"score": 6}, "score"),
        ({"since": soon, "until": soon}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"per_page": 500}, "per_page"),
    ]:
        r = await http.get(
            "/api/v1/satisfaction/surveys", params=params, headers=bearer(world.supervisor.token)
        )
        assert r.status_code == 422, (params, r.text)
        assert field in r.text
    r = await http.get("/api/v1/satisfaction/surveys", headers=bearer(world.agent.token))
    assert r.status_code == 403
