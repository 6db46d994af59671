// The bot's settings as BotView edits them, and back: task flows with their slots as JSON
// text, the merchant API (off, or on with its URL and secret), and the checks the server
// makes (BotSettings, Flow, Slot, MerchantApi) so the form says what is wrong before sending.
import type { FlowIn, FlowResult, MerchantApi, Slot } from "@/api/admin-types";
import type { BotSettings, BotSettingsIn, Flow } from "@/api/types";

import { fromMenu, toMenu, validateMenu, type MenuDraft } from "./menu-tree";

const NAME = /^[a-z][a-z0-9_]*$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
export const SECRET_MASK = "*".repeat(16);

export interface FlowDraft {
  key: string;
  label: string;
  operation: string;
  result: FlowResult;
  confirm: string;
  success_text: string;
  /** The slots as JSON text (a list of {name, prompt, choices?, pattern?, min_length, max_length, invalid}). */
  slotsJson: string;
}

export interface MerchantDraft {
  on: boolean;
  base_url: string;
  secret: string;
  timeout_s: number;
  retries: number;
}

export interface BotDraft {
  enabled: boolean;
  name: string;
  greeting: string;
  menu_text: string;
  menu: MenuDraft[];
  answer_threshold: number;
  suggest_threshold: number;
  suggest_text: string;
  unknown_text: string;
  handoff_words: string[];
  handoff_after_unknown: number;
  handoff_on_unhelpful: boolean;
  handoff_text: string;
  no_agent_text: string;
  handoff_group_id: number | null;
  merchant: MerchantDraft;
  flows: FlowDraft[];
}

export function flowDraft(f: Flow | FlowIn): FlowDraft {
  return {
    key: f.key,
    label: f.label,
    operation: f.operation,
    result: f.result ?? "order",
    confirm: f.confirm ?? "",
    success_text: f.success_text ?? "",
    slotsJson: JSON.stringify(f.slots ?? [], null, 2),
  };
}

export function newFlow(existing: readonly FlowDraft[]): FlowDraft {
  let k = existing.length + 1;
  while (existing.some((f) => f.key === `flow_${k}`)) k += 1;
  return {
    key: `flow_${k}`,
    label: "",
    operation: "",
    result: "text",
    confirm: "",
    success_text: "",
    slotsJson: JSON.stringify([{ name: "order_id", prompt: "请输入订单号：", choices: "orders" }], null, 2),
  };
}

export function fromSettings(s: BotSettings): BotDraft {
  const m = s.merchant_api;
  return {
    enabled: s.enabled ?? false,
    name: s.name ?? "",
    greeting: s.greeting ?? "",
    menu_text: s.menu_text ?? "",
    menu: fromMenu(s.menu ?? []),
    answer_threshold: s.answer_threshold ?? 0.6,
    suggest_threshold: s.suggest_threshold ?? 0.25,
    suggest_text: s.suggest_text ?? "",
    unknown_text: s.unknown_text ?? "",
    handoff_words: [...(s.handoff_words ?? [])],
    handoff_after_unknown: s.handoff_after_unknown ?? 2,
    handoff_on_unhelpful: s.handoff_on_unhelpful ?? true,
    handoff_text: s.handoff_text ?? "",
    no_agent_text: s.no_agent_text ?? "",
    handoff_group_id: s.handoff_group_id ?? null,
    merchant: m
      ? { on: true, base_url: m.base_url, secret: m.secret, timeout_s: m.timeout_s ?? 3, retries: m.retries ?? 2 }
      : { on: false, base_url: "", secret: "", timeout_s: 3, retries: 2 },
    flows: (s.flows ?? []).map(flowDraft),
  };
}

export type SlotsParse = { ok: true; slots: Slot[] } | { ok: false; error: string };

/** The slots JSON of a flow, checked the way the server checks Slot. */
export function parseSlots(text: string): SlotsParse {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() || "[]");
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  if (!Array.isArray(value)) return { ok: false, error: "not a list" };
  if (value.length > 8) return { ok: false, error: "at most 8 slots" };
  const slots: Slot[] = [];
  const allowed = new Set(["name", "prompt", "choices", "pattern", "min_length", "max_length", "invalid"]);
  for (const [i, raw] of value.entries()) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, error: `slot ${i + 1}: not an object` };
    const s = raw as Record<string, unknown>;
    const extra = Object.keys(s).find((k) => !allowed.has(k));
    if (extra) return { ok: false, error: `slot ${i + 1}: unknown field "${extra}"` };
    if (typeof s.name !== "string" || !NAME.test(s.name) || s.name.length > 40) return { ok: false, error: `slot ${i + 1}: name must be lower-case letters, digits, _` };
    if (typeof s.prompt !== "string" || !s.prompt.trim() || s.prompt.length > 500) return { ok: false, error: `slot ${i + 1}: prompt is required (≤ 500)` };
    if (s.choices !== undefined && s.choices !== null && s.choices !== "orders") return { ok: false, error: `slot ${i + 1}: choices is "orders" or null` };
    if (s.pattern !== undefined && s.pattern !== null) {
      if (typeof s.pattern !== "string" || s.pattern.length > 200) return { ok: false, error: `slot ${i + 1}: pattern must be text (≤ 200)` };
      try {
        new RegExp(s.pattern);
      } catch {
        return { ok: false, error: `slot ${i + 1}: pattern is not a valid regular expression` };
      }
    }
    for (const [k, lo, hi] of [["min_length", 1, 500], ["max_length", 1, 2000]] as const) {
      const v = s[k];
      if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)) return { ok: false, error: `slot ${i + 1}: ${k} is a whole number from ${lo} to ${hi}` };
    }
    if (s.invalid !== undefined && (typeof s.invalid !== "string" || s.invalid.length > 500)) return { ok: false, error: `slot ${i + 1}: invalid must be text (≤ 500)` };
    slots.push({
      name: s.name,
      prompt: s.prompt,
      choices: (s.choices as "orders" | null | undefined) ?? null,
      pattern: (s.pattern as string | null | undefined) ?? null,
      min_length: (s.min_length as number | undefined) ?? 1,
      max_length: (s.max_length as number | undefined) ?? 200,
      invalid: (s.invalid as string | undefined) ?? "格式不对，请重新输入。",
    });
  }
  const names = slots.map((s) => s.name);
  if (new Set(names).size !== names.length) return { ok: false, error: "a slot name is used twice" };
  return { ok: true, slots };
}

export interface FlowProblem {
  index: number;
  /** An i18n key under admin.bot.flowErrors. */
  key: string;
  detail?: string;
}

export function validateFlows(flows: readonly FlowDraft[]): FlowProblem[] {
  const out: FlowProblem[] = [];
  const keys = new Set<string>();
  flows.forEach((f, index) => {
    if (!NAME.test(f.key) || f.key.length > 40) out.push({ index, key: "key" });
    else if (keys.has(f.key)) out.push({ index, key: "keyTwice" });
    keys.add(f.key);
    if (!f.label.trim() || f.label.length > 40) out.push({ index, key: "label" });
    if (!NAME.test(f.operation) || f.operation.length > 64) out.push({ index, key: "operation" });
    if (f.confirm.length > 500 || f.success_text.length > 500) out.push({ index, key: "textLong" });
    const parsed = parseSlots(f.slotsJson);
    if (!parsed.ok) {
      out.push({ index, key: "slots", detail: parsed.error });
      return;
    }
    const names = new Set(parsed.slots.map((s) => s.name));
    for (const text of [f.confirm, f.success_text]) {
      for (const m of text.matchAll(/{(\w+)}/g)) {
        if (!names.has(m[1] as string)) out.push({ index, key: "placeholder", detail: m[1] });
      }
    }
  });
  if (flows.length > 50) out.push({ index: -1, key: "tooMany" });
  return out;
}

export function merchantUrlOk(url: string): boolean {
  try {
    const u = new URL(url.trim());
    return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}

/** Every problem of the draft as i18n keys under admin.bot.errors (menu and flows apart). */
export function validateGeneral(d: BotDraft, editsSecret: boolean): string[] {
  const out: string[] = [];
  if (!d.name.trim() || d.name.length > 40) out.push("name");
  if (!d.greeting.trim() || d.greeting.length > 1000) out.push("greeting");
  if (d.menu_text.length > 200) out.push("menuText");
  if (d.suggest_threshold > d.answer_threshold) out.push("thresholds");
  if (d.handoff_words.some((w) => !w.trim() || w.length > 30)) out.push("handoffWords");
  if (d.handoff_words.length > 100) out.push("handoffWordsMany");
  if (d.suggest_text.length > 200 || [d.unknown_text, d.handoff_text, d.no_agent_text].some((x) => x.length > 1000)) out.push("textLong");
  if (d.merchant.on) {
    if (!merchantUrlOk(d.merchant.base_url) || d.merchant.base_url.length > 500) out.push("merchantUrl");
    if (editsSecret && (d.merchant.secret.length < 16 || d.merchant.secret.length > 200)) out.push("merchantSecret");
    if (!(d.merchant.timeout_s > 0 && d.merchant.timeout_s <= 30)) out.push("merchantTimeout");
  }
  return out;
}

export function problemCount(d: BotDraft, editsSecret: boolean): number {
  return (
    validateGeneral(d, editsSecret).length +
    validateFlows(d.flows).length +
    validateMenu(d.menu, { flows: d.flows.map((f) => f.key), hasMerchantApi: d.merchant.on }).length
  );
}

/** The body of PUT /tenant/bot (call after the checks above pass). */
export function toSettings(d: BotDraft): BotSettingsIn {
  const merchant: MerchantApi | null = d.merchant.on
    ? { base_url: d.merchant.base_url.trim(), secret: d.merchant.secret, timeout_s: d.merchant.timeout_s, retries: d.merchant.retries }
    : null;
  return {
    enabled: d.enabled,
    name: d.name.trim(),
    greeting: d.greeting.trim(),
    menu_text: d.menu_text,
    menu: toMenu(d.menu),
    answer_threshold: d.answer_threshold,
    suggest_threshold: d.suggest_threshold,
    suggest_text: d.suggest_text,
    unknown_text: d.unknown_text,
    handoff_words: [...new Set(d.handoff_words.map((w) => w.trim()).filter(Boolean))],
    handoff_after_unknown: d.handoff_after_unknown,
    handoff_on_unhelpful: d.handoff_on_unhelpful,
    handoff_text: d.handoff_text,
    no_agent_text: d.no_agent_text,
    handoff_group_id: d.handoff_group_id,
    merchant_api: merchant,
    flows: d.flows.map((f): FlowIn => {
      const parsed = parseSlots(f.slotsJson);
      return {
        key: f.key,
        label: f.label.trim(),
        operation: f.operation,
        result: f.result,
        confirm: f.confirm.trim() || null,
        success_text: f.success_text.trim() || null,
        slots: parsed.ok ? parsed.slots : [],
      };
    }),
  };
}
