"""The demo shop's own API — what a merchant's order system would expose to Huiliu's task
flows (`integrations/merchant_api.py` describes the contract). Served by Huiliu itself at
``/demo-shop/{tenant slug}/api/{operation}`` so the demo needs nothing else; it checks the
signature with the secret in that tenant's bot settings, exactly as a merchant would.

Every customer has three orders made up from their id: one on its way, one paid and not yet
shipped (its address can change), one delivered. Address changes live in this process's
memory: it is a demo.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from huiliu.auth.deps import RuntimeDep
from huiliu.bot.settings import BotSettings
from huiliu.integrations.merchant_api import verify
from huiliu.tenants import service as tenants_service

router = APIRouter(prefix="/demo-shop", tags=["demo shop"], include_in_schema=False)
_addresses: dict[tuple[str, str], str] = {}
PRODUCTS = ["汇流优选 纯棉T恤 白色 L", "汇流优选 无线蓝牙耳机", "汇流优选 保温杯 500ml"]
BASE_TIME = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def orders_of(slug: str, customer: int) -> list[dict[str, Any]]:
    out = []
    for n, (status, label) in enumerate(
        [("shipped", "运输中"), ("paid", "待发货"), ("delivered", "已签收")], start=1
    ):
        order_id = f"HL{customer:05d}{n:02d}"
        out.append(
            {
                "id": order_id,
                "title": PRODUCTS[n - 1],
                "status": status,
                "status_label": label,
                "total": f"¥{[89, 299, 59][n - 1]}.00",
                "created_at": (BASE_TIME - timedelta(days=4 - n)).isoformat(),
                "address": _addresses.get((slug, order_id), "上海市浦东新区世纪大道 100 号"),
            }
        )
    return out


def shipment_of(order: dict[str, Any]) -> dict[str, Any]:
    events = [
        {"time": "11-21 09:12", "text": "【上海】已揽收"},
        {"time": "11-21 21:40", "text": "【上海转运中心】已发出"},
        {"time": "11-22 06:05", "text": "【杭州转运中心】已到达"},
    ]
    if order["status"] == "delivered":
        events += [
            {"time": "11-22 10:30", "text": "【杭州】派送中"},
            {"time": "11-22 15:02", "text": "已签收，签收人：本人"},
        ]
    return {"carrier": "顺丰速运", "tracking_no": "SF1" + order["id"][2:], "events": events}


def _error(code: str, message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


@router.post("/{slug}/api/{operation}")
async def operate(slug: str, operation: str, request: Request, runtime: RuntimeDep) -> Any:
    body = await request.body()
    async with runtime.db.read() as session:
        tenant = await tenants_service.get_by_slug(session, slug=slug)
    api = BotSettings.model_validate(tenant.bot or {}).merchant_api if tenant else None
    if tenant is None or api is None:
        return _error("not_found", "no such shop", 404)
    if not verify(
        api.secret,
        request.headers.get("x-huiliu-timestamp", ""),
        body,
        request.headers.get("x-huiliu-signature", ""),
    ):
        return _error("bad_signature", "the signature does not match", 401)
    data = orjson.loads(body)
    customer = int(data["customer"]["contact_id"])
    params = data.get("params") or {}
    orders = {o["id"]: o for o in orders_of(slug, customer)}
    if operation == "list_orders":
        return {"orders": list(orders.values())}
    order = orders.get(str(params.get("order_id", "")).strip().upper())
    if order is None:
        return _error("order_not_found", "没有找到这个订单号，请检查后重新输入。")
    if operation == "order_status":
        return {"order": order}
    if operation == "track_shipment":
        if order["status"] == "paid":
            return _error("not_shipped", "这个订单还没有发货，发货后就能查到物流了。")
        return {"order": order, "shipment": shipment_of(order)}
    if operation == "change_address":
        if order["status"] != "paid":
            return _error("already_shipped", "这个订单已经发货，不能再修改地址了。")
        address = str(params.get("address", "")).strip()
        if len(address) < 6:
            return _error("bad_address", "地址太短了，请填写省市区和详细地址。")
        _addresses[(slug, order["id"])] = address[:200]
        return {"order": {**order, "address": address[:200]}}
    return _error("unknown_operation", f"unknown operation {operation!r}", 404)
