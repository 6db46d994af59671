"""Page objects: what a person sees and does in the workbench, in one place, so the tests
read as the behaviour and a markup change is fixed here once."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect


class Workbench:
    def __init__(self, page: Page) -> None:
        self.page = page

    # -- signing in and status --------------------------------------------------------------

    def login(self, email: str, password: str) -> Workbench:
        self.page.goto("/login")
        self.page.get_by_test_id("login-email").fill(email)
        self.page.get_by_test_id("login-password").fill(password)
        self.page.get_by_test_id("login-submit").click()
        expect(self.page.get_by_test_id("workbench")).to_be_visible()
        expect(self.connection).to_have_attribute("data-state", "open")
        return self

    @property
    def connection(self) -> Locator:
        return self.page.get_by_test_id("connection")

    def set_status(self, status: str) -> None:
        self.page.get_by_test_id("status").click()
        self.page.get_by_test_id(f"status-{status}").click()
        labels = {"online": "在线", "away": "离开", "offline": "离线"}
        expect(self.page.get_by_test_id("status")).to_contain_text(labels[status])

    # -- lists ------------------------------------------------------------------------------

    def conversation_item(self, conversation_id: int) -> Locator:
        return self.page.locator(f'[data-test="conversation-item"][data-id="{conversation_id}"]')

    def open_conversation(self, conversation_id: int) -> None:
        self.page.get_by_test_id("tab-mine").click()
        self.conversation_item(conversation_id).click()
        expect(self.page.get_by_test_id("chat-panel")).to_be_visible()

    # -- the chat ---------------------------------------------------------------------------

    @property
    def timeline(self) -> Locator:
        return self.page.get_by_test_id("timeline")

    @property
    def messages(self) -> Locator:
        return self.timeline.locator('[data-test="message"]')

    def message_with(self, text: str) -> Locator:
        return self.messages.filter(has_text=text)

    @property
    def composer_input(self) -> Locator:
        return self.page.get_by_test_id("composer-input")

    def type(self, text: str) -> None:
        self.composer_input.fill(text)

    def press(self, key: str) -> None:
        self.composer_input.press(key)

    def send(self, text: str) -> None:
        self.type(text)
        self.press("Enter")

    @property
    def suggestions(self) -> Locator:
        return self.page.get_by_test_id("suggestion")

    @property
    def quick_replies(self) -> Locator:
        return self.page.get_by_test_id("quick-replies").locator("li")

    def transfer_to_agent(self, name: str, note: str) -> None:
        self.page.get_by_test_id("transfer").click()
        dialog = self.page.get_by_test_id("transfer-dialog")
        dialog.get_by_test_id("transfer-agent").click()
        self.page.locator(".el-select-dropdown__item").filter(has_text=name).first.click()
        dialog.get_by_test_id("transfer-note").fill(note)
        dialog.get_by_test_id("transfer-submit").click()
        expect(dialog).to_be_hidden()

    def close_conversation(self, reason_label: str) -> None:
        self.page.get_by_test_id("close").click()
        dialog = self.page.get_by_test_id("close-dialog")
        dialog.get_by_text(reason_label, exact=True).click()
        dialog.get_by_test_id("close-submit").click()
        expect(dialog).to_be_hidden()

    def seqs_shown(self) -> list[int]:
        values: list[Any] = self.messages.evaluate_all("els => els.map(e => Number(e.dataset.seq))")
        return [int(v) for v in values]


def text_pattern(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))
