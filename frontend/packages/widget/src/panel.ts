// The panel's state as one value and the only ways it changes (a reducer), so what the
// customer sees follows from facts: the conversation as the server describes it, the events
// in its log, queue frames, and what the customer did. Moves that make no sense in the
// current state (leaving a message before there is a conversation) leave it as it is.
import type { EventContent } from "@huiliu/sdk";

import { fill, type Strings, waitText } from "./strings";

/** Who the customer is dealing with: nobody yet, the bot, the queue, a person, or done. */
export type Phase = "new" | "bot" | "queued" | "agent" | "closed";

export interface PanelState {
  open: boolean;
  phase: Phase;
  /** The serving agent's display name (from the `assigned` event). */
  agentName: string | null;
  /** The conversation's survey has its answer. */
  rated: boolean;
  /** The leave-a-message form is showing. */
  leaving: boolean;
  queue: { position: number; waitS: number | null } | null;
}

export type PanelAction =
  | { type: "open" }
  | { type: "close" }
  | { type: "conversation"; status: string; withBot: boolean; assigneeId: number | null; rated: boolean }
  | { type: "event"; event: EventContent }
  | { type: "queue"; position: number; waitS: number | null }
  | { type: "leave"; show: boolean }
  | { type: "rated" }
  | { type: "restart" };

export const INITIAL: PanelState = {
  open: false,
  phase: "new",
  agentName: null,
  rated: false,
  leaving: false,
  queue: null,
};

export function reduce(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case "open":
      return state.open ? state : { ...state, open: true };
    case "close":
      // The form keeps what was typed in it; it shows again with the panel.
      return state.open ? { ...state, open: false } : state;
    case "conversation": {
      const phase: Phase =
        action.status === "closed"
          ? "closed"
          : action.withBot
            ? "bot"
            : action.assigneeId !== null
              ? "agent"
              : "queued";
      return settle(state, phase, { rated: action.rated });
    }
    case "event":
      switch (action.event.event) {
        case "handoff":
          return settle(state, "queued", {});
        case "assigned":
          return settle(state, "agent", { agentName: action.event.account_name ?? null });
        case "transferred":
          return settle(state, "queued", { agentName: null });
        case "closed":
          return settle(state, "closed", {});
        default:
          return state; // opened: the conversation itself says who serves it
      }
    case "queue":
      if (state.phase === "closed" || state.phase === "agent") return state;
      return { ...state, phase: "queued", queue: { position: action.position, waitS: action.waitS } };
    case "leave":
      if (action.show && (state.phase === "new" || state.phase === "closed")) return state;
      return state.leaving === action.show ? state : { ...state, leaving: action.show };
    case "rated":
      // A survey may be answered while the chat is still open (its agent asked).
      return state.rated ? state : { ...state, rated: true };
    case "restart":
      return state.phase === "closed" ? { ...INITIAL, open: state.open } : state;
  }
}

function settle(state: PanelState, phase: Phase, changes: Partial<PanelState>): PanelState {
  const next: PanelState = { ...state, ...changes, phase };
  if (phase !== "queued") next.queue = null;
  if (phase === "closed") next.leaving = false;
  // A name belongs to the person serving now (a closed conversation keeps its last one).
  if (phase === "agent") next.agentName = "agentName" in changes ? (changes.agentName ?? null) : state.agentName;
  else if (phase !== "closed") next.agentName = null;
  return next;
}

/** The line under the title: who the customer is talking to. */
export function headline(state: PanelState, s: Strings, botName: string | null): string {
  switch (state.phase) {
    case "bot":
      return fill(s.bot, { name: botName ?? "" });
    case "queued":
      return s.queued;
    case "agent":
      return state.agentName ? fill(s.agent, { name: state.agentName }) : s.agentAnon;
    case "closed":
      return s.closed;
    default:
      return botName ? fill(s.bot, { name: botName }) : "";
  }
}

/** The queue banner, while waiting. */
export function queueText(state: PanelState, s: Strings): string | null {
  const q = state.queue;
  if (state.phase !== "queued" || !q) return null;
  if (q.waitS === null) return fill(s.queueNobody, { n: Math.max(0, q.position - 1) });
  const wait = waitText(s, q.waitS);
  return q.position <= 1 ? fill(s.queueNext, { wait }) : fill(s.queue, { n: q.position - 1, wait });
}

/** The 转人工 button: while the bot serves (or will, in a new conversation). */
export function canHandOff(state: PanelState, botOn: boolean): boolean {
  return state.phase === "bot" || (state.phase === "new" && botOn);
}
