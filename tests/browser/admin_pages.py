"""Page objects for the admin console: the bot's menu and the knowledge base."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


class BotAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open_menu(self) -> BotAdmin:
        self.page.goto("/admin/bot")
        expect(self.page.get_by_test_id("bot-view")).to_be_visible()
        self.page.get_by_role("tab", name="导航菜单").click()
        expect(self.page.get_by_test_id("menu-editor")).to_be_visible()
        return self

    @property
    def nodes(self) -> Locator:
        return self.page.get_by_test_id("menu-node")

    def add_text_button(self, label: str, text: str) -> None:
        before = self.nodes.count()
        self.page.get_by_test_id("menu-add").click()
        expect(self.nodes).to_have_count(before + 1)
        node = self.nodes.nth(before)
        node.get_by_test_id("menu-label").fill(label)
        node.get_by_test_id("menu-answer-text").click()
        node.get_by_test_id("menu-text").fill(text)

    def save(self) -> None:
        self.page.get_by_test_id("bot-save").click()
        expect(self.page.get_by_test_id("bot-saved")).to_be_visible()


class KnowledgeAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> KnowledgeAdmin:
        self.page.goto("/admin/kb")
        expect(self.page.get_by_test_id("kb-table")).to_be_visible()
        return self

    def search(self, text: str) -> None:
        self.page.get_by_test_id("kb-search").fill(text)
        expect(self.page.get_by_test_id("kb-row-question").first).to_contain_text(text)

    def first_question(self) -> str:
        return self.page.get_by_test_id("kb-row-question").first.inner_text().strip()

    def edit_first_answer(self, text: str) -> None:
        self.page.get_by_test_id("kb-row-edit").first.click()
        dialog = self.page.get_by_test_id("kb-entry-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_test_id("answer-text").first.fill(text)
        dialog.get_by_test_id("kb-entry-save").click()
        expect(dialog).to_be_hidden()
