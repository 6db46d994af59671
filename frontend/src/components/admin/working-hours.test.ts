import type { VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { nextTick, ref } from "vue";

import { fromHours, hhmm, neverOpen, nextSpan, officeHours, toCreate, toHours, toPatch, validateHours, type HoursDraft } from "./working-hours";
import WorkingHoursEditor from "./WorkingHoursEditor.vue";
import { mountAdmin } from "./test-helpers";

describe("working hours", () => {
  it("reads the server's hours (times with seconds) and writes HH:MM, closed days left out", () => {
    const draft = fromHours({
      timezone: "Europe/Berlin",
      weekly: { mon: [{ start: "09:00:00", end: "12:00:00" }, { start: "13:00:00", end: "18:00:00" }], sat: [{ start: "10:00:00", end: "14:00:00" }] },
      holidays: ["2026-12-25", "2026-10-01"],
    });
    expect(draft.alwaysOpen).toBe(false);
    expect(draft.weekly.tue).toEqual([]);
    expect(draft.holidays).toEqual(["2026-10-01", "2026-12-25"]);
    expect(toHours(draft)).toEqual({
      timezone: "Europe/Berlin",
      weekly: { mon: [{ start: "09:00", end: "12:00" }, { start: "13:00", end: "18:00" }], sat: [{ start: "10:00", end: "14:00" }] },
      holidays: ["2026-10-01", "2026-12-25"],
    });
  });

  it("is always open without hours, and says so to the server", () => {
    const draft = fromHours(null);
    expect(draft.alwaysOpen).toBe(true);
    expect(toPatch(draft)).toEqual({ always_open: true });
    expect(toCreate(draft)).toBeNull();
    draft.alwaysOpen = false;
    expect(toPatch(draft)).toEqual({ working_hours: toHours(draft) });
    expect(Object.keys(toHours(draft).weekly)).toEqual(["mon", "tue", "wed", "thu", "fri"]);
  });

  it("sorts a day's spans and drops repeated holidays", () => {
    const draft = officeHours("UTC");
    draft.weekly.mon = [{ start: "14:00", end: "18:00" }, { start: "9:00", end: "12:00" }];
    draft.holidays = ["2026-05-01", "2026-01-01", "2026-05-01"];
    const out = toHours(draft);
    expect(out.weekly.mon).toEqual([{ start: "09:00", end: "12:00" }, { start: "14:00", end: "18:00" }]);
    expect(out.holidays).toEqual(["2026-01-01", "2026-05-01"]);
  });

  it("finds what the server would refuse", () => {
    const draft = officeHours("Mars/Olympus");
    draft.weekly.mon = [{ start: "09:00", end: "12:00" }, { start: "11:00", end: "13:00" }];
    draft.weekly.tue = [{ start: "18:00", end: "09:00" }];
    draft.weekly.wed = [{ start: "25:00", end: "26:00" }];
    draft.holidays = ["2026-13-45x", "2026-01-01", "2026-01-01"];
    const found = validateHours(draft).map((p) => [p.key, p.day ?? p.value ?? "", p.index ?? ""].join(":"));
    expect(found).toEqual([
      "timezone:Mars/Olympus:",
      "overlap:mon:1",
      "order:tue:0",
      "format:wed:0",
      "holiday:2026-13-45x:",
      "holidayTwice:2026-01-01:",
    ]);
    expect(validateHours({ ...draft, alwaysOpen: true })).toEqual([]);
    expect(validateHours(officeHours())).toEqual([]);
  });

  it("warns when no day is open, and offers the next span after the last", () => {
    const draft = officeHours();
    for (const d of ["mon", "tue", "wed", "thu", "fri"] as const) draft.weekly[d] = [];
    expect(neverOpen(draft)).toBe(true);
    expect(nextSpan([])).toEqual({ start: "09:00", end: "18:00" });
    expect(nextSpan([{ start: "09:00", end: "12:00" }])).toEqual({ start: "12:00", end: "14:00" });
    expect(nextSpan([{ start: "09:00", end: "22:30" }])).toEqual({ start: "22:30", end: "23:59" });
    expect(hhmm("7:05:00")).toBe("07:05");
  });
});

describe("WorkingHoursEditor", () => {
  let wrapper: VueWrapper | undefined;
  afterEach(() => wrapper?.unmount());

  function mountEditor(draft: HoursDraft) {
    const model = ref(draft);
    wrapper = mountAdmin(WorkingHoursEditor, { props: { modelValue: model.value } });
    return { model, w: wrapper };
  }

  it("adds and removes spans, copies a day to the weekdays", async () => {
    const { model, w } = mountEditor(officeHours());
    const sat = w.find("[data-test=hours-day-sat]");
    expect(sat.text()).toContain("Closed");
    await sat.find("[data-test=hours-add-span]").trigger("click");
    expect(model.value.weekly.sat).toEqual([{ start: "09:00", end: "18:00" }]);
    await w.find("[data-test=hours-day-mon] [data-test=hours-add-span]").trigger("click");
    expect(model.value.weekly.mon).toEqual([{ start: "09:00", end: "18:00" }, { start: "18:00", end: "20:00" }]);
    await w.find("[data-test=hours-day-mon] [data-test=hours-copy]").trigger("click");
    expect(model.value.weekly.fri).toEqual(model.value.weekly.mon);
    expect(model.value.weekly.fri).not.toBe(model.value.weekly.mon);
    await w.findAll("[data-test=hours-day-mon] [data-test=hours-remove-span]")[0]!.trigger("click");
    expect(model.value.weekly.mon).toEqual([{ start: "18:00", end: "20:00" }]);
    expect(toHours(model.value).weekly.sat).toEqual([{ start: "09:00", end: "18:00" }]);
  });

  it("shows a span's problem next to it", async () => {
    const draft = officeHours();
    draft.weekly.tue = [{ start: "10:00", end: "09:00" }];
    const { w } = mountEditor(draft);
    expect(w.find("[data-test=hours-span-tue-0] [data-test=hours-span-problem]").text()).toBe("The end must be after the start");
    expect(w.findAll("[data-test=hours-span-problem]")).toHaveLength(1);
  });

  it("hides the schedule when always open", async () => {
    const { model, w } = mountEditor(officeHours());
    expect(w.find("[data-test=hours-day-mon]").exists()).toBe(true);
    await w.find("[data-test=hours-always-open]").trigger("click");
    await nextTick();
    expect(model.value.alwaysOpen).toBe(true);
    expect(w.find("[data-test=hours-day-mon]").exists()).toBe(false);
    expect(toPatch(model.value)).toEqual({ always_open: true });
  });

  it("lists holidays and removes one", async () => {
    const draft = officeHours();
    draft.holidays = ["2026-10-01", "2026-10-02"];
    const { model, w } = mountEditor(draft);
    const tags = w.findAll("[data-test=hours-holiday]");
    expect(tags.map((t) => t.text())).toEqual(["2026-10-01", "2026-10-02"]);
    await tags[0]!.find(".el-tag__close").trigger("click");
    expect(model.value.holidays).toEqual(["2026-10-02"]);
  });
});
