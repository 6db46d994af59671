// Names for ids: the merchant's accounts (with status and load, for transfers) and skill
// groups, and how a customer is labelled.
import { defineStore } from "pinia";
import { ref } from "vue";

import { api } from "@/api/http";
import type { Account, Group } from "@/api/types";
import { i18n } from "@/i18n";

export const useDirectory = defineStore("directory", () => {
  const accounts = ref<Account[]>([]);
  const groups = ref<Group[]>([]);
  let loadedAt = 0;

  async function load(force = false): Promise<void> {
    if (!force && Date.now() - loadedAt < 60_000) return;
    loadedAt = Date.now();
    const [a, g] = await Promise.all([
      api.get<Account[]>("/accounts").catch(() => accounts.value),
      api.get<Group[]>("/groups").catch(() => groups.value),
    ]);
    accounts.value = a;
    groups.value = g;
  }

  function accountName(id: number): string {
    return accounts.value.find((a) => a.id === id)?.name ?? `#${id}`;
  }

  function groupName(id: number): string {
    return groups.value.find((g) => g.id === id)?.name ?? `#${id}`;
  }

  function contactLabel(c: { contact_id: number; contact_name?: string | null } | null): string {
    if (!c) return "";
    const t = i18n.global.t as (key: string, values: Record<string, unknown>) => string;
    return c.contact_name || t("customer.anonymous", { id: c.contact_id });
  }

  return { accounts, groups, load, accountName, groupName, contactLabel };
});
