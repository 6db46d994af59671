"""Service marketing in a real browser against a real server: an admin makes a segment of
the customers tagged 新品关注 (previewing its count), a template with a placeholder (its live
preview), and a campaign to the segment; starts it and watches it reach 已完成 with every
customer sent to, while the customers receive the notice on their widget. An agent finds a
customer in the directory, opens the profile and reaches out first: the best way is chosen,
the message goes out, the conversation opens in the workbench and the customer reads it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.customer import Customer
from tests.browser.marketing_pages import CampaignsAdmin, CustomersPage, SegmentsAdmin
from tests.browser.pages import Workbench
from tests.server import ProcessServer

TAG = "新品关注"


@pytest.fixture
def api(server: ProcessServer, demo: dict[str, Any]) -> Iterator[httpx.Client]:
    """The admin over REST, to set the customers up."""
    token = httpx.post(f"{server.base_url}/api/v1/auth/login", json=demo["admin"]).json()[
        "access_token"
    ]
    with httpx.Client(
        base_url=f"{server.base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def customer_named(
    server: ProcessServer, demo: dict[str, Any], api: httpx.Client, name: str
) -> Customer:
    person = Customer(server.base_url, demo["widget_key"])
    api.patch(f"/contacts/{person.contact_id}", json={"name": name}).raise_for_status()
    return person


def test_an_admin_sends_a_campaign_to_a_segment_by_tag(
    new_page: Any, server: ProcessServer, demo: dict[str, Any], api: httpx.Client
) -> None:
    run = secrets.token_hex(3)
    tag = f"{TAG}{run}"
    people = [customer_named(server, demo, api, f"{n}{run}") for n in ("张三", "李四")]
    try:
        for person in people:
            api.put(f"/contacts/{person.contact_id}/tags/{tag}").raise_for_status()

        admin = new_page()
        Workbench(admin).login(**demo["admin"])

        segment = f"新品关注客户{run}"
        SegmentsAdmin(admin).open().create_by_tag(segment, tag, expect_count=2)

        campaigns = CampaignsAdmin(admin).open()
        template = f"新品通知{run}"
        campaigns.create_template(
            template,
            "{{contact.name|亲}}，您关注的新品上市了",
            preview_contains="亲，您关注的新品上市了",
        )
        detail = campaigns.create_segment_campaign(f"新品上市{run}", segment, template)
        detail.get_by_test_id("campaign-move-start").click()
        expect(detail).to_have_attribute("data-status", "done", timeout=30_000)
        expect(detail.get_by_test_id("campaign-count-sent")).to_have_attribute("data-n", "2")
        expect(detail.get_by_test_id("campaign-detail-progress")).to_have_text("2 / 2")
        expect(detail.get_by_test_id("delivery-status").filter(has_text="已发送")).to_have_count(2)

        for person, name in zip(people, ("张三", "李四"), strict=True):
            notice = person.wait_message(
                lambda m: "新品上市了" in (m["content"].get("text") or ""), timeout=15
            )
            assert notice["content"]["text"] == f"{name}{run}，您关注的新品上市了"

        admin.keyboard.press("Escape")
        row = admin.get_by_test_id("campaigns-table").locator("tbody tr").first
        expect(row.get_by_test_id("campaign-row-status")).to_have_attribute("data-status", "done")
        expect(row.get_by_test_id("campaign-row-progress")).to_have_text("2 / 2")
    finally:
        for person in people:
            person.close()


def test_an_agent_reaches_out_to_a_customer_from_their_profile(
    new_page: Any, server: ProcessServer, demo: dict[str, Any], api: httpx.Client
) -> None:
    name = f"王五{secrets.token_hex(3)}"
    person = customer_named(server, demo, api, name)
    try:
        page = new_page()
        Workbench(page).login(**demo["agents"][0])
        directory = CustomersPage(page).open()
        directory.open_profile(name)
        directory.reach_out("您好，您的退款已经到账了", best_channel="web")

        expect(page).to_have_url(re.compile(r"/workbench/\d+$"))
        expect(page.get_by_test_id("chat-panel")).to_be_visible()
        expect(page.get_by_test_id("timeline")).to_contain_text(
            "您好，您的退款已经到账了", timeout=15_000
        )

        message = person.wait_message(
            lambda m: m["content"].get("text") == "您好，您的退款已经到账了"
        )
        assert message["sender"]["type"] == "agent"
    finally:
        person.close()
