"""The Weibo channel end to end against a fake Weibo on loopback: the fan-service URL
verification, pushed messages signed as Weibo signs them becoming conversations, agents'
replies through the reply API with their delivery state, Weibo's 48-hour reply window, and
forged, repeated or malformed pushes storing nothing."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from huiliu.channels.weibo.api import signature
from tests.clients import bearer
from tests.factories import World
from tests.fake_weibo import (
    ACCESS_TOKEN,
    APP_SECRET,
    FakeWeibo,
    push,
    signed_query,
    text_push,
)
from tests.kb_data import enable_bot


@pytest.fixture(scope="module")
def weibo() -> Iterator[FakeWeibo]:
    fake = FakeWeibo()
    fake.start()
    yield fake
    fake.stop()


def uid() -> str:
    return str(1_000_000_000 + secrets.randbelow(9 * 10**9))


async def weibo_account(
    http: httpx.AsyncClient, world: World, fake: FakeWeibo, **config: Any
) -> dict[str, Any]:
    merchant = uid()
    r = await http.post(
        "/api/v1/tenant/channels",
        json={
            "type": "weibo",
            "name": "官方微博",
            "config": {
                "uid": merchant,
                "app_secret": APP_SECRET,
                "access_token": ACCESS_TOKEN,
                "api_base": fake.base_url,
                **config,
            },
        },
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    account["uid"] = merchant
    return account


async def events(http: httpx.AsyncClient, world: World, account: dict[str, Any]) -> list[Any]:
    r = await http.get(
        f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
    )
    result: list[Any] = r.json()
    return result


async def messages(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    """The conversation's messages, without the system's events."""
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    return [m for m in page.json()["messages"] if m["content"]["type"] != "event"]


async def opened(
    http: httpx.AsyncClient, world: World, account: dict[str, Any], fan: str, text: str
) -> int:
    r = await push(http, account["inbound_url"], text_push(account["uid"], fan, text))
    assert r.status_code == 200, r.text
    stored = [e for e in await events(http, world, account) if e["status"] == "stored"]
    cid: int = stored[-1]["conversation_id"]
    claim = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    assert claim.status_code == 200, claim.text
    return cid


async def delivery(http: httpx.AsyncClient, world: World, cid: int) -> dict[str, Any]:
    for _ in range(150):
        states = (
            await http.get(
                f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
            )
        ).json()
        if states and states[-1]["status"] != "pending":
            state: dict[str, Any] = states[-1]
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"the delivery stayed pending: {states}")


def test_the_signature_matches_weibos_documented_example() -> None:
    # https://open.weibo.com/wiki/Messages_api_start, "验证URL有效性"
    assert (
        signature("xyz123xyz", "1397022061823", "57155157")
        == "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
    )


async def test_the_url_verification_answers_echostr_only_when_signed(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    assert sorted(account["secrets_set"]) == ["access_token", "app_secret"]
    url = account["inbound_url"]
    ok = await http.get(url, params={**signed_query(), "echostr": "dnPdpTZz85"})
    assert ok.status_code == 200
    assert ok.text == "dnPdpTZz85"
    bad = await http.get(url, params={**signed_query("wrong-secret"), "echostr": "dnPdpTZz85"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "bad_signature"


async def test_a_fans_message_opens_a_conversation_and_the_agents_reply_goes_out(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    fan = uid()
    cid = await opened(http, world, account, fan, "优惠券怎么用")
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    ).json()
    assert conv["channel"] == "weibo"
    assert [m["content"] for m in await messages(http, world, cid)] == [
        {"type": "text", "text": "优惠券怎么用"}
    ]
    weibo.answer(fan, weibo.error(403, 10023, "User requests out of rate limit!"))  # passing
    reply = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "结算时选择优惠券即可"}},
        headers=bearer(world.agent.token),
    )
    assert reply.status_code == 201, reply.text
    got = await weibo.wait(lambda r: any(x.answered == 200 for x in r), fan)
    assert [x.answered for x in got] == [403, 200]
    sent = got[-1]
    assert sent.form["type"] == "text"
    assert sent.data == {"text": "结算时选择优惠券即可"}
    assert sent.form["access_token"] == ACCESS_TOKEN
    assert sent.form["save_sender_box"] == "1"
    assert await delivery(http, world, cid) == {
        "message_id": reply.json()["message_id"],
        "status": "sent",
        "error": None,
    }
    # A product card goes out as Weibo's articles, a location as its position.
    card = {
        "type": "card",
        "card_type": "product",
        "title": "保温杯",
        "url": "https://shop.example.com/p/1",
        "image_url": "https://shop.example.com/p/1.jpg",
        "price": "¥99",
    }
    await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": card},
        headers=bearer(world.agent.token),
    )
    await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "location", "lat": 39.98, "lng": 116.3, "name": "门店"}},
        headers=bearer(world.agent.token),
    )
    got = await weibo.wait(lambda r: len(r) == 4, fan)
    by_type = {x.form["type"]: x for x in got[2:]}  # the outbox may send them in any order
    assert by_type["articles"].data == {
        "articles": [
            {
                "display_name": "保温杯",
                "summary": "¥99",
                "image": "https://shop.example.com/p/1.jpg",
                "url": "https://shop.example.com/p/1",
            }
        ]
    }
    assert by_type["position"].data == {"longitude": "116.3", "latitude": "39.98"}


async def test_the_same_push_twice_is_stored_once_and_two_texts_in_one_second_twice(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    fan, at = uid(), "Mon Jul 16 18:09:20 +0800 2012"
    body = text_push(account["uid"], fan, "在吗", created_at=at)
    assert (await push(http, account["inbound_url"], body)).status_code == 200
    assert (await push(http, account["inbound_url"], body)).status_code == 200
    # Weibo has no message id; a second text within the same second is not a retry.
    next_one = text_push(account["uid"], fan, "有人吗", created_at=at)
    assert (await push(http, account["inbound_url"], next_one)).status_code == 200
    logged = await events(http, world, account)
    assert len(logged) == 2
    cid = logged[0]["conversation_id"]
    texts = [m["content"]["text"] for m in await messages(http, world, cid)]
    assert texts == ["在吗", "有人吗"]


async def test_a_forged_push_is_refused_logged_and_stores_nothing(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo, caplog: pytest.LogCaptureFixture
) -> None:
    account = await weibo_account(http, world, weibo)
    body = text_push(account["uid"], uid(), "中奖了，点链接")
    with caplog.at_level(logging.WARNING, logger="huiliu.channels.weibo.api"):
        forged = await push(http, account["inbound_url"], body, app_secret="guessed-secret")
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    assert any("bad signature" in r.getMessage() for r in caplog.records)
    unsigned = await http.post(account["inbound_url"], json=body)
    assert unsigned.status_code == 401
    # The signature covers no body: a signed URL seen once must not work later.
    old = signed_query()
    old_ms = str(int(old["timestamp"]) - 3600 * 1000)
    stale_query = {
        "timestamp": old_ms,
        "nonce": old["nonce"],
        "signature": signature(APP_SECRET, old_ms, old["nonce"]),
    }
    stale = await http.post(account["inbound_url"], params=stale_query, json=body)
    assert stale.status_code == 401
    assert "stale" in stale.json()["detail"]
    assert await events(http, world, account) == []


async def test_a_malformed_push_is_refused_clearly_and_stores_nothing(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    url = account["inbound_url"]
    r = await push(http, url, b"{not json")
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_json"
    body = text_push(account["uid"], uid(), "hi")
    del body["sender_id"]
    r = await push(http, url, body)
    assert r.status_code == 422
    assert r.json()["field"] == "sender_id"
    r = await push(http, url, text_push(uid(), uid(), "for someone else"))
    assert r.status_code == 422
    assert r.json()["field"] == "receiver_id"
    r = await push(http, url, {**text_push(account["uid"], uid(), ""), "type": "position"})
    assert r.status_code == 422
    assert r.json()["field"] == "data"
    assert await events(http, world, account) == []


async def test_follow_events_are_logged_but_open_no_conversation(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    follow = {
        **text_push(account["uid"], uid(), "关注事件消息"),
        "type": "event",
        "data": {"subtype": "follow"},
    }
    assert (await push(http, account["inbound_url"], follow)).status_code == 200
    assert [(e["status"], e["conversation_id"]) for e in await events(http, world, account)] == [
        ("ignored", None)
    ]


async def test_an_agents_reply_after_48_hours_is_refused_with_reply_window_closed(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo, server: Any
) -> None:
    from sqlalchemy import update

    from huiliu.conversations.models import Conversation
    from huiliu.db.base import utcnow

    account = await weibo_account(http, world, weibo)
    fan = uid()
    cid = await opened(http, world, account, fan, "退货地址是哪里")

    async def fan_wrote_49_hours_ago() -> None:
        async with server.runtime.db.write() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == cid)
                .values(last_contact_message_at=utcnow() - timedelta(hours=49))
            )

    await server.call(fan_wrote_49_hours_ago())
    late = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "抱歉回复晚了"}},
        headers=bearer(world.agent.token),
    )
    assert late.status_code == 409
    assert late.json()["code"] == "reply_window_closed"
    assert "48 hours" in late.json()["detail"]
    assert weibo.replies(fan) == []
    # The fan writes again: the window opens again.
    await push(http, account["inbound_url"], text_push(account["uid"], fan, "还在吗"))
    again = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "在的"}},
        headers=bearer(world.agent.token),
    )
    assert again.status_code == 201, again.text


async def test_an_expired_access_token_fails_the_delivery_with_the_reason(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    account = await weibo_account(http, world, weibo)
    fan = uid()
    cid = await opened(http, world, account, fan, "你好")
    weibo.answer(fan, weibo.error(403, 21327, "expired_token"))
    await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": "您好"}},
        headers=bearer(world.agent.token),
    )
    state = await delivery(http, world, cid)
    assert state["status"] == "failed"
    assert "21327" in state["error"]
    assert "renew the access token" in state["error"]
    assert len(weibo.replies(fan)) == 1  # final: not retried


async def test_a_menu_click_is_a_tap_on_the_bots_button_of_that_key(
    http: httpx.AsyncClient, world: World, weibo: FakeWeibo
) -> None:
    await enable_bot(
        http,
        world,
        menu=[{"id": "ship", "label": "发货时间", "action": "answer", "text": "48 小时内发货"}],
    )
    account = await weibo_account(http, world, weibo)
    fan = uid()
    click = {
        **text_push(account["uid"], fan, "自定义菜单点击事件消息"),
        "type": "event",
        "data": {"subtype": "click", "key": "menu:ship"},
    }
    assert (await push(http, account["inbound_url"], click)).status_code == 200
    got = await weibo.wait(lambda r: any(x.data.get("text") == "48 小时内发货" for x in r), fan)
    menu = next(x.data["text"] for x in got if "1. 发货时间" in x.data.get("text", ""))
    assert menu.startswith("常见问题")
