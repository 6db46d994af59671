// Page views: on load, and on each navigation of a single-page app (pushState, back), once
// per page; Huiliu.track() always records. (A file of its own: the widget wraps this
// jsdom window's history.)
import { expect, it, vi } from "vitest";

import { FakeNetwork } from "../../sdk/test/fake-socket";
import { Widget } from "../src/widget";

it("records a page view on load and on every history navigation", async () => {
  const tracked: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const path = new URL(input).pathname.replace("/api/v1", "");
      const json = (data: unknown, status = 200) => new Response(JSON.stringify(data), { status, headers: { "content-type": "application/json" } });
      if (path === "/widget/config") return json({ title: null, color: "#2563eb", logo_url: null, language: "en", position: "right", greeting: null, identity_required: false, bot: null });
      if (path === "/widget/sessions") return json({ visitor_token: "t", contact_id: 1, visitor_id: "v", verified: false, expires_in: 3600 }, 201);
      if (path === "/conversations") return json([]);
      if (path === "/widget/track") tracked.push(JSON.parse(String(init?.body)).url);
      return json({}, 201);
    }),
  );
  const tick = () => new Promise((r) => setTimeout(r, 20));
  const widget = new Widget({ base: "https://hl.test", widgetKey: "wk", WebSocket: new FakeNetwork().WebSocket });
  await widget.start();
  await tick();
  expect(tracked).toEqual([location.href]);
  history.pushState({}, "", "/shop/item-2");
  await tick();
  history.replaceState({ again: true }, "", "/shop/item-2"); // the same page: no second view
  await tick();
  expect(tracked).toEqual([`${location.origin}/`, `${location.origin}/shop/item-2`]);
  widget.track(); // asked for: always
  await tick();
  expect(tracked).toHaveLength(3);
  history.back();
  await new Promise((r) => setTimeout(r, 100));
  expect(tracked.at(-1)).toBe(`${location.origin}/`);
  // The English greeting when the bot is off and the merchant set none.
  expect(document.querySelector("huiliu-widget")!.shadowRoot!.querySelector("[data-test=greeting]")!.textContent).toBe("Hi! How can we help you?");
});
