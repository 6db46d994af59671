// How report numbers read: counts with separators, shares as percentages, seconds as
// durations (12.5秒, 3分12秒, 5小时3分), scores on five points; "—" for a number the period
// has none of (an average over no conversations).
import type { SeriesMetric } from "@/api/reports";

export type Kind = "count" | "ratio" | "seconds" | "score";

const EMPTY = "—";

export function count(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined) return EMPTY;
  return value.toLocaleString(locale, { maximumFractionDigits: 0 });
}

/** 0.734 → "73.4%". */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return EMPTY;
  const p = value * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** Seconds as a duration: one decimal under a minute (averages are rarely whole). */
export function seconds(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined || Number.isNaN(value)) return EMPTY;
  const zh = locale.startsWith("zh");
  const s = Math.max(0, value);
  if (s < 60) {
    const v = Number.isInteger(s) ? String(s) : s.toFixed(1);
    return zh ? `${v}秒` : `${v}s`;
  }
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  if (m < 60) return zh ? `${m}分${whole % 60}秒` : `${m}m ${whole % 60}s`;
  const h = Math.floor(m / 60);
  return zh ? `${h}小时${m % 60}分` : `${h}h ${m % 60}m`;
}

/** A 5-point score: 4.25 → "4.25". */
export function score(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return EMPTY;
  return value.toFixed(2);
}

export function kindOf(metric: SeriesMetric): Kind {
  if (metric === "satisfaction_score_5") return "score";
  if (metric.endsWith("_s")) return "seconds";
  if (/(rate|share|occupancy)$/.test(metric) || metric === "satisfaction_score") return "ratio";
  return "count";
}

export function formatAs(kind: Kind, value: number | null | undefined, locale: string): string {
  switch (kind) {
    case "count":
      return count(value, locale);
    case "ratio":
      return percent(value);
    case "seconds":
      return seconds(value, locale);
    case "score":
      return score(value);
  }
}
