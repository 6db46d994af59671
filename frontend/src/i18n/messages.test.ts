import { describe, expect, it } from "vitest";

import { messages as en } from "./en";
import { messages as zh } from "./zh-CN";

function keys(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe("messages", () => {
  it("have the same keys in Chinese and English", () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort());
  });

  it("have no empty strings", () => {
    const empty = (m: unknown) => keys(m).filter((k) => k.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], m) === "");
    expect(empty(zh)).toEqual([]);
    expect(empty(en)).toEqual([]);
  });
});
