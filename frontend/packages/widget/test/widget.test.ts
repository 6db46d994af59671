// The whole widget in a page (jsdom), against a fake server: REST answered from a table and
// the SDK's in-memory WebSocket. Greeting and menu at once, a tap goes out as text with its
// button_id, the bot's stored greeting is not shown twice, unread counting, the queue,
// who serves, the survey after the close (answered once: a reload does not ask again), and
// nothing typed lost across a "reload".
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { MenuContent, SurveyContent, TextContent } from "@huiliu/sdk";

import { FakeNetwork, messageNew } from "../../sdk/test/fake-socket";
import { Widget, type WidgetConfig } from "../src/widget";

const GREETING: TextContent = { type: "text", text: "您好，我是智能助手小汇（机器人）。" };
const MENU: MenuContent = { type: "menu", text: "常见问题", buttons: [{ id: "menu:c0", label: "订单问题" }, { id: "menu:human", label: "人工客服" }] };
const SURVEY: SurveyContent = {
  type: "survey",
  survey_id: 9,
  scale: 5,
  prompt: "感谢您的咨询，请对本次服务进行评价。",
  comment: true,
  options: ["非常不满意", "不满意", "一般", "满意", "非常满意"].map((label, i) => ({ score: i + 1, label, tags: i < 2 ? ["回复慢"] : [] })) as SurveyContent["options"],
  expires_at: "2999-01-01T00:00:00Z",
};
const CONFIG: WidgetConfig = {
  title: "汇流商城",
  color: "#ff6600",
  logo_url: "https://shop.test/logo.png",
  language: "zh-CN",
  position: "left",
  greeting: null,
  identity_required: false,
  bot: { name: "小汇", greeting: GREETING, menu: MENU },
};

interface Call {
  method: string;
  path: string;
  body: unknown;
  auth: string | null;
}

let calls: Call[];
let routes: Record<string, (body: unknown) => [number, unknown]>;
let network: FakeNetwork;
let widget: Widget;

const tick = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r));
};
const root = () => document.querySelector("huiliu-widget")!.shadowRoot!;
const $ = (sel: string) => root().querySelector<HTMLElement>(sel);
const $$ = (sel: string) => [...root().querySelectorAll<HTMLElement>(sel)];

function conversation(id: number, extra: Record<string, unknown> = {}) {
  return {
    id, contact_id: 17, contact_name: null, channel: "web", status: "open", assignee_id: null, group_id: null, priority: 0, with_bot: true,
    last_seq: 0, created_at: "2026-12-01T10:00:00Z", last_message_at: "2026-12-01T10:00:00Z", last_contact_message_at: null,
    last_agent_message_at: null, closed_at: null, rating_score: null, rating_comment: null, rated_at: null, left_message_at: null,
    unread_count: 0, read_seq: 0, ...extra,
  };
}

beforeEach(() => {
  calls = [];
  localStorage.clear();
  sessionStorage.clear();
  document.body.innerHTML = "";
  document.querySelector("huiliu-widget")?.remove();
  network = new FakeNetwork();
  routes = {
    "GET /widget/config": () => [200, CONFIG],
    "POST /widget/sessions": () => [201, { visitor_token: "tok", contact_id: 17, visitor_id: "v-1", verified: false, expires_in: 3600 }],
    "GET /conversations": () => [200, []],
    "POST /widget/track": () => [201, {}],
    "GET /conversations/42": () => [200, conversation(42)],
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input);
      const path = url.pathname.replace("/api/v1", "");
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, path, body, auth: (init?.headers as Record<string, string>)?.authorization ?? null });
      const route = routes[`${method} ${path}`];
      const [status, data] = route ? route(body) : [404, { code: "not_found", detail: `no ${method} ${path}` }];
      return new Response(JSON.stringify(data), { status, headers: { "content-type": "application/json" } });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  document.querySelector("huiliu-widget")?.remove();
});

async function started(): Promise<Widget> {
  widget = new Widget({ base: "https://hl.test", widgetKey: "wk_1", WebSocket: network.WebSocket });
  await widget.start();
  await tick();
  const sock = network.last;
  sock.autoResume = true;
  sock.hello();
  await tick();
  return widget;
}

describe("the widget", () => {
  it("shows the tenant's look, the greeting and the menu the moment it opens", async () => {
    await started();
    expect($("[data-test=title]")!.textContent).toBe("汇流商城");
    expect(document.querySelector<HTMLElement>("huiliu-widget")!.dataset.pos).toBe("left");
    expect($(".hl")!.style.getPropertyValue("--hl-accent")).toBe("#ff6600");
    expect($("[data-test=panel]")!.hidden).toBe(true);
    const opened = vi.fn();
    widget.on("open", opened);
    widget.open();
    expect(opened).toHaveBeenCalledOnce();
    expect($("[data-test=panel]")!.hidden).toBe(false);
    expect($$("[data-test=greeting]").map((g) => g.textContent)).toEqual([GREETING.text, "常见问题订单问题人工客服"]);
    expect($("[data-test=headline]")!.textContent).toBe("小汇（机器人）为您服务");
    // The page view of the page it loaded on, with the visitor's token.
    const track = calls.find((c) => c.path === "/widget/track")!;
    expect(track.auth).toBe("Bearer tok");
    expect((track.body as { url: string }).url).toBe(location.href);
    expect(localStorage.getItem("huiliu.wk_1.visitor")).toBe("v-1");
  });

  it("sends a tap as text with its button_id, and shows the bot's stored greeting once", async () => {
    await started();
    widget.open();
    const sock = network.last;
    $$("[data-test=greeting] button")[0]!.click();
    await tick();
    const [send] = sock.frames("message.send");
    expect(send!.content).toEqual({ type: "text", text: "订单问题", button_id: "menu:c0" });
    expect(send!.conversation_id).toBeUndefined();
    sock.push({ type: "ack", client_msg_id: send!.client_msg_id, message_id: 902, conversation_id: 42, seq: 2 });
    sock.push(messageNew(42, 1, { id: 901, sender: { type: "system", id: null }, content: { type: "event", event: "opened" } }));
    sock.push(messageNew(42, 2, { id: 902, sender: { type: "contact", id: 17 }, client_msg_id: send!.client_msg_id as string, content: send!.content as never }));
    sock.push(messageNew(42, 3, { id: 903, sender: { type: "bot", id: null }, content: GREETING }));
    sock.push(messageNew(42, 4, { id: 904, sender: { type: "bot", id: null }, content: MENU }));
    sock.push(messageNew(42, 5, { id: 905, sender: { type: "bot", id: null }, content: { type: "menu", text: "订单问题", buttons: [{ id: "menu:q0-0", label: "怎么取消订单？" }] } }));
    await tick();
    const shown = $$("[data-test=message]");
    expect(shown.map((m) => m.dataset.seq)).toEqual(["2", "5"]);
    expect(shown[1]!.textContent).toContain("怎么取消订单？");
    expect(calls.some((c) => c.method === "GET" && c.path === "/conversations/42")).toBe(true);
  });

  it("counts unread replies while closed, clears them on opening, and reads them", async () => {
    routes["GET /conversations"] = () => [200, [conversation(42, { with_bot: false, assignee_id: 3, last_seq: 3, read_seq: 3 })]];
    await started();
    const unread = vi.fn();
    widget.on("unread", unread);
    const sock = network.last;
    expect(sock.frames("resume")[0]!.cursors).toEqual({ "42": 0 });
    sock.push(messageNew(42, 1, { sender: { type: "system", id: null }, content: { type: "event", event: "assigned", account_id: 3, account_name: "小汇 Agent 1" } }));
    sock.push(messageNew(42, 2, { sender: { type: "contact", id: 17 } }));
    sock.push(messageNew(42, 3));
    sock.push(messageNew(42, 4, { content: { type: "text", text: "还在吗？" } }));
    await tick();
    expect($("[data-test=unread]")!.textContent).toBe("1");
    expect(unread).toHaveBeenLastCalledWith(1);
    expect($("[data-test=headline]")!.textContent).toBe("客服 小汇 Agent 1 为您服务");
    widget.open();
    await tick();
    expect($("[data-test=unread]")!.hidden).toBe(true);
    expect(unread).toHaveBeenLastCalledWith(0);
    expect(sock.frames("read").at(-1)).toEqual({ type: "read", conversation_id: 42, seq: 4 });
    // Typing from the agent shows; their message clears it.
    sock.push({ type: "typing", conversation_id: 42, sender: { type: "agent", id: 3 }, state: "start" });
    await tick();
    expect($("[data-test=typing]")!.hidden).toBe(false);
    sock.push(messageNew(42, 5));
    await tick();
    expect($("[data-test=typing]")!.hidden).toBe(true);
  });

  it("shows a message an agent sends first beside the launcher until opened or dismissed", async () => {
    routes["GET /conversations"] = () => [200, []];
    await started();
    const sock = network.last;
    expect($("[data-test=preview]")!.hidden).toBe(true);
    // An agent reaches out: a conversation the customer did not open.
    sock.push(messageNew(77, 1, { sender: { type: "system", id: null }, content: { type: "event", event: "opened", account_id: 3 } }));
    sock.push(messageNew(77, 2, { content: { type: "text", text: "您好，您关注的羽绒服降价了" } }));
    await tick();
    expect($("[data-test=preview]")!.hidden).toBe(false);
    expect($("[data-test=preview-text]")!.textContent).toBe("您好，您关注的羽绒服降价了");
    expect($("[data-test=unread]")!.textContent).toBe("1");
    ($("[data-test=preview-dismiss]") as HTMLButtonElement).click();
    await tick();
    expect($("[data-test=preview]")!.hidden).toBe(true);
    expect($("[data-test=unread]")!.textContent).toBe("1"); // still unread, only quieter
    // A newer message shows again; a tap on it opens the panel and reads it.
    sock.push(messageNew(77, 3, { content: { type: "image", url: "https://cdn.example.com/a.png" } as never }));
    await tick();
    expect($("[data-test=preview-text]")!.textContent).toBe("您有一条新消息");
    ($("[data-test=preview-text]") as HTMLButtonElement).click();
    await tick();
    expect($("[data-test=preview]")!.hidden).toBe(true);
    expect($("[data-test=unread]")!.hidden).toBe(true);
    expect(sock.frames("read").at(-1)).toEqual({ type: "read", conversation_id: 77, seq: 3 });
  });

  it("tells a waiting customer their place, offers to leave a message, and rates after the close", async () => {
    routes["GET /conversations"] = () => [200, [conversation(42, { with_bot: false })]];
    routes["POST /conversations/42/leave-message"] = (body) => [201, { ack: {}, conversation: conversation(42, { left_message_at: "x", body }) }];
    routes["POST /conversations/42/survey/answer"] = (body) => [200, { ...(body as object), comment: null, answered_at: "2026-12-01T10:05:00Z" }];
    await started();
    widget.open();
    const sock = network.last;
    sock.push({ type: "queue.position", conversation_id: 42, position: 3, estimated_wait_s: null });
    await tick();
    expect($("[data-test=queue]")!.textContent).toContain("您前面还有 2 位，暂时没有客服在线");
    $("[data-test=queue-leave]")!.click();
    await tick();
    const form = $("[data-test=leave-form]") as HTMLFormElement;
    (form.querySelector("[name=text]") as HTMLTextAreaElement).value = "请回电";
    (form.querySelector("[name=phone]") as HTMLInputElement).value = "13800138000";
    form.querySelector<HTMLButtonElement>("[data-test=leave-submit]")!.click();
    await tick();
    const left = calls.find((c) => c.path === "/conversations/42/leave-message")!;
    expect(left.body).toMatchObject({ text: "请回电", phone: "13800138000" });
    expect((left.body as { client_msg_id: string }).client_msg_id).toMatch(/^leave-/);
    expect($("[data-test=leave-form]")).toBeNull();
    expect($("[data-test=notice]")!.textContent).toBe("留言已提交，我们会尽快联系您。");
    // Closed by the agent, then the survey: its form below the conversation.
    sock.push(messageNew(42, 1, { sender: { type: "system", id: null }, content: { type: "event", event: "closed" } }));
    await tick();
    expect($("[data-test=headline]")!.textContent).toBe("会话已结束");
    expect($("[data-test=rating]")).toBeNull(); // nothing asked yet
    sock.push(messageNew(42, 2, { sender: { type: "system", id: null }, content: SURVEY }));
    await tick();
    expect($("[data-event=survey]")!.textContent).toBe("邀请您对本次服务进行评价");
    const rating = $("[data-test=rating]") as HTMLFormElement;
    rating.querySelector<HTMLButtonElement>("[data-score='2']")!.click();
    rating.querySelector<HTMLButtonElement>("[data-test=rating-tag]")!.click();
    rating.querySelector<HTMLButtonElement>("[data-test=rating-submit]")!.click();
    await tick();
    expect(calls.find((c) => c.path === "/conversations/42/survey/answer")!.body).toEqual({ score: 2, tags: ["回复慢"] });
    expect($("[data-test=rating-thanks]")!.textContent).toBe("感谢您的评价！");
    // Writing again starts a new conversation; the closed one stays above, inert.
    const input = $("[data-test=input]") as HTMLTextAreaElement;
    expect(input.placeholder).toBe("有新问题？直接输入即可开始新的会话");
    input.value = "还有个问题";
    $("[data-test=send]")!.click();
    await tick();
    expect(sock.frames("message.send").at(-1)!.conversation_id).toBeUndefined();
    expect($$(".history").length).toBe(1);
    expect($("[data-test=pending]")!.textContent).toContain("还有个问题");
  });

  it("asks a returning customer whose survey is still open, and never one who answered", async () => {
    const closed = { status: "closed", with_bot: false, assignee_id: 3, closed_at: new Date().toISOString(), last_seq: 2 };
    routes["GET /conversations"] = () => [200, [conversation(42, closed)]];
    await started();
    widget.open();
    const sock = network.last;
    sock.push(messageNew(42, 1, { sender: { type: "system", id: null }, content: { type: "event", event: "closed" } }));
    sock.push(messageNew(42, 2, { sender: { type: "system", id: null }, content: SURVEY }));
    await tick();
    expect($("[data-test=rating]")).not.toBeNull();
    // Answered before this page loaded: the conversation says so, nothing is asked.
    widget.reset();
    routes["GET /conversations"] = () => [200, [conversation(42, { ...closed, rating_score: 4, rated_at: "2026-12-01T10:05:00Z" })]];
    await tick(10);
    expect($("[data-test=rating]")).toBeNull();
  });

  it("keeps an unsent message and the draft across a reload, and sends it once", async () => {
    await started();
    widget.open();
    let sock = network.last;
    sock.serverClose(1006); // the network drops
    await tick();
    const input = $("[data-test=input]") as HTMLTextAreaElement;
    input.value = "断网时发的";
    $("[data-test=send]")!.click();
    input.value = "草稿";
    input.dispatchEvent(new Event("input"));
    await new Promise((r) => setTimeout(r, 300));
    expect($("[data-test=pending]")!.dataset.state).toBe("sending");
    // The page reloads: a new widget in the same tab, same storage.
    document.querySelector("huiliu-widget")!.remove();
    await started();
    sock = network.last;
    const resent = sock.frames("message.send");
    expect(resent.map((f) => (f.content as { text: string }).text)).toEqual(["断网时发的"]);
    expect(($("[data-test=input]") as HTMLTextAreaElement).value).toBe("草稿");
    expect(calls.filter((c) => c.path === "/widget/sessions").at(-1)!.body).toEqual({ widget_key: "wk_1", visitor_id: "v-1" });
  });

  it("refuses a malformed identity at once and a wrongly signed one from the server, staying anonymous", async () => {
    routes["POST /widget/sessions"] = (body) => {
      const b = body as { identity?: unknown };
      if (b.identity) return [401, { code: "bad_signature", detail: "identity signature does not match user_id" }];
      return [201, { visitor_token: "tok", contact_id: 17, visitor_id: "v-1", verified: false, expires_in: 3600 }];
    };
    await started();
    const errors: { code: string }[] = [];
    widget.on("error", (e) => errors.push(e as { code: string }));
    widget.identify({ userId: "u1", signature: "short" });
    expect(errors.map((e) => e.code)).toEqual(["invalid"]);
    widget.identify({ userId: "u1", signature: "f".repeat(64) });
    await tick(20);
    network.last.autoResume = true;
    network.last.hello();
    await tick();
    expect(errors.map((e) => e.code)).toEqual(["invalid", "bad_signature"]);
    expect(widget.visitor()).toEqual({ contactId: 17, verified: false });
    const sessions = calls.filter((c) => c.path === "/widget/sessions").map((c) => c.body);
    expect(sessions.at(-1)).toEqual({ widget_key: "wk_1", visitor_id: "v-1" });
  });

  it("asks for a sign-in when the merchant serves signed-in customers only", async () => {
    routes["GET /widget/config"] = () => [200, { ...CONFIG, identity_required: true }];
    widget = new Widget({ base: "https://hl.test", widgetKey: "wk_1", WebSocket: network.WebSocket });
    await widget.start();
    await tick();
    expect(calls.some((c) => c.path === "/widget/sessions")).toBe(false);
    expect(($("[data-test=input]") as HTMLTextAreaElement).placeholder).toBe("请先登录后再咨询客服");
    expect(($("[data-test=input]") as HTMLTextAreaElement).disabled).toBe(true);
    expect(network.sockets).toHaveLength(0);
  });
});
