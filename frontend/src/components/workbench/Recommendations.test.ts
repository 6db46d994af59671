// Recommended products beside a conversation, against a fake server: the cards with their
// reasons and why on hover, sending one in a click (disabled while it goes, the server's
// refusal shown), reading the list again when the customer writes, searching products on
// sale, and the empty state.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryHistory, createRouter } from "vue-router";

import type { ConversationView, Message, Product, Recommendation } from "@/api/types";
import { i18n, setLocale } from "@/i18n";
import { useConversations } from "@/stores/conversations";

import CustomerPanel from "./CustomerPanel.vue";
import Recommendations from "./Recommendations.vue";

const NOW = "2026-12-01T10:00:00Z";

function product(over: Partial<Product> = {}): Product {
  return {
    product_id: "p1", name: "羽绒服", price: "599.00", currency: "CNY", url: "https://shop.example/p1", image_url: "https://shop.example/p1.jpg",
    category: "服装", keywords: [], description: null, active: true, updated_at: NOW, ...over,
  };
}

function rec(p: Product, reasons: Recommendation["reasons"], detail: string): Recommendation {
  return { product: p, score: 1, reasons, detail, card: { type: "card", card_type: "product", title: p.name, price: `¥${p.price}`, url: p.url } };
}

const COAT = rec(product(), ["same_category", "asked"], "在这次会话里问过「羽绒服」");
const BOOTS = rec(product({ product_id: "p2", name: "雪地靴", price: "12.50", currency: "USD", url: null, image_url: "javascript:alert(1)" }), ["viewed"], "昨天看过商品页");

function view(over: Partial<ConversationView> = {}): ConversationView {
  return {
    id: 5, contact_id: 7, contact_name: "张三", channel: "web", status: "open", assignee_id: 1, group_id: null, priority: 0,
    with_bot: false, last_seq: 2, created_at: NOW, last_message_at: NOW, last_contact_message_at: NOW, last_agent_message_at: NOW,
    closed_at: null, rating_score: null, rating_comment: null, rated_at: null, left_message_at: null, unread_count: 0, read_seq: 2,
    ...over,
  } as ConversationView;
}

function message(seq: number, sender: "contact" | "agent"): Message {
  return {
    id: 100 + seq, conversation_id: 5, seq, sender: { type: sender, id: sender === "contact" ? 7 : 1 }, client_msg_id: null,
    content: { type: "text", text: "有没有靴子" }, created_at: `2026-12-01T10:0${seq}:00Z`,
  };
}

type Reply = { status: number; body?: unknown };
let answers: Record<string, (body: unknown, query: URLSearchParams) => Reply | Promise<Reply>> = {};
let sent: { key: string; query: URLSearchParams; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  answers = {
    "GET /conversations/5/recommendations": () => ({ status: 200, body: [COAT, BOOTS] }),
    "POST /conversations/5/messages": (b) => ({ status: 201, body: { type: "ack", client_msg_id: (b as { client_msg_id: string }).client_msg_id, message_id: 1, conversation_id: 5, seq: 3 } }),
    "GET /products": () => ({ status: 200, body: [] }),
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, "http://localhost");
      const key = `${init?.method ?? "GET"} ${url.pathname.replace("/api/v1", "")}`;
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push({ key, query: url.searchParams, body });
      const out = (await answers[key]?.(body, url.searchParams)) ?? { status: 404, body: { code: "not_found", detail: key } };
      return new Response(JSON.stringify(out.body), { status: out.status, headers: { "Content-Type": "application/json" } });
    }),
  );
  setLocale("zh-CN");
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

async function show(props: Record<string, unknown> = {}): Promise<VueWrapper> {
  setActivePinia(createPinia());
  useConversations().byId[5] = view();
  wrapper = mount(Recommendations, { attachTo: document.body, props: { conversationId: 5, canWrite: true, ...props }, global: { plugins: [ElementPlus, i18n] } });
  await flushPromises();
  return wrapper;
}

const calls = (key: string) => sent.filter((s) => s.key === key);

describe("Recommendations", () => {
  it("shows each product with its image, name, price and reasons, and why on hover", async () => {
    const w = await show();
    expect(calls("GET /conversations/5/recommendations")[0]!.query.get("limit")).toBe("5");
    const cards = w.findAll("[data-test=recommendation]");
    expect(cards.map((c) => c.attributes("data-product-id"))).toEqual(["p1", "p2"]);
    expect(cards[0]!.attributes("title")).toBe("在这次会话里问过「羽绒服」");
    expect(cards[0]!.find("[data-test=rec-image]").attributes("src")).toBe("https://shop.example/p1.jpg");
    expect(cards[0]!.find("[data-test=rec-name]").attributes("href")).toBe("https://shop.example/p1");
    expect(cards[0]!.find("[data-test=rec-price]").text()).toBe("¥599.00");
    // The strongest reason first, whatever order the server sent them in.
    expect(cards[0]!.findAll("[data-test=rec-reason]").map((x) => x.text())).toEqual(["问过", "同类"]);
    expect(cards[1]!.findAll("[data-test=rec-reason]").map((x) => x.text())).toEqual(["看过"]);
    expect(cards[1]!.find("[data-test=rec-price]").text()).toBe("12.50 USD");
    // A hostile image address is not loaded; a product without a page is plain text.
    expect(cards[1]!.find("[data-test=rec-image]").exists()).toBe(false);
    expect(cards[1]!.find("[data-test=rec-name]").element.tagName).toBe("STRONG");
    expect(w.find("[data-test=rec-empty]").exists()).toBe(false);
  });

  it("says so when nothing fits", async () => {
    answers["GET /conversations/5/recommendations"] = () => ({ status: 200, body: [] });
    const w = await show();
    expect(w.find("[data-test=rec-empty]").text()).toBe("暂时没有适合这位客户的商品");
    expect(w.findAll("[data-test=recommendation]")).toHaveLength(0);
  });

  it("sends the card in one click, the button disabled while it goes", async () => {
    let release: () => void = () => undefined;
    const answer = answers["POST /conversations/5/messages"]!;
    answers["POST /conversations/5/messages"] = (b, q) => new Promise((resolve) => (release = () => resolve(answer(b, q) as Reply)));
    const w = await show();
    const button = () => w.findAll("[data-test=rec-send]")[0]!;
    await button().trigger("click");
    await flushPromises();
    expect(button().attributes("disabled")).toBeDefined();
    await button().trigger("click");
    expect(calls("POST /conversations/5/messages")).toHaveLength(1);
    release();
    await flushPromises();
    const body = calls("POST /conversations/5/messages")[0]!.body as { content: unknown; client_msg_id: string };
    expect(body.content).toEqual(COAT.card);
    expect(body.client_msg_id).toMatch(/^card-[0-9a-f]{16}$/);
    expect(button().attributes("disabled")).toBeUndefined();
    expect(button().text()).toBe("已发送");
    expect(w.find("[data-test=rec-error]").exists()).toBe(false);
  });

  it("shows the server's refusal and retries with the same message id", async () => {
    answers["POST /conversations/5/messages"] = () => ({ status: 403, body: { code: "forbidden", detail: "the conversation is assigned to another agent" } });
    const w = await show();
    await w.findAll("[data-test=rec-send]")[1]!.trigger("click");
    await flushPromises();
    expect(w.find("[data-test=rec-error]").text()).toContain("不能在这个会话里发送：the conversation is assigned to another agent");
    const button = w.findAll("[data-test=rec-send]")[1]!;
    expect(button.text()).toBe("发送");
    expect(button.attributes("disabled")).toBeUndefined();
    await button.trigger("click");
    await flushPromises();
    const ids = calls("POST /conversations/5/messages").map((s) => (s.body as { client_msg_id: string }).client_msg_id);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });

  it("tells the composer when the channel's reply window has passed", async () => {
    answers["POST /conversations/5/messages"] = () => ({ status: 409, body: { code: "reply_window_closed", detail: "48 hours have passed" } });
    const w = await show();
    await w.findAll("[data-test=rec-send]")[0]!.trigger("click");
    await flushPromises();
    expect(w.find("[data-test=rec-error]").text()).toContain("渠道的回复时限已过：48 hours have passed");
    expect(useConversations().replyWindowClosed[5]).toBe("48 hours have passed");
  });

  it("cannot send where the agent may not write", async () => {
    const w = await show({ canWrite: false });
    const button = w.findAll("[data-test=rec-send]")[0]!;
    expect(button.attributes("disabled")).toBeDefined();
    expect(button.attributes("title")).toBe("你没有在接待这个会话，不能发送");
    await button.trigger("click");
    expect(calls("POST /conversations/5/messages")).toHaveLength(0);
  });

  it("reads the list again when the customer writes, not when the agent does", async () => {
    const w = await show();
    expect(calls("GET /conversations/5/recommendations")).toHaveLength(1);
    const store = useConversations();
    store.applyMessage(message(3, "agent"), { tabVisible: true });
    await flushPromises();
    expect(calls("GET /conversations/5/recommendations")).toHaveLength(1);
    answers["GET /conversations/5/recommendations"] = () => ({ status: 200, body: [BOOTS] });
    store.applyMessage(message(4, "contact"), { tabVisible: true });
    await flushPromises();
    expect(calls("GET /conversations/5/recommendations")).toHaveLength(2);
    expect(w.findAll("[data-test=recommendation]").map((c) => c.attributes("data-product-id"))).toEqual(["p2"]);
  });

  it("starts over for another conversation", async () => {
    answers["GET /conversations/6/recommendations"] = () => ({ status: 200, body: [] });
    const w = await show();
    await w.findAll("[data-test=rec-send]")[0]!.trigger("click");
    await flushPromises();
    await w.setProps({ conversationId: 6 });
    await flushPromises();
    expect(calls("GET /conversations/6/recommendations")).toHaveLength(1);
    expect(w.find("[data-test=rec-empty]").exists()).toBe(true);
    await w.setProps({ conversationId: 5 });
    await flushPromises();
    expect(w.findAll("[data-test=rec-send]")[0]!.text()).toBe("发送");
  });

  it("searches products on sale and sends one as a card", async () => {
    answers["GET /products"] = (_b, q) => ({ status: 200, body: q.get("q") === "靴" ? [product({ product_id: "p9", name: "雪地靴", price: "299", description: "很暖和", image_url: null })] : [] });
    const w = await show();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const input = w.find("input[data-test=product-search], [data-test=product-search] input");
    await input.setValue("靴");
    expect(calls("GET /products")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(350);
    await flushPromises();
    const q = calls("GET /products")[0]!.query;
    expect([q.get("q"), q.get("limit")]).toEqual(["靴", "10"]);
    const found = w.findAll("[data-test=product-result]");
    expect(found.map((x) => x.attributes("data-product-id"))).toEqual(["p9"]);
    expect(found[0]!.attributes("title")).toBe("很暖和");
    await found[0]!.find("[data-test=product-send]").trigger("click");
    await flushPromises();
    const body = calls("POST /conversations/5/messages")[0]!.body as { content: unknown };
    expect(body.content).toEqual({ type: "card", card_type: "product", title: "雪地靴", url: "https://shop.example/p1", price: "¥299", description: "很暖和" });
    expect(w.find("[data-test=product-send]").text()).toBe("已发送");

    await input.setValue("没有的东西");
    await input.trigger("keyup", { key: "Enter" });
    await flushPromises();
    expect(w.find("[data-test=product-none]").text()).toBe("没有找到在售的商品");
    expect(w.findAll("[data-test=product-result]")).toHaveLength(0);
  });
});

describe("CustomerPanel's recommended products", () => {
  beforeEach(() => {
    Object.assign(answers, {
      "GET /contacts/7": () => ({ status: 200, body: { id: 7, name: "张三", email: null, phone: null, attributes: {}, verified: false, marketing_opt_out_at: null, created_at: NOW, tags: [], rule_tags: [], identities: [] } }),
      "GET /contacts/7/conversations": () => ({ status: 200, body: [] }),
      "GET /contacts/7/visits": () => ({ status: 200, body: [] }),
      "GET /tenant/profile": () => ({ status: 200, body: { fields: [] } }),
    });
  });

  async function panel(props: { contactId: number; conversationId?: number; canWrite?: boolean }): Promise<VueWrapper> {
    setActivePinia(createPinia());
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/:p(.*)*", component: { render: () => null } }] });
    wrapper = mount(CustomerPanel, { attachTo: document.body, props, global: { plugins: [ElementPlus, i18n, router] } });
    await flushPromises();
    return wrapper;
  }

  it("has a 推荐商品 tab beside a conversation", async () => {
    const w = await panel({ contactId: 7, conversationId: 5, canWrite: true });
    expect(w.findAll(".el-tabs__item").map((x) => x.text())).toContain("推荐商品");
    expect(w.find("[data-test=recommendations]").attributes("data-conversation-id")).toBe("5");
    expect(w.findAll("[data-test=recommendation]")).toHaveLength(2);
  });

  it("has none on the customer's own page", async () => {
    const w = await panel({ contactId: 7 });
    expect(w.findAll(".el-tabs__item").map((x) => x.text())).not.toContain("推荐商品");
    expect(calls("GET /conversations/5/recommendations")).toHaveLength(0);
  });
});
