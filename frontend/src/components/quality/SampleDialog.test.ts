// The sample dialog: the request built from what was picked (the days as a period, filters
// only when set), "create" keeping exactly the previewed sample through its seed (and
// drawing anew once the request changed), n capped per mode, a future start refused before
// asking, the server's 422 shown by the field it names, an empty sample said so.
import { flushPromises, type VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";

import { lastDays } from "./format";
import SampleDialog from "./SampleDialog.vue";
import { fakeServer, mountQuality, type Handler } from "./test-helpers";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

const CHECKLISTS = [
  { id: 3, name: "售后质检", is_default: false, items: [], version: 1, archived: false, max_points: 10, description: "", created_by_id: 1, created_at: "", updated_at: "" },
  { id: 4, name: "服务质检表", is_default: true, items: [], version: 2, archived: false, max_points: 70, description: "", created_by_id: 1, created_at: "", updated_at: "" },
];
const ACCOUNTS = [
  { id: 2, name: "主管", role: "supervisor", active: true },
  { id: 5, name: "小王", role: "agent", active: true },
];
const SAMPLED = (id: number) => ({ conversation_id: id, agent_id: 5, group_id: null, channel: "wechat", closed_at: "2026-11-03T08:00:00Z", rating_score: 1, rating_scale: 5, handling_s: 600, messages: 14 });

function server(over: Record<string, Handler> = {}) {
  return fakeServer({
    "GET /quality/checklists": () => ({ status: 200, body: CHECKLISTS }),
    "GET /accounts": () => ({ status: 200, body: ACCOUNTS }),
    "GET /groups": () => ({ status: 200, body: [] }),
    "POST /quality/samples": () => ({ status: 200, body: { seed: 99, candidates: 3, conversations: [SAMPLED(41), SAMPLED(42)] } }),
    "POST /quality/batches": (body) => ({ status: 201, body: { id: 8, name: "x", ...(body as Record<string, unknown>), items: [] } }),
    ...over,
  });
}

type Form = { mode: string; range: [string, string] | null; n: number; long_by: string; channel: string; group_id: number | null; agent_id: number | null; checklist_id: number | null };

async function opened(): Promise<{ w: VueWrapper; form: Form }> {
  const w = mountQuality(SampleDialog, { modelValue: true });
  await flushPromises();
  return { w, form: (w.vm as unknown as { form: Form }).form };
}

const dialog = () => document.querySelector("[data-test=sample-dialog]") as HTMLElement;
const q = (sel: string) => dialog().querySelector(sel) as HTMLElement | null;

async function click(sel: string) {
  q(sel)!.click();
  await flushPromises();
}

function local(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y!, m! - 1, d!).toISOString();
}

describe("SampleDialog", () => {
  it("previews the request it was given and creates that very sample", async () => {
    const sent = server();
    const { w, form } = await opened();
    expect(form.checklist_id).toBe(4); // the default checklist
    Object.assign(form, { range: ["2026-11-01", "2026-11-07"], mode: "long", long_by: "messages", channel: "wechat" });
    await nextTick();
    await click("[data-test=sample-preview]");
    const preview = sent.find((s) => s.key === "POST /quality/samples")!.body as Record<string, unknown>;
    expect(preview).toEqual({ mode: "long", since: local("2026-11-01"), until: local("2026-11-08"), n: 10, long_by: "messages", channel: "wechat" });
    expect(q("[data-test=sample-summary]")!.textContent).toBe("从 3 个会话中抽取 2 个");
    const rows = dialog().querySelectorAll("[data-test=sample-row]");
    expect([...rows].map((r) => r.getAttribute("data-conversation-id"))).toEqual(["41", "42"]);
    expect(rows[0]!.textContent).toContain("1/5");
    expect(rows[0]!.textContent).toContain("10分0秒");
    await click("[data-test=sample-create]");
    const created = sent.find((s) => s.key === "POST /quality/batches")!.body;
    expect(created).toEqual({ ...preview, seed: 99, checklist_id: 4, assignee_id: 2 });
    expect((w.emitted("created") as unknown[][])[0]![0]).toMatchObject({ id: 8 });
    expect(w.emitted("update:modelValue")).toEqual([[false]]);
    w.unmount();
  });

  it("draws anew when the request changed after the preview, and leaves unset filters out", async () => {
    const sent = server();
    const { w, form } = await opened();
    form.range = lastDays(7, Date.now());
    await click("[data-test=sample-preview]");
    form.n = 5;
    await nextTick();
    await click("[data-test=sample-create]");
    const created = sent.find((s) => s.key === "POST /quality/batches")!.body as Record<string, unknown>;
    expect(created.n).toBe(5);
    expect(created).not.toHaveProperty("seed");
    expect(created).not.toHaveProperty("until"); // the range ends today: the server takes now
    expect(created).not.toHaveProperty("channel");
    expect(created).not.toHaveProperty("group_id");
    expect(created).not.toHaveProperty("long_by");
    w.unmount();
  });

  it("takes at most 50 per agent, and says n is per agent", async () => {
    server();
    const { w, form } = await opened();
    form.n = 120;
    await nextTick();
    (q("[data-test=sample-mode-by_agent] input") as HTMLInputElement).click();
    await flushPromises();
    expect(form.mode).toBe("by_agent");
    expect(form.n).toBe(50);
    expect(dialog().textContent).toContain("每位客服抽取");
    w.unmount();
  });

  it("refuses a period that starts in the future before asking, and shows the server's 422 by its field", async () => {
    const sent = server({
      "POST /quality/samples": () => ({ status: 422, body: { code: "invalid", detail: "until: a sample spans at most 366 days", field: "until" } }),
    });
    const { w, form } = await opened();
    const tomorrow = new Date(Date.now() + 86_400_000);
    const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, "0")}-${String(tomorrow.getDate()).padStart(2, "0")}`;
    form.range = [day, day];
    await click("[data-test=sample-preview]");
    expect(q("[data-test=sample-range-error]")!.textContent).toBe("开始日期不能晚于今天");
    expect(sent.some((s) => s.key === "POST /quality/samples")).toBe(false);
    form.range = ["2024-01-01", "2026-11-07"];
    await click("[data-test=sample-preview]");
    expect(q("[data-test=sample-range-error]")!.textContent).toBe("until: a sample spans at most 366 days");
    w.unmount();
  });

  it("says when nothing is left to sample and then creates nothing", async () => {
    const sent = server({ "POST /quality/samples": () => ({ status: 200, body: { seed: 7, candidates: 0, conversations: [] } }) });
    const { w } = await opened();
    await click("[data-test=sample-preview]");
    expect(q("[data-test=sample-empty]")!.textContent).toContain("没有可抽取的会话");
    expect(q("[data-test=sample-create]")!.hasAttribute("disabled")).toBe(true);
    await click("[data-test=sample-create]");
    expect(sent.some((s) => s.key === "POST /quality/batches")).toBe(false);
    w.unmount();
  });
});
