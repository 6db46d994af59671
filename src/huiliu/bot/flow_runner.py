"""Running a task flow in a conversation: ask, validate, confirm, call the merchant's API,
show the result — or a clear message when the API is slow, down or answers nonsense."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import Table, select

from huiliu.bot import flows
from huiliu.bot.flows import Ask, Cancelled, Confirm, Flow, FlowState, Next, Run
from huiliu.bot.settings import BotSettings
from huiliu.contacts.models import USER_CHANNEL, ContactIdentity
from huiliu.conversations.models import Conversation
from huiliu.db import Database
from huiliu.integrations import merchant_api
from huiliu.integrations.merchant_api import Customer, MerchantApiError

log = logging.getLogger(__name__)
identities: Table = ContactIdentity.__table__  # type: ignore[assignment]
conversations: Table = Conversation.__table__  # type: ignore[assignment]
NOT_OFFERED = "抱歉，这项自助服务暂未开通。您可以回复“人工”联系客服。"


class Say(Protocol):
    def __call__(
        self,
        tenant_id: int,
        cid: int,
        contents: list[dict[str, Any]],
        *,
        turn: tuple[str, str, bool] | None = ...,
        flow: FlowState | None,
    ) -> Awaitable[bool]: ...


Call = Callable[..., Awaitable[dict[str, Any]]]


class FlowRunner:
    def __init__(self, db: Database, say: Say, call: Call = merchant_api.call) -> None:
        self._db = db
        self._say = say
        self._call = call

    async def start(
        self,
        tenant_id: int,
        cid: int,
        settings: BotSettings,
        key: str,
        *,
        preset: dict[str, str],
        label: str,
    ) -> None:
        flow = settings.flow(key)
        if flow is None or settings.merchant_api is None:
            await self._say(
                tenant_id, cid, [_text(NOT_OFFERED)], turn=(label, NOT_OFFERED, False), flow=None
            )
            return
        state, nxt = flows.begin(flow, preset)
        await self._advance(tenant_id, cid, settings, flow, state, nxt, label)

    async def resume(
        self,
        tenant_id: int,
        cid: int,
        settings: BotSettings,
        state: FlowState,
        text: str,
        button: str | None,
    ) -> None:
        flow = settings.flow(state.key)
        if flow is None or settings.merchant_api is None:  # the tenant removed it meanwhile
            await self._say(tenant_id, cid, [_text(NOT_OFFERED)], flow=None)
            return
        nxt = flows.step(flow, state, text, button)
        await self._advance(tenant_id, cid, settings, flow, state, nxt, text)

    async def _advance(
        self,
        tenant_id: int,
        cid: int,
        settings: BotSettings,
        flow: Flow,
        state: FlowState,
        nxt: Next,
        said: str,
    ) -> None:
        if isinstance(nxt, Cancelled):
            await self._say(
                tenant_id,
                cid,
                [_text(nxt.text)],
                turn=(said, f"{flow.label}：已取消", False),
                flow=None,
            )
            return
        if isinstance(nxt, Confirm):
            menu = {
                "type": "menu",
                "text": nxt.text,
                "buttons": [
                    {"id": "flow_yes", "label": "确认"},
                    {"id": "flow_no", "label": "取消"},
                ],
            }
            await self._say(tenant_id, cid, [menu], flow=state)
            return
        try:
            if isinstance(nxt, Ask):
                contents = [_text(nxt.note)] if nxt.note else []
                if nxt.slot.choices == "orders":
                    data = await self._api(tenant_id, cid, settings, "list_orders", {})
                    orders = data.get("orders")
                    if not isinstance(orders, list):
                        raise MerchantApiError(merchant_api.GARBLED, reason="garbled")
                    if orders:
                        contents.append(flows.order_choices(nxt.slot, orders))
                    else:
                        contents.append(_text("没有查到您的订单。您也可以直接输入订单号。"))
                else:
                    contents.append(_text(nxt.slot.prompt + "（回复“取消”可退出）"))
                await self._say(tenant_id, cid, contents, flow=state)
                return
            assert isinstance(nxt, Run)
            data = await self._api(tenant_id, cid, settings, flow.operation, dict(state.values))
            try:
                contents = flows.render(flow, state, data)
            except (KeyError, TypeError, ValueError, AttributeError):
                log.warning("flow %s: the merchant API's answer has the wrong shape", flow.key)
                raise MerchantApiError(merchant_api.GARBLED, reason="garbled") from None
        except MerchantApiError as exc:
            await self._say(
                tenant_id,
                cid,
                [_text(exc.customer_message)],
                turn=(said, f"{flow.label}：{exc.reason}", False),
                flow=None,
            )
            return
        await self._say(
            tenant_id, cid, contents, turn=(said, f"{flow.label}：已完成", True), flow=None
        )

    async def _api(
        self,
        tenant_id: int,
        cid: int,
        settings: BotSettings,
        operation: str,
        params: dict[str, Any],
    ) -> dict[str, Any]:
        assert settings.merchant_api is not None
        return await self._call(
            settings.merchant_api,
            operation,
            customer=await self._customer(tenant_id, cid),
            params=params,
        )

    async def _customer(self, tenant_id: int, cid: int) -> Customer:
        """Who the merchant's API is asked about: our contact id, and the merchant's own user
        id when the customer signed in through the merchant (a verified identity)."""
        async with self._db.read() as session:
            contact_id = await session.scalar(
                select(conversations.c.contact_id).where(
                    conversations.c.id == cid, conversations.c.tenant_id == tenant_id
                )
            )
            external = await session.scalar(
                select(identities.c.external_id).where(
                    identities.c.contact_id == contact_id, identities.c.channel == USER_CHANNEL
                )
            )
        if contact_id is None:
            raise MerchantApiError(NOT_OFFERED, reason="no_conversation")
        return Customer(contact_id=int(contact_id), external_id=external)


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}
