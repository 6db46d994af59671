// Which conversation the panel shows, and which of its messages the welcome shows already.
import type { Content, ConversationOut, SurveyContent, TimelineItem } from "@huiliu/sdk";

export type ConversationView = ConversationOut & { read_seq?: number; unread_count?: number };

const RATE_WINDOW_MS = 24 * 3600 * 1000; // a closed conversation still shows (for its survey)

/** The newest web conversation if it is open, holds messages the customer has not read (a
 * notice that came while they were away, however long ago), or closed lately and not rated. */
export function pick(list: ConversationView[], now = Date.now()): ConversationView | null {
  const conv = list.find((c) => c.channel === "web");
  if (!conv) return null;
  if (conv.status === "open") return conv;
  if ((conv.unread_count ?? 0) > 0) return conv;
  const closedAt = conv.closed_at ? Date.parse(conv.closed_at) : 0;
  return conv.rating_score == null && now - closedAt < RATE_WINDOW_MS ? conv : null;
}

/** The bot's stored greeting and menu, which the welcome shows already (once each). */
export function welcomeCopies(items: readonly TimelineItem[], welcome: Content[]): Set<number> {
  const wanted = welcome.map((c) => JSON.stringify(c));
  const hidden = new Set<number>();
  for (const item of items) {
    if (item.kind !== "message" || item.message.sender.type !== "bot") continue;
    const i = wanted.indexOf(JSON.stringify(item.message.content));
    if (i >= 0) {
      hidden.add(item.message.id);
      wanted[i] = "";
    }
    if (item.seq > 8) break; // the greeting comes right after the conversation opens
  }
  return hidden;
}

/** The conversation's survey, when the system has sent one (the newest). */
export function latestSurvey(items: readonly TimelineItem[]): SurveyContent | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind === "message" && item.message.content.type === "survey") return item.message.content;
  }
  return null;
}
