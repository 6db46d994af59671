// The review workspace keeps the review it just started when the queue hands its id back:
// loading it again would throw away what the reviewer scored meanwhile.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import ReviewWorkspace from "./ReviewWorkspace.vue";
import { fakeServer, mountQuality, review } from "./test-helpers";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

describe("ReviewWorkspace", () => {
  it("does not reload the review it started when its id comes back", async () => {
    const started = review({ id: 7, status: "draft", reviewer_id: 2 });
    const sent = fakeServer({
      "POST /quality/reviews": () => ({ status: 201, body: started }),
      "GET /quality/reviews/7": () => ({ status: 200, body: started }),
      "GET /quality/reviews/7/history": () => ({ status: 200, body: [] }),
      "GET /quality/reviews/7/transcript": () => ({ status: 200, body: { messages: [] } }),
    });
    const w = mountQuality(ReviewWorkspace, { batchId: 3, conversationId: 41, reviewId: null });
    await flushPromises();
    await w.get("[data-test=review-start]").trigger("click");
    await flushPromises();
    const input = w.get("[data-test=review-item][data-key=solution] [data-test=points-input]");
    await input.setValue("24");
    // The queue learns of the new review and passes its id down.
    await w.setProps({ reviewId: 7 });
    await flushPromises();
    expect(sent.filter((s) => s.key === "GET /quality/reviews/7")).toEqual([]);
    expect((w.get("[data-test=review-item][data-key=solution] [data-test=points-input]").element as HTMLInputElement).value).toBe("24");
    // Another review does load.
    await w.setProps({ reviewId: 8 });
    await flushPromises();
    expect(sent.some((s) => s.key === "GET /quality/reviews/8")).toBe(true);
  });
});
