// The agent's real-time connection (the SDK over /ws/agent, docs/protocol.md): frames go to
// the stores; sends go through the SDK's outbox, so a flaky network neither loses nor
// repeats a message — it resends with the same client_msg_id after reconnecting, resumes
// every conversation from its cursor, and the lists are read again.
import { HuiliuClient, HuiliuError, type ConnectionState } from "@huiliu/sdk";
import { defineStore } from "pinia";
import { ref } from "vue";

import type { Content } from "@/api/content";
import type { Conversation, Message, Note } from "@/api/types";
import { i18n } from "@/i18n";
import { askPermission, notifyHidden } from "@/lib/notify";
import { router } from "@/router";

import { useConversations, type Suggestion } from "./conversations";
import { useDirectory } from "./directory";
import { useMonitor, type GroupStats } from "./monitor";
import { useSession } from "./session";
import { useTickets } from "./tickets";

export const useRealtime = defineStore("realtime", () => {
  const state = ref<ConnectionState>("idle");
  const lastError = ref<string | null>(null);
  let client: HuiliuClient | null = null;
  let offs: (() => void)[] = [];

  const session = useSession();
  const conversations = useConversations();
  const monitor = useMonitor();
  const directory = useDirectory();
  const tickets = useTickets();
  const t = i18n.global.t as (key: string) => string;

  function socketUrl(): string {
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${window.location.host}/ws/agent`;
  }

  function follow(): void {
    if (!client) return;
    for (const [id, seq] of Object.entries(conversations.cursors())) client.follow(Number(id), seq);
  }

  function start(): void {
    if (client || !session.token) return;
    askPermission();
    const c = new HuiliuClient({
      url: socketUrl(),
      token: () => session.token ?? "",
      storage: window.sessionStorage,
      storageKey: `huiliu.outbox.agent.${session.account?.id ?? 0}`,
    });
    client = c;
    offs = [
      c.on("state", (change) => {
        state.value = change.state;
        if (change.error) {
          lastError.value = change.error.detail;
          if (["invalid_token", "wrong_endpoint"].includes(change.error.code)) {
            session.logout();
            void router.push({ path: "/login", query: { expired: "1" } });
          }
        }
      }),
      c.on("hello", () => {
        // After every (re)connect: what changed while away (assignments, closes) and every
        // conversation followed from where this page stands.
        void conversations.loadLists().then(follow);
        void conversations.reloadFailed();
        conversations.refreshDeliveries();
        if (router.currentRoute.value.name === "tickets") void tickets.load();
        void session.refresh().catch(() => undefined);
      }),
      c.on("message", (m) => onMessage(m as unknown as Message)),
      c.on("sending", (p) => {
        if (p.conversationId === undefined) return;
        conversations.addPending({
          clientMsgId: p.clientMsgId,
          conversationId: p.conversationId,
          content: p.content as Content,
          state: "sending",
          createdAt: new Date(p.createdAt).toISOString(),
        });
      }),
      c.on("ack", (ack) => {
        const t = conversations.timelines[ack.conversation_id];
        if (!t?.loaded && ack.client_msg_id) conversations.dropPending(ack.client_msg_id);
      }),
      c.on("conversation", (conv) => onConversation(conv as unknown as Conversation)),
      c.on("typing", (f) => {
        if (f.sender.type === "contact") conversations.setTyping(f.conversation_id, f.state);
      }),
      c.on("read", (f) => {
        if (f.reader.type === "contact") conversations.customerRead[f.conversation_id] = f.seq;
      }),
      c.on("suggestions", (f) =>
        conversations.setSuggestions(f.conversation_id, f.seq, f.suggestions as unknown as Suggestion[]),
      ),
      c.on("queue.stats", (f) => monitor.applyStats(f.groups as unknown as Omit<GroupStats, "receivedAt">[])),
      c.on("note", (note) => conversations.applyNote(note as unknown as Note)),
      c.on("delivery", (f) => conversations.applyDeliveryFrame(f)),
      c.on("frame", (f) => {
        if ((f as { type?: string }).type === "ticket.updated") tickets.applyFrame(f as { ticket?: unknown });
      }),
      c.on("error", (e) => {
        if (!e.clientMsgId) lastError.value = e.detail;
      }),
    ];
    c.connect();
  }

  function stop(): void {
    for (const off of offs) off();
    offs = [];
    client?.close();
    client = null;
    state.value = "idle";
  }

  function onMessage(message: Message): void {
    const visible = document.visibilityState === "visible";
    const fromCustomer = conversations.applyMessage(message, { tabVisible: visible });
    const conversation = conversations.byId[message.conversation_id];
    if (fromCustomer && conversation?.assignee_id === session.account?.id) {
      notifyHidden(directory.contactLabel(conversation ?? null), t("notify.message"), () =>
        router.push(`/workbench/${message.conversation_id}`),
      );
    }
  }

  function onConversation(conversation: Conversation): void {
    const before = conversations.byId[conversation.id];
    conversations.applyConversation(conversation);
    client?.follow(conversation.id, before ? 0 : conversation.last_seq);
    const mineNow = conversation.assignee_id === session.account?.id && conversation.status === "open";
    if (mineNow && before?.assignee_id !== conversation.assignee_id) {
      notifyHidden(directory.contactLabel(conversations.byId[conversation.id] ?? null), t("notify.conversation"), () =>
        router.push(`/workbench/${conversation.id}`),
      );
    }
  }

  /** Sends a message; it shows as pending until stored, and stays failed (with the reason)
   * if the server refuses it. */
  function send(conversationId: number, content: Content): void {
    if (!client) return;
    client.send(content, { conversationId }).catch((e: unknown) => {
      if (e instanceof HuiliuError && e.clientMsgId) conversations.failPending(e.clientMsgId, e.detail, e.code);
    });
  }

  function retry(clientMsgId: string): void {
    const p = Object.values(conversations.pendingFor(conversations.activeId ?? -1)).find(
      (x) => x.clientMsgId === clientMsgId,
    );
    if (!p || !client) return;
    conversations.dropPending(clientMsgId);
    send(p.conversationId, p.content);
  }

  function typing(conversationId: number, s: "start" | "stop"): void {
    client?.typing(conversationId, s);
  }

  function read(conversationId: number, seq: number): void {
    client?.read(conversationId, seq);
  }

  return { state, lastError, start, stop, send, retry, typing, read };
});
