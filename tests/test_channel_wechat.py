"""The WeChat official account channel end to end against a fake WeChat API on loopback:
pushes signed (and in safe mode encrypted, with wechatpy) as WeChat sends them become
conversations; the bot's and agents' replies go out through the customer-service API with
the access token fetched, cached and refreshed; retried, forged and malformed pushes store
nothing; media comes by MediaId into Huiliu's files; the 48-hour window holds."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from wechatpy.crypto import WeChatCrypto  # type: ignore[import-untyped]

from huiliu.channels.wechat import crypto, outgoing
from huiliu.conversations.models import Conversation
from huiliu.db.base import utcnow
from tests.clients import Connect, bearer
from tests.factories import World
from tests.fake_wechat import PNG, FakeWechat, PushTo, message_xml, sign
from tests.kb_data import enable_bot, fill_kb
from tests.server import ThreadServer


async def delivery_states(
    http: httpx.AsyncClient, world: World, cid: int, until: list[str], timeout: float = 10
) -> list[str]:
    """The conversation's delivery states once they are ``until`` (or as they are at the
    timeout, for the assertion to show)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await http.get(
            f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
        )
        states = [s["status"] for s in r.json()]
        if states == until or asyncio.get_running_loop().time() > deadline:
            return states
        await asyncio.sleep(0.05)


def aes_key() -> str:
    return secrets.token_urlsafe(40).replace("-", "a").replace("_", "b")[:43]


async def wechat_account(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat, *, safe: bool = False
) -> tuple[dict[str, Any], PushTo]:
    appid, secret = wechat.add_app()
    token = secrets.token_hex(8)
    config: dict[str, Any] = {"appid": appid, "app_secret": secret, "token": token}
    key = aes_key() if safe else None
    if key:
        config |= {"encoding_aes_key": key, "mode": "safe"}
    r = await http.post(
        "/api/v1/tenant/channels",
        json={"type": "wechat", "name": "汇流服务号", "config": config},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    path = "/channels/wechat/" + account["inbound_url"].rsplit("/", 1)[1]
    return account, PushTo(path, token, appid, key)


def fan() -> str:
    return "o" + secrets.token_urlsafe(20)


async def push(http: httpx.AsyncClient, to: PushTo, xml: str, **kw: Any) -> httpx.Response:
    url, body = to.request(xml, **kw)
    return await http.post(url, content=body, headers={"content-type": "text/xml"})


async def events(http: httpx.AsyncClient, world: World, account: dict[str, Any]) -> list[Any]:
    r = await http.get(
        f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
    )
    result: list[Any] = [e for e in r.json() if e["direction"] == "inbound"]
    return result


async def conversation_of(http: httpx.AsyncClient, world: World, account: dict[str, Any]) -> int:
    stored = [e for e in await events(http, world, account) if e["status"] == "stored"]
    assert stored
    cid: int = stored[0]["conversation_id"]
    return cid


async def messages(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    return [m for m in page.json()["messages"] if m["content"]["type"] != "event"]


async def agent_reply(
    http: httpx.AsyncClient, world: World, cid: int, text: str, *, claim: bool = True
) -> httpx.Response:
    if claim:
        r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
        assert r.status_code == 200, r.text
    return await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": text}},
        headers=bearer(world.agent.token),
    )


# -- settings and the URL check -------------------------------------------------------------


async def test_the_accounts_settings_are_checked_and_its_secrets_never_shown(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    admin = bearer(world.admin.token)
    appid, secret = wechat.add_app()
    good = {"appid": appid, "app_secret": secret, "token": "abc123"}
    for config, field in [
        ({**good, "appid": "gh_123"}, "config.appid"),
        ({**good, "token": "a"}, "config.token"),
        ({**good, "encoding_aes_key": "short"}, "config.encoding_aes_key"),
        ({**good, "mode": "safe"}, "config.mode"),
    ]:
        r = await http.post(
            "/api/v1/tenant/channels",
            json={"type": "wechat", "name": "x", "config": config},
            headers=admin,
        )
        assert r.status_code == 422, (config, r.text)
        assert r.json()["field"] == field, r.json()
    r = await http.post(
        "/api/v1/tenant/channels",
        json={"type": "wechat", "name": "x", "config": {**good, "encoding_aes_key": aes_key()}},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert sorted(r.json()["secrets_set"]) == ["app_secret", "encoding_aes_key", "token"]
    assert r.json()["config"] == {"appid": appid, "mode": "plaintext"}
    types = (await http.get("/api/v1/channels/types", headers=admin)).json()
    assert next(t for t in types if t["channel"] == "wechat")["reply_window_s"] == 48 * 3600


async def test_the_server_url_check_echoes_echostr_only_when_signed_with_the_token(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    _account, to = await wechat_account(http, world, wechat)
    ts, nonce = str(int(utcnow().timestamp())), "n0nce"
    query = {"timestamp": ts, "nonce": nonce, "echostr": "echo-4711"}
    ok = await http.get(to.url, params={**query, "signature": sign(to.token, ts, nonce)})
    assert ok.status_code == 200
    assert ok.text == "echo-4711"
    forged = await http.get(to.url, params={**query, "signature": sign("other", ts, nonce)})
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    unknown = await http.get("/channels/wechat/nope", params=query)
    assert unknown.status_code == 404


# -- inbound into the pipeline, the bot's answer out ----------------------------------------


async def test_a_plaintext_text_reaches_the_bot_whose_answer_and_menu_go_out_by_custom_send(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    await fill_kb(http, world)
    menu = [{"id": "hours", "label": "营业时间", "action": "answer", "text": "每天 9:00-21:00"}]
    await enable_bot(http, world, menu=menu)
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    r = await push(http, to, message_xml(to.appid, openid, "text", Content="退款多久到账"))
    assert r.status_code == 200, r.text
    assert r.text == "success"  # the passive reply is empty: the answer comes by custom/send
    got = await wechat.wait(lambda s: any("1-3 个工作日" in x.text for x in s), openid)
    assert all(s.errcode == 0 for s in got)
    # The greeting and the menu went out too (the outbox does not keep their order).
    greeting = next(s for s in got if s.msgtype == "text" and "智能助手" in s.text)
    assert greeting.body["touser"] == openid
    menus = [s.body["msgmenu"] for s in got if s.msgtype == "msgmenu"]
    assert menus == [
        {
            "head_content": "常见问题",
            "list": [{"id": "menu:hours", "content": "营业时间"}],
            "tail_content": "",
        }
    ]
    cid = await conversation_of(http, world, account)
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    ).json()
    assert conv["channel"] == "wechat"

    # Tapping the menu item comes back as a text carrying the item's id: the bot acts on it.
    tap = message_xml(to.appid, openid, "text", Content="营业时间", bizmsgmenuid="menu:hours")
    assert (await push(http, to, tap)).status_code == 200
    await wechat.wait(lambda s: any("9:00-21:00" in x.text for x in s), openid)
    # A click on the account's own menu whose key is a bot button id works the same way.
    before = len(wechat.sent(openid))
    click = message_xml(to.appid, openid, "event", Event="CLICK", EventKey="menu:hours")
    assert (await push(http, to, click)).text == "success"
    await wechat.wait(lambda s: any("9:00-21:00" in x.text for x in s[before:]), openid)
    stored = [m["content"] for m in await messages(http, world, cid)]
    assert {"type": "text", "text": "营业时间", "button_id": "menu:hours"} in stored
    assert {"type": "text", "text": "[菜单] menu:hours", "button_id": "menu:hours"} in stored


async def test_a_safe_mode_push_is_decrypted_and_the_agents_reply_goes_out(
    http: httpx.AsyncClient, connect: Connect, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat, safe=True)
    openid = fan()
    r = await push(http, to, message_xml(to.appid, openid, "text", Content="在吗？加密的"))
    assert r.status_code == 200, r.text
    assert r.text == "success"
    cid = await conversation_of(http, world, account)
    assert [m["content"]["text"] for m in await messages(http, world, cid)] == ["在吗？加密的"]
    # A plaintext push to a safe-mode account is refused.
    url, body = PushTo(to.url, to.token, to.appid).request(
        message_xml(to.appid, openid, "text", Content="明文")
    )
    plain = await http.post(url, content=body)
    assert plain.status_code == 401
    assert plain.json()["code"] == "plaintext_refused"
    sock = await connect("agent", world.agent.token)
    await sock.send({"type": "resume", "cursors": {}})
    sent = await agent_reply(http, world, cid, "在的，请讲")
    assert sent.status_code == 201, sent.text
    got = await wechat.wait(lambda s: bool(s), openid)
    assert got[0].body == {"touser": openid, "msgtype": "text", "text": {"content": "在的，请讲"}}
    update_frame = await sock.recv_type("delivery.updated", timeout=10)
    assert update_frame["status"] == "sent"


async def test_a_push_retried_three_times_is_stored_once(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    xml = message_xml(to.appid, fan(), "text", Content="只存一次", MsgId=1234567890123456)
    for _ in range(4):  # the first push and WeChat's three retries
        r = await push(http, to, xml)
        assert r.status_code == 200
        assert r.text == "success"
    cid = await conversation_of(http, world, account)
    assert [m["content"]["text"] for m in await messages(http, world, cid)] == ["只存一次"]
    assert [e["external_id"] for e in await events(http, world, account)] == ["1234567890123456"]
    # Events have no MsgId: who, when and which event say it is the same push.
    subscribe = message_xml(to.appid, fan(), "event", Event="unsubscribe")
    for _ in range(3):
        assert (await push(http, to, subscribe)).text == "success"
    statuses = [e["status"] for e in await events(http, world, account)]
    assert statuses.count("ignored") == 1


async def test_forged_stale_and_malformed_pushes_are_refused_and_store_nothing(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    _safe_account, safe_to = await wechat_account(http, world, wechat, safe=True)
    xml = message_xml(to.appid, fan(), "text", Content="伪造的")
    forged = await push(http, to, xml, bad_signature=True)
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    stale = await push(http, to, xml, timestamp=int(utcnow().timestamp()) - 3600)
    assert stale.status_code == 401
    forged_safe = await push(
        http, safe_to, message_xml(safe_to.appid, fan(), "text", Content="x"), bad_signature=True
    )
    assert forged_safe.status_code == 401
    for body, says in [
        ("<xml><MsgType>text</MsgType", "not well-formed"),
        ("<notxml/>", "not <xml>"),
        ("", "empty"),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            "<xml><Content>&e;</Content></xml>",
            "DTD",
        ),
        ("<xml><MsgType>text</MsgType><Content>x</Content></xml>", "no FromUserName"),
        (message_xml(to.appid, fan(), "text"), "no Content"),
        (message_xml(to.appid, fan(), "location", Location_X="north", Location_Y="1"), "numbers"),
    ]:
        r = await push(http, to, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["code"] == "invalid_xml"
        assert says in r.json()["detail"], r.json()
    assert await events(http, world, account) == []


async def test_an_image_is_fetched_by_its_media_id_and_agents_download_it_from_huiliu(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    media_id = wechat.add_media(PNG, "image/png")
    voice_id = wechat.add_media(b"#!AMR\n" + b"\0" * 64, "audio/amr")
    openid = fan()
    # PicUrl is never fetched (the push could name any address): only media/get by MediaId.
    image = message_xml(
        to.appid, openid, "image", PicUrl="http://169.254.169.254/latest/meta", MediaId=media_id
    )
    assert (await push(http, to, image)).status_code == 200
    voice = message_xml(to.appid, openid, "voice", MediaId=voice_id, Format="amr")
    assert (await push(http, to, voice)).status_code == 200
    place = message_xml(
        to.appid, openid, "location", Location_X="31.2304", Location_Y="121.4737", Label="上海"
    )
    assert (await push(http, to, place)).status_code == 200
    gone = message_xml(to.appid, openid, "image", PicUrl="http://x.example/p", MediaId="nope")
    assert (await push(http, to, gone)).status_code == 200
    assert wechat.media_requests[-3:] == [media_id, voice_id, "nope"]
    cid = await conversation_of(http, world, account)
    contents = [m["content"] for m in await messages(http, world, cid)]
    assert [c["type"] for c in contents] == ["image", "audio", "location", "text"]
    assert "未能从微信取得文件" in contents[3]["text"]  # the agent knows a picture came
    picture = contents[0]
    assert picture["width"] == 1
    assert picture["size"] == len(PNG)
    downloaded = await http.get(picture["url"].replace(str(http.base_url).rstrip("/"), ""))
    assert downloaded.status_code == 200
    assert downloaded.content == PNG
    assert downloaded.headers["content-type"] == "image/png"
    assert contents[1]["mime"] == "audio/amr"
    assert contents[2] == {"type": "location", "lat": 31.2304, "lng": 121.4737, "address": "上海"}


async def test_an_expired_access_token_is_refreshed_and_the_send_retried_once(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    await push(http, to, message_xml(to.appid, openid, "text", Content="令牌"))
    cid = await conversation_of(http, world, account)
    await agent_reply(http, world, cid, "第一条")
    await wechat.wait(lambda s: len(s) == 1, openid)
    fetches = wechat.token_fetches
    wechat.expire_tokens()
    await agent_reply(http, world, cid, "第二条", claim=False)
    got = await wechat.wait(lambda s: any(x.errcode == 0 and "第二条" in x.text for x in s), openid)
    assert [x.errcode for x in got] == [0, 42001, 0]  # refused once, then sent with a new one
    assert wechat.token_fetches == fetches + 1
    # The fake answered before the worker recorded its answer: wait for the record.
    assert await delivery_states(http, world, cid, until=["sent", "sent"]) == ["sent", "sent"]


async def test_wechats_refusals_fail_or_retry_the_delivery_with_the_reason(
    http: httpx.AsyncClient, connect: Connect, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    await push(http, to, message_xml(to.appid, openid, "text", Content="问题"))
    cid = await conversation_of(http, world, account)
    sock = await connect("agent", world.agent.token)
    await sock.send({"type": "resume", "cursors": {}})
    wechat.answer(openid, -1, 45015)  # busy (retried), then out of the window (final)
    await agent_reply(http, world, cid, "迟到的回复")
    update_frame = await sock.recv_type("delivery.updated", timeout=10)
    assert update_frame["status"] == "failed"
    assert "48-hour" in update_frame["error"]
    assert [s.errcode for s in wechat.sent(openid)] == [-1, 45015]


async def test_an_agents_reply_after_48_hours_is_refused_with_reply_window_closed(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat, server: ThreadServer
) -> None:
    account, to = await wechat_account(http, world, wechat)
    await push(http, to, message_xml(to.appid, fan(), "text", Content="两天前的问题"))
    cid = await conversation_of(http, world, account)

    async def age() -> None:
        async with server.runtime.db.write() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == cid)
                .values(last_contact_message_at=utcnow() - timedelta(hours=49))
            )

    await server.call(age())
    late = await agent_reply(http, world, cid, "抱歉久等")
    assert late.status_code == 409
    assert late.json()["code"] == "reply_window_closed"


async def test_a_subscribe_by_qr_code_records_the_scene_and_the_bot_greets(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    await enable_bot(http, world)
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    xml = message_xml(
        to.appid, openid, "event", Event="subscribe", EventKey="qrscene_spring", Ticket="t"
    )
    assert (await push(http, to, xml)).text == "success"
    got = await wechat.wait(lambda s: any("智能助手" in x.text for x in s), openid)
    assert got[0].msgtype == "text"
    cid = await conversation_of(http, world, account)
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    ).json()
    contact = (
        await http.get(
            f"/api/v1/contacts/{conv['contact_id']}", headers=bearer(world.supervisor.token)
        )
    ).json()
    assert contact["attributes"]["wechat_scene"] == "spring"
    # The follow itself is no question: the greeting is its only answer.
    page = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    said = [m["content"] for m in page.json()["messages"] if m["sender"]["type"] == "bot"]
    assert said
    assert not any("没有理解" in str(c) for c in said)
    view = message_xml(to.appid, openid, "event", Event="VIEW", EventKey="https://shop.example")
    assert (await push(http, to, view)).text == "success"
    statuses = sorted(e["status"] for e in await events(http, world, account))
    assert statuses == ["ignored", "stored"]


async def test_a_switched_off_account_answers_success_and_stores_nothing(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    r = await http.patch(
        f"/api/v1/tenant/channels/{account['id']}",
        json={"active": False},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 200
    xml = message_xml(to.appid, fan(), "text", Content="关了吗", MsgId=42)
    r = await push(http, to, xml)
    assert r.status_code == 200
    assert r.text == "success"  # so WeChat stops retrying
    assert [(e["external_id"], e["status"]) for e in await events(http, world, account)] == [
        ("42", "ignored")
    ]


async def test_an_agents_image_is_uploaded_to_wechat_and_a_card_goes_out_as_news(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    account, to = await wechat_account(http, world, wechat)
    openid = fan()
    await push(http, to, message_xml(to.appid, openid, "text", Content="发张图"))
    cid = await conversation_of(http, world, account)
    agent = bearer(world.agent.token)
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=agent)
    uploaded = await http.post(
        "/api/v1/files", files={"file": ("size.png", PNG, "image/png")}, headers=agent
    )
    assert uploaded.status_code == 201, uploaded.text
    card = {
        "type": "card",
        "card_type": "product",
        "title": "保温杯",
        "price": "¥89",
        "url": "https://shop.example/p/1",
        "image_url": "https://shop.example/p/1.jpg",
    }
    for content in (
        {"type": "image", "url": uploaded.json()["url"]},
        card,
        {"type": "file", "url": uploaded.json()["url"], "name": "说明书.pdf"},
    ):
        r = await http.post(
            f"/api/v1/conversations/{cid}/messages", json={"content": content}, headers=agent
        )
        assert r.status_code == 201, r.text
    got = await wechat.wait(lambda s: len(s) == 3, openid)
    by_type = {s.msgtype: s.body for s in got}
    media_id = by_type["image"]["image"]["media_id"]
    assert wechat.uploads[media_id][0] == PNG
    assert by_type["news"]["news"]["articles"] == [
        {
            "title": "保温杯",
            "description": "¥89",
            "url": "https://shop.example/p/1",
            "picurl": "https://shop.example/p/1.jpg",
        }
    ]
    assert by_type["text"]["text"]["content"].startswith("[文件] 说明书.pdf http")


async def test_a_kb_answer_goes_out_as_one_text_with_its_menu() -> None:
    answer = {
        "type": "answer",
        "entry_id": 1,
        "question": "退货",
        "parts": [
            {"type": "text", "text": "七天无理由退货。"},
            {"type": "rich", "html": "<p>详见<a href='https://s.example/r'>退货政策</a></p>"},
            {"type": "menu", "buttons": [{"id": "kb:2", "label": "运费谁出"}]},
        ],
    }

    async def no_upload(data: bytes, name: str, mime: str) -> str:
        raise AssertionError("nothing to upload")

    rendered = await outgoing.render(None, 1, answer, no_upload)  # type: ignore[arg-type]
    assert rendered == [
        {
            "msgtype": "msgmenu",
            "msgmenu": {
                "head_content": '七天无理由退货。\n\n详见<a href="https://s.example/r">退货政策</a>',
                "list": [{"id": "kb:2", "content": "运费谁出"}],
                "tail_content": "",
            },
        }
    ]


async def test_a_unionid_makes_followers_of_two_accounts_one_customer(
    http: httpx.AsyncClient, world: World, wechat: FakeWechat
) -> None:
    union = "u" + secrets.token_hex(8)
    contacts = []
    for _ in range(2):
        account, to = await wechat_account(http, world, wechat)
        xml = message_xml(to.appid, fan(), "text", Content="同一个人", UnionId=union)
        assert (await push(http, to, xml)).text == "success"
        cid = await conversation_of(http, world, account)
        conv = await http.get(
            f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token)
        )
        contacts.append(conv.json()["contact_id"])
    assert contacts[0] == contacts[1]


def test_what_huiliu_encrypts_wechatpy_decrypts_and_the_other_way_round() -> None:
    key, appid, token = aes_key(), "wx" + "0" * 16, "tok"
    wire = crypto.encrypt(key, "<xml><A>你好</A></xml>".encode(), appid)
    ts, nonce = "1700000000", "n"
    envelope = f"<xml><Encrypt><![CDATA[{wire}]]></Encrypt></xml>"  # as a passive reply carries it
    theirs = WeChatCrypto(token, key, appid)
    plain = theirs.decrypt_message(envelope, sign(token, ts, nonce, wire), ts, nonce)
    assert plain == "<xml><A>你好</A></xml>"
    encrypted = theirs.encrypt_message("<xml><B>再见</B></xml>", nonce, ts)
    inner = encrypted.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    assert crypto.decrypt(key, inner, appid) == "<xml><B>再见</B></xml>".encode()
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(key, inner, "wx" + "1" * 16)
