import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HuiliuClient, HuiliuError, type HuiliuClientOptions, type StateChange } from "../src/index";
import type { Ack, MessageOut } from "../src/types";
import { FakeNetwork, type FakeSocket, ackFor, messageNew } from "./fake-socket";

const URL = "ws://huiliu.test/ws/visitor";
const text = (t: string) => ({ type: "text" as const, text: t });
const tick = () => vi.advanceTimersByTimeAsync(0);

let net: FakeNetwork;

beforeEach(() => {
  vi.useFakeTimers();
  net = new FakeNetwork();
});

afterEach(() => {
  vi.useRealTimers();
});

function makeClient(options: Partial<HuiliuClientOptions> = {}) {
  const client = new HuiliuClient({
    url: URL,
    token: "tok-1",
    WebSocket: net.WebSocket,
    backoff: { min: 100, max: 1000 },
    ...options,
  });
  const states: StateChange[] = [];
  const messages: MessageOut[] = [];
  const errors: HuiliuError[] = [];
  client.on("state", (s) => states.push(s));
  client.on("message", (m) => messages.push(m));
  client.on("error", (e) => errors.push(e));
  return { client, states, messages, errors };
}

/** Connects and completes the handshake: hello, every resume answered with resumed. */
async function openClient(options: Partial<HuiliuClientOptions> = {}) {
  const made = makeClient(options);
  made.client.connect();
  await tick();
  const sock = net.last;
  await handshake(sock);
  return { ...made, sock };
}

async function handshake(sock: FakeSocket, heartbeat = 25): Promise<void> {
  sock.autoResume = true;
  sock.hello(heartbeat);
  await tick();
}

describe("connecting", () => {
  it("waits for hello, resumes from every cursor, then is ready", async () => {
    const { client, states } = makeClient({ cursors: { 42: 17, "43": 0 } });
    expect(client.state).toBe("idle");
    client.connect();
    await tick();
    const sock = net.last;
    expect(sock.url).toBe(`${URL}?token=tok-1`);
    expect(client.state).toBe("connecting");
    sock.accept();
    expect(sock.frames()).toEqual([]); // nothing before hello
    sock.hello();
    expect(client.state).toBe("open");
    expect(sock.frames()).toEqual([{ type: "resume", cursors: { "42": 17, "43": 0 } }]);
    expect(client.ready).toBe(false);
    const resumed = vi.fn();
    client.on("resumed", resumed);
    sock.push(messageNew(42, 18));
    sock.push({ type: "resumed", cursors: { "42": 18, "43": 0 } });
    expect(client.ready).toBe(true);
    expect(resumed).toHaveBeenCalledWith({ "42": 18, "43": 0 });
    expect(client.cursors()).toEqual({ "42": 18, "43": 0 });
    expect(states.map((s) => s.state)).toEqual(["connecting", "open"]);
  });

  it("sends an empty resume when it holds nothing", async () => {
    const { sock } = await openClient();
    expect(sock.frames("resume")).toEqual([{ type: "resume", cursors: {} }]);
  });

  it("chunks a resume of more than 500 conversations and is ready after the last", async () => {
    const cursors: Record<string, number> = {};
    for (let id = 1; id <= 1203; id++) cursors[id] = id % 7;
    const { client } = makeClient({ cursors });
    client.connect();
    await tick();
    const sock = net.last;
    sock.hello();
    const resumes = sock.frames("resume");
    expect(resumes.map((f) => Object.keys(f.cursors as object).length)).toEqual([500, 500, 203]);
    expect(Object.assign({}, ...resumes.map((f) => f.cursors))).toEqual(cursors);
    for (const f of resumes.slice(0, 2)) {
      sock.push({ type: "resumed", cursors: f.cursors });
      expect(client.ready).toBe(false);
    }
    sock.push({ type: "resumed", cursors: resumes[2]!.cursors });
    expect(client.ready).toBe(true);
  });

  it("drops a conversation the server leaves out of resumed (not_found)", async () => {
    const { client, errors } = makeClient({ cursors: { 42: 3, 99: 5 } });
    client.connect();
    await tick();
    const sock = net.last;
    sock.hello();
    sock.push({ type: "error", code: "not_found", detail: "conversation 99 not found", field: "cursors" });
    sock.push({ type: "resumed", cursors: { "42": 3 } });
    expect(client.cursors()).toEqual({ "42": 3 });
    expect(errors.map((e) => e.code)).toEqual(["not_found"]);
  });

  it("gives up on a socket that sends no hello in time", async () => {
    const { client } = makeClient({ connectTimeoutMs: 5000 });
    client.connect();
    await tick();
    net.last.accept();
    await vi.advanceTimersByTimeAsync(5000);
    expect(client.state).toBe("reconnecting");
    expect(net.last.closedByClient?.code).toBe(4000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(net.sockets).toHaveLength(2);
  });

  it("only makes legal state changes and never leaves closed", async () => {
    const { client, states, sock } = await openClient();
    sock.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1000);
    await handshake(net.last);
    client.close();
    client.connect();
    await vi.advanceTimersByTimeAsync(60_000);
    const legal: Record<string, string[]> = {
      idle: ["connecting", "closed"],
      connecting: ["open", "reconnecting", "closed"],
      open: ["reconnecting", "closed"],
      reconnecting: ["connecting", "closed"],
      closed: [],
    };
    for (const s of states) expect(legal[s.previous]).toContain(s.state);
    expect(states.map((s) => s.state)).toEqual([
      "connecting",
      "open",
      "reconnecting",
      "connecting",
      "open",
      "closed",
    ]);
    expect(net.sockets).toHaveLength(2);
  });

  it("is closed by a state handler without a stray reconnect", async () => {
    const { client, sock } = await openClient();
    client.on("state", (s) => {
      if (s.state === "reconnecting") client.close();
    });
    sock.serverClose(1006);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(client.state).toBe("closed");
    expect(net.sockets).toHaveLength(1);
  });
});

describe("receiving", () => {
  it("delivers each message once, however often it arrives", async () => {
    const { client, messages, sock } = await openClient({ cursors: { 42: 2 } });
    sock.push(messageNew(42, 2)); // at the cursor: already held
    sock.push(messageNew(42, 3));
    sock.push(messageNew(42, 3));
    sock.push(messageNew(42, 4));
    sock.push(messageNew(42, 3));
    expect(messages.map((m) => m.seq)).toEqual([3, 4]);
    expect(client.stats().duplicates).toBe(3);
    // After a reconnect the backlog overlaps what was delivered: still once.
    sock.serverClose(1001, "server shutting down");
    await vi.advanceTimersByTimeAsync(1000);
    const next = net.last;
    next.hello();
    expect(next.frames("resume")).toEqual([{ type: "resume", cursors: { "42": 4 } }]);
    next.push(messageNew(42, 4));
    next.push(messageNew(42, 5));
    next.push({ type: "resumed", cursors: { "42": 5 } });
    expect(messages.map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  it("adopts a conversation it has no cursor for at the first message seen", async () => {
    const { client, messages, sock } = await openClient();
    sock.push(messageNew(7, 1));
    sock.push(messageNew(8, 12));
    sock.push(messageNew(8, 13));
    expect(messages.map((m) => [m.conversation_id, m.seq])).toEqual([
      [7, 1],
      [8, 12],
      [8, 13],
    ]);
    expect(client.cursors()).toEqual({ "7": 1, "8": 13 });
  });

  it("holds messages past a gap, asks resume for the conversation, then delivers in order", async () => {
    const { client, messages, sock } = await openClient({ cursors: { 42: 5 } });
    sock.push(messageNew(42, 8));
    sock.push(messageNew(42, 7));
    expect(messages).toEqual([]);
    expect(client.cursors()).toEqual({ "42": 5 });
    expect(sock.frames("resume").at(-1)).toEqual({ type: "resume", cursors: { "42": 5 } });
    expect(sock.frames("resume")).toHaveLength(2); // asked once per gap
    sock.push(messageNew(42, 6)); // the backlog fills the gap
    sock.push({ type: "resumed", cursors: { "42": 8 } });
    sock.push(messageNew(42, 9));
    expect(messages.map((m) => m.seq)).toEqual([6, 7, 8, 9]);
    expect(client.cursors()).toEqual({ "42": 9 });
    expect(client.stats().gaps).toBe(2);
    expect(client.stats().resyncs).toBe(0);
    expect(client.state).toBe("open");
  });

  it("reconnects when a resume leaves a gap the socket cannot fill, resuming it in the first frame", async () => {
    const cursors: Record<string, number> = {};
    for (let id = 1; id <= 600; id++) cursors[id] = 0;
    cursors[542] = 5;
    const { client, messages } = makeClient({ cursors });
    client.connect();
    await tick();
    const sock = net.last;
    sock.hello();
    const [first, second] = sock.frames("resume");
    expect(Object.keys(second!.cursors as object)).toContain("542");
    sock.push({ type: "resumed", cursors: first!.cursors });
    // A live message of a conversation in the second chunk gets out before its resume.
    sock.push(messageNew(542, 9));
    // The server resumes from what it delivered (9), not from the cursor (5): 6-8 never come.
    sock.push({ type: "resumed", cursors: { ...(second!.cursors as object), "542": 9 } });
    expect(client.stats().resyncs).toBe(1);
    expect(client.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1000);
    const next = net.last;
    next.hello();
    const resumes = next.frames("resume");
    expect(Object.keys(resumes[0]!.cursors as object)).toContain("542"); // in the first frame
    expect((resumes[0]!.cursors as Record<string, number>)["542"]).toBe(5);
    for (const seq of [6, 7, 8, 9]) next.push(messageNew(542, seq));
    for (const f of resumes) next.push({ type: "resumed", cursors: { ...(f.cursors as object) } });
    expect(messages.map((m) => m.seq)).toEqual([6, 7, 8, 9]);
    expect(client.ready).toBe(true);
  });

  it("follow() resumes a conversation loaded over REST from its seq", async () => {
    const { client, messages, sock } = await openClient();
    client.follow(42, 10);
    expect(sock.frames("resume").at(-1)).toEqual({ type: "resume", cursors: { "42": 10 } });
    sock.push(messageNew(42, 11));
    sock.push({ type: "resumed", cursors: { "42": 11 } });
    expect(messages.map((m) => m.seq)).toEqual([11]);
    client.follow(42, 3); // never back
    expect(client.cursors()).toEqual({ "42": 11 });
    client.forget(42);
    expect(client.cursors()).toEqual({});
  });

  it("emits typed events, note.new as note, and every frame (unknown ones too) as frame", async () => {
    const { client, sock } = await openClient();
    const seen: Record<string, unknown[]> = {};
    for (const type of ["typing", "read", "conversation", "queue.position", "queue.stats", "suggestions", "note", "delivery", "frame"] as const) {
      client.on(type, (payload: unknown) => (seen[type] ??= []).push(payload));
    }
    const conversation = { id: 42, contact_id: 17, channel: "web", status: "open", assignee_id: 3, last_seq: 9, created_at: "x", last_message_at: "x", closed_at: null };
    sock.push({ type: "typing", conversation_id: 42, sender: { type: "agent", id: 3 }, state: "start" });
    sock.push({ type: "read", conversation_id: 42, reader: { type: "agent", id: 3 }, seq: 9 });
    sock.push({ type: "conversation.updated", conversation });
    sock.push({ type: "queue.position", conversation_id: 42, position: 2, estimated_wait_s: 95 });
    sock.push({ type: "queue.stats", groups: [] });
    sock.push({ type: "suggestions", conversation_id: 42, message_id: 1, seq: 2, suggestions: [] });
    sock.push({ type: "note.new", note: { id: 5, conversation_id: 42, text: "VIP" } });
    sock.push({ type: "delivery.updated", conversation_id: 42, message_id: 930, status: "failed", error: "HTTP 400: unknown user" });
    sock.push({ type: "survey.requested", conversation_id: 42 });
    sock.push({ type: "pong" });
    expect(seen["typing"]).toHaveLength(1);
    expect(seen["delivery"]).toEqual([{ type: "delivery.updated", conversation_id: 42, message_id: 930, status: "failed", error: "HTTP 400: unknown user" }]);
    expect(seen["read"]).toEqual([{ type: "read", conversation_id: 42, reader: { type: "agent", id: 3 }, seq: 9 }]);
    expect(seen["conversation"]).toEqual([conversation]);
    expect(seen["queue.position"]).toHaveLength(1);
    expect(seen["queue.stats"]).toHaveLength(1);
    expect(seen["suggestions"]).toHaveLength(1);
    expect(seen["note"]).toEqual([{ id: 5, conversation_id: 42, text: "VIP" }]);
    expect((seen["frame"] as { type: string }[]).map((f) => f.type)).toEqual([
      "typing", "read", "conversation.updated", "queue.position", "queue.stats", "suggestions", "note.new", "delivery.updated", "survey.requested", "pong",
    ]);
  });

  it("survives a handler that throws", async () => {
    const { client, sock, messages } = await openClient();
    const thrown: unknown[] = [];
    const onError = (err: unknown) => thrown.push(err);
    process.on("uncaughtException", onError);
    client.on("message", () => {
      throw new Error("app bug");
    });
    sock.push(messageNew(1, 1));
    sock.push(messageNew(1, 2));
    await tick();
    process.off("uncaughtException", onError);
    expect(messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(client.cursors()).toEqual({ "1": 2 });
  });
});

describe("sending", () => {
  it("sends with a fresh client_msg_id and resolves with the ack", async () => {
    const { client, sock } = await openClient();
    const acks: Ack[] = [];
    client.on("ack", (a) => acks.push(a));
    const p1 = client.send(text("你好"));
    const p2 = client.send(text("在吗"), { conversationId: 42 });
    const [f1, f2] = sock.frames("message.send");
    expect(f1).toEqual({ type: "message.send", client_msg_id: f1!.client_msg_id, content: text("你好") });
    expect(f2).toMatchObject({ conversation_id: 42, content: text("在吗") });
    expect(f1!.client_msg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(f1!.client_msg_id).not.toBe(f2!.client_msg_id);
    sock.push(ackFor(f2!, 42, 3));
    sock.push(ackFor(f1!, 42, 2));
    sock.push(ackFor(f1!, 42, 2)); // a second ack for the same id: ignored
    await expect(p1).resolves.toMatchObject({ client_msg_id: f1!.client_msg_id, seq: 2 });
    await expect(p2).resolves.toMatchObject({ seq: 3 });
    expect(acks.map((a) => a.seq)).toEqual([3, 2]);
    expect(client.pending()).toEqual([]);
  });

  it("queues while not connected and sends after the resume", async () => {
    const { client } = makeClient();
    const sent = client.send(text("early"));
    client.connect();
    await tick();
    const sock = net.last;
    sock.hello();
    expect(sock.frames().map((f) => f.type)).toEqual(["resume"]);
    sock.push({ type: "resumed", cursors: {} });
    expect(sock.frames().map((f) => f.type)).toEqual(["resume", "message.send"]);
    sock.push(ackFor(sock.frames("message.send")[0]!));
    await expect(sent).resolves.toBeTruthy();
  });

  it("resends every unacked message after a reconnect, in order, with the same ids, after the resume", async () => {
    const { client, sock } = await openClient({ cursors: { 42: 1 } });
    const promises = [1, 2, 3, 4].map((n) => client.send(text(`m${n}`), { conversationId: 42 }));
    const first = sock.frames("message.send");
    sock.push(ackFor(first[0]!, 42, 2));
    sock.serverClose(1006); // network drop: acks for 2-4 lost
    await vi.advanceTimersByTimeAsync(1000);
    const next = net.last;
    expect(next).not.toBe(sock);
    next.hello();
    expect(next.frames().map((f) => f.type)).toEqual(["resume"]); // nothing before resumed
    client.send(text("m5"), { conversationId: 42 });
    expect(next.frames().map((f) => f.type)).toEqual(["resume"]);
    next.push({ type: "resumed", cursors: { "42": 1 } });
    const resent = next.frames("message.send");
    expect(resent.map((f) => f.client_msg_id)).toEqual([
      ...first.slice(1).map((f) => f.client_msg_id),
      resent[3]!.client_msg_id,
    ]);
    expect(resent.map((f) => (f.content as { text: string }).text)).toEqual(["m2", "m3", "m4", "m5"]);
    for (const [i, f] of resent.entries()) next.push(ackFor(f, 42, 3 + i));
    const acks = await Promise.all(promises);
    expect(acks.map((a) => a.seq)).toEqual([2, 3, 4, 5]);
    expect(client.stats().resends).toBe(3);
    expect(client.pending()).toEqual([]);
  });

  it("backs off on busy and store_failed, then resends with the same id before anything newer", async () => {
    const { client, sock, errors } = await openClient({ busyBackoff: { min: 1000, max: 8000 } });
    const p = client.send(text("a"), { conversationId: 42 });
    const [a] = sock.frames("message.send");
    sock.push({ type: "error", code: "busy", detail: "server busy; resend in a moment", client_msg_id: a!.client_msg_id });
    client.send(text("b"), { conversationId: 42 }); // waits for the back-off too
    expect(sock.frames("message.send")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(sock.frames("message.send")).toHaveLength(1); // at least half the minimum
    await vi.advanceTimersByTimeAsync(501);
    const after = sock.frames("message.send");
    // a again (same id), then b: the order of sending holds.
    expect(after.map((f) => (f.content as { text: string }).text)).toEqual(["a", "a", "b"]);
    expect(after[1]!.client_msg_id).toBe(a!.client_msg_id);
    // store_failed: again, with a longer pause (the back-off grows until an ack).
    sock.push({ type: "error", code: "store_failed", detail: "could not store", client_msg_id: a!.client_msg_id });
    await vi.advanceTimersByTimeAsync(999);
    expect(sock.frames("message.send")).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1001);
    expect(sock.frames("message.send").at(-1)!.client_msg_id).toBe(a!.client_msg_id);
    sock.push(ackFor(a!, 42, 2));
    await expect(p).resolves.toMatchObject({ seq: 2 });
    expect(client.stats().busyRetries).toBe(2);
    expect(errors).toEqual([]);
  });

  it("rejects a refused message with a typed error and drops it from the outbox", async () => {
    const { client, sock, errors } = await openClient();
    const p = client.send(text("x".repeat(6000)), { conversationId: 42 });
    const [f] = sock.frames("message.send");
    sock.push({
      type: "error",
      code: "too_large",
      detail: "text is 6000 characters; the limit is 5000",
      client_msg_id: f!.client_msg_id,
      field: "content.text",
    });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HuiliuError);
    expect(err).toMatchObject({ code: "too_large", field: "content.text", clientMsgId: f!.client_msg_id });
    expect((err as HuiliuError).detail).toContain("5000");
    expect(errors.map((e) => e.code)).toEqual(["too_large"]);
    expect(client.pending()).toEqual([]);
    sock.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1000);
    await handshake(net.last);
    expect(net.last.frames("message.send")).toEqual([]); // not resent
  });

  it("rejects a reply the channel's reply window refuses with its code, so the app can say why", async () => {
    const { client, sock } = await openClient();
    const p = client.send(text("在吗"), { conversationId: 42 });
    const [f] = sock.frames("message.send");
    sock.push({ type: "error", code: "reply_window_closed", detail: "WeChat accepts replies only within 48 hours", client_msg_id: f!.client_msg_id });
    const err = await p.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "reply_window_closed", clientMsgId: f!.client_msg_id });
    expect(client.pending()).toEqual([]);
  });

  it("refuses a frame over 1 MiB locally (the server would close the socket)", async () => {
    const { client, sock } = await openClient();
    await expect(client.send(text("字".repeat(400_000)))).rejects.toMatchObject({ code: "too_large" });
    expect(sock.frames("message.send")).toEqual([]);
  });

  it("rejects unacked sends on close() and refuses new ones", async () => {
    const { client, sock } = await openClient();
    const p = client.send(text("bye"));
    client.close();
    await expect(p).rejects.toMatchObject({ code: "closed" });
    await expect(client.send(text("later"))).rejects.toMatchObject({ code: "closed" });
    expect(sock.closedByClient).toEqual({ code: 1000, reason: "client closed" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(net.sockets).toHaveLength(1);
  });

  it("keeps the outbox in storage so a reload resends the typed message", async () => {
    localStorage.clear();
    const first = makeClient({ storage: localStorage, storageKey: "hl.test" });
    const lost = first.client.send(text("typed before the reload"), { conversationId: 42 });
    lost.catch(() => {});
    await tick(); // storage is read (it may be async) before anything is written
    const stored = JSON.parse(localStorage.getItem("hl.test")!);
    expect(stored).toMatchObject([{ conversationId: 42, content: text("typed before the reload") }]);
    // The page reloads: a new client with the same storage.
    const { client } = makeClient({ storage: localStorage, storageKey: "hl.test" });
    const sending = vi.fn();
    client.on("sending", sending);
    const acks: Ack[] = [];
    client.on("ack", (a) => acks.push(a));
    client.connect();
    await tick();
    await handshake(net.last);
    const [f] = net.last.frames("message.send");
    expect(f!.client_msg_id).toBe(stored[0].clientMsgId);
    expect(sending).toHaveBeenCalledWith(expect.objectContaining({ clientMsgId: stored[0].clientMsgId }));
    net.last.push(ackFor(f!, 42, 5));
    expect(acks).toHaveLength(1);
    expect(localStorage.getItem("hl.test")).toBeNull();
  });
});

describe("closing and reconnecting", () => {
  it.each([
    [4001, "invalid_token"],
    [4003, "wrong_endpoint"],
  ])("stops for good on %i", async (code, expected) => {
    const { client, states, errors } = makeClient();
    client.connect();
    await tick();
    const p = client.send(text("never"));
    net.last.accept();
    net.last.serverClose(code, "nope");
    await expect(p).rejects.toMatchObject({ code: expected, closeCode: code });
    expect(client.state).toBe("closed");
    expect(states.at(-1)).toMatchObject({ state: "closed", code, reason: "nope", error: { code: expected } });
    expect(errors.map((e) => e.code)).toEqual([expected]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.sockets).toHaveLength(1);
  });

  it.each([4008, 4009, 1001, 1006, 1011])("reconnects and resumes after %i", async (code) => {
    const { client, states, messages, sock } = await openClient({ cursors: { 42: 3 } });
    sock.push(messageNew(42, 4));
    sock.serverClose(code, "bye");
    expect(states.at(-1)).toMatchObject({ state: "reconnecting", code });
    const delay = states.at(-1)!.delayMs!;
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(100);
    await vi.advanceTimersByTimeAsync(delay);
    const next = net.last;
    expect(next).not.toBe(sock);
    next.hello();
    expect(next.frames("resume")).toEqual([{ type: "resume", cursors: { "42": 4 } }]);
    next.push(messageNew(42, 5));
    next.push({ type: "resumed", cursors: { "42": 5 } });
    expect(messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(client.stats()).toMatchObject({ connects: 2, reconnects: 1 });
  });

  it("backs off exponentially with jitter while the server is down, and resets once open", async () => {
    const { client, states, sock } = await openClient();
    sock.serverClose(1006);
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(states.at(-1)!.delayMs!);
      net.last.serverClose(1006); // refused
    }
    const delays = states.filter((s) => s.state === "reconnecting").map((s) => s.delayMs!);
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(d).toBeLessThanOrEqual(ceilings[i]!);
    });
    await vi.advanceTimersByTimeAsync(1000);
    await handshake(net.last);
    net.last.serverClose(1006);
    expect(states.at(-1)!.delayMs!).toBeLessThanOrEqual(100);
    client.close();
  });

  it("fetches a new token after 4002 and reconnects at once", async () => {
    const tokens = ["old", "new", "newer"];
    const token = vi.fn(async () => tokens.shift()!);
    const { client, errors } = makeClient({ token });
    client.connect();
    await tick();
    expect(net.last.token).toBe("old");
    await handshake(net.last);
    net.last.serverClose(4002, "token expired");
    await tick();
    expect(token).toHaveBeenCalledTimes(2);
    expect(net.sockets).toHaveLength(2);
    expect(net.last.token).toBe("new");
    await handshake(net.last);
    expect(client.state).toBe("open");
    expect(errors).toEqual([]);
  });

  it("stops on 4002 with a fixed token (nothing to refresh it with)", async () => {
    const { client, errors } = makeClient({ token: "fixed" });
    client.connect();
    await tick();
    net.last.accept();
    net.last.serverClose(4002, "token expired");
    expect(client.state).toBe("closed");
    expect(errors.map((e) => e.code)).toEqual(["token_expired"]);
  });

  it("retries when the token function fails", async () => {
    let calls = 0;
    const { client, errors } = makeClient({
      token: async () => {
        if (++calls === 1) throw new Error("offline");
        return "t";
      },
    });
    client.connect();
    await tick();
    expect(client.state).toBe("reconnecting");
    expect(errors.map((e) => e.code)).toEqual(["token_failed"]);
    await vi.advanceTimersByTimeAsync(100);
    expect(net.last.token).toBe("t");
  });
});

describe("heartbeat", () => {
  it("pings every heartbeat_s and treats a socket silent for twice that as dead", async () => {
    const { client, states } = makeClient();
    client.connect();
    await tick();
    const sock = net.last;
    await handshake(sock, 10);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sock.frames("ping")).toHaveLength(1);
    sock.push({ type: "pong" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sock.frames("ping")).toHaveLength(2);
    sock.push({ type: "pong" });
    expect(client.state).toBe("open");
    // From now on the server is silent: dead after 20 s.
    await vi.advanceTimersByTimeAsync(19_000);
    expect(client.state).toBe("open");
    await vi.advanceTimersByTimeAsync(2_600);
    expect(client.state).not.toBe("open");
    expect(states.find((s) => s.state === "reconnecting")).toMatchObject({ code: 4000 });
    expect(sock.closedByClient?.code).toBe(4000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(net.sockets).toHaveLength(2);
  });

  it("takes the interval from the options over hello's", async () => {
    const { client, sock } = await openClient({ heartbeatMs: 1000 });
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      sock.push({ type: "pong" });
    }
    expect(sock.frames("ping")).toHaveLength(3);
    expect(client.state).toBe("open");
  });
});

describe("read and typing", () => {
  it("never moves the read cursor back, and sends the latest after a reconnect", async () => {
    const { client, sock } = await openClient();
    expect(client.read(42, 5)).toBe(true);
    expect(client.read(42, 3)).toBe(false);
    expect(client.read(42, 5)).toBe(false);
    expect(sock.frames("read")).toEqual([{ type: "read", conversation_id: 42, seq: 5 }]);
    // Our own read from another tab moves it too.
    sock.push({ type: "read", conversation_id: 42, reader: { type: "contact", id: 17 }, seq: 9 });
    expect(client.read(42, 8)).toBe(false);
    sock.serverClose(1006);
    expect(client.read(42, 10)).toBe(true);
    expect(client.read(42, 12)).toBe(true);
    expect(client.typing(42)).toBe(false); // not queued
    await vi.advanceTimersByTimeAsync(1000);
    await handshake(net.last);
    expect(net.last.frames("read")).toEqual([{ type: "read", conversation_id: 42, seq: 12 }]);
    expect(client.typing(42, "stop")).toBe(true);
    expect(net.last.frames("typing")).toEqual([{ type: "typing", conversation_id: 42, state: "stop" }]);
  });
});
