// The widget's elements inside its shadow root: the launcher with its unread badge, the
// panel (header, banners, the conversation, the composer) and the leave-a-message sheet.
// It draws what the controller tells it and reports what the customer does; it keeps no
// conversation state of its own.
import type { Content, MessageOut, TimelineItem } from "@huiliu/sdk";

import { h, safeUrl, show } from "./dom";
import { eventText, renderContent, type Button, type RenderContext } from "./render";
import { fill, type Strings } from "./strings";
import { CSS } from "./styles";

export interface ViewEvents {
  toggle(): void;
  send(text: string): void;
  attach(files: File[]): void;
  handoff(): void;
  typing(text: string): void;
  retry(clientMsgId: string): void;
  remove(clientMsgId: string): void;
  tap(button: Button): void;
  vote(messageId: number, helpful: boolean): Promise<void>;
  dismissPreview(): void;
}

export interface Look {
  title: string;
  color: string;
  logoUrl: string | null;
  position: string;
}

const ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 21l3.6-1.8c1.2.4 2.5.6 3.8.6 5.5 0 10-3.9 10-8.7S17.5 3 12 3z"/></svg>';

export class View {
  readonly host: HTMLElement;
  readonly root: ShadowRoot;
  private readonly box: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLElement;
  private readonly preview: HTMLElement;
  private readonly previewText: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLElement;
  private readonly sub: HTMLElement;
  private readonly logo: HTMLImageElement;
  private readonly queueBanner: HTMLElement;
  private readonly connBanner: HTMLElement;
  private readonly list: HTMLElement;
  private readonly welcome: HTMLElement;
  private items: HTMLElement;
  private readonly uploads: HTMLElement;
  private readonly typingLine: HTMLElement;
  private readonly after: HTMLElement;
  private readonly tools: HTMLElement;
  private readonly handoffButton: HTMLButtonElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly file: HTMLInputElement;
  private readonly composer: HTMLElement;
  private readonly sheet: HTMLElement;
  private readonly rendered = new Map<string, { item: TimelineItem; el: HTMLElement }>();
  private hiddenMessages = new Set<number>();

  constructor(
    private readonly s: Strings,
    private readonly events: ViewEvents,
  ) {
    // A custom element name: page rules for div, section, … do not match the host.
    this.host = document.createElement("huiliu-widget");
    // Open, not closed: the page's scripts run in the same realm and could reach a closed
    // root anyway (e.g. by wrapping attachShadow first), so closing it protects nothing, while
    // an open one lets tests, accessibility tools and the merchant's own checks look inside.
    // The CSS isolation is the same either way.
    this.root = this.host.attachShadow({ mode: "open" });
    this.launcher = h("button", { type: "button", class: "launcher", "aria-label": s.launcher, "data-test": "launcher", onclick: () => events.toggle() });
    this.launcher.innerHTML = ICON; // a constant of ours, no data in it
    this.badge = h("span", { class: "badge", "data-test": "unread", hidden: true });
    this.launcher.append(this.badge);
    // The newest unread message beside the launcher while the panel is closed: a message the
    // customer did not ask for (an agent reaching out) shows without opening anything.
    this.previewText = h("button", { type: "button", class: "ptext", "data-test": "preview-text", onclick: () => events.toggle() });
    this.preview = h(
      "div",
      { class: "preview", "data-test": "preview", role: "status", hidden: true },
      this.previewText,
      h("button", { type: "button", class: "px", "aria-label": s.dismiss, title: s.dismiss, "data-test": "preview-dismiss", onclick: () => events.dismissPreview() }, "×"),
    );
    this.logo = h("img", { class: "logo", alt: "", hidden: true });
    this.title = h("span", { class: "title", "data-test": "title" });
    this.sub = h("span", { class: "sub", "data-test": "headline" });
    this.queueBanner = h("div", { class: "banner", "data-test": "queue", hidden: true });
    this.connBanner = h("div", { class: "banner conn", "data-test": "connection", hidden: true });
    this.welcome = h("div", { class: "welcome", "data-test": "welcome" });
    this.items = h("div", { class: "items" });
    this.uploads = h("div");
    this.typingLine = h("div", { class: "typing", "data-test": "typing", hidden: true }, s.typing);
    this.after = h("div");
    this.list = h("div", { class: "list", "data-test": "messages" }, this.welcome, this.items, this.uploads, this.typingLine, this.after);
    this.handoffButton = h("button", { type: "button", class: "chip", "data-test": "handoff", hidden: true, onclick: () => events.handoff() }, s.handoff);
    this.tools = h("div", { class: "tools" }, this.handoffButton);
    this.input = h("textarea", { rows: 1, placeholder: s.connecting, "aria-label": s.placeholder, "data-test": "input", maxlength: 20000 });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => events.typing(this.input.value));
    this.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length) {
        e.preventDefault();
        events.attach(files);
      }
    });
    this.file = h("input", { type: "file", accept: "image/*", multiple: true, hidden: true, "data-test": "file" });
    this.file.addEventListener("change", () => {
      const files = [...(this.file.files ?? [])];
      this.file.value = "";
      if (files.length) events.attach(files);
    });
    this.sendButton = h("button", { type: "button", class: "primary", "data-test": "send", onclick: () => this.submit() }, s.send);
    this.composer = h(
      "div",
      { class: "composer" },
      h("button", { type: "button", class: "icon", title: s.attach, "aria-label": s.attach, "data-test": "attach", onclick: () => this.file.click() }, "🖼"),
      this.input,
      this.sendButton,
      this.file,
    );
    this.sheet = h("div", { class: "sheet", hidden: true });
    this.panel = h(
      "section",
      { class: "panel", role: "dialog", "aria-label": s.title, "data-test": "panel", hidden: true },
      h(
        "header",
        { class: "head" },
        this.logo,
        h("div", { class: "titles" }, this.title, this.sub),
        h("button", { type: "button", class: "x", "aria-label": s.close, "data-test": "close", onclick: () => events.toggle() }, "×"),
      ),
      this.connBanner,
      this.queueBanner,
      this.list,
      this.tools,
      this.composer,
      this.sheet,
    );
    this.box = h("div", { class: "hl" }, this.panel, this.preview, this.launcher);
    this.root.append(h("style", null, CSS), this.box);
  }

  /** Adds the host to the page, in the top layer where the browser has one (above every
   * z-index of the page), else on <html> itself (a page replacing <body> keeps it). */
  mount(): void {
    if (this.host.isConnected) return;
    document.documentElement.append(this.host);
    if (typeof this.host.showPopover === "function") {
      this.host.setAttribute("popover", "manual");
      try {
        this.host.showPopover();
      } catch {
        // not supported as such here: the fixed position and z-index hold
      }
    }
  }

  unmount(): void {
    this.host.remove();
  }

  style(look: Look): void {
    this.title.textContent = look.title;
    this.host.dataset.pos = look.position === "left" ? "left" : "right";
    this.box.dataset.pos = this.host.dataset.pos;
    const color = /^#[0-9a-f]{6}$/i.test(look.color) ? look.color : "#2563eb";
    const light = luminance(color) > 0.55;
    this.box.style.setProperty("--hl-accent", color);
    this.box.style.setProperty("--hl-on", light ? "#111827" : "#ffffff");
    this.box.style.setProperty("--hl-link", light ? "#1f2937" : color);
    const logo = safeUrl(look.logoUrl);
    if (logo) this.logo.src = logo;
    show(this.logo, !!logo);
  }

  setOpen(open: boolean): void {
    show(this.panel, open);
    this.box.classList.toggle("open", open);
    this.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      this.scrollDown(true);
      // No keyboard popping up over the panel on a phone.
      if (!(typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches)) this.input.focus();
    }
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  /** The preview bubble's text (null: hidden). */
  setPreview(text: string | null): void {
    this.previewText.textContent = text ?? "";
    show(this.preview, text !== null);
  }

  setUnread(n: number): void {
    this.badge.textContent = n > 99 ? "99+" : String(n);
    this.badge.setAttribute("aria-label", fill(this.s.unread, { n }));
    show(this.badge, n > 0);
  }

  setHeadline(text: string): void {
    this.sub.textContent = text;
  }

  setQueue(text: string | null, onLeave: (() => void) | null): void {
    this.queueBanner.replaceChildren();
    if (text) {
      this.queueBanner.append(h("span", null, text));
      if (onLeave) this.queueBanner.append(h("button", { type: "button", class: "chip", "data-test": "queue-leave", onclick: onLeave }, this.s.leave));
    }
    show(this.queueBanner, !!text);
  }

  setConnection(text: string | null): void {
    this.connBanner.textContent = text ?? "";
    show(this.connBanner, !!text);
  }

  /** Whether the customer can write, and why not (the placeholder says). */
  setComposer(enabled: boolean, placeholder: string): void {
    this.input.disabled = !enabled;
    this.sendButton.disabled = !enabled;
    this.input.placeholder = placeholder;
    for (const b of this.composer.querySelectorAll<HTMLButtonElement>(".icon")) b.disabled = !enabled;
  }

  setHandoff(visible: boolean): void {
    show(this.handoffButton, visible);
    show(this.tools, visible);
  }

  setDraft(text: string): void {
    this.input.value = text;
  }

  get draft(): string {
    return this.input.value;
  }

  setTyping(visible: boolean): void {
    const stick = this.nearBottom();
    show(this.typingLine, visible);
    if (stick) this.scrollDown();
  }

  /** The greeting and menu shown the moment the panel opens, before any conversation. */
  setWelcome(contents: Content[], ctx: RenderContext | null): void {
    this.welcome.replaceChildren(
      ...contents.map((c) => h("div", { class: "row", "data-test": "greeting" }, h("div", { class: "bubble" }, renderContent(c, ctx ?? inert(this.s))))),
    );
  }

  /** Messages the timeline holds that the welcome shows already (the bot's greeting). */
  hide(messageIds: Set<number>): void {
    this.hiddenMessages = messageIds;
  }

  /** Draws the timeline: new items are built, changed ones rebuilt, gone ones removed. */
  render(items: readonly TimelineItem[], ctx: (message: MessageOut | null) => RenderContext, who: (m: MessageOut) => string | null): void {
    const stick = this.nearBottom();
    const keep = new Set<string>();
    let previous: Element | null = null;
    for (const item of items) {
      if (item.kind === "message" && this.hiddenMessages.has(item.message.id)) continue;
      keep.add(item.key);
      let entry = this.rendered.get(item.key);
      if (!entry || entry.item !== item) {
        const el = this.item(item, ctx, who);
        entry?.el.replaceWith(el);
        entry = { item, el };
        this.rendered.set(item.key, entry);
      }
      const expected: Element | null = previous ? previous.nextElementSibling : this.items.firstElementChild;
      if (expected !== entry.el) {
        if (previous) previous.after(entry.el);
        else this.items.prepend(entry.el);
      }
      previous = entry.el;
    }
    for (const [key, entry] of this.rendered) {
      if (!keep.has(key)) {
        entry.el.remove();
        this.rendered.delete(key);
      }
    }
    if (stick) this.scrollDown();
  }

  /** Empties the conversation (a new customer's, after a sign-in or sign-out). */
  clear(): void {
    this.list.querySelectorAll(".items, .notice").forEach((el) => el !== this.items && el.remove());
    this.items.replaceChildren();
    this.items.classList.remove("history");
    this.list.prepend(this.welcome);
    this.welcome.after(this.items);
    this.rendered.clear();
    this.hiddenMessages = new Set();
    this.after.replaceChildren();
  }

  /** Keeps the finished conversation on screen, inert, and starts an empty one below. */
  archive(): void {
    if (!this.items.childElementCount) return;
    this.items.classList.add("history");
    for (const b of this.items.querySelectorAll("button")) b.disabled = true;
    const fresh = h("div", { class: "items" });
    this.items.after(this.welcome);
    this.welcome.after(fresh);
    this.items = fresh;
    this.rendered.clear();
    this.hiddenMessages = new Set();
    this.after.replaceChildren();
  }

  /** A line of the widget's own (not a stored message): "留言已提交" and the like. */
  notice(text: string): void {
    this.uploads.before(h("div", { class: "notice", "data-test": "notice" }, text));
    this.scrollDown();
  }

  /** Below the conversation: the rating form, or the hint to start a new conversation. */
  setAfter(...nodes: Node[]): void {
    // The same form again stays put (a comment being typed keeps its focus).
    const now = [...this.after.childNodes];
    if (now.length === nodes.length && now.every((n, i) => n === nodes[i])) return;
    this.after.replaceChildren(...nodes);
    if (nodes.length) this.scrollDown();
  }

  upload(name: string): { progress(p: number): void; fail(reason: string, retry: () => void): void; done(): void } {
    const bar = h("i");
    const label = h("div", { class: "muted" }, fill(this.s.uploading, { name, p: 0 }));
    const row = h("div", { class: "row me", "data-test": "upload" }, h("div", { class: "bubble" }, label, h("div", { class: "progress" }, bar)));
    this.uploads.append(row);
    this.scrollDown();
    return {
      progress: (p) => {
        const pct = Math.round(p * 100);
        bar.style.width = `${pct}%`;
        label.textContent = fill(this.s.uploading, { name, p: pct });
      },
      fail: (reason, retry) => {
        row.replaceChildren(
          h(
            "div",
            { class: "state bad" },
            fill(this.s.uploadFailed, { name, reason }),
            h("button", { type: "button", onclick: () => (row.remove(), retry()) }, this.s.retry),
            h("button", { type: "button", onclick: () => row.remove() }, this.s.remove),
          ),
        );
      },
      done: () => row.remove(),
    };
  }

  /** The leave-a-message form over the conversation (the same element again keeps what
   * was typed in it), or none. */
  showSheet(form: HTMLElement | null): void {
    if (this.sheet.firstElementChild === form) return;
    this.sheet.replaceChildren(...(form ? [form] : []));
    show(this.sheet, !!form);
    form?.querySelector<HTMLElement>("textarea")?.focus();
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim() || this.input.disabled) return;
    this.events.send(text);
  }

  private item(item: TimelineItem, ctx: (m: MessageOut | null) => RenderContext, who: (m: MessageOut) => string | null): HTMLElement {
    if (item.kind === "message") {
      const m = item.message;
      if (m.content.type === "event") {
        const text = eventText(m.content, this.s);
        return h("div", { class: "event", "data-test": "event", "data-seq": m.seq, "data-event": m.content.event, hidden: !text }, text ?? "");
      }
      if (m.content.type === "survey") {
        // A line where it was asked; the survey's form sits below the conversation.
        return h("div", { class: "event", "data-test": "event", "data-seq": m.seq, "data-event": "survey" }, this.s.rateInvited);
      }
      const mine = m.sender.type === "contact";
      const name = mine ? null : who(m);
      return h(
        "div",
        { class: mine ? "row me" : "row", "data-test": "message", "data-seq": m.seq, "data-sender": m.sender.type },
        h("div", { class: "bubble" }, name ? h("div", { class: "who" }, name) : null, renderContent(m.content, ctx(m))),
      );
    }
    const state =
      item.status === "failed"
        ? h(
            "div",
            { class: "state bad" },
            fill(this.s.failed, { reason: item.error?.detail ?? item.error?.code ?? "" }),
            h("button", { type: "button", "data-test": "retry", onclick: () => this.events.retry(item.clientMsgId) }, this.s.retry),
            h("button", { type: "button", onclick: () => this.events.remove(item.clientMsgId) }, this.s.remove),
          )
        : item.status === "sending"
          ? h("div", { class: "state" }, this.s.sending)
          : null;
    return h(
      "div",
      { class: "row me", "data-test": "pending", "data-state": item.status },
      h("div", null, h("div", { class: "bubble" }, renderContent(item.content, inert(this.s))), state),
    );
  }

  private nearBottom(): boolean {
    const el = this.list;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  private scrollDown(force = false): void {
    if (force || this.isOpen) this.list.scrollTop = this.list.scrollHeight;
  }
}

function inert(s: Strings): RenderContext {
  return { s, tap: null, vote: null };
}

/** Relative luminance of #rrggbb (0 black … 1 white). */
export function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
