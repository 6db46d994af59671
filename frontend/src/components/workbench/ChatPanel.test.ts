// The chat panel's satisfaction parts: the survey as a line in the timeline, the customer's
// rating in the header with its label on its own scale, tags and comment, and 邀请评价 for
// the conversation's agent until the customer has been asked.
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryHistory, createRouter } from "vue-router";

import type { ConversationView, Message, Survey } from "@/api/types";
import { useConversations } from "@/stores/conversations";
import { i18n } from "@/i18n";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import ChatPanel from "./ChatPanel.vue";

const NOW = "2026-12-01T10:00:00Z";

function view(over: Partial<ConversationView> = {}): ConversationView {
  return {
    id: 5, contact_id: 9, contact_name: "王小明", channel: "web", status: "open", assignee_id: 1, group_id: null, priority: 0,
    with_bot: false, last_seq: 2, created_at: NOW, last_message_at: NOW, last_contact_message_at: NOW, last_agent_message_at: NOW,
    closed_at: null, rating_score: null, rating_comment: null, rated_at: null, left_message_at: null, unread_count: 0, read_seq: 2,
    ...over,
  } as ConversationView;
}

const text: Message = {
  id: 51, conversation_id: 5, seq: 1, sender: { type: "contact", id: 9 }, client_msg_id: null,
  content: { type: "text", text: "我的快递到哪了" }, created_at: NOW,
};
const asked: Message = {
  id: 52, conversation_id: 5, seq: 2, sender: { type: "system", id: null }, client_msg_id: null,
  content: {
    type: "survey", survey_id: 3, scale: 3, prompt: "请评价", comment: true, expires_at: "2026-12-02T10:00:00Z",
    options: [{ score: 1, label: "不满意", tags: ["回复慢"] }, { score: 2, label: "一般", tags: [] }, { score: 3, label: "满意", tags: [] }],
  },
  created_at: NOW,
};

function survey(over: Partial<Survey> = {}): Survey {
  return {
    id: 3, conversation_id: 5, agent_id: 1, group_id: null, channel: "web", scale: 3, trigger: "request", via: "buttons", prompt: "请评价",
    options: [], comment_allowed: true, asked_at: NOW, expires_at: "2026-12-02T10:00:00Z", state: "open", answered_at: null,
    score: null, label: null, tags: [], comment: null, ...over,
  };
}

type Route = (init?: RequestInit) => [number, unknown];

function serve(routes: Record<string, Route>): string[] {
  const calls: string[] = [];
  vi.stubGlobal("fetch", async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const key = `${init?.method ?? "GET"} ${url.pathname.replace("/api/v1", "")}`;
    calls.push(key);
    const [status, body] = routes[key]?.(init) ?? [404, { code: "not_found", detail: `no ${key}` }];
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  return calls;
}

async function show(conversation: ConversationView, role: "agent" | "supervisor" = "agent") {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/:p(.*)*", component: { template: "<div />" } }] });
  const pinia = createPinia();
  setActivePinia(pinia);
  const w = mount(ChatPanel, { props: { conversationId: conversation.id }, global: { plugins: [ElementPlus, i18n, pinia, router] } });
  useSession().account = me(role, { name: "Ada" });
  useConversations().byId[conversation.id] = conversation;
  await flushPromises();
  await flushPromises();
  return w;
}

afterEach(() => vi.unstubAllGlobals());

describe("ChatPanel's satisfaction", () => {
  it("lets the conversation's agent ask once, then the button is gone", async () => {
    let messages = [text];
    const calls = serve({
      "GET /conversations/5/messages": () => [200, { messages, last_seq: messages.length, has_more: false }],
      "GET /conversations/5/notes": () => [200, []],
      "GET /conversations/5/survey": () => [404, { code: "no_survey", detail: "no survey" }],
      "POST /conversations/5/survey": () => {
        messages = [text, asked];
        return [201, survey()];
      },
    });
    const w = await show(view());
    expect(w.find("[data-test=chat-rating]").exists()).toBe(false);
    await w.get("[data-test=request-survey]").trigger("click");
    await flushPromises();
    expect(calls).toContain("POST /conversations/5/survey");
    expect(w.find("[data-test=request-survey]").exists()).toBe(false);
  });

  it("shows the answer on its own scale with its tags and comment, and no button", async () => {
    serve({
      "GET /conversations/5/messages": () => [200, { messages: [text, asked], last_seq: 2, has_more: false }],
      "GET /conversations/5/notes": () => [200, []],
      "GET /conversations/5/survey": () => [200, survey({ state: "answered", score: 1, label: "不满意", tags: ["回复慢"], comment: "等了很久" })],
    });
    const w = await show(view({ status: "closed", rating_score: 1, rating_comment: "等了很久" }));
    const rating = w.get("[data-test=chat-rating]");
    expect(rating.get("[data-test=chat-rating-score]").text()).toBe("不满意（1/3）");
    expect(rating.findAll("[data-test=chat-rating-tag]").map((t) => t.text())).toEqual(["回复慢"]);
    expect(rating.text()).toContain("等了很久");
    expect(w.get("[data-test=survey-line]").text()).toContain("已邀请客户评价（3 级 · 按钮）");
    expect(w.find("[data-test=request-survey]").exists()).toBe(false);
  });

  it("offers no button to another agent or on the phone", async () => {
    serve({
      "GET /conversations/5/messages": () => [200, { messages: [text], last_seq: 1, has_more: false }],
      "GET /conversations/5/notes": () => [200, []],
      "GET /conversations/5/survey": () => [404, { code: "no_survey", detail: "no survey" }],
    });
    let w = await show(view({ assignee_id: 7 }));
    expect(w.find("[data-test=request-survey]").exists()).toBe(false);
    w.unmount();
    w = await show(view({ channel: "phone" }), "supervisor");
    expect(w.find("[data-test=request-survey]").exists()).toBe(false);
  });
});

describe("ChatPanel's history", () => {
  it("says when the history could not be read and reads it again on retry", async () => {
    let up = false;
    serve({
      "GET /conversations/5/messages": () => (up ? [200, { messages: [text], last_seq: 1, has_more: false }] : [503, { code: "unavailable", detail: "starting" }]),
      "GET /conversations/5/notes": () => [200, []],
      "GET /conversations/5/survey": () => [404, { code: "no_survey", detail: "no survey" }],
    });
    const w = await show(view({ last_seq: 1 }));
    expect(w.get("[data-test=timeline-error]").text()).toContain("starting");
    expect(w.findAll("[data-test=message]")).toHaveLength(0);
    up = true;
    await w.get("[data-test=timeline-retry]").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=timeline-error]").exists()).toBe(false);
    expect(w.get("[data-test=message]").text()).toContain("我的快递到哪了");
  });
});
