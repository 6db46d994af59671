// The report API (/api/v1/reports, docs/reports.md) and the report settings
// (/api/v1/tenant/reports/settings): the payload types and one function per route.
//
// The types are the generated OpenAPI ones (src/api/openapi.gen.ts) as soon as
// docs/openapi.json has them, and until then hand-written stand-ins with the shapes of
// src/huiliu/analytics/schemas.py (`Generated`, as in admin-types.ts): nothing here needs
// editing when they land, and a field that differs then fails vue-tsc.
import { api, download } from "./http";
import type { components } from "./openapi.gen";
import type { WorkingHours } from "./types";

type Schemas = components["schemas"];
type Generated<K extends string, Fallback> = K extends keyof Schemas ? Schemas[K] : Fallback;

// Payloads -----------------------------------------------------------------------------------

// The sets of conversations a number counts (the drill-down's `metric`), as the stand-in
// knows them; the generated Figure's own once it exists (`Metric` below).
type MetricFallback =
  | "conversations"
  | "handed_over"
  | "bot_served"
  | "bot_handed_over"
  | "closed"
  | "bot_resolved"
  | "responded"
  | "responded_within_60"
  | "responded_later"
  | "waited"
  | "handled"
  | "transferred"
  | "surveyed"
  | "rated"
  | "unrated"
  | "satisfied"
  | "unsatisfied";

/** What GET /reports/series plots. */
export const SERIES_METRICS = [
  "conversations",
  "handed_over",
  "bot_served",
  "bot_handed_over",
  "handoff_rate",
  "closed",
  "bot_resolved",
  "bot_resolution_rate",
  "responded",
  "first_response_avg_s",
  "responded_within_60",
  "within_60_share",
  "waited",
  "wait_avg_s",
  "wait_p90_s",
  "handled",
  "handling_avg_s",
  "transfers",
  "surveyed",
  "rated",
  "response_rate",
  "satisfaction_score",
  "satisfaction_score_5",
  "satisfied",
  "satisfied_share",
  "online_s",
  "away_s",
  "occupancy",
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];
export type Interval = "day" | "hour";
export type BreakdownBy = "channel" | "group" | "agent";
export type ExportFormat = "csv" | "xlsx";

/** A number and the drill-down metric of the conversations behind it (null: not
 * conversations — tickets, seconds online). */
export type Figure = Generated<"Figure", { value: number | null; metric?: MetricFallback | null }>;
/** The sets of conversations a number counts: the drill-down's `metric`. */
export type Metric = NonNullable<Figure["metric"]>;

export type Period = Generated<
  "Period",
  { from: string; to: string; tz: string; business_hours: boolean; source: "buckets" | "conversations" }
>;

interface NumbersShape {
  conversations: Figure;
  handed_over: Figure;
  bot_served: Figure;
  bot_handed_over: Figure;
  handoff_rate: Figure;
  closed: Figure;
  bot_resolved: Figure;
  bot_resolution_rate: Figure;
  first_response: { count: Figure; avg_s: Figure; within_60: Figure; within_60_share: Figure; later: Figure };
  queue_wait: { count: Figure; avg_s: Figure; p90_s: Figure };
  handling: { count: Figure; avg_s: Figure };
  transfers: Figure;
  satisfaction: {
    surveyed: Figure;
    rated: Figure;
    response_rate: Figure;
    score: Figure;
    score_5: Figure;
    satisfied: Figure;
    satisfied_share: Figure;
  };
}
export type Numbers = Generated<"Numbers", NumbersShape>;

interface SlaClockShape { with_target: Figure; met: Figure; breached: Figure; compliance: Figure }
export type TicketNumbers = Generated<
  "TicketNumbers",
  { created: Figure; first_response: SlaClockShape; resolution: SlaClockShape; breached: Figure }
>;
export type Occupancy = Generated<
  "Occupancy",
  { online_s: Figure; away_s: Figure; load_s: Figure; capacity_s: Figure; occupancy: Figure }
>;

export type Overview = Generated<"Overview", NumbersShape & { period: Period; tickets: TicketNumbers; occupancy: Occupancy }>;

export type SeriesPoint = Generated<
  "SeriesPoint",
  { at: string; hour?: string | null; value: number | null; metric: Metric | null }
>;
export type Series = Generated<
  "Series",
  { period: Period; metric: SeriesMetric; interval: Interval; points: SeriesPoint[] }
>;

export type Named = Generated<"Named", { id: number; name: string | null }>;

export type BreakdownRow = Generated<
  "BreakdownRow",
  NumbersShape & { key: string | number | null; name: string; tickets: TicketNumbers; occupancy?: Occupancy | null }
>;
export type Breakdown = Generated<"Breakdown", { period: Period; by: BreakdownBy; rows: BreakdownRow[] }>;

export type AgentRow = Generated<"AgentRow", NumbersShape & { agent: Named; occupancy: Occupancy }>;
export type AgentsReport = Generated<"AgentsReport", { period: Period; agents: AgentRow[] }>;

export type ConversationRow = Generated<
  "ConversationRow",
  {
    conversation_id: number;
    contact: Named;
    channel: string;
    group: Named | null;
    agent: Named | null;
    opened_at: string;
    closed_at: string | null;
    closed_by: string | null;
    handed_over: boolean;
    wait_s: number | null;
    wait_bh_s: number | null;
    first_response_s: number | null;
    first_response_bh_s: number | null;
    handling_s: number | null;
    transfers: number;
    messages_customer: number;
    messages_agent: number;
    surveyed: boolean;
    rating_score: number | null;
    rating_scale: number | null;
  }
>;
export type ConversationPage = Generated<
  "ConversationPage",
  {
    period: Period;
    metric: Metric;
    term: string | null;
    hour: string | null;
    total: number;
    page: number;
    per_page: number;
    conversations: ConversationRow[];
  }
>;

export type TermRow = Generated<
  "TermRow",
  { term: string; conversations: Figure; mentions: number; previous: number; change: number; change_rate: number | null }
>;
export type HotWords = Generated<
  "HotWords",
  { period: Period; previous_from: string; previous_to: string; top: TermRow[]; rising: TermRow[] }
>;

export type ReportSettings = Generated<"ReportSettings", { timezone: string; business_hours?: WorkingHours | null }>;

// Filters ------------------------------------------------------------------------------------

/** The filters every report takes (days inclusive, in the report time zone). */
export interface ReportFilters {
  from: string;
  to: string;
  /** IANA zone; null: the tenant's report settings. */
  tz: string | null;
  channel: string[];
  group_id: number[];
  agent_id: number[];
  tag: string | null;
  business_hours: boolean;
}

export type Extra = Record<string, string | number | boolean | null | undefined>;

/** The query string of a report: the filters (lists as repeated parameters) and the route's
 * own parameters. */
export function reportQuery(filters: ReportFilters, extra: Extra = {}): URLSearchParams {
  const q = new URLSearchParams();
  q.set("from", filters.from);
  q.set("to", filters.to);
  if (filters.tz) q.set("tz", filters.tz);
  for (const c of filters.channel) q.append("channel", c);
  for (const g of filters.group_id) q.append("group_id", String(g));
  for (const a of filters.agent_id) q.append("agent_id", String(a));
  if (filters.tag) q.set("tag", filters.tag);
  if (filters.business_hours) q.set("business_hours", "true");
  for (const [k, v] of Object.entries(extra)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  return q;
}

const path = (route: string, filters: ReportFilters, extra?: Extra) => `/reports/${route}?${reportQuery(filters, extra).toString()}`;

// Routes -------------------------------------------------------------------------------------

export const reportsApi = {
  overview: (f: ReportFilters) => api.get<Overview>(path("overview", f)),
  series: (f: ReportFilters, metric: SeriesMetric, interval: Interval) => api.get<Series>(path("series", f, { metric, interval })),
  breakdown: (f: ReportFilters, by: BreakdownBy) => api.get<Breakdown>(path("breakdown", f, { by })),
  agents: (f: ReportFilters) => api.get<AgentsReport>(path("agents", f)),
  conversations: (f: ReportFilters, drill: DrillQuery, page: number, perPage: number) =>
    api.get<ConversationPage>(path("conversations", f, { ...drillParams(drill), page, per_page: perPage })),
  hotWords: (f: ReportFilters, limit: number) => api.get<HotWords>(path("hot-words", f, { limit })),
  settings: () => api.get<ReportSettings>("/tenant/reports/settings"),
  saveSettings: (body: ReportSettings) => api.put<ReportSettings>("/tenant/reports/settings", body),
};

/** What a drill-down lists: the conversations behind a metric, optionally of one term (hot
 * words) or one UTC hour (an hourly series point). */
export interface DrillQuery {
  metric: Metric;
  term?: string | null;
  hour?: string | null;
}

function drillParams(d: DrillQuery): Extra {
  return { metric: d.metric, term: d.term ?? undefined, hour: d.hour ?? undefined };
}

/** The reports that export, and the route each one's export is at. */
export type ExportKind = "overview" | "series" | "breakdown" | "agents" | "conversations" | "hot-words";

/** Download a report as CSV or XLSX through the API (the token rides with the request: a
 * fetch and a blob, not a bare link), with the current filters. */
export function exportReport(kind: ExportKind, f: ReportFilters, format: ExportFormat, extra: Extra = {}): Promise<void> {
  const query = reportQuery(f, { ...extra, format });
  return download(`/reports/${kind}/export?${query.toString()}`, {}, exportFilename(kind, f, format, extra));
}

// The server's own (Chinese) names, as its Content-Disposition gives them (analytics/export.py).
const TITLES: Record<Exclude<ExportKind, "breakdown">, string> = {
  overview: "概览",
  series: "趋势",
  agents: "客服",
  conversations: "会话明细",
  "hot-words": "热词",
};
const BREAKDOWN_TITLES: Record<BreakdownBy, string> = { channel: "按渠道", group: "按分组", agent: "按客服" };

/** 客服-2026-11-01_2026-11-30.csv */
export function exportFilename(kind: ExportKind, f: ReportFilters, format: ExportFormat, extra: Extra = {}): string {
  const title = kind === "breakdown" ? BREAKDOWN_TITLES[extra.by as BreakdownBy] ?? "分布" : TITLES[kind];
  return `${title}-${f.from}_${f.to}.${format}`;
}
