// The webhooks page against a fake server: lists endpoints, refuses a plain-http URL before
// sending, shows the secret of a new endpoint once, lists deliveries with their outcome.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import WebhooksView from "./WebhooksView.vue";

const NOW = "2026-12-01T10:00:00Z";
const endpoint = { id: 4, url: "https://shop.example/hook", events: ["message.created"], description: "ERP", active: true, created_at: NOW, updated_at: NOW };
let posted: unknown[] = [];

beforeEach(() => {
  posted = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const path = new URL(input, "http://localhost").pathname.replace("/api/v1", "");
      const key = `${init?.method ?? "GET"} ${path}`;
      const reply = (body: unknown, status = 200) =>
        new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
      if (key === "GET /tenant/webhooks") return reply([endpoint]);
      if (key === "POST /tenant/webhooks") {
        posted.push(JSON.parse(String(init?.body)));
        return reply({ ...endpoint, id: 5, url: "https://crm.example/in", secret: "whsec_once" }, 201);
      }
      if (key === "GET /tenant/webhooks/4/deliveries") {
        return reply([
          { id: 90, event: "message.created", status: "done", attempts: 1, response_status: 200, error: null, duration_ms: 12, created_at: NOW, next_attempt_at: null, done_at: NOW },
          { id: 91, event: "ping", status: "pending", attempts: 2, response_status: 503, error: "HTTP 503", duration_ms: 40, created_at: NOW, next_attempt_at: NOW, done_at: null },
        ]);
      }
      return reply({ code: "not_found", detail: key }, 404);
    }),
  );
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  vi.unstubAllGlobals();
});

async function show(): Promise<VueWrapper> {
  setActivePinia(createPinia());
  useSession().account = me("admin", { email: "a@x", name: "A" });
  wrapper = mount(WebhooksView, { attachTo: document.body, global: { plugins: [ElementPlus, testI18n()] } });
  await flushPromises();
  return wrapper;
}

describe("WebhooksView", () => {
  it("lists the endpoints with their events", async () => {
    const w = await show();
    expect(w.find("[data-test=webhooks-table]").text()).toContain("https://shop.example/hook");
    expect(w.find("[data-test=webhooks-table]").text()).toContain("message.created");
  });

  it("refuses a plain-http URL before sending and keeps what was typed", async () => {
    const w = await show();
    await w.find("[data-test=webhook-new]").trigger("click");
    await flushPromises();
    const url = document.querySelector<HTMLInputElement>("[data-test=webhook-url]")!;
    url.value = "http://shop.example/hook";
    url.dispatchEvent(new Event("input"));
    await flushPromises();
    document.querySelector<HTMLButtonElement>("[data-test=webhook-save]")!.click();
    await flushPromises();
    expect(document.querySelector("[data-test=webhook-error]")?.textContent).toContain("https");
    expect(posted).toEqual([]);
    expect(url.value).toBe("http://shop.example/hook");
  });

  it("shows a new endpoint's secret once", async () => {
    const w = await show();
    await w.find("[data-test=webhook-new]").trigger("click");
    await flushPromises();
    const url = document.querySelector<HTMLInputElement>("[data-test=webhook-url]")!;
    url.value = "https://crm.example/in";
    url.dispatchEvent(new Event("input"));
    document.querySelector<HTMLButtonElement>("[data-test=webhook-save]")!.click();
    await flushPromises();
    expect(posted).toEqual([{ url: "https://crm.example/in", events: ["message.created"], description: null, active: true }]);
    const shown = w.find("[data-test=webhook-secret] [data-test=copy-value]").element as HTMLInputElement;
    expect(shown.value).toBe("whsec_once");
  });

  it("lists deliveries with the receiver's answer and the next attempt", async () => {
    const w = await show();
    await w.find("[data-test=webhook-deliveries]").trigger("click");
    await flushPromises();
    const table = w.find("[data-test=deliveries-table]").text();
    expect(table).toContain("HTTP 200");
    expect(table).toContain("HTTP 503");
    expect(table).toContain("delivered");
    expect(table).toContain("next attempt");
  });
});
