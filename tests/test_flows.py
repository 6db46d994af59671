"""Self-service task flows: against the demo shop's API (served by the test server), and
against a merchant API on loopback that is slow, down, or answers garbage."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from huiliu.bot.flows import DEFAULT_FLOWS, Ask, Cancelled, Confirm, FlowState, Run, begin, step
from huiliu.integrations.merchant_api import verify
from tests.clients import Connect, Socket, bearer, widget_session
from tests.factories import World
from tests.server import ThreadServer
from tests.test_bot import next_from, say

SECRET = "merchant-secret-0123456789abcdef"
MENU = [
    {"id": "status", "label": "查询订单状态", "action": "flow", "flow": "order_status"},
    {"id": "track", "label": "物流跟踪", "action": "flow", "flow": "track_shipment"},
    {"id": "address", "label": "修改收货地址", "action": "flow", "flow": "change_address"},
]
_ids = itertools.count()
FLOWS = {f.key: f for f in DEFAULT_FLOWS}


# -- the flow logic on its own ---------------------------------------------------------


def test_a_flow_asks_validates_confirms_and_runs() -> None:
    flow = FLOWS["change_address"]
    state, nxt = begin(flow, {})
    assert isinstance(nxt, Ask)
    assert nxt.slot.name == "order_id"
    nxt = step(flow, state, "not an order", None)
    assert isinstance(nxt, Ask)
    assert nxt.note is not None
    assert "订单号格式不对" in nxt.note
    nxt = step(flow, state, "", "slot:hl0000102")
    assert isinstance(nxt, Ask)
    assert nxt.slot.name == "address"
    assert state.values == {"order_id": "HL0000102"}
    assert isinstance(step(flow, state, "短", None), Ask)
    nxt = step(flow, state, "杭州市西湖区文三路 1 号", None)
    assert isinstance(nxt, Confirm)
    assert "HL0000102" in nxt.text
    assert "文三路" in nxt.text
    assert isinstance(step(flow, state, "嗯？", None), Confirm)  # asked again
    assert isinstance(step(flow, state, "确认", None), Run)
    restored = FlowState.load(state.dump())
    assert restored == state


def test_a_preset_slot_is_not_asked_and_cancel_ends_the_flow() -> None:
    flow = FLOWS["track_shipment"]
    state, nxt = begin(flow, {"order_id": "HL0000101"})
    assert isinstance(nxt, Run)
    state, nxt = begin(FLOWS["change_address"], {"order_id": "HL0000102"})
    assert isinstance(nxt, Ask)
    assert nxt.slot.name == "address"
    assert isinstance(step(FLOWS["change_address"], state, "取消", None), Cancelled)


def test_flows_refuse_unknown_slots_and_bad_patterns() -> None:
    from pydantic import ValidationError

    from huiliu.bot.flows import Flow

    with pytest.raises(ValidationError, match="not one of its slots"):
        Flow(key="x", label="X", operation="x", confirm="{nope}?")
    with pytest.raises(ValidationError, match="regular expression"):
        Flow.model_validate(
            {
                "key": "x",
                "label": "X",
                "operation": "x",
                "slots": [{"name": "a", "prompt": "?", "pattern": "("}],
            }
        )


# -- against the demo shop --------------------------------------------------------------


async def shop_bot(http: httpx.AsyncClient, world: World, base_url: str) -> None:
    slug = (await http.get("/api/v1/tenant", headers=bearer(world.admin.token))).json()["slug"]
    body = {
        "enabled": True,
        "menu": MENU,
        "merchant_api": {"base_url": f"{base_url}/demo-shop/{slug}/api", "secret": SECRET},
    }
    r = await http.put("/api/v1/tenant/bot", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text


async def open_chat(http: httpx.AsyncClient, connect: Connect, world: World) -> tuple[Socket, int]:
    session = await widget_session(http, world.widget_key)
    visitor = await connect("visitor", session["visitor_token"])
    ack = await visitor.send_text("你好", f"f{next(_ids)}")
    cid = ack["conversation_id"]
    await next_from(visitor, "bot")  # greeting
    await next_from(visitor, "bot")  # menu
    await next_from(visitor, "bot")  # the answer to 你好
    return visitor, cid


async def bot_says(visitor: Socket, kind: str) -> dict[str, Any]:
    """The next bot message of content type ``kind``."""
    while True:
        message = await next_from(visitor, "bot")
        if message["content"]["type"] == kind:
            return message["content"]


async def test_order_status_then_tracking_from_the_card(
    http: httpx.AsyncClient, connect: Connect, world: World, server: ThreadServer
) -> None:
    await shop_bot(http, world, server.base_url)
    visitor, cid = await open_chat(http, connect, world)
    await say(visitor, cid, "查询订单状态", "menu:status")
    choices = await bot_says(visitor, "menu")
    assert choices["text"].startswith("请选择要查询的订单")
    shipped = next(b for b in choices["buttons"] if "运输中" in b["label"])
    await say(visitor, cid, shipped["label"], shipped["id"])
    card = await bot_says(visitor, "card")
    order_id = shipped["id"].removeprefix("slot:")
    assert card["card_type"] == "order"
    assert card["title"] == f"订单 {order_id}"
    assert {"label": "状态", "value": "运输中"} in card["fields"]
    actions = await bot_says(visitor, "menu")
    track = actions["buttons"][0]
    assert track == {"id": f"flow:track_shipment:{order_id}", "label": "查物流"}
    await say(visitor, cid, track["label"], track["id"])
    await bot_says(visitor, "card")
    route = await bot_says(visitor, "text")
    assert "顺丰速运" in route["text"]
    assert "杭州转运中心" in route["text"]


async def test_change_address_validates_confirms_and_refuses_a_shipped_order(
    http: httpx.AsyncClient, connect: Connect, world: World, server: ThreadServer
) -> None:
    await shop_bot(http, world, server.base_url)
    visitor, cid = await open_chat(http, connect, world)
    await say(visitor, cid, "修改收货地址", "menu:address")
    choices = await bot_says(visitor, "menu")
    paid = next(b for b in choices["buttons"] if "待发货" in b["label"])
    shipped = next(b for b in choices["buttons"] if "运输中" in b["label"])
    await say(visitor, cid, paid["label"], paid["id"])
    assert "新的收货地址" in (await bot_says(visitor, "text"))["text"]
    await say(visitor, cid, "杭州")
    assert "地址太短" in (await bot_says(visitor, "text"))["text"]
    await say(visitor, cid, "浙江省杭州市西湖区文三路 90 号 13800000000")
    confirm = await bot_says(visitor, "menu")
    assert "文三路 90 号" in confirm["text"]
    assert [b["id"] for b in confirm["buttons"]] == ["flow_yes", "flow_no"]
    await say(visitor, cid, "确认", "flow_yes")
    done = await bot_says(visitor, "text")
    assert done["text"].startswith("收货地址已修改为：浙江省杭州市西湖区文三路 90 号")
    card = await bot_says(visitor, "card")
    assert {"label": "收货地址", "value": "浙江省杭州市西湖区文三路 90 号 13800000000"} in card[
        "fields"
    ]
    # A shipped order cannot change: the merchant's own words reach the customer.
    await say(visitor, cid, "修改收货地址", "menu:address")
    await bot_says(visitor, "menu")
    await say(visitor, cid, shipped["label"], shipped["id"])
    await bot_says(visitor, "text")  # asks for the address
    await say(visitor, cid, "浙江省杭州市西湖区文三路 91 号")
    await bot_says(visitor, "menu")
    await say(visitor, cid, "是的")
    refused = await bot_says(visitor, "text")
    assert refused["text"] == "这个订单已经发货，不能再修改地址了。"
    # The flow is over: a question goes to the knowledge base again.
    await say(visitor, cid, "取消")
    reply = await next_from(visitor, "bot")
    assert reply["content"].get("text") != "好的，已取消。还有什么可以帮您？"


async def test_a_typed_order_number_and_cancelling(
    http: httpx.AsyncClient, connect: Connect, world: World, server: ThreadServer
) -> None:
    await shop_bot(http, world, server.base_url)
    visitor, cid = await open_chat(http, connect, world)
    await say(visitor, cid, "查询订单状态", "menu:status")
    await bot_says(visitor, "menu")
    await say(visitor, cid, "HL9999999")
    assert "没有找到这个订单号" in (await bot_says(visitor, "text"))["text"]
    await say(visitor, cid, "物流跟踪", "menu:track")
    await bot_says(visitor, "menu")
    await say(visitor, cid, "不用了")
    assert (await bot_says(visitor, "text"))["text"].startswith("好的，已取消")


async def test_flows_need_the_merchant_api(http: httpx.AsyncClient, world: World) -> None:
    r = await http.put(
        "/api/v1/tenant/bot",
        json={"enabled": True, "menu": MENU},
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 422
    assert "merchant_api" in r.text
    body = {"merchant_api": {"base_url": "http://shop.example.com/api", "secret": SECRET}}
    r = await http.put("/api/v1/tenant/bot", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 422
    assert "https" in r.text


# -- a misbehaving merchant API ---------------------------------------------------------


class FakeMerchant:
    """An HTTP server on loopback that answers each request with the next behaviour:
    ``("json", obj)``, ``("raw", bytes)``, ``("status", code)`` or ``("hang", seconds)``."""

    def __init__(self) -> None:
        self.behaviours: list[tuple[str, Any]] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.port = 0
        self.handlers: set[asyncio.Task[Any]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            await self._answer(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self.handlers.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {
            k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((headers, body))
        kind, value = self.behaviours.pop(0) if self.behaviours else ("status", 500)
        if kind == "hang":
            await asyncio.sleep(value)
            return
        status, payload = 200, b""
        if kind == "json":
            payload = orjson.dumps(value)
        elif kind == "raw":
            payload = value
        else:
            status = value
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\nconnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()


@pytest.fixture
async def merchant() -> AsyncIterator[FakeMerchant]:
    fake = FakeMerchant()
    srv = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = srv.sockets[0].getsockname()[1]
    yield fake
    srv.close()
    for task in list(fake.handlers):
        task.cancel()
    await asyncio.gather(*fake.handlers, return_exceptions=True)
    with contextlib.suppress(Exception):
        await srv.wait_closed()


async def fake_bot(http: httpx.AsyncClient, world: World, merchant: FakeMerchant) -> None:
    body = {
        "enabled": True,
        "menu": MENU,
        "merchant_api": {
            "base_url": f"http://127.0.0.1:{merchant.port}",
            "secret": SECRET,
            "timeout_s": 0.5,
            "retries": 1,
        },
    }
    r = await http.put("/api/v1/tenant/bot", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text


async def test_requests_are_signed_and_failures_retried_then_explained(
    http: httpx.AsyncClient, connect: Connect, world: World, merchant: FakeMerchant
) -> None:
    await fake_bot(http, world, merchant)
    visitor, cid = await open_chat(http, connect, world)
    # The list fails once (500) and works on the retry.
    order = {"id": "HL0000001", "title": "耳机", "status": "paid", "status_label": "待发货"}
    merchant.behaviours = [("status", 500), ("json", {"orders": [order]})]
    await say(visitor, cid, "查询订单状态", "menu:status")
    choices = await bot_says(visitor, "menu")
    assert choices["buttons"][0]["id"] == "slot:HL0000001"
    assert len(merchant.requests) == 2
    headers, body = merchant.requests[-1]
    assert verify(SECRET, headers["x-huiliu-timestamp"], body, headers["x-huiliu-signature"])
    sent = orjson.loads(body)
    assert sent["operation"] == "list_orders"
    assert sent["customer"]["contact_id"] > 0
    # The status call hangs past the timeout twice: the customer is told, the flow ends.
    merchant.behaviours = [("hang", 2.0), ("hang", 2.0)]
    await say(visitor, cid, "耳机", "slot:HL0000001")
    told = await bot_says(visitor, "text")
    assert "暂时无法访问" in told["text"]
    assert len(merchant.requests) == 4


async def test_a_garbage_answer_is_explained_not_shown(
    http: httpx.AsyncClient, connect: Connect, world: World, merchant: FakeMerchant
) -> None:
    await fake_bot(http, world, merchant)
    visitor, cid = await open_chat(http, connect, world)
    merchant.behaviours = [("raw", b"<html>oops</html>")]
    await say(visitor, cid, "查询订单状态", "menu:status")
    assert "无法识别" in (await bot_says(visitor, "text"))["text"]
    # A JSON object of the wrong shape for the flow is garbage too.
    merchant.behaviours = [("json", {"orders": [{"id": "HL0000001"}]}), ("json", {"order": "?"})]
    await say(visitor, cid, "查询订单状态", "menu:status")
    await bot_says(visitor, "menu")
    await say(visitor, cid, "HL0000001", "slot:HL0000001")
    assert "无法识别" in (await bot_says(visitor, "text"))["text"]
