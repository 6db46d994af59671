// The ticket components: the SLA badge's colours, the view's moves from its status, a 409's
// message shown, custom fields checked and the server's 422 shown under the field it names,
// public and internal comments told apart, hostile text inert.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ticket } from "@/test/tickets";
import { useSession } from "@/stores/session";
import { mountWithApp } from "@/test/mount";
import { me } from "@/test/session";

import SlaBadge from "./SlaBadge.vue";
import TicketDetail from "./TicketDetail.vue";

const NOW = Date.parse("2026-12-01T12:00:00Z");

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => vi.unstubAllGlobals());

const SETTINGS = {
  categories: ["退款"],
  custom_fields: [{ key: "order_no", label: "订单号", type: "text", required: true }],
  reopen_window_days: 7,
  left_messages_become_tickets: false,
};

function server(over: (url: string, init?: RequestInit) => Response | null = () => null) {
  const calls: { url: string; init?: RequestInit }[] = [];
  vi.stubGlobal("fetch", (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const o = over(url, init);
    if (o) return Promise.resolve(o);
    if (url.endsWith("/tenant/tickets")) return Promise.resolve(reply(200, SETTINGS));
    if (url.includes("/comments")) return Promise.resolve(reply(200, [
      { id: 1, ticket_id: 1, author_type: "agent", author_id: 5, public: true, text: "<img src=x onerror=alert(1)>", attachments: [], delivery: "conversation", conversation_id: 3, message_id: 8, created_at: "2026-12-01T11:00:00Z" },
      { id: 2, ticket_id: 1, author_type: "agent", author_id: 5, public: false, text: "内部", attachments: [], delivery: null, conversation_id: null, message_id: null, created_at: "2026-12-01T11:01:00Z" },
    ]));
    if (url.includes("/history")) return Promise.resolve(reply(200, [{ id: 1, kind: "created", field: null, old: null, new: null, actor_type: "agent", actor_id: 5, created_at: "2026-12-01T10:00:00Z" }]));
    if (url.includes("/transcript")) return Promise.resolve(reply(200, { conversation_id: 3, created_at: "", messages: [] }));
    if (url.endsWith("/tickets/1")) return Promise.resolve(reply(200, ticket({ custom_fields: { order_no: "A1" } })));
    return Promise.resolve(reply(200, []));
  });
  return calls;
}

describe("SlaBadge", () => {
  it("is amber near the due time and red past it", () => {
    const warn = mountWithApp(SlaBadge, { props: { clock: { due_at: "2026-12-01T12:30:00Z", state: "running" }, label: "FR", now: NOW } });
    expect(warn.get("[data-test=sla]").attributes("data-tone")).toBe("warn");
    expect(warn.get("[data-test=sla]").classes()).toContain("tone-warn");
    const late = mountWithApp(SlaBadge, { props: { clock: { due_at: "2026-12-01T11:00:00Z", state: "breached" }, label: "FR", now: NOW } });
    expect(late.get("[data-test=sla]").classes()).toContain("tone-late");
  });
});

describe("TicketDetail", () => {
  async function mounted() {
    const w = mountWithApp(TicketDetail, { props: { ticketId: 1 }, global: { stubs: { RouterLink: true } } });
    useSession().account = me("agent", { id: 5 });
    await flushPromises();
    await flushPromises();
    return w;
  }

  it("offers the allowed moves and tells public comments from internal ones, inertly", async () => {
    server();
    const w = await mounted();
    expect(w.get("[data-test=ticket-number]").text()).toBe("#12");
    expect(w.find("[data-test=move-pending]").exists()).toBe(true);
    expect(w.find("[data-test=move-solved]").exists()).toBe(true);
    expect(w.find("[data-test=move-closed]").exists()).toBe(false);
    const comments = w.findAll("[data-test=ticket-comment]");
    expect(comments.map((c) => c.attributes("data-public"))).toEqual(["true", "false"]);
    expect(comments[0]!.classes()).toContain("public");
    expect(comments[1]!.classes()).toContain("internal");
    expect(comments[0]!.find("img").exists()).toBe(false);
    expect(comments[0]!.text()).toContain("<img src=x onerror=alert(1)>");
  });

  it("shows the server's invalid_transition message", async () => {
    server((url, init) =>
      init?.method === "PATCH" ? reply(409, { code: "invalid_transition", detail: "open → closed is not allowed; allowed: pending, solved" }) : null,
    );
    const w = await mounted();
    await w.get("[data-test=move-solved]").trigger("click");
    await flushPromises();
    expect(w.get("[data-test=ticket-error]").text()).toContain("allowed: pending, solved");
  });

  it("checks custom fields and shows the server's 422 under the field it names", async () => {
    const calls = server((url, init) =>
      init?.method === "PATCH" ? reply(422, { code: "invalid", detail: "订单号: too long", field: "custom_fields.order_no" }) : null,
    );
    const w = await mounted();
    const input = w.get("[data-test=cf-order_no]");
    await input.setValue("");
    await w.get("form").trigger("submit");
    await flushPromises();
    expect(w.get("[data-test=cf-error-order_no]").text()).toBe("请填写“订单号”");
    expect(calls.some((c) => c.init?.method === "PATCH")).toBe(false);
    await input.setValue("X".repeat(300));
    await w.get("form").trigger("submit");
    await flushPromises();
    expect(calls.some((c) => c.init?.method === "PATCH")).toBe(true);
    expect(w.get("[data-test=cf-error-order_no]").text()).toBe("订单号: too long");
  });
});
