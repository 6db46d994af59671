// The satisfaction settings page: supervisors read, admins save the scale with a name and
// tags per point, the triggers and texts in the shape PUT /tenant/satisfaction takes; the
// preview shows what the text channels read.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { useSession } from "@/stores/session";
import { mountWithApp } from "@/test/mount";
import { me } from "@/test/session";

import SatisfactionSettingsView from "./SatisfactionSettingsView.vue";

const SETTINGS = {
  enabled: true,
  scale: 5,
  labels: ["非常不满意", "不满意", "一般", "满意", "非常满意"],
  tags: { "1": ["回复慢"] },
  comment: true,
  ask_on: { agent_close: true, timeout_close: true, request: true },
  ask_bot_only: false,
  answer_window_h: 24,
  prompt: "请对本次服务进行评价",
  thanks: "感谢您的评价！",
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
  const w = mountWithApp(SatisfactionSettingsView);
  useSession().account = me(role);
  await flushPromises();
  await flushPromises();
  return w;
}

describe("SatisfactionSettingsView", () => {
  it("is read-only for supervisors and shows what was saved", async () => {
    serve();
    const w = await show("supervisor");
    expect(w.find("[data-test=ss-readonly]").exists()).toBe(true);
    expect(w.find("[data-test=ss-save]").exists()).toBe(false);
    expect(w.findAll("[data-test=ss-point]")).toHaveLength(5);
    expect(w.findAll("[data-test=ss-tag]").map((t) => t.text())).toEqual(["回复慢"]);
    expect(w.get("[data-test=ss-preview]").text()).toBe(
      "请对本次服务进行评价\n1 非常不满意\n2 不满意\n3 一般\n4 满意\n5 非常满意\n请回复数字 1-5 进行评价，可在数字后附上您的意见，如“5 很满意”。",
    );
  });

  it("saves a 3-point scale with a tag and the triggers an admin set", async () => {
    const calls = serve();
    const w = await show("admin");
    await w.get("[data-test=ss-scale-3] input").setValue(true);
    await flushPromises();
    const labels = w.findAll("[data-test=ss-label]");
    expect(labels.map((l) => (l.element as HTMLInputElement).value)).toEqual(["不满意", "一般", "满意"]);
    await labels[1]!.setValue("还行");
    const inputs = w.findAll("[data-test=ss-tag-input]");
    await inputs[1]!.setValue("等太久");
    await inputs[1]!.trigger("keydown", { key: "Enter" });
    await w.get("[data-test=ss-timeout-close] input").setValue(false);
    await w.get("[data-test=ss-comment] input").setValue(false);
    expect(w.get("[data-test=ss-preview]").text()).toContain("2 还行");
    await w.get("form").trigger("submit");
    await flushPromises();
    const put = calls.find((c) => c.init?.method === "PUT");
    expect(put).toBeDefined();
    const body = JSON.parse(String(put!.init!.body));
    expect(body.scale).toBe(3);
    expect(body.labels).toEqual(["不满意", "还行", "满意"]);
    expect(body.tags["2"]).toEqual(["回复慢", "没解决问题", "等太久"]);
    expect(body.ask_on).toEqual({ agent_close: true, timeout_close: false, request: true });
    expect(body.comment).toBe(false);
    expect(w.find("[data-test=ss-saved]").exists()).toBe(true);
  });

  it("asks for a name on every point before saving", async () => {
    const calls = serve();
    const w = await show("admin");
    await w.findAll("[data-test=ss-label]")[0]!.setValue("  ");
    await w.get("form").trigger("submit");
    await flushPromises();
    expect(calls.some((c) => c.init?.method === "PUT")).toBe(false);
    expect(w.get("[data-test=ss-error]").text()).toContain("每个评分都需要名称");
  });
});
