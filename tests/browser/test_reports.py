"""The reports in a real browser against a real server: a customer's conversation goes
through the product (widget → the bot hands over → an agent answers → closes), the worker
folds it into the report tables, and a supervisor opens /reports: the key figures are the
API's, a card opens the conversations behind it (ours among them, linked to the workbench in
a new tab), the drill-down's CSV export downloads a file that parses back to the same rows;
the agents and hot-words tabs show the API's rows; a range the API refuses shows its reason;
the live monitor links to today's report."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.browser.customer import Customer
from tests.browser.pages import Workbench
from tests.server import ProcessServer

# The demo tenant has no report settings: reports count days in the default zone.
REPORT_ZONE = ZoneInfo("Asia/Shanghai")


def token_of(server: ProcessServer, person: dict[str, str]) -> str:
    response = httpx.post(f"{server.base_url}/api/v1/auth/login", json=person)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def report(server: ProcessServer, token: str, route: str, **params: Any) -> dict[str, Any]:
    response = httpx.get(
        f"{server.base_url}/api/v1/reports/{route}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def a_served_conversation(page: Page, customer: Customer, agent: dict[str, str]) -> int:
    """Widget → the bot hands over → the agent answers → closes; the conversation's id."""
    bench = Workbench(page).login(**agent)
    bench.set_status("online")
    customer.send_text("你好，我想查询退款进度")
    customer.send_text("转人工")
    customer.wait_message(lambda m: m["content"].get("event") == "handoff")
    conversation_id = customer.conversation_id
    assert conversation_id is not None
    expect(bench.conversation_item(conversation_id)).to_be_visible()
    bench.open_conversation(conversation_id)
    bench.send("您好，退款已经在处理了")
    customer.wait_message(lambda m: m["sender"]["type"] == "agent")
    bench.close_conversation("问题已解决")
    customer.wait_message(lambda m: m["content"].get("event") == "closed")
    bench.set_status("offline")
    return conversation_id


def folded(server: ProcessServer, token: str, days: dict[str, str], conversation_id: int) -> None:
    """Wait until the worker has folded the conversation's close (the report tables are kept
    as events happen, by outbox jobs after the commit, in order per conversation: once the
    close is counted, so is everything before it)."""
    deadline = time.monotonic() + 30
    while True:
        page = report(server, token, "conversations", metric="closed", per_page=200, **days)
        if conversation_id in [r["conversation_id"] for r in page["conversations"]]:
            return
        assert time.monotonic() < deadline, f"conversation {conversation_id} never folded"
        time.sleep(0.2)


def test_a_supervisor_reads_the_report_drills_into_a_number_and_exports_it(
    new_page: Any, customer: Customer, demo: dict[str, Any], server: ProcessServer
) -> None:
    agent = demo["agents"][2]
    conversation_id = a_served_conversation(new_page(), customer, agent)
    token = token_of(server, demo["supervisor"])
    # Yesterday and today in the report zone: a conversation near midnight is still in.
    today = datetime.now(REPORT_ZONE).date()
    days = {"from": str(today - timedelta(days=1)), "to": str(today)}
    folded(server, token, days, conversation_id)
    overview = report(server, token, "overview", **days)
    assert overview["conversations"]["value"] >= 1

    page = new_page()
    Workbench(page).login(**demo["supervisor"])
    page.goto(f"/reports?from={days['from']}&to={days['to']}")
    expect(page.get_by_test_id("reports")).to_be_visible()

    # The key figures are the API's.
    def card(key: str) -> Any:
        return page.get_by_test_id(f"kpi-{key}")

    expect(card("conversations").get_by_test_id("kpi-value")).to_have_text(
        str(overview["conversations"]["value"])
    )
    expect(card("conversations").get_by_test_id("kpi-sub")).to_have_text(
        f"已结束 {overview['closed']['value']}"
    )
    expect(card("handoff").get_by_test_id("kpi-sub")).to_contain_text(
        f"转人工 {overview['bot_handed_over']['value']}"
    )
    expect(card("first-response")).to_have_attribute("data-metric", "responded")
    assert overview["first_response"]["count"]["value"] >= 1
    expect(card("first-response").get_by_test_id("kpi-value")).not_to_have_text("—")

    # A card opens the conversations behind it: ours among them, linked to the workbench.
    behind = report(server, token, "conversations", metric="responded", per_page=20, **days)
    card("first-response").click()
    drawer = page.get_by_test_id("drill-drawer")
    expect(drawer.get_by_test_id("drill-total")).to_have_attribute(
        "data-total", str(behind["total"])
    )
    ours = drawer.locator(f'[data-test="drill-row"][data-id="{conversation_id}"]')
    expect(ours).to_be_visible()
    expect(ours).to_have_attribute("href", f"/workbench/{conversation_id}")
    expect(ours).to_have_attribute("target", "_blank")
    shown = drawer.get_by_test_id("drill-row").evaluate_all(
        "els => els.map(e => Number(e.dataset.id))"
    )
    assert shown == [r["conversation_id"] for r in behind["conversations"]]

    # Its export downloads (with the token: fetch and a blob) a CSV that parses to the rows.
    with page.expect_download() as info:
        drawer.get_by_test_id("drill-export-csv").click()
    download = info.value
    assert download.suggested_filename == f"会话明细-{days['from']}_{days['to']}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV without a BOM: Excel would garble the Chinese"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "会话ID"
    assert len(rows) - 1 == behind["total"]
    assert str(conversation_id) in [r[0] for r in rows[1:]]
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()

    # The agents tab: the agent who served it, with the API's number.
    agents = report(server, token, "agents", **days)["agents"]
    me = httpx.get(
        f"{server.base_url}/api/v1/me",
        headers={"Authorization": f"Bearer {token_of(server, agent)}"},
    ).json()
    row = next(a for a in agents if a["agent"]["id"] == me["id"])
    page.get_by_role("tab", name="客服", exact=True).click()
    expect(page).to_have_url(re.compile(r"tab=agents"))
    name = page.locator(f'[data-test="agent-name"][data-agent-id="{me["id"]}"]')
    expect(name).to_have_text(me["name"])
    line = page.locator(".el-table__row", has=name)
    expect(line.get_by_test_id("agent-conversations")).to_have_text(
        str(row["conversations"]["value"])
    )

    # The hot-words tab shows the API's terms (or says there are none).
    hot = report(server, token, "hot-words", **days)
    page.get_by_role("tab", name="热词", exact=True).click()
    if hot["top"]:
        words = page.get_by_test_id("hot-word")
        expect(words.first).to_have_text(hot["top"][0]["term"])
        expect(words).to_have_count(len(hot["top"]))
    else:
        expect(page.get_by_test_id("hot-words-empty")).to_contain_text("该时段暂无数据")

    # Reloading the page keeps the filters and the tab (they live in the URL).
    page.reload()
    hot_tab = page.get_by_role("tab", name="热词", exact=True)
    expect(hot_tab).to_have_attribute("aria-selected", "true")


def test_a_range_the_api_refuses_shows_its_reason(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    token = token_of(server, demo["supervisor"])
    refused = httpx.get(
        f"{server.base_url}/api/v1/reports/overview",
        params={"from": "2020-01-01", "to": "2026-01-01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert 400 <= refused.status_code < 500, refused.text
    page = new_page()
    Workbench(page).login(**demo["supervisor"])
    page.goto("/reports?from=2020-01-01&to=2026-01-01")
    expect(page.get_by_test_id("report-error")).to_contain_text(refused.json()["detail"])


def test_the_live_monitor_links_to_todays_report(new_page: Any, demo: dict[str, Any]) -> None:
    page = new_page()
    Workbench(page).login(**demo["supervisor"])
    page.goto("/monitor")
    page.get_by_test_id("monitor-report-link").click()
    expect(page).to_have_url(re.compile(r"/reports\?range=today$"))
    expect(page.get_by_test_id("kpi-conversations")).to_be_visible()
