"""Page objects for the admin console: the bot's menu, the knowledge base, service centres,
roles and the agents page."""

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


class CentresAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> CentresAdmin:
        self.page.goto("/admin/centres")
        expect(self.page.get_by_test_id("centres-view")).to_be_visible()
        return self

    def create(self, name: str) -> None:
        self.page.get_by_test_id("centre-create").click()
        dialog = self.page.get_by_test_id("centre-dialog")
        dialog.get_by_test_id("centre-name-input").fill(name)
        dialog.get_by_test_id("centre-save").click()
        expect(dialog).to_be_hidden()
        expect(self.page.get_by_test_id("centre-name").filter(has_text=name)).to_be_visible()


class RolesAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> RolesAdmin:
        self.page.goto("/admin/roles")
        expect(self.page.get_by_test_id("roles-view")).to_be_visible()
        return self

    def row(self, name: str) -> Locator:
        return (
            self.page.get_by_test_id("roles-table")
            .locator("tbody tr")
            .filter(has=self.page.get_by_test_id("role-name").get_by_text(name, exact=True))
        )

    def create(self, name: str, permissions: list[str], scope: str) -> None:
        self.page.get_by_test_id("role-create").click()
        dialog = self.page.get_by_test_id("role-dialog")
        dialog.get_by_test_id("role-name-input").fill(name)
        for permission in permissions:
            dialog.get_by_test_id(f"role-perm-{permission}").click()
        dialog.get_by_test_id(f"role-scope-{scope}").click()
        dialog.get_by_test_id("role-save").click()
        expect(dialog).to_be_hidden()
        expect(self.row(name)).to_be_visible()


class AgentsAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> AgentsAdmin:
        self.page.goto("/admin/agents")
        expect(self.page.get_by_test_id("agents-table")).to_be_visible()
        return self

    def row(self, name: str) -> Locator:
        return (
            self.page.get_by_test_id("agents-table")
            .locator("tbody tr")
            .filter(has=self.page.get_by_test_id("agent-name").get_by_text(name, exact=True))
        )

    def _pick(self, select: Locator, option: Locator) -> None:
        select.click()
        option.click()

    def invite(self, name: str, email: str, centre: str) -> str:
        """A new account in ``centre``; its temporary password (shown once)."""
        self.page.get_by_test_id("agents-invite").click()
        dialog = self.page.get_by_test_id("invite-dialog")
        dialog.get_by_test_id("invite-name").fill(name)
        dialog.get_by_test_id("invite-email").fill(email)
        self._pick(
            dialog.get_by_test_id("invite-centre"),
            self.page.locator('[data-test^="invite-centre-"]:visible').filter(has_text=centre),
        )
        dialog.get_by_test_id("invite-submit").click()
        shown = dialog.get_by_test_id("invite-password").get_by_test_id("copy-value")
        expect(shown).to_be_visible()
        password = shown.input_value()
        dialog.get_by_test_id("invite-done").click()
        expect(self.row(name)).to_be_visible()
        return password

    def give_role(self, name: str, role: str, group: str) -> None:
        """Open ``name``'s account, pick ``role`` and add the skill group ``group``."""
        self.row(name).get_by_test_id("agent-edit").click()
        dialog = self.page.get_by_test_id("agent-dialog")
        self._pick(
            dialog.get_by_test_id("agent-role"),
            self.page.locator('[data-test^="agent-role-"]:visible').filter(has_text=role),
        )
        self._pick(
            dialog.get_by_test_id("agent-groups"),
            self.page.locator(".el-select-dropdown__item:visible").filter(has_text=group),
        )
        self.page.keyboard.press("Escape")  # closes the groups' dropdown, not the dialog
        dialog.get_by_test_id("agent-save").click()
        expect(dialog).to_be_hidden()
        expect(self.row(name).get_by_test_id("agent-role-name")).to_have_text(role)
