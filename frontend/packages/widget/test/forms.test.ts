// The rating form: a score is required, the comment is optional and at most 500 characters,
// a refused send keeps the form with the reason, already_rated counts as done; the
// leave-a-message form checks text, phone and e-mail before anything is sent.
import { describe, expect, it, vi } from "vitest";

import { checkLeave, checkRating, leaveForm, ratingForm, ratingOutcome } from "../src/forms";
import { WidgetError } from "../src/rest";
import { strings } from "../src/strings";

const s = strings("zh-CN");
const tick = () => new Promise((r) => setTimeout(r));

describe("the rating", () => {
  it("needs 1–5 stars; the comment is optional and at most 500 characters", () => {
    expect(checkRating(null, "", s)).toBe(s.needScore);
    expect(checkRating(0, "", s)).toBe(s.needScore);
    expect(checkRating(6, "", s)).toBe(s.needScore);
    expect(checkRating(5, "   ", s)).toEqual({ score: 5 });
    expect(checkRating(3, "  还行  ", s)).toEqual({ score: 3, comment: "还行" });
    expect(checkRating(3, "好".repeat(501), s)).toContain("500");
    expect(checkRating(3, "好".repeat(500), s)).toEqual({ score: 3, comment: "好".repeat(500) });
  });

  it("reads the server's answer", () => {
    expect(ratingOutcome(null, s)).toEqual({ done: true, message: s.rateThanks });
    expect(ratingOutcome(new WidgetError("already_rated", "x", 409), s)).toEqual({ done: true, message: s.rateAlready });
    expect(ratingOutcome(new WidgetError("not_closed", "still open", 409), s)).toEqual({ done: false, message: "出错了：still open" });
  });

  it("sends the stars and comment, and thanks once stored", async () => {
    const submit = vi.fn(async () => {});
    const done = vi.fn();
    const form = document.body.appendChild(ratingForm(s, submit, done)); // a form submits once in a document
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    expect(submit).not.toHaveBeenCalled();
    expect(form.querySelector(".error")?.textContent).toBe(s.needScore);
    form.querySelector<HTMLButtonElement>("[data-score='4']")!.click();
    expect([...form.querySelectorAll(".star")].map((b) => b.getAttribute("aria-pressed"))).toEqual(["true", "true", "true", "true", "false"]);
    form.querySelector("textarea")!.value = "客服很耐心";
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    await tick();
    expect(submit).toHaveBeenCalledWith({ score: 4, comment: "客服很耐心" });
    expect(form.textContent).toBe(s.rateThanks);
    expect(done).toHaveBeenCalledOnce();
  });

  it("keeps what was chosen and typed when the send fails", async () => {
    const submit = vi.fn().mockRejectedValueOnce(new WidgetError("network", "offline")).mockResolvedValueOnce(undefined);
    const form = document.body.appendChild(ratingForm(s, submit, () => {}));
    form.querySelector<HTMLButtonElement>("[data-score='2']")!.click();
    form.querySelector("textarea")!.value = "等太久了";
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    await tick();
    expect(form.querySelector(".error")?.textContent).toBe("出错了：offline");
    expect(form.querySelector("textarea")!.value).toBe("等太久了");
    expect(form.querySelector<HTMLButtonElement>("button[type=submit]")!.disabled).toBe(false);
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    await tick();
    expect(submit).toHaveBeenLastCalledWith({ score: 2, comment: "等太久了" });
    expect(form.textContent).toBe(s.rateThanks);
  });
});

describe("leaving a message", () => {
  it("checks the fields before sending", () => {
    const blank = { text: "", name: "", phone: "", email: "" };
    expect(checkLeave(blank, s)).toEqual({ error: s.needText, field: "text" });
    expect(checkLeave({ ...blank, text: "x", phone: "call me" }, s)).toEqual({ error: s.badPhone, field: "phone" });
    expect(checkLeave({ ...blank, text: "x", email: "nope" }, s)).toEqual({ error: s.badEmail, field: "email" });
    expect(checkLeave({ text: " 请回电 ", name: " 王 ", phone: "+86 138-0013-8000", email: "" }, s)).toEqual({
      text: "请回电",
      name: "王",
      phone: "+86 138-0013-8000",
    });
  });

  it("prefills what is known, and keeps the values when the send fails", async () => {
    const submit = vi.fn().mockRejectedValueOnce(new WidgetError("network", "offline"));
    const form = leaveForm(s, { name: "王小明", phone: null }, submit, () => {});
    const field = (n: string) => form.querySelector<HTMLInputElement>(`[name=${n}]`)!;
    expect(field("name").value).toBe("王小明");
    field("text").value = "想批量采购";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await tick();
    expect(submit).toHaveBeenCalledWith({ text: "想批量采购", name: "王小明" });
    expect(form.querySelector("[data-test=leave-error]")?.textContent).toBe("出错了：offline");
    expect(field("text").value).toBe("想批量采购");
  });
});
