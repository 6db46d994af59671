// A ticket as the server sends it, for tests.
import type { Ticket } from "@/lib/tickets";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

export function ticket(over: Partial<Ticket> = {}): Ticket {
  return {
    id: 1, number: 12, display: "#12", subject: "退款未到账", description: "", category: null, priority: "normal", status: "open",
    assignee_id: 5, group_id: 2, contact_id: 9, conversation_id: 3, channel: "web", source: "conversation", custom_fields: {}, tags: [],
    created_by_id: 5, created_at: at(-60), updated_at: at(-1), first_response_at: null, solved_at: null, closed_at: null,
    sla: { first_response: { due_at: null, state: "none" }, resolution: { due_at: null, state: "none" }, breached: false },
    ...over,
  };
}
