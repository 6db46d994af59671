// The report settings page against a fake server: an admin sets the time zone and business
// hours and the PUT carries them (none: null, calendar time); a bad zone is refused before
// sending; the server's 422 is shown; supervisors read only.
import { flushPromises, type VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";

import { $, fakeServer, showAt, type Call } from "@/components/reports/test-helpers";
import { useReports } from "@/stores/reports";

import ReportSettingsView from "./ReportSettingsView.vue";

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

const HOURS = { timezone: "Asia/Shanghai", weekly: { mon: [{ start: "09:00", end: "18:00" }] }, holidays: ["2026-10-01"] };

async function show(role: "admin" | "supervisor", stored: unknown, put?: (c: Call) => unknown): Promise<Call[]> {
  const calls = fakeServer({
    "GET /tenant/reports/settings": () => stored,
    "PUT /tenant/reports/settings": (c) => (put ? put(c) : c.body),
  });
  ({ wrapper } = await showAt(ReportSettingsView, "/admin/reports", role));
  await flushPromises();
  await nextTick();
  return calls;
}

async function save(): Promise<void> {
  $("[data-test=rs-save]").click();
  await flushPromises();
  await nextTick();
}

describe("report settings", () => {
  it("shows the stored zone and hours and saves them back as the server takes them", async () => {
    const calls = await show("admin", { timezone: "Asia/Tokyo", business_hours: HOURS });
    expect($("[data-test=rs-timezone]").textContent).toContain("Asia/Tokyo");
    expect(document.querySelector("[data-test=hours-editor]")).not.toBeNull();
    await save();
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({ timezone: "Asia/Tokyo", business_hours: { timezone: "Asia/Shanghai", weekly: { mon: [{ start: "09:00", end: "18:00" }] }, holidays: ["2026-10-01"] } });
    expect($("[data-test=rs-saved]").textContent).toBe("已保存");
    expect(useReports().timezone).toBe("Asia/Tokyo");
  });

  it("sends no business hours when they are off (calendar time)", async () => {
    const calls = await show("admin", { timezone: "Asia/Shanghai", business_hours: HOURS });
    $("[data-test=rs-hours-on]").click();
    await nextTick();
    expect(document.querySelector("[data-test=hours-editor]")).toBeNull();
    await save();
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ timezone: "Asia/Shanghai", business_hours: null });
  });

  it("refuses an unknown zone before sending, and shows the server's 422", async () => {
    const calls = await show("admin", { timezone: "Mars/Olympus", business_hours: null }, () => ({
      status: 422,
      body: { code: "invalid", detail: "body.timezone: Value error, unknown time zone" },
    }));
    await save();
    expect($("[data-test=rs-error]").textContent).toContain("Mars/Olympus");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);

    wrapper?.unmount();
    document.body.innerHTML = "";
    const again = await show("admin", { timezone: "UTC", business_hours: null }, () => ({
      status: 422,
      body: { code: "invalid", detail: "body.business_hours: too many holidays" },
    }));
    await save();
    expect(again.some((c) => c.method === "PUT")).toBe(true);
    expect($("[data-test=rs-error]").textContent).toContain("too many holidays");
  });

  it("is read-only for supervisors", async () => {
    await show("supervisor", { timezone: "Asia/Shanghai", business_hours: null });
    expect(document.querySelector("[data-test=report-settings-readonly]")).not.toBeNull();
    expect(document.querySelector("[data-test=rs-save]")).toBeNull();
    expect(($("[data-test=rs-timezone] input") as HTMLInputElement).disabled).toBe(true);
  });
});
