"""An admin edits the bot's menu and a knowledge-base entry in the console, and the bot uses
both from the next message, without a restart."""

from __future__ import annotations

from typing import Any

from tests.browser.admin_pages import BotAdmin, KnowledgeAdmin
from tests.browser.customer import Customer
from tests.browser.pages import Workbench


def test_menu_and_knowledge_edits_reach_the_bot_at_once(
    new_page: Any, demo: dict[str, Any], server: Any
) -> None:
    page = new_page()
    Workbench(page).login(**demo["admin"])

    bot = BotAdmin(page).open_menu()
    bot.add_text_button("会员福利", "本周会员全场九折，结账时自动生效。")
    bot.save()

    # A customer arriving now sees the new button, and tapping it answers with its text.
    customer = Customer(server.base_url, demo["widget_key"])
    try:
        customer.send_text("你好")
        menu = customer.wait_message(lambda m: m["content"]["type"] == "menu")
        buttons = {b["label"]: b["id"] for b in menu["content"]["buttons"]}
        assert "会员福利" in buttons, buttons
        customer.send_text("会员福利", button_id=buttons["会员福利"])
        customer.wait_message(
            lambda m: m["sender"]["type"] == "bot" and "本周会员全场九折" in str(m["content"])
        )

        kb = KnowledgeAdmin(page).open()
        kb.search("发票")
        question = kb.first_question()
        kb.edit_first_answer("新的说明：在订单详情页点“申请发票”，电子发票 1 小时内发到邮箱。")

        customer.send_text(question)
        answer = customer.wait_message(
            lambda m: m["sender"]["type"] == "bot" and m["content"]["type"] == "answer"
        )
        assert "电子发票 1 小时内发到邮箱" in str(answer["content"]["parts"]), answer
    finally:
        customer.close()
