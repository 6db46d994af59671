"""The agent's day in the workbench, in a real browser against a real server: sign in, go
online, take a customer the bot hands over, see suggestions, answer with a quick reply,
transfer, close; hostile text stays inert; a dropped connection loses and repeats nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.customer import Customer
from tests.browser.pages import Workbench
from tests.server import ProcessServer


def agent(demo: dict[str, Any], n: int) -> dict[str, str]:
    person: dict[str, str] = demo["agents"][n]
    return person


def handed_over(customer: Customer) -> int:
    """The customer asks the bot for a person; returns the conversation id."""
    customer.send_text("你好")
    customer.send_text("转人工")
    customer.wait_message(lambda m: m["content"].get("event") == "handoff")
    assert customer.conversation_id is not None
    return customer.conversation_id


def test_agent_takes_a_handed_over_customer_answers_transfers_and_the_colleague_closes(
    new_page: Any, customer: Customer, demo: dict[str, Any], server: ProcessServer
) -> None:
    first = Workbench(new_page()).login(**agent(demo, 0))
    first.set_status("online")

    conversation_id = handed_over(customer)
    # Routing gives it to the one online agent at once; it shows in their list.
    expect(first.conversation_item(conversation_id)).to_be_visible()
    first.open_conversation(conversation_id)
    expect(first.timeline.get_by_test_id("event").filter(has_text="机器人转人工")).to_be_visible()

    # Agent assist: the customer's question brings suggested answers from the FAQ.
    customer.send_text("怎么开发票")
    expect(first.message_with("怎么开发票")).to_be_visible()
    expect(first.suggestions.first).to_be_visible()

    # "/" opens the quick replies; Enter picks one, Enter again sends it.
    replies = httpx.get(
        f"{server.base_url}/api/v1/quick-replies",
        headers={"Authorization": f"Bearer {login_token(server, agent(demo, 0))}"},
    ).json()
    first.type("/")
    expect(first.quick_replies.first).to_be_visible()
    first.press("Enter")
    expect(first.composer_input).to_have_value(replies[0]["text"])
    first.press("Enter")
    sent = customer.wait_message(lambda m: m["sender"]["type"] == "agent")
    assert sent["content"] == {"type": "text", "text": replies[0]["text"]}
    expect(first.message_with(replies[0]["text"][:10])).to_have_count(1)

    # Transfer to a colleague who is online, with a note; it leaves the first agent's list.
    second = Workbench(new_page()).login(**agent(demo, 1))
    second.set_status("online")
    first.transfer_to_agent("小流", "老客户，要开专票")
    expect(first.conversation_item(conversation_id)).to_be_hidden()

    expect(second.conversation_item(conversation_id)).to_be_visible()
    second.open_conversation(conversation_id)
    expect(second.timeline.get_by_text("老客户，要开专票")).to_be_visible()
    second.close_conversation("问题已解决")
    closed = customer.wait_message(lambda m: m["content"].get("event") == "closed")
    assert "问题已解决" in (closed["content"].get("reason") or "")
    second.set_status("offline")
    first.set_status("offline")


def test_hostile_text_renders_inert(
    new_page: Any, customer: Customer, demo: dict[str, Any]
) -> None:
    bench = Workbench(new_page()).login(**agent(demo, 2))
    bench.set_status("online")
    conversation_id = handed_over(customer)
    bench.open_conversation(conversation_id)

    customer.send_text("<img src=x onerror=alert(1)>")
    customer.send_text("javascript:alert(2) <a href=javascript:alert(3)>点我</a>")
    hostile = bench.message_with("<img src=x onerror=alert(1)>")
    expect(hostile).to_be_visible()  # shown as the characters the customer typed
    expect(hostile.locator(".content img")).to_have_count(0)
    link_text = bench.message_with("javascript:alert(2)")
    expect(link_text).to_be_visible()
    expect(bench.page.locator('a[href^="javascript"]')).to_have_count(0)
    expect(link_text.locator("a")).to_have_count(0)
    # An alert() would have opened a dialog; the fixture fails the test on any.
    bench.set_status("offline")


def test_a_dropped_connection_loses_and_duplicates_nothing(
    new_page: Any, customer: Customer, demo: dict[str, Any], server: ProcessServer
) -> None:
    bench = Workbench(new_page()).login(**agent(demo, 2))
    bench.set_status("online")
    conversation_id = handed_over(customer)
    bench.open_conversation(conversation_id)
    customer.send_text("第1条")
    expect(bench.message_with("第1条")).to_be_visible()

    # The server dies (kill -9) and comes back; meanwhile the agent writes a reply.
    server.kill()
    expect(bench.connection).not_to_have_attribute("data-state", "open")
    bench.send("断线时写的回复")
    expect(bench.page.get_by_test_id("pending")).to_have_count(1)
    server.start()

    # While the page reconnects, the customer writes more (over REST: their socket died too).
    for n in range(2, 7):
        customer.send_rest(f"第{n}条")
    expect(bench.connection).to_have_attribute("data-state", "open", timeout=30_000)
    for n in range(1, 7):  # the resume after the reconnect brings what was missed
        expect(bench.message_with(f"第{n}条")).to_have_count(1, timeout=15_000)
    expect(bench.message_with("断线时写的回复")).to_have_count(1)
    expect(bench.page.get_by_test_id("pending")).to_have_count(0)
    seqs = bench.seqs_shown()
    assert seqs == sorted(set(seqs)), seqs  # in order, none twice

    # The reply sent during the outage was stored exactly once.
    token = customer.token
    page = httpx.get(
        f"{server.base_url}/api/v1/conversations/{conversation_id}/messages",
        params={"after_seq": 0, "limit": 500},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    replies = [m for m in page["messages"] if m["content"].get("text") == "断线时写的回复"]
    assert len(replies) == 1
    bench.set_status("offline")


def login_token(server: ProcessServer, person: dict[str, str]) -> str:
    deadline = time.monotonic() + 5
    while True:
        response = httpx.post(f"{server.base_url}/api/v1/auth/login", json=person)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    token: str = response.json()["access_token"]
    return token
