// The two forms the customer fills in: the satisfaction survey (its scale with labels, then
// the chosen score's follow-up tags and a comment: POST /conversations/{id}/survey/answer)
// and the leave-a-message form while nobody can serve (POST /conversations/{id}/leave-message).
// Checks run before anything is sent; a refused or failed send keeps what was chosen and typed.
import type { SurveyContent } from "@huiliu/sdk";

import { h } from "./dom";
import type { WidgetError } from "./rest";
import { fill, type Strings } from "./strings";

export const MAX_COMMENT = 500;
const PHONE = /^\+?[0-9(][0-9 ()-]{4,38}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface AnswerBody {
  score: number;
  tags?: string[];
  comment?: string;
}

/** The answer as the server takes it, or what is wrong with it. */
export function checkAnswer(survey: SurveyContent, score: number | null, tags: readonly string[], comment: string, s: Strings): AnswerBody | string {
  const option = survey.options.find((o) => o.score === score);
  if (score === null || !option) return s.needScore;
  const offered = new Set(option.tags ?? []);
  const picked = tags.filter((t) => offered.has(t));
  const text = survey.comment ? comment.trim() : "";
  if (text.length > MAX_COMMENT) return fill(s.commentTooLong, { max: MAX_COMMENT });
  const body: AnswerBody = { score };
  if (picked.length) body.tags = picked;
  if (text) body.comment = text;
  return body;
}

/** After sending: whether the form is done (and what to say), or stays with an error. */
export function answerOutcome(err: WidgetError | null, s: Strings): { done: boolean; message: string } {
  if (!err) return { done: true, message: s.rateThanks };
  if (err.code === "already_rated") return { done: true, message: s.rateAlready };
  if (err.code === "survey_expired") return { done: true, message: s.rateExpired };
  return { done: false, message: fill(s.error, { detail: err.detail }) };
}

/** Whether the survey still takes an answer. */
export function surveyOpen(survey: SurveyContent, now = Date.now()): boolean {
  return !survey.expires_at || Date.parse(survey.expires_at) > now;
}

const FACES: Record<number, string[]> = { 2: ["👎", "👍"], 3: ["😞", "😐", "😊"] };

/** The survey card: the scale as labelled buttons (stars for five points), the chosen
 * score's tags, a comment, a submit button; thanks once stored. */
export function surveyForm(s: Strings, survey: SurveyContent, submit: (body: AnswerBody) => Promise<void>, onDone: () => void): HTMLElement {
  let score: number | null = null;
  const picked = new Set<string>();
  const error = h("div", { class: "error", role: "alert" });
  const hint = h("div", { class: "muted hint" });
  const tagRow = h("div", { class: "tags", "data-test": "rating-tags", hidden: true });
  const comment = survey.comment
    ? h("textarea", { rows: 2, maxlength: MAX_COMMENT, placeholder: s.rateComment, "data-test": "rating-comment" })
    : null;
  const faces = FACES[survey.options.length];
  const buttons = survey.options.map((o, i) =>
    h(
      "button",
      {
        type: "button",
        class: faces ? "score face" : "score star",
        title: o.label,
        "aria-label": o.label,
        "aria-pressed": "false",
        "data-score": o.score,
        onclick: () => choose(o.score),
      },
      h("span", { class: "icon", "aria-hidden": "true" }, faces ? (faces[i] ?? "") : "★"),
      h("span", { class: "label" }, o.label),
    ),
  );
  function choose(n: number): void {
    score = n;
    buttons.forEach((b, j) => {
      const at = survey.options[j]!.score;
      b.setAttribute("aria-pressed", String(faces ? at === n : at <= n));
    });
    const option = survey.options.find((o) => o.score === n);
    hint.textContent = option?.label ?? "";
    picked.clear();
    const tags = option?.tags ?? [];
    tagRow.replaceChildren(
      ...(tags.length ? [h("div", { class: "muted" }, s.rateTags)] : []),
      ...tags.map((t) =>
        h(
          "button",
          {
            type: "button",
            class: "chip tag",
            "aria-pressed": "false",
            "data-test": "rating-tag",
            "data-tag": t,
            onclick: (e: Event) => {
              const b = e.currentTarget as HTMLElement;
              if (picked.has(t)) picked.delete(t);
              else picked.add(t);
              b.setAttribute("aria-pressed", String(picked.has(t)));
            },
          },
          t,
        ),
      ),
    );
    tagRow.hidden = tags.length === 0;
  }
  const send = h("button", { type: "submit", class: "primary", "data-test": "rating-submit" }, s.rateSubmit);
  const form = h(
    "form",
    {
      class: "rating",
      "data-test": "rating",
      "data-survey": survey.survey_id,
      onsubmit: (e: Event) => {
        e.preventDefault();
        const body = checkAnswer(survey, score, [...picked], comment?.value ?? "", s);
        if (typeof body === "string") {
          error.textContent = body;
          return;
        }
        error.textContent = "";
        send.disabled = true;
        submit(body).then(
          () => finish(answerOutcome(null, s).message),
          (err: WidgetError) => {
            const outcome = answerOutcome(err, s);
            if (outcome.done) finish(outcome.message);
            else {
              error.textContent = outcome.message;
              send.disabled = false;
            }
          },
        );
      },
    },
    h("strong", null, survey.prompt || s.rateTitle),
    h("div", { class: faces ? "scale faces" : "scale stars" }, buttons),
    hint,
    tagRow,
    comment,
    error,
    send,
  );
  function finish(message: string): void {
    form.replaceChildren(h("div", { class: "thanks", "data-test": "rating-thanks" }, message));
    onDone();
  }
  return form;
}

export interface LeaveBody {
  text: string;
  name?: string;
  phone?: string;
  email?: string;
}

export function checkLeave(
  fields: { text: string; name: string; phone: string; email: string },
  s: Strings,
): LeaveBody | { error: string; field: string } {
  const text = fields.text.trim();
  if (!text) return { error: s.needText, field: "text" };
  const phone = fields.phone.trim();
  if (phone && !PHONE.test(phone)) return { error: s.badPhone, field: "phone" };
  const email = fields.email.trim();
  if (email && !EMAIL.test(email)) return { error: s.badEmail, field: "email" };
  const body: LeaveBody = { text };
  const name = fields.name.trim();
  if (name) body.name = name;
  if (phone) body.phone = phone;
  if (email) body.email = email;
  return body;
}

/** The leave-a-message sheet. `submit` resolves once stored; the sheet then closes. */
export function leaveForm(
  s: Strings,
  prefill: { name?: string | null; phone?: string | null; email?: string | null },
  submit: (body: LeaveBody) => Promise<void>,
  cancel: () => void,
): HTMLElement {
  const input = (name: string, label: string, type: string, value?: string | null) =>
    h("label", null, label, h("input", { name, type, value: value ?? "", "data-test": `leave-${name}` }));
  const text = h("textarea", { name: "text", rows: 4, "data-test": "leave-text" });
  const error = h("div", { class: "error", role: "alert", "data-test": "leave-error" });
  const send = h("button", { type: "submit", class: "primary", "data-test": "leave-submit" }, s.submit);
  const form: HTMLFormElement = h(
    "form",
    {
      class: "leave",
      "data-test": "leave-form",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
        const body = checkLeave({ text: text.value, name: value("name"), phone: value("phone"), email: value("email") }, s);
        if ("error" in body) {
          error.textContent = body.error;
          (form.elements.namedItem(body.field) as HTMLElement | null)?.focus();
          return;
        }
        error.textContent = "";
        send.disabled = true;
        submit(body).then(
          () => {
            send.disabled = false;
            text.value = "";
          },
          (err: WidgetError) => {
            error.textContent = fill(s.error, { detail: err.detail });
            send.disabled = false;
          },
        );
      },
    },
    h("strong", null, s.leaveTitle),
    h("p", { class: "muted" }, s.leaveHint),
    input("name", s.name, "text", prefill.name),
    input("phone", s.phone, "tel", prefill.phone),
    input("email", s.email, "email", prefill.email),
    h("label", null, s.message, text),
    error,
    h("div", { class: "actions" }, h("button", { type: "button", class: "plain", onclick: cancel }, s.cancel), send),
  );
  return form;
}
