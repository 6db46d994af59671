import type NodeWebSocket from "ws";
import { describe, expect, it } from "vitest";
import { Backoff } from "../src/backoff";
import { newClientMsgId } from "../src/ids";
import { Outbox, type OutboxStorage } from "../src/outbox";
import { Sequencer } from "../src/sequencer";
import type { WebSocketConstructor } from "../src/types";
import { message } from "./fake-socket";

describe("Backoff", () => {
  it("doubles up to max, jittered between half and all of the ceiling", () => {
    const low = new Backoff({ min: 100, max: 1000 }, () => 0);
    const high = new Backoff({ min: 100, max: 1000 }, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map(() => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    high.reset();
    expect(high.next()).toBe(100);
    expect(high.attempts).toBe(1);
  });
});

describe("Sequencer", () => {
  it("advances only contiguously and releases held messages when the gap fills", () => {
    const s = new Sequencer({ 42: 2 });
    expect(s.accept(message(42, 2)).kind).toBe("duplicate");
    expect(s.accept(message(42, 5))).toEqual({ kind: "gap", cursor: 2 });
    expect(s.accept(message(42, 5)).kind).toBe("duplicate");
    expect(s.accept(message(42, 4)).kind).toBe("gap");
    expect(s.hasGap(42)).toBe(true);
    const out = s.accept(message(42, 3));
    expect(out.kind === "deliver" && out.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(s.hasGap(42)).toBe(false);
    expect(s.snapshot()).toEqual({ "42": 5 });
  });

  it("ignores malformed initial cursors", () => {
    const s = new Sequencer({ abc: 3, "0": 1, "5": -1, "6": 1.5, "7": 2 });
    expect(s.snapshot()).toEqual({ "7": 2 });
  });
});

describe("Outbox", () => {
  it("puts restored entries before newer ones and survives broken storage", async () => {
    const data = new Map<string, string>([
      ["k", JSON.stringify([{ clientMsgId: "old", content: { type: "text", text: "o" }, createdAt: 1 }, { bogus: true }])],
    ]);
    const storage: OutboxStorage = {
      getItem: async (k) => data.get(k) ?? null,
      setItem: (k, v) => void data.set(k, v),
      removeItem: (k) => void data.delete(k),
    };
    const box = new Outbox(storage, "k");
    box.add({ clientMsgId: "new", content: { type: "text", text: "n" }, createdAt: 2 });
    const restored = await box.load();
    expect(restored.map((m) => m.clientMsgId)).toEqual(["old"]);
    expect(box.entries().map((m) => m.clientMsgId)).toEqual(["old", "new"]);
    box.remove("old");
    box.remove("new");
    expect(data.has("k")).toBe(false);

    const errors: unknown[] = [];
    const full = new Outbox(
      { getItem: () => "{not json", setItem: () => { throw new Error("QuotaExceededError"); } },
      "k",
      (e) => errors.push(e),
    );
    expect(await full.load()).toEqual([]);
    full.add({ clientMsgId: "x", content: { type: "text", text: "x" }, createdAt: 3 });
    expect(full.size).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe("newClientMsgId", () => {
  it("is unique and fits the protocol's 64 characters, with or without crypto", () => {
    const ids = new Set(Array.from({ length: 1000 }, newClientMsgId));
    expect(ids.size).toBe(1000);
    const real = globalThis.crypto;
    const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto");
    try {
      const getRandomValues = real.getRandomValues.bind(real);
      Object.defineProperty(globalThis, "crypto", { value: { getRandomValues }, configurable: true });
      expect(newClientMsgId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
      const a = newClientMsgId();
      expect(a.length).toBeLessThanOrEqual(64);
      expect(a).not.toBe(newClientMsgId());
    } finally {
      if (saved) Object.defineProperty(globalThis, "crypto", saved);
    }
  });
});

describe("WebSocketConstructor", () => {
  it("is satisfied by the browser's WebSocket and by the ws package's (checked by tsc)", () => {
    const browser: WebSocketConstructor = WebSocket;
    const node: WebSocketConstructor = null as unknown as typeof NodeWebSocket;
    expect(typeof browser).toBe("function");
    expect(node).toBeNull();
  });
});
