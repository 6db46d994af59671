// Tag rule conditions, segment filters and campaigns as the console sends them; a
// template's placeholders checked as the server checks them; a campaign's moves, progress
// and chart.
import { describe, expect, it } from "vitest";

import type { Campaign, ProfileField } from "@/api/types";

import {
  attributeValue,
  backfillPercent,
  campaignBody,
  campaignDraft,
  campaignDraftError,
  campaignMoves,
  campaignProgress,
  conditionBody,
  conditionDraft,
  conditionError,
  conditionIndexOf,
  countsChart,
  filterBody,
  filterDraft,
  newCondition,
  placeholders,
  ruleBody,
  ruleDraft,
  templateProblem,
} from "./marketing";

const FIELDS: ProfileField[] = [
  { key: "level", label: "会员等级", type: "select", options: ["vip", "normal"], required: false },
  { key: "points", label: "积分", type: "number", required: false },
  { key: "married", label: "已婚", type: "checkbox", required: false },
];

describe("tag rule conditions", () => {
  it("send only what each fact takes", () => {
    expect(conditionBody({ ...newCondition("orders.spent"), days: 90, op: ">=", value: "500.5" })).toEqual({ fact: "orders.spent", days: 90, op: ">=", value: 500.5 });
    expect(conditionBody({ ...newCondition("visits.count"), days: 7, value: "3", url_contains: " /product/ " })).toEqual({ fact: "visits.count", days: 7, op: ">=", value: 3, url_contains: "/product/" });
    expect(conditionBody({ ...newCondition("visits.count"), value: "3" })).not.toHaveProperty("url_contains");
    expect(conditionBody({ ...newCondition("conversations.count"), days: 30, value: "2", mentions: "退货，退款 退货" })).toEqual({ fact: "conversations.count", days: 30, op: ">=", value: 2, mentions: ["退货", "退款"] });
    expect(conditionBody({ ...newCondition("channel"), channel: "wechat" })).toEqual({ fact: "channel", channel: "wechat" });
  });

  it("type an attribute's value by its profile field", () => {
    expect(conditionBody({ ...newCondition("attribute"), key: "points", attrOp: "=", value: "10" }, FIELDS)).toEqual({ fact: "attribute", key: "points", op: "=", value: 10 });
    expect(conditionBody({ ...newCondition("attribute"), key: "married", attrOp: "=", value: "true" }, FIELDS)).toEqual({ fact: "attribute", key: "married", op: "=", value: true });
    expect(conditionBody({ ...newCondition("attribute"), key: "city", attrOp: "=", value: "1" }, FIELDS)).toEqual({ fact: "attribute", key: "city", op: "=", value: "1" });
    expect(conditionBody({ ...newCondition("attribute"), key: "level", attrOp: "set", value: "x" }, FIELDS)).toEqual({ fact: "attribute", key: "level", op: "set" });
    expect(attributeValue(">", "5")).toBe(5);
    expect(attributeValue("contains", " 成都 ")).toBe("成都");
  });

  it("read stored conditions back into rows, and a rule back into its draft", () => {
    const stored = { fact: "conversations.count", days: 30, op: ">", value: 1, mentions: ["退货", "退款"] };
    const d = conditionDraft(stored);
    expect(conditionBody(d)).toEqual(stored);
    expect(conditionDraft({ fact: "attribute", key: "level", op: "=", value: "vip" })).toMatchObject({ key: "level", attrOp: "=", value: "vip" });
    const rule = { id: 1, tag: "VIP", description: "", match: "any" as const, conditions: [stored], enabled: true, backfill: { done: 1, total: 2 }, tagged: 3, created_at: "", updated_at: "" };
    expect(ruleBody(ruleDraft(rule))).toEqual({ tag: "VIP", description: "", match: "any", enabled: true, conditions: [stored] });
  });

  it("say what is wrong before the server does", () => {
    expect(conditionError({ ...newCondition("orders.count"), value: "1.5" })).toBe("value");
    expect(conditionError({ ...newCondition("orders.spent"), value: "1.5" })).toBeNull();
    expect(conditionError({ ...newCondition("orders.spent"), value: "" })).toBe("value");
    expect(conditionError({ ...newCondition("visits.count"), days: 0 })).toBe("days");
    expect(conditionError({ ...newCondition("attribute"), key: " " })).toBe("key");
    expect(conditionIndexOf("conditions.1.op")).toBe(1);
    expect(conditionIndexOf("tag")).toBeNull();
  });

  it("show the backfill's progress", () => {
    expect(backfillPercent({ done: 0, total: 0 })).toBe(100);
    expect(backfillPercent({ done: 250, total: 1000 })).toBe(25);
  });
});

describe("segment filters", () => {
  it("send only the parts given and read them back", () => {
    const d = filterDraft();
    expect(filterBody(d)).toEqual({});
    d.tags_all = ["VIP"];
    d.tags_none = ["投诉"];
    d.attributes = [{ key: "points", op: ">=", value: "100" }, { key: "", op: "=", value: "x" }];
    d.q = "  张 ";
    d.created_after = "2026-01-01";
    const body = filterBody(d, FIELDS);
    expect(body).toEqual({ tags_all: ["VIP"], tags_none: ["投诉"], attributes: [{ key: "points", op: ">=", value: 100 }], q: "张", created_after: "2026-01-01" });
    expect(filterBody(filterDraft(body), FIELDS)).toEqual(body);
  });
});

describe("templates", () => {
  it("find placeholders, with fallbacks", () => {
    expect(placeholders("{{contact.name|亲}}，单号 {{ order_id }}")).toEqual(["contact.name", "order_id"]);
  });

  it("refuse what the server would", () => {
    expect(templateProblem("您好 {{contact.name}}", [], [])).toBeNull();
    expect(templateProblem("{{attributes.level}} {{order_id}}", ["order_id"], ["level"])).toBeNull();
    expect(templateProblem("{{order_id}}", [], [])).toEqual({ kind: "unknown", name: "order_id" });
    expect(templateProblem("{{contact.name", [], [])).toEqual({ kind: "braces" });
    expect(templateProblem("x", ["Order"], [])).toEqual({ kind: "variable", name: "Order" });
  });
});

describe("campaigns", () => {
  const campaign = (over: Partial<Campaign>): Campaign => ({
    id: 1, name: "c", template_id: 1, kind: "segment", segment_id: 1, event: null, status: "running", channels: [], quiet_start: null, quiet_end: null,
    timezone: "Asia/Shanghai", rate_per_minute: 60, scheduled_at: null, expanded: true, recipients: 4, counts: { pending: 1, sent: 2, delivered: 2, undelivered: 0, skipped: 1, failed: 0, read: 1, replied: 0, skipped_by: { opted_out: 1 } },
    created_at: "", started_at: null, finished_at: null, ...over,
  });

  it("offer the moves the server allows", () => {
    expect(campaignMoves("draft")).toEqual(["start", "cancel"]);
    expect(campaignMoves("running")).toEqual(["pause", "cancel"]);
    expect(campaignMoves("paused")).toEqual(["resume", "cancel"]);
    expect(campaignMoves("done")).toEqual([]);
  });

  it("show progress as sent of the recipients, and the chart by skip reason", () => {
    expect(campaignProgress(campaign({}))).toEqual({ sent: 50, decided: 75 });
    expect(campaignProgress(campaign({ recipients: 0, status: "done" })).sent).toBe(100);
    const chart = countsChart(campaign({}).counts, (k, r) => (r ? `skip:${r}` : k));
    expect(chart).toEqual({
      names: ["sent", "delivered", "undelivered", "read", "replied", "failed", "skip:opted_out"],
      values: [2, 2, 0, 1, 0, 0, 1],
    });
  });

  it("send a segment campaign or a triggered one", () => {
    const d = campaignDraft("Asia/Shanghai");
    expect(campaignDraftError(d)).toBe("name");
    Object.assign(d, { name: " 双十一 ", template_id: 3 });
    expect(campaignDraftError(d)).toBe("segment");
    d.segment_id = 5;
    expect(campaignDraftError(d)).toBeNull();
    expect(campaignBody(d)).toEqual({ name: "双十一", kind: "segment", template_id: 3, segment_id: 5, channels: [], timezone: "Asia/Shanghai", quiet_start: "22:00", quiet_end: "08:00", rate_per_minute: 60 });
    d.scheduled = true;
    expect(campaignDraftError(d)).toBe("schedule");
    d.scheduled_at = "2026-12-01T02:00:00Z";
    expect(campaignBody(d).scheduled_at).toBe("2026-12-01T02:00:00.000Z");
    Object.assign(d, { kind: "triggered", event: "Order shipped", quiet: false });
    expect(campaignDraftError(d)).toBe("event");
    d.event = "order.shipped";
    const body = campaignBody(d);
    expect(body).toMatchObject({ kind: "triggered", event: "order.shipped", quiet_start: null, quiet_end: null });
    expect(body).not.toHaveProperty("segment_id");
    expect(body).not.toHaveProperty("scheduled_at");
  });
});
