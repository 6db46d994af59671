"""Satisfaction in a real browser against a real server: an admin makes the survey a
3-point one in the console (满意度设置); an agent serving a widget customer asks for a
rating from the chat header (邀请评价); the customer picks 不满意 with a tag and a comment in
the widget and is thanked; the agent sees the label on its scale, the tag and the comment
in the chat header at once; a reload of the customer's page does not ask again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import Workbench
from tests.browser.widget_pages import WidgetOnPage, account_token, conversation_of
from tests.server import ProcessServer


@pytest.fixture
def admin_token(server: ProcessServer, demo: dict[str, Any]) -> Iterator[str]:
    """The demo admin's token; the demo merchant's survey settings go back to the defaults
    after the test (the other browser tests rate on the default 5-point scale)."""
    token = account_token(server.base_url, demo["admin"])
    yield token
    r = httpx.put(
        f"{server.base_url}/api/v1/tenant/satisfaction",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()


def three_points_in_the_console(page: Page) -> None:
    page.goto("/admin/satisfaction")
    view = page.get_by_test_id("satisfaction-settings")
    expect(view).to_have_attribute("data-loaded", "true")
    view.get_by_test_id("ss-scale-3").click()
    expect(view.get_by_test_id("ss-point")).to_have_count(3)
    expect(view.get_by_test_id("ss-preview")).to_contain_text("请回复数字 1-3 进行评价")
    view.get_by_test_id("ss-save").click()
    expect(view.get_by_test_id("ss-saved")).to_be_visible()


def test_a_customer_rates_on_a_3_point_scale_with_a_tag_and_the_agent_sees_it(
    new_page: Any, demo: dict[str, Any], server: ProcessServer, admin_token: str
) -> None:
    admin = Workbench(new_page()).login(**demo["admin"])
    three_points_in_the_console(admin.page)
    saved = httpx.get(
        f"{server.base_url}/api/v1/tenant/satisfaction",
        headers={"Authorization": f"Bearer {admin_token}"},
    ).json()
    assert (saved["scale"], saved["labels"]) == (3, ["不满意", "一般", "满意"])

    bench = Workbench(new_page()).login(**demo["agents"][0])
    bench.set_status("online")
    shop = WidgetOnPage(new_page()).goto("/demo")
    shop.open()
    shop.ask_for_a_person()
    expect(shop.headline).to_contain_text("为您服务")
    visitor = shop.page.evaluate("Huiliu.visitor()")
    token = account_token(server.base_url, demo["agents"][0])
    conversation = conversation_of(server.base_url, token, visitor["contactId"])
    bench.open_conversation(conversation["id"])
    bench.send("您好，已经为您加急处理")
    expect(shop.message_with("您好，已经为您加急处理")).to_be_visible()

    # The agent asks from the chat header; the customer gets the survey in the chat.
    bench.page.get_by_test_id("request-survey").click()
    expect(bench.page.get_by_test_id("request-survey")).to_be_hidden()
    expect(bench.page.get_by_test_id("survey-line")).to_contain_text("3 级")
    form = shop.el("rating")
    expect(form).to_be_visible()
    expect(form.locator(".score .label")).to_have_text(["不满意", "一般", "满意"])
    form.locator('[data-score="1"]').click()
    tag = form.locator('[data-test="rating-tag"][data-tag="回复慢"]')
    expect(tag).to_be_visible()
    tag.click()
    expect(tag).to_have_attribute("aria-pressed", "true")
    shop.el("rating-comment").fill("等了好久才有人回复")
    shop.el("rating-submit").click()
    expect(shop.el("rating-thanks")).to_have_text("感谢您的评价！")

    # The agent sees it at once: the label on its scale, the tag, the comment.
    rating = bench.page.get_by_test_id("chat-rating")
    expect(rating.get_by_test_id("chat-rating-score")).to_have_text("不满意（1/3）")
    expect(rating.get_by_test_id("chat-rating-tag")).to_have_text(["回复慢"])
    expect(rating).to_contain_text("等了好久才有人回复")
    stored = conversation_of(server.base_url, token, visitor["contactId"])
    assert (stored["rating_score"], stored["rating_comment"]) == (1, "等了好久才有人回复")

    # A reload does not ask again; closing the chat asks no second time.
    shop.page.reload()
    shop.wait_ready()
    shop.open()
    expect(shop.message_with("您好，已经为您加急处理")).to_be_visible()
    expect(shop.el("rating")).to_have_count(0)
    bench.close_conversation("问题已解决")
    expect(shop.headline).to_contain_text("会话已结束")
    expect(shop.el("rating")).to_have_count(0)
    expect(bench.page.get_by_test_id("survey-line")).to_have_count(1)
    bench.set_status("offline")
