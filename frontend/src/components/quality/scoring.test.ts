// The review form's score math: the same totals the server computes (tests/test_quality.py
// checks the server's with these numbers).
import { describe, expect, it } from "vitest";

import { draftOf, itemOfField, missing, problemOf, scoresIn, totalOf, type ScoreDraft } from "./scoring";
import { ITEMS } from "./test-helpers";

function d(key: string, over: Partial<ScoreDraft>): ScoreDraft {
  return { key, choice: null, points: null, na: false, comment: "", ...over };
}

const FULL = [d("greeting", { choice: "pass" }), d("solution", { points: 24 }), d("tone", { na: true }), d("compliance", { choice: "pass" })];

describe("totalOf", () => {
  it("weighs items by their points and leaves n/a out", () => {
    expect(totalOf(ITEMS, FULL)).toEqual({ total: 88, earned: 44, possible: 50, criticalFailed: false });
  });

  it("is 0 when a critical item failed, whatever the rest earned", () => {
    const failed = [...FULL.slice(0, 3), d("compliance", { choice: "fail" })];
    expect(totalOf(ITEMS, failed)).toEqual({ total: 0, earned: 34, possible: 50, criticalFailed: true });
  });

  it("counts what is scored so far, to one decimal", () => {
    expect(totalOf(ITEMS, [d("greeting", { choice: "fail" }), d("solution", { points: 15 })]).total).toBe(37.5);
    expect(totalOf(ITEMS, [d("solution", { points: 10 })]).total).toBe(33.3);
    // Halves go up, as on the server: 149 of 400 is 37.25.
    const wide = ["a", "b", "c", "d"].map((key) => ({ ...ITEMS[1]!, key, label: key, max_points: 100 }));
    expect(totalOf(wide, [d("a", { points: 100 }), d("b", { points: 49 }), d("c", { points: 0 }), d("d", { points: 0 })]).total).toBe(37.3);
    expect(totalOf(ITEMS, []).total).toBeNull();
    expect(totalOf(ITEMS, [d("tone", { na: true })]).total).toBeNull();
  });
});

describe("the form's checks", () => {
  it("names what is missing, and what is wrong with a score", () => {
    expect(missing(ITEMS, FULL.slice(0, 2))).toEqual(["服务态度", "合规承诺"]);
    expect(missing(ITEMS, FULL)).toEqual([]);
    expect(problemOf(ITEMS[1]!, d("solution", { points: 31 }))).toBe("above");
    expect(problemOf(ITEMS[1]!, d("solution", { points: -1 }))).toBe("negative");
    expect(problemOf(ITEMS[1]!, d("solution", { points: 2.5 }))).toBe("whole");
    expect(problemOf(ITEMS[3]!, d("compliance", { choice: "na" }))).toBe("criticalNa");
    expect(problemOf(ITEMS[1]!, d("solution", { points: 30 }))).toBeNull();
  });

  it("sends the scores as the server takes them and maps its errors back to items", () => {
    const sent = scoresIn(ITEMS, [...FULL.slice(0, 1), d("solution", { comment: " 只有评语 " }), ...FULL.slice(2)]);
    expect(sent).toEqual([
      { key: "greeting", passed: true, comment: "" },
      { key: "solution", comment: "只有评语" },
      { key: "tone", na: true, comment: "" },
      { key: "compliance", passed: true, comment: "" },
    ]);
    expect(itemOfField("scores.3.passed", sent)).toBe("compliance");
    expect(itemOfField("comment", sent)).toBeNull();
  });

  it("reads stored scores back into the form", () => {
    const drafts = draftOf(ITEMS, [
      { key: "greeting", passed: false, points: null, na: false, comment: "未问候", earned: 0 },
      { key: "tone", passed: null, points: null, na: true, comment: "", earned: null },
    ]);
    expect(drafts.map((x) => [x.key, x.choice, x.points, x.na])).toEqual([
      ["greeting", "fail", null, false],
      ["solution", null, null, false],
      ["tone", null, null, true],
      ["compliance", null, null, false],
    ]);
  });
});
