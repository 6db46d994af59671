// The profile fields, tag rules, segments and campaigns pages against a fake server: what
// they show from what they read, and what they send.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Component } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";

import type { Me } from "@/api/types";
import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import CampaignsView from "./CampaignsView.vue";
import ProfileFieldsView from "./ProfileFieldsView.vue";
import SegmentsView from "./SegmentsView.vue";
import TagRulesView from "./TagRulesView.vue";

vi.mock("vue-echarts", async () => ({ default: (await import("@/components/reports/test-helpers")).ChartStub }));

const NOW = "2026-12-01T10:00:00Z";
const row = (id: number, name: string) => ({ id, name, email: null, phone: null, tags: [], created_at: NOW, last_seen_at: null });
const RULE = { id: 1, tag: "高消费", description: "近 90 天消费满 1000", match: "all", conditions: [{ fact: "orders.spent", days: 90, op: ">=", value: 1000 }], enabled: true, backfill: { done: 250, total: 1000 }, tagged: 42, created_at: NOW, updated_at: NOW };
const SEGMENT = { id: 5, name: "VIP 客户", filter: { tags_all: ["VIP"] }, count: 12, created_by: 1, created_at: NOW, updated_at: NOW };
const TEMPLATE = { id: 3, name: "新品通知", scenario: "other", text: "{{contact.name|亲}}，新品上市", email_subject: null, variables: [], created_at: NOW, updated_at: NOW };
const CAMPAIGN = {
  id: 9, name: "双十一", template_id: 3, kind: "segment", segment_id: 5, event: null, status: "draft", channels: [], quiet_start: null, quiet_end: null, timezone: "Asia/Shanghai",
  rate_per_minute: 60, scheduled_at: null, expanded: false, recipients: 0, counts: { pending: 0, sent: 0, delivered: 0, undelivered: 0, skipped: 0, failed: 0, read: 0, replied: 0, skipped_by: {} },
  created_at: NOW, started_at: null, finished_at: null,
};

type Reply = { status: number; body?: unknown };
let answers: Record<string, (body: unknown) => Reply> = {};
let sent: { key: string; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  answers = {
    "GET /tenant/profile": () => ({ status: 200, body: { fields: [{ key: "level", label: "会员等级", type: "select", options: ["vip", "normal"], required: false }] } }),
    "PUT /tenant/profile": (b) => ({ status: 200, body: b }),
    "GET /tag-rules": () => ({ status: 200, body: [RULE] }),
    "POST /tag-rules": (b) => ({ status: 201, body: { ...RULE, ...(b as object), id: 2 } }),
    "POST /tag-rules/preview": () => ({ status: 200, body: { count: 7, contacts: [row(1, "张三")] } }),
    "GET /tags": () => ({ status: 200, body: [{ tag: "VIP", count: 12 }] }),
    "GET /segments": () => ({ status: 200, body: [SEGMENT] }),
    "POST /segments": (b) => ({ status: 201, body: { ...SEGMENT, ...(b as object), id: 6 } }),
    "POST /segments/preview": () => ({ status: 200, body: { count: 3, contacts: [row(1, "张三"), row(2, "李四")] } }),
    "GET /campaigns": () => ({ status: 200, body: [CAMPAIGN] }),
    "GET /campaigns/9": () => ({ status: 200, body: CAMPAIGN }),
    "GET /campaigns/9/deliveries": () => ({ status: 200, body: { deliveries: [], total: 0 } }),
    "POST /campaigns/9/start": () => ({
      status: 200,
      body: { ...CAMPAIGN, status: "done", recipients: 3, counts: { pending: 0, sent: 2, delivered: 1, undelivered: 1, skipped: 1, failed: 0, read: 1, replied: 1, skipped_by: { opted_out: 1 } } },
    }),
    "GET /campaign-templates": () => ({ status: 200, body: [TEMPLATE] }),
    "POST /campaign-templates/preview": () => ({ status: 200, body: { text: "亲，新品上市" } }),
    "GET /tenant/marketing": () => ({ status: 200, body: { cap_count: 3, cap_days: 7 } }),
    "PUT /tenant/marketing": (b) => ({ status: 200, body: b }),
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const key = `${init?.method ?? "GET"} ${new URL(input, "http://localhost").pathname.replace("/api/v1", "")}`;
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push({ key, body });
      const out = answers[key]?.(body) ?? { status: 404, body: { code: "not_found", detail: key } };
      return new Response(out.status === 204 ? null : JSON.stringify(out.body), { status: out.status, headers: { "Content-Type": "application/json" } });
    }),
  );
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

async function show(view: Component, account: Me = me("admin"), url = "/admin/x"): Promise<VueWrapper> {
  setActivePinia(createPinia());
  useSession().account = account;
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/:p(.*)*", component: { render: () => null } }] });
  await router.push(url);
  wrapper = mount(view, { attachTo: document.body, global: { plugins: [ElementPlus, testI18n(), router] } });
  await flushPromises();
  return wrapper;
}

function el(test: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(`[data-test="${test}"]`);
  if (!found) throw new Error(`no ${test}`);
  return found;
}

async function type(test: string, value: string): Promise<void> {
  const input = el(test) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

async function click(test: string): Promise<void> {
  el(test).click();
  await flushPromises();
}

const last = (key: string) => sent.filter((s) => s.key === key).at(-1)?.body;

describe("ProfileFieldsView", () => {
  it("lists the fields and saves them, refusing a bad key first", async () => {
    const w = await show(ProfileFieldsView);
    expect(w.findAll("[data-test=pf-key]")).toHaveLength(1);
    await click("pf-add");
    const keys = document.querySelectorAll<HTMLInputElement>("[data-test=pf-key]");
    keys[1]!.value = "Bad Key";
    keys[1]!.dispatchEvent(new Event("input"));
    await click("pf-save");
    expect(el("pf-error").textContent).toContain("Bad Key");
    expect(last("PUT /tenant/profile")).toBeUndefined();
    keys[1]!.value = "points";
    keys[1]!.dispatchEvent(new Event("input"));
    const labels = document.querySelectorAll<HTMLInputElement>("[data-test=pf-label]");
    labels[1]!.value = "积分";
    labels[1]!.dispatchEvent(new Event("input"));
    await click("pf-save");
    expect(last("PUT /tenant/profile")).toEqual({
      fields: [
        { key: "level", label: "会员等级", type: "select", required: false, options: ["vip", "normal"] },
        { key: "points", label: "积分", type: "text", required: false },
      ],
    });
  });

  it("is read-only without settings.manage", async () => {
    const w = await show(ProfileFieldsView, me("supervisor"));
    expect(w.find("[data-test=pf-readonly]").exists()).toBe(true);
    expect(w.find("[data-test=pf-save]").exists()).toBe(false);
  });
});

describe("TagRulesView", () => {
  it("shows each rule's tagged count and its backfill's progress", async () => {
    const w = await show(TagRulesView);
    expect(w.find("[data-test=rule-tag]").text()).toBe("高消费");
    expect(w.find("[data-test=rule-tagged]").text()).toBe("42");
    expect(w.find("[data-test=rule-backfill]").text()).toContain("25%");
    expect(w.find("[data-test=rules-table]").text()).toContain("Amount spent");
  });

  it("previews and creates a rule from its condition rows", async () => {
    await show(TagRulesView);
    await click("rule-create");
    await type("rule-tag-input", " 常客 ");
    await type("condition-value", "200");
    await click("rule-preview-run");
    expect(el("rule-preview-count").dataset.count).toBe("7");
    expect(last("POST /tag-rules/preview")).toEqual({ match: "all", conditions: [{ fact: "orders.spent", days: 30, op: ">=", value: 200 }] });
    await click("rule-save");
    expect(last("POST /tag-rules")).toEqual({ tag: "常客", description: "", match: "all", enabled: true, conditions: [{ fact: "orders.spent", days: 30, op: ">=", value: 200 }] });
  });

  it("names the condition the server refuses", async () => {
    answers["POST /tag-rules"] = () => ({ status: 422, body: { code: "invalid", detail: "days: 1 to 3650", field: "conditions.0.days" } });
    await show(TagRulesView);
    await click("rule-create");
    await type("rule-tag-input", "x");
    await click("rule-save");
    expect(el("rule-error").textContent).toContain("Condition 1: days: 1 to 3650");
    expect(document.querySelector("[data-test=condition]")!.classList.contains("invalid")).toBe(true);
  });

  it("offers no writes without marketing.manage", async () => {
    const w = await show(TagRulesView, me("supervisor"));
    expect(w.find("[data-test=rule-create]").attributes("disabled")).toBeDefined();
    expect(w.find("[data-test=rule-edit]").exists()).toBe(false);
  });
});

describe("SegmentsView", () => {
  it("lists segments with their live counts and a summary", async () => {
    const w = await show(SegmentsView);
    expect(w.find("[data-test=segment-name]").text()).toBe("VIP 客户");
    expect(w.find("[data-test=segment-count]").attributes("data-count")).toBe("12");
    expect(w.find("[data-test=segment-summary]").text()).toBe("all of: VIP");
  });

  it("previews the filter with its count and sample, then saves it", async () => {
    await show(SegmentsView);
    await click("segment-create");
    await type("segment-name-input", "成都客户");
    await type("segment-q", "成都");
    await click("segment-preview-run");
    expect(el("segment-preview-count").dataset.count).toBe("3");
    expect(el("segment-preview-sample").textContent).toContain("李四");
    await click("segment-save");
    expect(last("POST /segments")).toEqual({ name: "成都客户", filter: { q: "成都" } });
  });
});

describe("CampaignsView", () => {
  it("lists campaigns, opens one and starts it; the detail shows the counts and the chart", async () => {
    const w = await show(CampaignsView, me("admin"), "/admin/campaigns?campaign=9");
    expect(w.find("[data-test=campaign-row-name]").text()).toBe("双十一");
    expect(w.find("[data-test=campaign-row-status]").attributes("data-status")).toBe("draft");
    expect(el("campaign-detail").dataset.status).toBe("draft");
    answers["GET /campaigns/9"] = answers["POST /campaigns/9/start"]!;
    await click("campaign-move-start");
    expect(sent.some((s) => s.key === "POST /campaigns/9/start")).toBe(true);
    expect(el("campaign-detail").dataset.status).toBe("done");
    expect(el("campaign-count-sent").dataset.n).toBe("2");
    expect(el("campaign-detail-progress").textContent).toBe("2 / 3");
    const option = JSON.parse(el("campaign-chart").dataset.option!);
    expect(option.xAxis.data).toEqual(["Sent", "Delivered", "Undelivered", "Read", "Replied", "Failed", "Skipped: Opted out"]);
    expect(option.series[0].data).toEqual([2, 1, 1, 1, 1, 0, 1]);
    expect(el("campaign-count-undelivered").dataset.n).toBe("1");
  });

  it("creates a segment campaign from the dialog", async () => {
    answers["POST /campaigns"] = (b) => ({ status: 201, body: { ...CAMPAIGN, ...(b as object), id: 9 } });
    await show(CampaignsView);
    await click("campaign-create");
    await click("campaign-save");
    expect(el("campaign-error").textContent).toContain("Give the campaign a name");
    await type("campaign-name", "双十二");
    await click("campaign-save");
    expect(el("campaign-error").textContent).toContain("Choose a segment");
  });

  it("saves a template with a WeChat template message for fans past the 48 hours", async () => {
    answers["POST /campaign-templates"] = (b) => ({ status: 201, body: { ...TEMPLATE, ...(b as object), id: 4 } });
    await show(CampaignsView);
    await click("template-create");
    await type("template-name-input", "降价提醒");
    await type("template-text", "{{contact.name|亲}}，降价了");
    await type("template-wechat-id", "TPL_1");
    await click("template-wechat-add");
    await type("template-wechat-key", "first");
    await type("template-wechat-text", "{{contact.name|亲}}，您收藏的商品降价了");
    await click("template-save");
    expect(last("POST /campaign-templates")).toMatchObject({
      name: "降价提醒",
      wechat_template: { template_id: "TPL_1", url: null, data: { first: "{{contact.name|亲}}，您收藏的商品降价了" } },
    });
  });

  it("saves the frequency cap", async () => {
    await show(CampaignsView);
    await click("cap-save");
    expect(last("PUT /tenant/marketing")).toEqual({ cap_count: 3, cap_days: 7 });
    expect(el("cap-summary").textContent).toContain("At most 3");
  });
});
