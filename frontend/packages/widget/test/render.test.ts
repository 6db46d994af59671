// Rendering a message never turns text into markup: hostile text stays characters, only
// http(s) addresses become links, rich answers lose scripts and handlers, media and links
// need http(s) URLs, and events never show what is meant for agents.
import { describe, expect, it, vi } from "vitest";

import type { Content } from "@huiliu/sdk";

import { eventText, renderContent, type RenderContext } from "../src/render";
import { strings } from "../src/strings";

const s = strings("zh-CN");
const ctx: RenderContext = { s, tap: null, vote: null };
const render = (content: unknown, c: RenderContext = ctx) => renderContent(content as Content, c);

describe("rendering", () => {
  it("shows hostile text as the characters typed", () => {
    const text = `<img src=x onerror="alert(1)"><script>alert(2)</script> & "quotes"`;
    const el = render({ type: "text", text });
    expect(el.textContent).toBe(text);
    expect(el.querySelector("img, script")).toBeNull();
  });

  it("links only http(s) addresses, as elements opening a new tab", () => {
    const el = render({ type: "text", text: "看 https://shop.example.com/a?b=1。或 javascript:alert(1) 和 ftp://x.y" });
    const links = [...el.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://shop.example.com/a?b=1"]);
    expect(links[0]!.rel).toBe("noopener noreferrer nofollow");
    expect(links[0]!.target).toBe("_blank");
    expect(el.textContent).toContain("javascript:alert(1)");
  });

  it("sanitizes rich answers: formatting stays, scripts, handlers and bad links go", () => {
    const el = render({
      type: "rich",
      html: `<p>点<b>退款</b> <a href="javascript:alert(1)">坏链接</a> <a href="https://ok.test/x">好链接</a></p>
        <img src="x" onerror="alert(2)"><img src="https://img.test/a.png"><script>alert(3)</script>
        <iframe src="https://evil.test"></iframe><div style="position:fixed" onclick="alert(4)">块</div>`,
    });
    expect(el.querySelector("b")?.textContent).toBe("退款");
    expect(el.querySelector("script, iframe, [onerror], [onclick], [style]")).toBeNull();
    const links = [...el.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual([null, "https://ok.test/x"]);
    expect(links.every((a) => a.rel === "noopener noreferrer nofollow")).toBe(true);
    expect([...el.querySelectorAll("img")].map((i) => i.getAttribute("src"))).toEqual([null, "https://img.test/a.png"]);
  });

  it("shows media only from http(s) URLs", () => {
    expect(render({ type: "image", url: "https://img.test/a.png", width: 10, height: 20 }).querySelector("img")?.src).toBe(
      "https://img.test/a.png",
    );
    expect(render({ type: "image", url: "javascript:alert(1)" }).querySelector("img")).toBeNull();
    expect(render({ type: "video", url: "data:text/html,<script>" }).tagName).toBe("DIV");
    expect(render({ type: "audio", url: "https://a.test/v.mp3" }).tagName).toBe("AUDIO");
    const file = render({ type: "file", url: "javascript:alert(1)", name: "<b>发票</b>.pdf", size: 2048 });
    expect(file.tagName).toBe("DIV");
    expect(file.textContent).toBe("📄 <b>发票</b>.pdf · 2 KB");
    const card = render({ type: "card", card_type: "product", title: "<i>耳机</i>", url: "javascript:x", image_url: "https://i.test/p.png", price: "¥299", fields: [{ label: "颜色", value: "<b>黑</b>" }] });
    expect(card.querySelector("a")).toBeNull();
    expect(card.querySelector("strong")?.textContent).toBe("<i>耳机</i>");
    expect(card.querySelector("dd")?.textContent).toBe("<b>黑</b>");
    const place = render({ type: "location", lat: 31.2, lng: 121.5, name: "门店", address: "<b>世纪大道</b>" });
    expect(place.getAttribute("href")).toContain("mlat=31.2&mlon=121.5");
    expect(place.textContent).toContain("<b>世纪大道</b>");
  });

  it("makes menu buttons tap with their id, and says leave_message in its own words", () => {
    const tap = vi.fn();
    const el = render({ type: "menu", text: "请选择", buttons: [{ id: "menu:a", label: "<b>订单</b>" }, { id: "leave_message", label: "留言" }] }, { ...ctx, tap });
    const buttons = [...el.querySelectorAll("button")];
    expect(buttons.map((b) => b.textContent)).toEqual(["<b>订单</b>", s.leave]);
    buttons[0]!.click();
    expect(tap).toHaveBeenCalledWith({ id: "menu:a", label: "<b>订单</b>" });
    // Without a tap handler (an earlier conversation) the buttons are inert.
    expect(render({ type: "menu", buttons: [{ id: "x", label: "y" }] }).querySelector("button")?.disabled).toBe(true);
  });

  it("answers the bot's answer with a vote, once", async () => {
    const vote = vi.fn(async () => {});
    const el = render(
      { type: "answer", entry_id: 1, question: "怎么退款", parts: [{ type: "text", text: "点退款" }], feedback: true },
      { ...ctx, vote },
    );
    expect(el.textContent).toContain("点退款");
    el.querySelector<HTMLButtonElement>("[data-vote=down]")!.click();
    await Promise.resolve();
    await Promise.resolve();
    expect(vote).toHaveBeenCalledWith(false);
    expect(el.querySelector(".vote")?.textContent).toBe(s.voted);
    // already_voted (a vote from another tab) reads as done too
    const again = render(
      { type: "answer", entry_id: 1, question: "q", parts: [{ type: "text", text: "a" }], feedback: true },
      { ...ctx, vote: () => Promise.reject({ code: "already_voted", detail: "x" }) },
    );
    again.querySelector<HTMLButtonElement>("[data-vote=up]")!.click();
    await new Promise((r) => setTimeout(r));
    expect(again.querySelector(".vote")?.textContent).toBe(s.voted);
  });

  it("tells events in the customer's words, never the agents' notes or summaries", () => {
    expect(eventText({ type: "event", event: "assigned", account_id: 3, account_name: "小汇" }, s)).toBe("客服 小汇 已接入");
    const transfer = eventText({ type: "event", event: "transferred", note: "老客户，难缠", reason: "agent offline" }, s);
    expect(transfer).toBe(s.transferred);
    const handoff = eventText({ type: "event", event: "handoff", summary: "客户问了退款", reason: "x" }, s);
    expect(handoff).toBe(s.handedOff);
    expect(eventText({ type: "event", event: "opened" }, s)).toBeNull();
    expect(render({ type: "event", event: "closed", reason: "spam" }).textContent).toBe(s.ended);
  });

  it("shows a content type it does not know as a placeholder", () => {
    expect(render({ type: "hologram", data: "<script>" }).textContent).toBe(s.unsupported);
  });
});
