// The review form: the total shown as the reviewer scores (weights, n/a, a failed critical
// item zeroing it), scores the server would refuse caught first, a draft saved and
// submitted in the shape the server takes, its 422 shown under the item it names, a
// supervisor's resolution, and a read-only view for agents.
import { flushPromises, type VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Review } from "@/api/quality";

import ReviewForm from "./ReviewForm.vue";
import { fakeServer, mountQuality, review } from "./test-helpers";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

function item(w: VueWrapper, key: string) {
  return w.get(`[data-test=review-item][data-key=${key}]`);
}

async function choose(w: VueWrapper, key: string, choice: "pass" | "fail" | "na") {
  await item(w, key).get(`[data-test=choice-${choice}] input`).setValue(true);
}

async function points(w: VueWrapper, key: string, value: string) {
  await item(w, key).get("[data-test=points-input]").setValue(value);
}

const total = (w: VueWrapper) => w.get("[data-test=review-total-number]").text();

describe("ReviewForm", () => {
  it("shows the total as items are scored, weighted by their points", async () => {
    fakeServer({});
    const w = mountQuality(ReviewForm, { review: review(), mode: "edit", passMark: 80 });
    expect(total(w)).toBe("—");
    await choose(w, "greeting", "pass");
    expect(total(w)).toBe("100.0");
    expect(w.get("[data-test=review-points]").text()).toBe("10/10 分");
    await points(w, "solution", "15");
    expect(total(w)).toBe("62.5");
    expect(item(w, "solution").get("[data-test=item-earned]").text()).toBe("15/30");
    await item(w, "tone").get("[data-test=na-check] input").setValue(true);
    await choose(w, "compliance", "pass");
    expect(total(w)).toBe("70.0"); // 35 of 50: tone is n/a
    expect(w.get("[data-test=review-passed]").attributes("data-passed")).toBe("false");
    await points(w, "solution", "24");
    expect(total(w)).toBe("88.0");
    expect(w.get("[data-test=review-passed]").attributes("data-passed")).toBe("true");
    expect(w.find("[data-test=critical-failed]").exists()).toBe(false);
    // A failed critical item: 0, and said so.
    await choose(w, "compliance", "fail");
    expect(total(w)).toBe("0.0");
    expect(w.get("[data-test=review-total]").classes()).toContain("critical");
    expect(w.find("[data-test=critical-failed]").exists()).toBe(true);
    // A critical item has no n/a.
    expect(item(w, "compliance").find("[data-test=choice-na]").exists()).toBe(false);
    w.unmount();
  });

  it("catches points above an item's max before the server, and asks for every item", async () => {
    const sent = fakeServer({});
    const w = mountQuality(ReviewForm, { review: review(), mode: "edit", passMark: 80 });
    await choose(w, "greeting", "pass");
    await points(w, "solution", "31");
    expect(item(w, "solution").get("[data-test=item-error]").text()).toBe("不能超过 30 分");
    expect(w.get("[data-test=review-save]").attributes("disabled")).toBeDefined();
    expect(w.get("[data-test=review-submit]").attributes("disabled")).toBeDefined();
    await points(w, "solution", "30");
    expect(item(w, "solution").find("[data-test=item-error]").exists()).toBe(false);
    expect(w.get("[data-test=review-save]").attributes("disabled")).toBeUndefined();
    expect(w.get("[data-test=review-missing]").text()).toContain("服务态度、合规承诺");
    expect(w.get("[data-test=review-submit]").attributes("disabled")).toBeDefined();
    await w.get("[data-test=review-submit]").trigger("click");
    await flushPromises();
    expect(sent.filter((s) => s.key.startsWith("PATCH") || s.key.startsWith("POST"))).toEqual([]);
    w.unmount();
  });

  it("saves then submits in the server's shape, and shows its 422 under the item it names", async () => {
    let submitted = false;
    const sent = fakeServer({
      "PATCH /quality/reviews/7": (body) => ({ status: 200, body: review({ comment: (body as { comment: string }).comment }) }),
      "POST /quality/reviews/7/submit": () => {
        if (!submitted) {
          submitted = true;
          return { status: 422, body: { code: "invalid", detail: "scores.1.points: 24 is above item '解决问题''s 20 points", field: "scores.1.points" } };
        }
        return { status: 200, body: review({ status: "submitted", total_score: 88 }) };
      },
    });
    const w = mountQuality(ReviewForm, { review: review(), mode: "edit", passMark: 80 });
    await choose(w, "greeting", "pass");
    await points(w, "solution", "24");
    await item(w, "solution").get("[data-test=item-comment]").setValue("方案正确");
    await item(w, "tone").get("[data-test=na-check] input").setValue(true);
    await choose(w, "compliance", "pass");
    await w.get("[data-test=review-comment]").setValue("整体不错");
    await w.get("[data-test=review-submit]").trigger("click");
    await flushPromises();
    const patch = sent.find((s) => s.key === "PATCH /quality/reviews/7");
    expect(patch?.body).toEqual({
      scores: [
        { key: "greeting", passed: true, comment: "" },
        { key: "solution", points: 24, comment: "方案正确" },
        { key: "tone", na: true, comment: "" },
        { key: "compliance", passed: true, comment: "" },
      ],
      comment: "整体不错",
    });
    expect(item(w, "solution").get("[data-test=item-error]").text()).toContain("above");
    expect(w.find("[data-test=review-error]").exists()).toBe(false);
    await w.get("[data-test=review-submit]").trigger("click");
    await flushPromises();
    const saved = w.emitted("saved") as [Review][];
    expect(saved.at(-1)![0].status).toBe("submitted");
    w.unmount();
  });

  it("lets a supervisor uphold or revise a disputed review", async () => {
    const sent = fakeServer({ "POST /quality/reviews/7/resolve": (body) => ({ status: 200, body: review({ status: "submitted", dispute: null, ...(body as Partial<Review>) }) }) });
    const scores = [
      { key: "greeting", passed: true, points: null, na: false, comment: "", earned: 10 },
      { key: "solution", passed: null, points: 24, na: false, comment: "", earned: 24 },
      { key: "tone", passed: null, points: null, na: true, comment: "", earned: null },
      { key: "compliance", passed: true, points: null, na: false, comment: "", earned: 10 },
    ];
    const disputed = review({ status: "disputed", scores, total_score: 88, submitted_at: "2026-12-01T11:00:00Z" });
    const w = mountQuality(ReviewForm, { review: disputed, mode: "resolve", passMark: 80 });
    expect(total(w)).toBe("88.0");
    await points(w, "solution", "30");
    expect(total(w)).toBe("100.0");
    await w.get("[data-test=resolve-reply]").setValue("已核实");
    await w.get("[data-test=resolve-revised]").trigger("click");
    await flushPromises();
    const body = sent.find((s) => s.key === "POST /quality/reviews/7/resolve")!.body as Record<string, unknown>;
    expect(body.outcome).toBe("revised");
    expect(body.comment).toBe("已核实");
    expect((body.scores as { key: string; points?: number }[])[1]).toEqual({ key: "solution", points: 30, comment: "" });
    await w.get("[data-test=resolve-upheld]").trigger("click");
    await flushPromises();
    const upheld = sent.filter((s) => s.key === "POST /quality/reviews/7/resolve").at(-1)!.body;
    expect(upheld).toEqual({ outcome: "upheld", comment: "已核实" });
    w.unmount();
  });

  it("is read-only for the agent, with the server's verdict and inert comments", async () => {
    fakeServer({});
    const scores = [
      { key: "greeting", passed: false, points: null, na: false, comment: "<img src=x onerror=alert(1)>", earned: 0 },
      { key: "solution", passed: null, points: 30, na: false, comment: "", earned: 30 },
      { key: "tone", passed: null, points: 20, na: false, comment: "", earned: 20 },
      { key: "compliance", passed: true, points: null, na: false, comment: "", earned: 10 },
    ];
    const done = review({ status: "submitted", scores, comment: "继续保持", total_score: 85.7, passed: true });
    const w = mountQuality(ReviewForm, { review: done, mode: "read", passMark: 90 }, "agent", 5);
    expect(total(w)).toBe("85.7");
    // The stored verdict, not the default mark the agent's page may hold.
    expect(w.get("[data-test=review-passed]").attributes("data-passed")).toBe("true");
    expect(w.find("[data-test=review-save]").exists()).toBe(false);
    expect(w.find("[data-test=item-comment]").exists()).toBe(false);
    const comment = item(w, "greeting").get("[data-test=item-comment-text]");
    expect(comment.text()).toBe("<img src=x onerror=alert(1)>");
    expect(comment.find("img").exists()).toBe(false);
    expect(item(w, "greeting").get("[data-test=choice-pass] input").attributes("disabled")).toBeDefined();
    w.unmount();
  });

  it("keeps what the reviewer scored when a copy of the same review arrives late", async () => {
    const first = review({ status: "draft" });
    const w = mountQuality(ReviewForm, { review: first, mode: "edit", passMark: 80 });
    await flushPromises();
    await points(w, "solution", "24");
    // A refresh of the same review (a later updated_at) must not wipe the unsaved score …
    await w.setProps({ review: { ...first, updated_at: "2026-12-02T10:00:09Z" } });
    await flushPromises();
    expect((item(w, "solution").get("[data-test=points-input]").element as HTMLInputElement).value).toBe("24");
    // … while another review refills the form.
    await w.setProps({ review: review({ id: first.id + 1, status: "draft" }) });
    await flushPromises();
    expect((item(w, "solution").get("[data-test=points-input]").element as HTMLInputElement).value).toBe("");
  });

  it("takes a newer copy of the review while nothing was changed", async () => {
    const first = review({ status: "draft" });
    const w = mountQuality(ReviewForm, { review: first, mode: "edit", passMark: 80 });
    await flushPromises();
    const stored = [{ key: "solution", points: 12, passed: null, na: false, comment: "" }] as unknown as Review["scores"];
    await w.setProps({ review: { ...first, scores: stored, updated_at: "2026-12-02T10:00:09Z" } });
    await flushPromises();
    expect((item(w, "solution").get("[data-test=points-input]").element as HTMLInputElement).value).toBe("12");
  });
});
