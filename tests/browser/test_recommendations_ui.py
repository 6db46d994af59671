"""Recommended products in the workbench, in a real browser against a real server: the
merchant syncs its catalogue with an API key, the customer asks about a product, the agent
sees it recommended with why and sends it in one click, finds another by searching, and the
list is read again when the customer writes."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.customer import Customer
from tests.browser.pages import Workbench
from tests.server import ProcessServer

SHOP = "https://shop.example.com"
CATALOGUE = [
    {
        "product_id": "ui-down",
        "name": "轻薄羽绒服",
        "price": "599.00",
        "url": f"{SHOP}/p/down",
        "category": "外套",
        "keywords": ["羽绒", "保暖"],
    },
    {
        "product_id": "ui-scarf",
        "name": "羊绒围巾",
        "price": "199",
        "url": f"{SHOP}/p/scarf",
        "category": "配饰",
        "keywords": ["围巾"],
    },
]


class RecommendedProducts:
    """The 推荐商品 tab of the customer panel beside the open conversation."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> None:
        self.page.get_by_test_id("customer-panel").get_by_role("tab", name="推荐商品").click()
        expect(self.page.get_by_test_id("recommendations")).to_be_visible()

    def card(self, name: str) -> Locator:
        return self.page.get_by_test_id("recommendation").filter(has_text=name)

    def send(self, name: str) -> None:
        self.card(name).get_by_test_id("rec-send").click()
        expect(self.card(name).get_by_test_id("rec-send")).to_have_text("已发送")

    def search(self, text: str) -> Locator:
        self.page.get_by_test_id("product-search").fill(text)
        return self.page.get_by_test_id("product-result")


def token(server: ProcessServer, person: dict[str, str]) -> str:
    deadline = time.monotonic() + 5
    while True:
        response = httpx.post(f"{server.base_url}/api/v1/auth/login", json=person)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    access: str = response.json()["access_token"]
    return access


def sync_catalogue(server: ProcessServer, demo: dict[str, Any]) -> None:
    admin = {"Authorization": f"Bearer {token(server, demo['admin'])}"}
    key = httpx.post(
        f"{server.base_url}/api/v1/tenant/api-keys", json={"name": "商城"}, headers=admin
    )
    assert key.status_code == 201, key.text
    synced = httpx.post(
        f"{server.base_url}/api/v1/integration/products",
        json={"products": CATALOGUE},
        headers={"Authorization": f"Bearer {key.json()['key']}"},
    )
    assert synced.status_code == 200, synced.text


def test_agent_sends_a_recommended_product_and_a_searched_one(
    new_page: Any, customer: Customer, demo: dict[str, Any], server: ProcessServer
) -> None:
    sync_catalogue(server, demo)
    # Earlier tests may leave colleagues online: the handoff must come to this agent.
    for colleague in [*demo["agents"][1:], demo["supervisor"], demo["admin"]]:
        r = httpx.put(
            f"{server.base_url}/api/v1/me/status",
            json={"status": "offline"},
            headers={"Authorization": f"Bearer {token(server, colleague)}"},
        )
        assert r.status_code == 200, r.text
    workbench = Workbench(new_page()).login(**demo["agents"][0])
    workbench.set_status("online")

    customer.send_text("你好")
    customer.send_text("转人工")
    customer.wait_message(lambda m: m["content"].get("event") == "handoff")
    assert customer.conversation_id is not None
    customer.send_text("有没有羽绒服")
    expect(workbench.conversation_item(customer.conversation_id)).to_be_visible()
    workbench.open_conversation(customer.conversation_id)
    expect(workbench.message_with("有没有羽绒服")).to_be_visible()

    products = RecommendedProducts(workbench.page)
    products.open()
    down = products.card("轻薄羽绒服")
    expect(down.get_by_test_id("rec-reason")).to_contain_text(["问过"])
    expect(down.get_by_test_id("rec-price")).to_have_text("¥599.00")
    products.send("轻薄羽绒服")
    card = customer.wait_message(lambda m: m["content"].get("type") == "card")
    assert card["content"]["title"] == "轻薄羽绒服"
    assert card["content"]["url"] == f"{SHOP}/p/down"
    expect(workbench.timeline.get_by_text("轻薄羽绒服")).to_be_visible()

    # The customer asks about something else: the list is read again and names it.
    customer.send_text("围巾也想看看")
    expect(products.card("羊绒围巾").get_by_test_id("rec-reason")).to_contain_text(["问过"])

    found = products.search("围巾")
    expect(found).to_have_count(1)
    found.first.get_by_test_id("product-send").click()
    expect(found.first.get_by_test_id("product-send")).to_have_text("已发送")
    scarf = customer.wait_message(
        lambda m: m["content"].get("type") == "card" and m["content"]["title"] == "羊绒围巾"
    )
    assert scarf["content"]["price"] == "¥199.00"  # the price as the server stores it
    workbench.set_status("offline")
