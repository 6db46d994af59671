// The score math the review form shows while the reviewer scores — the same rules as the
// server's (src/huiliu/quality/scoring.py), which computes the total that is stored:
// a pass/fail item earns its points when passed, a points item the points given, n/a items
// count neither way, total = 100 × earned / possible (one decimal), 0 when a critical item
// failed; items not scored yet are left out (the total so far).
import type { ChecklistItem, Score, ScoreIn } from "@/api/quality";

/** One item's score in the form. `choice`: pass/fail items' radio; `points`: points items'. */
export interface ScoreDraft {
  key: string;
  choice: "pass" | "fail" | "na" | null;
  points: number | null;
  na: boolean;
  comment: string;
}

export interface Total {
  total: number | null;
  earned: number;
  possible: number;
  criticalFailed: boolean;
}

export function draftOf(items: ChecklistItem[], scores: Score[]): ScoreDraft[] {
  const byKey = new Map(scores.map((s) => [s.key, s]));
  return items.map((item) => {
    const s = byKey.get(item.key);
    const choice = s?.na ? "na" : s?.passed === true ? "pass" : s?.passed === false ? "fail" : null;
    return { key: item.key, choice: item.scoring === "pass_fail" ? choice : null, points: s?.points ?? null, na: s?.na ?? false, comment: s?.comment ?? "" };
  });
}

function isNa(item: ChecklistItem, d: ScoreDraft): boolean {
  return item.scoring === "pass_fail" ? d.choice === "na" : d.na;
}

/** What the item adds, or null (n/a, not scored yet). */
export function earnedBy(item: ChecklistItem, d: ScoreDraft | undefined): number | null {
  if (!d || isNa(item, d)) return null;
  if (item.scoring === "pass_fail") {
    if (d.choice === null) return null;
    return d.choice === "pass" ? item.max_points : 0;
  }
  return d.points === null || d.points === undefined || Number.isNaN(d.points) ? null : d.points;
}

export function totalOf(items: ChecklistItem[], drafts: ScoreDraft[]): Total {
  const byKey = new Map(drafts.map((d) => [d.key, d]));
  let earned = 0;
  let possible = 0;
  let criticalFailed = false;
  for (const item of items) {
    const d = byKey.get(item.key);
    const points = earnedBy(item, d);
    if (points === null) continue;
    earned += points;
    possible += item.max_points;
    if (item.critical && d?.choice === "fail") criticalFailed = true;
  }
  if (possible === 0) return { total: null, earned: 0, possible: 0, criticalFailed };
  const total = criticalFailed ? 0 : Math.round((1000 * earned) / possible) / 10;
  return { total, earned, possible, criticalFailed };
}

/** What is wrong with one item's score (the server says the same): null when fine. */
export function problemOf(item: ChecklistItem, d: ScoreDraft): "above" | "negative" | "whole" | "criticalNa" | null {
  if (item.scoring === "pass_fail") return item.critical && d.choice === "na" ? "criticalNa" : null;
  if (d.na || d.points === null) return null;
  if (!Number.isInteger(d.points)) return "whole";
  if (d.points < 0) return "negative";
  if (d.points > item.max_points) return "above";
  return null;
}

/** The labels of items neither scored nor n/a (a submit needs none). */
export function missing(items: ChecklistItem[], drafts: ScoreDraft[]): string[] {
  const byKey = new Map(drafts.map((d) => [d.key, d]));
  return items.filter((i) => {
    const d = byKey.get(i.key);
    return !d || (!isNa(i, d) && earnedBy(i, d) === null);
  }).map((i) => i.label);
}

/** The scores as PATCH /quality/reviews/{id} takes them (items untouched are left out). */
export function scoresIn(items: ChecklistItem[], drafts: ScoreDraft[]): ScoreIn[] {
  const byKey = new Map(drafts.map((d) => [d.key, d]));
  const out: ScoreIn[] = [];
  for (const item of items) {
    const d = byKey.get(item.key);
    if (!d) continue;
    const comment = d.comment.trim();
    if (isNa(item, d)) out.push({ key: item.key, na: true, comment });
    else if (item.scoring === "pass_fail" && d.choice !== null) out.push({ key: item.key, passed: d.choice === "pass", comment });
    else if (item.scoring === "points" && d.points !== null) out.push({ key: item.key, points: d.points, comment });
    else if (comment) out.push({ key: item.key, comment });
  }
  return out;
}

/** The item a server error's field names ("scores.2.points" → the third score sent). */
export function itemOfField(field: string | undefined, sent: ScoreIn[]): string | null {
  const m = /^scores\.(\d+)/.exec(field ?? "");
  if (!m) return null;
  return sent[Number(m[1])]?.key ?? null;
}

export function passedMark(total: number | null, passMark: number): boolean | null {
  return total === null ? null : total >= passMark;
}
