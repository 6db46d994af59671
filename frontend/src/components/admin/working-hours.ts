// A skill group's working hours as the editor holds them: always open, or a time zone,
// opening spans per weekday and holidays. `toPatch` gives what PATCH /groups/{id} takes
// (`always_open: true`, or `working_hours`), `validateHours` what the server would refuse.
import type { Span, Weekday, WorkingHoursIn } from "@/api/admin-types";
import type { WorkingHours } from "@/api/types";

export const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const DEFAULT_TIMEZONE = "Asia/Shanghai";
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface HoursDraft {
  alwaysOpen: boolean;
  timezone: string;
  weekly: Record<Weekday, Span[]>;
  holidays: string[];
}

/** "09:00:00" (how the server returns a time) or "9:00" → "09:00". */
export function hhmm(value: string): string {
  const m = /^(\d{1,2}):(\d{2})/.exec(value.trim());
  if (!m) return value.trim();
  return `${(m[1] as string).padStart(2, "0")}:${m[2]}`;
}

function emptyWeek(): Record<Weekday, Span[]> {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
}

/** Office hours on weekdays, for a group that had none. */
export function officeHours(timezone = DEFAULT_TIMEZONE): HoursDraft {
  const weekly = emptyWeek();
  for (const day of WEEKDAYS.slice(0, 5)) weekly[day] = [{ start: "09:00", end: "18:00" }];
  return { alwaysOpen: false, timezone, weekly, holidays: [] };
}

export function fromHours(hours: WorkingHours | null | undefined): HoursDraft {
  if (!hours) return { ...officeHours(), alwaysOpen: true };
  const weekly = emptyWeek();
  for (const day of WEEKDAYS) {
    weekly[day] = (hours.weekly[day] ?? []).map((s) => ({ start: hhmm(s.start), end: hhmm(s.end) }));
  }
  return {
    alwaysOpen: false,
    timezone: hours.timezone ?? DEFAULT_TIMEZONE,
    weekly,
    holidays: [...(hours.holidays ?? [])].sort(),
  };
}

/** The working hours the server takes; days without spans are left out (closed). */
export function toHours(draft: HoursDraft): WorkingHoursIn {
  const weekly: WorkingHoursIn["weekly"] = {};
  for (const day of WEEKDAYS) {
    const spans = [...draft.weekly[day]]
      .map((s) => ({ start: hhmm(s.start), end: hhmm(s.end) }))
      .sort((a, b) => a.start.localeCompare(b.start));
    if (spans.length) weekly[day] = spans;
  }
  return { timezone: draft.timezone.trim(), weekly, holidays: [...new Set(draft.holidays)].sort() };
}

/** For PATCH /groups/{id}. */
export function toPatch(draft: HoursDraft): { always_open: true } | { working_hours: WorkingHoursIn } {
  return draft.alwaysOpen ? { always_open: true } : { working_hours: toHours(draft) };
}

/** For POST /groups (a new group has no `always_open`: null hours are always open). */
export function toCreate(draft: HoursDraft): WorkingHoursIn | null {
  return draft.alwaysOpen ? null : toHours(draft);
}

export function isKnownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone.trim() !== "";
  } catch {
    return false;
  }
}

export interface HoursProblem {
  /** An i18n key under admin.hours.errors. */
  key: string;
  day?: Weekday;
  index?: number;
  value?: string;
}

export function validateHours(draft: HoursDraft): HoursProblem[] {
  if (draft.alwaysOpen) return [];
  const problems: HoursProblem[] = [];
  if (!isKnownTimezone(draft.timezone)) problems.push({ key: "timezone", value: draft.timezone });
  for (const day of WEEKDAYS) {
    const spans = draft.weekly[day];
    spans.forEach((s, index) => {
      if (!HHMM.test(hhmm(s.start)) || !HHMM.test(hhmm(s.end))) problems.push({ key: "format", day, index });
      else if (hhmm(s.end) <= hhmm(s.start)) problems.push({ key: "order", day, index });
    });
    const sorted = spans
      .map((s, index) => ({ start: hhmm(s.start), end: hhmm(s.end), index }))
      .sort((a, b) => a.start.localeCompare(b.start));
    for (let i = 1; i < sorted.length; i += 1) {
      const prev = sorted[i - 1] as (typeof sorted)[number];
      const cur = sorted[i] as (typeof sorted)[number];
      if (cur.start < prev.end) problems.push({ key: "overlap", day, index: cur.index });
    }
  }
  const seen = new Set<string>();
  for (const h of draft.holidays) {
    if (!DATE.test(h) || Number.isNaN(Date.parse(h))) problems.push({ key: "holiday", value: h });
    if (seen.has(h)) problems.push({ key: "holidayTwice", value: h });
    seen.add(h);
  }
  if (draft.holidays.length > 400) problems.push({ key: "holidays" });
  return problems;
}

/** No opening time on any day: allowed (the group is closed), but worth a warning. */
export function neverOpen(draft: HoursDraft): boolean {
  return !draft.alwaysOpen && WEEKDAYS.every((d) => draft.weekly[d].length === 0);
}

/** The next span to offer on a day: two hours after its last one, or 09:00–18:00. */
export function nextSpan(spans: readonly Span[]): Span {
  const last = spans.map((s) => hhmm(s.end)).sort().pop();
  if (!last || last >= "23:00") return { start: "09:00", end: "18:00" };
  const [h, m] = last.split(":").map(Number) as [number, number];
  const end = Math.min(h * 60 + m + 120, 23 * 60 + 59);
  const two = (n: number): string => String(n).padStart(2, "0");
  return { start: last, end: `${two(Math.floor(end / 60))}:${two(end % 60)}` };
}
