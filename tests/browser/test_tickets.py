"""Tickets in a real browser against a real server: an agent makes a ticket from a
conversation (prefilled from it), finds it in "my tickets" and in the customer panel,
answers the customer publicly (the customer's socket receives it) and internally (shown
apart), and moves it to solved; an admin sets an SLA target and a custom field in the
console and the ticket view shows the field and the SLA clock."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.customer import Customer
from tests.browser.pages import Workbench
from tests.server import ProcessServer


def handed_over(customer: Customer, first_words: str) -> int:
    customer.send_text(first_words)
    customer.send_text("转人工")
    customer.wait_message(lambda m: m["content"].get("event") == "handoff")
    assert customer.conversation_id is not None
    return customer.conversation_id


def ticket_id_of(page: Page) -> int:
    expect(page).to_have_url(re.compile(r"/workbench/tickets/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_an_agent_makes_a_ticket_from_a_chat_answers_it_and_solves_it(
    new_page: Any, customer: Customer, demo: dict[str, Any]
) -> None:
    page = new_page()
    bench = Workbench(page).login(**demo["agents"][0])
    bench.set_status("online")
    conversation_id = handed_over(customer, "我的退款还没到账")
    expect(bench.conversation_item(conversation_id)).to_be_visible()
    bench.open_conversation(conversation_id)
    expect(bench.message_with("我的退款还没到账")).to_be_visible()

    # From the chat: the subject is the customer's first words (prefilled, else the
    # server's default for an empty one).
    page.get_by_test_id("create-ticket").click()
    dialog = page.get_by_test_id("ticket-create")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("ticket-subject")).to_have_value("我的退款还没到账")
    dialog.get_by_test_id("ticket-description").fill("订单 A1001，七天未到账 <b>x</b>")
    dialog.get_by_test_id("ticket-create-submit").click()
    expect(dialog).to_be_hidden()
    ticket_id = ticket_id_of(page)
    view = page.get_by_test_id("ticket-view")
    expect(view.get_by_test_id("ticket-title")).to_have_text("我的退款还没到账")
    expect(view.get_by_test_id("ticket-status")).to_have_attribute("data-status", "open")
    expect(view.get_by_test_id("ticket-description-text")).to_have_text(
        "订单 A1001，七天未到账 <b>x</b>"
    )
    # Only the allowed moves.
    expect(view.get_by_test_id("move-pending")).to_be_visible()
    expect(view.get_by_test_id("move-closed")).to_have_count(0)
    # The transcript of the conversation, read-only.
    view.get_by_role("tab", name="来源会话记录").click()
    expect(
        view.get_by_test_id("transcript-message").filter(has_text="我的退款还没到账")
    ).to_be_visible()
    view.get_by_role("tab", name="评论").click()

    # It is in "my tickets".
    page.get_by_test_id("ticket-view-mine").click()
    row = page.locator(f'[data-test="ticket-row"][data-ticket-id="{ticket_id}"]')
    expect(row).to_be_visible()

    # A public comment reaches the customer's conversation.
    view.get_by_test_id("comment-text").fill("已为您加急处理退款")
    view.get_by_test_id("comment-send").click()
    public = view.locator('[data-test="ticket-comment"][data-public="true"]')
    expect(public).to_contain_text("已为您加急处理退款")
    sent = customer.wait_message(
        lambda m: (
            m["sender"]["type"] == "agent" and "已为您加急处理退款" in m["content"].get("text", "")
        )
    )
    assert sent["content"]["subject"].startswith("[#")

    # An internal one stays with the agents, shown apart.
    view.get_by_test_id("comment-public").click()
    view.get_by_test_id("comment-text").fill("财务说周五到账")
    view.get_by_test_id("comment-send").click()
    internal = view.locator('[data-test="ticket-comment"][data-public="false"]')
    expect(internal).to_contain_text("财务说周五到账")
    expect(internal).to_have_class(re.compile(r"\binternal\b"))

    # Solved: the status, the moves and the list follow.
    view.get_by_test_id("move-solved").click()
    expect(view.get_by_test_id("ticket-status")).to_have_attribute("data-status", "solved")
    expect(view.get_by_test_id("move-closed")).to_be_visible()
    expect(view.get_by_test_id("move-solved")).to_have_count(0)
    view.get_by_role("tab", name="变更历史").click()
    expect(view.get_by_test_id("history-entry").filter(has_text="已解决")).to_be_visible()

    # The customer panel lists the ticket and links to it.
    page.goto(f"/workbench/{conversation_id}")
    panel = page.get_by_test_id("customer-panel")
    panel.get_by_role("tab", name=re.compile("工单")).click()
    link = panel.locator(f'[data-test="customer-ticket"][data-ticket-id="{ticket_id}"]')
    expect(link).to_contain_text("我的退款还没到账")
    link.get_by_role("link").click()
    expect(page.get_by_test_id("ticket-view")).to_have_attribute("data-ticket-id", str(ticket_id))
    bench.set_status("offline")


def test_an_admin_sets_an_sla_target_and_a_custom_field_the_ticket_shows(
    new_page: Any, server: ProcessServer, demo: dict[str, Any]
) -> None:
    page = new_page()
    Workbench(page).login(**demo["admin"])
    page.goto("/admin/tickets")
    settings = page.get_by_test_id("ticket-settings")
    expect(settings).to_have_attribute("data-loaded", "true")  # a click before is undone
    settings.get_by_test_id("ts-sla-on").click()
    settings.get_by_test_id("ts-fr-high").locator("input").fill("30")
    settings.get_by_test_id("ts-res-high").locator("input").fill("480")
    settings.get_by_test_id("ts-business-hours").click()  # calendar time: due times are certain
    settings.get_by_test_id("ts-field-add").click()
    settings.get_by_test_id("ts-field-key").last.fill("order_no")
    settings.get_by_test_id("ts-field-label").last.fill("订单号")
    settings.get_by_test_id("ts-save").click()
    expect(settings.get_by_test_id("ts-saved")).to_be_visible()

    token = httpx.post(f"{server.base_url}/api/v1/auth/login", json=demo["admin"]).json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    saved = httpx.get(f"{server.base_url}/api/v1/tenant/tickets", headers=auth).json()
    assert saved["sla"]["targets"]["high"] == {"first_response_min": 30, "resolution_min": 480}
    assert saved["custom_fields"][0]["key"] == "order_no"

    created = httpx.post(
        f"{server.base_url}/api/v1/tickets",
        headers=auth,
        json={"subject": "发票抬头错误", "priority": "high"},
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    page.goto(f"/workbench/tickets/{ticket_id}")
    view = page.get_by_test_id("ticket-view")
    expect(view.get_by_test_id("ticket-title")).to_have_text("发票抬头错误")
    expect(view.get_by_test_id("sla").first).to_have_attribute("data-state", "running")
    expect(view.get_by_test_id("sla").first).to_have_attribute("data-tone", "warn")  # 30 min left
    field = view.get_by_test_id("cf-order_no")
    expect(field).to_be_visible()
    field.fill("A1001")
    view.get_by_test_id("ticket-save").click()
    expect(view.get_by_test_id("ticket-saved")).to_be_visible()
    got = httpx.get(f"{server.base_url}/api/v1/tickets/{ticket_id}", headers=auth).json()
    assert got["custom_fields"] == {"order_no": "A1001"}
