// How a sampled conversation's numbers read in the quality pages, and the period a date
// range stands for.
import { duration } from "@/lib/format";

export const CHANNELS = ["web", "app", "wechat", "weibo", "email", "sms", "phone", "api"] as const;
export const MODES = ["random", "low_score", "long", "by_agent"] as const;

export function ratingText(score: number | null, scale: number | null): string {
  return score === null || !scale ? "—" : `${score}/${scale}`;
}

export function handlingText(seconds: number | null, locale: string): string {
  return seconds === null ? "—" : duration(seconds, locale);
}

export function scoreText(total: number | null): string {
  return total === null ? "—" : total.toFixed(1);
}

/** "YYYY-MM-DD" as the start of that day where the browser is. */
function dayStart(day: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1);
}

/** A date range, both days included, as the sample's `since` and `until` (the day after the
 * last, or null when that is still to come: the server takes now). */
export function periodOf(range: [string, string], now: number): { since: string; until: string | null } {
  const since = dayStart(range[0]);
  const end = dayStart(range[1]);
  end.setDate(end.getDate() + 1);
  return { since: since.toISOString(), until: end.getTime() > now ? null : end.toISOString() };
}

export function startsInFuture(range: [string, string], now: number): boolean {
  return dayStart(range[0]).getTime() > now;
}

export function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The last `days` days, today included. */
export function lastDays(days: number, now: number): [string, string] {
  const end = new Date(now);
  const start = new Date(now);
  start.setDate(start.getDate() - (days - 1));
  return [isoDay(start), isoDay(end)];
}
