import type { Cursors, MessageOut } from "./types";

export type Accepted =
  | { kind: "deliver"; messages: MessageOut[] }
  | { kind: "duplicate" }
  | { kind: "gap"; cursor: number };

/**
 * Per conversation, the last seq delivered to the app, advanced only contiguously. Messages
 * past a gap wait here until the gap is filled; seqs at or below the cursor are duplicates.
 * A conversation with no cursor starts at the first message seen of it.
 */
export class Sequencer {
  private readonly cursors = new Map<number, number>();
  private readonly held = new Map<number, Map<number, MessageOut>>();

  constructor(initial: Cursors = {}) {
    for (const [key, seq] of Object.entries(initial)) {
      const cid = Number(key);
      if (Number.isInteger(cid) && cid > 0 && Number.isInteger(seq) && seq >= 0) {
        this.cursors.set(cid, seq);
      }
    }
  }

  accept(message: MessageOut): Accepted {
    const cid = message.conversation_id;
    const cursor = this.cursors.get(cid) ?? message.seq - 1;
    if (message.seq <= cursor) return { kind: "duplicate" };
    if (message.seq > cursor + 1) {
      let held = this.held.get(cid);
      if (!held) this.held.set(cid, (held = new Map()));
      if (held.has(message.seq)) return { kind: "duplicate" };
      held.set(message.seq, message);
      return { kind: "gap", cursor };
    }
    const messages = [message];
    let seq = message.seq;
    const held = this.held.get(cid);
    if (held) {
      for (const seen of [...held.keys()]) if (seen <= seq) held.delete(seen);
      for (let next = held.get(seq + 1); next; next = held.get(seq + 1)) {
        held.delete(seq + 1);
        messages.push(next);
        seq += 1;
      }
      if (held.size === 0) this.held.delete(cid);
    }
    this.cursors.set(cid, seq);
    return { kind: "deliver", messages };
  }

  cursor(conversationId: number): number | undefined {
    return this.cursors.get(conversationId);
  }

  /** Whether messages past a gap are waiting in this conversation. */
  hasGap(conversationId: number): boolean {
    return this.held.has(conversationId);
  }

  /** Starts tracking a conversation, or moves its cursor forward (never back). */
  follow(conversationId: number, seq: number): void {
    const cursor = this.cursors.get(conversationId);
    if (cursor !== undefined && cursor >= seq) return;
    this.cursors.set(conversationId, seq);
    const held = this.held.get(conversationId);
    if (held) {
      for (const s of [...held.keys()]) if (s <= seq) held.delete(s);
      if (held.size === 0) this.held.delete(conversationId);
    }
  }

  forget(conversationId: number): void {
    this.cursors.delete(conversationId);
    this.held.delete(conversationId);
  }

  /** Drops the messages waiting past gaps (a new socket's resume sends them again). */
  dropHeld(): void {
    this.held.clear();
  }

  ids(): number[] {
    return [...this.cursors.keys()];
  }

  snapshot(): Cursors {
    const out: Cursors = {};
    for (const [cid, seq] of this.cursors) out[String(cid)] = seq;
    return out;
  }
}
