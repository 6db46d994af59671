// What the agents page sends for roles and centres: a built-in role as `role`, the merchant's
// own as `role_id`, a centre as `centre_id` (explicit null takes the account out of it), and
// nothing about a role left as it was; roles the caller could not grant are not offered; the
// table names each account's role and centre and filters by centre.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Me } from "@/api/types";
import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import AgentsView from "./AgentsView.vue";

const NOW = "2026-12-01T10:00:00Z";
const account = (id: number, name: string, extra: Record<string, unknown> = {}) => ({
  id, tenant_id: 1, email: `${name.toLowerCase()}@x.test`, name, role: "agent", role_id: null, centre_id: null, status: "online", active: true,
  capacity: null, created_at: NOW, load: 0, effective_capacity: 20, group_ids: [], ...extra,
});
const role = (id: number, name: string, base: string, permissions: string[], builtin = true) => ({
  id, name, base, builtin, permissions, scope: base === "agent" ? "groups" : "tenant", accounts: 1, created_at: NOW,
});
const ROUTES: Record<string, unknown> = {
  "GET /accounts": [account(1, "Ada", { role: "admin" }), account(2, "Bo", { centre_id: 2 }), account(3, "Cy", { role_id: 7 })],
  "GET /groups": [],
  "GET /tenant": { id: 1, name: "Demo", slug: "demo", widget_key: "wk", default_capacity: 20, identity_secret: null, created_at: NOW },
  "GET /roles": [
    role(1, "客服", "agent", []),
    role(2, "主管", "supervisor", ["conversations.monitor", "reports.view", "kb.edit"]),
    role(3, "管理员", "admin", []),
    role(7, "组长", "agent", ["reports.view", "conversations.monitor"], false),
  ],
  "GET /centres": [
    { id: 2, name: "成都中心", group_ids: [], account_ids: [2], created_at: NOW },
    { id: 4, name: "杭州中心", group_ids: [], account_ids: [], created_at: NOW },
  ],
};
let sent: { key: string; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const key = `${init?.method ?? "GET"} ${new URL(input, "http://localhost").pathname.replace("/api/v1", "")}`;
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push({ key, body });
      const reply = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { "Content-Type": "application/json" } });
      if (key === "POST /accounts") return reply({ ...account(9, "Di"), ...(body as object) }, 201);
      if (key.startsWith("PATCH /accounts/")) return reply(account(2, "Bo"));
      if (key in ROUTES) return reply(ROUTES[key]);
      return reply({ code: "not_found", detail: key }, 404);
    }),
  );
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

async function show(account: Me = me("admin")): Promise<VueWrapper> {
  setActivePinia(createPinia());
  useSession().account = account;
  wrapper = mount(AgentsView, { attachTo: document.body, global: { plugins: [ElementPlus, testI18n()] } });
  await flushPromises();
  return wrapper;
}

async function type(selector: string, value: string): Promise<void> {
  const input = document.querySelector<HTMLInputElement>(selector)!;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

async function click(selector: string): Promise<void> {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`nothing matches ${selector}`);
  el.click();
  await flushPromises();
}

async function invite(w: VueWrapper, roleId: number, centreId?: number): Promise<unknown> {
  await w.find("[data-test=agents-invite]").trigger("click");
  await flushPromises();
  await type("[data-test=invite-name]", "Di");
  await type("[data-test=invite-email]", "di@x.test");
  await click(`[data-test=invite-role-${roleId}]`);
  if (centreId) await click(`[data-test=invite-centre-${centreId}]`);
  await click("[data-test=invite-submit]");
  return sent.find((s) => s.key === "POST /accounts")?.body;
}

describe("AgentsView roles and centres", () => {
  it("names each account's role and centre", async () => {
    const w = await show();
    expect(w.findAll("[data-test=agent-role-name]").map((n) => n.text())).toEqual(["管理员", "客服", "组长"]);
    expect(w.findAll("[data-test=agent-centre]").map((n) => n.text())).toEqual(["成都中心"]);
  });

  it("invites with the merchant's own role as role_id, and the centre", async () => {
    const w = await show();
    const body = (await invite(w, 7, 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Di", email: "di@x.test", role_id: 7, centre_id: 4 });
    expect(body).not.toHaveProperty("role");
    expect(String(body.password).length).toBeGreaterThanOrEqual(8);
  });

  it("invites with a built-in role as role, no centre", async () => {
    const w = await show();
    const body = (await invite(w, 2)) as Record<string, unknown>;
    expect(body).toMatchObject({ role: "supervisor" });
    expect(body).not.toHaveProperty("role_id");
    expect(body).not.toHaveProperty("centre_id");
  });

  it("patches a changed role and a cleared centre, and nothing for an unchanged role", async () => {
    const w = await show();
    await w.findAll("[data-test=agent-edit]")[1]!.trigger("click");
    await flushPromises();
    await click("[data-test=agent-role-7]");
    await click("[data-test=agent-centre-4]");
    await click("[data-test=agent-save]");
    expect(sent.find((s) => s.key === "PATCH /accounts/2")?.body).toEqual({ role_id: 7, centre_id: 4 });

    // Clearing the centre sends an explicit null.
    sent = [];
    await w.findAll("[data-test=agent-edit]")[1]!.trigger("click");
    await flushPromises();
    const select = document.querySelector<HTMLElement>("[data-test=agent-centre-select]")!;
    select.dispatchEvent(new MouseEvent("mouseenter"));
    await flushPromises();
    await click("[data-test=agent-centre-select] .el-select__clear");
    await click("[data-test=agent-save]");
    expect(sent.find((s) => s.key === "PATCH /accounts/2")?.body).toEqual({ centre_id: null });

    sent = [];
    await w.findAll("[data-test=agent-edit]")[2]!.trigger("click");
    await flushPromises();
    await type("[data-test=agent-name-input]", "Cy Two");
    await click("[data-test=agent-save]");
    expect(sent.find((s) => s.key === "PATCH /accounts/3")?.body).toEqual({ name: "Cy Two" });
  });

  it("offers only roles the caller could grant", async () => {
    const w = await show(me("agent", { permissions: ["agents.manage", "reports.view", "conversations.monitor"], scope_group_ids: [1] }));
    await w.find("[data-test=agents-invite]").trigger("click");
    await flushPromises();
    const disabled = (id: number) => document.querySelector(`[data-test=invite-role-${id}]`)?.classList.contains("is-disabled");
    expect(disabled(1)).toBe(false);
    expect(disabled(7)).toBe(false);
    expect(disabled(2)).toBe(true); // more rights, and merchant-wide
    expect(disabled(3)).toBe(true); // only an admin makes an admin
    // Moving someone into a centre would move a scope: only a merchant-wide manager does.
    expect(document.querySelector("[data-test=invite-centre] .el-select__wrapper")?.classList.contains("is-disabled")).toBe(true);
  });

  it("filters the table by centre", async () => {
    const w = await show();
    const option = (label: string) =>
      [...document.querySelectorAll<HTMLElement>(".el-select-dropdown__item")].find((o) => o.textContent?.trim() === label)!;
    option("成都中心").click();
    await flushPromises();
    expect(w.findAll("[data-test=agent-name]").map((n) => n.text())).toEqual(["Bo"]);
    option("No centre").click();
    await flushPromises();
    expect(w.findAll("[data-test=agent-name]").map((n) => n.text())).toEqual(["Ada", "Cy"]);
  });
});
