// window.Huiliu: the calls a page made before widget.js loaded run in order once it is
// there, in either queued shape; unknown ones are reported, not fatal; a second copy of the
// script leaves the first in charge.
import { describe, expect, it, vi } from "vitest";

import { installApi, type WidgetMethods } from "../src/api";
import { toIdentity } from "../src/session";

function fakeWidget(log: unknown[][]): WidgetMethods {
  return {
    identify: (i) => void log.push(["identify", i]),
    track: () => void log.push(["track"]),
    open: () => void log.push(["open"]),
    close: () => void log.push(["close"]),
    on: (e, fn) => {
      log.push(["on", e, typeof fn]);
      return () => {};
    },
    reset: () => void log.push(["reset"]),
    visitor: () => ({ contactId: 7, verified: false }),
  };
}

/** What the documented snippet does before the script loads. */
function stubbed(calls: (api: Record<string, (...a: unknown[]) => void>) => void): { Huiliu?: unknown } {
  const host: { Huiliu?: { q: unknown[] } & Record<string, unknown> } = {};
  host.Huiliu = host.Huiliu || { q: [] };
  const stub = host.Huiliu;
  for (const m of ["identify", "track", "open", "close", "on", "reset"]) {
    stub[m] = stub[m] || ((...args: unknown[]) => void stub.q.push([m, args]));
  }
  calls(stub as unknown as Record<string, (...a: unknown[]) => void>);
  return host;
}

describe("the page's API", () => {
  it("runs the calls queued before the script loaded, in order", () => {
    const handler = () => {};
    const host = stubbed((h) => {
      h.on!("error", handler);
      h.identify!({ userId: "u1", signature: "a".repeat(64) });
      h.open!();
      h.track!();
    });
    const log: unknown[][] = [];
    const api = installApi(host, fakeWidget(log), "1.0")!;
    expect(log).toEqual([["on", "error", "function"], ["identify", { userId: "u1", signature: "a".repeat(64) }], ["open"], ["track"]]);
    expect(host.Huiliu).toBe(api);
    expect(api.version).toBe("1.0");
    // From now on, straight through.
    api.close();
    expect(log.at(-1)).toEqual(["close"]);
    expect(api.visitor()).toEqual({ contactId: 7, verified: false });
  });

  it("takes [method, ...args] entries too, and reports unknown ones without stopping", () => {
    const warn = vi.fn();
    const host = { Huiliu: { q: [["open"], ["explode", 1], "garbage", ["identify", { userId: 5, signature: "b".repeat(64) }]] } };
    const log: unknown[][] = [];
    installApi(host, fakeWidget(log), "1.0", warn);
    expect(log).toEqual([["open"], ["identify", { userId: 5, signature: "b".repeat(64) }]]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("keeps the first widget when the script is on the page twice", () => {
    const host = {};
    const first = installApi(host, fakeWidget([]), "1.0");
    expect(installApi(host, fakeWidget([]), "1.0")).toBeNull();
    expect((host as { Huiliu?: unknown }).Huiliu).toBe(first);
  });

  it("works without any stub at all", () => {
    const host: { Huiliu?: unknown } = {};
    const log: unknown[][] = [];
    installApi(host, fakeWidget(log), "1.0")!.open();
    expect(log).toEqual([["open"]]);
  });

  it("checks an identity before sending it", () => {
    expect(toIdentity({ userId: 42, signature: "A".repeat(64), name: "王小明", email: "", attributes: { level: "gold" } })).toEqual({
      user_id: "42",
      signature: "a".repeat(64),
      name: "王小明",
      attributes: { level: "gold" },
    });
    expect(toIdentity({ userId: "", signature: "a".repeat(64) })).toContain("userId");
    expect(toIdentity({ userId: "u1", signature: "not-hex" })).toContain("64 hex");
    expect(toIdentity(null as never)).toContain("userId");
  });
});
