// The filters' logic: shortcuts over month and year ends, "today" in the report time zone
// (not the browser's), the URL round trip, malformed URLs, the drill-down's narrowing, the
// API's query (repeated lists), export file names, and how numbers read.
import { describe, expect, it } from "vitest";

import { exportFilename, reportQuery, type ReportFilters } from "@/api/reports";
import { reportsMessages as en } from "@/i18n/reports.en";
import { reportsMessages as zh } from "@/i18n/reports.zh-CN";

import { addDays, defaultFilters, filtersFromQuery, filtersToQuery, scoped, shortcutRange, tabFromQuery, todayIn, todayReportLink } from "./filters";
import { count, formatAs, kindOf, percent, score, seconds } from "./format";

const F: ReportFilters = { from: "2026-11-01", to: "2026-11-30", tz: null, channel: ["web", "wechat"], group_id: [4, 5], agent_id: [7], tag: "VIP", business_hours: true };

describe("shortcuts", () => {
  it("cover today, yesterday, the last 7 and 30 days, this month and last month", () => {
    const today = "2026-03-01";
    expect(shortcutRange("today", today)).toEqual(["2026-03-01", "2026-03-01"]);
    expect(shortcutRange("yesterday", today)).toEqual(["2026-02-28", "2026-02-28"]);
    expect(shortcutRange("last7", today)).toEqual(["2026-02-23", "2026-03-01"]);
    expect(shortcutRange("last30", today)).toEqual(["2026-01-31", "2026-03-01"]);
    expect(shortcutRange("thisMonth", today)).toEqual(["2026-03-01", "2026-03-01"]);
    expect(shortcutRange("lastMonth", today)).toEqual(["2026-02-01", "2026-02-28"]);
  });

  it("step over a year's end and a leap day", () => {
    expect(shortcutRange("lastMonth", "2026-01-15")).toEqual(["2025-12-01", "2025-12-31"]);
    expect(shortcutRange("lastMonth", "2028-03-10")).toEqual(["2028-02-01", "2028-02-29"]);
    expect(shortcutRange("thisMonth", "2026-12-31")).toEqual(["2026-12-01", "2026-12-31"]);
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
  });

  it("count today in the report time zone", () => {
    const evening = new Date("2026-12-01T17:30:00Z"); // 01:30 on the 2nd in Shanghai
    expect(todayIn("UTC", evening)).toBe("2026-12-01");
    expect(todayIn("Asia/Shanghai", evening)).toBe("2026-12-02");
    expect(todayIn("Asia/Kolkata", new Date("2026-12-01T18:29:00Z"))).toBe("2026-12-01"); // 23:59 +05:30
    expect(todayIn("Asia/Kolkata", new Date("2026-12-01T18:30:00Z"))).toBe("2026-12-02");
    expect(todayIn("Not/AZone", evening)).toBe(todayIn(undefined, evening));
  });
});

describe("the URL", () => {
  it("round-trips every filter", () => {
    const q = filtersToQuery(F) as Record<string, string | string[]>;
    expect(q).toEqual({ from: "2026-11-01", to: "2026-11-30", channel: ["web", "wechat"], group_id: ["4", "5"], agent_id: ["7"], tag: "VIP", business_hours: "true" });
    expect(filtersFromQuery(q, "2026-12-01")).toEqual(F);
  });

  it("leaves the defaults out and reads a missing range as the last 7 days", () => {
    const d = defaultFilters("2026-12-01");
    expect(filtersToQuery(d)).toEqual({ from: "2026-11-25", to: "2026-12-01" });
    expect(filtersFromQuery({}, "2026-12-01")).toEqual(d);
  });

  it("takes a single value where a list is expected, and drops what is malformed", () => {
    const f = filtersFromQuery({ from: "2026-13-x", to: "2026-11-30", channel: "web", group_id: ["4", "x", "-1", "2.5"], agent_id: "7", business_hours: "nope", tab: "agents" }, "2026-12-01");
    expect(f.from).toBe("2026-11-25");
    expect(f.to).toBe("2026-12-01");
    expect(f.channel).toEqual(["web"]);
    expect(f.group_id).toEqual([4]);
    expect(f.agent_id).toEqual([7]);
    expect(f.business_hours).toBe(false);
    expect(tabFromQuery({ tab: "agents" })).toBe("agents");
    expect(tabFromQuery({ tab: "bogus" })).toBe("overview");
  });

  it("resolves range=today against the day it is given (the report zone's today)", () => {
    expect(filtersFromQuery({ range: "today", from: "2026-01-01", to: "2026-01-31" }, "2026-12-02")).toMatchObject({ from: "2026-12-02", to: "2026-12-02" });
    expect(filtersFromQuery({ range: "lastMonth" }, "2026-12-02")).toMatchObject({ from: "2026-11-01", to: "2026-11-30" });
    expect(todayReportLink({ group_id: 4 })).toEqual({ path: "/reports", query: { range: "today", group_id: "4" } });
  });
});

describe("the API's query", () => {
  it("repeats list parameters and adds the route's own", () => {
    const q = reportQuery(F, { metric: "responded", term: undefined, page: 2 });
    expect(q.getAll("channel")).toEqual(["web", "wechat"]);
    expect(q.getAll("group_id")).toEqual(["4", "5"]);
    expect(q.getAll("agent_id")).toEqual(["7"]);
    expect(q.get("tag")).toBe("VIP");
    expect(q.get("business_hours")).toBe("true");
    expect(q.get("metric")).toBe("responded");
    expect(q.get("page")).toBe("2");
    expect(q.has("term")).toBe(false);
    expect(q.has("tz")).toBe(false);
    expect(reportQuery({ ...F, business_hours: false, tz: "UTC" }).has("business_hours")).toBe(false);
    expect(reportQuery({ ...F, tz: "UTC" }).get("tz")).toBe("UTC");
  });

  it("narrows the filters to one row or day for a drill-down", () => {
    expect(scoped(F, { agent_id: 9 }).agent_id).toEqual([9]);
    expect(scoped(F, { channel: "sms" }).channel).toEqual(["sms"]);
    expect(scoped(F, { group_id: 2 }).group_id).toEqual([2]);
    expect(scoped(F, { day: "2026-11-03" })).toMatchObject({ from: "2026-11-03", to: "2026-11-03", channel: ["web", "wechat"] });
    expect(scoped(F, null)).toBe(F);
  });

  it("names exports as the server does", () => {
    expect(exportFilename("agents", F, "csv")).toBe("客服-2026-11-01_2026-11-30.csv");
    expect(exportFilename("breakdown", F, "xlsx", { by: "group" })).toBe("按分组-2026-11-01_2026-11-30.xlsx");
    expect(exportFilename("conversations", F, "xlsx")).toBe("会话明细-2026-11-01_2026-11-30.xlsx");
  });
});

describe("numbers", () => {
  it("read as counts, shares, durations and scores; none as a dash", () => {
    expect(count(12345, "zh-CN")).toBe("12,345");
    expect(percent(0.734)).toBe("73.4%");
    expect(percent(0.5)).toBe("50%");
    expect(percent(null)).toBe("—");
    expect(seconds(42.5, "zh-CN")).toBe("42.5秒");
    expect(seconds(192, "zh-CN")).toBe("3分12秒");
    expect(seconds(18_180, "zh-CN")).toBe("5小时3分");
    expect(seconds(90_000, "en")).toBe("25h 0m");
    expect(seconds(null, "zh-CN")).toBe("—");
    expect(score(4.25)).toBe("4.25");
    expect(kindOf("wait_p90_s")).toBe("seconds");
    expect(kindOf("handoff_rate")).toBe("ratio");
    expect(kindOf("within_60_share")).toBe("ratio");
    expect(kindOf("occupancy")).toBe("ratio");
    expect(kindOf("satisfaction_score_5")).toBe("score");
    expect(kindOf("transfers")).toBe("count");
    expect(formatAs("ratio", 0.25, "zh-CN")).toBe("25%");
  });
});

describe("messages", () => {
  const keys = (v: unknown, p = ""): string[] =>
    typeof v === "object" && v !== null ? Object.entries(v).flatMap(([k, x]) => keys(x, p ? `${p}.${k}` : k)) : [p];

  it("have the same keys in Chinese and English, none empty", () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort());
    const empty = (m: unknown) => keys(m).filter((k) => k.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], m) === "");
    expect(empty(zh)).toEqual([]);
    expect(empty(en)).toEqual([]);
  });
});
