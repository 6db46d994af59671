import { describe, expect, it } from "vitest";

import type { Content } from "@/api/content";
import { mountWithApp } from "@/test/mount";

import MessageContent from "./MessageContent.vue";

function render(content: Content) {
  return mountWithApp(MessageContent, { props: { content } });
}

describe("MessageContent", () => {
  it("shows HTML in a text message as text, never as markup", () => {
    const w = render({ type: "text", text: "<img src=x onerror=alert(1)> <b>bold</b>" });
    expect(w.find("img").exists()).toBe(false);
    expect(w.find("b").exists()).toBe(false);
    expect(w.text()).toContain("<img src=x onerror=alert(1)>");
  });

  it("links http(s) addresses in text and leaves javascript: inert", () => {
    const w = render({ type: "text", text: "https://shop.example/a javascript:alert(1)" });
    const links = w.findAll("a");
    expect(links).toHaveLength(1);
    expect(links[0]!.attributes("href")).toBe("https://shop.example/a");
    expect(links[0]!.attributes("rel")).toContain("noopener");
  });

  it("sanitizes a rich answer", () => {
    const w = render({ type: "rich", html: '<p>ok</p><img src="x" onerror="alert(1)"><a href="javascript:alert(2)">x</a>' });
    expect(w.html()).not.toMatch(/onerror|javascript:/);
    expect(w.find(".rich p").text()).toBe("ok");
  });

  it("renders an order card with its fields", () => {
    const w = render({
      type: "card",
      card_type: "order",
      title: "订单 HL0001",
      fields: [{ label: "状态", value: "已发货" }],
    });
    expect(w.find(".card-title").text()).toBe("订单 HL0001");
    expect(w.find(".card-fields").text()).toContain("已发货");
  });

  it("renders a menu's buttons and an answer's parts", () => {
    const menu = render({ type: "menu", text: "请选择", buttons: [{ id: "a", label: "查订单" }, { id: "b", label: "转人工" }] });
    expect(menu.findAll(".menu-buttons .el-tag")).toHaveLength(2);
    const answer = render({ type: "answer", entry_id: 1, question: "怎么开发票", feedback: true, parts: [{ type: "text", text: "在订单页申请" }] });
    expect(answer.text()).toContain("怎么开发票");
    expect(answer.text()).toContain("在订单页申请");
  });

  it("does not load media from a non-http URL", () => {
    const w = render({ type: "file", url: "javascript:alert(1)", name: "x.pdf" });
    expect(w.find("a").attributes("href")).toBeUndefined();
  });
});
