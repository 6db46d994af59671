// Every content type (docs/protocol.md §5) as elements the customer reads: text as text
// (links only for http(s) addresses), rich answers through the sanitizer, media and links
// only from http(s) URLs, menus and answers with their buttons, events as one-line notices.
import type { AnswerContent, CardContent, Content, EventContent, MenuContent } from "@huiliu/sdk";

import { h, linkified, safeUrl } from "./dom";
import { sanitized } from "./sanitize";
import { fill, type Strings } from "./strings";

export interface Button {
  id: string;
  label: string;
}

export interface RenderContext {
  s: Strings;
  /** A tapped menu button; null where buttons are inert (an earlier conversation). */
  tap: ((button: Button) => void) | null;
  /** The helpful / unhelpful vote on a bot answer; rejects with a {code, detail} error. */
  vote: ((helpful: boolean) => Promise<void>) | null;
}

/** Buttons the widget itself acts on get its own words, in the customer's language. */
export function buttonLabel(button: Button, s: Strings): string {
  if (button.id === "leave_message") return s.leave;
  if (button.id === "keep_waiting") return s.keepWaiting;
  return button.label;
}

export function renderContent(content: Content, ctx: RenderContext): HTMLElement {
  switch (content.type) {
    case "text":
      return h("div", { class: "text" }, linkified(content.text));
    case "rich":
      return h("div", { class: "rich" }, sanitized(content.html));
    case "image": {
      const src = safeUrl(content.url);
      if (!src) return unsupported(ctx.s);
      return h(
        "a",
        { class: "image", href: src, target: "_blank", rel: "noopener noreferrer" },
        h("img", { src, alt: content.name ?? "", loading: "lazy", width: content.width, height: content.height }),
      );
    }
    case "file": {
      const href = safeUrl(content.url);
      const label = `📄 ${content.name}${content.size ? ` · ${bytes(content.size)}` : ""}`;
      if (!href) return h("div", { class: "file" }, label);
      return h("a", { class: "file", href, target: "_blank", rel: "noopener noreferrer", download: content.name }, label);
    }
    case "audio": {
      const src = safeUrl(content.url);
      return src ? h("audio", { class: "media", src, controls: true, preload: "none" }) : unsupported(ctx.s);
    }
    case "video": {
      const src = safeUrl(content.url);
      if (!src) return unsupported(ctx.s);
      return h("video", { class: "media", src, controls: true, preload: "metadata", poster: safeUrl(content.poster_url) });
    }
    case "location": {
      const map = `https://www.openstreetmap.org/?mlat=${content.lat}&mlon=${content.lng}#map=16/${content.lat}/${content.lng}`;
      return h(
        "a",
        { class: "location", href: map, target: "_blank", rel: "noopener noreferrer" },
        h("strong", null, `📍 ${content.name ?? ctx.s.openMap}`),
        content.address ? h("span", null, content.address) : null,
      );
    }
    case "card":
      return card(content, ctx.s);
    case "menu":
      return menu(content, ctx);
    case "answer":
      return answer(content, ctx);
    case "event":
      return h("div", { class: "event" }, eventText(content, ctx.s) ?? "");
    case "survey":
      // The survey's form is drawn below the conversation (forms.surveyForm).
      return h("div", { class: "text" }, content.prompt);
    default:
      return unsupported(ctx.s);
  }
}

/** What an event says to the customer; null for none. Internal fields (the transfer note,
 * the handoff summary, reasons) are for agents and never shown. */
export function eventText(content: EventContent, s: Strings): string | null {
  switch (content.event) {
    case "opened":
      return null; // the greeting says as much
    case "assigned":
      return content.account_name ? fill(s.assigned, { name: content.account_name }) : s.assignedAnon;
    case "transferred":
      return s.transferred;
    case "handoff":
      return s.handedOff;
    case "closed":
      return s.ended;
    default:
      return null;
  }
}

function card(content: CardContent, s: Strings): HTMLElement {
  const href = safeUrl(content.url);
  const image = safeUrl(content.image_url);
  return h(
    "div",
    { class: `card card-${content.card_type}` },
    image ? h("img", { src: image, alt: "", loading: "lazy" }) : null,
    h(
      "div",
      { class: "card-body" },
      h("strong", null, content.title),
      content.price ? h("div", { class: "price" }, content.price) : null,
      content.description ? h("div", { class: "muted" }, content.description) : null,
      content.fields?.length
        ? h("dl", null, content.fields.flatMap((f) => [h("dt", null, f.label), h("dd", null, f.value)]))
        : null,
      href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }, s.view) : null,
    ),
  );
}

function menu(content: MenuContent, ctx: RenderContext): HTMLElement {
  const tap = ctx.tap;
  return h(
    "div",
    { class: "menu" },
    content.text ? h("div", { class: "text" }, linkified(content.text)) : null,
    h(
      "div",
      { class: "buttons" },
      content.buttons.map((b) =>
        h(
          "button",
          { type: "button", class: "chip", "data-id": b.id, disabled: !tap, onclick: tap ? () => tap(b) : null },
          buttonLabel(b, ctx.s),
        ),
      ),
    ),
  );
}

function answer(content: AnswerContent, ctx: RenderContext): HTMLElement {
  const box = h(
    "div",
    { class: "answer" },
    content.parts.map((part) => renderContent(part as Content, ctx)),
  );
  const vote = ctx.vote;
  if (content.feedback !== false && vote) {
    const row = h("div", { class: "vote" });
    const cast = (helpful: boolean) => {
      for (const b of row.querySelectorAll("button")) b.disabled = true;
      vote(helpful).then(
        () => row.replaceChildren(ctx.s.voted),
        (err: { code?: string; detail?: string }) => {
          if (err.code === "already_voted") row.replaceChildren(ctx.s.voted);
          else {
            for (const b of row.querySelectorAll("button")) b.disabled = false;
            row.title = err.detail ?? "";
          }
        },
      );
    };
    row.append(
      h("button", { type: "button", class: "chip", "data-vote": "up", onclick: () => cast(true) }, `👍 ${ctx.s.helpful}`),
      h("button", { type: "button", class: "chip", "data-vote": "down", onclick: () => cast(false) }, `👎 ${ctx.s.unhelpful}`),
    );
    box.append(row);
  }
  return box;
}

function unsupported(s: Strings): HTMLElement {
  return h("div", { class: "muted" }, s.unsupported);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
