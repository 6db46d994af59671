// The quality page by role (agents: only their own reviews), "我的质检" (unread marked until
// opened, a dispute sent while the window is open, never a colleague's review), and the
// strings (the same keys in Chinese and English, none empty).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryHistory, createRouter } from "vue-router";

import type { Role } from "@/api/types";
import type { Review } from "@/api/quality";
import { qualityMessages as en } from "@/i18n/quality.en";
import { qualityMessages as zh } from "@/i18n/quality.zh-CN";
import { useSession } from "@/stores/session";
import QualityView from "@/views/QualityView.vue";
import { me } from "@/test/session";

import { MODES } from "./format";
import MyReviews from "./MyReviews.vue";
import { fakeServer, mountQuality, review, testI18n } from "./test-helpers";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

function keys(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe("quality strings", () => {
  it("have the same keys in Chinese and English, none empty", () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort());
    const get = (m: unknown, k: string) => k.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], m);
    expect(keys(zh).filter((k) => get(zh, k) === "")).toEqual([]);
    expect(keys(en).filter((k) => get(en, k) === "")).toEqual([]);
  });
});

describe("the keys the quality code asks for", () => {
  const lookup = (key: string) => key.split(".").reduce<unknown>((o, p) => (o && typeof o === "object" ? (o as Record<string, unknown>)[p] : undefined), { quality: zh });
  const sources = [__dirname, join(__dirname, "../../views")].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /\.(vue|ts)$/.test(f) && !f.endsWith(".test.ts") && (dir === __dirname || f.startsWith("Quality")))
      .map((f) => readFileSync(join(dir, f), "utf8")),
  );

  it("exist, static ones", () => {
    const used = new Set<string>();
    for (const text of sources) for (const m of text.matchAll(/\bt\(\s*["'](quality\.[\w.-]+)["']/g)) used.add(m[1] as string);
    expect(used.size).toBeGreaterThan(80);
    expect([...used].filter((k) => typeof lookup(k) !== "string")).toEqual([]);
  });

  it("exist, built from values", () => {
    const sets: Record<string, readonly string[]> = {
      "quality.modes": MODES,
      "quality.modeHints": MODES,
      "quality.status": ["draft", "submitted", "disputed", "none"],
      "quality.outcome": ["upheld", "revised"],
      "quality.scoring": ["pass_fail", "points"],
      "quality.longBy": ["handling", "messages"],
      "quality.tabs": ["queue", "disputes", "checklists", "settings", "mine"],
      "quality.review.errors": ["above", "negative", "whole", "criticalNa"],
    };
    const missing = Object.entries(sets).flatMap(([prefix, values]) => values.map((v) => `${prefix}.${v}`).filter((k) => typeof lookup(k) !== "string"));
    expect(missing).toEqual([]);
  });
});

const FUTURE = new Date(Date.now() + 5 * 86_400_000).toISOString();
const SCORES = [
  { key: "greeting", passed: true, points: null, na: false, comment: "", earned: 10 },
  { key: "solution", passed: null, points: 24, na: false, comment: "", earned: 24 },
  { key: "tone", passed: null, points: null, na: true, comment: "", earned: null },
  { key: "compliance", passed: true, points: null, na: false, comment: "", earned: 10 },
];

function mine(over: Partial<Review>): Review {
  return review({ status: "submitted", scores: SCORES, total_score: 88, passed: true, submitted_at: "2026-12-01T11:00:00Z", disputable_until: FUTURE, editable_until: FUTURE, agent_id: 5, ...over });
}

describe("QualityView", () => {
  async function page(role: string) {
    fakeServer({ "GET /quality/my-reviews": () => ({ status: 200, body: { reviews: [], total: 0, unread: 0 } }) });
    const pinia = createPinia();
    setActivePinia(pinia);
    useSession().account = me(role as Role, { id: 5 });
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/quality", component: QualityView }] });
    await router.push("/quality");
    const w = mount(QualityView, { attachTo: document.body, global: { plugins: [ElementPlus, testI18n(), pinia, router] } });
    await flushPromises();
    return w;
  }

  it("shows agents only their own reviews, supervisors every tab", async () => {
    const agent = await page("agent");
    expect(agent.findAll("[data-test^=quality-tab-]").map((x) => x.attributes("data-test"))).toEqual(["quality-tab-mine"]);
    expect(agent.find("[data-test=quality-mine]").exists()).toBe(true);
    agent.unmount();
    const supervisor = await page("supervisor");
    expect(supervisor.findAll("[data-test^=quality-tab-]").map((x) => x.attributes("data-test"))).toEqual([
      "quality-tab-queue",
      "quality-tab-disputes",
      "quality-tab-checklists",
      "quality-tab-settings",
      "quality-tab-mine",
    ]);
    expect(supervisor.find("[data-test=quality-queue]").exists()).toBe(true);
    supervisor.unmount();
  });
});

describe("MyReviews", () => {
  it("marks unread reviews until opened, then lets the agent dispute within the window", async () => {
    const first = mine({ id: 7, unread: true });
    const second = mine({ id: 8, conversation_id: 42, disputable_until: "2026-01-01T00:00:00Z", dispute: null });
    const sent = fakeServer({
      "GET /quality/my-reviews": () => ({ status: 200, body: { reviews: [first, second], total: 2, unread: 1 } }),
      "POST /quality/reviews/7/read": () => ({ status: 200, body: { ...first, unread: false } }),
      "POST /quality/reviews/7/dispute": (body) => ({
        status: 200,
        body: { ...first, unread: false, status: "disputed", dispute: { comment: (body as { comment: string }).comment, disputed_at: "2026-12-02T09:00:00Z", outcome: null, resolution: null, resolved_at: null, resolved_by_id: null } },
      }),
      "GET /quality/transcripts/41": () => ({ status: 200, body: { conversation_id: 41, channel: "web", contact_id: 9, contact_name: "王芳", assignee_id: 5, created_at: "", closed_at: null, messages: [{ id: 1, seq: 1, sender: { type: "contact", id: 9 }, content: { type: "text", text: "我的快递三天没动了" }, created_at: "2026-12-01T10:00:00Z" }] } }),
    });
    const w = mountQuality(MyReviews, {}, "agent", 5);
    await flushPromises();
    const rows = w.findAll("[data-test=mine-row]");
    expect(rows.map((r) => r.attributes("data-unread"))).toEqual(["true", "false"]);
    expect(w.get("[data-test=mine-unread]").text()).toBe("1");
    await rows[0]!.trigger("click");
    await flushPromises();
    expect(sent.some((s) => s.key === "POST /quality/reviews/7/read")).toBe(true);
    expect(w.findAll("[data-test=mine-row]")[0]!.attributes("data-unread")).toBe("false");
    expect(w.find("[data-test=mine-unread]").exists()).toBe(false);
    expect(w.get("[data-test=review-total-number]").text()).toBe("88.0");
    expect(w.get("[data-test=review-form]").attributes("data-mode")).toBe("read");
    expect(w.get("[data-test=quality-transcript]").text()).toContain("我的快递三天没动了");
    await w.get("[data-test=dispute-open]").trigger("click");
    await w.get("[data-test=dispute-comment-input]").setValue("客户要的是退款，我按流程处理了");
    await w.get("[data-test=dispute-send]").trigger("click");
    await flushPromises();
    expect(sent.find((s) => s.key === "POST /quality/reviews/7/dispute")!.body).toEqual({ comment: "客户要的是退款，我按流程处理了" });
    expect(w.get("[data-test=dispute-card]").attributes("data-outcome")).toBe("open");
    expect(w.find("[data-test=dispute-open]").exists()).toBe(false);
    // Past the window: no dispute offered.
    await w.findAll("[data-test=mine-row]")[1]!.trigger("click");
    await flushPromises();
    expect(w.find("[data-test=dispute-open]").exists()).toBe(false);
    expect(sent.some((s) => s.key === "POST /quality/reviews/8/read")).toBe(false); // it was read
    w.unmount();
  });
});
