// Each admin view mounts against a fake server (fetch answered from a table), shows what it
// read, and leaves no Vue warning behind; without a page's permission its controls are off,
// and the menu offers only the pages the role may use.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defineComponent, type Component } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";

import type { Permission, Role } from "@/api/types";
import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import AdminLayout from "./AdminLayout.vue";
import AgentsView from "./AgentsView.vue";
import ApiKeysView from "./ApiKeysView.vue";
import BotView from "./BotView.vue";
import ChannelsView from "./ChannelsView.vue";
import GroupsView from "./GroupsView.vue";
import KnowledgeView from "./KnowledgeView.vue";
import QuickRepliesView from "./QuickRepliesView.vue";
import RoutingView from "./RoutingView.vue";
import UnansweredView from "./UnansweredView.vue";

const NOW = "2026-12-01T10:00:00Z";
const account = (id: number, role: Role, name: string, extra: Record<string, unknown> = {}) => ({
  id, tenant_id: 1, email: `${name.toLowerCase()}@x.test`, name, role, role_id: null, centre_id: null, status: "online", active: true, capacity: null, created_at: NOW,
  load: 2, effective_capacity: 20, group_ids: [1], ...extra,
});
const role = (id: number, name: string, base: Role, permissions: string[], extra: Record<string, unknown> = {}) => ({
  id, name, base, builtin: true, permissions, scope: "tenant", accounts: 1, created_at: NOW, ...extra,
});
const entry = { id: 3, question: "怎么退款", similar: ["退款流程"], answer: [{ type: "rich", html: "<p>点<b>退款</b></p><img src=x onerror=alert(1)>" }], category_id: 1, keywords: ["退款"], enabled: true, valid_from: null, valid_until: null, hit_count: 5, helpful_count: 2, unhelpful_count: 1, created_at: NOW, updated_at: NOW };

const ROUTES: Record<string, unknown> = {
  "GET /accounts": [account(1, "admin", "Ada"), account(2, "agent", "Bo"), account(3, "agent", "Cy", { role_id: 7, centre_id: 2 })],
  "GET /roles": [
    role(1, "客服", "agent", [], { scope: "groups" }),
    role(2, "主管", "supervisor", ["conversations.monitor", "reports.view"]),
    role(3, "管理员", "admin", ["agents.manage", "org.manage"]),
    role(7, "组长", "agent", ["reports.view"], { builtin: false, scope: "groups" }),
  ],
  "GET /centres": [{ id: 2, name: "成都中心", group_ids: [1], account_ids: [3], created_at: NOW }],
  "GET /groups": [{ id: 1, name: "售前", centre_id: 2, strategy: "least_load", last_agent_days: 7, is_default: true, channels: ["web"], member_ids: [1, 2], working_hours: { timezone: "Asia/Shanghai", weekly: { mon: [{ start: "09:00:00", end: "18:00:00" }] }, holidays: [] }, open_now: true, created_at: NOW }],
  "GET /tenant": { id: 1, name: "Demo", slug: "demo", widget_key: "wk_demo", default_capacity: 20, identity_secret: "secret-xyz", created_at: NOW },
  "GET /tenant/routing": { priority_rules: [{ attribute: "level", equals: "vip", priority: 10 }, { channel: "web", priority: -5 }], reply_timeout_s: 300, offline_policy: "keep", presence_grace_s: 60, idle_close_s: null, max_queue_wait_s: 600 },
  "GET /tenant/bot": {
    enabled: true, name: "小汇", greeting: "您好 {name}", menu_text: "常见问题",
    menu: [{ id: "a", label: "退款", action: "answer", entry_id: 3, children: [] }, { id: "b", label: "人工", action: "handoff", group_id: 1, children: [] }],
    answer_threshold: 0.6, suggest_threshold: 0.25, suggest_text: "?", unknown_text: "?", handoff_words: ["人工"], handoff_after_unknown: 2, handoff_on_unhelpful: true, handoff_text: "t", no_agent_text: "t", handoff_group_id: null,
    merchant_api: null, flows: [{ key: "order_status", label: "查订单", slots: [], confirm: null, operation: "order_status", result: "order", success_text: null }],
  },
  "GET /kb/entries": { entries: [entry], total: 1 },
  "GET /kb/entries/3": entry,
  "GET /kb/categories": [{ id: 1, name: "售后", entries: 1 }],
  "GET /kb/unanswered": [{ items: [{ id: 10, text: "能开发票吗", reason: "unknown", entry_id: null, conversation_id: 5, created_at: NOW }, { id: 11, text: "开发票", reason: "suggested", entry_id: null, conversation_id: 6, created_at: NOW }], count: 2, nearest_entry_id: 3 }],
  "GET /quick-replies": [{ id: 1, shortcut: "hi", title: "问候", text: "您好！", category: "通用", created_at: NOW, updated_at: NOW }],
  "GET /tenant/widget": { color: "#ff6600", logo_url: null, title: "小汇客服", language: "zh-CN", position: "left", greeting: null, identity_required: false },
  "GET /widget/config": { title: "小汇客服", color: "#ff6600", logo_url: null, language: "zh-CN", position: "left", greeting: null, identity_required: false, bot: { name: "小汇", greeting: { type: "text", text: "您好，我是小汇" }, menu: { type: "menu", text: "常见问题", buttons: [{ id: "menu:a", label: "退款" }] } } },
  "GET /channels/types": [
    { channel: "api", label: "API", secret_fields: ["secret"], reply_window_s: null, config_schema: { type: "object", properties: { webhook_url: { type: "string", title: "Webhook Url" }, secret: { type: "string", title: "Secret" } }, required: ["webhook_url", "secret"] } },
    { channel: "carrier_pigeon", label: "Pigeon", secret_fields: [], reply_window_s: 172800, config_schema: { type: "object", properties: {} } },
  ],
  "GET /tenant/channels": [{ id: 4, type: "api", name: "App", active: true, config: { webhook_url: "https://app.example.com/h" }, secrets_set: ["secret"], inbound_url: "http://localhost/channels/api/tok", created_at: NOW, updated_at: NOW }],
  "GET /tenant/api-keys": [{ id: 1, name: "ERP", prefix: "hk_ab12", created_at: NOW, revoked_at: null }],
};

let calls: string[] = [];
const warnings: string[] = [];

beforeEach(() => {
  calls = [];
  warnings.length = 0;
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(" ")));
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, "http://localhost");
      const key = `${init?.method ?? "GET"} ${url.pathname.replace("/api/v1", "")}`;
      calls.push(key);
      if (!(key in ROUTES)) return new Response(JSON.stringify({ code: "not_found", detail: `no ${key}` }), { status: 404, headers: { "Content-Type": "application/json" } });
      return new Response(JSON.stringify(ROUTES[key]), { status: 200, headers: { "Content-Type": "application/json" } });
    }),
  );
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function show(view: Component, base: Role = "admin", permissions?: Permission[]): Promise<VueWrapper> {
  const pinia = createPinia();
  setActivePinia(pinia);
  useSession().account = me(base, { name: "Ada", group_ids: [1], ...(permissions ? { permissions } : {}) });
  const blank = defineComponent({ render: () => null });
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/", component: blank }, { path: "/admin/:any(.*)", component: blank }] });
  await router.push("/");
  wrapper = mount(view, { attachTo: document.body, global: { plugins: [pinia, router, ElementPlus, testI18n()] } });
  await flushPromises();
  await flushPromises();
  return wrapper;
}

const vueWarnings = () => warnings.filter((w) => w.includes("[Vue warn]") || w.includes("[intlify]")).map((w) => w.slice(0, 400));

describe("admin views", () => {
  it("layout: links to every section for an admin", async () => {
    const w = await show(AdminLayout);
    expect(w.findAll("[data-test^=admin-nav-]")).toHaveLength(19);
    expect(w.find("[data-test=admin-nav-roles]").attributes("href")).toBe("/admin/roles");
    expect(w.find("[data-test=admin-nav-centres]").attributes("href")).toBe("/admin/centres");
    expect(w.find("[data-test=admin-nav-reports]").attributes("href")).toBe("/admin/reports");
    expect(w.find("[data-test=admin-nav-satisfaction]").attributes("href")).toBe("/admin/satisfaction");
    expect(w.find("[data-test=admin-nav-kb]").attributes("href")).toBe("/admin/kb");
    expect(vueWarnings()).toEqual([]);
  });

  it("layout: only the sections the role may use", async () => {
    let w = await show(AdminLayout, "supervisor");
    expect(w.findAll("[data-test^=admin-nav-]").map((a) => a.attributes("data-test"))).toEqual([
      "admin-nav-bot", "admin-nav-kb", "admin-nav-unanswered", "admin-nav-quick-replies",
    ]);
    w.unmount();
    w = await show(AdminLayout, "agent", ["reports.view", "agents.manage"]);
    expect(w.findAll("[data-test^=admin-nav-]").map((a) => a.attributes("data-test"))).toEqual(["admin-nav-agents"]);
    expect(vueWarnings()).toEqual([]);
  });

  it("agents: the table with load / capacity, role names, centres and groups", async () => {
    const w = await show(AgentsView);
    expect(w.findAll("[data-test=agent-name]").map((n) => n.text())).toEqual(["Ada", "Bo", "Cy"]);
    expect(w.findAll("[data-test=agent-role-name]").map((n) => n.text())).toEqual(["管理员", "客服", "组长"]);
    expect(w.findAll("[data-test=agent-centre]").map((n) => n.text())).toEqual(["成都中心"]);
    expect(w.find("[data-test=agent-load]").text()).toBe("2/20");
    expect(w.text()).toContain("售前");
    expect(w.find("[data-test=agents-invite]").attributes("disabled")).toBeUndefined();
    expect(vueWarnings()).toEqual([]);
  });

  it("agents: read-only for a supervisor", async () => {
    const w = await show(AgentsView, "supervisor");
    expect(w.find("[data-test=agents-invite]").attributes("disabled")).toBeDefined();
  });

  it("groups, routing, channels, quick replies, API keys render what they read", async () => {
    let w = await show(GroupsView);
    expect(w.find("[data-test=group-name]").text()).toBe("售前");
    expect(w.find("[data-test=group-centre]").text()).toBe("成都中心");
    expect(w.text()).toContain("Mon 09:00–18:00");
    w.unmount();
    w = await show(RoutingView);
    expect(w.findAll("[data-test=routing-rule]")).toHaveLength(2);
    expect(w.find("[data-test=routing-reply-timeout]").text()).toContain("300 s");
    w.unmount();
    w = await show(ChannelsView);
    expect((w.find("[data-test=channels-snippet] textarea").element as HTMLTextAreaElement).value).toBe(
      '<script src="http://localhost:3000/widget.js" data-key="wk_demo" async></script>'.replace("http://localhost:3000", window.location.origin),
    );
    expect(w.find("[data-test=channels-python]").exists()).toBe(true);
    // The channel accounts, and every type the server offers (an unknown one by its label).
    expect(w.find("[data-test=channel-account-name]").text()).toBe("App");
    expect(w.find("[data-test=channel-inbound-url]").text()).toBe("http://localhost/channels/api/tok");
    expect(w.find("[data-test=channel-add-api]").exists()).toBe(true);
    expect(w.find("[data-test=channel-add-carrier_pigeon]").text()).toContain("Pigeon");
    expect(w.find("[data-test=channel-guide-carrier_pigeon]").text()).toContain("console");
    // The widget's appearance with its preview: the bot's greeting and menu, the title.
    expect(w.find("[data-test=preview-title]").text()).toBe("小汇客服");
    expect(w.find("[data-test=preview-greeting]").text()).toBe("您好，我是小汇");
    expect(w.find("[data-test=appearance-preview]").classes()).toContain("left");
    w.unmount();
    w = await show(QuickRepliesView);
    expect(w.find("[data-test=qr-shortcut]").text()).toBe("/hi");
    w.unmount();
    w = await show(ApiKeysView);
    expect(w.text()).toContain("hk_ab12");
    expect(vueWarnings()).toEqual([]);
  });

  it("channels and API keys: admins only parts stay hidden from supervisors", async () => {
    let w = await show(ChannelsView, "supervisor");
    expect(w.find("[data-test=channels-python]").exists()).toBe(false);
    expect(w.find("[data-test=channels-identity-admins]").exists()).toBe(true);
    // Supervisors read the channel accounts but change nothing.
    expect(w.find("[data-test=channel-account-name]").text()).toBe("App");
    expect(w.find("[data-test=channel-add-api]").exists()).toBe(false);
    expect(w.find("[data-test=channel-delete]").exists()).toBe(false);
    expect(w.find("[data-test=channel-active] input").attributes("disabled")).toBeDefined();
    w.unmount();
    w = await show(ApiKeysView, "supervisor");
    expect(w.find("[data-test=api-keys-admins-only]").exists()).toBe(true);
    expect(calls).not.toContain("GET /tenant/api-keys");
  });

  it("bot: the settings and the menu tree", async () => {
    const w = await show(BotView);
    expect(w.find("[data-test=bot-save]").exists()).toBe(true);
    expect(w.find("[data-test=bot-dirty]").exists()).toBe(false);
    expect(vueWarnings()).toEqual([]);
  });

  it("knowledge base: entries with counts; the rich answer is never shown unsanitized", async () => {
    const w = await show(KnowledgeView);
    expect(w.find("[data-test=kb-row-question]").text()).toBe("怎么退款");
    expect(w.find("[data-test=kb-row-hits]").text()).toBe("5");
    expect(document.body.innerHTML).not.toContain("onerror");
    expect(vueWarnings()).toEqual([]);
  });

  it("unanswered: groups with the nearest entry", async () => {
    const w = await show(UnansweredView);
    expect(w.findAll("[data-test=unanswered-item]")).toHaveLength(2);
    expect(w.text()).toContain("Closest entry: 怎么退款");
    expect(vueWarnings()).toEqual([]);
  });
});
