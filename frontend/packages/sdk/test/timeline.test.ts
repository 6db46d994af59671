import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HuiliuClient, HuiliuError, Timeline, type TimelineItem } from "../src/index";
import type { PendingMessage } from "../src/outbox";
import { FakeNetwork, ackFor, message, messageNew } from "./fake-socket";

const text = (t: string) => ({ type: "text" as const, text: t });
const pending = (clientMsgId: string, conversationId?: number, at = 0): PendingMessage => ({
  clientMsgId,
  content: text(clientMsgId),
  createdAt: at,
  ...(conversationId !== undefined ? { conversationId } : {}),
});
const ack = (clientMsgId: string, seq: number, conversation_id = 42) => ({
  type: "ack" as const,
  client_msg_id: clientMsgId,
  message_id: 9000 + seq,
  conversation_id,
  seq,
});
const describeItems = (items: readonly TimelineItem[]) =>
  items.map((i) => (i.kind === "message" ? `${i.seq}` : `${i.clientMsgId}:${i.status}${i.seq ? `@${i.seq}` : ""}`));

describe("Timeline", () => {
  it("orders stored messages by seq and drops duplicates and other conversations", () => {
    const t = new Timeline(42);
    for (const seq of [3, 1, 2, 5, 2, 4, 1]) t.add(message(42, seq));
    expect(t.add(message(42, 3))).toBe(false);
    expect(t.add(message(7, 6))).toBe(false);
    expect(describeItems(t.items())).toEqual(["1", "2", "3", "4", "5"]);
    expect(t.lastSeq).toBe(5);
  });

  it("shows pending messages after the stored ones, in the order sent", () => {
    const t = new Timeline(42);
    t.add(message(42, 1));
    t.addPending(pending("b", 42, 2));
    t.addPending(pending("a", 42, 1));
    t.add(message(42, 2));
    expect(describeItems(t.items())).toEqual(["1", "2", "b:sending", "a:sending"]);
  });

  it("moves an acked message to its seq, then replaces it by the stored one with the same key", () => {
    const t = new Timeline(42);
    t.add(message(42, 1));
    t.addPending(pending("a", 42));
    t.addPending(pending("b", 42));
    t.ack(ack("b", 3));
    expect(describeItems(t.items())).toEqual(["1", "b:acked@3", "a:sending"]);
    const keyBefore = t.items()[1]!.key;
    t.ack(ack("a", 2));
    expect(describeItems(t.items())).toEqual(["1", "a:acked@2", "b:acked@3"]);
    t.add(message(42, 3, { id: 9003, client_msg_id: "b" }));
    t.add(message(42, 2, { id: 9002, client_msg_id: "a" }));
    const items = t.items();
    expect(describeItems(items)).toEqual(["1", "2", "3"]);
    expect(items[2]!.key).toBe(keyBefore);
    expect(items.every((i) => i.kind === "message")).toBe(true);
  });

  it("handles the stored copy arriving before the ack", () => {
    const t = new Timeline(42);
    t.addPending(pending("a", 42));
    t.add(message(42, 1, { id: 9001, client_msg_id: "a" }));
    t.ack(ack("a", 1));
    expect(describeItems(t.items())).toEqual(["1"]);
    expect(t.items()[0]!.key).toBe("c:a");
  });

  it("marks a refused message failed until removed", () => {
    const t = new Timeline(42);
    t.addPending(pending("a", 42));
    t.fail("a", new HuiliuError("too_large", "too long", { clientMsgId: "a" }));
    const [item] = t.items();
    expect(item).toMatchObject({ kind: "pending", status: "failed", error: { code: "too_large" } });
    t.remove("a");
    expect(t.items()).toEqual([]);
  });

  it("adopts the conversation of the first ack when started without one (a new visitor)", () => {
    const t = new Timeline();
    t.addPending(pending("first"));
    t.ack(ack("first", 2, 77));
    expect(t.conversationId).toBe(77);
    t.add(message(77, 1));
    expect(t.add(message(78, 1))).toBe(false);
    expect(describeItems(t.items())).toEqual(["1", "first:acked@2"]);
  });

  it("notifies subscribers with a stable snapshot", () => {
    const t = new Timeline(42);
    const seen: number[] = [];
    const off = t.subscribe((items) => seen.push(items.length));
    t.add(message(42, 1));
    t.add(message(42, 1));
    t.addPending(pending("a", 42));
    off();
    t.add(message(42, 2));
    expect(seen).toEqual([1, 2]);
    expect(t.items()).toBe(t.items());
    expect(Object.isFrozen(t.items())).toBe(true);
  });
});

describe("Timeline bound to a client", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("follows sends, acks, the stored copies and refusals", async () => {
    const net = new FakeNetwork();
    const client = new HuiliuClient({ url: "ws://x/ws/visitor", token: "t", WebSocket: net.WebSocket, cursors: { 42: 1 } });
    const t = new Timeline(42);
    const off = t.bind(client);
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const sock = net.last;
    sock.autoResume = true;
    sock.hello();
    await vi.advanceTimersByTimeAsync(0);
    const ok = client.send(text("hi"), { conversationId: 42 });
    const bad = client.send(text("x".repeat(6000)), { conversationId: 42 });
    bad.catch(() => {});
    const [f1, f2] = sock.frames("message.send");
    expect(describeItems(t.items())).toEqual([`${f1!.client_msg_id}:sending`, `${f2!.client_msg_id}:sending`]);
    sock.push(messageNew(42, 2, { sender: { type: "agent", id: 3 } }));
    sock.push(ackFor(f1!, 42, 3));
    sock.push({ type: "error", code: "too_large", detail: "too long", client_msg_id: f2!.client_msg_id, field: "content.text" });
    sock.push(messageNew(42, 3, { id: (ackFor(f1!, 42, 3)).message_id, client_msg_id: f1!.client_msg_id as string }));
    await ok;
    expect(describeItems(t.items())).toEqual(["2", "3", `${f2!.client_msg_id}:failed`]);
    off();
    client.close();
  });
});
