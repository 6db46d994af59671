"""The web widget on the demo shop's pages, in a real browser against a real server: it opens
with the greeting and menu at once, answers a menu tap, hands over to a person who chats and
closes, takes the rating; a hostile page's CSS changes nothing in it; a wrong identity
signature is refused; it fills a phone's screen; it stays within its size budget; a reload
keeps the customer and what they typed; nobody online means a message can be left."""

from __future__ import annotations

import base64
import gzip
import re
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.pages import Workbench
from tests.browser.widget_pages import WidgetOnPage, account_token, conversation_of
from tests.server import ProcessServer

BUDGET = 40 * 1024


def agent(demo: dict[str, Any], n: int) -> dict[str, str]:
    person: dict[str, str] = demo["agents"][n]
    return person


def everyone_offline(server: ProcessServer, demo: dict[str, Any]) -> None:
    for person in demo["agents"]:
        r = httpx.put(
            f"{server.base_url}/api/v1/me/status",
            json={"status": "offline"},
            headers={"Authorization": f"Bearer {account_token(server.base_url, person)}"},
        )
        r.raise_for_status()


def test_a_customer_is_greeted_at_once_served_by_the_bot_then_a_person_and_rates_it(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    bench = Workbench(new_page()).login(**agent(demo, 0))
    bench.set_status("online")
    shop = WidgetOnPage(new_page()).goto("/demo/products/earbuds")

    # 0-second response: greeting and menu are there the moment the panel opens.
    elapsed = shop.open_and_time()
    print(f"\nopen → greeting and menu: {elapsed:.1f} ms")
    assert elapsed < 1000, elapsed
    expect(shop.greeting.first).to_contain_text("小汇")
    expect(shop.headline).to_contain_text("机器人")

    # A menu button: a sub-menu, then the answer, with its helpful / unhelpful buttons.
    shop.tap("订单问题")
    expect(shop.button("怎么取消订单？")).to_be_visible()
    shop.tap("怎么取消订单？")
    voting = shop.from_("bot").filter(has=shop.page.locator('[data-vote="up"]')).last
    expect(voting).to_be_visible()
    answer = shop.el("messages").locator(f'[data-seq="{voting.get_attribute("data-seq")}"]')
    answer.locator('[data-vote="up"]').click()
    expect(answer).to_contain_text("感谢您的反馈")
    # The greeting shows once, though the bot stored it too.
    expect(shop.el("messages").get_by_text("您好，我是智能助手小汇")).to_have_count(1)

    # 转人工: the online agent gets it, and the customer is told who serves them.
    shop.ask_for_a_person()
    expect(shop.headline).to_contain_text("客服 小汇 Agent 1 为您服务")
    expect(shop.el("handoff")).to_be_hidden()
    visitor = shop.page.evaluate("Huiliu.visitor()")
    token = account_token(server.base_url, agent(demo, 0))
    conversation = conversation_of(server.base_url, token, visitor["contactId"])
    bench.open_conversation(conversation["id"])

    # Typing both ways, then messages both ways.
    shop.type("我想")
    expect(bench.page.get_by_test_id("typing")).to_be_visible()
    shop.send("我想退货，订单已经签收了")
    expect(bench.message_with("我想退货，订单已经签收了")).to_be_visible()
    bench.type("好的")
    expect(shop.el("typing")).to_be_visible()
    bench.send("好的，请问是哪一个订单？")
    expect(shop.message_with("好的，请问是哪一个订单？")).to_be_visible()
    expect(shop.from_("agent").last).to_contain_text("小汇 Agent 1")

    # An unread badge while the panel is closed.
    shop.close()
    bench.send("我帮您查一下")
    expect(shop.unread).to_have_text("1")
    shop.open()
    expect(shop.unread).to_be_hidden()

    # The agent closes; the customer rates; the rating is stored and shown to agents.
    bench.close_conversation("问题已解决")
    expect(shop.headline).to_contain_text("会话已结束")
    shop.rate(4, "客服很耐心")
    stored = conversation_of(server.base_url, token, visitor["contactId"])
    assert (stored["id"], stored["rating_score"], stored["rating_comment"]) == (
        conversation["id"],
        4,
        "客服很耐心",
    )
    expect(bench.page.get_by_test_id("chat-rating")).to_contain_text("客服很耐心")
    bench.set_status("offline")


HOSTILE_CSS = """
* { all: unset !important; }
*:not(html):not(body) { display: none !important; }
div, section, button, textarea, span, huiliu-widget {
  color: red !important; font-size: 40px !important; background: yellow !important;
  position: static !important; width: 10px !important; height: 10px !important;
  font-family: "Comic Sans MS", cursive !important; padding: 30px !important; }
huiliu-widget { --hl-accent: red; zoom: 2; }
html { font-size: 5px !important; }
"""


def merchant_page(server: ProcessServer, demo: dict[str, Any], css: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<style>{css}</style>
<script>window.Huiliu = window.Huiliu || {{q: []}};
["identify","track","open","close","on","reset"].forEach(function (m) {{
  Huiliu[m] = Huiliu[m] || function () {{ Huiliu.q.push([m, [].slice.call(arguments)]); }};
}});</script>
<script src="{server.base_url}/widget.js" data-key="{demo["widget_key"]}" async></script>
</head><body><div id="own" style="color: rgb(1, 2, 3)">the merchant's page</div></body>
</html>"""


def test_a_hostile_page_changes_nothing_in_the_widget_and_the_widget_nothing_in_the_page(
    new_page: Any, demo: dict[str, Any], server: ProcessServer, merchant_site: Any
) -> None:
    # Merchant pages on another origin than Huiliu (the widget's API calls are cross-origin),
    # one with CSS that tries to break everything.
    styles = {}
    for name, css in [("plain", ""), ("hostile", HOSTILE_CSS)]:
        page = new_page()
        page.goto(merchant_site.page(f"/shop-{name}", merchant_page(server, demo, css)))
        shop = WidgetOnPage(page)
        shop.wait_ready()
        shop.open()
        expect(shop.greeting.first).to_be_visible()
        # Compared in the same state: connected, so no "connecting…" banner takes room.
        expect(shop.el("connection")).to_be_hidden()
        styles[name] = shop.computed_styles()
        if name == "plain":
            # The widget put no style into the page, and the page's own look is its own.
            assert page.evaluate("() => document.styleSheets.length") == 1
            assert page.evaluate("() => getComputedStyle(own).color") == "rgb(1, 2, 3)"
        # It still works there: a tap gets the bot's answer.
        shop.tap("订单问题")
        expect(shop.button("怎么取消订单？")).to_be_visible()
    assert styles["hostile"] == styles["plain"]
    assert styles["plain"]["[data-test=panel]"]["display"] == "flex"
    assert styles["plain"]["[data-test=launcher]"]["width"] == "56px"


def test_identify_with_a_wrong_signature_is_refused_and_the_visitor_stays_anonymous(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    page = new_page()
    shop = WidgetOnPage(page).goto("/demo")
    anonymous = page.evaluate("Huiliu.visitor()")
    assert anonymous["verified"] is False
    page.evaluate(
        """() => { window.errors = [];
          Huiliu.on("error", (e) => window.errors.push({code: e.code, detail: e.detail}));
          Huiliu.identify({userId: "u1001", name: "王小明", signature: "0".repeat(64)}); }"""
    )
    page.wait_for_function("() => window.errors.length > 0")
    errors = page.evaluate("window.errors")
    assert errors[0]["code"] == "bad_signature", errors
    shop.wait_ready()
    after = page.evaluate("Huiliu.visitor()")
    assert after == anonymous  # the same anonymous customer, still unverified
    shop.open()
    shop.send("我是谁？")
    expect(shop.message_with("我是谁？")).to_be_visible()
    token = account_token(server.base_url, demo["supervisor"])
    profile = httpx.get(
        f"{server.base_url}/api/v1/contacts/{after['contactId']}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert profile["verified"] is False
    assert profile["name"] != "王小明"

    # The shop's own sign-in (its server signs) makes the customer the identified one,
    # who does not see the anonymous conversation.
    page.goto("/demo/account")
    shop.wait_ready()
    page.get_by_test_id("sign-in").click()
    page.wait_for_function("() => Huiliu.visitor() && Huiliu.visitor().verified")
    shop.open()
    expect(shop.message_with("我是谁？")).to_have_count(0)


def test_on_a_phone_the_panel_fills_the_screen(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 760})
    shop = WidgetOnPage(page).goto("/demo")
    box = shop.launcher.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    assert box["y"] + box["height"] <= 760
    shop.open()
    panel = shop.panel.bounding_box()
    assert panel == {"x": 0, "y": 0, "width": 390, "height": 760}, panel
    expect(shop.launcher).to_be_hidden()
    shop.tap("物流配送")
    expect(shop.button("付款后多久发货？")).to_be_visible()
    shop.send("手机上也能聊")
    expect(shop.message_with("手机上也能聊")).to_be_visible()
    shop.close()
    expect(shop.launcher).to_be_visible()

    # A single-page app's navigation is a page view too (the load was the first).
    page.evaluate("history.pushState({}, '', '/demo/products/tea?from=app')")
    visitor = page.evaluate("Huiliu.visitor()")
    token = account_token(server.base_url, demo["supervisor"])

    def visited() -> list[str]:
        r = httpx.get(
            f"{server.base_url}/api/v1/contacts/{visitor['contactId']}/visits",
            headers={"Authorization": f"Bearer {token}"},
        )
        return [v["url"] for v in r.json()]

    for _ in range(50):  # the widget posts it right after the navigation
        if len(visited()) >= 2:
            break
        page.wait_for_timeout(100)
    assert visited() == [
        f"{server.base_url}/demo/products/tea?from=app",
        f"{server.base_url}/demo",
    ]


def test_a_reload_keeps_the_customer_and_sends_what_was_typed_once(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    page = new_page()
    # The visitor's socket goes through here: cut at will, while REST still works.
    cut = {"on": False}
    sockets: list[Any] = []

    def socket(ws: Any) -> None:
        if cut["on"]:
            ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/ws/visitor.*"), socket)
    shop = WidgetOnPage(page).goto("/demo")
    first = page.evaluate("Huiliu.visitor()")
    shop.open()
    shop.send("第一条消息")
    expect(shop.message_with("第一条消息")).to_be_visible()
    # The connection drops: what the customer sends waits in the outbox …
    cut["on"] = True
    for ws in sockets:
        ws.close()
    shop.send("断网时发的消息")
    expect(shop.el("pending")).to_have_count(1)
    shop.type("还没发出去的草稿")
    page.wait_for_timeout(500)  # the draft is saved as it is typed
    # … and after a reload (the socket reaches the server again) it is sent, once.
    cut["on"] = False
    page.reload()
    shop.wait_ready()
    assert page.evaluate("Huiliu.visitor()") == first
    shop.open()
    expect(shop.message_with("断网时发的消息")).to_have_count(1)
    expect(shop.message_with("第一条消息")).to_have_count(1)
    expect(shop.el("pending")).to_have_count(0)
    expect(shop.el("input")).to_have_value("还没发出去的草稿")
    token = account_token(server.base_url, demo["supervisor"])
    conversation = conversation_of(server.base_url, token, first["contactId"])
    stored = httpx.get(
        f"{server.base_url}/api/v1/conversations/{conversation['id']}/messages",
        params={"limit": 500},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    texts = [m["content"].get("text") for m in stored["messages"]]
    assert texts.count("断网时发的消息") == 1


def test_with_nobody_online_the_customer_leaves_a_message(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    everyone_offline(server, demo)
    page = new_page()
    shop = WidgetOnPage(page).goto("/demo")
    shop.open()
    shop.ask_for_a_person()
    expect(shop.el("queue")).to_contain_text("暂时没有客服在线")
    shop.tap("留言")
    shop.leave_message("想批量采购保温杯，请回电", name="赵先生", phone="13700137000")
    expect(shop.el("notice")).to_contain_text("留言已提交")
    expect(shop.message_with("想批量采购保温杯，请回电")).to_be_visible()
    visitor = page.evaluate("Huiliu.visitor()")
    token = account_token(server.base_url, demo["supervisor"])
    conversation = conversation_of(server.base_url, token, visitor["contactId"])
    assert conversation["left_message_at"] is not None
    assert (conversation["status"], conversation["assignee_id"]) == ("open", None)
    profile = httpx.get(
        f"{server.base_url}/api/v1/contacts/{visitor['contactId']}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert (profile["name"], profile["phone"]) == ("赵先生", "13700137000")


def test_the_widget_is_within_its_size_budget(server: ProcessServer) -> None:
    r = httpx.get(f"{server.base_url}/widget.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    on_the_wire = int(r.headers["content-length"])
    assert r.headers["content-encoding"] == "gzip"
    assert on_the_wire < BUDGET, on_the_wire
    assert len(gzip.compress(r.content, 9)) < BUDGET
    print(f"\nwidget.js: {len(r.content)} bytes, {on_the_wire} bytes gzipped on the wire")


# A 2 × 1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAADklEQVR4nGP4z8AAQv8BD/kD/YURmXYAAAAASUVORK5CYII="
)


def test_a_picture_is_uploaded_with_progress_and_sent_as_an_image(
    new_page: Any, demo: dict[str, Any], server: ProcessServer
) -> None:
    page = new_page()
    shop = WidgetOnPage(page).goto("/demo")
    shop.open()
    shop.el("file").set_input_files(
        files=[{"name": "发票.png", "mimeType": "image/png", "buffer": PNG}]
    )
    image = shop.from_("contact").locator("img").last
    expect(image).to_be_visible()
    assert "/files/" in (image.get_attribute("src") or "")
    expect(shop.el("upload")).to_have_count(0)  # the progress row is gone once sent
    visitor = page.evaluate("Huiliu.visitor()")
    token = account_token(server.base_url, demo["supervisor"])
    conversation = conversation_of(server.base_url, token, visitor["contactId"])
    stored = httpx.get(
        f"{server.base_url}/api/v1/conversations/{conversation['id']}/messages",
        headers={"Authorization": f"Bearer {token}"},
    ).json()["messages"]
    sent = [m["content"] for m in stored if m["content"]["type"] == "image"]
    assert len(sent) == 1
    assert (sent[0]["name"], sent[0]["width"], sent[0]["height"]) == ("发票.png", 2, 1)
