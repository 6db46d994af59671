// An in-memory WebSocket with the browser's interface, for playing the server in tests.
import type { AnyFrame, MessageOut, WebSocketConstructor, WebSocketLike } from "../src/types";

type Listener = ((event: unknown) => unknown) | null;

export class FakeSocket implements WebSocketLike {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readyState = FakeSocket.CONNECTING;
  onopen: ((event: never) => unknown) | null = null;
  onmessage: ((event: never) => unknown) | null = null;
  onclose: ((event: never) => unknown) | null = null;
  onerror: ((event: never) => unknown) | null = null;
  /** Frames the client sent, as text. */
  readonly sent: string[] = [];
  /** How the client closed it, if it did. */
  closedByClient: { code?: number; reason?: string } | null = null;
  /** Answer every `resume` with `resumed` (holding nothing back) when set. */
  autoResume = false;

  constructor(
    readonly url: string,
    private readonly network: FakeNetwork,
  ) {
    network.sockets.push(this);
  }

  get token(): string | null {
    return new URL(this.url).searchParams.get("token");
  }

  // -- the client's side (browser WebSocket API) -------------------------------------------

  send(data: string): void {
    if (this.readyState !== FakeSocket.OPEN) throw new Error("InvalidStateError: not open");
    this.sent.push(data);
    const frame = JSON.parse(data) as AnyFrame;
    if (this.autoResume && frame.type === "resume") {
      queueMicrotask(() => this.push({ type: "resumed", cursors: frame.cursors }));
    }
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= FakeSocket.CLOSING) return;
    this.closedByClient = { code, reason };
    this.readyState = FakeSocket.CLOSING;
    queueMicrotask(() => this.finish(code ?? 1005, reason ?? ""));
  }

  // -- the server's side ---------------------------------------------------------------------

  accept(): void {
    this.readyState = FakeSocket.OPEN;
    this.fire(this.onopen, { type: "open" });
  }

  /** Accepts the socket and sends `hello`. */
  hello(heartbeat_s = 25, principal = { kind: "visitor", id: 17, tenant_id: 1 }): void {
    if (this.readyState === FakeSocket.CONNECTING) this.accept();
    this.push({ type: "hello", protocol: 1, heartbeat_s, principal });
  }

  push(frame: object): void {
    if (this.readyState !== FakeSocket.OPEN) return;
    this.fire(this.onmessage, { type: "message", data: JSON.stringify(frame) });
  }

  /** The server closes (or, with 1006, the network drops). */
  serverClose(code: number, reason = ""): void {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.finish(code, reason);
  }

  /** Parsed frames the client sent (optionally of one type). */
  frames(type?: string): AnyFrame[] {
    const all = this.sent.map((s) => JSON.parse(s) as AnyFrame);
    return type ? all.filter((f) => f.type === type) : all;
  }

  private finish(code: number, reason: string): void {
    this.readyState = FakeSocket.CLOSED;
    this.fire(this.onclose, { type: "close", code, reason, wasClean: code !== 1006 });
  }

  private fire(listener: Listener | ((event: never) => unknown), event: object): void {
    (listener as Listener)?.(event);
  }
}

/** Every socket the client opened, in order; `WebSocket` is the constructor to pass it. */
export class FakeNetwork {
  readonly sockets: FakeSocket[] = [];
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const network = this;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string) {
        super(url, network);
      }
    };
  }

  get last(): FakeSocket {
    const sock = this.sockets.at(-1);
    if (!sock) throw new Error("no socket opened yet");
    return sock;
  }
}

let nextId = 1000;

/** A stored message as the server sends it. */
export function message(conversation_id: number, seq: number, extra: Partial<MessageOut> = {}): MessageOut {
  return {
    id: extra.id ?? conversation_id * 10_000 + seq,
    conversation_id,
    seq,
    sender: { type: "agent", id: 3 },
    client_msg_id: null,
    content: { type: "text", text: `#${seq}` },
    created_at: "2026-11-22T08:30:58.297201Z",
    ...extra,
  } as MessageOut;
}

export function messageNew(conversation_id: number, seq: number, extra: Partial<MessageOut> = {}) {
  return { type: "message.new", message: message(conversation_id, seq, extra) };
}

export function ackFor(frame: AnyFrame, conversation_id = 42, seq = nextId++) {
  return {
    type: "ack",
    client_msg_id: frame.client_msg_id,
    message_id: seq * 7,
    conversation_id,
    seq,
  };
}
