// Quality review's shared state: the tenant's settings (pass mark, windows) and checklists,
// the review batches with the open one, and the agent's own reviews with the unread count.
import { defineStore } from "pinia";
import { ref } from "vue";

import { qualityApi, type Batch, type BatchDetail, type Checklist, type QualitySettings, type Review } from "@/api/quality";

export const DEFAULT_SETTINGS: QualitySettings = { edit_window_days: 7, dispute_window_days: 7, pass_mark: 80 };

export const useQuality = defineStore("quality", () => {
  const settings = ref<QualitySettings>({ ...DEFAULT_SETTINGS });
  const checklists = ref<Checklist[]>([]);
  const batches = ref<Batch[]>([]);
  const batch = ref<BatchDetail | null>(null);
  const mine = ref<Review[]>([]);
  const unread = ref(0);
  const error = ref<string | null>(null);

  async function loadSettings(): Promise<void> {
    try {
      settings.value = await qualityApi.settings();
    } catch {
      // agents do not read the settings: the defaults shape what they see
    }
  }

  async function loadChecklists(): Promise<Checklist[]> {
    checklists.value = await qualityApi.checklists();
    return checklists.value;
  }

  async function loadBatches(mineOnly = false): Promise<void> {
    error.value = null;
    try {
      batches.value = await qualityApi.batches(mineOnly ? "me" : undefined);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function openBatch(id: number): Promise<BatchDetail> {
    const detail = await qualityApi.batch(id);
    batch.value = detail;
    const i = batches.value.findIndex((b) => b.id === id);
    const { items: _items, ...summary } = detail;
    if (i >= 0) batches.value.splice(i, 1, summary);
    return detail;
  }

  /** A review as the server now has it: its batch item shows the new state. */
  function applyReview(review: Review): void {
    const b = batch.value;
    if (!b || b.id !== review.batch_id) return;
    const item = b.items.find((x) => x.conversation_id === review.conversation_id);
    if (!item) return;
    item.review_id = review.id;
    item.review_status = review.status;
    item.total_score = review.total_score;
    b.reviewed = b.items.filter((x) => x.review_status === "submitted" || x.review_status === "disputed").length;
    const summary = batches.value.find((x) => x.id === b.id);
    if (summary) summary.reviewed = b.reviewed;
  }

  function forgetReview(batchId: number, reviewId: number): void {
    const item = batch.value?.id === batchId ? batch.value.items.find((x) => x.review_id === reviewId) : undefined;
    if (item) Object.assign(item, { review_id: null, review_status: null, total_score: null });
  }

  async function loadMine(): Promise<void> {
    error.value = null;
    try {
      const page = await qualityApi.myReviews();
      mine.value = page.reviews;
      unread.value = page.unread;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  function applyMine(review: Review): void {
    const i = mine.value.findIndex((r) => r.id === review.id);
    if (i < 0) return;
    const before = mine.value[i]!.unread;
    mine.value.splice(i, 1, review);
    if (before !== review.unread) unread.value = Math.max(0, unread.value + (review.unread ? 1 : -1));
  }

  return { settings, checklists, batches, batch, mine, unread, error, loadSettings, loadChecklists, loadBatches, openBatch, applyReview, forgetReview, loadMine, applyMine };
});
