import { describe, expect, it } from "vitest";

import { ticket } from "@/test/tickets";

import { allowedMoves, customFieldOf, defaultFilters, matches, slaTone, ticketQuery, ticketTone, validateCustomFields } from "./tickets";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const tr = (k: string, v?: Record<string, unknown>) => `${k}:${String(v?.label ?? "")}`;


describe("lifecycle", () => {
  it("offers only the allowed moves", () => {
    expect(allowedMoves("open")).toEqual(["pending", "solved"]);
    expect(allowedMoves("pending")).toEqual(["open", "solved"]);
    expect(allowedMoves("solved")).toEqual(["open", "closed"]);
    expect(allowedMoves("closed")).toEqual([]);
  });
});

describe("SLA colours", () => {
  it("go from the due time with a fixed clock", () => {
    expect(slaTone({ due_at: at(180), state: "running" }, NOW)).toBe("ok");
    expect(slaTone({ due_at: at(30), state: "running" }, NOW)).toBe("warn");
    expect(slaTone({ due_at: at(300), state: "warning" }, NOW)).toBe("warn");
    expect(slaTone({ due_at: at(-1), state: "running" }, NOW)).toBe("late");
    expect(slaTone({ due_at: at(-1), state: "breached" }, NOW)).toBe("late");
    expect(slaTone({ due_at: at(-100), state: "met" }, NOW)).toBe("met");
    expect(slaTone({ due_at: at(10), state: "paused" }, NOW)).toBe("paused");
    expect(slaTone({ due_at: null, state: "none" }, NOW)).toBe("none");
  });

  it("show a ticket by its worse clock", () => {
    const t = ticket({ sla: { first_response: { due_at: at(-5), state: "met" }, resolution: { due_at: at(20), state: "running" }, breached: false } });
    expect(ticketTone(t, NOW)).toBe("warn");
    expect(ticketTone({ ...t, sla: { ...t.sla, breached: true } }, NOW)).toBe("late");
  });
});

describe("list filters", () => {
  it("make the query", () => {
    const f = { ...defaultFilters(), priority: ["high" as const, "urgent" as const], breached: true, q: " #12 " };
    const q = ticketQuery(f);
    expect(q.get("assignee")).toBe("me");
    expect(q.getAll("status")).toEqual(["open", "pending"]);
    expect(q.getAll("priority")).toEqual(["high", "urgent"]);
    expect(q.get("breached")).toBe("true");
    expect(q.get("q")).toBe("#12");
    expect(ticketQuery({ ...f, view: "queue" }).get("assignee")).toBe("none");
    expect(ticketQuery({ ...f, view: "all" }).has("assignee")).toBe(false);
  });

  it("say whether a changed ticket stays in the list", () => {
    const f = defaultFilters();
    expect(matches(ticket(), f, 5, [2])).toBe(true);
    expect(matches(ticket({ assignee_id: 6 }), f, 5, [2])).toBe(false);
    expect(matches(ticket({ status: "solved" }), f, 5, [2])).toBe(false);
    const queue = { ...f, view: "queue" as const };
    expect(matches(ticket({ assignee_id: null }), queue, 5, [2])).toBe(true);
    expect(matches(ticket({ assignee_id: null, group_id: 3 }), queue, 5, [2])).toBe(false);
    expect(matches(ticket(), { ...f, q: "#12" }, 5, [])).toBe(true);
    expect(matches(ticket(), { ...f, q: "退款" }, 5, [])).toBe(true);
    expect(matches(ticket(), { ...f, q: "13" }, 5, [])).toBe(false);
    expect(matches(ticket(), { ...f, breached: true }, 5, [])).toBe(false);
  });
});

describe("custom fields", () => {
  const defs = [
    { key: "order_no", label: "订单号", type: "text" as const, required: true },
    { key: "amount", label: "金额", type: "number" as const, required: false },
    { key: "size", label: "尺码", type: "select" as const, options: ["S", "M"], required: false },
    { key: "on", label: "日期", type: "date" as const, required: false },
  ];

  it("are checked before sending", () => {
    expect(validateCustomFields(defs, {}, tr)).toEqual({ order_no: "tickets.errors.required:订单号" });
    expect(validateCustomFields(defs, { order_no: "A1", amount: "x", size: "XL", on: "1.12.2026" }, tr)).toEqual({
      amount: "tickets.errors.number:金额",
      size: "tickets.errors.select:尺码",
      on: "tickets.errors.date:日期",
    });
    expect(validateCustomFields(defs, { order_no: "A1", amount: "12.5", size: "M", on: "2026-12-01" }, tr)).toEqual({});
  });

  it("take the server's errors by the field they name", () => {
    expect(customFieldOf("custom_fields.order_no")).toBe("order_no");
    expect(customFieldOf("subject")).toBeNull();
    expect(customFieldOf(undefined)).toBeNull();
  });
});
