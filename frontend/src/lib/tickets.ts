// The tickets' logic without a page: the lifecycle's allowed moves, the SLA clocks' colours
// from their due times, the list's query from its filters, and the custom fields' checks
// (the server checks again; its 422 names the field — docs/tickets.md).
import type { Schemas } from "@/api/types";

export type Ticket = Schemas["TicketOut"];
export type TicketStatus = Schemas["TicketStatus"];
export type TicketPriority = Schemas["TicketPriority"];
export type SlaClock = Schemas["SlaClock"];
export type CustomFieldDef = Schemas["CustomFieldDef"];
export type TicketSettings = Schemas["TicketSettings"];

export const STATUSES: readonly TicketStatus[] = ["open", "pending", "solved", "closed"];
export const PRIORITIES: readonly TicketPriority[] = ["low", "normal", "high", "urgent"];

const MOVES: Record<TicketStatus, TicketStatus[]> = {
  open: ["pending", "solved"],
  pending: ["open", "solved"],
  solved: ["open", "closed"],
  closed: [],
};

/** The statuses a ticket may move to from `status` (closed: none). */
export function allowedMoves(status: TicketStatus): TicketStatus[] {
  return MOVES[status] ?? [];
}

/** How a clock shows: "ok" running in time, "warn" (amber) past the warning share or due
 * within the hour, "late" (red) breached or past due, "met", "paused", "none". */
export type SlaTone = "ok" | "warn" | "late" | "met" | "paused" | "none";

export function slaTone(clock: SlaClock | null | undefined, now: number): SlaTone {
  if (!clock || clock.state === "none") return "none";
  if (clock.state === "met") return "met";
  if (clock.state === "breached") return "late";
  if (clock.state === "paused") return "paused";
  if (clock.due_at) {
    const left = Date.parse(clock.due_at) - now;
    if (left <= 0) return "late";
    if (clock.state === "warning" || left < 3_600_000) return "warn";
  } else if (clock.state === "warning") {
    return "warn";
  }
  return "ok";
}

/** The worse of the ticket's two clocks, for the list's one badge. */
export function ticketTone(ticket: Pick<Ticket, "sla" | "status">, now: number): SlaTone {
  const order: SlaTone[] = ["late", "warn", "ok", "paused", "met", "none"];
  const tones = [slaTone(ticket.sla.first_response, now), slaTone(ticket.sla.resolution, now)];
  if (ticket.sla.breached) return "late";
  return order.find((t) => tones.includes(t)) ?? "none";
}

export type ListView = "mine" | "queue" | "all";

export interface TicketFilters {
  view: ListView;
  status: TicketStatus[];
  priority: TicketPriority[];
  breached: boolean;
  q: string;
}

export function defaultFilters(): TicketFilters {
  return { view: "mine", status: ["open", "pending"], priority: [], breached: false, q: "" };
}

/** The query of GET /tickets for the filters (status and priority repeat). */
export function ticketQuery(f: TicketFilters, page = 1): URLSearchParams {
  const p = new URLSearchParams();
  if (f.view === "mine") p.set("assignee", "me");
  if (f.view === "queue") p.set("assignee", "none");
  for (const s of f.status) p.append("status", s);
  for (const s of f.priority) p.append("priority", s);
  if (f.breached) p.set("breached", "true");
  if (f.q.trim()) p.set("q", f.q.trim());
  p.set("page", String(page));
  p.set("per_page", "50");
  return p;
}

/** Whether a ticket belongs in the list the filters describe (for live updates). */
export function matches(t: Ticket, f: TicketFilters, me: number | undefined, myGroups: number[]): boolean {
  if (f.view === "mine" && t.assignee_id !== me) return false;
  if (f.view === "queue" && (t.assignee_id !== null || (myGroups.length > 0 && t.group_id !== null && !myGroups.includes(t.group_id)))) return false;
  if (f.status.length && !f.status.includes(t.status)) return false;
  if (f.priority.length && !f.priority.includes(t.priority)) return false;
  if (f.breached && !t.sla.breached) return false;
  const q = f.q.trim().replace(/^#/, "");
  if (q && String(t.number) !== q && !t.subject.toLowerCase().includes(q.toLowerCase())) return false;
  return true;
}

export type FieldErrors = Record<string, string>;
type Tr = (key: string, values?: Record<string, unknown>) => string;

/** The custom fields' errors by key, as the form shows them (required, number, date, select). */
export function validateCustomFields(defs: readonly CustomFieldDef[], values: Record<string, unknown>, t: Tr): FieldErrors {
  const errors: FieldErrors = {};
  for (const d of defs) {
    const v = values[d.key];
    const empty = v === undefined || v === null || v === "" || (d.type === "checkbox" && v === false && d.required);
    if (empty) {
      if (d.required) errors[d.key] = t("tickets.errors.required", { label: d.label });
      continue;
    }
    if (d.type === "number" && !Number.isFinite(typeof v === "number" ? v : Number(v))) errors[d.key] = t("tickets.errors.number", { label: d.label });
    if (d.type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) errors[d.key] = t("tickets.errors.date", { label: d.label });
    if (d.type === "select" && !(d.options ?? []).includes(String(v))) errors[d.key] = t("tickets.errors.select", { label: d.label });
  }
  return errors;
}

/** The custom field a server error names (`custom_fields.order_no` → `order_no`), if any. */
export function customFieldOf(field: string | undefined): string | null {
  if (!field) return null;
  const m = /^(?:body\.)?custom_fields\.([^.]+)/.exec(field);
  return m?.[1] ?? null;
}

/** Values as the server wants them: numbers as numbers, empty ones left out. */
export function cleanCustomFields(defs: readonly CustomFieldDef[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    const v = values[d.key];
    if (v === undefined || v === "" || v === null) continue;
    out[d.key] = d.type === "number" ? Number(v) : v;
  }
  return out;
}
