// The widget appearance editor: what it refuses before the server would, the body it saves,
// the live preview following the form, and saving as admins only.
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";

import { testI18n } from "./test-helpers";
import { body, DEFAULT_APPEARANCE, onColor, problems } from "./widget-appearance";
import WidgetAppearance from "./WidgetAppearance.vue";

describe("widget appearance", () => {
  it("refuses what the server would", () => {
    expect(problems(DEFAULT_APPEARANCE)).toEqual([]);
    expect(problems({ ...DEFAULT_APPEARANCE, color: "red" })).toEqual(["color"]);
    expect(problems({ ...DEFAULT_APPEARANCE, color: "#12345" })).toEqual(["color"]);
    expect(problems({ ...DEFAULT_APPEARANCE, logo_url: "javascript:alert(1)" })).toEqual(["logo"]);
    expect(problems({ ...DEFAULT_APPEARANCE, logo_url: "ftp://x.test/a.png" })).toEqual(["logo"]);
    expect(problems({ ...DEFAULT_APPEARANCE, logo_url: "  " })).toEqual([]);
    expect(problems({ ...DEFAULT_APPEARANCE, title: "x".repeat(41), greeting: "y".repeat(501) })).toEqual(["title", "greeting"]);
  });

  it("saves trimmed values, blanks as null", () => {
    expect(body({ ...DEFAULT_APPEARANCE, color: "#AABBCC", title: "  客服  ", logo_url: " ", greeting: "" })).toEqual({
      ...DEFAULT_APPEARANCE,
      color: "#aabbcc",
      title: "客服",
    });
  });

  it("puts dark text on light colours and white on dark ones", () => {
    expect(onColor("#ffffff")).toBe("#111827");
    expect(onColor("#fde047")).toBe("#111827");
    expect(onColor("#2563eb")).toBe("#ffffff");
    expect(onColor("bad")).toBe("#ffffff");
  });
});

/** The native input of an Element Plus field (its data-test lands on the input itself). */
function field(w: ReturnType<typeof mount>, id: string) {
  const el = w.find(`[data-test=${id}]`);
  return ["INPUT", "TEXTAREA"].includes(el.element.tagName) ? el : el.find("input, textarea");
}

describe("the editor", () => {
  afterEach(() => vi.unstubAllGlobals());

  function server(saved: unknown[]) {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: string, init?: RequestInit) => {
        const url = new URL(input, "http://localhost");
        const json = (data: unknown) => new Response(JSON.stringify(data), { status: 200, headers: { "Content-Type": "application/json" } });
        if (url.pathname.endsWith("/widget/config")) return json({ bot: null });
        if (init?.method === "PUT") {
          const sent = JSON.parse(String(init.body));
          saved.push(sent);
          return json(sent);
        }
        return json(DEFAULT_APPEARANCE);
      }),
    );
  }

  it("previews the form as it is typed and saves it", async () => {
    const saved: unknown[] = [];
    server(saved);
    const w = mount(WidgetAppearance, { props: { widgetKey: "wk_1", canEdit: true }, global: { plugins: [ElementPlus, testI18n("zh-CN")] } });
    await flushPromises();
    expect(w.find("[data-test=preview-title]").text()).toBe("在线客服");
    expect(w.find("[data-test=preview-greeting]").text()).toBe("您好，请问有什么可以帮您？");
    await field(w, "appearance-title").setValue("汇流商城");
    await field(w, "appearance-greeting").setValue("欢迎光临");
    await field(w, "appearance-color").setValue("#16A34A");
    expect(w.find("[data-test=preview-title]").text()).toBe("汇流商城");
    expect(w.find("[data-test=preview-greeting]").text()).toBe("欢迎光临");
    expect(w.find(".head").attributes("style")).toContain("rgb(22, 163, 74)");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(saved.at(-1)).toEqual({ ...DEFAULT_APPEARANCE, color: "#16a34a", title: "汇流商城", greeting: "欢迎光临" });
    expect(w.find("[data-test=appearance-saved]").exists()).toBe(true);
    w.unmount();
  });

  it("does not send a bad colour and says why", async () => {
    const saved: unknown[] = [];
    server(saved);
    const w = mount(WidgetAppearance, { props: { widgetKey: "wk_1", canEdit: true }, global: { plugins: [ElementPlus, testI18n("zh-CN")] } });
    await flushPromises();
    await field(w, "appearance-color").setValue("blue");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(saved).toEqual([]);
    expect(w.find("[data-test=appearance-error]").text()).toContain("请先修正");
    await new Promise((resolve) => setTimeout(resolve, 300)); // Element Plus shows field errors debounced
    expect(w.text()).toContain("#rrggbb");
    w.unmount();
  });

  it("is read-only for supervisors", async () => {
    server([]);
    const w = mount(WidgetAppearance, { props: { widgetKey: "wk_1", canEdit: false }, global: { plugins: [ElementPlus, testI18n("zh-CN")] } });
    await flushPromises();
    expect(w.find("[data-test=appearance-save]").exists()).toBe(false);
    expect(field(w, "appearance-title").attributes("disabled")).toBeDefined();
    w.unmount();
  });
});
