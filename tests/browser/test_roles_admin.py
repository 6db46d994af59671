"""Roles for larger departments in a real browser against a real server: an admin makes a
service centre and a "组长" (team lead: reports and the live monitor over their own groups)
in the console, invites an agent into the centre and gives them the role and a group on the
agents page; the team lead signs in and sees 报表 and 监控 but no admin console, is sent back
from admin pages their role lacks, and their reports page and monitor work."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.admin_pages import AgentsAdmin, CentresAdmin, RolesAdmin
from tests.browser.pages import Workbench

LEAD = "王组长"
LEAD_EMAIL = "lead.wang@demo-roles.test"
DEMO_GROUP = "售前售后"


def test_a_team_lead_sees_reports_and_the_monitor_but_no_admin_pages(
    new_page: Any, demo: dict[str, Any]
) -> None:
    admin = new_page()
    Workbench(admin).login(**demo["admin"])

    CentresAdmin(admin).open().create("华东中心")

    roles = RolesAdmin(admin).open()
    roles.create("组长", ["reports.view", "conversations.monitor"], scope="groups")
    row = roles.row("组长")
    expect(row.get_by_test_id("role-permissions")).to_contain_text("查看报表")
    expect(row.get_by_test_id("role-permissions")).to_contain_text("会话监控")
    expect(row.get_by_test_id("role-scope")).to_have_text("本人所在组")
    expect(row.get_by_test_id("role-holders")).to_have_text("0 人")

    agents = AgentsAdmin(admin).open()
    password = agents.invite(LEAD, LEAD_EMAIL, centre="华东中心")
    expect(agents.row(LEAD).get_by_test_id("agent-role-name")).to_have_text("客服")
    expect(agents.row(LEAD).get_by_test_id("agent-centre")).to_have_text("华东中心")
    agents.give_role(LEAD, "组长", group=DEMO_GROUP)

    expect(RolesAdmin(admin).open().row("组长").get_by_test_id("role-holders")).to_have_text("1 人")

    lead = new_page()
    Workbench(lead).login(email=LEAD_EMAIL, password=password)
    expect(lead.get_by_test_id("nav-reports")).to_be_visible()
    expect(lead.get_by_test_id("nav-monitor")).to_be_visible()
    expect(lead.get_by_test_id("nav-admin")).to_have_count(0)
    lead.locator(".me").click()
    expect(lead.get_by_test_id("me-role")).to_contain_text("组长")
    lead.keyboard.press("Escape")

    for path in ("/admin", "/admin/agents", "/admin/roles", "/admin/bot"):
        lead.goto(path)
        expect(lead.get_by_test_id("workbench")).to_be_visible()
        expect(lead.get_by_test_id("admin-layout")).to_have_count(0)

    opens_reports(lead)
    lead.get_by_test_id("nav-monitor").click()
    expect(lead).to_have_url(re.compile(r"/monitor$"))
    expect(lead.get_by_test_id("monitor")).to_be_visible()


def opens_reports(page: Page) -> None:
    """The team lead's reports page loads its figures (over their groups) without an error."""
    with page.expect_response(lambda r: "/api/v1/reports/overview" in r.url) as answer:
        page.get_by_test_id("nav-reports").click()
    assert answer.value.status == 200, answer.value.text()
    expect(page.get_by_test_id("reports")).to_be_visible()
    expect(page.get_by_test_id("kpi-conversations").get_by_test_id("kpi-value")).to_be_visible()
    expect(page.get_by_test_id("report-error")).to_have_count(0)
