// Quality review's REST calls (/api/v1/quality/…, docs/quality.md) and their payloads. The
// types mirror src/huiliu/quality/schemas.py; once docs/openapi.json carries them they can be
// taken from openapi.gen.ts like the rest (api/types.ts).
import type { Content } from "./content";
import { api } from "./http";

export type Scoring = "pass_fail" | "points";
export type SampleMode = "random" | "low_score" | "long" | "by_agent";
export type ReviewStatus = "draft" | "submitted" | "disputed";
export type DisputeOutcome = "upheld" | "revised";

export interface QualitySettings {
  edit_window_days: number;
  dispute_window_days: number;
  pass_mark: number;
}

export interface ChecklistItem {
  key: string;
  label: string;
  description: string;
  scoring: Scoring;
  max_points: number;
  critical: boolean;
}

/** An item as sent: the server makes a key for a new one. */
export type ChecklistItemIn = Omit<ChecklistItem, "key"> & { key?: string | null };

export interface ChecklistIn {
  name: string;
  description: string;
  items: ChecklistItemIn[];
  is_default?: boolean | null;
}

export interface Checklist {
  id: number;
  name: string;
  description: string;
  items: ChecklistItem[];
  version: number;
  is_default: boolean;
  archived: boolean;
  max_points: number;
  created_by_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface SampleIn {
  mode: SampleMode;
  since: string;
  until?: string | null;
  n: number;
  long_by?: "handling" | "messages";
  channel?: string | null;
  group_id?: number | null;
  agent_id?: number | null;
  seed?: number | null;
}

export interface BatchIn extends SampleIn {
  name?: string | null;
  checklist_id?: number | null;
  assignee_id?: number | null;
}

export interface Sampled {
  conversation_id: number;
  agent_id: number;
  group_id: number | null;
  channel: string;
  closed_at: string;
  rating_score: number | null;
  rating_scale: number | null;
  handling_s: number | null;
  messages: number | null;
}

export interface SampleOut {
  seed: number;
  candidates: number;
  conversations: Sampled[];
}

export interface Batch {
  id: number;
  name: string;
  checklist_id: number;
  mode: SampleMode;
  params: Record<string, unknown>;
  seed: number;
  candidates: number;
  assignee_id: number;
  created_by_id: number;
  created_at: string;
  size: number;
  reviewed: number;
}

export interface BatchItem extends Sampled {
  id: number;
  position: number;
  review_id: number | null;
  review_status: ReviewStatus | null;
  total_score: number | null;
}

export interface BatchDetail extends Batch {
  items: BatchItem[];
}

export interface ScoreIn {
  key: string;
  passed?: boolean | null;
  points?: number | null;
  na?: boolean;
  comment?: string;
}

export interface Score {
  key: string;
  passed: boolean | null;
  points: number | null;
  na: boolean;
  comment: string;
  earned: number | null;
}

export interface Dispute {
  comment: string;
  disputed_at: string;
  outcome: DisputeOutcome | null;
  resolution: string | null;
  resolved_at: string | null;
  resolved_by_id: number | null;
}

export interface Review {
  id: number;
  batch_id: number;
  conversation_id: number;
  agent_id: number;
  reviewer_id: number;
  checklist_id: number;
  checklist_version: number;
  checklist_name: string;
  items: ChecklistItem[];
  scores: Score[];
  comment: string;
  status: ReviewStatus;
  total_score: number | null;
  critical_failed: boolean;
  passed: boolean | null;
  earned: number;
  possible: number;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  editable_until: string | null;
  disputable_until: string | null;
  dispute: Dispute | null;
  unread: boolean;
}

export interface ReviewPage {
  reviews: Review[];
  total: number;
  unread: number;
}

export interface ReviewChange {
  id: number;
  kind: "created" | "submitted" | "edited" | "disputed" | "resolved";
  actor_id: number | null;
  data: Record<string, unknown>;
  created_at: string;
}

export interface TranscriptMessage {
  id: number;
  seq: number;
  sender: { type: string; id: number | null };
  content: Content;
  created_at: string;
}

export interface Transcript {
  conversation_id: number;
  channel: string;
  contact_id: number;
  contact_name: string | null;
  assignee_id: number | null;
  created_at: string;
  closed_at: string | null;
  messages: TranscriptMessage[];
}

export interface ResolveIn {
  outcome: DisputeOutcome;
  comment: string;
  scores?: ScoreIn[];
  review_comment?: string | null;
}

const Q = "/quality";

export const qualityApi = {
  settings: () => api.get<QualitySettings>(`${Q}/settings`),
  saveSettings: (body: QualitySettings) => api.put<QualitySettings>(`${Q}/settings`, body),

  checklists: (includeArchived = false) =>
    api.get<Checklist[]>(`${Q}/checklists`, { include_archived: includeArchived || undefined }),
  createChecklist: (body: ChecklistIn) => api.post<Checklist>(`${Q}/checklists`, body),
  updateChecklist: (id: number, body: ChecklistIn) => api.put<Checklist>(`${Q}/checklists/${id}`, body),
  deleteChecklist: (id: number) => api.delete<void>(`${Q}/checklists/${id}`),

  preview: (body: SampleIn) => api.post<SampleOut>(`${Q}/samples`, body),
  createBatch: (body: BatchIn) => api.post<BatchDetail>(`${Q}/batches`, body),
  batches: (assignee?: "me" | number) => api.get<Batch[]>(`${Q}/batches`, { assignee }),
  batch: (id: number) => api.get<BatchDetail>(`${Q}/batches/${id}`),
  updateBatch: (id: number, body: { name?: string; assignee_id?: number }) =>
    api.patch<BatchDetail>(`${Q}/batches/${id}`, body),
  deleteBatch: (id: number) => api.delete<void>(`${Q}/batches/${id}`),

  startReview: (batchId: number, conversationId: number) =>
    api.post<Review>(`${Q}/reviews`, { batch_id: batchId, conversation_id: conversationId }),
  review: (id: number) => api.get<Review>(`${Q}/reviews/${id}`),
  saveReview: (id: number, body: { scores?: ScoreIn[]; comment?: string }) =>
    api.patch<Review>(`${Q}/reviews/${id}`, body),
  submitReview: (id: number) => api.post<Review>(`${Q}/reviews/${id}/submit`),
  deleteReview: (id: number) => api.delete<void>(`${Q}/reviews/${id}`),
  history: (id: number) => api.get<ReviewChange[]>(`${Q}/reviews/${id}/history`),
  markRead: (id: number) => api.post<Review>(`${Q}/reviews/${id}/read`),
  dispute: (id: number, comment: string) => api.post<Review>(`${Q}/reviews/${id}/dispute`, { comment }),
  resolve: (id: number, body: ResolveIn) => api.post<Review>(`${Q}/reviews/${id}/resolve`, body),

  myReviews: (page = 1) => api.get<ReviewPage>(`${Q}/my-reviews`, { page, per_page: 50 }),
  disputes: (state: "open" | "resolved" | "any" = "open") =>
    api.get<ReviewPage>(`${Q}/disputes`, { state, per_page: 50 }),
  transcript: (conversationId: number) => api.get<Transcript>(`${Q}/transcripts/${conversationId}`),
};
