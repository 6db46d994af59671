// The service centres page against a fake server: centres with their groups and people;
// create and rename send the trimmed name; a taken name and a centre that still holds
// groups or people are spelt out; without org.manage nothing changes.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Me } from "@/api/types";
import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import CentresView from "./CentresView.vue";

const NOW = "2026-12-01T10:00:00Z";
const CENTRES = [
  { id: 1, name: "成都中心", group_ids: [4, 5], account_ids: [2, 3, 9], created_at: NOW },
  { id: 2, name: "杭州中心", group_ids: [], account_ids: [], created_at: NOW },
];
const GROUPS = [
  { id: 4, name: "售前", centre_id: 1, strategy: "least_load", last_agent_days: 7, is_default: true, channels: [], member_ids: [], working_hours: null, open_now: true, created_at: NOW },
  { id: 5, name: "售后", centre_id: 1, strategy: "least_load", last_agent_days: 7, is_default: false, channels: [], member_ids: [], working_hours: null, open_now: true, created_at: NOW },
];
type Reply = { status: number; body?: unknown };
let answers: Record<string, (body: unknown) => Reply> = {};
let sent: { key: string; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  answers = {
    "GET /centres": () => ({ status: 200, body: CENTRES }),
    "GET /groups": () => ({ status: 200, body: GROUPS }),
    "POST /centres": (b) => ({ status: 201, body: { id: 3, ...(b as object), group_ids: [], account_ids: [], created_at: NOW } }),
    "PATCH /centres/2": (b) => ({ status: 200, body: { ...CENTRES[1], ...(b as object) } }),
    "DELETE /centres/1": () => ({ status: 409, body: { code: "centre_not_empty", detail: "the centre holds groups or people" } }),
    "DELETE /centres/2": () => ({ status: 204 }),
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
  wrapper = mount(CentresView, { attachTo: document.body, global: { plugins: [ElementPlus, testI18n()] } });
  await flushPromises();
  return wrapper;
}

async function type(value: string): Promise<void> {
  const input = document.querySelector<HTMLInputElement>("[data-test=centre-name-input]")!;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

async function save(): Promise<void> {
  document.querySelector<HTMLElement>("[data-test=centre-save]")!.click();
  await flushPromises();
}

async function confirmDelete(w: VueWrapper, row: number): Promise<void> {
  await w.findAll("[data-test=centre-delete]")[row]!.trigger("click");
  await new Promise((r) => setTimeout(r, 50)); // the popover opens after a tick of its own
  [...document.querySelectorAll<HTMLElement>(".el-popconfirm__action .el-button--primary")].at(-1)!.click();
  await flushPromises();
}

describe("CentresView", () => {
  it("lists the centres with their groups and people", async () => {
    const w = await show();
    expect(w.findAll("[data-test=centre-name]").map((n) => n.text())).toEqual(["成都中心", "杭州中心"]);
    expect(w.findAll("[data-test=centre-groups]").map((n) => n.text())).toEqual(["2", "0"]);
    expect(w.findAll("[data-test=centre-people]").map((n) => n.text())).toEqual(["3", "0"]);
    expect(w.find("[data-test=centres-table]").text()).toContain("售后");
  });

  it("creates a centre with the trimmed name", async () => {
    const w = await show();
    await w.find("[data-test=centre-create]").trigger("click");
    await flushPromises();
    await type("  武汉中心 ");
    await save();
    expect(sent.find((s) => s.key === "POST /centres")?.body).toEqual({ name: "武汉中心" });
  });

  it("renames a centre", async () => {
    const w = await show();
    await w.findAll("[data-test=centre-rename]")[1]!.trigger("click");
    await flushPromises();
    await type("杭州二中心");
    await save();
    expect(sent.find((s) => s.key === "PATCH /centres/2")?.body).toEqual({ name: "杭州二中心" });
  });

  it("refuses a blank name before sending and says which name is taken", async () => {
    answers["POST /centres"] = () => ({ status: 409, body: { code: "conflict", detail: "taken", field: "name" } });
    const w = await show();
    await w.find("[data-test=centre-create]").trigger("click");
    await flushPromises();
    await type("   ");
    await save();
    expect(document.querySelector("[data-test=centre-error]")?.textContent).toContain("Give the centre a name");
    expect(sent.some((s) => s.key === "POST /centres")).toBe(false);
    await type("成都中心");
    await save();
    expect(document.querySelector("[data-test=centre-error]")?.textContent).toContain("A centre named “成都中心” exists");
  });

  it("explains that a centre holding groups or people cannot be deleted", async () => {
    const w = await show();
    await confirmDelete(w, 0);
    expect(w.find("[data-test=centres-error]").text()).toContain("still holds 2 skill group(s) and 3 person(s)");
  });

  it("deletes an empty centre", async () => {
    const w = await show();
    await confirmDelete(w, 1);
    expect(sent.some((s) => s.key === "DELETE /centres/2")).toBe(true);
    expect(w.find("[data-test=centres-error]").exists()).toBe(false);
  });

  it("changes nothing without org.manage", async () => {
    const w = await show(me("supervisor"));
    expect(w.find("[data-test=centre-create]").attributes("disabled")).toBeDefined();
    expect(w.find("[data-test=centre-delete]").exists()).toBe(false);
  });
});
