import { Backoff, type BackoffOptions } from "./backoff";
import { Emitter } from "./emitter";
import { CloseCode, HuiliuError } from "./errors";
import { newClientMsgId } from "./ids";
import { Outbox, type OutboxStorage, type PendingMessage } from "./outbox";
import { Sequencer } from "./sequencer";
import type {
  Ack,
  AnyFrame,
  Content,
  ConversationOut,
  Cursors,
  DeliveryUpdatedFrame,
  HelloFrame,
  MessageOut,
  QueuePositionFrame,
  QueueStatsFrame,
  ReadServerFrame,
  ServerFrame,
  SuggestionsFrame,
  TypingServerFrame,
  WebSocketConstructor,
  WebSocketLike,
} from "./types";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** The only moves the client makes; anything else is a bug and throws. */
const TRANSITIONS: { readonly [S in ConnectionState]: readonly ConnectionState[] } = {
  idle: ["connecting", "closed"],
  connecting: ["open", "reconnecting", "closed"],
  open: ["reconnecting", "closed"],
  reconnecting: ["connecting", "closed"],
  closed: [],
};

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** The close code that caused it (4000: this client found the socket dead). */
  code?: number;
  reason?: string;
  /** Set when the client stops for good (`closed` after 4001, 4003, …). */
  error?: HuiliuError;
  /** `reconnecting`: how long until the next attempt, ms. */
  delayMs?: number;
}

export interface ClientEvents {
  state: StateChange;
  hello: HelloFrame;
  /** The resume after a (re)connect is complete; the cursors the client now holds. */
  resumed: Cursors;
  /** Each stored message exactly once, in seq order per conversation. */
  message: MessageOut;
  /** A message entered the outbox (from send(), or restored from storage). */
  sending: PendingMessage;
  ack: Ack;
  typing: TypingServerFrame;
  read: ReadServerFrame;
  conversation: ConversationOut;
  "queue.position": QueuePositionFrame;
  "queue.stats": QueueStatsFrame;
  suggestions: SuggestionsFrame;
  /** `delivery.updated`: an agent's or the bot's message went out on the channel, or not. */
  delivery: DeliveryUpdatedFrame;
  /** `note.new`: an internal note (payload: the frame's `note`). */
  note: Record<string, unknown>;
  /** Every frame as received, after the typed event; frames of unknown types too. */
  frame: AnyFrame;
  error: HuiliuError;
}

export interface HuiliuClientOptions {
  /** ws(s)://host/ws/visitor or ws(s)://host/ws/agent. */
  url: string;
  /** A token, or a function called before every (re)connect (e.g. after 4002 token expired). */
  token: string | (() => string | Promise<string>);
  /** Default globalThis.WebSocket; in Node pass the `ws` package's WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Where to resume from: conversation id → the last seq held (e.g. from storage). */
  cursors?: Cursors;
  /** Ping interval, ms; default the server's heartbeat_s. Silence for twice this is death. */
  heartbeatMs?: number;
  /** Reconnect delays, ms (default 250 … 30 000, jittered). */
  backoff?: BackoffOptions;
  /** Back-off after `busy` / `store_failed`, ms (default 500 … 10 000, jittered). */
  busyBackoff?: BackoffOptions;
  /** Most time from opening a socket to its `hello`, ms (default 15 000). */
  connectTimeoutMs?: number;
  /** Persists the outbox (e.g. localStorage) so a reload does not lose a typed message. */
  storage?: OutboxStorage;
  storageKey?: string;
}

export interface SendOptions {
  /** Required for agents; a visitor may leave it out (its open conversation). */
  conversationId?: number;
  /** Your own id for the message (1–64 chars), e.g. to show it before send() returns. */
  clientMsgId?: string;
}

export interface ClientStats {
  /** Sockets that reached `hello`. */
  connects: number;
  /** Of those, the ones after the first. */
  reconnects: number;
  /** Frames sent again with a client_msg_id already sent on an earlier socket. */
  resends: number;
  /** Resends after `busy` or `store_failed`. */
  busyRetries: number;
  /** Messages dropped as already delivered. */
  duplicates: number;
  /** Messages that arrived past a gap. */
  gaps: number;
  /** Reconnects made to fill a gap the socket could not. */
  resyncs: number;
}

/** The locally detected close: no hello in time, or no frame for two heartbeats. */
const CLOSE_DEAD = 4000;
const RESUME_CHUNK = 500;
const MAX_FRAME_BYTES = 1024 * 1024;

interface Waiter {
  promise: Promise<Ack>;
  resolve(ack: Ack): void;
  reject(err: HuiliuError): void;
}

interface ResumeRequest {
  ids: number[];
  initial: boolean;
}

export class HuiliuClient {
  private readonly options: HuiliuClientOptions;
  private readonly Socket: WebSocketConstructor;
  private readonly events = new Emitter<ClientEvents>();
  private readonly sequencer: Sequencer;
  private readonly outbox: Outbox;
  private readonly backoff: Backoff;
  private readonly busyBackoff: Backoff;
  private current: ConnectionState = "idle";
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private readonly restoring: Promise<PendingMessage[]>;
  private loaded: Promise<void> | null = null;
  private helloFrame: HelloFrame | null = null;
  private isReady = false;
  private expiredInARow = 0;
  private lastFrameAt = 0;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private watchdogTimer: ReturnType<typeof setInterval> | undefined;
  private busyTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly resumes: ResumeRequest[] = [];
  private readonly resuming = new Set<number>();
  private initialLeft = 0;
  private readonly resyncFirst = new Set<number>();
  private readonly inflight = new Set<string>();
  private readonly sentBefore = new Set<string>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly readCursors = new Map<number, number>();
  private readonly unsentReads = new Set<number>();
  private readonly counters: ClientStats = {
    connects: 0,
    reconnects: 0,
    resends: 0,
    busyRetries: 0,
    duplicates: 0,
    gaps: 0,
    resyncs: 0,
  };

  constructor(options: HuiliuClientOptions) {
    const Socket =
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Socket) {
      throw new TypeError("no WebSocket here: pass one (e.g. `ws`) as options.WebSocket");
    }
    this.options = options;
    this.Socket = Socket;
    this.sequencer = new Sequencer(options.cursors);
    this.outbox = new Outbox(options.storage, options.storageKey, (err) =>
      this.events.emit("error", new HuiliuError("storage_failed", String(err), { cause: err })),
    );
    this.restoring = this.outbox.load();
    this.backoff = new Backoff(options.backoff);
    this.busyBackoff = new Backoff({ min: 500, max: 10_000, ...options.busyBackoff });
  }

  // -- public API ------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.current;
  }

  /** Open and resumed: sends, reads and typing go straight out. */
  get ready(): boolean {
    return this.isReady;
  }

  /** The current socket's hello (who the token names, the heartbeat), or null. */
  get hello(): HelloFrame | null {
    return this.helloFrame;
  }

  on<K extends keyof ClientEvents>(type: K, handler: (payload: ClientEvents[K]) => void): () => void {
    return this.events.on(type, handler);
  }

  /** Starts connecting (from `idle`; later calls do nothing). Restores a persisted outbox. */
  connect(): void {
    if (this.current !== "idle") return;
    this.loaded = this.restoring.then((restored) => {
      for (const message of restored) this.events.emit("sending", message);
    });
    this.move("connecting");
    void this.open();
  }

  /**
   * Stops for good: no reconnect; unacknowledged sends reject with `closed` but stay in a
   * persisted outbox, for the next client with the same storage to resend.
   */
  close(): void {
    if (this.current === "closed") return;
    const sock = this.detach();
    safeClose(sock, CloseCode.Normal, "client closed");
    this.stop(new HuiliuError("closed", "the client was closed"), CloseCode.Normal, "client closed", false);
  }

  /**
   * Sends a message; resolves with its ack once the server has stored it. It stays in the
   * outbox (resent with the same client_msg_id after every reconnect) until then. Rejects
   * with a HuiliuError for a refused message (`too_large`, `forbidden`, …) or on close().
   */
  send(content: Content, options: SendOptions = {}): Promise<Ack> {
    if (this.current === "closed") {
      return Promise.reject(new HuiliuError("closed", "the client was closed"));
    }
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    const waiting = this.waiters.get(clientMsgId);
    if (waiting) return waiting.promise;
    const message: PendingMessage = { clientMsgId, content, createdAt: Date.now() };
    if (options.conversationId !== undefined) message.conversationId = options.conversationId;
    const size = utf8Length(JSON.stringify(sendFrame(message)));
    if (size > MAX_FRAME_BYTES) {
      return Promise.reject(
        new HuiliuError("too_large", `frame is ${size} bytes; the limit is ${MAX_FRAME_BYTES}`, {
          clientMsgId,
          field: "content",
        }),
      );
    }
    const waiter = {} as Waiter;
    waiter.promise = new Promise<Ack>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.waiters.set(clientMsgId, waiter);
    this.outbox.add(message);
    this.events.emit("sending", message);
    this.flush();
    return waiter.promise;
  }

  /** The unacknowledged messages, oldest first. */
  pending(): PendingMessage[] {
    return this.outbox.entries();
  }

  /**
   * Gives up on an unacknowledged message: no more resends, and its promise rejects with
   * `discarded`. One already on the wire may still be stored (its message.new then comes).
   */
  discard(clientMsgId: string): boolean {
    if (!this.outbox.remove(clientMsgId)) return false;
    this.inflight.delete(clientMsgId);
    this.settle(clientMsgId, new HuiliuError("discarded", "discarded before it was acknowledged", { clientMsgId }));
    return true;
  }

  /** Relays typing to the other participants (not queued: false while not ready). */
  typing(conversationId: number, state: "start" | "stop" = "start"): boolean {
    if (!this.isReady) return false;
    this.write({ type: "typing", conversation_id: conversationId, state });
    return true;
  }

  /** Moves the read cursor forward (never back); sent now, or after the next resume. */
  read(conversationId: number, seq: number): boolean {
    if (seq <= (this.readCursors.get(conversationId) ?? 0)) return false;
    this.readCursors.set(conversationId, seq);
    if (this.isReady) this.write({ type: "read", conversation_id: conversationId, seq });
    else this.unsentReads.add(conversationId);
    return true;
  }

  /** conversation id → the last seq delivered (contiguously); store it to resume later. */
  cursors(): Cursors {
    return this.sequencer.snapshot();
  }

  /**
   * Tracks a conversation from `seq` (e.g. after loading its history over REST): it is
   * resumed now if connected, and on every reconnect. A cursor never moves back.
   */
  follow(conversationId: number, seq = 0): void {
    const before = this.sequencer.cursor(conversationId);
    this.sequencer.follow(conversationId, seq);
    if (before === undefined && this.isReady && !this.resuming.has(conversationId)) {
      this.requestResume([conversationId], false);
    }
  }

  /** Stops tracking a conversation (no longer resumed on reconnect). */
  forget(conversationId: number): void {
    this.sequencer.forget(conversationId);
    this.readCursors.delete(conversationId);
    this.unsentReads.delete(conversationId);
  }

  stats(): ClientStats {
    return { ...this.counters };
  }

  // -- connection ------------------------------------------------------------------------

  private move(to: ConnectionState, detail: Omit<StateChange, "state" | "previous"> = {}): void {
    const previous = this.current;
    if (!TRANSITIONS[previous].includes(to)) {
      throw new Error(`HuiliuClient: illegal state change ${previous} → ${to}`);
    }
    this.current = to;
    this.events.emit("state", { state: to, previous, ...detail });
  }

  /** The state now (a handler may have changed it since TypeScript last looked). */
  private isIn(state: ConnectionState): boolean {
    return this.current === state;
  }

  private async open(): Promise<void> {
    const attempt = ++this.attempt;
    const stale = () => attempt !== this.attempt || this.current !== "connecting";
    let token: string;
    try {
      await this.loaded;
      const source = this.options.token;
      token = typeof source === "function" ? await source() : source;
    } catch (err) {
      if (stale()) return;
      this.events.emit("error", new HuiliuError("token_failed", `could not get a token: ${String(err)}`, { cause: err }));
      this.retry(CLOSE_DEAD, "no token");
      return;
    }
    if (stale()) return;
    let sock: WebSocketLike;
    try {
      sock = new this.Socket(withToken(this.options.url, token));
    } catch (err) {
      this.events.emit("error", new HuiliuError("connect_failed", String(err), { cause: err }));
      this.retry(CLOSE_DEAD, "could not open a socket");
      return;
    }
    this.ws = sock;
    sock.onmessage = (event: { data: unknown }) => {
      if (this.ws === sock) this.receive(event.data);
    };
    sock.onclose = (event: { code?: number; reason?: string }) => {
      if (this.ws !== sock) return;
      this.detach();
      this.lost(event.code ?? CloseCode.Abnormal, event.reason ?? "");
    };
    sock.onerror = ignore; // a close event follows
    this.connectTimer = setTimeout(
      () => this.drop("no hello from the server in time"),
      this.options.connectTimeoutMs ?? 15_000,
    );
  }

  /** Forgets the current socket (its events are ignored from now on) and its timers. */
  private detach(): WebSocketLike | null {
    const sock = this.ws;
    this.ws = null;
    if (sock) {
      sock.onmessage = null;
      sock.onclose = null;
      // Not null: `ws` throws an 'error' nobody listens to (closing while connecting does).
      sock.onerror = ignore;
    }
    clearTimeout(this.connectTimer);
    clearInterval(this.pingTimer);
    clearInterval(this.watchdogTimer);
    clearTimeout(this.busyTimer);
    this.busyTimer = undefined;
    this.isReady = false;
    this.inflight.clear();
    this.resumes.length = 0;
    this.resuming.clear();
    this.initialLeft = 0;
    this.sequencer.dropHeld();
    return sock;
  }

  /** Gives up on a socket that is dead (or useless) and reconnects. */
  private drop(reason: string): void {
    const sock = this.detach();
    safeClose(sock, CLOSE_DEAD, reason);
    this.lost(CLOSE_DEAD, reason);
  }

  /** After a socket closed: stop for good, or reconnect after a back-off. */
  private lost(code: number, reason: string): void {
    if (this.current === "closed") return;
    const fatal =
      code === CloseCode.InvalidToken
        ? "invalid_token"
        : code === CloseCode.WrongEndpoint
          ? "wrong_endpoint"
          : code === CloseCode.TokenExpired && typeof this.options.token === "string"
            ? "token_expired"
            : null;
    if (fatal) {
      this.stop(new HuiliuError(fatal, reason || `closed with ${code}`, { closeCode: code }), code, reason, true);
      return;
    }
    this.retry(code, reason);
  }

  private retry(code: number, reason: string): void {
    // A token that just expired is replaced at once; anything else backs off.
    const delayMs =
      code === CloseCode.TokenExpired && this.expiredInARow++ === 0 ? 0 : this.backoff.next();
    this.move("reconnecting", { code, reason, delayMs });
    if (!this.isIn("reconnecting")) return; // a state handler closed the client
    this.reconnectTimer = setTimeout(() => {
      if (this.current !== "reconnecting") return;
      this.move("connecting");
      void this.open();
    }, delayMs);
  }

  private stop(error: HuiliuError, code: number, reason: string, report: boolean): void {
    clearTimeout(this.reconnectTimer);
    this.attempt += 1; // a token still being fetched is not used
    this.move("closed", { code, reason, ...(report ? { error } : {}) });
    if (report) this.events.emit("error", error);
    for (const id of [...this.waiters.keys()]) this.settle(id, error);
  }

  private startHeartbeat(serverSeconds: number): void {
    const interval = Math.max(50, this.options.heartbeatMs ?? serverSeconds * 1000);
    this.lastFrameAt = Date.now();
    this.pingTimer = setInterval(() => this.write({ type: "ping" }), interval);
    this.watchdogTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt >= 2 * interval) this.drop("no frame for two heartbeats");
    }, interval / 4);
  }

  private write(frame: object): void {
    const sock = this.ws;
    if (sock && sock.readyState === 1) sock.send(JSON.stringify(frame));
  }

  // -- frames from the server ------------------------------------------------------------

  private receive(data: unknown): void {
    this.lastFrameAt = Date.now();
    let frame: AnyFrame;
    try {
      const parsed: unknown = JSON.parse(typeof data === "string" ? data : decode(data));
      if (typeof parsed !== "object" || parsed === null || typeof (parsed as AnyFrame).type !== "string") {
        throw new Error("not an object with a type");
      }
      frame = parsed as AnyFrame;
    } catch (err) {
      this.events.emit("error", new HuiliuError("bad_frame", `unreadable frame from the server: ${String(err)}`));
      return;
    }
    this.dispatch(frame as ServerFrame);
    this.events.emit("frame", frame);
  }

  private dispatch(frame: ServerFrame): void {
    switch (frame.type) {
      case "hello":
        return this.onHello(frame);
      case "resumed":
        return this.onResumed(frame.cursors as Cursors);
      case "message.new":
        return this.onMessage(frame.message);
      case "ack":
        return this.onAck(frame);
      case "error": {
        const err = new HuiliuError(frame.code, frame.detail, {
          field: frame.field ?? null,
          clientMsgId: frame.client_msg_id ?? null,
        });
        return this.onError(err);
      }
      case "read":
        if (this.isMe(frame.reader)) {
          const seq = Math.max(frame.seq, this.readCursors.get(frame.conversation_id) ?? 0);
          this.readCursors.set(frame.conversation_id, seq);
        }
        return this.events.emit("read", frame);
      case "typing":
        return this.events.emit("typing", frame);
      case "conversation.updated":
        return this.events.emit("conversation", frame.conversation);
      case "queue.position":
        return this.events.emit("queue.position", frame);
      case "queue.stats":
        return this.events.emit("queue.stats", frame);
      case "suggestions":
        return this.events.emit("suggestions", frame);
      case "note.new":
        return this.events.emit("note", frame.note);
      case "delivery.updated":
        return this.events.emit("delivery", frame);
      default:
        return; // pong, and types newer than this SDK: the `frame` event has them
    }
  }

  private onHello(frame: HelloFrame): void {
    if (this.current !== "connecting") return;
    clearTimeout(this.connectTimer);
    this.helloFrame = frame;
    this.backoff.reset();
    this.expiredInARow = 0;
    this.counters.connects += 1;
    if (this.counters.connects > 1) this.counters.reconnects += 1;
    this.move("open");
    this.events.emit("hello", frame);
    if (!this.isIn("open")) return; // a handler closed the client
    this.startHeartbeat(frame.heartbeat_s);
    // Every cursor held, up to 500 a frame. Conversations left with a gap last time go in
    // the first frame: the server may let live messages through before it reads a later one.
    const ids = this.sequencer.ids();
    ids.sort((a, b) => Number(this.resyncFirst.has(b)) - Number(this.resyncFirst.has(a)));
    this.resyncFirst.clear();
    const chunks: number[][] = [];
    for (let i = 0; i < ids.length; i += RESUME_CHUNK) chunks.push(ids.slice(i, i + RESUME_CHUNK));
    if (chunks.length === 0) chunks.push([]);
    this.initialLeft = chunks.length;
    for (const chunk of chunks) this.requestResume(chunk, true);
  }

  private requestResume(ids: number[], initial: boolean): void {
    const cursors: Cursors = {};
    for (const id of ids) {
      cursors[String(id)] = this.sequencer.cursor(id) ?? 0;
      this.resuming.add(id);
    }
    this.resumes.push({ ids, initial });
    this.write({ type: "resume", cursors });
  }

  private onResumed(cursors: Cursors): void {
    const request = this.resumes.shift();
    if (!request) return;
    let unfilled = false;
    for (const id of request.ids) {
      this.resuming.delete(id);
      const serverSeq = cursors[String(id)];
      if (serverSeq === undefined) {
        this.forget(id); // not_found: the caller may not see it (any more)
        continue;
      }
      // The socket delivered up to serverSeq. Holding less means a gap this socket will not
      // fill (the server resumes from what it delivered, not from the cursor).
      if ((this.sequencer.cursor(id) ?? 0) < serverSeq) {
        this.resyncFirst.add(id);
        unfilled = true;
      }
    }
    if (unfilled) {
      this.counters.resyncs += 1;
      this.drop("resync: a gap the socket cannot fill");
      return;
    }
    if (request.initial && --this.initialLeft === 0) {
      this.isReady = true;
      this.events.emit("resumed", this.sequencer.snapshot());
      if (!this.isReady) return; // a handler closed the client
      for (const id of this.unsentReads) {
        this.write({ type: "read", conversation_id: id, seq: this.readCursors.get(id) ?? 0 });
      }
      this.unsentReads.clear();
      this.flush();
    }
  }

  private onMessage(message: MessageOut): void {
    const result = this.sequencer.accept(message);
    if (result.kind === "duplicate") {
      this.counters.duplicates += 1;
      return;
    }
    if (result.kind === "gap") {
      this.counters.gaps += 1;
      const id = message.conversation_id;
      // Ask for what is missing, unless a resume of this conversation is under way.
      if (!this.resuming.has(id) && this.current === "open") this.requestResume([id], false);
      return;
    }
    for (const m of result.messages) {
      if (this.current === "closed") return;
      this.events.emit("message", m);
    }
  }

  private onAck(ack: Ack): void {
    const id = ack.client_msg_id;
    if (id === null || !this.outbox.remove(id)) return; // not ours, or answered already
    this.inflight.delete(id);
    this.busyBackoff.reset();
    this.events.emit("ack", ack);
    this.settle(id, ack);
  }

  private onError(err: HuiliuError): void {
    const id = err.clientMsgId;
    if (id !== null && this.outbox.has(id)) {
      this.inflight.delete(id);
      if (err.code === "busy" || err.code === "store_failed") {
        // Not stored: send it again, with the same id, after a pause.
        this.counters.busyRetries += 1;
        this.pause();
        return;
      }
      this.outbox.remove(id);
      this.events.emit("error", err);
      this.settle(id, err);
      return;
    }
    this.events.emit("error", err);
  }

  // -- the outbox ------------------------------------------------------------------------

  /** Sends every queued message not yet on this socket, in order, once ready. */
  private flush(): void {
    if (!this.isReady || this.busyTimer !== undefined) return;
    for (const message of this.outbox.entries()) {
      const id = message.clientMsgId;
      if (this.inflight.has(id)) continue;
      this.inflight.add(id);
      if (this.sentBefore.has(id)) this.counters.resends += 1;
      else this.sentBefore.add(id);
      this.write(sendFrame(message));
    }
  }

  private pause(): void {
    if (this.busyTimer !== undefined) return;
    this.busyTimer = setTimeout(() => {
      this.busyTimer = undefined;
      this.flush();
    }, this.busyBackoff.next());
  }

  private settle(id: string, outcome: Ack | HuiliuError): void {
    this.sentBefore.delete(id);
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    if (outcome instanceof HuiliuError) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private isMe(who: { type: string; id?: number | null }): boolean {
    const me = this.helloFrame?.principal;
    if (!me || who.id !== me.id) return false;
    return me.kind === "visitor" ? who.type === "contact" : who.type === "agent";
  }
}

function ignore(): void {}

function sendFrame(message: PendingMessage): object {
  return {
    type: "message.send",
    client_msg_id: message.clientMsgId,
    ...(message.conversationId !== undefined ? { conversation_id: message.conversationId } : {}),
    content: message.content,
  };
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

function safeClose(sock: WebSocketLike | null, code: number, reason: string): void {
  try {
    sock?.close(code, reason);
  } catch {
    // already closing, or a code the implementation refuses: the socket is dropped anyway
  }
}

function decode(data: unknown): string {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return new TextDecoder().decode(data as ArrayBuffer);
  }
  return String(data);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
