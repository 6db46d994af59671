"""The bot in conversations, through the API and real sockets: greeting and menu at once,
the three bands, every handoff trigger with its summary, votes, the learning loop and
suggested answers for agents."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.clients import Connect, Socket, bearer, widget_session
from tests.factories import World
from tests.kb_data import enable_bot, fill_kb

_ids = itertools.count()


async def start(
    http: httpx.AsyncClient, connect: Connect, world: World, text: str
) -> tuple[Socket, int]:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text(text, f"m{next(_ids)}")
    assert ack["type"] == "ack", ack
    return visitor, ack["conversation_id"]


async def say(visitor: Socket, cid: int, text: str, button_id: str | None = None) -> None:
    content: dict[str, Any] = {"type": "text", "text": text}
    if button_id:
        content["button_id"] = button_id
    cmid = f"m{next(_ids)}"
    await visitor.send(
        {"type": "message.send", "client_msg_id": cmid, "conversation_id": cid, "content": content}
    )
    assert (await visitor.reply_to(cmid))["type"] == "ack"


async def next_from(visitor: Socket, sender: str, timeout: float = 10.0) -> dict[str, Any]:
    """The next message from ``sender`` (bot, system, agent) on the socket."""
    while True:
        message = (await visitor.recv_type("message.new", timeout))["message"]
        if message["sender"]["type"] == sender:
            return message


async def make_group(http: httpx.AsyncClient, world: World, members: list[int]) -> int:
    r = await http.post(
        "/api/v1/groups",
        json={"name": f"售后 {next(_ids)}", "is_default": True, "member_ids": members},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_greeting_and_menu_the_instant_a_conversation_opens(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await enable_bot(
        http,
        world,
        name="小汇",
        menu=[
            {
                "id": "ship",
                "label": "物流问题",
                "action": "submenu",
                "children": [
                    {
                        "id": "ship-time",
                        "label": "发货时间",
                        "action": "answer",
                        "text": "48 小时内发货",
                    },
                ],
            },
            {"id": "human", "label": "人工客服", "action": "handoff"},
        ],
    )
    visitor, cid = await start(http, connect, world, "你好")
    greeting = await next_from(visitor, "bot")
    assert greeting["content"]["type"] == "text"
    assert "小汇" in greeting["content"]["text"]
    assert "机器人" in greeting["content"]["text"]
    menu = await next_from(visitor, "bot")
    assert menu["content"]["type"] == "menu"
    assert [b["id"] for b in menu["content"]["buttons"]] == ["menu:ship", "menu:human"]
    assert menu["seq"] == greeting["seq"] + 1
    # The conversation waits in no queue while the bot serves it.
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    assert r.json()["with_bot"] is True
    assert r.json()["assignee_id"] is None
    # A sub-menu, then a fixed answer.
    await say(visitor, cid, "物流问题", "menu:ship")
    sub = await next_from(visitor, "bot")
    while sub["content"]["type"] != "menu" or sub["content"].get("text") != "物流问题":
        sub = await next_from(visitor, "bot")
    assert sub["content"]["buttons"] == [{"id": "menu:ship-time", "label": "发货时间"}]
    await say(visitor, cid, "发货时间", "menu:ship-time")
    assert (await next_from(visitor, "bot"))["content"] == {"type": "text", "text": "48 小时内发货"}


async def test_answers_suggests_and_says_it_does_not_know(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    ids = await fill_kb(http, world)
    await enable_bot(http, world, handoff_after_unknown=0)
    visitor, cid = await start(http, connect, world, "退款要多久才能到账")
    await next_from(visitor, "bot")  # greeting
    answer = await next_from(visitor, "bot")
    assert answer["content"]["type"] == "answer"
    assert answer["content"]["entry_id"] == ids["退款多久到账"]
    assert answer["content"]["parts"][0]["type"] == "text"
    assert answer["content"]["feedback"] is True

    await say(visitor, cid, "今天天气怎么样，适合去爬山吗")
    reply = await next_from(visitor, "bot")
    assert reply["content"]["type"] in ("text", "menu")  # never an answer
    await say(visitor, cid, "who won the football match yesterday")
    unknown = await next_from(visitor, "bot")
    assert unknown["content"]["type"] == "text"
    assert "没有理解" in unknown["content"]["text"]

    # A "did you mean" menu: tapping a candidate answers it.
    await say(visitor, cid, "地址", button_id=None)
    suggestion = await next_from(visitor, "bot")
    if suggestion["content"]["type"] == "menu":
        buttons = suggestion["content"]["buttons"]
        assert buttons[-1] == {"id": "handoff", "label": "转人工"}
        kb_button = buttons[0]
        await say(visitor, cid, kb_button["label"], kb_button["id"])
        picked = await next_from(visitor, "bot")
        assert picked["content"]["type"] == "answer"
        assert f"kb:{picked['content']['entry_id']}" == kb_button["id"]
    else:  # confident enough to answer outright
        assert suggestion["content"]["entry_id"] == ids["怎么修改收货地址"]
    r = await http.get(
        f"/api/v1/kb/entries/{ids['退款多久到账']}", headers=bearer(world.admin.token)
    )
    assert r.json()["hit_count"] == 1


async def agents_summary(http: httpx.AsyncClient, world: World, handoff: dict[str, Any]) -> str:
    """The handoff's summary as agents read it; the customer's copy has none."""
    assert "summary" not in handoff["content"]
    r = await http.get(
        f"/api/v1/conversations/{handoff['conversation_id']}/messages",
        headers=bearer(world.supervisor.token),
    )
    stored = next(m for m in r.json()["messages"] if m["id"] == handoff["id"])
    summary: str = stored["content"]["summary"]
    return summary


async def test_asking_for_a_person_hands_over_at_once_with_a_summary(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await fill_kb(http, world)
    group = await make_group(http, world, [world.agent.id])
    await enable_bot(http, world)
    agent = await connect("agent", world.agent.token)
    visitor, cid = await start(http, connect, world, "怎么开发票")
    await next_from(visitor, "bot")
    assert (await next_from(visitor, "bot"))["content"]["type"] == "answer"
    await say(visitor, cid, "我要转人工！")
    assert (await next_from(visitor, "bot"))["content"]["text"].startswith("正在为您转接")
    handoff = await next_from(visitor, "system")
    content = handoff["content"]
    assert content["event"] == "handoff"
    assert content["to_group_id"] == group
    summary = await agents_summary(http, world, handoff)
    assert "客户要求人工服务" in summary
    assert "怎么开发票" in summary
    assert "我要转人工！" in summary
    assigned = await next_from(visitor, "system")
    assert assigned["content"] == {
        "type": "event",
        "event": "assigned",
        "account_id": world.agent.id,
        "account_name": "Agent 2",  # the customer is told who serves them
    }
    # The agent saw the summary, and the bot is silent from now on.
    seen = []
    while not any(m["content"].get("event") == "assigned" for m in seen):
        seen.append((await agent.recv_type("message.new"))["message"])
    assert any(m["content"].get("event") == "handoff" for m in seen)
    await say(visitor, cid, "退款多久到账")
    assert [
        f
        for f in await visitor.silent(0.5)
        if f["type"] == "message.new" and f["message"]["sender"]["type"] == "bot"
    ] == []


async def test_handoff_words_in_other_forms(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    from huiliu.bot.actions import asks_for_person
    from huiliu.bot.settings import DEFAULT_HANDOFF_WORDS as words

    for text in [
        "人工",
        "转人工",
        "人工客服!",
        "我要人工",
        "找人工客服谢谢",
        "human",
        "Agent please",
        "I want to talk to a human",
        "真人",
    ]:
        assert asks_for_person(text, words), text
    for text in ["人工智能是什么", "退款多久到账", "agent fee for shipping", "humanity"]:
        assert not asks_for_person(text, words), text


async def test_two_dont_knows_in_a_row_hand_over_and_nobody_online_is_told(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await fill_kb(http, world)
    for agent in world.agents:
        r = await http.put(
            "/api/v1/me/status", json={"status": "offline"}, headers=bearer(agent.token)
        )
        assert r.status_code == 200
    await make_group(http, world, [a.id for a in world.agents])
    await enable_bot(http, world, handoff_after_unknown=2)
    visitor, cid = await start(http, connect, world, "who won the football match yesterday")
    await next_from(visitor, "bot")  # greeting
    assert "没有理解" in (await next_from(visitor, "bot"))["content"]["text"]
    await say(visitor, cid, "what is the capital of peru")
    assert (await next_from(visitor, "bot"))["content"]["text"].startswith("正在为您转接")
    handoff = await next_from(visitor, "system")
    assert "连续 2 次未能回答" in await agents_summary(http, world, handoff)
    told = await next_from(visitor, "bot")
    assert "没有客服在线" in told["content"]["text"]
    # … with a button to leave a message (the widget opens its form on it).
    assert told["content"]["type"] == "menu"
    assert [b["id"] for b in told["content"]["buttons"]] == ["leave_message"]
    r = await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    assert r.json()["with_bot"] is False
    assert r.json()["assignee_id"] is None


async def test_votes_count_once_and_an_unhelpful_one_hands_over(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    ids = await fill_kb(http, world)
    await make_group(http, world, [world.agent.id])
    await enable_bot(http, world)
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("怎么取消订单", "v1")
    cid = ack["conversation_id"]
    await next_from(visitor, "bot")
    answer = await next_from(visitor, "bot")
    url = f"/api/v1/conversations/{cid}/messages/{answer['id']}/vote"
    me = bearer(session["visitor_token"])
    stranger = await widget_session(http, world.widget_key)
    r = await http.post(url, json={"helpful": False}, headers=bearer(stranger["visitor_token"]))
    assert r.status_code == 404
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages/{ack['message_id']}/vote",
        json={"helpful": True},
        headers=me,
    )
    assert r.status_code == 404  # not an answer of the bot
    r = await http.post(url, json={"helpful": False}, headers=me)
    assert r.status_code == 204, r.text
    r = await http.post(url, json={"helpful": True}, headers=me)
    assert r.status_code == 409
    assert r.json()["code"] == "already_voted"
    handoff = await next_from(visitor, "system")
    assert handoff["content"]["event"] == "handoff"
    assert "没有帮助" in await agents_summary(http, world, handoff)
    entry = (
        await http.get(
            f"/api/v1/kb/entries/{ids['怎么取消订单']}", headers=bearer(world.admin.token)
        )
    ).json()
    assert (entry["helpful_count"], entry["unhelpful_count"]) == (0, 1)
    # The learning loop lists the question whose answer did not help.
    groups = (await http.get("/api/v1/kb/unanswered", headers=bearer(world.admin.token))).json()
    assert any(
        i["text"] == "怎么取消订单" and i["reason"] == "unhelpful"
        for g in groups
        for i in g["items"]
    )


async def test_unanswered_questions_group_and_become_an_entry_in_one_action(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await fill_kb(http, world)
    await enable_bot(http, world, handoff_after_unknown=0)
    visitor, cid = await start(http, connect, world, "你们支持货到付款吗")
    await next_from(visitor, "bot")
    await next_from(visitor, "bot")
    for text in ["支持货到付款吗", "能货到付款吗？"]:
        await say(visitor, cid, text)
        await next_from(visitor, "bot")
    admin = bearer(world.admin.token)
    groups = (await http.get("/api/v1/kb/unanswered", headers=admin)).json()
    cod = next(g for g in groups if any("货到付款" in i["text"] for i in g["items"]))
    assert cod["count"] == 3
    body = {
        "ids": [i["id"] for i in cod["items"]],
        "entry": {
            "question": "支持货到付款吗",
            "similar": [i["text"] for i in cod["items"]],
            "answer": [{"type": "text", "text": "暂不支持货到付款。"}],
        },
    }
    r = await http.post("/api/v1/kb/unanswered/resolve", json=body, headers=admin)
    assert r.status_code == 200, r.text
    groups = (await http.get("/api/v1/kb/unanswered", headers=admin)).json()
    assert not any("货到付款" in i["text"] for g in groups for i in g["items"])
    # The bot answers it from the very next question.
    await say(visitor, cid, "可以货到付款吗")
    answer = await next_from(visitor, "bot")
    assert answer["content"]["type"] == "answer"
    assert answer["content"]["question"] == "支持货到付款吗"


async def test_agents_get_suggested_answers_for_the_customers_message(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    ids = await fill_kb(http, world)
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    cid = (await visitor.send_text("你好", "s1"))["conversation_id"]
    agent = await connect("agent", world.agent.token)
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    ack = await visitor.send_text("我的发票怎么开呀", "s2", cid)
    frame = await agent.recv_type("suggestions")
    assert frame["conversation_id"] == cid
    assert frame["seq"] == ack["seq"]
    assert frame["message_id"] == ack["message_id"]
    assert len(frame["suggestions"]) == 3
    top = frame["suggestions"][0]
    assert top["entry_id"] == ids["怎么开发票"]
    assert top["answer"][0]["text"].startswith("在订单详情页")
    # The customer never sees them.
    assert not [f for f in await visitor.silent(0.3) if f["type"] == "suggestions"]


async def test_an_agent_who_claims_a_bot_conversation_takes_it_over(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    await fill_kb(http, world)
    await enable_bot(http, world)
    visitor, cid = await start(http, connect, world, "怎么开发票")
    await next_from(visitor, "bot")
    await next_from(visitor, "bot")
    r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert r.status_code == 200, r.text
    assert r.json()["with_bot"] is False
    assert r.json()["assignee_id"] == world.agent.id
    await say(visitor, cid, "退款多久到账")
    frames = await visitor.silent(0.5)
    assert not [
        f for f in frames if f["type"] == "message.new" and f["message"]["sender"]["type"] == "bot"
    ]


async def test_bot_settings_are_checked(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    bad = [
        {"enabled": True, "answer_threshold": 0.2, "suggest_threshold": 0.5},
        {"menu": [{"id": "a", "label": "A", "action": "answer"}]},
        {"menu": [{"id": "a", "label": "A", "action": "answer", "entry_id": 999999}]},
        {
            "menu": [
                {"id": "a", "label": "A", "action": "handoff"},
                {"id": "a", "label": "B", "action": "handoff"},
            ]
        },
    ]
    for body in bad:
        r = await http.put("/api/v1/tenant/bot", json=body, headers=admin)
        assert r.status_code == 422, (body, r.text)
    r = await http.put(
        "/api/v1/tenant/bot", json={"enabled": True}, headers=bearer(world.agent.token)
    )
    assert r.status_code == 403
    r = await http.get("/api/v1/tenant/bot", headers=bearer(world.supervisor.token))
    assert r.json()["enabled"] is False
