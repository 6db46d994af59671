// What every customer view reads once: the merchant's profile fields (labels and types of
// `attributes`, GET /tenant/profile), the tag rules' tags (shown as automatic), the tags in
// use and the segments (for the directory's filters).
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { api } from "@/api/http";
import type { ProfileField, ProfileSettings, Segment, TagCount, TagRule } from "@/api/types";
import { ruleTags } from "@/lib/customers";

export const useProfile = defineStore("profile", () => {
  const fields = ref<ProfileField[]>([]);
  const rules = ref<TagRule[]>([]);
  const tags = ref<TagCount[]>([]);
  const segments = ref<Segment[]>([]);
  let loaded: Promise<void> | null = null;

  /** Once per page load (again with `force`, after an admin page changed them). */
  function load(force = false): Promise<void> {
    if (loaded && !force) return loaded;
    loaded = Promise.all([
      api.get<ProfileSettings>("/tenant/profile").then((s) => (fields.value = s.fields ?? [])).catch(() => undefined),
      api.get<TagRule[]>("/tag-rules").then((r) => (rules.value = r)).catch(() => undefined),
      api.get<TagCount[]>("/tags").then((x) => (tags.value = x)).catch(() => undefined),
      api.get<Segment[]>("/segments").then((x) => (segments.value = x)).catch(() => undefined),
    ]).then(() => undefined);
    return loaded;
  }

  const autoTags = computed(() => ruleTags(rules.value));

  return { fields, rules, tags, segments, autoTags, load };
});
