// Satisfaction surveys in the workbench and the admin page: the defaults a scale starts
// from (the server's, satisfaction/settings.py), which channels carry a survey, a survey's
// result in one line, and how a survey reads on the text channels (channels/plaintext.py).
import type { SatisfactionSettings, Survey } from "@/api/types";

export const SCALES = [2, 3, 5] as const;
export type Scale = (typeof SCALES)[number];

export const DEFAULT_LABELS: Record<Scale, string[]> = {
  5: ["非常不满意", "不满意", "一般", "满意", "非常满意"],
  3: ["不满意", "一般", "满意"],
  2: ["不满意", "满意"],
};
const LOW = ["回复慢", "没解决问题", "态度不好"];
const MIDDLE = ["回复慢", "没解决问题"];
const HIGH = ["回复及时", "解决了问题", "态度很好"];
export const DEFAULT_TAGS: Record<Scale, string[][]> = {
  5: [LOW, LOW, MIDDLE, HIGH, HIGH],
  3: [LOW, MIDDLE, HIGH],
  2: [LOW, HIGH],
};
export const MAX_TAGS = 8;

/** The phone cannot carry a survey; every other channel can (docs/satisfaction.md). */
export function canCarrySurvey(channel: string | null | undefined): boolean {
  return !!channel && channel !== "phone";
}

/** One point of the scale as the settings page edits it. */
export interface PointDraft {
  label: string;
  tags: string[];
}

export function pointsOf(settings: SatisfactionSettings): PointDraft[] {
  const scale = settings.scale as Scale;
  const labels = settings.labels ?? DEFAULT_LABELS[scale];
  return labels.map((label, i) => ({ label, tags: [...(settings.tags?.[String(i + 1)] ?? [])] }));
}

export function defaultPoints(scale: Scale): PointDraft[] {
  return DEFAULT_LABELS[scale].map((label, i) => ({ label, tags: [...(DEFAULT_TAGS[scale][i] ?? [])] }));
}

/** The points as PUT /tenant/satisfaction takes them. */
export function pointsBody(points: PointDraft[]): { labels: string[]; tags: Record<string, string[]> } {
  const tags: Record<string, string[]> = {};
  points.forEach((p, i) => {
    const clean = [...new Set(p.tags.map((t) => t.trim()).filter(Boolean))];
    if (clean.length) tags[String(i + 1)] = clean;
  });
  return { labels: points.map((p) => p.label.trim()), tags };
}

/** "满意（4/5）": the answer's label and where it sits on its scale. */
export function resultText(survey: Pick<Survey, "score" | "label" | "scale">): string {
  if (survey.score == null) return "";
  return `${survey.label ?? survey.score}（${survey.score}/${survey.scale}）`;
}

/** The survey as WeChat, SMS and Weibo customers read it. */
export function surveyText(prompt: string, labels: string[], comment: boolean): string {
  const top = labels.length || 5;
  let hint = `请回复数字 1-${top} 进行评价`;
  if (comment) hint += `，可在数字后附上您的意见，如“${top} 很满意”`;
  return [prompt, ...labels.map((l, i) => `${i + 1} ${l}`), `${hint}。`].join("\n");
}
