/** "3分12秒" / "3m 12s": how long since a moment, for waiting times. */
export function elapsed(fromIso: string | null | undefined, now: number, locale: string): string {
  if (!fromIso) return "";
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  return duration(s, locale);
}

export function duration(totalSeconds: number, locale: string): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const zh = locale.startsWith("zh");
  if (s < 60) return zh ? `${s}秒` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return zh ? `${m}分${s % 60}秒` : `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return zh ? `${h}小时${m % 60}分` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return zh ? `${d}天` : `${d}d`;
}

export function clock(iso: string, locale: string): string {
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString(locale, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The SLA colour of a conversation waiting for the agent's answer: a customer expects one
 * within a minute (74.5% of them); past three minutes it is late. */
export type Sla = "ok" | "warn" | "late" | "none";

export function sla(
  lastContactAt: string | null | undefined,
  lastAgentAt: string | null | undefined,
  now: number,
): Sla {
  if (!lastContactAt) return "none";
  if (lastAgentAt && lastAgentAt >= lastContactAt) return "none";
  const waited = (now - Date.parse(lastContactAt)) / 1000;
  if (waited < 60) return "ok";
  if (waited < 180) return "warn";
  return "late";
}
