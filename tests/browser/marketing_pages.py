"""Page objects for the customer directory and profile and the marketing admin pages."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def pick_option(page: Page, select: Locator, text: str) -> None:
    """Open an Element Plus select and click the visible option with ``text``."""
    select.click()
    page.locator(".el-select-dropdown__item:visible").filter(has_text=text).first.click()


class SegmentsAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> SegmentsAdmin:
        self.page.goto("/admin/segments")
        expect(self.page.get_by_test_id("segments-view")).to_be_visible()
        return self

    def row(self, name: str) -> Locator:
        return (
            self.page.get_by_test_id("segments-table")
            .locator("tbody tr")
            .filter(has=self.page.get_by_test_id("segment-name").get_by_text(name, exact=True))
        )

    def create_by_tag(self, name: str, tag: str, expect_count: int) -> None:
        self.page.get_by_test_id("segment-create").click()
        dialog = self.page.get_by_test_id("segment-dialog")
        dialog.get_by_test_id("segment-name-input").fill(name)
        dialog.get_by_test_id("segment-tags_all").click()
        self.page.locator(f'[data-test="segment-tag-option-{tag}"]:visible').click()
        dialog.get_by_test_id("segment-name-input").click()  # closes the dropdown
        dialog.get_by_test_id("segment-preview-run").click()
        expect(dialog.get_by_test_id("segment-preview-count")).to_have_attribute(
            "data-count", str(expect_count)
        )
        dialog.get_by_test_id("segment-save").click()
        expect(dialog).to_be_hidden()
        expect(self.row(name).get_by_test_id("segment-count")).to_have_attribute(
            "data-count", str(expect_count)
        )


class CampaignsAdmin:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> CampaignsAdmin:
        self.page.goto("/admin/campaigns")
        expect(self.page.get_by_test_id("campaigns-view")).to_be_visible()
        return self

    def tab(self, label: str) -> None:
        self.page.get_by_test_id("campaigns-tabs").get_by_role("tab", name=label).click()

    def create_template(self, name: str, text: str, preview_contains: str) -> None:
        self.tab("消息模板")
        self.page.get_by_test_id("template-create").click()
        dialog = self.page.get_by_test_id("template-dialog")
        dialog.get_by_test_id("template-name-input").fill(name)
        dialog.get_by_test_id("template-text").fill(text)
        expect(dialog.get_by_test_id("template-preview")).to_contain_text(preview_contains)
        dialog.get_by_test_id("template-save").click()
        expect(dialog).to_be_hidden()
        expect(
            self.page.get_by_test_id("template-name").get_by_text(name, exact=True)
        ).to_be_visible()

    def create_segment_campaign(self, name: str, segment: str, template: str) -> Locator:
        """Creates the draft; its detail opens in the drawer, which is returned."""
        self.tab("活动")
        self.page.get_by_test_id("campaign-create").click()
        dialog = self.page.get_by_test_id("campaign-dialog")
        dialog.get_by_test_id("campaign-name").fill(name)
        pick_option(self.page, dialog.get_by_test_id("campaign-template"), template)
        pick_option(self.page, dialog.get_by_test_id("campaign-segment"), segment)
        dialog.get_by_test_id("campaign-quiet").click()  # quiet hours off
        dialog.get_by_test_id("campaign-save").click()
        expect(dialog).to_be_hidden()
        detail = self.page.get_by_test_id("campaign-detail")
        expect(detail).to_have_attribute("data-status", "draft")
        return detail


class CustomersPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> CustomersPage:
        self.page.get_by_test_id("nav-customers").click()
        expect(self.page.get_by_test_id("customers")).to_be_visible()
        return self

    def open_profile(self, name: str) -> Locator:
        self.page.get_by_test_id("customers-search").fill(name)
        row = self.page.get_by_test_id("customer-row").filter(has_text=name)
        expect(row).to_have_count(1)
        row.click()
        expect(self.page.get_by_test_id("customer-page")).to_be_visible()
        panel = self.page.get_by_test_id("customer-panel")
        expect(panel.get_by_test_id("customer-name")).to_contain_text(name)
        return panel

    def reach_out(self, text: str, best_channel: str) -> None:
        """Opens the dialog, checks the best way is first and chosen, sends ``text``."""
        self.page.get_by_test_id("reach-out").click()
        dialog = self.page.get_by_test_id("reach-dialog")
        first = dialog.get_by_test_id("reach-way").first
        expect(first.get_by_test_id("reach-best")).to_be_visible()
        expect(first).to_have_attribute("data-channel", best_channel)
        expect(first.locator("input")).to_be_checked()
        dialog.get_by_test_id("reach-text").fill(text)
        dialog.get_by_test_id("reach-send").click()
        expect(dialog).to_be_hidden()
