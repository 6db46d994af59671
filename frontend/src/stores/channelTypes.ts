// The channel types the server connects (GET /channels/types), read once: the workbench
// needs each one's reply window (WeChat's and Weibo's 48 hours) to warn before a reply the
// channel would refuse.
import { defineStore } from "pinia";
import { ref } from "vue";

import { api } from "@/api/http";
import type { ChannelType } from "@/api/types";

export const useChannelTypes = defineStore("channelTypes", () => {
  const types = ref<ChannelType[]>([]);
  let loading: Promise<void> | null = null;

  function load(): Promise<void> {
    loading ??= api
      .get<ChannelType[]>("/channels/types")
      .then((list) => void (types.value = list))
      .catch(() => void (loading = null)); // try again next time; the server still refuses
    return loading;
  }

  /** The channel's reply window in seconds, or null when it has none (or is unknown). */
  function replyWindow(channel: string | null | undefined): number | null {
    return types.value.find((x) => x.channel === channel)?.reply_window_s ?? null;
  }

  return { types, load, replyWindow };
});

/** Whether the window after the customer's last message has passed at `now` (ms). */
export function windowPassed(lastContactAt: string | null | undefined, windowS: number | null, now: number): boolean {
  if (!windowS || !lastContactAt) return false;
  return now - Date.parse(lastContactAt) > windowS * 1000;
}
