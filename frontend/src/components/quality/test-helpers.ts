// For the quality components' tests: a mount with Element Plus, Pinia and the app's strings
// with quality's merged in (as i18n/zh-CN.ts will: `quality: qualityMessages`), attached to
// the document so dialogs and poppers can be found; and a fake server answering by
// "METHOD /path" (under /api/v1), recording what was sent.
import { mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { vi } from "vitest";
import type { Component, DefineComponent } from "vue";
import { createI18n } from "vue-i18n";

import type { ChecklistItem, Review } from "@/api/quality";
import type { Role } from "@/api/types";
import { messages as en } from "@/i18n/en";
import { qualityMessages as qualityEn } from "@/i18n/quality.en";
import { qualityMessages as qualityZh } from "@/i18n/quality.zh-CN";
import { messages as zh } from "@/i18n/zh-CN";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

export function testI18n() {
  return createI18n({
    legacy: false,
    locale: "zh-CN",
    fallbackLocale: "zh-CN",
    messages: { "zh-CN": { ...zh, quality: qualityZh }, en: { ...en, quality: qualityEn } },
  });
}

export function mountQuality(component: Component, props: Record<string, unknown> = {}, role = "supervisor", id = 2): VueWrapper {
  const pinia = createPinia();
  setActivePinia(pinia);
  useSession().account = me(role as Role, { id, email: "s@x", name: "S" });
  return mount(component as DefineComponent, {
    attachTo: document.body,
    props,
    global: { plugins: [ElementPlus, testI18n(), pinia], stubs: { RouterLink: true } },
  });
}

export type Handler = (body: unknown, url: URL) => { status: number; body: unknown };

export function fakeServer(routes: Record<string, Handler>): { key: string; body: unknown }[] {
  const sent: { key: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const key = `${init?.method ?? "GET"} ${url.pathname.replace("/api/v1", "")}`;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    sent.push({ key, body });
    const handler = routes[key];
    const listing = key === "GET /accounts" || key === "GET /groups";
    const answer = handler ? handler(body, url) : listing ? { status: 200, body: [] } : { status: 404, body: { code: "not_found", detail: key } };
    return new Response(answer.status === 204 ? null : JSON.stringify(answer.body), { status: answer.status, headers: { "Content-Type": "application/json" } });
  }));
  return sent;
}

export const ITEMS: ChecklistItem[] = [
  { key: "greeting", label: "规范问候", description: "首句问候", scoring: "pass_fail", max_points: 10, critical: false },
  { key: "solution", label: "解决问题", description: "", scoring: "points", max_points: 30, critical: false },
  { key: "tone", label: "服务态度", description: "", scoring: "points", max_points: 20, critical: false },
  { key: "compliance", label: "合规承诺", description: "不得承诺无法兑现的赔付", scoring: "pass_fail", max_points: 10, critical: true },
];

export function review(over: Partial<Review> = {}): Review {
  return {
    id: 7, batch_id: 3, conversation_id: 41, agent_id: 5, reviewer_id: 2, checklist_id: 1, checklist_version: 1, checklist_name: "服务质检表",
    items: ITEMS, scores: [], comment: "", status: "draft", total_score: null, critical_failed: false, passed: null, earned: 0, possible: 0,
    created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z", submitted_at: null, editable_until: null, disputable_until: null,
    dispute: null, unread: false, ...over,
  };
}
