// The customer panel and the directory against a fake server: attributes under the profile
// fields' labels, rule tags marked automatic, purchases, the marketing consent, and reaching
// out (best way first, the unreachable ones disabled with their reason, then the workbench).
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Component } from "vue";
import { createMemoryHistory, createRouter, type Router } from "vue-router";

import { i18n, setLocale } from "@/i18n";
import CustomersView from "@/views/CustomersView.vue";

import CustomerPanel from "./CustomerPanel.vue";

const NOW = "2026-12-01T10:00:00Z";
const CONTACT = {
  id: 7, name: "张三", email: null, phone: null, attributes: { level: "vip", city: "成都" }, verified: false, marketing_opt_out_at: null, created_at: NOW,
  tags: ["高消费", "老客户"], rule_tags: ["高消费"], identities: [{ channel: "web", external_id: "v1", created_at: NOW }],
};
const REACH = [
  { channel: "wechat", channel_account_id: 2, channel_account_name: "公众号", state: "window_closed", conversation_id: null, detail: "the window has passed", best: false },
  { channel: "web", channel_account_id: null, channel_account_name: null, state: "online", conversation_id: null, detail: "connected to the widget or an app now", best: true },
];

type Reply = { status: number; body?: unknown };
let answers: Record<string, (body: unknown) => Reply> = {};
let sent: { key: string; query: string; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  answers = {
    "GET /contacts/7": () => ({ status: 200, body: CONTACT }),
    "PATCH /contacts/7": (b) => ({ status: 200, body: { ...CONTACT, marketing_opt_out_at: (b as { marketing_opt_out: boolean }).marketing_opt_out ? NOW : null } }),
    "GET /contacts/7/conversations": () => ({ status: 200, body: [] }),
    "GET /contacts/7/visits": () => ({ status: 200, body: [] }),
    "GET /contacts/7/tickets": () => ({ status: 200, body: [] }),
    "GET /contacts/7/orders": () => ({ status: 200, body: { configured: false, orders: [] } }),
    "GET /contacts/7/purchases": () => ({ status: 200, body: [{ order_id: "A1", title: "羽绒服", status: "paid", total: "599.00", currency: "CNY", items: [{}, {}], placed_at: NOW, updated_at: NOW }] }),
    "GET /contacts/7/reach": () => ({ status: 200, body: REACH }),
    "POST /contacts/7/conversations": () => ({ status: 201, body: { conversation: { id: 31 }, ack: {}, reach: REACH[1], opened: true } }),
    "GET /tenant/profile": () => ({ status: 200, body: { fields: [{ key: "level", label: "会员等级", type: "select", options: ["vip"], required: false }] } }),
    "GET /tag-rules": () => ({ status: 200, body: [{ id: 1, tag: "高消费", enabled: true }] }),
    "GET /tags": () => ({ status: 200, body: [{ tag: "高消费", count: 3 }] }),
    "GET /segments": () => ({ status: 200, body: [] }),
    "GET /contacts": () => ({ status: 200, body: { contacts: [{ id: 7, name: "张三", email: null, phone: null, tags: ["高消费"], created_at: NOW, last_seen_at: null }], total: 41 } }),
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, "http://localhost");
      const key = `${init?.method ?? "GET"} ${url.pathname.replace("/api/v1", "")}`;
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push({ key, query: url.search, body });
      const out = answers[key]?.(body) ?? { status: 404, body: { code: "not_found", detail: key } };
      return new Response(JSON.stringify(out.body), { status: out.status, headers: { "Content-Type": "application/json" } });
    }),
  );
  setLocale("en");
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

async function show(view: Component, props: Record<string, unknown> = {}, url = "/workbench/customers/7"): Promise<{ w: VueWrapper; router: Router }> {
  setActivePinia(createPinia());
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/:p(.*)*", component: { render: () => null } }] });
  await router.push(url);
  wrapper = mount(view, { attachTo: document.body, props, global: { plugins: [ElementPlus, i18n, router] } });
  await flushPromises();
  return { w: wrapper, router };
}

describe("CustomerPanel", () => {
  it("shows attributes under the fields' labels, rule tags as automatic and the purchases", async () => {
    const { w } = await show(CustomerPanel, { contactId: 7 });
    expect(w.findAll("[data-test=attribute-label]").map((x) => x.text())).toEqual(["会员等级", "city"]);
    const tags = w.findAll("[data-test=tag]");
    expect(tags.map((x) => [x.text().replace(/\s+/g, " "), x.attributes("data-auto") ?? null])).toEqual([["高消费 auto", "true"], ["老客户", null]]);
    expect(w.find("[data-test=purchase]").text()).toContain("¥599.00");
  });

  it("turns marketing off and on", async () => {
    const { w } = await show(CustomerPanel, { contactId: 7 });
    await w.find("[data-test=marketing-consent]").trigger("click");
    await flushPromises();
    expect(sent.find((s) => s.key === "PATCH /contacts/7")?.body).toEqual({ marketing_opt_out: true });
    expect(w.find("[data-test=marketing-consent-state]").text()).toContain("Opted out");
  });

  it("reaches out the best way and opens the conversation", async () => {
    const { w, router } = await show(CustomerPanel, { contactId: 7 });
    await w.find("[data-test=reach-out]").trigger("click");
    await flushPromises();
    const ways = [...document.querySelectorAll<HTMLElement>("[data-test=reach-way]")];
    expect(ways.map((x) => x.dataset.channel)).toEqual(["web", "wechat"]);
    expect(ways[0]!.querySelector("input")!.checked).toBe(true);
    expect(ways[1]!.querySelector("input")!.disabled).toBe(true);
    expect(ways[1]!.textContent).toContain("the window has passed");
    const text = document.querySelector<HTMLTextAreaElement>("[data-test=reach-text]")!;
    text.value = "您好";
    text.dispatchEvent(new Event("input"));
    await flushPromises();
    document.querySelector<HTMLElement>("[data-test=reach-send]")!.click();
    await flushPromises();
    const body = sent.find((s) => s.key === "POST /contacts/7/conversations")?.body as Record<string, unknown>;
    expect(body).toMatchObject({ content: { type: "text", text: "您好" }, channel: "web", channel_account_id: null });
    expect(String(body.client_msg_id)).toMatch(/^reach-/);
    expect(router.currentRoute.value.path).toBe("/workbench/31");
  });

  it("says why a customer cannot be reached", async () => {
    answers["POST /contacts/7/conversations"] = () => ({ status: 409, body: { code: "served_by_another", detail: "李四 serves them" } });
    const { w } = await show(CustomerPanel, { contactId: 7 });
    await w.find("[data-test=reach-out]").trigger("click");
    await flushPromises();
    const text = document.querySelector<HTMLTextAreaElement>("[data-test=reach-text]")!;
    text.value = "您好";
    text.dispatchEvent(new Event("input"));
    await flushPromises();
    document.querySelector<HTMLElement>("[data-test=reach-send]")!.click();
    await flushPromises();
    expect(document.querySelector("[data-test=reach-error]")!.textContent).toContain("Another agent serves this customer: 李四 serves them");
  });
});

describe("CustomersView", () => {
  it("lists customers with the filters from the URL and pages", async () => {
    const { w, router } = await show(CustomersView, {}, "/workbench/customers?tag=高消费&page=2");
    const list = sent.find((s) => s.key === "GET /contacts")!;
    expect(new URLSearchParams(list.query).get("tag")).toBe("高消费");
    expect(new URLSearchParams(list.query).get("page")).toBe("2");
    expect(w.find("[data-test=customers-total]").text()).toBe("41 customer(s)");
    expect(w.find("[data-test=customer-row]").text()).toBe("张三");
    await w.find("[data-test=customer-row]").trigger("click");
    await flushPromises();
    expect(router.currentRoute.value.path).toBe("/workbench/customers/7");
  });
});
