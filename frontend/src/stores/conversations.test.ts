import { createPinia, setActivePinia } from "pinia";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { ConversationView, Message } from "@/api/types";
import { me } from "@/test/session";

import { useConversations } from "./conversations";
import { useSession } from "./session";

function view(id: number, over: Partial<ConversationView> = {}): ConversationView {
  return {
    id,
    contact_id: 100 + id,
    contact_name: null,
    channel: "web",
    status: "open",
    assignee_id: 1,
    group_id: null,
    priority: 0,
    with_bot: false,
    last_seq: 3,
    created_at: "2026-12-01T09:00:00Z",
    last_message_at: "2026-12-01T09:00:00Z",
    last_contact_message_at: null,
    last_agent_message_at: null,
    closed_at: null,
    unread_count: 0,
    read_seq: 3,
    ...over,
  } as ConversationView;
}

function message(conversationId: number, seq: number, sender: "contact" | "agent" = "contact"): Message {
  return {
    id: conversationId * 1000 + seq,
    conversation_id: conversationId,
    seq,
    sender: { type: sender, id: sender === "contact" ? 100 + conversationId : 1 },
    client_msg_id: null,
    content: { type: "text", text: `m${seq}` },
    created_at: `2026-12-01T09:00:${String(seq).padStart(2, "0")}Z`,
  };
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

describe("conversations store", () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    const session = useSession();
    session.account = me("agent", { email: "a@x", name: "A" });
  });

  it("counts a customer's new message as unread unless the conversation is open and seen", () => {
    const store = useConversations();
    store.byId[1] = view(1);
    store.byId[2] = view(2);
    store.activeId = 2;
    store.applyMessage(message(1, 4), { tabVisible: true });
    store.applyMessage(message(2, 4), { tabVisible: true });
    expect(store.byId[1]!.unread_count).toBe(1);
    expect(store.byId[2]!.unread_count).toBe(0);
    store.applyMessage(message(2, 5), { tabVisible: false });
    expect(store.byId[2]!.unread_count).toBe(1);
  });

  it("counts a message delivered twice (a resume after a drop) once", () => {
    const store = useConversations();
    store.byId[1] = view(1);
    store.timelines[1] = { messages: [], hasMore: false, loading: false, loaded: true, error: null };
    store.applyMessage(message(1, 4), { tabVisible: true });
    store.applyMessage(message(1, 4), { tabVisible: true });
    expect(store.byId[1]!.unread_count).toBe(1);
    expect(store.timelines[1]!.messages.map((m) => m.seq)).toEqual([4]);
  });

  it("keeps a message that arrives while the conversation's first page is loading", async () => {
    const store = useConversations();
    store.byId[1] = view(1, { last_seq: 3 });
    let answer: (value: Response) => void = () => {};
    const fetches: string[] = [];
    vi.stubGlobal("fetch", (url: string) => {
      fetches.push(url);
      if (url.includes("/notes")) return Promise.resolve(json([]));
      return new Promise<Response>((resolve) => (answer = resolve));
    });
    const loading = store.loadTimeline(1);
    await Promise.resolve();
    store.applyMessage(message(1, 4), { tabVisible: true }); // arrives before the page
    answer(json({ messages: [message(1, 2), message(1, 3)], last_seq: 3, has_more: true }));
    await loading;
    expect(store.timelines[1]!.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(fetches[0]).toContain("before_seq=4");
    vi.unstubAllGlobals();
  });

  it("loads messages newer than a list that is behind, and never moves the last seq back", async () => {
    const store = useConversations();
    // The conversation came from its opening frame (seq 1); the first reply, seq 2, was
    // stored before the timeline opened, and its frame came before the conversation was known.
    store.byId[1] = view(1, { last_seq: 1, read_seq: 1 });
    const fetches: string[] = [];
    vi.stubGlobal("fetch", (url: string) => {
      fetches.push(url);
      if (url.includes("/notes")) return Promise.resolve(json([]));
      if (url.endsWith("/conversations/1")) return Promise.resolve(json(view(1, { last_seq: 1 })));
      if (url.includes("after_seq=1")) return Promise.resolve(json({ messages: [message(1, 2, "agent")], last_seq: 2, has_more: false }));
      return Promise.resolve(json({ messages: [message(1, 1)], last_seq: 2, has_more: false }));
    });
    await store.loadTimeline(1);
    expect(store.timelines[1]!.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(fetches[0]).toContain("before_seq=2");
    expect(store.byId[1]!.last_seq).toBe(2);
    await store.fetchConversation(1); // a fetch that started before seq 2 answers late
    expect(store.byId[1]!.last_seq).toBe(2);
    vi.unstubAllGlobals();
  });

  it("reads a first page that failed again after a reconnect, keeping what came live", async () => {
    const store = useConversations();
    store.byId[1] = view(1, { last_seq: 3 });
    let up = false;
    vi.stubGlobal("fetch", (url: string) => {
      if (!up) return Promise.reject(new TypeError("Failed to fetch")); // the server went away
      if (url.includes("/notes")) return Promise.resolve(json([]));
      if (url.includes("after_seq=3")) return Promise.resolve(json({ messages: [message(1, 4)], last_seq: 4, has_more: false }));
      return Promise.resolve(json({ messages: [message(1, 1), message(1, 2), message(1, 3)], last_seq: 4, has_more: false }));
    });
    const loading = store.loadTimeline(1);
    store.applyMessage(message(1, 4), { tabVisible: true }); // live, while the page is asked for
    await loading;
    const t = store.timelines[1]!;
    expect(t.loaded).toBe(false);
    expect(t.error).toMatch(/cannot be reached/);
    expect(t.messages.map((m) => m.seq)).toEqual([4]);

    up = true;
    await store.reloadFailed(); // what the hello after the reconnect does
    expect(t.loaded).toBe(true);
    expect(t.error).toBeNull();
    expect(t.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    await store.reloadFailed(); // a loaded timeline is not read again
    expect(t.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    vi.unstubAllGlobals();
  });

  it("replaces a pending message with the stored one", () => {
    const store = useConversations();
    store.byId[1] = view(1);
    store.addPending({ clientMsgId: "c1", conversationId: 1, content: { type: "text", text: "hi" }, state: "sending", createdAt: "" });
    expect(store.pendingFor(1)).toHaveLength(1);
    store.applyMessage({ ...message(1, 4, "agent"), client_msg_id: "c1" }, { tabVisible: true });
    expect(store.pendingFor(1)).toHaveLength(0);
  });

  it("moves a conversation out of an agent's lists when a colleague takes it", () => {
    const store = useConversations();
    store.byId[5] = view(5, { assignee_id: null });
    expect(store.queued.map((c) => c.id)).toEqual([5]);
    const { unread_count: _u, read_seq: _r, ...taken } = view(5, { assignee_id: 2 });
    store.applyConversation(taken);
    expect(store.byId[5]).toBeUndefined();
    expect(store.queued).toHaveLength(0);
  });

  it("keeps mine and the queue apart and orders the queue by priority then arrival", () => {
    const store = useConversations();
    store.byId[1] = view(1);
    store.byId[2] = view(2, { assignee_id: null, created_at: "2026-12-01T08:00:00Z" });
    store.byId[3] = view(3, { assignee_id: null, priority: 5, created_at: "2026-12-01T08:30:00Z" });
    store.byId[4] = view(4, { assignee_id: null, with_bot: true });
    expect(store.mine.map((c) => c.id)).toEqual([1]);
    expect(store.queued.map((c) => c.id)).toEqual([3, 2]);
    expect(store.withBot.map((c) => c.id)).toEqual([4]);
  });
});
