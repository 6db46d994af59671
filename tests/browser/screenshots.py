"""Screenshots of the main screens for docs/screenshots/ (committed; the README shows one):

    .venv/bin/python -m tests.browser.screenshots [OUT_DIR]      # make screenshots

A demo server, a few customers talking to the bot and to an agent, then the workbench, the
live monitor and the admin console, in Chinese (the default) at 1440×900, and the widget on
the demo shop on a desktop and a phone.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.browser.customer import Customer
from tests.browser.harness import ROOT, demo_server, launch_chromium
from tests.browser.pages import Workbench


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with demo_server() as (server, demo), sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(
            base_url=server.base_url, viewport={"width": 1440, "height": 900}, locale="zh-CN"
        )
        page = context.new_page()
        page.goto("/login")
        page.wait_for_timeout(500)
        page.screenshot(path=out / "login.png")

        bench = Workbench(page).login(**demo["agents"][0])
        bench.set_status("online")
        customers = [Customer(server.base_url, demo["widget_key"]) for _ in range(3)]
        lines = [
            ["你好", "转人工", "我的订单三天了还没发货", "怎么开发票"],
            ["转人工", "能改收货地址吗"],
            ["人工客服", "退款多久到账"],
        ]
        for customer, said in zip(customers, lines, strict=True):
            for text in said:
                customer.send_text(text)
                time.sleep(0.2)
        first = customers[0].conversation_id
        assert first is not None
        bench.open_conversation(first)
        bench.send("您好，我是小汇，马上为您查询订单。")
        page.wait_for_timeout(800)
        page.screenshot(path=out / "workbench.png")
        bench.type("/")
        page.wait_for_timeout(500)
        page.screenshot(path=out / "workbench-quick-replies.png")
        bench.press("Escape")
        # Tickets: one from the first conversation, one by hand; the list and the ticket view.
        first_ticket = _tickets(server.base_url, demo["agents"][0], first)
        page.goto(f"/workbench/tickets/{first_ticket}")
        page.get_by_test_id("ticket-view").wait_for()
        page.wait_for_timeout(800)
        page.screenshot(path=out / "tickets.png")

        supervisor = browser.new_context(
            base_url=server.base_url, viewport={"width": 1440, "height": 900}, locale="zh-CN"
        ).new_page()
        Workbench(supervisor).login(**demo["admin"])
        _api_channel_account(server.base_url, demo["admin"])
        for path, name in [
            ("/monitor", "monitor"),
            ("/admin/bot", "admin-bot"),
            ("/admin/kb", "admin-kb"),
            ("/admin/agents", "admin-agents"),
            ("/admin/channels?tab=accounts", "admin-channels"),
            ("/admin/tickets", "admin-tickets"),
        ]:
            supervisor.goto(path)
            supervisor.wait_for_load_state("networkidle")
            if name == "admin-bot":
                supervisor.get_by_role("tab", name="导航菜单").click()
            supervisor.wait_for_timeout(800)
            supervisor.screenshot(path=out / f"{name}.png")
        for viewport, name in [
            ({"width": 1280, "height": 800}, "widget"),
            ({"width": 390, "height": 800}, "widget-phone"),
        ]:
            shop = browser.new_context(
                base_url=server.base_url,
                viewport=viewport,
                locale="zh-CN",
                is_mobile=name.endswith("phone"),
            ).new_page()
            shop.goto("/demo")
            shop.wait_for_function("window.Huiliu && typeof window.Huiliu.open === 'function'")
            shop.evaluate("window.Huiliu.open()")
            shop.wait_for_timeout(1200)
            shop.screenshot(path=out / f"{name}.png")
        for customer in customers:
            customer.close()
        browser.close()
    print(f"screenshots written to {out}")


def _tickets(base_url: str, agent: dict[str, str], conversation_id: int) -> int:
    """Two tickets for the tickets page: one from a conversation with comments, one by hand;
    returns the first's id."""
    token = httpx.post(f"{base_url}/api/v1/auth/login", json=agent).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    me_id = httpx.get(f"{base_url}/api/v1/me", headers=auth).json()["id"]
    made = httpx.post(
        f"{base_url}/api/v1/conversations/{conversation_id}/ticket",
        json={"subject": "订单三天未发货", "priority": "high", "assignee_id": me_id},
        headers=auth,
    )
    made.raise_for_status()
    ticket_id: int = made.json()["id"]
    for text, public in [("已联系仓库，今天发出", True), ("仓库说缺货，改从华东仓发", False)]:
        httpx.post(
            f"{base_url}/api/v1/tickets/{ticket_id}/comments",
            json={"text": text, "public": public},
            headers=auth,
        ).raise_for_status()
    httpx.post(
        f"{base_url}/api/v1/tickets",
        json={"subject": "发票抬头需要更改", "priority": "normal", "assignee_id": me_id},
        headers=auth,
    ).raise_for_status()
    return ticket_id


def _api_channel_account(base_url: str, admin: dict[str, str]) -> None:
    """An API channel account for the channels page to show (its webhook on the demo shop)."""
    token = httpx.post(f"{base_url}/api/v1/auth/login", json=admin).json()["access_token"]
    httpx.post(
        f"{base_url}/api/v1/tenant/channels",
        json={
            "type": "api",
            "name": "会员 App",
            "config": {"webhook_url": f"{base_url}/demo/hook"},
        },
        headers={"Authorization": f"Bearer {token}"},
    ).raise_for_status()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
