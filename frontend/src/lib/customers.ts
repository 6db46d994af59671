// A customer's profile as the console shows it: attributes under the merchant's profile
// fields (their labels and types, GET /tenant/profile), which tags rules put, and the ways to
// reach them first (GET /contacts/{id}/reach) best first.
import type { Contact, ProfileField, Reach, ReachState } from "@/api/types";

export interface AttributeRow {
  key: string;
  /** The field's label, or the key for an attribute no field defines. */
  label: string;
  value: unknown;
  field: ProfileField | null;
}

/** The profile fields in their order (those the customer has a value for), then attributes
 * no field defines, by key. */
export function attributeRows(attributes: Contact["attributes"] | undefined, fields: readonly ProfileField[]): AttributeRow[] {
  const values = attributes ?? {};
  const rows: AttributeRow[] = [];
  for (const f of fields) {
    const v = values[f.key];
    if (v === undefined || v === null || v === "") continue;
    rows.push({ key: f.key, label: f.label, value: v, field: f });
  }
  const defined = new Set(fields.map((f) => f.key));
  for (const key of Object.keys(values).sort()) {
    if (defined.has(key)) continue;
    const v = values[key];
    if (v === undefined || v === null || v === "") continue;
    rows.push({ key, label: key, value: v, field: null });
  }
  return rows;
}

/** An attribute's value as text: true/false in words for a checkbox (or any boolean). */
export function attributeText(value: unknown, yes: string, no: string): string {
  if (typeof value === "boolean") return value ? yes : no;
  return String(value);
}

/** What the edit form holds: every profile field (empty when unset) and the other
 * attributes as key/value pairs. */
export function attributeForm(attributes: Contact["attributes"] | undefined, fields: readonly ProfileField[]): { values: Record<string, unknown>; extra: { key: string; value: string }[] } {
  const source = attributes ?? {};
  const values: Record<string, unknown> = {};
  for (const f of fields) values[f.key] = source[f.key] ?? (f.type === "checkbox" ? false : null);
  const defined = new Set(fields.map((f) => f.key));
  const extra = Object.entries(source)
    .filter(([k]) => !defined.has(k))
    .map(([key, value]) => ({ key, value: value === null || value === undefined ? "" : String(value) }));
  return { values, extra };
}

/** The attributes PATCH sends (it replaces them all): profile fields by their type (numbers
 * as numbers; empty ones and an unticked checkbox the customer never had left out), then
 * the other pairs with a key. */
export function attributesBody(
  form: { values: Record<string, unknown>; extra: { key: string; value: string }[] },
  fields: readonly ProfileField[],
  before: Contact["attributes"] | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = form.values[f.key];
    if (v === undefined || v === null || v === "") continue;
    if (f.type === "checkbox" && v === false && !(before && f.key in before)) continue;
    out[f.key] = f.type === "number" ? Number(v) : v;
  }
  for (const a of form.extra) {
    const key = a.key.trim();
    if (key && !(key in out)) out[key] = a.value;
  }
  return out;
}

/** The tags a rule puts (marked 自动): the rules' tags. */
export function ruleTags(rules: readonly { tag: string; enabled: boolean }[]): Set<string> {
  return new Set(rules.filter((r) => r.enabled).map((r) => r.tag));
}

/** Whether a message can go out this way (window_closed: the channel's reply window has
 * passed). */
export function reachable(state: ReachState): boolean {
  return state !== "window_closed";
}

const ORDER: Record<ReachState, number> = { open: 0, online: 1, window: 2, reachable: 3, stored: 4, window_closed: 9 };

/** Best first, then the reachable ones by how directly they reach, the unreachable last. */
export function sortReach(options: readonly Reach[]): Reach[] {
  return [...options].sort((a, b) => Number(b.best ?? false) - Number(a.best ?? false) || ORDER[a.state] - ORDER[b.state]);
}

/** The key that picks one way in the dialog. */
export function reachKey(r: Pick<Reach, "channel" | "channel_account_id">): string {
  return `${r.channel}:${r.channel_account_id ?? ""}`;
}

/** A client_msg_id for a first message: resending it stores nothing new. */
export function clientMsgId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `reach-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
