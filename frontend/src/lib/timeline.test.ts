import { describe, expect, it } from "vitest";

import type { Message } from "@/api/types";

import { interleave, mergeMessages } from "./timeline";

function msg(seq: number, id = seq * 10): Message {
  return {
    id,
    conversation_id: 1,
    seq,
    sender: { type: "contact", id: 7 },
    client_msg_id: null,
    content: { type: "text", text: `m${seq}` },
    created_at: new Date(2026, 0, 1, 0, 0, seq).toISOString(),
  };
}

describe("mergeMessages", () => {
  it("orders by seq whatever the arrival order", () => {
    const merged = mergeMessages([msg(3)], [msg(1), msg(5), msg(2)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 5]);
  });

  it("keeps each seq once when a resume repeats a REST page", () => {
    const page = [msg(1), msg(2), msg(3)];
    const merged = mergeMessages(page, [msg(2), msg(3), msg(4)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it("returns the same array when nothing is new (no re-render)", () => {
    const page = [msg(1), msg(2)];
    expect(mergeMessages(page, [msg(2)])).toBe(page);
  });
});

describe("interleave", () => {
  it("places a note after the message it followed", () => {
    const notes = [{ id: 1, after_seq: 2 }, { id: 2, after_seq: 3 }];
    const items = interleave([msg(1), msg(2), msg(3), msg(4)], notes);
    expect(items.map((i) => i.key)).toEqual(["m10", "m20", "n1", "m30", "n2", "m40"]);
  });

  it("keeps notes older than the loaded history out until it is loaded", () => {
    const items = interleave([msg(10), msg(11)], [{ id: 1, after_seq: 3 }, { id: 2, after_seq: 11 }]);
    expect(items.map((i) => i.key)).toEqual(["m100", "m110", "n2"]);
  });
});
