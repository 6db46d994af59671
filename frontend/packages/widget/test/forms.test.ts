// The survey form: a score on the survey's own scale is required, the chosen score's tags
// show and toggle, the comment is optional and at most 500 characters (and absent where the
// survey takes none), a refused send keeps the form with the reason, already_rated and
// survey_expired count as done; the leave-a-message form checks text, phone and e-mail
// before anything is sent.
import type { SurveyContent } from "@huiliu/sdk";
import { describe, expect, it, vi } from "vitest";

import { answerOutcome, checkAnswer, checkLeave, leaveForm, surveyForm, surveyOpen } from "../src/forms";
import { WidgetError } from "../src/rest";
import { strings } from "../src/strings";

const s = strings("zh-CN");
const tick = () => new Promise((r) => setTimeout(r));

const THREE: SurveyContent = {
  type: "survey",
  survey_id: 7,
  scale: 3,
  prompt: "请对本次服务进行评价",
  comment: true,
  options: [
    { score: 1, label: "不满意", tags: ["回复慢", "没解决问题"] },
    { score: 2, label: "一般", tags: [] },
    { score: 3, label: "满意", tags: ["态度很好"] },
  ],
  expires_at: "2026-12-02T10:00:00Z",
};
const FIVE: SurveyContent = {
  ...THREE,
  scale: 5,
  options: ["非常不满意", "不满意", "一般", "满意", "非常满意"].map((label, i) => ({ score: i + 1, label, tags: [] as string[] })) as SurveyContent["options"],
};

describe("the survey", () => {
  it("needs a score of its scale; tags only from the chosen score's; the comment is optional", () => {
    expect(checkAnswer(THREE, null, [], "", s)).toBe(s.needScore);
    expect(checkAnswer(THREE, 4, [], "", s)).toBe(s.needScore);
    expect(checkAnswer(THREE, 1, ["回复慢", "态度很好"], "   ", s)).toEqual({ score: 1, tags: ["回复慢"] });
    expect(checkAnswer(THREE, 3, [], "  还行  ", s)).toEqual({ score: 3, comment: "还行" });
    expect(checkAnswer(THREE, 3, [], "好".repeat(501), s)).toContain("500");
    expect(checkAnswer({ ...THREE, comment: false }, 2, [], "不收", s)).toEqual({ score: 2 });
  });

  it("reads the server's answer", () => {
    expect(answerOutcome(null, s)).toEqual({ done: true, message: s.rateThanks });
    expect(answerOutcome(new WidgetError("already_rated", "x", 409), s)).toEqual({ done: true, message: s.rateAlready });
    expect(answerOutcome(new WidgetError("survey_expired", "x", 410), s)).toEqual({ done: true, message: s.rateExpired });
    expect(answerOutcome(new WidgetError("invalid", "bad tag", 422), s)).toEqual({ done: false, message: "出错了：bad tag" });
  });

  it("is open until it expires", () => {
    expect(surveyOpen(THREE, Date.parse("2026-12-02T09:59:59Z"))).toBe(true);
    expect(surveyOpen(THREE, Date.parse("2026-12-02T10:00:00Z"))).toBe(false);
    expect(surveyOpen({ ...THREE, expires_at: undefined })).toBe(true);
  });

  it("shows the labels, then the chosen score's tags, and sends the answer; thanks once stored", async () => {
    const submit = vi.fn(async () => {});
    const done = vi.fn();
    const form = document.body.appendChild(surveyForm(s, THREE, submit, done)); // a form submits once in a document
    expect(form.querySelector("strong")!.textContent).toBe("请对本次服务进行评价");
    expect([...form.querySelectorAll(".score .label")].map((l) => l.textContent)).toEqual(["不满意", "一般", "满意"]);
    expect(form.querySelector<HTMLElement>("[data-test=rating-tags]")!.hidden).toBe(true);
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    expect(submit).not.toHaveBeenCalled();
    expect(form.querySelector(".error")?.textContent).toBe(s.needScore);
    form.querySelector<HTMLButtonElement>("[data-score='1']")!.click();
    expect([...form.querySelectorAll(".score")].map((b) => b.getAttribute("aria-pressed"))).toEqual(["true", "false", "false"]);
    const tags = () => [...form.querySelectorAll<HTMLButtonElement>("[data-test=rating-tag]")];
    expect(tags().map((t) => t.textContent)).toEqual(["回复慢", "没解决问题"]);
    tags()[0]!.click();
    expect(tags()[0]!.getAttribute("aria-pressed")).toBe("true");
    // Another score: its own tags, the earlier picks gone.
    form.querySelector<HTMLButtonElement>("[data-score='2']")!.click();
    expect(form.querySelector<HTMLElement>("[data-test=rating-tags]")!.hidden).toBe(true);
    form.querySelector<HTMLButtonElement>("[data-score='1']")!.click();
    tags()[1]!.click();
    form.querySelector("textarea")!.value = "等太久了";
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    await tick();
    expect(submit).toHaveBeenCalledWith({ score: 1, tags: ["没解决问题"], comment: "等太久了" });
    expect(form.textContent).toBe(s.rateThanks);
    expect(done).toHaveBeenCalledOnce();
  });

  it("draws five points as stars and leaves the comment out where none is taken", () => {
    const form = surveyForm(s, { ...FIVE, comment: false }, async () => {}, () => {});
    form.querySelector<HTMLButtonElement>("[data-score='4']")!.click();
    expect([...form.querySelectorAll(".star")].map((b) => b.getAttribute("aria-pressed"))).toEqual(["true", "true", "true", "true", "false"]);
    expect(form.querySelector(".hint")!.textContent).toBe("满意");
    expect(form.querySelector("textarea")).toBeNull();
  });

  it("keeps what was chosen and typed when the send fails", async () => {
    const submit = vi.fn().mockRejectedValueOnce(new WidgetError("network", "offline")).mockResolvedValueOnce(undefined);
    const form = document.body.appendChild(surveyForm(s, THREE, submit, () => {}));
    form.querySelector<HTMLButtonElement>("[data-score='3']")!.click();
    form.querySelector<HTMLButtonElement>("[data-test=rating-tag]")!.click();
    form.querySelector("textarea")!.value = "很耐心";
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    await tick();
    expect(form.querySelector(".error")?.textContent).toBe("出错了：offline");
    expect(form.querySelector("textarea")!.value).toBe("很耐心");
    expect(form.querySelector<HTMLButtonElement>("button[type=submit]")!.disabled).toBe(false);
    form.querySelector<HTMLButtonElement>("button[type=submit]")!.click();
    await tick();
    expect(submit).toHaveBeenLastCalledWith({ score: 3, tags: ["态度很好"], comment: "很耐心" });
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
