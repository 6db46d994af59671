import { describe, expect, it } from "vitest";

import { linkify } from "./linkify";

describe("linkify", () => {
  it("turns http(s) addresses into link segments and leaves the rest as text", () => {
    expect(linkify("看这里 https://shop.example.com/p/1，谢谢")).toEqual([
      { text: "看这里 " },
      { text: "https://shop.example.com/p/1", href: "https://shop.example.com/p/1" },
      { text: "，谢谢" },
    ]);
  });

  it("never links javascript: or other schemes", () => {
    const segments = linkify("javascript:alert(1) and data:text/html,<b>x</b>");
    expect(segments.every((s) => s.href === undefined)).toBe(true);
  });

  it("drops trailing punctuation from a link", () => {
    expect(linkify("see http://a.example/x.")[1]).toEqual({ text: "http://a.example/x", href: "http://a.example/x" });
  });
});
