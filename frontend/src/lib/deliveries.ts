// How agents' and the bot's messages went out on a conversation's channel: pending, sent or
// failed (docs/channels.md). The state comes from two sources that may arrive in any order —
// GET /conversations/{id}/deliveries when the conversation opens, and `delivery.updated`
// frames — so merging is order-independent: a final state (sent, failed) is never replaced by
// pending, and at the same rank a live frame beats a REST page that may have been read
// before it.

export type DeliveryStatus = "pending" | "sent" | "failed";

export interface DeliveryInfo {
  status: DeliveryStatus;
  error: string | null;
  source: "rest" | "frame";
}

export type DeliveryMap = Record<number, DeliveryInfo>;

/** The server's event status as a delivery state (anything not final counts as pending). */
export function deliveryStatus(status: string): DeliveryStatus {
  return status === "sent" || status === "failed" ? status : "pending";
}

function rank(status: DeliveryStatus): number {
  return status === "pending" ? 0 : 1;
}

/** `next` applied over `current`; returns the state to keep. */
export function mergeDelivery(current: DeliveryInfo | undefined, next: DeliveryInfo): DeliveryInfo {
  if (!current) return next;
  if (rank(next.status) > rank(current.status)) return next;
  if (rank(next.status) < rank(current.status)) return current;
  if (next.source === "rest" && current.source === "frame") return current;
  return next;
}

/** Apply one state for a message into `map` (in place). */
export function applyDelivery(
  map: DeliveryMap,
  messageId: number,
  status: string,
  error: string | null | undefined,
  source: DeliveryInfo["source"],
): void {
  map[messageId] = mergeDelivery(map[messageId], { status: deliveryStatus(status), error: error ?? null, source });
}
