// The two forms the customer fills in: the satisfaction rating once a conversation closed
// (1–5 stars, an optional comment: POST /conversations/{id}/rating) and the leave-a-message
// form while nobody can serve (POST /conversations/{id}/leave-message). Checks run before
// anything is sent; a refused or failed send keeps what was typed.
import { h } from "./dom";
import type { WidgetError } from "./rest";
import { fill, type Strings } from "./strings";

export const MAX_COMMENT = 500;
const PHONE = /^\+?[0-9(][0-9 ()-]{4,38}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface RatingBody {
  score: number;
  comment?: string;
}

export function checkRating(score: number | null, comment: string, s: Strings): RatingBody | string {
  if (score === null || !Number.isInteger(score) || score < 1 || score > 5) return s.needScore;
  const text = comment.trim();
  if (text.length > MAX_COMMENT) return fill(s.commentTooLong, { max: MAX_COMMENT });
  return text ? { score, comment: text } : { score };
}

/** After sending: whether the form is done (and what to say), or stays with an error. */
export function ratingOutcome(err: WidgetError | null, s: Strings): { done: boolean; message: string } {
  if (!err) return { done: true, message: s.rateThanks };
  if (err.code === "already_rated") return { done: true, message: s.rateAlready };
  return { done: false, message: fill(s.error, { detail: err.detail }) };
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

/** The rating card: stars, a comment, a submit button; thanks once stored. */
export function ratingForm(s: Strings, submit: (body: RatingBody) => Promise<void>, onDone: () => void): HTMLElement {
  let score: number | null = null;
  const labels = s.stars.split("|");
  const error = h("div", { class: "error", role: "alert" });
  const comment = h("textarea", { rows: 2, maxlength: MAX_COMMENT, placeholder: s.rateComment, "data-test": "rating-comment" });
  const stars = labels.map((label, i) =>
    h(
      "button",
      {
        type: "button",
        class: "star",
        title: label,
        "aria-label": label,
        "aria-pressed": "false",
        "data-score": i + 1,
        onclick: () => {
          score = i + 1;
          stars.forEach((b, j) => b.setAttribute("aria-pressed", String(j < i + 1)));
          hint.textContent = label;
        },
      },
      "★",
    ),
  );
  const hint = h("span", { class: "muted" });
  const send = h("button", { type: "submit", class: "primary", "data-test": "rating-submit" }, s.rateSubmit);
  const form = h(
    "form",
    {
      class: "rating",
      "data-test": "rating",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const body = checkRating(score, comment.value, s);
        if (typeof body === "string") {
          error.textContent = body;
          return;
        }
        error.textContent = "";
        send.disabled = true;
        submit(body).then(
          () => finish(ratingOutcome(null, s).message),
          (err: WidgetError) => {
            const outcome = ratingOutcome(err, s);
            if (outcome.done) finish(outcome.message);
            else {
              error.textContent = outcome.message;
              send.disabled = false;
            }
          },
        );
      },
    },
    h("strong", null, s.rateTitle),
    h("div", { class: "stars" }, stars, hint),
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
