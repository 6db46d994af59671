// The report filters without a page: read from and written to the URL's query (so a report
// can be linked and reloaded), the date-range shortcuts (今天 … 上月) counted in the report
// time zone, and a filter narrowed to one row of a breakdown for its drill-down.
import type { LocationQuery, LocationQueryRaw } from "vue-router";

import type { ReportFilters } from "@/api/reports";

export type Tab = "overview" | "agents" | "hotwords";
export const TABS: readonly Tab[] = ["overview", "agents", "hotwords"];

export type Shortcut = "today" | "yesterday" | "last7" | "last30" | "thisMonth" | "lastMonth";
export const SHORTCUTS: readonly Shortcut[] = ["today", "yesterday", "last7", "last30", "thisMonth", "lastMonth"];

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

/** Today's date (YYYY-MM-DD) in a time zone (undefined: the browser's). */
export function todayIn(tz: string | null | undefined, now: Date = new Date()): string {
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: tz ?? undefined, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
    return `${get("year")}-${get("month")}-${get("day")}`;
  } catch {
    // an unknown zone (a hand-edited URL): the browser's day; the server says what is wrong
    return todayIn(undefined, now);
  }
}

function toUtc(day: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

function fromUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return fromUtc(toUtc(day) + n * MS_PER_DAY);
}

/** The days a shortcut covers, given today. */
export function shortcutRange(name: Shortcut, today: string): [string, string] {
  const [y, m] = today.split("-").map(Number) as [number, number];
  switch (name) {
    case "today":
      return [today, today];
    case "yesterday":
      return [addDays(today, -1), addDays(today, -1)];
    case "last7":
      return [addDays(today, -6), today];
    case "last30":
      return [addDays(today, -29), today];
    case "thisMonth":
      return [fromUtc(Date.UTC(y, m - 1, 1)), today];
    case "lastMonth":
      return [fromUtc(Date.UTC(y, m - 2, 1)), fromUtc(Date.UTC(y, m - 1, 0))];
  }
}

/** The filters of a new report: the last 7 days, everything. */
export function defaultFilters(today: string): ReportFilters {
  const [from, to] = shortcutRange("last7", today);
  return { from, to, tz: null, channel: [], group_id: [], agent_id: [], tag: null, business_hours: false };
}

function list(value: LocationQuery[string] | undefined): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string" && v !== "");
}

function one(value: LocationQuery[string] | undefined): string | null {
  return list(value)[0] ?? null;
}

function ids(value: LocationQuery[string] | undefined): number[] {
  return list(value)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

function rangeOf(query: LocationQuery, today: string): { from: string; to: string } {
  const shortcut = one(query.range);
  if (shortcut && SHORTCUTS.includes(shortcut as Shortcut)) {
    const [from, to] = shortcutRange(shortcut as Shortcut, today);
    return { from, to };
  }
  const from = one(query.from);
  const to = one(query.to);
  const base = defaultFilters(today);
  if (from && DAY.test(from)) return { from, to: to && DAY.test(to) ? to : base.to };
  return { from: base.from, to: base.to };
}

/** The filters a URL's query holds: `from`/`to`, or `range` (a shortcut, resolved against
 * `today` — how the live monitor links "today" without knowing the report time zone); what
 * is missing or malformed takes the default. */
export function filtersFromQuery(query: LocationQuery, today: string): ReportFilters {
  const range = rangeOf(query, today);
  const bh = one(query.business_hours);
  return {
    ...range,
    tz: one(query.tz),
    channel: list(query.channel),
    group_id: ids(query.group_id),
    agent_id: ids(query.agent_id),
    tag: one(query.tag),
    business_hours: bh === "true" || bh === "1",
  };
}

/** The URL query of filters (defaults left out, so links stay short). */
export function filtersToQuery(f: ReportFilters): LocationQueryRaw {
  const q: LocationQueryRaw = { from: f.from, to: f.to };
  if (f.tz) q.tz = f.tz;
  if (f.channel.length) q.channel = [...f.channel];
  if (f.group_id.length) q.group_id = f.group_id.map(String);
  if (f.agent_id.length) q.agent_id = f.agent_id.map(String);
  if (f.tag) q.tag = f.tag;
  if (f.business_hours) q.business_hours = "true";
  return q;
}

export function tabFromQuery(query: LocationQuery): Tab {
  const t = one(query.tab);
  return TABS.includes(t as Tab) ? (t as Tab) : "overview";
}

/** The filters narrowed to one row of a breakdown (a channel, a group, an agent) or one day:
 * the drill-down behind a row's number lists only that row's conversations. */
export type Scope = { channel: string } | { group_id: number } | { agent_id: number } | { day: string };

export function scoped(f: ReportFilters, scope: Scope | null | undefined): ReportFilters {
  if (!scope) return f;
  if ("channel" in scope) return { ...f, channel: [scope.channel] };
  if ("group_id" in scope) return { ...f, group_id: [scope.group_id] };
  if ("agent_id" in scope) return { ...f, agent_id: [scope.agent_id] };
  return { ...f, from: scope.day, to: scope.day };
}

/** The link to today's report, for the live monitor ("查看报表"): `range=today`, so the
 * reports page counts the day in the report time zone. */
export function todayReportLink(extra: { group_id?: number; tab?: Tab } = {}): { path: string; query: LocationQueryRaw } {
  const q: LocationQueryRaw = { range: "today" };
  if (extra.tab && extra.tab !== "overview") q.tab = extra.tab;
  if (extra.group_id) q.group_id = String(extra.group_id);
  return { path: "/reports", query: q };
}
