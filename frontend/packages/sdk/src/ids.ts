let counter = 0;

/** A unique client_msg_id (≤ 64 chars): a UUID where the platform has one. */
export function newClientMsgId(): string {
  const c = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  // randomUUID exists only in secure contexts (https, localhost) in browsers.
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  if (typeof c?.getRandomValues === "function") {
    const bytes = c.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  counter = (counter + 1) % 0x100000;
  return `c-${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
