"""A small knowledge base for the bot's tests, put in through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.clients import bearer
from tests.factories import World

ENTRIES: list[tuple[str, list[str], str]] = [
    (
        "退款多久到账",
        ["退款什么时候到账", "钱多久能退回来", "退款几天能到", "申请退款后多久收到钱"],
        "退款审核通过后，原路退回，一般 1-3 个工作日到账。",
    ),
    (
        "怎么取消订单",
        ["订单不想要了怎么取消", "如何取消我的订单", "下错单了能取消吗", "取消订单在哪里"],
        "未发货的订单可在“我的订单”中点击“取消订单”。",
    ),
    (
        "什么时候发货",
        ["多久发货", "下单后几天发货", "今天买什么时候能发出", "发货时间是多久"],
        "现货商品 48 小时内发货。",
    ),
    (
        "怎么开发票",
        ["可以开发票吗", "发票怎么申请", "我要开增值税发票", "电子发票在哪里下载"],
        "在订单详情页点击“申请发票”，电子发票会发到您的邮箱。",
    ),
    (
        "怎么修改收货地址",
        ["地址填错了怎么改", "能改收货地址吗", "如何更换配送地址", "下单后还能改地址吗"],
        "订单发货前可在订单详情中修改收货地址。",
    ),
    (
        "How do I reset my password?",
        ["I forgot my password", "can't log in, need a new password", "reset password"],
        "Tap “Forgot password” on the login page and follow the e-mail we send you.",
    ),
    (
        "How long does shipping take?",
        ["when will my order arrive", "delivery time", "how many days for delivery"],
        "Orders arrive in 2–5 working days.",
    ),
]


async def fill_kb(http: httpx.AsyncClient, world: World) -> dict[str, int]:
    """Create the entries; return {standard question: entry id}."""
    ids: dict[str, int] = {}
    for question, similar, answer in ENTRIES:
        body: dict[str, Any] = {
            "question": question,
            "similar": similar,
            "answer": [{"type": "text", "text": answer}],
        }
        r = await http.post("/api/v1/kb/entries", json=body, headers=bearer(world.admin.token))
        assert r.status_code == 201, r.text
        ids[question] = r.json()["id"]
    return ids


async def enable_bot(http: httpx.AsyncClient, world: World, **settings: Any) -> dict[str, Any]:
    body = {"enabled": True, **settings}
    r = await http.put("/api/v1/tenant/bot", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result
