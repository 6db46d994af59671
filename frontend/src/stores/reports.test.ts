// The reports store: an answer for filters no longer in force is dropped (a slow old period
// never replaces the new one), a tab reloads only when its filters changed, and the
// drill-down narrows the filters to the clicked row.
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ReportFilters } from "@/api/reports";
import { overview } from "@/components/reports/test-helpers";

import { useReports } from "./reports";

const A: ReportFilters = { from: "2026-11-01", to: "2026-11-30", tz: null, channel: [], group_id: [], agent_id: [], tag: null, business_hours: false };
const B: ReportFilters = { ...A, from: "2026-10-01", to: "2026-10-31" };

type Pending = { url: URL; resolve: (body: unknown) => void };
let pending: Pending[] = [];

beforeEach(() => {
  setActivePinia(createPinia());
  pending = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(
      (input: string) =>
        new Promise<Response>((resolve) => {
          pending.push({ url: new URL(input, "http://x"), resolve: (body) => resolve(new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } })) });
        }),
    ),
  );
});
afterEach(() => vi.unstubAllGlobals());

const flush = () => new Promise((r) => setTimeout(r, 0));
const answer = async (path: string, from: string, body: unknown) => {
  const p = pending.find((x) => x.url.pathname.endsWith(path) && x.url.searchParams.get("from") === from);
  if (!p) throw new Error(`no pending ${path} from ${from}`);
  pending = pending.filter((x) => x !== p);
  p.resolve(body);
  await flush();
  await flush();
};

describe("the reports store", () => {
  it("drops an answer for filters no longer in force", async () => {
    const s = useReports();
    s.setFilters(A);
    void s.loadTab("agents");
    s.setFilters(B);
    void s.loadTab("agents");
    await flush();
    await answer("/reports/agents", "2026-10-01", { period: overview().period, agents: [] });
    expect(s.agents.data?.agents).toEqual([]);
    expect(s.agents.loading).toBe(false);
    await answer("/reports/agents", "2026-11-01", { period: overview().period, agents: [{ stale: true }] });
    expect(s.agents.data?.agents).toEqual([]);
  });

  it("reloads a tab only when its filters changed, or when forced", async () => {
    const s = useReports();
    s.setFilters(A);
    void s.loadTab("hotwords");
    void s.loadTab("hotwords");
    await flush();
    expect(pending.filter((p) => p.url.pathname.endsWith("/hot-words"))).toHaveLength(1);
    void s.loadTab("hotwords", true);
    s.setFilters(B);
    void s.loadTab("hotwords");
    await flush();
    expect(pending.filter((p) => p.url.pathname.endsWith("/hot-words"))).toHaveLength(3);
  });

  it("narrows the drill-down to the clicked row and keeps its page", async () => {
    const s = useReports();
    s.setFilters({ ...A, agent_id: [1, 2] });
    void s.openDrill({ metric: "handled" }, "小王 · 处理", { agent_id: 7 });
    await flush();
    const q = pending[0]!.url.searchParams;
    expect(q.getAll("agent_id")).toEqual(["7"]);
    expect([q.get("metric"), q.get("page"), q.get("per_page")]).toEqual(["handled", "1", "20"]);
    expect(s.drill.open).toBe(true);
    void s.loadDrill(2);
    await flush();
    expect(pending[1]!.url.searchParams.get("page")).toBe("2");
    expect(pending[1]!.url.searchParams.getAll("agent_id")).toEqual(["7"]);
    expect(s.drillFilters().agent_id).toEqual([7]);
    expect(s.filters.agent_id).toEqual([1, 2]);
  });
});
