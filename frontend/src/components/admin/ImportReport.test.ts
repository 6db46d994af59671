import { flushPromises, type VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";

import ImportReport from "./ImportReport.vue";
import { mountAdmin } from "./test-helpers";

describe("ImportReport", () => {
  let wrapper: VueWrapper | undefined;
  afterEach(() => wrapper?.unmount());

  it("shows the counts and the failed rows in file order", async () => {
    wrapper = mountAdmin(ImportReport, {
      props: {
        report: {
          created: 12,
          updated: 3,
          failed: 2,
          errors: [
            { row: 9, field: "answer", reason: "answer or answer_json is required" },
            { row: 4, field: "valid_until", reason: "not an ISO 8601 date" },
          ],
        },
      },
    });
    const w = wrapper;
    await flushPromises(); // the table lays its columns out after mounting
    expect(w.find("[data-test=import-report]").attributes("data-kind")).toBe("warning");
    expect(w.find("[data-test=import-created]").text()).toBe("12");
    expect(w.find("[data-test=import-updated]").text()).toBe("3");
    expect(w.find("[data-test=import-failed]").text()).toBe("2");
    expect(w.find("[data-test=import-summary]").text()).toContain("some rows failed");
    const headers = w.findAll("[data-test=import-errors] thead th").map((h) => h.text());
    expect(headers).toEqual(["Row", "Column", "Reason"]);
    const rows = w.findAll("[data-test=import-errors] tbody tr").map((r) => r.findAll("td").map((c) => c.text()));
    expect(rows).toEqual([
      ["4", "valid_until", "not an ISO 8601 date"],
      ["9", "answer", "answer or answer_json is required"],
    ]);
  });

  it("says all went well and shows no table when nothing failed", () => {
    wrapper = mountAdmin(ImportReport, { props: { report: { created: 5, updated: 0, failed: 0, errors: [] } } });
    expect(wrapper.find("[data-test=import-report]").attributes("data-kind")).toBe("success");
    expect(wrapper.find("[data-test=import-summary]").text()).toContain("Imported");
    expect(wrapper.find("[data-test=import-errors]").exists()).toBe(false);
  });

  it("says nothing landed when every row failed", () => {
    wrapper = mountAdmin(ImportReport, {
      props: { report: { created: 0, updated: 0, failed: 1, errors: [{ row: 2, field: "question", reason: "required" }] } },
    });
    expect(wrapper.find("[data-test=import-report]").attributes("data-kind")).toBe("error");
    expect(wrapper.find("[data-test=import-summary]").text()).toContain("Nothing was imported");
    expect(wrapper.findAll("[data-test=import-errors] tbody tr")).toHaveLength(1);
  });
});
