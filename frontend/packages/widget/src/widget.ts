// The widget's controller: the tenant's config, the visitor's session (anonymous, or signed
// in with Huiliu.identify), the protocol client (@huiliu/sdk: outbox, resume, dedupe) and the
// conversation it shows, turned into what the view draws. What the customer types is never
// lost: sends wait in the SDK's outbox (persisted in localStorage, per tab and customer), the
// draft in the composer is kept too, and a form keeps its values until stored.
import {
  HuiliuClient,
  type HuiliuError,
  type MessageOut,
  type PendingMessage,
  Timeline,
  type TimelineItem,
  type WebSocketConstructor,
} from "@huiliu/sdk";
import type { Content, EventContent, MenuContent, SurveyContent, TextContent } from "@huiliu/sdk";

import type { EventName, IdentityInput, WidgetMethods } from "./api";
import { latestSurvey, pick, welcomeCopies, type ConversationView } from "./conversation";
import { leaveForm, surveyForm, surveyOpen, type AnswerBody, type LeaveBody } from "./forms";
import { canHandOff, headline, INITIAL, queueText, reduce, type PanelAction, type PanelState } from "./panel";
import { watchNavigation } from "./navigation";
import type { Button, RenderContext } from "./render";
import { Rest, WidgetError } from "./rest";
import { createSession, toIdentity, visitorKey, type Identity, type Session } from "./session";
import { Store, storage } from "./store";
import { fill, strings, type Strings } from "./strings";
import { View } from "./view";

export interface WidgetConfig {
  title: string | null;
  color: string;
  logo_url: string | null;
  language: string;
  position: string;
  greeting: string | null;
  identity_required: boolean;
  bot: { name: string; greeting: TextContent; menu: MenuContent | null } | null;
}

export interface WidgetOptions {
  /** The Huiliu server, e.g. https://support.example.com (where widget.js came from). */
  base: string;
  widgetKey: string;
  /** Overrides the tenant's language (the script tag's data-lang). */
  lang?: string | null;
  WebSocket?: WebSocketConstructor;
}

const MAX_TEXT = 5000;

export class Widget implements WidgetMethods {
  private readonly rest: Rest;
  private readonly store = new Store(storage("localStorage"));
  private readonly tab: string;
  private readonly handlers = new Map<EventName, Set<(payload: unknown) => void>>();
  private cfg: WidgetConfig | null = null;
  private s: Strings;
  private view: View | null = null;
  private state: PanelState = INITIAL;
  private identity: Identity | null = null;
  private session: Session | null = null;
  private client: HuiliuClient | null = null;
  private offClient: (() => void)[] = [];
  private timeline = new Timeline();
  private offTimeline: () => void = () => {};
  private conv: ConversationView | null = null;
  private readSeq = 0;
  private unread = 0;
  // The preview bubble: the newest unread message's seq, and the seq the customer dismissed.
  private previewSeq = 0;
  private dismissedSeq = 0;
  private chain: Promise<void> = Promise.resolve();
  private started = false;
  private wantTrack = false;
  private lastTracked: string | null = null;
  private typingSentAt = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private draftTimer: ReturnType<typeof setTimeout> | undefined;
  /** The survey's form (or its thanks, once answered) and the survey it belongs to. */
  private rating: { form: HTMLElement; surveyId: number } | null = null;
  private leaving: { form: HTMLElement; clientMsgId: string } | null = null;
  private generation = 0;
  private requested: number | null = null;
  /** Messages up to this seq were there when the page loaded (not news for on("message")). */
  private replayedUpTo = 0;
  private welcomeKey = "";
  private lastQueue: { id: number; position: number; waitS: number | null } | null = null;

  constructor(private readonly options: WidgetOptions) {
    this.rest = new Rest(options.base, () => this.session?.token ?? null);
    this.s = strings(options.lang);
    const tabs = new Store(storage("sessionStorage"));
    this.tab = tabs.getItem("huiliu.tab") ?? Math.random().toString(36).slice(2, 10);
    tabs.setItem("huiliu.tab", this.tab);
  }

  // -- the page's API ----------------------------------------------------------------------

  identify(input: IdentityInput): void {
    const identity = toIdentity(input);
    if (typeof identity === "string") {
      this.emit("error", { code: "invalid", detail: `Huiliu.identify: ${identity}` });
      return;
    }
    const current = this.identity;
    if (current && current.user_id === identity.user_id && current.signature === identity.signature) return;
    this.identity = identity;
    if (this.started) this.restart();
  }

  track(): void {
    this.wantTrack = true;
    this.run(() => this.trackNow(true));
  }

  open(): void {
    this.dispatch({ type: "open" });
  }

  close(): void {
    this.dispatch({ type: "close" });
  }

  on(event: EventName, handler: (payload: unknown) => void): () => void {
    if (typeof handler !== "function") return () => {};
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Back to a new anonymous visitor (the merchant's sign-out). */
  reset(): void {
    this.identity = null;
    this.store.removeItem(visitorKey(this.options.widgetKey));
    if (this.started) this.restart();
  }

  visitor(): { contactId: number; verified: boolean } | null {
    return this.session ? { contactId: this.session.contactId, verified: this.session.verified } : null;
  }

  // -- start -------------------------------------------------------------------------------

  /** Loads the tenant's config, shows the launcher, opens the session. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cfg = await this.retrying(() =>
      this.rest.call<WidgetConfig>("GET", `/widget/config?widget_key=${encodeURIComponent(this.options.widgetKey)}`),
    );
    if (!this.cfg) return;
    this.s = strings(this.options.lang ?? this.cfg.language);
    const view = new View(this.s, {
      toggle: () => this.dispatch({ type: this.state.open ? "close" : "open" }),
      send: (text) => this.sendText(text),
      attach: (files) => files.forEach((f) => this.upload(f)),
      handoff: () => this.deliver({ type: "text", text: this.s.handoff, button_id: "handoff" }),
      typing: (text) => this.typing(text),
      retry: (id) => this.retry(id),
      remove: (id) => this.removePending(id),
      tap: (b) => this.tap(b),
      vote: (id, helpful) => this.vote(id, helpful),
      dismissPreview: () => {
        this.dismissedSeq = this.previewSeq;
        this.view?.setPreview(null);
      },
    });
    view.style({
      title: this.cfg.title ?? this.s.title,
      color: this.cfg.color,
      logoUrl: this.cfg.logo_url,
      position: this.cfg.position,
    });
    this.view = view;
    view.mount();
    document.addEventListener("visibilitychange", () => this.markRead());
    watchNavigation(() => this.run(() => this.trackNow(false)));
    this.wantTrack = true; // the page the widget loaded on
    this.bindTimeline(new Timeline());
    this.draw();
    this.restart();
  }

  /** Replaces the session and client (first start, identify, reset, a refused token). */
  private restart(): void {
    const generation = ++this.generation;
    this.run(async () => {
      if (generation !== this.generation) return; // a newer restart supersedes this one
      await this.begin();
    });
  }

  private run(job: () => Promise<void>): void {
    this.chain = this.chain.then(job).catch((err) => this.emit("error", asError(err)));
  }

  private async begin(): Promise<void> {
    this.stopClient();
    this.session = null;
    this.wantTrack = true; // the page the (new) customer is on
    this.draw();
    const cfg = this.cfg;
    if (!cfg) return;
    let session: Session | null = null;
    const identity = this.identity;
    if (identity) {
      try {
        session = await this.retrying(() => this.createSession(identity), true);
      } catch (err) {
        // Refused (a wrong signature, a malformed identity): say so to the page and go on
        // as the anonymous visitor, who never sees the customer's history.
        this.emit("error", asError(err));
        if (this.identity === identity) this.identity = null;
      }
    }
    if (!session && !cfg.identity_required) session = await this.retrying(() => this.createSession(null));
    if (!session) {
      this.draw();
      return;
    }
    this.session = session;
    const list = await this.retrying(() => this.rest.call<ConversationView[]>("GET", "/conversations?limit=10"));
    this.showConversation(pick(list ?? []));
    this.startClient(session);
    await this.trackNow(false);
  }

  /** Retries network failures and server errors with a growing pause; a 4xx is thrown (or,
   * with `refuse`, thrown as it is without retry). */
  private async retrying<T>(call: () => Promise<T>, refuse = false): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const e = asError(err);
        const transient = e.code === "network" || e.status >= 500 || e.status === 429;
        if (!transient) {
          if (refuse) throw e;
          this.emit("error", e);
          return null;
        }
        this.view?.setConnection(this.s.connecting);
        await sleep(Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  private createSession(identity: Identity | null): Promise<Session> {
    return createSession(this.rest, this.store, this.options.widgetKey, identity);
  }

  /** The token for the next (re)connect: a new session once this one expired. */
  private async token(): Promise<string> {
    const session = this.session;
    if (!session) throw new WidgetError("no_session", "no session");
    if (Date.now() < session.until) return session.token;
    const fresh = await this.createSession(session.identity);
    if (fresh.contactId !== session.contactId) throw new WidgetError("changed", "the session moved to another customer");
    this.session = fresh;
    return fresh.token;
  }

  private startClient(session: Session): void {
    const cid = this.conv?.id;
    const storageKey = `${this.key("outbox")}.${session.contactId}.${this.tab}`;
    const client = new HuiliuClient({
      url: `${this.options.base.replace(/^http/, "ws")}/ws/visitor`,
      token: () => this.token(),
      cursors: cid ? { [String(cid)]: 0 } : {},
      storage: this.store,
      storageKey,
      ...(this.options.WebSocket ? { WebSocket: this.options.WebSocket } : {}),
    });
    this.client = client;
    this.offClient = [
      client.on("sending", (p) => this.onSending(p)),
      client.on("message", (m) => this.onMessage(m)),
      client.on("ack", (a) => {
        if (a.conversation_id !== this.timeline.conversationId && this.timeline.conversationId !== null) this.switchTo(a.conversation_id);
        this.timeline.ack(a);
        if (this.conv?.id !== a.conversation_id) void this.loadConversation(a.conversation_id);
      }),
      client.on("error", (e) => this.onClientError(e)),
      client.on("conversation", (c) => {
        if (c.id === this.conv?.id) this.setConversation({ ...this.conv, ...c });
      }),
      client.on("queue.position", (q) => {
        // It may come before the new conversation's own description: kept until then.
        this.lastQueue = { id: q.conversation_id, position: q.position, waitS: q.estimated_wait_s ?? null };
        if (q.conversation_id === this.conv?.id) this.applyQueue();
      }),
      client.on("typing", (t) => {
        if (t.conversation_id === this.timeline.conversationId && t.sender.type === "agent") this.showTyping(t.state !== "stop");
      }),
      client.on("state", (change) => {
        clearTimeout(this.reconnectTimer);
        if (change.state === "reconnecting") {
          // A blip is not worth a banner; a lasting outage is.
          this.reconnectTimer = setTimeout(() => this.view?.setConnection(this.s.reconnecting), 1500);
        }
        if (change.state === "closed" && change.error && this.client === client) {
          this.emit("error", { code: change.error.code, detail: change.error.detail });
          if (change.error.code === "invalid_token") setTimeout(() => this.restart(), 2000);
        }
      }),
      client.on("resumed", () => {
        this.view?.setConnection(null);
        this.markRead();
      }),
    ];
    this.adoptOtherTabs(client, storageKey);
    client.connect();
    // The draft belongs to this customer: another one (before a sign-in) does not see it.
    this.view?.setDraft(this.store.getItem(this.draftKey()) ?? "");
    this.draw();
  }

  /** Messages another tab of this customer left unsent go out from here too (the server
   * stores a client_msg_id once, so a tab still alive resending them is harmless). */
  private adoptOtherTabs(client: HuiliuClient, ownKey: string): void {
    for (const key of this.store.keys(`${ownKey.slice(0, ownKey.lastIndexOf(".") + 1)}`)) {
      if (key === ownKey) continue;
      let entries: PendingMessage[] = [];
      try {
        entries = JSON.parse(this.store.getItem(key) ?? "[]") as PendingMessage[];
      } catch {
        // unreadable: dropped below
      }
      this.store.removeItem(key);
      for (const m of Array.isArray(entries) ? entries : []) {
        if (m && typeof m.clientMsgId === "string" && m.content) {
          client.send(m.content, { clientMsgId: m.clientMsgId, ...(m.conversationId ? { conversationId: m.conversationId } : {}) }).catch(ignore);
        }
      }
    }
  }

  private stopClient(): void {
    this.offClient.forEach((off) => off());
    this.offClient = [];
    this.client?.close(); // its unsent messages stay in its stored outbox for next time
    this.client = null;
  }

  // -- the conversation --------------------------------------------------------------------

  private bindTimeline(timeline: Timeline): void {
    this.offTimeline();
    this.timeline = timeline;
    this.offTimeline = timeline.subscribe(() => this.draw());
  }

  /** The conversation to show after (re)starting: the open one, a recently closed one still
   * to rate, or none (the welcome, and a new conversation with the first message). */
  private showConversation(conv: ConversationView | null): void {
    // Another customer's conversation (before a sign-in or a sign-out) leaves the screen.
    this.view?.clear();
    this.rating = null;
    this.leaving = null;
    this.state = { ...INITIAL, open: this.state.open };
    this.conv = null;
    this.readSeq = conv?.read_seq ?? 0;
    this.replayedUpTo = conv?.last_seq ?? 0;
    this.requested = conv?.id ?? null;
    this.bindTimeline(new Timeline(conv?.id));
    if (conv) this.setConversation(conv);
    this.draw();
  }

  /** A new conversation begins (the customer writes after one closed): the finished one
   * stays on screen above, inert. */
  private startNew(): void {
    this.view?.archive();
    this.welcomeKey = "";
    this.rating = null;
    this.leaving = null;
    this.conv = null;
    this.readSeq = 0;
    this.dispatch({ type: "restart" });
    this.bindTimeline(new Timeline());
  }

  /** Our message went into another conversation than the one shown (the shown one closed
   * meanwhile, or another tab started one): show that one, moving what is still unsent. */
  private switchTo(conversationId: number): void {
    const old = this.timeline;
    const moving = old.items().filter((i): i is Extract<TimelineItem, { kind: "pending" }> => i.kind === "pending");
    this.startNew();
    for (const p of moving) {
      old.remove(p.clientMsgId);
      this.timeline.addPending({ clientMsgId: p.clientMsgId, content: p.content, createdAt: p.createdAt });
    }
    this.client?.follow(conversationId, 0);
    void this.backfill(conversationId);
  }

  /** What the socket delivered of a conversation before the panel showed it. */
  private async backfill(id: number): Promise<void> {
    try {
      const page = await this.rest.call<{ messages: MessageOut[] }>("GET", `/conversations/${id}/messages?after_seq=0&limit=500`);
      for (const m of page.messages) if (this.timeline.conversationId === id) this.timeline.add(m);
    } catch (err) {
      this.emit("error", asError(err));
    }
  }

  private async loadConversation(id: number): Promise<void> {
    if (this.requested === id) return;
    this.requested = id;
    try {
      const conv = await this.rest.call<ConversationView>("GET", `/conversations/${id}`);
      if (this.timeline.conversationId === id) this.setConversation(conv);
    } catch (err) {
      this.emit("error", asError(err));
    }
  }

  private setConversation(conv: ConversationView): void {
    this.conv = conv;
    this.dispatch({
      type: "conversation",
      status: conv.status,
      withBot: conv.with_bot ?? false,
      assigneeId: conv.assignee_id ?? null,
      rated: conv.rating_score != null,
    });
    this.applyQueue();
  }

  private applyQueue(): void {
    const q = this.lastQueue;
    if (q && q.id === this.conv?.id) this.dispatch({ type: "queue", position: q.position, waitS: q.waitS });
  }

  private onSending(p: PendingMessage): void {
    if (p.conversationId === undefined || p.conversationId === this.timeline.conversationId) this.timeline.addPending(p);
  }

  private onMessage(m: MessageOut): void {
    const shown = this.timeline.conversationId;
    if (shown !== null && m.conversation_id !== shown) {
      // A newer conversation (another tab, after this one closed) takes over the panel.
      if (m.conversation_id < shown || this.state.phase !== "closed") return;
      this.switchTo(m.conversation_id);
    }
    this.timeline.add(m);
    if (this.conv?.id !== m.conversation_id && m.seq === 1) void this.loadConversation(m.conversation_id);
    if (m.content.type === "event") {
      const event = m.content as EventContent;
      if (event.event === "assigned" || event.event === "closed") this.lastQueue = null; // out of the queue
      this.dispatch({ type: "event", event });
    }
    if (m.sender.type === "agent") this.showTyping(false);
    if (m.conversation_id !== this.conv?.id || m.seq > this.replayedUpTo) this.emit("message", m);
  }

  private onClientError(e: HuiliuError): void {
    if (e.clientMsgId !== null) {
      this.timeline.fail(e.clientMsgId, e);
      this.emit("error", { code: e.code, detail: e.detail, clientMsgId: e.clientMsgId });
    }
  }

  // -- what the customer does --------------------------------------------------------------

  private sendText(text: string): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    if (trimmed.length > MAX_TEXT) {
      this.view?.notice(fill(this.s.tooLong, { n: trimmed.length, max: MAX_TEXT }));
      return;
    }
    if (!this.deliver({ type: "text", text: trimmed })) return;
    this.view?.setDraft("");
    this.saveDraft("");
    this.typing("");
  }

  /** Into the open conversation (the server opens one if there is none). */
  private deliver(content: Content): boolean {
    const client = this.client;
    if (!client) return false;
    if (this.state.phase === "closed") this.startNew();
    client.send(content).catch(ignore); // a refusal shows on the message (not sent: why)
    return true;
  }

  private retry(clientMsgId: string): void {
    const item = this.timeline.items().find((i) => i.kind === "pending" && i.clientMsgId === clientMsgId);
    if (!item || item.kind !== "pending") return;
    this.timeline.remove(clientMsgId);
    this.deliver(item.content);
  }

  private removePending(clientMsgId: string): void {
    this.client?.discard(clientMsgId);
    this.timeline.remove(clientMsgId);
  }

  private tap(button: Button): void {
    if (button.id === "leave_message") this.openLeave();
    else this.deliver({ type: "text", text: button.label, button_id: button.id });
  }

  private async vote(messageId: number, helpful: boolean): Promise<void> {
    const cid = this.timeline.conversationId;
    await this.rest.call("POST", `/conversations/${cid}/messages/${messageId}/vote`, { helpful });
  }

  private upload(file: File): void {
    if (!this.client) return;
    const progress = this.view?.upload(file.name || "image");
    this.rest
      .upload<{ url: string; name: string; size: number; mime: string; width?: number; height?: number }>(file, (p) => progress?.progress(p))
      .then(
        (out) => {
          progress?.done();
          const content: Content =
            out.mime.startsWith("image/") && out.width
              ? { type: "image", url: out.url, name: out.name, size: out.size, width: out.width, height: out.height }
              : { type: "file", url: out.url, name: out.name, size: out.size, mime: out.mime };
          this.deliver(content);
        },
        (err: WidgetError) => progress?.fail(err.detail, () => this.upload(file)),
      );
  }

  private typing(text: string): void {
    this.saveDraft(text);
    const cid = this.conv?.id;
    const client = this.client;
    if (!cid || !client || this.state.phase === "closed") return;
    const now = Date.now();
    if (text.trim() && now - this.typingSentAt > 3000) {
      if (client.typing(cid, "start")) this.typingSentAt = now;
    } else if (!text.trim() && this.typingSentAt) {
      client.typing(cid, "stop");
      this.typingSentAt = 0;
    }
  }

  private saveDraft(text: string): void {
    clearTimeout(this.draftTimer);
    const key = this.draftKey();
    if (!key) return;
    this.draftTimer = setTimeout(() => {
      if (text) this.store.setItem(key, text);
      else this.store.removeItem(key);
    }, 250);
  }

  private draftKey(): string {
    return this.session ? this.key(`draft.${this.session.contactId}`) : "";
  }

  private showTyping(on: boolean): void {
    clearTimeout(this.typingTimer);
    this.view?.setTyping(on);
    if (on) this.typingTimer = setTimeout(() => this.view?.setTyping(false), 6000);
  }

  private openLeave(): void {
    const cid = this.conv?.id;
    const view = this.view;
    if (!cid || !view) return;
    if (!this.leaving) {
      const clientMsgId = `leave-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
      const who = this.session?.identity;
      const form = leaveForm(
        this.s,
        { name: who?.name, phone: who?.phone, email: who?.email },
        (body) => this.leaveMessage(cid, body, clientMsgId),
        () => this.dispatch({ type: "leave", show: false }),
      );
      this.leaving = { form, clientMsgId };
    }
    this.dispatch({ type: "leave", show: true });
  }

  private async leaveMessage(cid: number, body: LeaveBody, clientMsgId: string): Promise<void> {
    await this.rest.call("POST", `/conversations/${cid}/leave-message`, { ...body, client_msg_id: clientMsgId });
    this.leaving = null; // a next message is a new one
    this.dispatch({ type: "leave", show: false });
    this.view?.notice(this.s.leaveDone);
  }

  private async answer(cid: number, body: AnswerBody): Promise<void> {
    const survey = await this.rest.call<{ score: number; comment: string | null; answered_at: string }>(
      "POST",
      `/conversations/${cid}/survey/answer`,
      body,
    );
    if (this.conv?.id === cid) this.conv = { ...this.conv, rating_score: survey.score, rating_comment: survey.comment, rated_at: survey.answered_at };
  }

  /** The survey's form below the conversation: while its survey is open and unanswered, and
   * with its thanks once answered here. */
  private surveyNodes(items: readonly TimelineItem[]): Node[] {
    const survey: SurveyContent | null = latestSurvey(items);
    const cid = this.timeline.conversationId;
    if (!survey || cid === null) return [];
    if (this.rating?.surveyId === survey.survey_id) return [this.rating.form];
    if (this.state.rated || !surveyOpen(survey)) return [];
    const form = surveyForm(this.s, survey, (body) => this.answer(cid, body), () => this.dispatch({ type: "rated" }));
    this.rating = { form, surveyId: survey.survey_id };
    return [form];
  }

  // -- state and drawing -------------------------------------------------------------------

  private dispatch(action: PanelAction): void {
    const before = this.state;
    this.state = reduce(before, action);
    if (this.state === before) return;
    if (before.open !== this.state.open) {
      this.view?.setOpen(this.state.open);
      this.emit(this.state.open ? "open" : "close", null);
      if (this.state.open) {
        this.view?.setPreview(null);
        this.markRead();
      }
    }
    this.draw();
  }

  private draw(): void {
    const view = this.view;
    const cfg = this.cfg;
    if (!view || !cfg) return;
    const state = this.state;
    const s = this.s;
    const items = this.timeline.items();
    const welcome: Content[] = cfg.bot
      ? [cfg.bot.greeting, ...(cfg.bot.menu ? [cfg.bot.menu] : [])]
      : [{ type: "text", text: cfg.greeting ?? s.welcome }];
    const live = (state.phase === "new" || state.phase === "bot") && !!this.client;
    if (this.welcomeKey !== `${live}`) {
      this.welcomeKey = `${live}`;
      view.setWelcome(welcome, { s, tap: live ? (b) => this.tap(b) : null, vote: null });
    }
    view.hide(welcomeCopies(items, welcome));
    view.render(items, (m) => this.context(m), (m) => this.senderName(m));
    view.setHeadline(headline(state, s, cfg.bot?.name ?? null));
    // Nobody online to take it: the customer may leave a message instead of waiting.
    const nobody = state.phase === "queued" && !!this.conv && state.queue?.waitS === null;
    view.setQueue(queueText(state, s), nobody ? () => this.openLeave() : null);
    view.setHandoff(!!this.client && canHandOff(state, !!cfg.bot));
    const signIn = cfg.identity_required && !this.session;
    view.setComposer(!!this.client, signIn ? s.signIn : !this.client ? s.connecting : state.phase === "closed" ? s.newChat : s.placeholder);
    if (signIn) view.setConnection(null);
    view.setAfter(...this.surveyNodes(items));
    view.showSheet(state.leaving && this.leaving ? this.leaving.form : null);
    this.countUnread(items);
  }

  private context(m: MessageOut | null): RenderContext {
    const live = m !== null && this.state.phase !== "closed";
    return {
      s: this.s,
      tap: live ? (b) => this.tap(b) : null,
      vote: m && m.sender.type === "bot" ? (helpful) => this.vote(m.id, helpful) : null,
    };
  }

  private senderName(m: MessageOut): string | null {
    if (m.sender.type === "bot") return this.cfg?.bot?.name ?? null;
    if (m.sender.type === "agent") return this.state.agentName;
    return null;
  }

  private countUnread(items: readonly TimelineItem[]): void {
    let n = 0;
    let newest: MessageOut | null = null;
    for (const item of items) {
      if (item.kind === "message" && item.seq > this.readSeq && (item.message.sender.type === "agent" || item.message.sender.type === "bot")) {
        n++;
        newest = item.message;
      }
    }
    this.showPreview(newest);
    if (n > 0 && this.state.open && document.visibilityState === "visible") {
      this.markRead();
      return;
    }
    if (n !== this.unread) {
      this.unread = n;
      this.view?.setUnread(n);
      this.emit("unread", n);
    }
  }

  /** The newest unread message beside the launcher while the panel is closed, until read or
   * dismissed (a newer one shows again). */
  private showPreview(newest: MessageOut | null): void {
    this.previewSeq = newest?.seq ?? 0;
    const shown = newest !== null && !this.state.open && newest.seq > this.dismissedSeq;
    const content = newest?.content as TextContent | undefined;
    const text = content?.type === "text" && content.text ? content.text : this.s.newMessage;
    this.view?.setPreview(shown ? (text.length > 120 ? `${text.slice(0, 119)}…` : text) : null);
  }

  private markRead(): void {
    const cid = this.timeline.conversationId;
    if (!this.state.open || document.visibilityState !== "visible" || cid === null) return;
    const last = this.timeline.lastSeq;
    if (last <= this.readSeq) return;
    this.readSeq = last;
    this.client?.read(cid, last);
    this.countUnread(this.timeline.items());
  }

  private async trackNow(explicit: boolean): Promise<void> {
    const url = location.href;
    if (!this.session || !/^https?:/.test(url)) return;
    if (!explicit && !this.wantTrack && url === this.lastTracked) return;
    this.wantTrack = false;
    this.lastTracked = url;
    const referrer = /^https?:/.test(document.referrer) ? document.referrer : undefined;
    try {
      await this.rest.call("POST", "/widget/track", { url: url.slice(0, 2000), title: document.title.slice(0, 300) || undefined, referrer });
    } catch (err) {
      this.emit("error", asError(err));
    }
  }

  private emit(event: EventName, payload: unknown): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        handler(payload);
      } catch (err) {
        setTimeout(() => {
          throw err; // the page's bug, reported as its own, without stopping the widget
        });
      }
    }
  }

  private key(what: string): string {
    return `huiliu.${this.options.widgetKey}.${what}`;
  }
}

function asError(err: unknown): WidgetError {
  if (err instanceof WidgetError) return err;
  return new WidgetError("error", String(err));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function ignore(): void {}

