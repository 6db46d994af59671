"""Campaigns through the API with the server's own sender: templates refused before
anything is sent, a segment campaign reaching each customer once on their best channel,
skipping the opted-out and the capped, waiting out quiet hours, keeping its rate; the
merchant's events notifying once per event; read, replied and 退订 tracked."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from huiliu.campaigns.models import CampaignDelivery
from huiliu.conversations.models import Conversation, Message, SenderType
from huiliu.db import Database
from huiliu.db.base import utcnow
from tests.clients import Connect, bearer, widget_session
from tests.factories import World
from tests.fake_twilio import FakeTwilio, inbound_params, push
from tests.fake_wechat import FakeWechat, message_xml
from tests.test_channel_sms import conversation_of, number, sms_account
from tests.test_channel_wechat import conversation_of as wechat_conversation
from tests.test_channel_wechat import fan, wechat_account
from tests.test_channel_wechat import push as wechat_push
from tests.test_profile import api_key

_names = itertools.count()


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


def admin(world: World) -> dict[str, str]:
    return bearer(world.admin.token)


async def template(
    http: httpx.AsyncClient,
    world: World,
    text: str = "{{contact.name|亲}}，您收藏的商品降价了",
    **extra: Any,
) -> dict[str, Any]:
    body = {"name": f"模板 {next(_names)}", "scenario": "price_drop", "text": text, **extra}
    r = await http.post("/api/v1/campaign-templates", json=body, headers=admin(world))
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def tagged_customers(
    http: httpx.AsyncClient, world: World, tag: str, n: int
) -> list[dict[str, Any]]:
    """``n`` widget customers with ``tag`` (each a session: reachable in the widget)."""
    people = []
    for i in range(n):
        session = await widget_session(http, world.widget_key)
        r = await http.patch(
            f"/api/v1/contacts/{session['contact_id']}",
            json={"name": f"客户{i}"},
            headers=admin(world),
        )
        assert r.status_code == 200
        r = await http.put(
            f"/api/v1/contacts/{session['contact_id']}/tags/{tag}", headers=admin(world)
        )
        assert r.status_code == 200, r.text
        people.append(session)
    return people


async def segment(http: httpx.AsyncClient, world: World, tag: str) -> int:
    r = await http.post(
        "/api/v1/segments",
        json={"name": f"人群 {next(_names)}", "filter": {"tags_all": [tag]}},
        headers=admin(world),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def campaign(http: httpx.AsyncClient, world: World, **body: Any) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/campaigns", json={"name": f"活动 {next(_names)}", **body}, headers=admin(world)
    )
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def act(http: httpx.AsyncClient, world: World, cid: int, action: str) -> httpx.Response:
    return await http.post(f"/api/v1/campaigns/{cid}/{action}", headers=admin(world))


async def settled(
    http: httpx.AsyncClient, world: World, cid: int, *, until: Any, timeout: float = 20.0
) -> dict[str, Any]:
    """The campaign once ``until(campaign)`` holds (the server's sender runs every 0.2 s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got: dict[str, Any] = (
            await http.get(f"/api/v1/campaigns/{cid}", headers=admin(world))
        ).json()
        if until(got):
            return got
        if loop.time() > deadline:
            raise AssertionError(f"campaign never settled: {got}")
        await asyncio.sleep(0.1)


async def notices_of(db: Database, contact_ids: list[int]) -> dict[int, int]:
    """How many bot messages of campaigns each customer has (a notice is the bot's)."""
    async with db.read() as session:
        rows = await session.execute(
            select(CampaignDelivery.contact_id, func.count(Message.id))
            .join(Message, Message.id == CampaignDelivery.message_id)
            .where(CampaignDelivery.contact_id.in_(contact_ids))
            .group_by(CampaignDelivery.contact_id)
        )
        return dict(rows.all())


async def test_templates_with_unknown_variables_are_refused_before_anything_is_sent(
    http: httpx.AsyncClient, world: World
) -> None:
    bad = [
        ({"text": "您好 {{contact.nickname}}"}, "text", "contact.nickname"),
        ({"text": "单号 {{order_id}}"}, "text", "order_id"),  # not declared
        ({"text": "您好 {{contact.name", "variables": []}, "text", "{{"),
        (
            {"text": "x", "email_subject": "{{attributes.level}} 会员"},
            "email_subject",
            "attributes.level",
        ),
        ({"text": "x", "variables": ["Order-Id"]}, "variables", "Order-Id"),
    ]
    for extra, field, named in bad:
        body = {"name": f"坏模板 {next(_names)}", "scenario": "shipping", **extra}
        r = await http.post("/api/v1/campaign-templates", json=body, headers=admin(world))
        assert r.status_code == 422, (extra, r.text)
        assert (r.json()["field"], named in r.json()["detail"]) == (field, True), r.text
    # Declared variables, a profile field and a fallback are all fine.
    r = await http.put(
        "/api/v1/tenant/profile",
        json={"fields": [{"key": "level", "label": "会员等级", "type": "text"}]},
        headers=admin(world),
    )
    assert r.status_code == 200
    made = await template(
        http,
        world,
        text="{{contact.name|亲}}（{{attributes.level}}），您的订单 {{order_id}} 已发货",
        variables=["order_id"],
        email_subject="订单 {{order_id}} 已发货",
    )
    session = await widget_session(http, world.widget_key)
    r = await http.post(
        "/api/v1/campaign-templates/preview",
        json={
            "text": made["text"],
            "contact_id": session["contact_id"],
            "values": {"order_id": "SO-9"},
        },
        headers=admin(world),
    )
    assert r.json() == {"text": "亲（），您的订单 SO-9 已发货"}
    # Only marketing.manage reaches any of it.
    r = await http.get("/api/v1/campaign-templates", headers=bearer(world.supervisor.token))
    assert r.status_code == 403


async def test_a_segment_campaign_reaches_each_customer_once_and_skips_whom_it_must(
    http: httpx.AsyncClient, connect: Connect, db: Database, world: World
) -> None:
    tag = f"收藏{next(_names)}"
    people = await tagged_customers(http, world, tag, 5)
    ids = [p["contact_id"] for p in people]
    # One said no to marketing; one has had enough notices this week (the cap is 1 here).
    r = await http.patch(
        f"/api/v1/contacts/{ids[1]}", json={"marketing_opt_out": True}, headers=admin(world)
    )
    assert r.json()["marketing_opt_out_at"] is not None
    r = await http.put(
        "/api/v1/tenant/marketing", json={"cap_count": 1, "cap_days": 7}, headers=admin(world)
    )
    assert r.status_code == 200
    earlier = await campaign(
        http,
        world,
        template_id=(await template(http, world))["id"],
        kind="segment",
        segment_id=await segment(http, world, tag),
        rate_per_minute=10000,
    )
    # The first campaign goes to everyone first: then the cap keeps the second from them.
    online = await connect("visitor", people[0]["visitor_token"])
    await online.send({"type": "resume", "cursors": {}})
    assert (await act(http, world, earlier["id"], "start")).status_code == 200
    first = await settled(http, world, earlier["id"], until=lambda c: c["status"] == "done")
    assert (first["counts"]["sent"], first["counts"]["delivered"]) == (4, 4)  # stored: theirs
    assert first["counts"]["skipped_by"] == {"opted_out": 1}
    live = await online.recv_type("message.new")
    assert live["message"]["content"]["text"] == "客户0，您收藏的商品降价了"
    assert live["message"]["sender"]["type"] == "bot"
    # An away customer finds it when they come back: listed, unread, resumed.
    away = bearer(people[2]["visitor_token"])
    listed = (await http.get("/api/v1/conversations?limit=10", headers=away)).json()
    assert [(c["status"], c["unread_count"]) for c in listed] == [("closed", 1)]
    assert await notices_of(db, ids) == {ids[0]: 1, ids[2]: 1, ids[3]: 1, ids[4]: 1}
    # A second campaign to the same people: all capped or opted out, nobody twice.
    r = await http.put(
        "/api/v1/tenant/marketing", json={"cap_count": 1, "cap_days": 7}, headers=admin(world)
    )
    again = await campaign(
        http,
        world,
        template_id=(await template(http, world))["id"],
        kind="segment",
        segment_id=await segment(http, world, tag),
        rate_per_minute=10000,
    )
    await act(http, world, again["id"], "start")
    second = await settled(http, world, again["id"], until=lambda c: c["status"] == "done")
    assert second["counts"]["sent"] == 0
    assert second["counts"]["skipped_by"] == {"opted_out": 1, "frequency_cap": 4}
    assert await notices_of(db, ids) == {ids[0]: 1, ids[2]: 1, ids[3]: 1, ids[4]: 1}
    # Read and replied are tracked: the customer reads it, then writes.
    conv = listed[0]["id"]
    sock = await connect("visitor", people[2]["visitor_token"])
    await sock.send({"type": "read", "conversation_id": conv, "seq": 1})
    ack = await sock.send_text("还有货吗？", "ask-1")
    assert ack["type"] == "ack"
    assert ack["conversation_id"] != conv  # a reply opens a normal conversation
    done = await settled(
        http,
        world,
        earlier["id"],
        until=lambda c: c["counts"]["read"] == 1 and c["counts"]["replied"] == 1,
    )
    assert done["counts"]["sent"] == 4


async def test_a_campaign_keeps_its_rate_and_cancel_skips_what_is_left(
    http: httpx.AsyncClient, world: World
) -> None:
    tag = f"慢{next(_names)}"
    await tagged_customers(http, world, tag, 6)
    slow = await campaign(
        http,
        world,
        template_id=(await template(http, world))["id"],
        kind="segment",
        segment_id=await segment(http, world, tag),
        rate_per_minute=4,
    )
    await act(http, world, slow["id"], "start")
    got = await settled(http, world, slow["id"], until=lambda c: c["counts"]["sent"] >= 4)
    await asyncio.sleep(0.6)  # three more rounds of the sender: the minute's four are spent
    got = (await http.get(f"/api/v1/campaigns/{slow['id']}", headers=admin(world))).json()
    assert (got["counts"]["sent"], got["counts"]["pending"], got["status"]) == (4, 2, "running")
    r = await act(http, world, slow["id"], "start")
    assert (r.status_code, r.json()["code"]) == (409, "invalid_transition")
    assert (await act(http, world, slow["id"], "cancel")).status_code == 200
    got = (await http.get(f"/api/v1/campaigns/{slow['id']}", headers=admin(world))).json()
    assert got["status"] == "cancelled"
    assert got["counts"]["skipped_by"] == {"cancelled": 2}


async def test_quiet_hours_hold_sms_back_but_not_the_silent_widget(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    phone = number()
    await push(http, account["inbound_url"], inbound_params(phone, "到货通知我"))
    sms_contact = (
        await http.get(
            f"/api/v1/conversations/{await conversation_of(http, world, account)}",
            headers=admin(world),
        )
    ).json()["contact_id"]
    tag = f"夜{next(_names)}"
    await http.put(f"/api/v1/contacts/{sms_contact}/tags/{tag}", headers=admin(world))
    [web] = await tagged_customers(http, world, tag, 1)
    local = utcnow().astimezone(ZoneInfo("Asia/Shanghai"))
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    night = await campaign(
        http,
        world,
        template_id=(await template(http, world))["id"],
        kind="segment",
        segment_id=await segment(http, world, tag),
        rate_per_minute=10000,
        quiet_start=start.strftime("%H:%M"),
        quiet_end=end.strftime("%H:%M"),
    )
    await act(http, world, night["id"], "start")
    got = await settled(http, world, night["id"], until=lambda c: c["counts"]["sent"] == 1)
    await asyncio.sleep(0.5)
    page = (
        await http.get(f"/api/v1/campaigns/{night['id']}/deliveries", headers=admin(world))
    ).json()
    by_contact = {d["contact_id"]: d for d in page["deliveries"]}
    assert (by_contact[web["contact_id"]]["status"], by_contact[web["contact_id"]]["channel"]) == (
        "sent",
        "web",
    )
    held = by_contact[sms_contact]
    assert held["status"] == "pending"
    assert (
        held["not_before"][:16] >= end.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M")[:16]
    )
    assert twilio.sent(phone) == []
    assert got["status"] == "running"


async def test_the_merchants_events_notify_once_per_event_and_a_reply_of_td_opts_out(
    http: httpx.AsyncClient, db: Database, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    key = await api_key(http, world)
    shipped = await template(
        http,
        world,
        text="您的订单 {{order_id}} 已发货，快递单号 {{tracking_no}}",
        scenario="shipping",
        variables=["order_id", "tracking_no"],
    )
    notify = await campaign(
        http,
        world,
        template_id=shipped["id"],
        kind="triggered",
        event="order.shipped",
        channels=["sms"],
        rate_per_minute=10000,
    )
    await act(http, world, notify["id"], "start")
    # The customer is known by SMS (they texted) and to the merchant by their user id.
    phone = number()
    await push(http, account["inbound_url"], inbound_params(phone, "你好"))
    first = await conversation_of(http, world, account)
    contact = (await http.get(f"/api/v1/conversations/{first}", headers=admin(world))).json()[
        "contact_id"
    ]
    r = await http.post(f"/api/v1/conversations/{first}/close", headers=admin(world))
    assert r.status_code == 200
    async with db.write() as session:
        from huiliu.contacts.models import ContactIdentity

        session.add(
            ContactIdentity(
                tenant_id=world.tenant_id, contact_id=contact, channel="user", external_id="u-5"
            )
        )
    event = {
        "id": "evt-1",
        "type": "order.shipped",
        "user_id": "u-5",
        "data": {"order_id": "SO-77", "tracking_no": "SF123"},
    }
    r = await http.post("/api/v1/integration/events", json=event, headers=bearer(key))
    assert r.status_code == 202, r.text
    assert r.json()["contact_id"] == contact
    assert [d["status"] for d in r.json()["deliveries"]] == ["queued"]
    r = await http.post("/api/v1/integration/events", json=event, headers=bearer(key))
    assert [d["status"] for d in r.json()["deliveries"]] == ["duplicate"]
    lacking = {**event, "id": "evt-2", "data": {"order_id": "SO-78"}}
    r = await http.post("/api/v1/integration/events", json=lacking, headers=bearer(key))
    assert r.json()["deliveries"][0]["status"] == "refused"
    assert "tracking_no" in r.json()["deliveries"][0]["detail"]
    got = await twilio.wait(lambda s: any(x.answered == 201 for x in s), to=phone)
    assert got[-1].form["Body"] == "您的订单 SO-77 已发货，快递单号 SF123"
    await settled(http, world, notify["id"], until=lambda c: c["counts"]["delivered"] == 1)
    # 退订: opted out, answered, and no conversation for an agent.
    url = f"/api/v1/contacts/{contact}/conversations"
    before = {c["id"] for c in (await http.get(url, headers=admin(world))).json()}
    r = await push(http, account["inbound_url"], inbound_params(phone, " 退订 "))
    assert r.status_code == 200
    person = (await http.get(f"/api/v1/contacts/{contact}", headers=admin(world))).json()
    assert person["marketing_opt_out_at"] is not None
    confirm = await twilio.wait(
        lambda s: any("已退订" in x.form.get("Body", "") for x in s), to=phone
    )
    assert confirm
    after = (await http.get(url, headers=admin(world))).json()
    assert {c["id"] for c in after} == before
    assert all(c["status"] == "closed" for c in after)
    # The next shipment is skipped: they said no.
    r = await http.post(
        "/api/v1/integration/events", json={**event, "id": "evt-3"}, headers=bearer(key)
    )
    await settled(
        http, world, notify["id"], until=lambda c: c["counts"]["skipped_by"].get("opted_out") == 1
    )
    async with db.read() as session:
        bot_messages = await session.scalar(
            select(func.count(Message.id))
            .join(CampaignDelivery, CampaignDelivery.message_id == Message.id)
            .where(CampaignDelivery.contact_id == contact, Message.sender_type == SenderType.bot)
        )
    assert bot_messages == 1


async def test_bad_campaigns_and_moves_are_clear_errors(
    http: httpx.AsyncClient, world: World
) -> None:
    made = await template(http, world)
    bad: list[tuple[dict[str, Any], str | None]] = [
        ({"template_id": made["id"], "kind": "segment"}, None),  # no segment
        ({"template_id": made["id"], "kind": "triggered"}, None),  # no event
        (
            {
                "template_id": made["id"],
                "kind": "triggered",
                "event": "order.shipped",
                "segment_id": 1,
            },
            None,
        ),
        ({"template_id": 987654, "kind": "triggered", "event": "a.b"}, "template_id"),
        (
            {"template_id": made["id"], "kind": "triggered", "event": "a.b", "channels": ["fax"]},
            "channels",
        ),
        (
            {
                "template_id": made["id"],
                "kind": "triggered",
                "event": "a.b",
                "timezone": "Mars/Base",
            },
            None,
        ),
        (
            {
                "template_id": made["id"],
                "kind": "triggered",
                "event": "a.b",
                "quiet_start": "22:00",
            },
            None,
        ),
        (
            {
                "template_id": made["id"],
                "kind": "triggered",
                "event": "a.b",
                "quiet_start": "25:00",
                "quiet_end": "07:00",
            },
            None,
        ),
        ({"template_id": made["id"], "kind": "segment", "segment_id": 987654}, "segment_id"),
    ]
    for body, field in bad:
        r = await http.post(
            "/api/v1/campaigns", json={"name": "坏活动", **body}, headers=admin(world)
        )
        assert r.status_code in (404, 422), (body, r.text)
        if field is not None:
            assert r.json().get("field") == field, (body, r.text)
    needs = await template(http, world, text="单号 {{order_id}}", variables=["order_id"])
    r = await http.post(
        "/api/v1/campaigns",
        json={"name": "x", "template_id": needs["id"], "kind": "segment", "segment_id": 1},
        headers=admin(world),
    )
    assert (r.status_code, r.json()["field"]) == (422, "template_id"), r.text
    ok = await campaign(http, world, template_id=made["id"], kind="triggered", event="a.b")
    assert (await act(http, world, ok["id"], "pause")).status_code == 409
    assert (await act(http, world, ok["id"], "fly")).status_code == 404
    assert (await act(http, world, ok["id"], "start")).json()["status"] == "running"
    assert (await act(http, world, ok["id"], "pause")).json()["status"] == "paused"
    r = await http.patch(
        f"/api/v1/campaigns/{ok['id']}", json={"rate_per_minute": 30}, headers=admin(world)
    )
    assert (r.status_code, r.json()["rate_per_minute"]) == (200, 30)
    assert (await act(http, world, ok["id"], "resume")).json()["status"] == "running"
    r = await http.patch(
        f"/api/v1/campaigns/{ok['id']}", json={"rate_per_minute": 31}, headers=admin(world)
    )
    assert (r.status_code, r.json()["code"]) == (409, "invalid_transition")
    r = await http.delete(f"/api/v1/campaign-templates/{made['id']}", headers=admin(world))
    assert (r.status_code, r.json()["code"]) == (409, "template_in_use")


async def test_past_wechats_48_hours_a_template_message_still_reaches_the_fan(
    http: httpx.AsyncClient, db: Database, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    await wechat_push(http, to, message_xml(to.appid, openid, "text", Content="降价了告诉我"))
    cid = await wechat_conversation(http, world, account)
    async with db.write() as session:  # they last wrote three days ago; it was closed
        await session.execute(
            update(Conversation)
            .where(Conversation.id == cid)
            .values(last_contact_message_at=utcnow() - timedelta(days=3), status="closed")
        )
    contact = (await http.get(f"/api/v1/conversations/{cid}", headers=admin(world))).json()[
        "contact_id"
    ]
    tag = f"粉丝{next(_names)}"
    await http.put(f"/api/v1/contacts/{contact}/tags/{tag}", headers=admin(world))
    plain = await template(http, world)
    with_wechat = await template(
        http,
        world,
        wechat_template={
            "template_id": "TPL_price_drop_01",
            "url": "https://shop.example.com/p/1?from={{contact.name|fan}}",
            "data": {"first": "{{contact.name|亲}}，您收藏的商品降价了", "remark": "点击查看"},
        },
    )
    bad = await http.post(
        "/api/v1/campaign-templates",
        json={
            "name": "坏",
            "text": "x",
            "wechat_template": {"template_id": "T1", "data": {"first": "{{order_no}}"}},
        },
        headers=admin(world),
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "wechat_template.data.first")
    segment_id = await segment(http, world, tag)
    # Without a WeChat template the fan cannot be reached past the window …
    first = await campaign(
        http,
        world,
        template_id=plain["id"],
        kind="segment",
        segment_id=segment_id,
        rate_per_minute=10000,
    )
    await act(http, world, first["id"], "start")
    got = await settled(http, world, first["id"], until=lambda c: c["status"] == "done")
    assert got["counts"]["skipped_by"] == {"unreachable": 1}
    # … with one, the template message goes out, filled for them.
    second = await campaign(
        http,
        world,
        template_id=with_wechat["id"],
        kind="segment",
        segment_id=segment_id,
        rate_per_minute=10000,
    )
    await act(http, world, second["id"], "start")
    got = await settled(http, world, second["id"], until=lambda c: c["status"] == "done")
    assert got["counts"]["sent"] == 1
    sent = await wechat.wait(lambda s: any(x.msgtype == "template" for x in s), openid=openid)
    body = next(x.body for x in sent if x.msgtype == "template")
    assert body == {
        "touser": openid,
        "template_id": "TPL_price_drop_01",
        "url": "https://shop.example.com/p/1?from=fan",
        "data": {"first": {"value": "亲，您收藏的商品降价了"}, "remark": {"value": "点击查看"}},
    }


async def test_a_notice_the_channel_refuses_counts_as_undelivered(
    http: httpx.AsyncClient, world: World, twilio: FakeTwilio
) -> None:
    account = await sms_account(http, world, twilio)
    phone = number()
    await push(http, account["inbound_url"], inbound_params(phone, "有活动通知我"))
    first = await conversation_of(http, world, account)
    contact = (await http.get(f"/api/v1/conversations/{first}", headers=admin(world))).json()[
        "contact_id"
    ]
    await http.post(f"/api/v1/conversations/{first}/close", headers=admin(world))
    tag = f"短信{next(_names)}"
    await http.put(f"/api/v1/contacts/{contact}/tags/{tag}", headers=admin(world))
    twilio.answer(phone, twilio.error(400, 21211, "The 'To' number is not a valid phone number"))
    refused = await campaign(
        http,
        world,
        template_id=(await template(http, world))["id"],
        kind="segment",
        segment_id=await segment(http, world, tag),
        channels=["sms"],
        rate_per_minute=10000,
    )
    await act(http, world, refused["id"], "start")
    got = await settled(http, world, refused["id"], until=lambda c: c["counts"]["undelivered"] == 1)
    assert (got["counts"]["sent"], got["counts"]["delivered"]) == (1, 0)
