import type { Content } from "./types";

/** A message sent but not yet acknowledged. */
export interface PendingMessage {
  clientMsgId: string;
  /** Unset: a visitor's open conversation (opened if there is none). */
  conversationId?: number;
  content: Content;
  /** When send() was called (ms since the epoch). */
  createdAt: number;
}

/**
 * Where the outbox survives a page reload. `localStorage` and `sessionStorage` fit as they
 * are; so does an async store (React Native's AsyncStorage) since results may be promises.
 * Use one key per tab and principal (e.g. `huiliu.outbox.visitor.<visitor_id>`).
 */
export interface OutboxStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem?(key: string): void | Promise<void>;
}

/** The unacknowledged messages in the order they were sent, optionally persisted. */
export class Outbox {
  private readonly items = new Map<string, PendingMessage>();
  // Until load() has read the stored entries, writing would overwrite them.
  private loaded = false;

  constructor(
    private readonly storage?: OutboxStorage,
    private readonly key = "huiliu.outbox",
    private readonly onStorageError: (err: unknown) => void = () => {},
  ) {}

  /** Reads the persisted entries; they go before any added meanwhile. Returns the restored. */
  async load(): Promise<PendingMessage[]> {
    if (!this.storage || this.loaded) return [];
    let raw: string | null = null;
    try {
      raw = await this.storage.getItem(this.key);
    } catch (err) {
      this.onStorageError(err);
    }
    this.loaded = true;
    const restored = parse(raw).filter((m) => !this.items.has(m.clientMsgId));
    const newer = [...this.items.values()];
    this.items.clear();
    for (const m of [...restored, ...newer]) this.items.set(m.clientMsgId, m);
    if (restored.length || newer.length) this.save();
    return restored;
  }

  add(message: PendingMessage): void {
    this.items.set(message.clientMsgId, message);
    this.save();
  }

  get(clientMsgId: string): PendingMessage | undefined {
    return this.items.get(clientMsgId);
  }

  has(clientMsgId: string): boolean {
    return this.items.has(clientMsgId);
  }

  remove(clientMsgId: string): PendingMessage | undefined {
    const message = this.items.get(clientMsgId);
    if (message) {
      this.items.delete(clientMsgId);
      this.save();
    }
    return message;
  }

  /** Oldest first. */
  entries(): PendingMessage[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  private save(): void {
    const storage = this.storage;
    if (!storage || !this.loaded) return;
    try {
      const result =
        this.items.size === 0 && storage.removeItem
          ? storage.removeItem(this.key)
          : storage.setItem(this.key, JSON.stringify(this.entries()));
      if (result && typeof (result as Promise<void>).catch === "function") {
        (result as Promise<void>).catch(this.onStorageError);
      }
    } catch (err) {
      this.onStorageError(err); // quota exceeded, storage disabled: keep going in memory
    }
  }
}

function parse(raw: string | null): PendingMessage[] {
  if (!raw) return [];
  try {
    const data: unknown = JSON.parse(raw);
    if (!Array.isArray(data)) return [];
    return data.filter(
      (m): m is PendingMessage =>
        typeof m === "object" &&
        m !== null &&
        typeof (m as PendingMessage).clientMsgId === "string" &&
        typeof (m as PendingMessage).content === "object" &&
        (m as PendingMessage).content !== null,
    );
  } catch {
    return [];
  }
}
