import type { Message } from "@/api/types";

/** Messages of one conversation in seq order, each once, whatever order pages and frames
 * arrived in (a resume after reconnect may repeat what a REST page already gave). */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    if (!bySeq.has(m.seq)) {
      bySeq.set(m.seq, m);
      changed = true;
    }
  }
  if (!changed) return existing as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export interface TimelineItem<N> {
  kind: "message" | "note";
  key: string;
  message?: Message;
  note?: N;
}

/** Messages with the internal notes placed after the message they followed when written. */
export function interleave<N extends { id: number; after_seq: number }>(
  messages: readonly Message[],
  notes: readonly N[],
): TimelineItem<N>[] {
  const sorted = [...notes].sort((a, b) => a.after_seq - b.after_seq || a.id - b.id);
  const out: TimelineItem<N>[] = [];
  let i = 0;
  const first = messages[0]?.seq ?? Infinity;
  // Notes older than the oldest message shown wait until that history is loaded.
  while (i < sorted.length && (sorted[i]?.after_seq ?? 0) < first - 1) i++;
  for (const m of messages) {
    while (i < sorted.length && (sorted[i]?.after_seq ?? 0) < m.seq) {
      const n = sorted[i++] as N;
      out.push({ kind: "note", key: `n${n.id}`, note: n });
    }
    out.push({ kind: "message", key: `m${m.id}`, message: m });
  }
  while (i < sorted.length) {
    const n = sorted[i++] as N;
    out.push({ kind: "note", key: `n${n.id}`, note: n });
  }
  return out;
}
