// The page's `window.Huiliu`: calls made before widget.js loaded wait in the stub's queue
// (`window.Huiliu = window.Huiliu || {q: []}`, docs/widget.md) and run, in order, once the
// widget is there; from then on the methods act at once.

export type EventName = "message" | "open" | "close" | "unread" | "error";
export const EVENTS: readonly EventName[] = ["message", "open", "close", "unread", "error"];

export interface IdentityInput {
  userId: string | number;
  signature: string;
  name?: string;
  email?: string;
  phone?: string;
  attributes?: Record<string, unknown>;
}

/** What the widget does for each method (the Widget class). */
export interface WidgetMethods {
  identify(identity: IdentityInput): void;
  track(): void;
  open(): void;
  close(): void;
  on(event: EventName, handler: (payload: unknown) => void): () => void;
  reset(): void;
  visitor(): { contactId: number; verified: boolean } | null;
}

export interface HuiliuApi extends WidgetMethods {
  /** The widget's version: the real API is here (the stub has none). */
  readonly version: string;
  q?: unknown[];
}

const METHODS = ["identify", "track", "open", "close", "on", "reset", "visitor"] as const;
type Method = (typeof METHODS)[number];

/**
 * Replaces the stub at `host.Huiliu` with the API, after running its queued calls in order.
 * A page that includes the script twice keeps the first widget.
 */
export function installApi(host: { Huiliu?: unknown }, widget: WidgetMethods, version: string, warn = console.warn): HuiliuApi | null {
  const existing = host.Huiliu as Partial<HuiliuApi> | undefined;
  if (existing && typeof existing.version === "string") return null;
  const api: HuiliuApi = {
    version,
    identify: (identity) => widget.identify(identity),
    track: () => widget.track(),
    open: () => widget.open(),
    close: () => widget.close(),
    on: (event, handler) => widget.on(event, handler),
    reset: () => widget.reset(),
    visitor: () => widget.visitor(),
  };
  const queued = Array.isArray(existing?.q) ? existing.q : [];
  host.Huiliu = api;
  for (const call of queued) {
    const [name, args] = unpack(call);
    if (!name || !(METHODS as readonly string[]).includes(name)) {
      warn(`Huiliu: unknown method in the queue: ${String(name)}`);
      continue;
    }
    try {
      (api[name as Method] as (...a: unknown[]) => unknown)(...args);
    } catch (err) {
      warn(`Huiliu.${name}: ${String(err)}`);
    }
  }
  return api;
}

/** A queued call: [method, [args…]] as the snippet pushes it, or [method, arg…]. */
function unpack(call: unknown): [string | null, unknown[]] {
  if (!call || typeof (call as ArrayLike<unknown>).length !== "number") return [null, []];
  const items = Array.from(call as ArrayLike<unknown>);
  const name = typeof items[0] === "string" ? items[0] : null;
  if (items.length === 2 && Array.isArray(items[1])) return [name, items[1] as unknown[]];
  return [name, items.slice(1)];
}
