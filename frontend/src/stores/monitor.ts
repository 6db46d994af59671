// The live monitor's state: per skill group the queue, the longest wait and the agents with
// status and load; REST for the first picture, `queue.stats` frames after every routing pass
// that changed something (merged by group), and a short history of the total queue.
import { defineStore } from "pinia";
import { computed, reactive, ref } from "vue";

import { api } from "@/api/http";
import type { Group, QueueOut } from "@/api/types";

export interface AgentLoad {
  id: number;
  name?: string;
  status: string;
  load: number;
  capacity: number;
}

export interface GroupStats {
  group_id: number;
  open_now: boolean;
  waiting: number;
  longest_wait_s: number;
  agents: AgentLoad[];
  receivedAt: number;
}

const HISTORY_POINTS = 120;

export const useMonitor = defineStore("monitor", () => {
  const groups = ref<Group[]>([]);
  const stats = reactive<Record<number, GroupStats>>({});
  const history = ref<{ t: number; waiting: number }[]>([]);
  const updatedAt = ref<number | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    error.value = null;
    try {
      groups.value = await api.get<Group[]>("/groups");
      const queues = await Promise.all(groups.value.map((g) => api.get<QueueOut>(`/groups/${g.id}/queue`)));
      for (const [i, q] of queues.entries()) {
        const g = groups.value[i];
        if (!g) continue;
        stats[g.id] = {
          group_id: g.id,
          open_now: g.open_now,
          waiting: q.waiting,
          longest_wait_s: q.longest_wait_s,
          agents: q.agents,
          receivedAt: Date.now(),
        };
      }
      updatedAt.value = Date.now();
      sample();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  function applyStats(frameGroups: Omit<GroupStats, "receivedAt">[]): void {
    for (const g of frameGroups) {
      const names = new Map((stats[g.group_id]?.agents ?? []).map((a) => [a.id, a.name]));
      stats[g.group_id] = {
        ...g,
        agents: g.agents.map((a) => ({ ...a, name: a.name ?? names.get(a.id) })),
        receivedAt: Date.now(),
      };
    }
    updatedAt.value = Date.now();
    sample();
  }

  function sample(): void {
    const waiting = Object.values(stats).reduce((n, s) => n + s.waiting, 0);
    history.value = [...history.value, { t: Date.now(), waiting }].slice(-HISTORY_POINTS);
  }

  /** Every agent once, across groups (an agent may be in several). */
  const agents = computed(() => {
    const byId = new Map<number, AgentLoad>();
    for (const s of Object.values(stats)) for (const a of s.agents) byId.set(a.id, a);
    return [...byId.values()].sort((a, b) => b.load / (b.capacity || 1) - a.load / (a.capacity || 1));
  });
  const totals = computed(() => ({
    waiting: Object.values(stats).reduce((n, s) => n + s.waiting, 0),
    longest: Math.max(0, ...Object.values(stats).map((s) => s.longest_wait_s)),
    online: agents.value.filter((a) => a.status === "online").length,
    load: agents.value.reduce((n, a) => n + a.load, 0),
    capacity: agents.value.filter((a) => a.status === "online").reduce((n, a) => n + a.capacity, 0),
  }));

  return { groups, stats, history, updatedAt, error, agents, totals, load, applyStats, sample };
});
