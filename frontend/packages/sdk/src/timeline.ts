import type { HuiliuError } from "./errors";
import type { PendingMessage } from "./outbox";
import type { Ack, Content, MessageOut } from "./types";

export type TimelineItem =
  | {
      kind: "message";
      /** Stable across the pending → stored swap of your own message. */
      key: string;
      seq: number;
      message: MessageOut;
    }
  | {
      kind: "pending";
      key: string;
      /** Known once acknowledged; the item then sits at its place. */
      seq: number | null;
      clientMsgId: string;
      content: Content;
      createdAt: number;
      /** sending: no ack yet; acked: stored, its message.new not here yet; failed: refused. */
      status: "sending" | "acked" | "failed";
      error?: HuiliuError;
    };

type PendingItem = Extract<TimelineItem, { kind: "pending" }>;

/** What Timeline.bind() needs of a client (HuiliuClient fits). */
export interface TimelineSource {
  on(type: "message", handler: (message: MessageOut) => void): () => void;
  on(type: "sending", handler: (message: PendingMessage) => void): () => void;
  on(type: "ack", handler: (ack: Ack) => void): () => void;
  on(type: "error", handler: (error: HuiliuError) => void): () => void;
}

/**
 * One conversation for a UI: stored messages in seq order without duplicates, and your own
 * messages shown from the moment they are sent — pending until acknowledged, then at their
 * seq, then replaced by the stored message. Without a conversation id (a visitor before
 * its first message) it adopts the conversation of the first ack or message it gets.
 */
export class Timeline {
  private cid: number | null;
  private readonly stored = new Map<number, TimelineItem & { kind: "message" }>(); // by id
  private readonly bySeq = new Map<number, number>(); // seq → message id
  private readonly pendings = new Map<string, PendingItem>(); // by client_msg_id
  private readonly ackedIds = new Map<number, string>(); // message id → client_msg_id
  private readonly listeners = new Set<(items: readonly TimelineItem[]) => void>();
  private cache: readonly TimelineItem[] | null = null;
  private order = 0;
  private readonly arrival = new Map<string, number>();

  constructor(conversationId?: number) {
    this.cid = conversationId ?? null;
  }

  get conversationId(): number | null {
    return this.cid;
  }

  /** The highest stored seq (0 when empty). */
  get lastSeq(): number {
    let last = 0;
    for (const seq of this.bySeq.keys()) if (seq > last) last = seq;
    return last;
  }

  /** Adds a stored message; false if it is another conversation's or already here. */
  add(message: MessageOut): boolean {
    if (!this.accepts(message.conversation_id)) return false;
    if (this.stored.has(message.id) || this.bySeq.has(message.seq)) return false;
    this.cid = message.conversation_id;
    const own =
      this.ackedIds.get(message.id) ??
      (message.client_msg_id != null && this.pendings.has(message.client_msg_id) ? message.client_msg_id : undefined);
    if (own !== undefined) {
      this.pendings.delete(own);
      this.ackedIds.delete(message.id);
    }
    const key = own !== undefined ? `c:${own}` : `m:${message.id}`;
    this.stored.set(message.id, { kind: "message", key, seq: message.seq, message });
    this.bySeq.set(message.seq, message.id);
    this.changed();
    return true;
  }

  /** Shows a message of yours before the server has it. */
  addPending(message: PendingMessage): boolean {
    if (message.conversationId !== undefined && !this.accepts(message.conversationId)) return false;
    if (this.pendings.has(message.clientMsgId)) return false;
    this.pendings.set(message.clientMsgId, {
      kind: "pending",
      key: `c:${message.clientMsgId}`,
      seq: null,
      clientMsgId: message.clientMsgId,
      content: message.content,
      createdAt: message.createdAt,
      status: "sending",
    });
    this.arrival.set(message.clientMsgId, this.order++);
    this.changed();
    return true;
  }

  /** A pending message was stored: it moves to its seq until the stored copy arrives. */
  ack(ack: Ack): boolean {
    const id = ack.client_msg_id;
    const item = id == null ? undefined : this.pendings.get(id);
    if (!item || !this.accepts(ack.conversation_id)) return false;
    this.cid = ack.conversation_id;
    if (this.stored.has(ack.message_id)) {
      this.pendings.delete(item.clientMsgId); // the stored copy came first
    } else {
      this.pendings.set(item.clientMsgId, { ...item, seq: ack.seq, status: "acked" });
      this.ackedIds.set(ack.message_id, item.clientMsgId);
    }
    this.changed();
    return true;
  }

  /** The server refused a pending message: it stays, marked failed, until removed. */
  fail(clientMsgId: string, error: HuiliuError): boolean {
    const item = this.pendings.get(clientMsgId);
    if (!item) return false;
    this.pendings.set(clientMsgId, { ...item, status: "failed", error });
    this.changed();
    return true;
  }

  remove(clientMsgId: string): boolean {
    const removed = this.pendings.delete(clientMsgId);
    if (removed) this.changed();
    return removed;
  }

  /** Stored and acknowledged items by seq, then unacknowledged ones in the order sent. */
  items(): readonly TimelineItem[] {
    if (this.cache) return this.cache;
    const placed: TimelineItem[] = [...this.stored.values()];
    const waiting: PendingItem[] = [];
    for (const item of this.pendings.values()) {
      if (item.seq !== null) placed.push(item);
      else waiting.push(item);
    }
    placed.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    waiting.sort((a, b) => (this.arrival.get(a.clientMsgId) ?? 0) - (this.arrival.get(b.clientMsgId) ?? 0));
    this.cache = Object.freeze([...placed, ...waiting]);
    return this.cache;
  }

  /** Called with the items after every change; returns the unsubscribe. */
  subscribe(listener: (items: readonly TimelineItem[]) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Feeds the timeline from a client's events; returns the unsubscribe. */
  bind(client: TimelineSource): () => void {
    const offs = [
      client.on("message", (m) => this.add(m)),
      client.on("sending", (m) => this.addPending(m)),
      client.on("ack", (a) => this.ack(a)),
      client.on("error", (e) => {
        if (e.clientMsgId !== null) this.fail(e.clientMsgId, e);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  private accepts(conversationId: number): boolean {
    return this.cid === null || this.cid === conversationId;
  }

  private changed(): void {
    this.cache = null;
    if (this.listeners.size === 0) return;
    const items = this.items();
    for (const listener of [...this.listeners]) listener(items);
  }
}
