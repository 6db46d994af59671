// Delivery states in the store: GET /conversations/{id}/deliveries when a conversation on an
// adapter's channel opens, and delivery.updated frames, in whatever order they arrive; and a
// send the channel's reply window refused.
import { flushPromises } from "@vue/test-utils";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ConversationView } from "@/api/types";
import Composer from "@/components/workbench/Composer.vue";
import DeliveryBadge from "@/components/workbench/DeliveryBadge.vue";
import { mountWithApp } from "@/test/mount";
import { me } from "@/test/session";

import { windowPassed } from "./channelTypes";
import { useConversations } from "./conversations";
import { useSession } from "./session";

function view(id: number, channel: string): ConversationView {
  return {
    id, contact_id: 100, contact_name: null, channel, status: "open", assignee_id: 1, group_id: null, priority: 0,
    with_bot: false, last_seq: 2, created_at: "2026-12-01T09:00:00Z", last_message_at: "2026-12-01T09:00:00Z",
    last_contact_message_at: null, last_agent_message_at: null, closed_at: null, unread_count: 0, read_seq: 2,
  } as ConversationView;
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  setActivePinia(createPinia());
  useSession().account = me("agent", { email: "a@x", name: "A" });
});
afterEach(() => vi.unstubAllGlobals());

describe("deliveries", () => {
  it("load with the conversation; a frame that overtakes the REST answer is kept", async () => {
    const store = useConversations();
    store.byId[7] = view(7, "api");
    let answerDeliveries: (r: Response) => void = () => {};
    const fetched: string[] = [];
    vi.stubGlobal("fetch", (url: string) => {
      fetched.push(url);
      if (url.includes("/deliveries")) return new Promise<Response>((resolve) => (answerDeliveries = resolve));
      if (url.includes("/notes")) return Promise.resolve(json([]));
      return Promise.resolve(json({ messages: [], has_more: false }));
    });
    await store.loadTimeline(7);
    expect(fetched.some((u) => u.endsWith("/conversations/7/deliveries"))).toBe(true);
    store.applyDeliveryFrame({ conversation_id: 7, message_id: 31, status: "sent" });
    answerDeliveries(json([
      { message_id: 30, status: "failed", error: "HTTP 400: unknown user" },
      { message_id: 31, status: "pending", error: null },
    ]));
    await vi.waitFor(() => expect(store.deliveries[7]?.[30]).toBeDefined());
    expect(store.deliveries[7]![30]).toMatchObject({ status: "failed", error: "HTTP 400: unknown user" });
    expect(store.deliveries[7]![31]!.status).toBe("sent");
    store.applyDeliveryFrame({ conversation_id: 7, message_id: 32, status: "failed", error: "blocked" });
    expect(store.deliveries[7]![32]).toMatchObject({ status: "failed", error: "blocked" });
  });

  it("are not asked for on the widget's conversations", async () => {
    const store = useConversations();
    store.byId[8] = view(8, "web");
    const fetched: string[] = [];
    vi.stubGlobal("fetch", (url: string) => {
      fetched.push(url);
      return Promise.resolve(json(url.includes("/notes") ? [] : { messages: [], has_more: false }));
    });
    await store.loadTimeline(8);
    expect(fetched.some((u) => u.includes("/deliveries"))).toBe(false);
  });

  it("a failed delivery shows red with the channel's reason", () => {
    const w = mountWithApp(DeliveryBadge, { props: { delivery: { status: "failed", error: "<b>HTTP 400</b>", source: "frame" }, channel: "API" } });
    expect(w.find("[data-test=delivery]").attributes("data-status")).toBe("failed");
    expect(w.find("[data-test=delivery-failed]").attributes("title")).toBe("<b>HTTP 400</b>");
    expect(w.find("[data-test=delivery-error]").text()).toBe("<b>HTTP 400</b>");
    expect(w.find("b").exists()).toBe(false);
  });

  it("pending and sent", () => {
    let w = mountWithApp(DeliveryBadge, { props: { delivery: { status: "pending", error: null, source: "rest" }, channel: "API" } });
    expect(w.text()).toContain("🕓");
    w = mountWithApp(DeliveryBadge, { props: { delivery: { status: "sent", error: null, source: "frame" }, channel: "API" } });
    expect(w.text()).toContain("✓");
  });
});

describe("reply window", () => {
  it("a refused send is remembered for the composer until the customer writes again", () => {
    const store = useConversations();
    store.byId[9] = view(9, "wechat");
    store.addPending({ clientMsgId: "c1", conversationId: 9, content: { type: "text", text: "hi" }, state: "sending", createdAt: "" });
    store.failPending("c1", "the customer's last message is over 48 hours old", "reply_window_closed");
    expect(store.replyWindowClosed[9]).toBe("the customer's last message is over 48 hours old");
    expect(store.pendingFor(9)[0]).toMatchObject({ state: "failed", code: "reply_window_closed" });
    store.applyMessage(
      { id: 1, conversation_id: 9, seq: 3, sender: { type: "contact", id: 100 }, client_msg_id: null, content: { type: "text", text: "在吗" }, created_at: "2026-12-03T09:00:00Z" },
      { tabVisible: true },
    );
    expect(store.replyWindowClosed[9]).toBeUndefined();
  });

  it("other refusals do not claim the window closed", () => {
    const store = useConversations();
    store.addPending({ clientMsgId: "c2", conversationId: 9, content: { type: "text", text: "hi" }, state: "sending", createdAt: "" });
    store.failPending("c2", "too long", "too_large");
    expect(store.replyWindowClosed[9]).toBeUndefined();
  });
});

describe("reply window in the composer", () => {
  it("windowPassed: only for a channel with a window, after it", () => {
    const now = Date.parse("2026-12-03T10:00:00Z");
    expect(windowPassed("2026-12-01T09:00:00Z", 48 * 3600, now)).toBe(true);
    expect(windowPassed("2026-12-02T09:00:00Z", 48 * 3600, now)).toBe(false);
    expect(windowPassed("2026-12-01T09:00:00Z", null, now)).toBe(false);
    expect(windowPassed(null, 48 * 3600, now)).toBe(false);
  });

  it("shows the server's refusal prominently, and warns once the window has passed", async () => {
    vi.stubGlobal("fetch", (url: string) =>
      Promise.resolve(json(url.includes("/channels/types") ? [{ channel: "wechat", label: "WeChat", secret_fields: [], reply_window_s: 172800, config_schema: {} }] : [])),
    );
    const w = mountWithApp(Composer, { props: { conversationId: 9 } }); // its own Pinia
    const store = useConversations();
    store.byId[9] = { ...view(9, "wechat"), last_contact_message_at: "2020-01-01T00:00:00Z" };
    await flushPromises();
    expect(w.find("[data-test=reply-window-passed]").text()).toContain("48");
    store.replyWindowClosed[9] = "WeChat takes replies only within 48 hours of the customer's last message";
    await flushPromises();
    expect(w.find("[data-test=reply-window-passed]").exists()).toBe(false);
    expect(w.find("[data-test=reply-window-closed]").text()).toContain("WeChat takes replies only within 48 hours");
    w.unmount();
  });
});
