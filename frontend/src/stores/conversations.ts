// The agent's conversations: the lists (mine, the queues, all), each open conversation's
// timeline (messages by seq, internal notes, pending sends), unread counts, typing and
// suggestions. REST fills it; real-time frames keep it current; a reconnect resumes from
// the cursors and refreshes the lists, so nothing is lost or shown twice.
import { defineStore } from "pinia";
import { computed, reactive, ref } from "vue";

import type { Content } from "@/api/content";
import { api } from "@/api/http";
import type { Conversation, ConversationView, DeliveryState, Message, MessagePage, Note } from "@/api/types";
import { hasDeliveries } from "@/lib/channels";
import { applyDelivery, type DeliveryMap } from "@/lib/deliveries";
import { mergeMessages } from "@/lib/timeline";

import { useSession } from "./session";

export interface Pending {
  clientMsgId: string;
  conversationId: number;
  content: Content;
  state: "sending" | "failed";
  error?: string;
  /** The server's error code when it refused the message (e.g. reply_window_closed). */
  code?: string;
  createdAt: string;
}

export interface Timeline {
  messages: Message[];
  hasMore: boolean;
  loading: boolean;
  loaded: boolean;
  /** Why the first page could not be read (the panel offers to try again; a reconnect does). */
  error: string | null;
}

export interface Suggestion {
  entry_id: number;
  question: string;
  answer: Content[];
  confidence: number;
}

const PAGE = 50;

export const useConversations = defineStore("conversations", () => {
  const byId = reactive<Record<number, ConversationView>>({});
  const timelines = reactive<Record<number, Timeline>>({});
  const notes = reactive<Record<number, Note[]>>({});
  const pending = reactive<Record<string, Pending>>({});
  const typingUntil = reactive<Record<number, number>>({});
  const customerRead = reactive<Record<number, number>>({});
  const suggestions = reactive<Record<number, { seq: number; items: Suggestion[] }>>({});
  /** Per conversation: message id → how it went out on the channel. */
  const deliveries = reactive<Record<number, DeliveryMap>>({});
  /** Per conversation: the latest send the channel's reply window refused (its reason). */
  const replyWindowClosed = reactive<Record<number, string>>({});
  const activeId = ref<number | null>(null);
  const loadingLists = ref(false);
  const listError = ref<string | null>(null);

  const session = useSession();
  const me = computed(() => session.account?.id);

  const open = computed(() =>
    Object.values(byId)
      .filter((c) => c.status === "open")
      .sort((a, b) => b.last_message_at.localeCompare(a.last_message_at)),
  );
  const mine = computed(() => open.value.filter((c) => c.assignee_id === me.value));
  const queued = computed(() =>
    open.value
      .filter((c) => c.assignee_id === null && !c.with_bot)
      .sort((a, b) => b.priority - a.priority || a.created_at.localeCompare(b.created_at)),
  );
  const withBot = computed(() => open.value.filter((c) => c.assignee_id === null && c.with_bot));
  const active = computed(() => (activeId.value === null ? null : (byId[activeId.value] ?? null)));
  const unreadTotal = computed(() => mine.value.reduce((n, c) => n + (c.unread_count ?? 0), 0));

  /** A fetched view replaces what the list holds, except that it never moves the last seq
   * back: a fetch that started before a message arrived answers with the older one. */
  function upsert(view: ConversationView): void {
    const known = byId[view.id];
    if (known && known.last_seq > view.last_seq) {
      byId[view.id] = { ...view, last_seq: known.last_seq, last_message_at: known.last_message_at };
    } else byId[view.id] = view;
  }

  /** A conversation.updated frame: the lists move at once (a claim takes it out of the
   * others' queues, a close out of everyone's "mine"). */
  function applyConversation(conversation: Conversation): void {
    const known = byId[conversation.id];
    const visibleToMe =
      session.canIn("conversations.monitor", conversation.group_id) ||
      conversation.assignee_id === null ||
      conversation.assignee_id === me.value;
    if (!visibleToMe && conversation.id !== activeId.value) {
      delete byId[conversation.id];
      return;
    }
    byId[conversation.id] = {
      ...conversation,
      unread_count: known?.unread_count ?? 0,
      read_seq: known?.read_seq ?? 0,
    };
  }

  async function loadLists(): Promise<void> {
    loadingLists.value = true;
    listError.value = null;
    try {
      const lists = await Promise.all([
        api.get<ConversationView[]>("/conversations", { status: "open", assigned: "me", limit: 200 }),
        api.get<ConversationView[]>("/conversations", {
          status: "open",
          assigned: "unassigned",
          limit: 200,
        }),
        session.can("conversations.monitor")
          ? api.get<ConversationView[]>("/conversations", { status: "open", limit: 200 })
          : Promise.resolve([] as ConversationView[]),
      ]);
      const seen = new Set<number>();
      for (const list of lists) {
        for (const c of list) {
          upsert(c);
          seen.add(c.id);
        }
      }
      // Whatever was open here and is no longer listed was closed or taken while away.
      for (const id of Object.keys(byId).map(Number)) {
        const c = byId[id];
        if (c && c.status === "open" && !seen.has(id) && id !== activeId.value) delete byId[id];
      }
    } catch (e) {
      listError.value = (e as Error).message;
    } finally {
      loadingLists.value = false;
    }
  }

  async function fetchConversation(id: number): Promise<ConversationView | null> {
    try {
      const view = await api.get<ConversationView>(`/conversations/${id}`);
      upsert(view);
      return view;
    } catch {
      return null;
    }
  }

  function timeline(id: number): Timeline {
    if (!timelines[id]) timelines[id] = { messages: [], hasMore: true, loading: false, loaded: false, error: null };
    return timelines[id]!; // the reactive one: what is written to it reaches the panel
  }

  /** The newest page of a conversation, then notes: what opening it in the chat panel shows. */
  async function loadTimeline(id: number): Promise<void> {
    const t = timeline(id);
    if (t.loaded || t.loading) return;
    t.loading = true;
    t.error = null;
    try {
      const c = byId[id] ?? (await fetchConversation(id));
      const before = (c?.last_seq ?? 0) + 1;
      const [page, noteList] = await Promise.all([
        api.get<MessagePage>(`/conversations/${id}/messages`, { before_seq: before, limit: PAGE }),
        api.get<Note[]>(`/conversations/${id}/notes`).catch(() => [] as Note[]),
      ]);
      let messages = page.messages;
      // The list's last seq may be behind the database (the conversation came from a live
      // frame or a fetch older than its newest message): the page says how far it really goes.
      let shown = messages[messages.length - 1]?.seq ?? before - 1;
      while (page.last_seq > shown) {
        const rest = await api.get<MessagePage>(`/conversations/${id}/messages`, { after_seq: shown, limit: PAGE });
        if (!rest.messages.length) break;
        messages = messages.concat(rest.messages);
        shown = rest.messages[rest.messages.length - 1]!.seq;
        if (!rest.has_more) break;
      }
      t.messages = mergeMessages(t.messages, messages);
      t.hasMore = page.has_more;
      t.loaded = true;
      const known = byId[id];
      if (known && shown > known.last_seq) known.last_seq = shown;
      notes[id] = noteList;
      if (hasDeliveries(c?.channel)) void loadDeliveries(id);
    } catch (e) {
      // What arrived live meanwhile stays; the rest comes with the next try.
      t.error = (e as Error).message;
    } finally {
      t.loading = false;
    }
  }

  /** After a reconnect: every timeline whose first page failed (the server went away while
   * it loaded) is read again, so the panel never stays with only the live messages. */
  function reloadFailed(): Promise<void[]> {
    const failed = Object.keys(timelines)
      .map(Number)
      .filter((id) => {
        const t = timelines[id];
        return !!t && !t.loaded && !t.loading && t.error !== null;
      });
    return Promise.all(failed.map((id) => loadTimeline(id)));
  }

  /** How this conversation's replies went out (frames that came meanwhile are kept). */
  async function loadDeliveries(id: number): Promise<void> {
    let states: DeliveryState[];
    try {
      states = await api.get<DeliveryState[]>(`/conversations/${id}/deliveries`);
    } catch {
      return; // the frames still bring what changes from now on
    }
    const map = deliveries[id] ?? (deliveries[id] = {});
    for (const s of states) applyDelivery(map, s.message_id, s.status, s.error, "rest");
  }

  /** After a reconnect: the frames missed while away are not replayed, so read the states
   * of every open timeline on an adapter's channel again. */
  function refreshDeliveries(): void {
    for (const id of Object.keys(timelines).map(Number)) {
      if (timelines[id]?.loaded && hasDeliveries(byId[id]?.channel)) void loadDeliveries(id);
    }
  }

  /** A delivery.updated frame. */
  function applyDeliveryFrame(f: { conversation_id: number; message_id: number; status: string; error?: string | null }): void {
    const map = deliveries[f.conversation_id] ?? (deliveries[f.conversation_id] = {});
    applyDelivery(map, f.message_id, f.status, f.error, "frame");
  }

  /** Scrolling back: the page just before the oldest message shown. */
  async function loadEarlier(id: number): Promise<void> {
    const t = timeline(id);
    const oldest = t.messages[0]?.seq;
    if (!t.hasMore || t.loading || oldest === undefined || oldest <= 1) {
      t.hasMore = t.hasMore && (oldest ?? 0) > 1;
      return;
    }
    t.loading = true;
    try {
      const page = await api.get<MessagePage>(`/conversations/${id}/messages`, {
        before_seq: oldest,
        limit: PAGE,
      });
      t.messages = mergeMessages(t.messages, page.messages);
      t.hasMore = page.has_more;
    } finally {
      t.loading = false;
    }
  }

  /** A message from the socket (live or resumed): placed by seq, once. */
  function applyMessage(message: Message, { tabVisible }: { tabVisible: boolean }): boolean {
    const id = message.conversation_id;
    const t = timelines[id];
    // While its first page is loading too: a message that arrives meanwhile may be newer
    // than what the page asked for, and must not fall between the two.
    if (t?.loaded || t?.loading) t.messages = mergeMessages(t.messages, [message]);
    if (message.client_msg_id) {
      for (const [key, p] of Object.entries(pending)) {
        if (p.clientMsgId === message.client_msg_id && p.conversationId === id) delete pending[key];
      }
    }
    const c = byId[id];
    if (!c) {
      void fetchConversation(id);
      return message.sender.type === "contact";
    }
    const isNew = message.seq > c.last_seq;
    if (isNew) {
      c.last_seq = message.seq;
      c.last_message_at = message.created_at;
    }
    const fromCustomer = message.sender.type === "contact";
    // The customer wrote again (or a reply got through): the reply window is open.
    if (fromCustomer || message.sender.type === "agent") delete replyWindowClosed[id];
    if (fromCustomer && isNew) {
      c.last_contact_message_at = message.created_at;
      delete typingUntil[id];
      if (id === activeId.value && tabVisible) c.read_seq = message.seq;
      else if (message.seq > c.read_seq) c.unread_count = (c.unread_count ?? 0) + 1;
    }
    if (message.sender.type === "agent" && isNew) c.last_agent_message_at = message.created_at;
    const content = message.content;
    if (content.type === "event" && ["assigned", "transferred", "closed", "handoff"].includes(content.event)) {
      void fetchConversation(id);
    }
    return fromCustomer && isNew;
  }

  function applyNote(note: Note): void {
    const list = notes[note.conversation_id];
    if (!list) return; // not open here: it loads with the timeline
    if (!list.some((n) => n.id === note.id)) list.push(note);
  }

  function markRead(id: number): number | null {
    const c = byId[id];
    if (!c) return null;
    c.unread_count = 0;
    if (c.last_seq > c.read_seq) {
      c.read_seq = c.last_seq;
      return c.last_seq;
    }
    return null;
  }

  function addPending(p: Pending): void {
    pending[p.clientMsgId] = p;
  }

  function failPending(clientMsgId: string, error: string, code?: string): void {
    const p = pending[clientMsgId];
    if (p) {
      p.state = "failed";
      p.error = error;
      p.code = code;
      if (code === "reply_window_closed") replyWindowClosed[p.conversationId] = error;
    }
  }

  function dropPending(clientMsgId: string): void {
    delete pending[clientMsgId];
  }

  function pendingFor(id: number): Pending[] {
    return Object.values(pending)
      .filter((p) => p.conversationId === id)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async function addNote(id: number, text: string): Promise<void> {
    const note = await api.post<Note>(`/conversations/${id}/notes`, { text });
    if (!notes[id]) notes[id] = [];
    applyNote(note);
  }

  async function claim(id: number): Promise<void> {
    upsert({ ...(await api.post<ConversationView>(`/conversations/${id}/claim`)), unread_count: byId[id]?.unread_count ?? 0, read_seq: byId[id]?.read_seq ?? 0 });
  }

  async function transfer(id: number, target: { agent_id?: number; group_id?: number }, note: string): Promise<void> {
    await api.post(`/conversations/${id}/transfer`, { ...target, note: note || undefined });
    await fetchConversation(id);
  }

  async function close(id: number, reason: string): Promise<void> {
    const closed = await api.post<Conversation>(`/conversations/${id}/close`, { reason: reason || undefined });
    applyConversation(closed);
  }

  function setTyping(id: number, state: string): void {
    if (state === "stop") delete typingUntil[id];
    else typingUntil[id] = Date.now() + 6000;
  }

  function setSuggestions(id: number, seq: number, items: Suggestion[]): void {
    suggestions[id] = { seq, items };
  }

  function cursors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of Object.values(byId)) {
      const t = timelines[c.id];
      // A loaded timeline resumes from what it shows; the rest from the list's last seq.
      const shown = t?.loaded ? (t.messages[t.messages.length - 1]?.seq ?? 0) : c.last_seq;
      out[String(c.id)] = shown;
    }
    return out;
  }

  return {
    byId,
    timelines,
    notes,
    deliveries,
    replyWindowClosed,
    typingUntil,
    customerRead,
    suggestions,
    activeId,
    loadingLists,
    listError,
    open,
    mine,
    queued,
    withBot,
    active,
    unreadTotal,
    applyConversation,
    applyMessage,
    applyNote,
    applyDeliveryFrame,
    loadDeliveries,
    refreshDeliveries,
    loadLists,
    fetchConversation,
    timeline,
    loadTimeline,
    reloadFailed,
    loadEarlier,
    markRead,
    addPending,
    failPending,
    dropPending,
    pendingFor,
    addNote,
    claim,
    transfer,
    close,
    setTyping,
    setSuggestions,
    cursors,
  };
});
