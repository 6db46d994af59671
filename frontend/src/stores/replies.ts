// The merchant's quick replies (canned responses), searched locally as the agent types "/".
import { defineStore } from "pinia";
import { ref } from "vue";

import { api } from "@/api/http";
import type { QuickReply } from "@/api/types";

export const useReplies = defineStore("replies", () => {
  const items = ref<QuickReply[]>([]);
  const loaded = ref(false);
  let loadedAt = 0;

  async function load(force = false): Promise<void> {
    if (!force && loaded.value && Date.now() - loadedAt < 60_000) return;
    items.value = await api.get<QuickReply[]>("/quick-replies");
    loaded.value = true;
    loadedAt = Date.now();
  }

  function search(query: string): QuickReply[] {
    const q = query.trim().toLowerCase();
    if (!q) return items.value;
    const starts = items.value.filter((r) => r.shortcut.toLowerCase().startsWith(q));
    const rest = items.value.filter(
      (r) =>
        !starts.includes(r) &&
        (r.shortcut.toLowerCase().includes(q) || r.title.toLowerCase().includes(q) || r.text.toLowerCase().includes(q)),
    );
    return [...starts, ...rest];
  }

  return { items, loaded, load, search };
});
