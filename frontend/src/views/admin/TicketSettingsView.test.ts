// The ticket settings page: supervisors read, admins save categories, custom fields and SLA
// targets in the shape PUT /tenant/tickets takes.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { useSession } from "@/stores/session";
import { mountWithApp } from "@/test/mount";
import { me } from "@/test/session";

import TicketSettingsView from "./TicketSettingsView.vue";

const SETTINGS = {
  categories: ["退款"],
  custom_fields: [{ key: "size", label: "尺码", type: "select", options: ["S", "M"], required: true }],
  sla: { business_hours: true, warning_share: 0.8, targets: { urgent: { first_response_min: 10, resolution_min: 120 } } },
  reopen_window_days: 7,
  left_messages_become_tickets: false,
};

afterEach(() => vi.unstubAllGlobals());

function serve(): { url: string; init?: RequestInit }[] {
  const calls: { url: string; init?: RequestInit }[] = [];
  vi.stubGlobal("fetch", (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const body = init?.method === "PUT" ? JSON.parse(String(init.body)) : SETTINGS;
    return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } }));
  });
  return calls;
}

async function show(role: "admin" | "supervisor") {
  const w = mountWithApp(TicketSettingsView);
  useSession().account = me(role);
  await flushPromises();
  await flushPromises();
  return w;
}

describe("TicketSettingsView", () => {
  it("is read-only for supervisors", async () => {
    serve();
    const w = await show("supervisor");
    expect(w.find("[data-test=ticket-settings-readonly]").exists()).toBe(true);
    expect(w.find("[data-test=ts-save]").exists()).toBe(false);
    expect(w.get("[data-test=ts-categories]").text()).toContain("退款");
  });

  it("saves what an admin set", async () => {
    const calls = serve();
    const w = await show("admin");
    await w.get("[data-test=ts-category-input]").setValue("发票");
    await w.get("[data-test=ts-category-add]").trigger("click");
    await w.get("[data-test=ts-field-add]").trigger("click");
    const keys = w.findAll("[data-test=ts-field-key]");
    await keys[keys.length - 1]!.setValue("order_no");
    const labels = w.findAll("[data-test=ts-field-label]");
    await labels[labels.length - 1]!.setValue("订单号");
    await w.get("form").trigger("submit");
    await flushPromises();
    const put = calls.find((c) => c.init?.method === "PUT");
    expect(put).toBeDefined();
    const body = JSON.parse(String(put!.init!.body));
    expect(body.categories).toEqual(["退款", "发票"]);
    expect(body.custom_fields).toEqual([
      { key: "size", label: "尺码", type: "select", required: true, options: ["S", "M"] },
      { key: "order_no", label: "订单号", type: "text", required: false },
    ]);
    expect(body.sla).toEqual({ business_hours: true, warning_share: 0.8, targets: { urgent: { first_response_min: 10, resolution_min: 120 } } });
    expect(w.find("[data-test=ts-saved]").exists()).toBe(true);
  });
});
