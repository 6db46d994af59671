// The tickets list (my tickets, my groups' queue, all for supervisors) with its filters, the
// open ticket, and the tenant's ticket settings; `ticket.updated` frames keep both current.
import { defineStore } from "pinia";
import { reactive, ref } from "vue";

import { api } from "@/api/http";
import { defaultFilters, matches, ticketQuery, type Ticket, type TicketFilters, type TicketSettings } from "@/lib/tickets";

import { useSession } from "./session";

export const useTickets = defineStore("tickets", () => {
  const filters = reactive<TicketFilters>(defaultFilters());
  const list = ref<Ticket[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const current = ref<Ticket | null>(null);
  /** Bumped by a frame for the open ticket: the view reloads its comments and history. */
  const currentVersion = ref(0);
  const settings = ref<TicketSettings | null>(null);
  const myGroups = ref<number[]>([]);
  let seq = 0;

  async function load(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    error.value = null;
    try {
      const page = await api.get<{ tickets: Ticket[]; total: number }>(`/tickets?${ticketQuery(filters).toString()}`);
      if (mine !== seq) return;
      list.value = page.tickets;
      total.value = page.total;
    } catch (e) {
      if (mine === seq) error.value = (e as Error).message;
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  async function loadSettings(force = false): Promise<TicketSettings | null> {
    if (settings.value && !force) return settings.value;
    try {
      settings.value = await api.get<TicketSettings>("/tenant/tickets");
    } catch {
      // agents may not read the settings: no custom fields or categories shown then
      settings.value ??= { categories: [], custom_fields: [], reopen_window_days: 7, left_messages_become_tickets: false };
    }
    return settings.value;
  }

  async function open(id: number): Promise<Ticket> {
    const t = await api.get<Ticket>(`/tickets/${id}`);
    current.value = t;
    return t;
  }

  /** A ticket as the server now has it (a PATCH's answer, a frame): the list and the open
   * ticket take it; it leaves or joins the list by the filters. */
  function apply(t: Ticket, fromFrame = false): void {
    const session = useSession();
    const i = list.value.findIndex((x) => x.id === t.id);
    const fits = matches(t, filters, session.account?.id, myGroups.value);
    if (i >= 0) {
      if (fits) list.value.splice(i, 1, t);
      else {
        list.value.splice(i, 1);
        total.value = Math.max(0, total.value - 1);
      }
    } else if (fits) {
      list.value.unshift(t);
      total.value += 1;
    }
    if (current.value?.id === t.id) {
      current.value = t;
      if (fromFrame) currentVersion.value += 1;
    }
  }

  function applyFrame(frame: { ticket?: unknown }): void {
    if (frame.ticket && typeof frame.ticket === "object") apply(frame.ticket as Ticket, true);
  }

  return { filters, list, total, loading, error, current, currentVersion, settings, myGroups, load, loadSettings, open, apply, applyFrame };
});
