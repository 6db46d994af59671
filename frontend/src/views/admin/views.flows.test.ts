// A few whole flows through the views against a fake server: a form that fails keeps what
// was typed and shows the server's detail; the import sends the file raw with progress and
// shows the report; the bot saves the menu tree as the server's JSON.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defineComponent, nextTick, type Component } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";

import { testI18n } from "@/components/admin/test-helpers";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import BotView from "./BotView.vue";
import KnowledgeView from "./KnowledgeView.vue";

const NOW = "2026-12-01T10:00:00Z";
type Handler = (body: unknown) => { status: number; body: unknown };
let routes: Record<string, Handler> = {};
const sent: { key: string; body: unknown }[] = [];

const ok = (body: unknown): Handler => () => ({ status: 200, body });

beforeEach(() => {
  sent.length = 0;
  routes = {
    "GET /kb/entries": ok({ entries: [], total: 0 }),
    "GET /kb/categories": ok([]),
    "GET /groups": ok([{ id: 4, name: "售后", strategy: "least_load", last_agent_days: 7, is_default: true, channels: [], member_ids: [], working_hours: null, open_now: true, created_at: NOW }]),
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const key = `${init?.method ?? "GET"} ${new URL(input, "http://localhost").pathname.replace("/api/v1", "")}`;
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push({ key, body });
      const handler = routes[key];
      const out = handler ? handler(body) : { status: 404, body: { code: "not_found", detail: `no ${key}` } };
      return new Response(JSON.stringify(out.body), { status: out.status, headers: { "Content-Type": "application/json" } });
    }),
  );
});

let wrapper: VueWrapper | undefined;
afterEach(() => {
  wrapper?.unmount();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

async function show(view: Component): Promise<VueWrapper> {
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSession();
  session.token = "tok";
  session.account = me("admin", { email: "a@x.test", name: "Ada" });
  const blank = defineComponent({ render: () => null });
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/", component: blank }] });
  await router.push("/");
  wrapper = mount(view, { attachTo: document.body, global: { plugins: [pinia, router, ElementPlus, testI18n()] } });
  await flushPromises();
  return wrapper;
}

const $ = <T extends Element = HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`nothing matches ${selector}`);
  return el;
};

async function type(selector: string, value: string): Promise<void> {
  const el = $<HTMLInputElement | HTMLTextAreaElement>(selector);
  el.value = value;
  el.dispatchEvent(new Event("input"));
  await nextTick();
}

describe("knowledge base entry form", () => {
  it("checks before sending, shows the server's detail and keeps what was typed", async () => {
    const w = await show(KnowledgeView);
    await w.find("[data-test=kb-create]").trigger("click");
    await flushPromises();
    $<HTMLButtonElement>("[data-test=kb-entry-save]").click();
    await flushPromises();
    expect($("[data-test=kb-entry-error]").textContent).toContain("Fix the problems marked first");
    expect(sent.filter((s) => s.key === "POST /kb/entries")).toHaveLength(0);

    await type("input[data-test=kb-entry-question]", "能开发票吗");
    await type("textarea[data-test=answer-text]", "可以，在订单页申请。");
    routes["POST /kb/entries"] = () => ({ status: 409, body: { code: "conflict", detail: "an entry with this standard question exists", field: "question" } });
    $<HTMLButtonElement>("[data-test=kb-entry-save]").click();
    await flushPromises();
    expect($("[data-test=kb-entry-error]").textContent).toContain("an entry with this standard question exists (field: question)");
    expect($<HTMLInputElement>("input[data-test=kb-entry-question]").value).toBe("能开发票吗");
    const post = sent.find((s) => s.key === "POST /kb/entries");
    expect(post?.body).toMatchObject({ question: "能开发票吗", answer: [{ type: "text", text: "可以，在订单页申请。" }], enabled: true, similar: [], keywords: [] });
  });
});

class FakeXHR {
  static last: FakeXHR | null = null;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  statusText = "";
  responseText = "";
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown;
  constructor() {
    FakeXHR.last = this;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string): void {
    this.headers[k] = v;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.onabort?.();
  }
}

describe("knowledge base import", () => {
  it("uploads the file as the body with progress, then shows the report", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXHR);
    const w = await show(KnowledgeView);
    const tabs = w.findAll(".el-tabs__item");
    await tabs.find((t) => t.text() === "Import and export")!.trigger("click");
    await flushPromises();
    const input = w.find("[data-test=kb-import-file]");
    const file = new File(["question,answer\n发票,可以\n"], "faq.csv", { type: "text/csv" });
    Object.defineProperty(input.element, "files", { value: [file] });
    await input.trigger("change");
    expect(w.find("[data-test=kb-import-picked]").text()).toContain("faq.csv");
    await w.find("[data-test=kb-import-start]").trigger("click");
    const xhr = FakeXHR.last!;
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("/api/v1/kb/import?format=csv");
    expect(xhr.headers.Authorization).toBe("Bearer tok");
    expect(xhr.headers["Content-Type"]).toBe("text/csv");
    expect(xhr.body).toBe(file);
    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 });
    await nextTick();
    expect(w.find("[data-test=kb-import-progress]").text()).toContain("50%");
    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 10, total: 10 });
    await nextTick();
    expect(w.find("[data-test=kb-import-progress]").text()).toContain("The server is working");
    xhr.status = 200;
    xhr.responseText = JSON.stringify({ created: 1, updated: 0, failed: 1, errors: [{ row: 3, field: "answer", reason: "required" }] });
    xhr.onload?.();
    await flushPromises();
    expect(w.find("[data-test=import-created]").text()).toBe("1");
    expect(w.find("[data-test=import-failed]").text()).toBe("1");
  });

  it("shows the server's detail when the import is refused", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXHR);
    const w = await show(KnowledgeView);
    await w.findAll(".el-tabs__item").find((t) => t.text() === "Import and export")!.trigger("click");
    await flushPromises();
    const input = w.find("[data-test=kb-import-file]");
    Object.defineProperty(input.element, "files", { value: [new File(["x"], "faq.xlsx")] });
    await input.trigger("change");
    await w.find("[data-test=kb-import-start]").trigger("click");
    const xhr = FakeXHR.last!;
    expect(xhr.url).toBe("/api/v1/kb/import?format=xlsx");
    xhr.status = 422;
    xhr.responseText = JSON.stringify({ code: "invalid_input", detail: "not an XLSX file", field: "file" });
    xhr.onload?.();
    await flushPromises();
    expect(w.find("[data-test=kb-import-error]").text()).toContain("not an XLSX file");
  });
});

describe("bot settings", () => {
  it("saves the edited menu tree as the server's JSON", async () => {
    const settings = {
      enabled: false, name: "小汇", greeting: "您好", menu_text: "常见问题", menu: [{ id: "n1", label: "人工", action: "handoff", group_id: null, children: [] }],
      answer_threshold: 0.6, suggest_threshold: 0.25, suggest_text: "?", unknown_text: "?", handoff_words: ["人工"], handoff_after_unknown: 2, handoff_on_unhelpful: true,
      handoff_text: "t", no_agent_text: "t", handoff_group_id: null, merchant_api: null, flows: [],
    };
    routes["GET /tenant/bot"] = ok(settings);
    routes["PUT /tenant/bot"] = (body) => ({ status: 200, body });
    const w = await show(BotView);
    await w.findAll(".el-tabs__item").find((t) => t.text().startsWith("Menu"))!.trigger("click");
    await flushPromises();
    await w.find("[data-test=menu-add]").trigger("click");
    await w.findAll("input[data-test=menu-label]")[1]!.setValue("营业时间");
    await w.find("[data-test=menu-node][data-id=n2] [data-test=menu-answer-text] input").setValue(true);
    await nextTick();
    await w.find("textarea[data-test=menu-text]").setValue("每天 9:00-18:00");
    await w.findAll("[data-test=menu-up]")[1]!.trigger("click");
    expect(w.find("[data-test=bot-dirty]").exists()).toBe(true);
    await w.find("[data-test=bot-save]").trigger("click");
    await flushPromises();
    const put = sent.find((s) => s.key === "PUT /tenant/bot");
    expect((put?.body as { menu: unknown }).menu).toEqual([
      { id: "n2", label: "营业时间", action: "answer", text: "每天 9:00-18:00" },
      { id: "n1", label: "人工", action: "handoff", group_id: null },
    ]);
    expect(w.find("[data-test=bot-saved]").exists()).toBe(true);
    expect(w.find("[data-test=bot-dirty]").exists()).toBe(false);
  });

  it("does not send a menu the server would refuse", async () => {
    routes["GET /tenant/bot"] = ok({
      enabled: true, name: "小汇", greeting: "您好", menu_text: "", menu: [], answer_threshold: 0.6, suggest_threshold: 0.25, suggest_text: "", unknown_text: "",
      handoff_words: [], handoff_after_unknown: 2, handoff_on_unhelpful: true, handoff_text: "", no_agent_text: "", handoff_group_id: null, merchant_api: null, flows: [],
    });
    const w = await show(BotView);
    await w.findAll(".el-tabs__item").find((t) => t.text().startsWith("Menu"))!.trigger("click");
    await w.find("[data-test=menu-add]").trigger("click"); // no label, no entry
    await w.find("[data-test=bot-save]").trigger("click");
    await flushPromises();
    expect(sent.some((s) => s.key === "PUT /tenant/bot")).toBe(false);
    expect(w.find("[data-test=bot-error]").text()).toContain("2 problems");
  });
});
