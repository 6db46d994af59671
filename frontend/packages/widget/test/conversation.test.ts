// Which conversation the panel shows when the page loads.
import { describe, expect, it } from "vitest";

import { pick, type ConversationView } from "../src/conversation";

const NOW = Date.parse("2026-12-02T10:00:00Z");

function conv(extra: Partial<ConversationView>): ConversationView {
  return {
    id: 1, contact_id: 7, contact_name: null, channel: "web", status: "closed", assignee_id: null,
    group_id: null, created_at: "2026-11-01T00:00:00Z", last_message_at: "2026-11-01T00:00:00Z",
    closed_at: "2026-11-01T00:00:00Z", rating_score: null, unread_count: 0, ...extra,
  } as ConversationView;
}

describe("pick", () => {
  it("shows an open one, a notice not read however old, and a lately closed unrated one", () => {
    expect(pick([conv({ status: "open" })], NOW)?.id).toBe(1);
    expect(pick([conv({ unread_count: 1 })], NOW)?.id).toBe(1); // a notice from weeks ago
    expect(pick([conv({})], NOW)).toBeNull(); // read, closed a month ago
    expect(pick([conv({ closed_at: "2026-12-02T09:00:00Z" })], NOW)?.id).toBe(1);
    expect(pick([conv({ closed_at: "2026-12-02T09:00:00Z", rating_score: 5 })], NOW)).toBeNull();
    expect(pick([conv({ channel: "sms", status: "open" })], NOW)).toBeNull();
  });
});
