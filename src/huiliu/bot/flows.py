"""Self-service task flows: declarative, tenant-editable dialogues that fill slots (by
buttons or typed text, validated), confirm, then call the merchant's own API and show the
result as cards with buttons.

The logic here is pure: ``step`` takes a flow, its state and what the customer said, and
says what to do next; ``bot/actions.py`` stores the state, calls the API and sends the
messages. A flow's state lives in the conversation's bot session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Name = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
CANCEL_WORDS = {"取消", "退出", "算了", "不用了", "cancel", "quit", "exit", "stop"}
CONFIRM_YES = {"确认", "是", "是的", "好", "好的", "对", "确定", "yes", "y", "ok", "confirm"}
CONFIRM_NO = {"否", "不", "不是", "不对", "no", "n"}


class Slot(BaseModel):
    """One thing the flow asks the customer for."""

    model_config = ConfigDict(extra="forbid")

    name: str = Name
    prompt: str = Field(min_length=1, max_length=500)
    choices: Literal["orders"] | None = Field(
        default=None, description="orders: offer the customer's orders as buttons"
    )
    pattern: str | None = Field(default=None, max_length=200, description="a regex to match")
    min_length: int = Field(default=1, ge=1, le=500)
    max_length: int = Field(default=200, ge=1, le=2000)
    invalid: str = Field(default="格式不对，请重新输入。", max_length=500)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return value

    def check(self, text: str) -> str | None:
        """The value, cleaned, or None when it is not acceptable."""
        value = " ".join(text.split())
        if not self.min_length <= len(value) <= self.max_length:
            return None
        if self.pattern is not None and not re.fullmatch(self.pattern, value, flags=re.I):
            return None
        return value.upper() if self.choices == "orders" else value


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Name
    label: str = Field(min_length=1, max_length=40)
    slots: list[Slot] = Field(default_factory=list, max_length=8)
    confirm: str | None = Field(
        default=None, max_length=500, description="asked before the call; {slot} fills in"
    )
    operation: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    result: Literal["order", "shipment", "text"] = "order"
    success_text: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _slots_known(self) -> Flow:
        names = [s.name for s in self.slots]
        if len(set(names)) != len(names):
            raise ValueError(f"flow {self.key!r}: a slot name is used twice")
        for text in (self.confirm, self.success_text):
            for used in re.findall(r"{(\w+)}", text or ""):
                if used not in names:
                    raise ValueError(f"flow {self.key!r}: {{{used}}} is not one of its slots")
        return self

    def fill(self, template: str, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), m.group(0)), template)


ORDER_ID = r"[A-Z]{2}\d{5,20}"


def _order_slot(prompt: str) -> Slot:
    return Slot(
        name="order_id",
        prompt=prompt,
        choices="orders",
        pattern=ORDER_ID,
        invalid="订单号格式不对（例如 HL0001201），请重新输入或点选订单。",
    )


DEFAULT_FLOWS = [
    Flow(
        key="order_status",
        label="查询订单状态",
        slots=[_order_slot("请选择要查询的订单，或直接输入订单号：")],
        operation="order_status",
        result="order",
    ),
    Flow(
        key="track_shipment",
        label="物流跟踪",
        slots=[_order_slot("请选择要查物流的订单，或直接输入订单号：")],
        operation="track_shipment",
        result="shipment",
    ),
    Flow(
        key="change_address",
        label="修改收货地址",
        slots=[
            _order_slot("请选择要修改地址的订单（只有未发货的订单可以修改）："),
            Slot(
                name="address",
                prompt="请输入新的收货地址（省市区 + 详细地址 + 收件人电话）：",
                min_length=6,
                max_length=200,
                invalid="地址太短了，请填写省市区和详细地址。",
            ),
        ],
        confirm="确认把订单 {order_id} 的收货地址改为：{address}？",
        operation="change_address",
        result="order",
        success_text="收货地址已修改为：{address}",
    ),
]


@dataclass
class FlowState:
    key: str
    values: dict[str, str] = field(default_factory=dict)
    confirming: bool = False

    def dump(self) -> dict[str, Any]:
        return {"key": self.key, "values": self.values, "confirming": self.confirming}

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> FlowState | None:
        if not data or "key" not in data:
            return None
        return cls(data["key"], dict(data.get("values") or {}), bool(data.get("confirming")))


@dataclass(frozen=True)
class Ask:
    """Ask for ``slot`` (after ``note``, e.g. why the last answer was refused)."""

    slot: Slot
    note: str | None = None


@dataclass(frozen=True)
class Confirm:
    text: str


@dataclass(frozen=True)
class Run:
    """Everything is filled (and confirmed): call the merchant's API."""


@dataclass(frozen=True)
class Cancelled:
    text: str = "好的，已取消。还有什么可以帮您？"


Next = Ask | Confirm | Run | Cancelled


def _next(flow: Flow, state: FlowState, note: str | None = None) -> Next:
    for slot in flow.slots:
        if slot.name not in state.values:
            return Ask(slot, note)
    if flow.confirm and not state.confirming:
        state.confirming = True
        return Confirm(flow.fill(flow.confirm, state.values))
    return Run()


def begin(flow: Flow, preset: dict[str, str]) -> tuple[FlowState, Next]:
    state = FlowState(flow.key)
    for slot in flow.slots:
        if slot.name in preset and (value := slot.check(preset[slot.name])) is not None:
            state.values[slot.name] = value
    return state, _next(flow, state)


def step(flow: Flow, state: FlowState, text: str, button_id: str | None) -> Next:
    """What the customer's ``text`` (or tapped button) does to the flow."""
    said = " ".join(text.split()).lower()
    if said in CANCEL_WORDS or button_id == "flow_cancel":
        return Cancelled()
    if state.confirming:
        if button_id == "flow_yes" or said in CONFIRM_YES:
            return Run()
        if button_id == "flow_no" or said in CONFIRM_NO:
            return Cancelled("好的，没有修改。还有什么可以帮您？")
        return Confirm(flow.fill(flow.confirm or "", state.values))
    slot = next(s for s in flow.slots if s.name not in state.values)
    raw = button_id.partition(":")[2] if button_id and button_id.startswith("slot:") else text
    value = slot.check(raw)
    if value is None:
        return Ask(slot, slot.invalid)
    state.values[slot.name] = value
    return _next(flow, state)


def order_card(order: dict[str, Any]) -> dict[str, Any]:
    fields = [
        {"label": "状态", "value": str(order.get("status_label", order.get("status", "")))[:200]},
    ]
    for label, key in (("下单时间", "created_at"), ("收货地址", "address")):
        if order.get(key):
            fields.append({"label": label, "value": str(order[key])[:200]})
    card: dict[str, Any] = {
        "type": "card",
        "card_type": "order",
        "title": f"订单 {order.get('id', '')}"[:200],
        "description": str(order.get("title", ""))[:1000],
        "fields": fields,
    }
    if order.get("total"):
        card["price"] = str(order["total"])[:40]
    return card


def order_actions(order: dict[str, Any]) -> dict[str, Any]:
    oid = str(order.get("id", ""))[:40]
    buttons = [{"id": f"flow:track_shipment:{oid}", "label": "查物流"}]
    if order.get("status") == "paid":
        buttons.append({"id": f"flow:change_address:{oid}", "label": "改地址"})
    buttons.append({"id": "handoff", "label": "转人工"})
    return {"type": "menu", "buttons": buttons}


def render(flow: Flow, state: FlowState, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The merchant's answer as messages; KeyError/TypeError/ValueError if it is not the
    shape the flow expects."""
    out: list[dict[str, Any]] = []
    if flow.success_text:
        out.append({"type": "text", "text": flow.fill(flow.success_text, state.values)})
    if flow.result == "text":
        if not out:
            out.append({"type": "text", "text": str(data.get("message", "已完成。"))[:2000]})
        return out
    order = data["order"]
    if not isinstance(order, dict) or not order.get("id"):
        raise ValueError("no order in the answer")
    out.append(order_card(order))
    if flow.result == "shipment":
        shipment = data["shipment"]
        lines = [f"{shipment['carrier']} {shipment['tracking_no']}"]
        lines += [f"{e['time']} {e['text']}" for e in shipment["events"][-6:]]
        out.append({"type": "text", "text": "\n".join(lines)[:2000]})
    out.append(order_actions(order))
    return out


def order_choices(slot: Slot, orders: list[dict[str, Any]]) -> dict[str, Any]:
    buttons = [
        {
            "id": f"slot:{o['id']}"[:64],
            "label": f"{o.get('status_label', '')} {o.get('title', o['id'])}"[:40].strip(),
        }
        for o in orders[:8]
        if isinstance(o, dict) and o.get("id")
    ]
    buttons.append({"id": "flow_cancel", "label": "取消"})
    return {"type": "menu", "text": slot.prompt, "buttons": buttons}
