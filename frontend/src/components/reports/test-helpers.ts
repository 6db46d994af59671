// For the reports' tests: report payloads shaped like the server's (analytics/schemas.py),
// a fake server behind `fetch` that records every request, the app's strings with the
// reports' merged in (as i18n/zh-CN.ts and en.ts register them), and a stub for vue-echarts
// (no canvas in jsdom) that keeps the option it was given and lets a test click an item.
import { mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { vi } from "vitest";
import { defineComponent, h, type Component, type DefineComponent, type PropType } from "vue";
import { createI18n } from "vue-i18n";
import { createMemoryHistory, createRouter, type Router } from "vue-router";

import type { AgentRow, Breakdown, BreakdownRow, ConversationRow, Figure, Metric, Overview, Period, Series, TermRow } from "@/api/reports";
import { messages as en } from "@/i18n/en";
import { reportsMessages as reportsEn } from "@/i18n/reports.en";
import { reportsMessages as reportsZh } from "@/i18n/reports.zh-CN";
import { messages as zh } from "@/i18n/zh-CN";
import { connectHttp, useSession } from "@/stores/session";
import { me } from "@/test/session";

export function testI18n(locale: "zh-CN" | "en" = "zh-CN") {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: "zh-CN",
    messages: { "zh-CN": { ...zh, reports: reportsZh }, en: { ...en, reports: reportsEn } },
  });
}

// Payloads ---------------------------------------------------------------------------------

export const fig = (value: number | null, metric: Metric | null = null): Figure => ({ value, metric });

export function period(over: Partial<Period> = {}): Period {
  return { from: "2026-11-24", to: "2026-11-30", tz: "Asia/Shanghai", business_hours: false, source: "buckets", ...over };
}

/** The conversation numbers of a period: 40 conversations, 30 closed, 12 by the bot … */
export function numbers() {
  return {
    conversations: fig(40, "conversations"),
    handed_over: fig(25, "handed_over"),
    bot_served: fig(32, "bot_served"),
    bot_handed_over: fig(20, "bot_handed_over"),
    handoff_rate: fig(0.625, "bot_handed_over"),
    closed: fig(30, "closed"),
    bot_resolved: fig(12, "bot_resolved"),
    bot_resolution_rate: fig(0.4, "bot_resolved"),
    first_response: {
      count: fig(20, "responded"),
      avg_s: fig(42.5, "responded"),
      within_60: fig(15, "responded_within_60"),
      within_60_share: fig(0.75, "responded_within_60"),
      later: fig(5, "responded_later"),
    },
    queue_wait: { count: fig(22, "waited"), avg_s: fig(75, "waited"), p90_s: fig(150, "waited") },
    handling: { count: fig(18, "handled"), avg_s: fig(612, "handled") },
    transfers: fig(3, "transferred"),
    satisfaction: {
      surveyed: fig(16, "surveyed"),
      rated: fig(8, "rated"),
      response_rate: fig(0.5, "rated"),
      score: fig(0.8125, "rated"),
      score_5: fig(4.25, "rated"),
      satisfied: fig(5, "satisfied"),
      satisfied_share: fig(0.625, "satisfied"),
    },
  };
}

function tickets() {
  const clock = (met: number, breached: number) => ({ with_target: fig(met + breached), met: fig(met), breached: fig(breached), compliance: fig(met + breached ? met / (met + breached) : null) });
  return { created: fig(10), first_response: clock(9, 1), resolution: clock(6, 2), breached: fig(3) };
}

function occupancy(online: number, load: number, capacity: number) {
  return { online_s: fig(online), away_s: fig(1800), load_s: fig(load), capacity_s: fig(capacity), occupancy: fig(capacity ? load / capacity : null) };
}

export function overview(over: Partial<Overview> = {}): Overview {
  return { ...numbers(), period: period(), tickets: tickets(), occupancy: occupancy(28_800, 36_000, 72_000), ...over } as Overview;
}

/** An overview of a period with nothing in it. */
export function emptyOverview(): Overview {
  const o = overview();
  const zero = (f: Figure): Figure => ({ ...f, value: f.value === null ? null : 0 });
  const walk = (v: unknown): unknown => {
    if (v && typeof v === "object" && "value" in v) return zero(v as Figure);
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "period" ? x : walk(x)]));
    return v;
  };
  return walk(o) as Overview;
}

export function series(values: number[], over: Partial<Series> = {}): Series {
  return {
    period: period(),
    metric: "conversations",
    interval: "day",
    points: values.map((value, i) => ({ at: `2026-11-${String(24 + i).padStart(2, "0")}`, hour: null, value, metric: "conversations" })),
    ...over,
  } as Series;
}

export function breakdownRow(key: string | number | null, name: string, conversations: number): BreakdownRow {
  return { ...numbers(), conversations: fig(conversations, "conversations"), key, name, tickets: tickets(), occupancy: null } as BreakdownRow;
}

export function breakdown(by: "channel" | "group", rows: BreakdownRow[]): Breakdown {
  return { period: period(), by, rows } as Breakdown;
}

export function agentRow(id: number, name: string | null, conversations: number, occupancyShare: number): AgentRow {
  return { ...numbers(), conversations: fig(conversations, "conversations"), agent: { id, name }, occupancy: occupancy(7_200 + id, occupancyShare * 1000, 1000) } as AgentRow;
}

export function conversationRow(id: number, over: Partial<ConversationRow> = {}): ConversationRow {
  return {
    conversation_id: id,
    contact: { id: 100 + id, name: id % 2 ? `客户${id}` : null },
    channel: "web",
    group: { id: 4, name: "售后" },
    agent: { id: 7, name: "小王" },
    opened_at: "2026-11-30T02:00:00Z",
    closed_at: "2026-11-30T02:20:00Z",
    closed_by: "agent",
    handed_over: true,
    wait_s: 30,
    wait_bh_s: 10,
    first_response_s: 45,
    first_response_bh_s: 20,
    handling_s: 1200,
    transfers: 0,
    messages_customer: 3,
    messages_agent: 4,
    surveyed: true,
    rating_score: 3,
    rating_scale: 3,
    ...over,
  } as ConversationRow;
}

export function term(name: string, conversations: number, previous: number): TermRow {
  return {
    term: name,
    conversations: fig(conversations, "conversations"),
    mentions: conversations * 2,
    previous,
    change: conversations - previous,
    change_rate: previous ? (conversations - previous) / previous : null,
  } as TermRow;
}

// The fake server ------------------------------------------------------------------------------

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

type Reply = { status?: number; body: unknown; type?: string };
export type Handler = (call: Call) => Reply | unknown;

const ok = (body: unknown): Reply => ({ body });

/** Routes by "GET /reports/overview" (the path after /api/v1); a handler returns a body
 * (200) or `{status, body}`. Unknown routes answer 404. */
export function fakeServer(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, "http://localhost");
      const call: Call = {
        method: init?.method ?? "GET",
        path: url.pathname.replace("/api/v1", ""),
        query: url.searchParams,
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      };
      calls.push(call);
      const handler = routes[`${call.method} ${call.path}`];
      const raw = handler ? handler(call) : { status: 404, body: { code: "not_found", detail: `no ${call.method} ${call.path}` } };
      const reply = raw && typeof raw === "object" && "body" in raw ? (raw as Reply) : ok(raw);
      const type = reply.type ?? "application/json";
      const payload = type === "application/json" ? JSON.stringify(reply.body) : String(reply.body);
      return new Response(payload, { status: reply.status ?? 200, headers: { "Content-Type": type } });
    }),
  );
  return calls;
}

/** The server of a report page with data in every report. */
export function reportRoutes(over: Record<string, Handler> = {}): Record<string, Handler> {
  return {
    "GET /tenant/reports/settings": () => ({ timezone: "Asia/Shanghai", business_hours: null }),
    "GET /reports/overview": () => overview(),
    "GET /reports/series": () => series([3, 5, 0, 8, 6, 10, 8]),
    "GET /reports/breakdown": (c) =>
      c.query.get("by") === "channel"
        ? breakdown("channel", [breakdownRow("web", "网页", 30), breakdownRow("wechat", "微信公众号", 10)])
        : breakdown("group", [breakdownRow(4, "售后", 25), breakdownRow(null, "（无分组）", 15)]),
    "GET /reports/agents": () => ({ period: period(), agents: [agentRow(7, "小王", 12, 0.5), agentRow(8, "小李", 20, 0.95), agentRow(9, null, 0, 0)] }),
    "GET /reports/hot-words": () => ({
      period: period(),
      previous_from: "2026-11-17",
      previous_to: "2026-11-23",
      top: [term("退款", 12, 4), term("发票", 8, 8), term("物流", 5, 0)],
      rising: [term("退款", 12, 4), term("物流", 5, 0)],
    }),
    "GET /reports/conversations": (c) => {
      const page = Number(c.query.get("page") ?? 1);
      const per = Number(c.query.get("per_page") ?? 20);
      const total = 45;
      const first = (page - 1) * per;
      const ids = Array.from({ length: Math.max(0, Math.min(per, total - first)) }, (_, i) => 1000 + first + i);
      return { period: period({ business_hours: c.query.get("business_hours") === "true" }), metric: c.query.get("metric"), term: c.query.get("term"), hour: c.query.get("hour"), total, page, per_page: per, conversations: ids.map((id) => conversationRow(id)) };
    },
    "GET /tags": () => [{ tag: "VIP", count: 3 }],
    "GET /groups": () => [{ id: 4, name: "售后", strategy: "least_load", last_agent_days: 7, is_default: true, channels: [], member_ids: [], working_hours: null, open_now: true, created_at: "2026-11-01T00:00:00Z" }],
    "GET /accounts": () => [],
    "GET /channels/types": () => [],
    ...over,
  };
}

// Mounting ---------------------------------------------------------------------------------------

/** vue-echarts' place in the tests: `vi.mock("vue-echarts", () => ({ default: ChartStub }))`. */
export const ChartStub = defineComponent({
  name: "VChartStub",
  props: { option: { type: Object as PropType<Record<string, unknown>>, required: true } },
  emits: ["click"],
  setup(props, { attrs }) {
    return () => h("div", { ...attrs, class: "chart-stub", "data-option": JSON.stringify(props.option) });
  },
});

export async function showAt(view: Component, url: string, role: "admin" | "supervisor" = "supervisor"): Promise<{ wrapper: VueWrapper; router: Router }> {
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSession();
  session.token = "tok-1";
  session.account = me(role, { email: "s@x.test", name: "Sue" });
  connectHttp(() => undefined);
  const blank = defineComponent({ render: () => null });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: "/reports", component: view },
      { path: "/:rest(.*)*", component: blank },
    ],
  });
  await router.push(url);
  const wrapper = mount(view as DefineComponent, { attachTo: document.body, global: { plugins: [pinia, router, ElementPlus, testI18n()] } });
  return { wrapper, router };
}

export function $(selector: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`nothing matches ${selector}`);
  return el;
}

export const $$ = (selector: string): HTMLElement[] => [...document.querySelectorAll<HTMLElement>(selector)];
