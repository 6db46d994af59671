"""Quality review in a real browser against a real server: a supervisor writes a checklist
(a points item and a critical one), draws a sample that holds a conversation an agent just
served, scores it beside its transcript and submits; the agent finds it unread under
"我的质检", reads the scores and the transcript and disputes it; the supervisor upholds the
review with an answer, and the agent sees the answer.

Needs the route ``/workbench/quality`` and the strings registered (docs/quality.md, "Wiring").
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.customer import Customer
from tests.browser.pages import Workbench
from tests.server import ProcessServer


class Api:
    """One person's REST calls, for what the test sets up outside the browser."""

    def __init__(self, server: ProcessServer, person: dict[str, Any]) -> None:
        self.http = httpx.Client(base_url=server.base_url + "/api/v1", timeout=10)
        token = self.http.post("/auth/login", json=person).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.me: dict[str, Any] = self.http.get("/me").json()

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, path, json=body)
        assert r.status_code < 300, r.text
        return r.json()


def served_and_closed(agent: Api, customer: Customer, first_words: str) -> int:
    """A conversation the agent answered and closed (the only agent online)."""
    agent.call("PUT", "/me/status", {"status": "online"})
    try:
        customer.send_text(first_words)
        customer.send_text("转人工")
        customer.wait_message(lambda m: m["content"].get("event") == "handoff")
        cid = customer.conversation_id
        assert cid is not None
        deadline = time.monotonic() + 10
        while agent.call("GET", f"/conversations/{cid}")["assignee_id"] != agent.me["id"]:
            assert time.monotonic() < deadline, "the conversation was not assigned"
            time.sleep(0.1)
        reply = {
            "client_msg_id": secrets.token_hex(8),
            "content": {"type": "text", "text": "马上为您查询物流"},
        }
        agent.call("POST", f"/conversations/{cid}/messages", reply)
        agent.call("POST", f"/conversations/{cid}/close", {})
        return cid
    finally:
        agent.call("PUT", "/me/status", {"status": "offline"})


class Quality:
    """The quality page (质检), as a supervisor or an agent uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, tab: str) -> Quality:
        self.page.goto(f"/workbench/quality?tab={tab}")
        expect(self.page.get_by_test_id("quality-page")).to_be_visible()
        return self

    def item(self, scope: Locator, key_or_index: int) -> Locator:
        return scope.get_by_test_id("checklist-item").nth(key_or_index)

    def new_checklist(self, name: str) -> None:
        editor = self.page.get_by_test_id("quality-checklists")
        editor.get_by_test_id("checklist-new").click()
        editor.get_by_test_id("checklist-name").fill(name)
        first = self.item(editor, 0)
        first.get_by_test_id("item-label").fill("规范问候")
        editor.get_by_test_id("checklist-add-item").click()
        second = self.item(editor, 1)
        second.get_by_test_id("item-label").fill("解决问题")
        second.get_by_test_id("item-scoring").click()
        self.page.get_by_role("option", name="打分").click()
        points = second.locator('[data-test="item-points"] input, input[data-test="item-points"]')
        points.fill("30")
        points.blur()
        editor.get_by_test_id("checklist-add-item").click()
        third = self.item(editor, 2)
        third.get_by_test_id("item-label").fill("合规承诺")
        third.get_by_test_id("item-critical").click()
        editor.get_by_test_id("checklist-save").click()
        expect(editor.get_by_test_id("checklist-saved")).to_be_visible()
        expect(editor.get_by_test_id("checklist-total")).to_contain_text("50")

    def draw_sample(self, conversation_id: int) -> None:
        self.page.get_by_test_id("sample-open").click()
        dialog = self.page.get_by_test_id("sample-dialog")
        expect(dialog).to_be_visible()
        n = dialog.locator('[data-test="sample-n"] input, input[data-test="sample-n"]')
        n.fill("200")
        n.blur()
        dialog.get_by_test_id("sample-preview").click()
        row = dialog.locator(f'[data-test="sample-row"][data-conversation-id="{conversation_id}"]')
        expect(row).to_be_visible()
        dialog.get_by_test_id("sample-create").click()
        expect(dialog).to_be_hidden()

    def queue_item(self, conversation_id: int) -> Locator:
        return self.page.locator(
            f'[data-test="batch-item"][data-conversation-id="{conversation_id}"]'
        )

    def review_item(self, key_label: str) -> Locator:
        form = self.page.get_by_test_id("review-form")
        return form.get_by_test_id("review-item").filter(has_text=key_label)


def test_a_supervisor_reviews_a_sampled_conversation_and_the_agent_disputes_it(
    new_page: Any, server: ProcessServer, demo: dict[str, Any], customer: Customer
) -> None:
    agent_login = demo["agents"][0]
    agent = Api(server, agent_login)
    try:
        conversation_id = served_and_closed(agent, customer, "我的快递三天没动了")
    finally:
        agent.close()

    # The supervisor: a checklist, a sample holding the conversation, a review.
    sup_page = new_page()
    Workbench(sup_page).login(**demo["supervisor"])
    quality = Quality(sup_page).open("checklists")
    quality.new_checklist("服务质检表")
    quality.open("queue")
    quality.draw_sample(conversation_id)
    row = quality.queue_item(conversation_id)
    expect(row).to_have_attribute("data-status", "none")
    row.click()
    workspace = sup_page.get_by_test_id("review-workspace")
    expect(
        workspace.get_by_test_id("quality-transcript-message").filter(has_text="我的快递三天没动了")
    ).to_be_visible()
    workspace.get_by_test_id("review-start").click()
    expect(workspace.get_by_test_id("review-status")).to_have_attribute("data-status", "draft")
    quality.review_item("规范问候").get_by_test_id("choice-pass").click()
    points = quality.review_item("解决问题").get_by_test_id("points-input")
    points.fill("24")
    points.press("Enter")  # the number input takes a value on change, not on each key
    expect(points).to_have_value("24")
    quality.review_item("合规承诺").get_by_test_id("choice-pass").click()
    total = workspace.get_by_test_id("review-total-number")
    expect(total).to_have_text("88.0")
    # A failed critical item zeroes it, in front of the reviewer.
    quality.review_item("合规承诺").get_by_test_id("choice-fail").click()
    expect(total).to_have_text("0.0")
    expect(workspace.get_by_test_id("critical-failed")).to_be_visible()
    quality.review_item("合规承诺").get_by_test_id("choice-pass").click()
    expect(total).to_have_text("88.0")
    workspace.get_by_test_id("review-comment").fill("处理及时，注意结束语")
    workspace.get_by_test_id("review-submit").click()
    expect(workspace.get_by_test_id("review-status")).to_have_attribute("data-status", "submitted")
    expect(row).to_have_attribute("data-status", "submitted")
    expect(row.get_by_test_id("batch-item-score")).to_have_text("88.0")

    # The agent: unread in 我的质检, the scores beside the transcript; a dispute.
    agent_page = new_page()
    Workbench(agent_page).login(**agent_login)
    mine = Quality(agent_page).open("mine")
    expect(agent_page.get_by_test_id("quality-tab-queue")).to_have_count(0)
    own = agent_page.locator('[data-test="mine-row"]').filter(has_text=f"#{conversation_id}")
    expect(own).to_have_attribute("data-unread", "true")
    own.click()
    expect(own).to_have_attribute("data-unread", "false")
    expect(agent_page.get_by_test_id("review-total-number")).to_have_text("88.0")
    expect(agent_page.get_by_test_id("review-comment-text")).to_have_text("处理及时，注意结束语")
    expect(
        agent_page.get_by_test_id("quality-transcript-message").filter(has_text="马上为您查询物流")
    ).to_be_visible()
    agent_page.get_by_test_id("dispute-open").click()
    agent_page.get_by_test_id("dispute-comment-input").fill("客户只问了物流，已按流程答复")
    agent_page.get_by_test_id("dispute-send").click()
    expect(agent_page.get_by_test_id("dispute-card")).to_have_attribute("data-outcome", "open")

    # The supervisor upholds it with an answer.
    quality.open("disputes")
    dispute = sup_page.get_by_test_id("dispute-row").filter(has_text="客户只问了物流")
    dispute.click()
    sup_page.get_by_test_id("resolve-reply").fill("结束语缺失，维持原评分")
    sup_page.get_by_test_id("resolve-upheld").click()
    expect(sup_page.get_by_test_id("disputes-empty")).to_be_visible()

    # The agent sees the answer, marked unread again.
    mine.open("mine")
    expect(own).to_have_attribute("data-unread", "true")
    own.click()
    card = agent_page.get_by_test_id("dispute-card")
    expect(card).to_have_attribute("data-outcome", "upheld")
    expect(card.get_by_test_id("dispute-resolution")).to_have_text("结束语缺失，维持原评分")
