"""Page objects for the web widget on a page: what a customer sees and does in it, in one
place. Playwright's CSS locators pierce the widget's (open) shadow root, so the widget's
`data-test` names are found from the page."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

# Calls Huiliu.open() and measures, in the page, how long until the greeting and the menu's
# buttons are on screen and tappable.
_OPEN_AND_TIME = """async () => {
  const t0 = performance.now();
  window.Huiliu.open();
  return await new Promise((resolve, reject) => {
    const check = () => {
      const root = document.querySelector("huiliu-widget")?.shadowRoot;
      const panel = root?.querySelector('[data-test="panel"]');
      const greeting = root?.querySelector('[data-test="greeting"]');
      const button = root?.querySelector('[data-test="greeting"] .menu button');
      const shown = (el) => el && el.getBoundingClientRect().height > 0;
      const elapsed = performance.now() - t0;
      if (panel && !panel.hidden && shown(greeting) && shown(button) && !button.disabled) {
        resolve(elapsed);
      } else if (elapsed > 10000) {
        reject(new Error("no greeting and menu within 10 s"));
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  });
}"""

# The computed styles that make the widget look as it does, for comparing two pages.
_STYLES = """() => {
  const root = document.querySelector("huiliu-widget").shadowRoot;
  const props = ["display", "position", "width", "height", "color", "background-color",
    "font-family", "font-size", "font-weight", "line-height", "padding-top", "padding-left",
    "margin-top", "border-top-width", "border-radius", "box-sizing", "visibility", "opacity",
    "text-align", "z-index"];
  const out = {};
  for (const sel of ["[data-test=launcher]", "[data-test=panel]", "[data-test=title]",
      "[data-test=headline]", "[data-test=greeting] .bubble", "[data-test=greeting] .chip",
      "[data-test=input]", "[data-test=send]", ".list", ".head"]) {
    const el = root.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const cs = getComputedStyle(el);
    out[sel] = Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
  }
  const host = document.querySelector("huiliu-widget").getBoundingClientRect();
  out.host = [host.right, host.bottom];
  return out;
}"""


class WidgetOnPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def goto(self, path: str = "/demo") -> WidgetOnPage:
        self.page.goto(path)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """The widget is there and has its session (the launcher shows, sends can go)."""
        expect(self.launcher).to_be_visible()
        self.page.wait_for_function(
            "() => window.Huiliu && window.Huiliu.version && window.Huiliu.visitor() !== null"
        )

    # -- the panel --------------------------------------------------------------------------

    def el(self, test_id: str) -> Locator:
        return self.page.locator(f'huiliu-widget [data-test="{test_id}"]')

    @property
    def launcher(self) -> Locator:
        return self.el("launcher")

    @property
    def panel(self) -> Locator:
        return self.el("panel")

    @property
    def headline(self) -> Locator:
        return self.el("headline")

    @property
    def unread(self) -> Locator:
        return self.el("unread")

    def open_and_time(self) -> float:
        """Opens the panel through the page's API; milliseconds until greeting and menu."""
        elapsed: float = self.page.evaluate(_OPEN_AND_TIME)
        expect(self.panel).to_be_visible()
        return elapsed

    def open(self) -> None:
        if not self.panel.is_visible():
            self.launcher.click()
        expect(self.panel).to_be_visible()

    def close(self) -> None:
        self.el("close").click()
        expect(self.panel).to_be_hidden()

    def computed_styles(self) -> dict[str, Any]:
        self.page.evaluate("() => document.fonts.ready.then(() => true)")  # settled metrics
        styles: dict[str, Any] = self.page.evaluate(_STYLES)
        return styles

    # -- the conversation -------------------------------------------------------------------

    @property
    def greeting(self) -> Locator:
        return self.el("greeting")

    @property
    def messages(self) -> Locator:
        return self.el("messages").locator('[data-test="message"]')

    def message_with(self, text: str) -> Locator:
        return self.messages.filter(has_text=text)

    def from_(self, sender: str) -> Locator:
        return self.el("messages").locator(f'[data-test="message"][data-sender="{sender}"]')

    def button(self, label: str) -> Locator:
        """The last menu button with this label (the newest menu's)."""
        return self.el("messages").locator("button.chip", has_text=label).last

    def tap(self, label: str) -> None:
        self.button(label).click()

    def type(self, text: str) -> None:
        self.el("input").fill(text)

    def send(self, text: str) -> None:
        self.type(text)
        self.el("input").press("Enter")

    def ask_for_a_person(self) -> None:
        self.el("handoff").click()

    # -- forms ------------------------------------------------------------------------------

    def rate(self, stars: int, comment: str) -> None:
        form = self.el("rating")
        expect(form).to_be_visible()
        form.locator(f'[data-score="{stars}"]').click()
        self.el("rating-comment").fill(comment)
        self.el("rating-submit").click()
        expect(self.el("rating-thanks")).to_be_visible()

    def leave_message(self, text: str, *, name: str, phone: str) -> None:
        expect(self.el("leave-form")).to_be_visible()
        self.el("leave-name").fill(name)
        self.el("leave-phone").fill(phone)
        self.el("leave-text").fill(text)
        self.el("leave-submit").click()
        expect(self.el("leave-form")).to_be_hidden()


def conversation_of(base_url: str, token: str, contact_id: int) -> dict[str, Any]:
    """The customer's newest conversation, over REST as an account."""
    r = httpx.get(
        f"{base_url}/api/v1/conversations",
        params={"contact_id": contact_id, "limit": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    found: list[dict[str, Any]] = r.json()
    assert found, f"no conversation of contact {contact_id}"
    return found[0]


def account_token(base_url: str, person: dict[str, str]) -> str:
    deadline = time.monotonic() + 5
    while True:
        response = httpx.post(f"{base_url}/api/v1/auth/login", json=person)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
