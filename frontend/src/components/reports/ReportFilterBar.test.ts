// The filter bar: the date shortcuts give their days counted from the report zone's today,
// days after today cannot be picked, and every change goes up as a whole set of filters.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";

import type { ReportFilters } from "@/api/reports";

import ReportFilterBar from "./ReportFilterBar.vue";
import { $, $$, fakeServer, reportRoutes, testI18n } from "./test-helpers";

const F: ReportFilters = { from: "2026-02-23", to: "2026-03-01", tz: null, channel: ["web"], group_id: [], agent_id: [], tag: null, business_hours: false };

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

async function bar(): Promise<VueWrapper> {
  fakeServer(reportRoutes());
  setActivePinia(createPinia());
  wrapper = mount(ReportFilterBar, { attachTo: document.body, props: { modelValue: F, today: "2026-03-01", timezone: "Asia/Shanghai" }, global: { plugins: [ElementPlus, testI18n()] } });
  await flushPromises();
  return wrapper;
}

const emitted = (w: VueWrapper) => (w.emitted("update:modelValue") ?? []).map((e) => e[0] as ReportFilters);

describe("the filter bar", () => {
  it("offers the six shortcuts, each giving its days from the report zone's today", async () => {
    const w = await bar();
    (w.find(".el-range-input").element as HTMLInputElement).dispatchEvent(new Event("focus"));
    await w.find(".el-range-editor").trigger("click");
    await nextTick();
    await flushPromises();
    const shortcuts = $$(".el-picker-panel__shortcut");
    expect(shortcuts.map((s) => s.textContent?.trim())).toEqual(["今天", "昨天", "近7天", "近30天", "本月", "上月"]);
    shortcuts[5]!.click();
    await flushPromises();
    const last = emitted(w).pop();
    expect(last).toEqual({ ...F, from: "2026-02-01", to: "2026-02-28" });
    // A day after today cannot be picked.
    const future = $$(".el-date-table td.disabled");
    expect(future.length).toBeGreaterThan(0);
  });

  it("sends every change as a whole set of filters, and resets to the last 7 days", async () => {
    const w = await bar();
    $("[data-test=filter-business-hours]").click();
    await nextTick();
    expect(emitted(w).pop()).toEqual({ ...F, business_hours: true });
    $("[data-test=filter-reset]").click();
    await nextTick();
    expect(emitted(w).pop()).toEqual({ from: "2026-02-23", to: "2026-03-01", tz: null, channel: [], group_id: [], agent_id: [], tag: null, business_hours: false });
    expect($("[data-test=filter-timezone]").textContent).toBe("时区 Asia/Shanghai");
  });
});
