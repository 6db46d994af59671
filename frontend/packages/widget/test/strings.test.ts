// Both languages say everything, and placeholders survive translation.
import { describe, expect, it } from "vitest";

import { fill, STRINGS, waitText } from "../src/strings";

describe("the widget's words", () => {
  it("exist in Chinese and English with the same keys and placeholders", () => {
    const zh = STRINGS["zh-CN"];
    const en = STRINGS.en;
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      expect(zh[key], key).not.toBe("");
      expect(en[key], key).not.toBe("");
      const holes = (t: string) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(holes(en[key]), key).toEqual(holes(zh[key]));
    }
  });

  it("fill in values as text", () => {
    expect(fill("客服 {name} 为您服务", { name: "<b>小汇</b>" })).toBe("客服 <b>小汇</b> 为您服务");
    expect(fill("{missing} stays", {})).toBe("{missing} stays");
    expect(waitText(STRINGS["zh-CN"], 30)).toBe("不到 1 分钟");
    expect(waitText(STRINGS.en, 150)).toBe("about 3 min");
  });
});
