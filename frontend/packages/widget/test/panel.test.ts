// The panel's state machine: what the customer sees follows from the conversation, its
// events, queue frames and what they did; senseless moves change nothing.
import { describe, expect, it } from "vitest";

import { canHandOff, headline, INITIAL, queueText, reduce, type PanelAction, type PanelState } from "../src/panel";
import { strings } from "../src/strings";

const zh = strings("zh-CN");
const en = strings("en");

function run(...actions: PanelAction[]): PanelState {
  return actions.reduce(reduce, INITIAL);
}

const conversation = (status: string, withBot: boolean, assigneeId: number | null, rated = false): PanelAction => ({
  type: "conversation",
  status,
  withBot,
  assigneeId,
  rated,
});
const event = (name: string, extra: Record<string, unknown> = {}): PanelAction => ({
  type: "event",
  event: { type: "event", event: name as "assigned", ...extra },
});

describe("the panel", () => {
  it("opens and closes, and a repeated move changes nothing", () => {
    const open = reduce(INITIAL, { type: "open" });
    expect(open.open).toBe(true);
    expect(reduce(open, { type: "open" })).toBe(open);
    const closed = reduce(open, { type: "close" });
    expect(closed.open).toBe(false);
    expect(reduce(closed, { type: "close" })).toBe(closed);
  });

  it("follows a conversation from the bot through the queue to a person and its close", () => {
    let s = run({ type: "open" }, conversation("open", true, null));
    expect(s.phase).toBe("bot");
    expect(headline(s, zh, "小汇")).toBe("小汇（机器人）为您服务");
    expect(canHandOff(s, true)).toBe(true);
    s = reduce(s, event("handoff", { summary: "internal" }));
    expect(s.phase).toBe("queued");
    expect(canHandOff(s, true)).toBe(false);
    s = reduce(s, { type: "queue", position: 3, waitS: 240 });
    expect(queueText(s, zh)).toBe("您前面还有 2 位，预计等待约 4 分钟");
    expect(queueText(reduce(s, { type: "queue", position: 1, waitS: 30 }), en)).toBe("You are next · wait under a minute");
    expect(queueText(reduce(s, { type: "queue", position: 2, waitS: null }), zh)).toBe("您前面还有 1 位，暂时没有客服在线");
    s = reduce(s, event("assigned", { account_id: 3, account_name: "小汇 Agent 1" }));
    expect(s.phase).toBe("agent");
    expect(s.queue).toBeNull();
    expect(headline(s, zh, "小汇")).toBe("客服 小汇 Agent 1 为您服务");
    expect(headline(s, en, "小汇")).toBe("You are talking to 小汇 Agent 1");
    // The conversation's own update keeps the name the event gave.
    s = reduce(s, conversation("open", false, 3));
    expect(s.agentName).toBe("小汇 Agent 1");
    s = reduce(s, event("transferred", { to_account_id: 4 }));
    expect([s.phase, s.agentName]).toEqual(["queued", null]);
    s = reduce(s, event("assigned", { account_id: 4 }));
    expect(headline(s, zh, null)).toBe("人工客服为您服务");
    s = reduce(s, event("closed", { reason: "问题已解决" }));
    expect(s.phase).toBe("closed");
    expect(s.rated).toBe(false);
    expect(headline(s, zh, null)).toBe("会话已结束");
  });

  it("counts the survey answered once, open or closed, and starts over on a new message", () => {
    let s = run(conversation("open", false, 3));
    s = reduce(s, { type: "rated" }); // its agent asked during the chat
    expect(s.rated).toBe(true);
    expect(reduce(s, { type: "rated" })).toBe(s);
    s = reduce(s, event("closed"));
    expect([s.phase, s.rated]).toEqual(["closed", true]);
    const fresh = reduce(reduce(s, { type: "open" }), { type: "restart" });
    expect(fresh).toEqual({ ...INITIAL, open: true });
    // Only a closed conversation starts over.
    const open = run(conversation("open", true, null));
    expect(reduce(open, { type: "restart" })).toBe(open);
    // A conversation that was rated before the page loaded shows no form.
    expect(run(conversation("closed", false, 3, true)).rated).toBe(true);
  });

  it("opens the leave-a-message form only while there is a conversation to leave it in", () => {
    expect(reduce(INITIAL, { type: "leave", show: true })).toBe(INITIAL);
    let s = run(conversation("open", false, null));
    s = reduce(s, { type: "leave", show: true });
    expect(s.leaving).toBe(true);
    // Closing the panel keeps the form (and what is typed in it) for when it opens again.
    s = reduce(reduce(s, { type: "open" }), { type: "close" });
    expect(s.leaving).toBe(true);
    // The conversation closing takes it away; a closed one cannot get it back.
    s = reduce(s, event("closed"));
    expect(s.leaving).toBe(false);
    expect(reduce(s, { type: "leave", show: true })).toBe(s);
  });

  it("ignores queue frames once a person serves or it closed", () => {
    const serving = run(conversation("open", false, 3));
    expect(reduce(serving, { type: "queue", position: 1, waitS: 10 })).toBe(serving);
    const closed = run(conversation("closed", false, 3));
    expect(reduce(closed, { type: "queue", position: 1, waitS: 10 })).toBe(closed);
    // A queue frame before the conversation's own update says it waits.
    expect(reduce(INITIAL, { type: "queue", position: 2, waitS: 60 }).phase).toBe("queued");
  });

  it("offers 转人工 in a new conversation only when the bot is on", () => {
    expect(canHandOff(INITIAL, true)).toBe(true);
    expect(canHandOff(INITIAL, false)).toBe(false);
    expect(headline(INITIAL, zh, null)).toBe("");
  });
});
