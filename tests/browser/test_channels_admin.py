"""Channel accounts end to end in a real browser against a real server: an admin creates an
API channel account in the console (the generated secret shown once), switches it off and on,
reads its event log after the merchant's system posts a signed message to the inbound URL;
an agent sees the conversation's channel and each reply's delivery state turn to sent (the
merchant's webhook on loopback answers 200) or failed (it answers 400), and the console
refuses to delete an account that conversations came through."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import Workbench
from tests.receiver import Receiver, signed
from tests.server import ProcessServer

SLOW = 20_000  # ms: the bot, routing and the outbox worker (polls every second) in between


class ChannelsAdmin:
    """The console's channel accounts (Admin → Channels)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> ChannelsAdmin:
        self.page.goto("/admin/channels?tab=accounts")
        expect(self.page.get_by_test_id("channel-accounts")).to_be_visible()
        return self

    @property
    def dialog(self) -> Locator:
        return self.page.get_by_test_id("channel-dialog")

    def row(self, name: str) -> Locator:
        return (
            self.page.get_by_test_id("channel-accounts-table")
            .locator("tr.el-table__row")
            .filter(
                has=self.page.get_by_test_id("channel-account-name").get_by_text(name, exact=True)
            )
        )

    def create(self, channel: str, name: str, settings: dict[str, str]) -> dict[str, str]:
        """Creates an account; returns what the console shows once: the inbound URL and the
        generated secrets by name."""
        self.page.get_by_test_id(f"channel-add-{channel}").click()
        expect(self.dialog).to_be_visible()
        self.dialog.get_by_test_id("channel-name").fill(name)
        for key, value in settings.items():
            self.dialog.get_by_test_id(f"setting-{key}").fill(value)
        self.dialog.get_by_test_id("channel-save").click()
        expect(self.dialog).to_be_hidden()
        created = self.page.get_by_test_id("channel-created")
        expect(created).to_be_visible()
        shown = {
            "inbound_url": created.get_by_test_id("created-inbound-url")
            .locator("input")
            .input_value()
        }
        for field in created.locator("[data-test^=created-secret-]").all():
            key = (field.get_attribute("data-test") or "").removeprefix("created-secret-")
            shown[key] = field.locator("input").input_value()
        return shown

    def switch(self, name: str, on: bool) -> None:
        switch = self.row(name).get_by_test_id("channel-active")
        switch.click()
        if on:
            expect(switch).to_have_class(_has("is-checked"))
        else:
            expect(switch).not_to_have_class(_has("is-checked"))

    def edit(self, name: str, settings: dict[str, str]) -> None:
        self.row(name).get_by_test_id("channel-edit").click()
        expect(self.dialog).to_be_visible()
        for key, value in settings.items():
            self.dialog.get_by_test_id(f"setting-{key}").fill(value)
        self.dialog.get_by_test_id("channel-save").click()
        expect(self.dialog).to_be_hidden()

    def events(self, name: str) -> Locator:
        self.row(name).get_by_test_id("channel-events").click()
        panel = self.page.get_by_test_id("channel-events-panel")
        expect(panel).to_be_visible()
        return panel

    def delete(self, name: str) -> None:
        self.row(name).get_by_test_id("channel-delete").click()
        self.page.locator(".el-message-box__btns .el-button--primary").click()


def _has(css_class: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(css_class)}(\s|$)")


class MerchantSystem:
    """The merchant's own back end on the API channel: posts its users' messages, signed."""

    def __init__(self, inbound_url: str, secret: str) -> None:
        self.url = f"{inbound_url}/messages"
        self.secret = secret
        self.last_id = ""

    def post(self, user_id: str, text: str) -> httpx.Response:
        self.last_id = f"msg-{secrets.token_hex(6)}"
        body = json.dumps(
            {
                "id": self.last_id,
                "user": {"id": user_id, "name": "王小明"},
                "content": {"type": "text", "text": text},
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        return httpx.post(
            self.url,
            content=body,
            headers={
                "content-type": "application/json",
                "x-huiliu-timestamp": timestamp,
                "x-huiliu-signature": signed(self.secret, timestamp, body),
            },
            timeout=10,
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def wait_received(receiver: Receiver, path: str, check: Any, timeout: float = 20) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        got = receiver.received(path)
        if check(got):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"the merchant's webhook got {got}")
        time.sleep(0.1)


def test_admin_connects_an_api_channel_and_the_agent_sees_delivery_states(
    new_page: Any, demo: dict[str, Any], server: ProcessServer, receiver: Receiver
) -> None:
    agent = Workbench(new_page()).login(**demo["agents"][0])
    agent.set_status("online")

    admin_page = new_page()
    Workbench(admin_page).login(**demo["admin"])
    console = ChannelsAdmin(admin_page).open()
    shown = console.create("api", "会员 App", {"webhook_url": receiver.url("ok")})
    secret = shown["secret"]
    assert len(secret) >= 24, shown
    assert shown["inbound_url"].startswith(f"{server.base_url}/channels/api/"), shown
    receiver.secrets["ok"] = secret
    receiver.secrets["bad"] = secret
    app = MerchantSystem(shown["inbound_url"], secret)

    # Switched off, the account refuses pushes; switched on again, it takes them.
    console.switch("会员 App", on=False)
    off = app.post("u-42", "你好")
    assert off.status_code == 403, off.text
    assert off.json()["code"] == "channel_inactive", off.text
    console.switch("会员 App", on=True)
    first = app.post("u-42", "你好")
    assert first.status_code == 201, first.text
    conversation_id = first.json()["conversation_id"]

    # The event log shows the stored push, its record on expanding (the push's own id).
    pushed_id = app.last_id
    events = console.events("会员 App")
    stored = admin_page.locator("[data-test=channel-event-status][data-status=stored]")
    stored_row = events.locator("tr.el-table__row").filter(has=stored).first
    expect(stored_row).to_be_visible()
    stored_row.locator(".el-table__expand-icon").click()
    expect(events.get_by_test_id("channel-event-raw").filter(has_text=pushed_id)).to_be_visible()

    # The bot answers on the channel (the merchant's webhook gets it, signed); asked for a
    # person, it hands over to the one online agent.
    wait_received(receiver, "ok", lambda got: any(r.valid for r in got))
    assert app.post("u-42", "转人工").status_code == 201
    item = agent.conversation_item(conversation_id)
    expect(item).to_be_visible(timeout=SLOW)
    expect(item.get_by_test_id("item-channel")).to_have_attribute("data-channel", "api")
    agent.open_conversation(conversation_id)
    expect(agent.page.get_by_test_id("chat-channel")).to_contain_text("API")

    # A reply through a webhook that answers 200: sent.
    agent.send("您好，我是小汇，马上为您查询。")
    reply = agent.message_with("马上为您查询")
    expect(reply.get_by_test_id("delivery")).to_have_attribute("data-status", "sent", timeout=SLOW)
    got = wait_received(
        receiver, "ok", lambda got: any("马上为您查询" in r.raw.decode() for r in got)
    )
    assert all(r.valid for r in got)

    # The merchant's webhook now refuses (400): the next reply shows failed, with the reason.
    receiver.always("bad", 400)
    console.open()
    console.edit("会员 App", {"webhook_url": receiver.url("bad")})
    agent.send("请问订单号是多少？")
    failed = agent.message_with("请问订单号是多少").get_by_test_id("delivery")
    expect(failed).to_have_attribute("data-status", "failed", timeout=SLOW)
    expect(failed.get_by_test_id("delivery-failed")).to_contain_text("400")

    # The console's log has the failed delivery too; an account in use cannot be deleted.
    events = console.events("会员 App")
    expect(
        events.locator("[data-test=channel-event-status][data-status=failed]").first
    ).to_be_visible()
    console.delete("会员 App")
    expect(admin_page.get_by_test_id("channel-accounts-error")).to_contain_text("会员 App")
    expect(console.row("会员 App")).to_have_count(1)
    agent.set_status("offline")
