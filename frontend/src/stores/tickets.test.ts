// The tickets store: the list by its filters, and ticket.updated frames moving tickets in
// and out of it and refreshing the open one.
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ticket } from "@/test/tickets";
import { me } from "@/test/session";

import { useSession } from "./session";
import { useTickets } from "./tickets";

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  setActivePinia(createPinia());
  useSession().account = me("agent", { id: 5, group_ids: [2] });
});
afterEach(() => vi.unstubAllGlobals());

describe("tickets store", () => {
  it("loads the list with the filters' query", async () => {
    const urls: string[] = [];
    vi.stubGlobal("fetch", (url: string) => {
      urls.push(url);
      return Promise.resolve(json({ tickets: [ticket()], total: 1, page: 1, per_page: 50 }));
    });
    const store = useTickets();
    store.filters.priority = ["urgent"];
    await store.load();
    expect(urls[0]).toContain("/api/v1/tickets?assignee=me&status=open&status=pending&priority=urgent");
    expect(store.list).toHaveLength(1);
    expect(store.total).toBe(1);
  });

  it("applies frames: updates, removes what no longer fits, adds what now does", () => {
    const store = useTickets();
    store.list = [ticket({ id: 1 }), ticket({ id: 2, number: 13 })];
    store.total = 2;
    store.current = ticket({ id: 1 });
    store.applyFrame({ ticket: ticket({ id: 1, priority: "urgent" }) });
    expect(store.list[0]!.priority).toBe("urgent");
    expect(store.current.priority).toBe("urgent");
    expect(store.currentVersion).toBe(1);
    store.applyFrame({ ticket: ticket({ id: 2, status: "solved" }) });
    expect(store.list.map((t) => t.id)).toEqual([1]);
    store.applyFrame({ ticket: ticket({ id: 3, number: 14 }) });
    expect(store.list.map((t) => t.id)).toEqual([3, 1]);
    store.applyFrame({ ticket: ticket({ id: 4, assignee_id: 9 }) });
    expect(store.list.map((t) => t.id)).toEqual([3, 1]);
    expect(store.total).toBe(2);
  });
});
