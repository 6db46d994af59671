// The reports page against a fake server: the URL's filters reach every request and a change
// of filters goes back into the URL; the key figures read right and each opens the
// drill-down with its metric; the drawer pages, links each conversation to the workbench in a
// new tab and exports; charts drill by day, hour, channel and group; the agents table and
// hot words drill with their agent and term; exports download through the API with the
// token; the API's 4xx detail is shown; an empty period says so.
import { flushPromises, type VueWrapper } from "@vue/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";
import type { Router } from "vue-router";

import ReportsView from "@/views/ReportsView.vue";

import { $, $$, ChartStub, emptyOverview, fakeServer, overview, reportRoutes, series, showAt, type Call, type Handler } from "./test-helpers";

vi.mock("vue-echarts", async () => ({ default: (await import("./test-helpers")).ChartStub }));

const URL_ = "/reports?from=2026-11-24&to=2026-11-30&channel=web&group_id=4&business_hours=true";

let wrapper: VueWrapper | undefined;
let router: Router;
let calls: Call[];
const downloads: { name: string; blob: Blob }[] = [];

async function open(url = URL_, over: Record<string, Handler> = {}): Promise<VueWrapper> {
  calls = fakeServer(reportRoutes(over));
  ({ wrapper, router } = await showAt(ReportsView, url));
  await settle();
  return wrapper;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i += 1) {
    await flushPromises();
    await nextTick();
  }
}

const requests = (path: string) => calls.filter((c) => c.path === path);
const last = (path: string): Call => {
  const found = requests(path);
  if (!found.length) throw new Error(`no request to ${path}; made: ${calls.map((c) => c.path).join(", ")}`);
  return found[found.length - 1] as Call;
};

async function click(selector: string): Promise<void> {
  $(selector).click();
  await settle();
}

function charts(w: VueWrapper, test: string) {
  const chart = w.findAllComponents(ChartStub).find((c) => c.attributes("data-test") === test);
  if (!chart) throw new Error(`no chart ${test}`);
  return chart;
}

beforeEach(() => {
  downloads.length = 0;
  vi.stubGlobal("open", vi.fn());
  URL.createObjectURL = vi.fn((blob: Blob) => {
    downloads.push({ name: "", blob });
    return "blob:1";
  });
  URL.revokeObjectURL = vi.fn();
  // The download's <a download> click is where a browser saves the file: note its name.
  const click = HTMLAnchorElement.prototype.click;
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    if (!this.href.startsWith("blob:")) return click.call(this);
    const d = downloads[downloads.length - 1];
    if (d) d.name = this.download;
  });
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("the overview", () => {
  it("sends the URL's filters with every report and shows the key figures", async () => {
    await open();
    for (const path of ["/reports/overview", "/reports/series", "/reports/breakdown"]) {
      const q = last(path).query;
      expect(q.get("from")).toBe("2026-11-24");
      expect(q.get("to")).toBe("2026-11-30");
      expect(q.getAll("channel")).toEqual(["web"]);
      expect(q.getAll("group_id")).toEqual(["4"]);
      expect(q.get("business_hours")).toBe("true");
      expect(last(path).headers.Authorization).toBe("Bearer tok-1");
    }
    expect(requests("/reports/breakdown").map((c) => c.query.get("by")).sort()).toEqual(["channel", "group"]);
    expect(last("/reports/series").query.get("metric")).toBe("conversations");
    expect(last("/reports/series").query.get("interval")).toBe("day");

    const value = (key: string) => $(`[data-test=kpi-${key}] [data-test=kpi-value]`).textContent?.trim();
    const sub = (key: string) => $(`[data-test=kpi-${key}] [data-test=kpi-sub]`).textContent?.trim();
    expect(value("conversations")).toBe("40");
    expect(sub("conversations")).toBe("已结束 30");
    expect(value("first-response")).toBe("42.5秒");
    expect(sub("first-response")).toBe("1分钟内响应 75%");
    expect(value("wait")).toBe("1分15秒");
    expect(sub("wait")).toBe("P90 2分30秒");
    expect(value("handling")).toBe("10分12秒");
    expect(value("bot-resolution")).toBe("40%");
    expect(value("handoff")).toBe("62.5%");
    expect(sub("handoff")).toBe("机器人接待 32 · 转人工 20");
    expect(value("satisfaction")).toBe("4.25");
    expect(sub("satisfaction")).toBe("评价率 50%");
    expect(value("sla")).toBe("首响 90% · 解决 75%");
    expect(sub("sla")).toBe("新建工单 10 · 超时 3");
    expect(value("occupancy")).toBe("50%");
    expect(sub("occupancy")).toBe("在线 8小时0分");
  });

  it("opens the conversations behind a card, a page at a time, each linked to the workbench", async () => {
    await open();
    await click("[data-test=kpi-first-response]");
    const q = last("/reports/conversations").query;
    expect(q.get("metric")).toBe("responded");
    expect(q.get("page")).toBe("1");
    expect(q.getAll("channel")).toEqual(["web"]);
    expect(q.get("business_hours")).toBe("true");
    expect($("[data-test=drill-total]").textContent).toContain("共 45 个会话");
    const links = $$("[data-test=drill-row]") as HTMLAnchorElement[];
    expect(links).toHaveLength(20);
    expect(links[0]!.getAttribute("href")).toBe("/workbench/1000");
    expect(links[0]!.target).toBe("_blank");
    expect(links[0]!.rel).toContain("noopener");
    // Business hours: the drawer shows the business-hours first response (20 s, not 45 s).
    expect($(".drill-row").textContent).toContain("20秒");

    // Clicking a row (not the link) opens it in a new tab too.
    ($(".drill-row td:nth-child(2)") as HTMLElement).click();
    expect(window.open).toHaveBeenCalledWith("/workbench/1000", "_blank", "noopener");

    // Page 3 holds the last five.
    const pager = $$("[data-test=drill-pages] .number").find((el) => el.textContent?.trim() === "3");
    pager!.click();
    await settle();
    expect(last("/reports/conversations").query.get("page")).toBe("3");
    expect($$("[data-test=drill-row]")).toHaveLength(5);
  });

  it("drills a card's second line with its own metric, and not from figures that are not conversations", async () => {
    await open();
    await click("[data-test=kpi-first-response] [data-test=kpi-sub]");
    expect(last("/reports/conversations").query.get("metric")).toBe("responded_within_60");
    const before = requests("/reports/conversations").length;
    await click("[data-test=kpi-occupancy]");
    await click("[data-test=kpi-sla]");
    expect(requests("/reports/conversations")).toHaveLength(before);
    expect($("[data-test=kpi-sla]").getAttribute("data-metric")).toBe("");
  });

  it("exports the overview and the drill-down through the API, with the token and the filters", async () => {
    await open(URL_, {
      "GET /reports/overview/export": () => ({ body: "\uFEFF指标,数值\n会话数,40\n", type: "text/csv; charset=utf-8" }),
      "GET /reports/conversations/export": () => ({ status: 422, body: { code: "too_many_rows", detail: "120000 conversations match; an export holds at most 100000: narrow the period or the filters" } }),
    });
    await click("[data-test=overview-export-csv]");
    const exp = last("/reports/overview/export");
    expect(exp.query.get("format")).toBe("csv");
    expect(exp.query.getAll("channel")).toEqual(["web"]);
    expect(exp.headers.Authorization).toBe("Bearer tok-1");
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.name).toBe("概览-2026-11-24_2026-11-30.csv");
    expect(await downloads[0]!.blob.text()).toContain("会话数,40");

    await click("[data-test=kpi-conversations]");
    await click("[data-test=drill-export-xlsx]");
    const drill = last("/reports/conversations/export");
    expect(drill.query.get("metric")).toBe("conversations");
    expect(drill.query.get("format")).toBe("xlsx");
    expect($("[data-test=drill-export-error]").textContent).toContain("an export holds at most 100000");
  });

  it("puts a change of filters into the URL and reloads with it", async () => {
    const w = await open();
    const before = requests("/reports/overview").length;
    w.findComponent({ name: "ReportFilterBar" }).vm.$emit("update:modelValue", {
      from: "2026-11-01", to: "2026-11-30", tz: null, channel: ["wechat", "email"], group_id: [], agent_id: [7], tag: "VIP", business_hours: false,
    });
    await settle();
    expect(router.currentRoute.value.query).toEqual({ from: "2026-11-01", to: "2026-11-30", channel: ["wechat", "email"], agent_id: ["7"], tag: "VIP" });
    expect(requests("/reports/overview")).toHaveLength(before + 1);
    const q = last("/reports/overview").query;
    expect(q.get("from")).toBe("2026-11-01");
    expect(q.getAll("channel")).toEqual(["wechat", "email"]);
    expect(q.getAll("agent_id")).toEqual(["7"]);
    expect(q.get("tag")).toBe("VIP");
    expect(q.has("business_hours")).toBe(false);
    expect(q.has("group_id")).toBe(false);
  });

  it("shows the API's 4xx detail, and an empty period as such", async () => {
    await open(URL_, {
      "GET /reports/overview": () => ({ status: 422, body: { code: "invalid", detail: "the range is 401 days; at most 400" } }),
    });
    expect($("[data-test=report-error]").textContent).toContain("加载失败：the range is 401 days; at most 400");
    expect(document.querySelector("[data-test=kpi-cards]")).toBeNull();

    wrapper?.unmount();
    document.body.innerHTML = "";
    await open(URL_, {
      "GET /reports/overview": () => emptyOverview(),
      "GET /reports/series": () => series([0, 0, 0, 0, 0, 0, 0]),
      "GET /reports/breakdown": (c) => ({ period: overview().period, by: c.query.get("by"), rows: [] }),
    });
    expect($("[data-test=kpi-conversations] [data-test=kpi-value]").textContent?.trim()).toBe("0");
    expect($("[data-test=trend-empty]").textContent).toContain("该时段暂无数据");
    expect($("[data-test=by-channel-empty]").textContent).toContain("该时段暂无数据");
    expect($("[data-test=by-group-empty]").textContent).toContain("该时段暂无数据");
  });

  it("counts range=today in the tenant's report time zone", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-01T16:30:00Z")); // 00:30 on the 2nd in Shanghai, 01:30 in Tokyo
    await open("/reports?range=today", { "GET /tenant/reports/settings": () => ({ timezone: "Asia/Tokyo", business_hours: null }) });
    const q = last("/reports/overview").query;
    expect(q.get("from")).toBe("2026-12-02");
    expect(q.get("to")).toBe("2026-12-02");
    expect($("[data-test=filter-timezone]").textContent).toContain("Asia/Tokyo");
  });
});

describe("the charts", () => {
  it("drill a day of the trend, an hour of it, a channel and a group", async () => {
    const hourly = series([2], { interval: "hour", points: [{ at: "2026-11-27T08:00:00+08:00", hour: "2026-11-27T00:00:00Z", value: 2, metric: "conversations" }] });
    const w = await open(URL_, {
      "GET /reports/series": (c) => (c.query.get("interval") === "hour" ? hourly : series([3, 5, 0, 8, 6, 10, 8])),
    });
    const trend = charts(w, "trend-chart");
    const option = JSON.parse(trend.attributes("data-option") ?? "{}");
    expect(option.series[0].data).toEqual([3, 5, 0, 8, 6, 10, 8]);
    expect(option.xAxis.data[0]).toBe("11-24");
    trend.vm.$emit("click", { dataIndex: 3 });
    await settle();
    let q = last("/reports/conversations").query;
    expect([q.get("from"), q.get("to"), q.get("metric")]).toEqual(["2026-11-27", "2026-11-27", "conversations"]);
    expect(document.body.textContent).toContain("明细会话 · 会话量 · 11-27");

    // By hour: the series is asked again, and a point drills with its UTC hour.
    w.findComponent({ name: "TrendChart" }).vm.$emit("update:interval", "hour");
    await settle();
    expect(last("/reports/series").query.get("interval")).toBe("hour");
    const byHour = charts(w, "trend-chart");
    expect(JSON.parse(byHour.attributes("data-option") ?? "{}").xAxis.data).toEqual(["11-27 08:00"]);
    byHour.vm.$emit("click", { dataIndex: 0 });
    await settle();
    q = last("/reports/conversations").query;
    expect([q.get("hour"), q.get("from"), q.get("to")]).toEqual(["2026-11-27T00:00:00Z", "2026-11-24", "2026-11-30"]);

    // Another metric: asked for, and its export carries it.
    w.findComponent({ name: "TrendChart" }).vm.$emit("update:metric", "wait_p90_s");
    await settle();
    expect(last("/reports/series").query.get("metric")).toBe("wait_p90_s");
    await click("[data-test=trend-export-csv]");
    const exp = last("/reports/series/export");
    expect([exp.query.get("metric"), exp.query.get("interval"), exp.query.get("format")]).toEqual(["wait_p90_s", "hour", "csv"]);

    charts(w, "by-channel-chart").vm.$emit("click", { dataIndex: 1 });
    await settle();
    expect(last("/reports/conversations").query.getAll("channel")).toEqual(["wechat"]);

    const groups = charts(w, "by-group-chart");
    expect(JSON.parse(groups.attributes("data-option") ?? "{}").xAxis.data).toEqual(["售后", "（无分组）"]);
    groups.vm.$emit("click", { dataIndex: 0 });
    await settle();
    expect(last("/reports/conversations").query.getAll("group_id")).toEqual(["4"]);
    // Conversations without a group cannot be filtered for: that bar does not drill.
    const before = requests("/reports/conversations").length;
    groups.vm.$emit("click", { dataIndex: 1 });
    await settle();
    expect(requests("/reports/conversations")).toHaveLength(before);
  });
});

describe("the agents tab", () => {
  it("loads on its tab (kept in the URL), formats time and occupancy, and drills per agent", async () => {
    await open();
    expect(requests("/reports/agents")).toHaveLength(0);
    const tab = $$(".el-tabs__item").find((el) => el.textContent?.includes("客服"));
    tab!.click();
    await settle();
    expect(router.currentRoute.value.query.tab).toBe("agents");
    expect(last("/reports/agents").query.getAll("group_id")).toEqual(["4"]);
    const names = $$("[data-test=agent-name]").map((el) => el.textContent);
    expect(names).toEqual(["小李", "小王", "客服 #9"]); // most conversations first
    const row = $("[data-test=agent-name][data-agent-id='7']").closest("tr") as HTMLElement;
    expect(row.querySelector("[data-test=agent-online]")?.textContent).toBe("2小时0分");
    expect(row.querySelector("[data-test=agent-away]")?.textContent).toBe("30分0秒");
    expect(row.querySelector("[data-test=agent-occupancy]")?.textContent).toContain("50%");
    // No conversations: nothing to drill.
    const idle = $("[data-test=agent-name][data-agent-id='9']").closest("tr") as HTMLElement;
    expect(idle.querySelector("a[data-test=agent-conversations]")).toBeNull();

    (row.querySelector("a[data-test=agent-handling]") as HTMLElement).click();
    await settle();
    const q = last("/reports/conversations").query;
    expect(q.get("metric")).toBe("handled");
    expect(q.getAll("agent_id")).toEqual(["7"]);

    await click("[data-test=agents-export-csv]");
    expect(last("/reports/agents/export").query.get("format")).toBe("csv");
  });
});

describe("the hot words tab", () => {
  it("lists the terms and the rising ones with their change, and drills by term", async () => {
    await open("/reports?from=2026-11-24&to=2026-11-30&tab=hotwords");
    expect(last("/reports/hot-words").query.get("limit")).toBe("20");
    expect($$("[data-test=hot-word]").map((e) => e.textContent)).toEqual(["退款", "发票", "物流"]);
    expect($$("[data-test=rising-change]").map((e) => e.textContent)).toEqual(["+8 (+200%)", "+5 (新)"]);
    expect($("[data-test=hot-words-previous]").textContent).toContain("2026-11-17");
    await click("[data-test=rising-word][data-term='物流']");
    const q = last("/reports/conversations").query;
    expect(q.get("term")).toBe("物流");
    expect(q.get("metric")).toBe("conversations");
    expect(document.body.textContent).toContain("提及“物流”的会话");
    await click("[data-test=hot-words-export-xlsx]");
    const exp = last("/reports/hot-words/export");
    expect([exp.query.get("format"), exp.query.get("limit")]).toEqual(["xlsx", "20"]);
  });

  it("says when the period has no hot words", async () => {
    await open("/reports?tab=hotwords", {
      "GET /reports/hot-words": () => ({ period: overview().period, previous_from: "2026-11-17", previous_to: "2026-11-23", top: [], rising: [] }),
    });
    expect($("[data-test=hot-words-empty]").textContent).toContain("该时段暂无数据");
  });
});
