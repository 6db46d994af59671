// The survey's pieces the workbench and the settings page share: defaults per scale (as
// the server's), points in the shape PUT /tenant/satisfaction takes, a result in one line,
// and the text channels' "reply with a number" exactly as channels/plaintext.py writes it.
import { describe, expect, it } from "vitest";

import { createI18n } from "vue-i18n";

import type { SatisfactionSettings } from "@/api/types";
import { satisfactionMessages as en } from "@/i18n/satisfaction.en";
import { satisfactionMessages as zh } from "@/i18n/satisfaction.zh-CN";

import { canCarrySurvey, defaultPoints, pointsBody, pointsOf, resultText, surveyText } from "./satisfaction";

describe("satisfaction", () => {
  it("starts each scale from its Chinese defaults", () => {
    expect(defaultPoints(3).map((p) => p.label)).toEqual(["不满意", "一般", "满意"]);
    expect(defaultPoints(2)[0]!.tags).toContain("回复慢");
    expect(defaultPoints(5)).toHaveLength(5);
  });

  it("reads the settings' points and writes them back, tags trimmed, unique, empty ones left out", () => {
    const settings = { scale: 3, labels: ["差", "中", "好"], tags: { "1": ["慢"] } } as unknown as SatisfactionSettings;
    const points = pointsOf(settings);
    expect(points).toEqual([{ label: "差", tags: ["慢"] }, { label: "中", tags: [] }, { label: "好", tags: [] }]);
    points[2]!.tags.push(" 快 ", "快", "");
    expect(pointsBody(points)).toEqual({ labels: ["差", "中", "好"], tags: { "1": ["慢"], "3": ["快"] } });
  });

  it("says a result on its own scale", () => {
    expect(resultText({ score: 2, label: "一般", scale: 3 })).toBe("一般（2/3）");
    expect(resultText({ score: null, label: null, scale: 5 })).toBe("");
  });

  it("writes the text channels' survey as the server does", () => {
    expect(surveyText("请评价", ["不满意", "满意"], false)).toBe("请评价\n1 不满意\n2 满意\n请回复数字 1-2 进行评价。");
    expect(surveyText("请评价", ["差", "中", "好"], true)).toContain("如“3 很满意”");
  });

  it("knows the phone carries no survey", () => {
    expect(canCarrySurvey("wechat")).toBe(true);
    expect(canCarrySurvey("web")).toBe(true);
    expect(canCarrySurvey("phone")).toBe(false);
  });

  it("has its words in both languages, each compiling in vue-i18n", () => {
    type Tree = { [k: string]: string | Tree };
    const leaves = (tree: Tree, prefix = ""): string[] =>
      Object.entries(tree).flatMap(([k, v]) => (typeof v === "string" ? [`${prefix}${k}`] : leaves(v, `${prefix}${k}.`)));
    expect(leaves(en as Tree).sort()).toEqual(leaves(zh as Tree).sort());
    for (const locale of ["en", "zh-CN"] as const) {
      const { global } = createI18n({ legacy: false, locale, messages: { en: { satisfaction: en }, "zh-CN": { satisfaction: zh } } });
      for (const key of leaves(zh as Tree, "satisfaction.")) {
        const out = global.t(key, { n: 3, max: 8, scale: 5, via: "v", label: "l", score: 4 });
        expect(out, key).not.toBe(key);
        expect(out, key).not.toContain("{");
      }
    }
  });
});
