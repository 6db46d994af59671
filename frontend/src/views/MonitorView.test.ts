// The live monitor links into the reports: today's report, and today's report of a group.
import { flushPromises, type VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";

import { $, fakeServer, reportRoutes, showAt } from "@/components/reports/test-helpers";

import MonitorView from "./MonitorView.vue";

vi.mock("vue-echarts", async () => ({ default: (await import("@/components/reports/test-helpers")).ChartStub }));

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

describe("the live monitor", () => {
  it("links to today's report, for all groups and for each", async () => {
    fakeServer(reportRoutes({ "GET /groups/4/queue": () => ({ group_id: 4, waiting: 2, longest_wait_s: 30, agents: [] }) }));
    let router;
    ({ wrapper, router } = await showAt(MonitorView, "/monitor"));
    await flushPromises();
    await nextTick();
    expect($("[data-test=monitor-report-link]").getAttribute("href")).toBe("/reports?range=today");
    expect($("[data-test=monitor-report-link]").textContent).toContain("查看今日报表");
    const group = $("[data-test=monitor-group-report][data-group-id='4']");
    expect(group.getAttribute("href")).toBe("/reports?range=today&group_id=4");
    group.click();
    await flushPromises();
    expect(router.currentRoute.value.fullPath).toBe("/reports?range=today&group_id=4");
  });
});
