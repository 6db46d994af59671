// Service marketing as the console edits it (docs/profile.md, src/huiliu/campaigns/): tag
// rules' conditions, segment filters and campaigns as flat drafts the forms bind to, and
// what each sends; a template's placeholders; a campaign's progress, moves and chart.
import type {
  AttributeFilter,
  AttributeOp,
  Campaign,
  CampaignCounts,
  CampaignIn,
  CampaignStatus,
  ProfileField,
  RuleCondition,
  Scenario,
  SegmentFilter,
  TagRule,
  TagRuleIn,
} from "@/api/types";

// -- tag rules --------------------------------------------------------------------------------

export type Fact = RuleCondition["fact"];
export const FACTS: readonly Fact[] = ["orders.spent", "orders.count", "visits.count", "conversations.count", "attribute", "channel"];
/** The facts counted over the last N days. */
export const WINDOWED: readonly Fact[] = ["orders.spent", "orders.count", "visits.count", "conversations.count"];
export type CountOp = ">" | ">=" | "<" | "<=" | "=";
export const COUNT_OPS: readonly CountOp[] = [">=", ">", "=", "<=", "<"];
export const ATTRIBUTE_OPS: readonly AttributeOp[] = ["=", "!=", ">", ">=", "<", "<=", "contains", "set", "unset"];
/** The channels a customer can be known on (their identities). */
export const CONTACT_CHANNELS = ["web", "user", "wechat", "sms", "email", "weibo", "phone", "app"] as const;

/** One condition row, every type's inputs side by side (the row shows those of its fact). */
export interface ConditionDraft {
  fact: Fact;
  days: number;
  op: CountOp;
  /** The count or amount, or the attribute's value, as typed. */
  value: string;
  url_contains: string;
  /** Words, comma- or space-separated. */
  mentions: string;
  key: string;
  attrOp: AttributeOp;
  channel: string;
}

export function newCondition(fact: Fact = "orders.spent"): ConditionDraft {
  return { fact, days: 30, op: ">=", value: fact === "orders.spent" ? "100" : fact === "attribute" ? "" : "1", url_contains: "", mentions: "", key: "", attrOp: "=", channel: "web" };
}

/** A stored condition (TagRuleOut's `conditions`) as the row edits it. */
export function conditionDraft(c: Record<string, unknown>): ConditionDraft {
  const fact = (FACTS.includes(c.fact as Fact) ? c.fact : "orders.spent") as Fact;
  const d = newCondition(fact);
  if (typeof c.days === "number") d.days = c.days;
  if (fact === "attribute") {
    d.key = String(c.key ?? "");
    d.attrOp = (c.op as AttributeOp) ?? "=";
    d.value = c.value === undefined || c.value === null ? "" : String(c.value);
  } else if (fact === "channel") {
    d.channel = String(c.channel ?? "web");
  } else {
    d.op = (c.op as CountOp) ?? ">=";
    d.value = c.value === undefined || c.value === null ? "" : String(c.value);
  }
  if (typeof c.url_contains === "string") d.url_contains = c.url_contains;
  if (Array.isArray(c.mentions)) d.mentions = c.mentions.join(", ");
  return d;
}

export function splitWords(text: string): string[] {
  return [...new Set(text.split(/[,，、\s]+/).map((w) => w.trim()).filter(Boolean))];
}

/** What an attribute comparison sends as its value: by the profile field's type when the key
 * is one, else a number for the ordering operators and the text otherwise; none for
 * set/unset. (`=` compares type and value: "1" is not 1.) */
export function attributeValue(op: AttributeOp, text: string, field?: Pick<ProfileField, "type">): string | number | boolean | undefined {
  if (op === "set" || op === "unset") return undefined;
  const raw = text.trim();
  if ([">", ">=", "<", "<="].includes(op)) return Number(raw);
  if (op === "contains") return raw;
  if (field?.type === "number" && raw !== "" && Number.isFinite(Number(raw))) return Number(raw);
  if (field?.type === "checkbox") return raw === "true" || raw === "1" || raw === "是";
  return raw;
}

export function conditionBody(d: ConditionDraft, fields: readonly ProfileField[] = []): RuleCondition {
  switch (d.fact) {
    case "attribute": {
      const value = attributeValue(d.attrOp, d.value, fields.find((f) => f.key === d.key.trim()));
      return { fact: "attribute", key: d.key.trim(), op: d.attrOp, ...(value === undefined ? {} : { value }) };
    }
    case "channel":
      return { fact: "channel", channel: d.channel };
    case "orders.spent":
      return { fact: d.fact, days: d.days, op: d.op, value: Number(d.value) };
    case "orders.count":
      return { fact: d.fact, days: d.days, op: d.op, value: Number(d.value) };
    case "visits.count": {
      const url = d.url_contains.trim();
      return { fact: d.fact, days: d.days, op: d.op, value: Number(d.value), ...(url ? { url_contains: url } : {}) };
    }
    case "conversations.count": {
      const words = splitWords(d.mentions);
      return { fact: d.fact, days: d.days, op: d.op, value: Number(d.value), ...(words.length ? { mentions: words } : {}) };
    }
  }
}

/** What the condition rows would send is wrong before the server says so: the index and
 * the reason's key (admin.marketing.rules.errors.*), or null. */
export function conditionError(d: ConditionDraft): "value" | "key" | "days" | null {
  if (WINDOWED.includes(d.fact)) {
    if (!Number.isInteger(d.days) || d.days < 1 || d.days > 3650) return "days";
    const v = Number(d.value);
    if (d.value.trim() === "" || !Number.isFinite(v) || v < 0) return "value";
    if (d.fact !== "orders.spent" && !Number.isInteger(v)) return "value";
  }
  if (d.fact === "attribute") {
    if (!d.key.trim()) return "key";
    if ([">", ">=", "<", "<="].includes(d.attrOp) && (d.value.trim() === "" || !Number.isFinite(Number(d.value)))) return "value";
  }
  return null;
}

export interface RuleDraft {
  tag: string;
  description: string;
  match: "all" | "any";
  enabled: boolean;
  conditions: ConditionDraft[];
}

export function ruleDraft(rule?: TagRule): RuleDraft {
  if (!rule) return { tag: "", description: "", match: "all", enabled: true, conditions: [newCondition()] };
  return { tag: rule.tag, description: rule.description, match: rule.match, enabled: rule.enabled, conditions: rule.conditions.map(conditionDraft) };
}

export function ruleBody(d: RuleDraft, fields: readonly ProfileField[] = []): TagRuleIn {
  return { tag: d.tag.trim(), description: d.description.trim(), match: d.match, enabled: d.enabled, conditions: d.conditions.map((c) => conditionBody(c, fields)) };
}

/** The condition row a server error names (`conditions.1.op` → 1), if any. */
export function conditionIndexOf(field: string | undefined): number | null {
  const m = /^(?:body\.)?conditions\.(\d+)/.exec(field ?? "");
  return m ? Number(m[1]) : null;
}

/** How far a rule's backfill is, 0–100 (nothing to decide: done). */
export function backfillPercent(b: { done: number; total: number }): number {
  if (b.total <= 0) return 100;
  return Math.min(100, Math.floor((b.done / b.total) * 100));
}

export function backfillRunning(rule: Pick<TagRule, "enabled" | "backfill">): boolean {
  return rule.enabled && rule.backfill.done < rule.backfill.total;
}

// -- segments ---------------------------------------------------------------------------------

export interface AttributeDraft {
  key: string;
  op: AttributeOp;
  value: string;
}

export interface FilterDraft {
  tags_all: string[];
  tags_any: string[];
  tags_none: string[];
  attributes: AttributeDraft[];
  channels: string[];
  q: string;
  created_after: string | null;
  created_before: string | null;
}

export function filterDraft(f: SegmentFilter = {}): FilterDraft {
  return {
    tags_all: [...(f.tags_all ?? [])],
    tags_any: [...(f.tags_any ?? [])],
    tags_none: [...(f.tags_none ?? [])],
    attributes: (f.attributes ?? []).map((a) => ({ key: a.key, op: a.op, value: a.value === undefined || a.value === null ? "" : String(a.value) })),
    channels: [...(f.channels ?? [])],
    q: f.q ?? "",
    created_after: f.created_after ?? null,
    created_before: f.created_before ?? null,
  };
}

/** Only the parts given (an empty part says nothing); attribute rows without a key dropped. */
export function filterBody(d: FilterDraft, fields: readonly ProfileField[] = []): SegmentFilter {
  const out: SegmentFilter = {};
  if (d.tags_all.length) out.tags_all = [...d.tags_all];
  if (d.tags_any.length) out.tags_any = [...d.tags_any];
  if (d.tags_none.length) out.tags_none = [...d.tags_none];
  const attributes: AttributeFilter[] = d.attributes
    .filter((a) => a.key.trim())
    .map((a) => {
      const value = attributeValue(a.op, a.value, fields.find((f) => f.key === a.key.trim()));
      return { key: a.key.trim(), op: a.op, ...(value === undefined ? {} : { value }) };
    });
  if (attributes.length) out.attributes = attributes;
  if (d.channels.length) out.channels = [...d.channels];
  if (d.q.trim()) out.q = d.q.trim();
  if (d.created_after) out.created_after = d.created_after;
  if (d.created_before) out.created_before = d.created_before;
  return out;
}

/** Whether the filter says anything (an empty one is every customer). */
export function filterIsEmpty(f: SegmentFilter): boolean {
  return Object.keys(f).length === 0;
}

// -- templates --------------------------------------------------------------------------------

export const SCENARIOS: readonly Scenario[] = ["shipping", "renewal", "price_drop", "other"];
const PLACEHOLDER = /\{\{\s*([^{}|]+?)\s*(?:\|([^{}]*))?\}\}/g;
const VARIABLE = /^[a-z][a-z0-9_]{0,31}$/;

/** The names of a text's `{{…}}` placeholders, in order. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** The placeholders a template may use: the contact's fields, the profile fields, its own
 * variables. */
export function knownPlaceholders(variables: readonly string[], profileKeys: readonly string[]): string[] {
  return ["contact.name", "contact.email", "contact.phone", ...profileKeys.map((k) => `attributes.${k}`), ...variables];
}

export type TemplateProblem = { kind: "braces" } | { kind: "unknown"; name: string } | { kind: "variable"; name: string };

/** What the server would refuse (templates.check), before saving: unbalanced braces, an
 * unknown placeholder, a badly named variable. */
export function templateProblem(text: string, variables: readonly string[], profileKeys: readonly string[]): TemplateProblem | null {
  const bad = variables.find((v) => !VARIABLE.test(v));
  if (bad !== undefined) return { kind: "variable", name: bad };
  const found = placeholders(text);
  const opens = text.split("{{").length - 1;
  const closes = text.split("}}").length - 1;
  if (opens !== found.length || closes !== opens) return { kind: "braces" };
  const known = new Set(knownPlaceholders(variables, profileKeys));
  const unknown = found.find((n) => !known.has(n));
  return unknown === undefined ? null : { kind: "unknown", name: unknown };
}

/** Sample values for a preview: each declared variable shows as itself (`{order_id}`). */
export function sampleValues(variables: readonly string[]): Record<string, string> {
  return Object.fromEntries(variables.map((v) => [v, `{${v}}`]));
}

// -- campaigns --------------------------------------------------------------------------------

export const CAMPAIGN_STATUSES: readonly CampaignStatus[] = ["draft", "scheduled", "running", "paused", "done", "cancelled"];
export type CampaignMove = "start" | "pause" | "resume" | "cancel";

/** The moves the server allows from a status (campaigns/actions.py MOVES). */
export function campaignMoves(status: CampaignStatus): CampaignMove[] {
  switch (status) {
    case "draft":
      return ["start", "cancel"];
    case "scheduled":
    case "running":
      return ["pause", "cancel"];
    case "paused":
      return ["resume", "cancel"];
    default:
      return [];
  }
}

/** Whether the campaign may still change: its list and detail poll while it does. */
export function campaignLive(status: CampaignStatus): boolean {
  return status === "running" || status === "scheduled";
}

/** Sent of the recipients, 0–100; what is decided (sent, skipped, failed) of them for the bar's
 * second part. */
export function campaignProgress(c: Pick<Campaign, "recipients" | "counts" | "status">): { sent: number; decided: number } {
  if (c.recipients <= 0) return { sent: c.status === "done" ? 100 : 0, decided: c.status === "done" ? 100 : 0 };
  const k = c.counts;
  const pct = (n: number) => Math.min(100, Math.round((n / c.recipients) * 100));
  return { sent: pct(k.sent ?? 0), decided: pct((k.sent ?? 0) + (k.skipped ?? 0) + (k.failed ?? 0)) };
}

/** The detail's bar chart: sent, read, replied, failed, then each skip reason. `label` names
 * a bar in the console's language. */
export function countsChart(counts: CampaignCounts, label: (key: string, reason?: string) => string): { names: string[]; values: number[] } {
  const names: string[] = [];
  const values: number[] = [];
  for (const key of ["sent", "delivered", "undelivered", "read", "replied", "failed"] as const) {
    names.push(label(key));
    values.push(counts[key] ?? 0);
  }
  for (const [reason, n] of Object.entries(counts.skipped_by ?? {}).sort((a, b) => b[1] - a[1])) {
    names.push(label("skipped", reason));
    values.push(n);
  }
  return { names, values };
}

export interface CampaignDraft {
  name: string;
  kind: "segment" | "triggered";
  template_id: number | null;
  segment_id: number | null;
  event: string;
  channels: string[];
  quiet: boolean;
  quiet_start: string;
  quiet_end: string;
  timezone: string;
  rate_per_minute: number | null;
  scheduled: boolean;
  scheduled_at: string | null;
}

export function campaignDraft(timezone = "Asia/Shanghai"): CampaignDraft {
  return {
    name: "", kind: "segment", template_id: null, segment_id: null, event: "", channels: [], quiet: true, quiet_start: "22:00", quiet_end: "08:00",
    timezone, rate_per_minute: 60, scheduled: false, scheduled_at: null,
  };
}

export const EVENT_TYPE = /^[a-z][a-z0-9_.]{0,63}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** What the draft lacks before it can be sent: the key of admin.marketing.campaigns.errors.*. */
export function campaignDraftError(d: CampaignDraft): string | null {
  if (!d.name.trim()) return "name";
  if (!d.template_id) return "template";
  if (d.kind === "segment" && !d.segment_id) return "segment";
  if (d.kind === "triggered" && !EVENT_TYPE.test(d.event.trim())) return "event";
  if (d.quiet && (!HHMM.test(d.quiet_start) || !HHMM.test(d.quiet_end) || d.quiet_start === d.quiet_end)) return "quiet";
  if (d.kind === "segment" && d.scheduled && !d.scheduled_at) return "schedule";
  return null;
}

export function campaignBody(d: CampaignDraft): CampaignIn {
  const body: CampaignIn = {
    name: d.name.trim(),
    kind: d.kind,
    template_id: d.template_id as number,
    channels: [...d.channels],
    timezone: d.timezone,
    quiet_start: d.quiet ? d.quiet_start : null,
    quiet_end: d.quiet ? d.quiet_end : null,
  };
  if (d.rate_per_minute) body.rate_per_minute = d.rate_per_minute;
  if (d.kind === "segment") {
    body.segment_id = d.segment_id;
    if (d.scheduled && d.scheduled_at) body.scheduled_at = new Date(d.scheduled_at).toISOString();
  } else {
    body.event = d.event.trim();
  }
  return body;
}

const OP_KEYS: Record<AttributeOp, string> = { "=": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le", contains: "contains", set: "set", unset: "unset" };

/** An operator's key under admin.marketing.ops (its symbols are not message keys). */
export function opKey(op: AttributeOp): string {
  return OP_KEYS[op];
}
