// The roles page against a fake server: the roles with their seat, scope, permissions and
// holders; a new role goes out as the server takes it; the admin role is shown read-only and
// a built-in name stays; rights the caller lacks cannot be ticked; the server's refusals
// (a taken name, a role still held) are spelt out.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Me, Permission } from "@/api/types";
import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import RolesView from "./RolesView.vue";

const NOW = "2026-12-01T10:00:00Z";
const ROLES = [
  { id: 1, name: "客服", base: "agent", builtin: true, permissions: [], scope: "groups", accounts: 5, created_at: NOW },
  { id: 2, name: "主管", base: "supervisor", builtin: true, permissions: ["conversations.monitor", "reports.view"], scope: "tenant", accounts: 1, created_at: NOW },
  { id: 3, name: "管理员", base: "admin", builtin: true, permissions: ["agents.manage", "org.manage"], scope: "tenant", accounts: 1, created_at: NOW },
  { id: 7, name: "组长", base: "agent", builtin: false, permissions: ["reports.view"], scope: "groups", accounts: 2, created_at: NOW },
];
type Reply = { status: number; body?: unknown };
let answers: Record<string, (body: unknown) => Reply> = {};
let sent: { key: string; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  answers = {
    "GET /roles": () => ({ status: 200, body: ROLES }),
    "POST /roles": (b) => ({ status: 201, body: { ...(b as object), id: 9, builtin: false, accounts: 0, created_at: NOW } }),
    "PATCH /roles/7": (b) => ({ status: 200, body: { ...ROLES[3], ...(b as object) } }),
    "DELETE /roles/7": () => ({ status: 409, body: { code: "role_in_use", detail: "2 account(s) hold this role; give them another role first" } }),
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const key = `${init?.method ?? "GET"} ${new URL(input, "http://localhost").pathname.replace("/api/v1", "")}`;
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push({ key, body });
      const out = answers[key]?.(body) ?? { status: 404, body: { code: "not_found", detail: key } };
      return new Response(out.status === 204 ? null : JSON.stringify(out.body), { status: out.status, headers: { "Content-Type": "application/json" } });
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
  wrapper = mount(RolesView, { attachTo: document.body, global: { plugins: [ElementPlus, testI18n()] } });
  await flushPromises();
  return wrapper;
}

const dialog = () => document.querySelector<HTMLElement>("[data-test=role-dialog]")!;
const checkbox = (p: Permission) => dialog().querySelector<HTMLInputElement>(`[data-test="role-perm-${p}"] input`)!;

async function type(selector: string, value: string): Promise<void> {
  const input = document.querySelector<HTMLInputElement>(selector)!;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

async function click(selector: string): Promise<void> {
  document.querySelector<HTMLElement>(selector)!.click();
  await flushPromises();
}

describe("RolesView", () => {
  it("lists the roles with their seat, scope, permissions and holders", async () => {
    const w = await show();
    expect(w.findAll("[data-test=role-name]").map((n) => n.text())).toEqual(["客服", "主管", "管理员", "组长"]);
    const perms = w.findAll("[data-test=role-permissions]").map((n) => n.text());
    expect(perms[0]).toBe("No extra rights");
    expect(perms[1]).toContain("Monitor conversations");
    expect(perms[1]).toContain("View reports");
    expect(perms[2]).toBe("Every permission");
    expect(w.findAll("[data-test=role-scope]").map((n) => n.text())).toEqual(["Own groups", "Whole merchant", "Whole merchant", "Own groups"]);
    expect(w.findAll("[data-test=role-holders]").map((n) => n.text())).toEqual(["5", "1", "1", "2"]);
  });

  it("creates a role from the ticked permissions and the scope", async () => {
    const w = await show();
    await w.find("[data-test=role-create]").trigger("click");
    await flushPromises();
    await type("[data-test=role-name-input]", " 组长 ");
    await click('[data-test="role-perm-reports.view"]');
    await click('[data-test="role-perm-conversations.monitor"]');
    await click("[data-test=role-scope-centre]");
    await click("[data-test=role-save]");
    expect(sent.find((s) => s.key === "POST /roles")?.body).toEqual({
      name: "组长",
      base: "agent",
      permissions: ["conversations.monitor", "reports.view"],
      scope: "centre",
    });
  });

  it("sends only the changes of a role", async () => {
    const w = await show();
    await w.findAll("[data-test=role-edit]")[3]!.trigger("click");
    await flushPromises();
    await click('[data-test="role-perm-kb.edit"]');
    await click("[data-test=role-save]");
    expect(sent.find((s) => s.key === "PATCH /roles/7")?.body).toEqual({ permissions: ["reports.view", "kb.edit"] });
  });

  it("shows the admin role read-only and keeps a built-in role's name", async () => {
    const w = await show();
    await w.findAll("[data-test=role-edit]")[2]!.trigger("click");
    await flushPromises();
    expect(dialog().textContent).toContain("cannot change");
    expect(dialog().querySelector("[data-test=role-save]")).toBeNull();
    expect(checkbox("settings.manage").checked).toBe(true);
    expect(checkbox("settings.manage").disabled).toBe(true);
    document.querySelector<HTMLElement>("[data-test=role-dialog] .el-dialog__headerbtn")?.click();
    await flushPromises();
    await w.findAll("[data-test=role-edit]")[1]!.trigger("click");
    await flushPromises();
    expect(document.querySelector<HTMLInputElement>("[data-test=role-name-input]")!.disabled).toBe(true);
    expect(dialog().textContent).toContain("A built-in role keeps its name");
  });

  it("offers no built-in role for deletion", async () => {
    const w = await show();
    const buttons = w.findAll("[data-test=role-delete]");
    expect(buttons.slice(0, 3).every((b) => b.attributes("disabled") !== undefined)).toBe(true);
    expect(buttons[3]!.attributes("disabled")).toBeUndefined();
  });

  it("does not let a caller grant rights their own role lacks", async () => {
    const w = await show(me("agent", { permissions: ["org.manage", "reports.view"], scope_group_ids: [2] }));
    await w.find("[data-test=role-create]").trigger("click");
    await flushPromises();
    expect(checkbox("reports.view").disabled).toBe(false);
    expect(checkbox("kb.edit").disabled).toBe(true);
    expect(document.querySelector<HTMLInputElement>("[data-test=role-scope-tenant] input")!.disabled).toBe(true);
    expect(document.querySelector<HTMLInputElement>("[data-test=role-scope-centre] input")!.disabled).toBe(true);
    expect(document.querySelector<HTMLInputElement>("[data-test=role-scope-groups] input")!.disabled).toBe(false);
  });

  it("says which name is taken", async () => {
    answers["POST /roles"] = () => ({ status: 409, body: { code: "conflict", detail: "a role named '主管' exists", field: "name" } });
    const w = await show();
    await w.find("[data-test=role-create]").trigger("click");
    await flushPromises();
    await type("[data-test=role-name-input]", "主管");
    await click("[data-test=role-save]");
    expect(document.querySelector("[data-test=role-error]")?.textContent).toContain("A role named “主管” exists");
    expect(document.querySelector<HTMLInputElement>("[data-test=role-name-input]")!.value).toBe("主管");
  });

  it("explains that a role still held cannot be deleted", async () => {
    const w = await show();
    await w.findAll("[data-test=role-delete]")[3]!.trigger("click");
    await new Promise((r) => setTimeout(r, 50)); // the popover opens after a tick of its own
    const confirm = [...document.querySelectorAll<HTMLElement>(".el-popconfirm__action .el-button--primary")].at(-1)!;
    confirm.click();
    await flushPromises();
    expect(sent.some((s) => s.key === "DELETE /roles/7")).toBe(true);
    expect(w.find("[data-test=roles-error]").text()).toContain("2 account(s) still hold the role “组长”");
  });
});
