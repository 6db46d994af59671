// A profile's attributes under the profile fields' labels and back, rule tags, and the ways
// to reach a customer in order.
import { describe, expect, it } from "vitest";

import type { ProfileField, Reach } from "@/api/types";

import { attributeForm, attributeRows, attributeText, attributesBody, reachable, ruleTags, sortReach } from "./customers";

const FIELDS: ProfileField[] = [
  { key: "level", label: "会员等级", type: "select", options: ["vip"], required: false },
  { key: "points", label: "积分", type: "number", required: false },
  { key: "married", label: "已婚", type: "checkbox", required: false },
];

describe("attributes", () => {
  it("show the fields' labels in their order, then the others by key", () => {
    const rows = attributeRows({ zeta: "z", points: 10, level: "vip", empty: "" }, FIELDS);
    expect(rows.map((r) => [r.label, r.value])).toEqual([["会员等级", "vip"], ["积分", 10], ["zeta", "z"]]);
    expect(attributeText(true, "是", "否")).toBe("是");
  });

  it("send numbers as numbers and keep undefined keys", () => {
    const form = attributeForm({ points: 5, city: "成都" }, FIELDS);
    expect(form.values).toEqual({ level: null, points: 5, married: false });
    form.values.points = "12";
    form.values.level = "vip";
    expect(attributesBody(form, FIELDS, { points: 5, city: "成都" })).toEqual({ level: "vip", points: 12, city: "成都" });
    form.values.married = false;
    expect(attributesBody(form, FIELDS, { married: true })).toMatchObject({ married: false });
  });
});

describe("tags and reach", () => {
  it("mark the enabled rules' tags", () => {
    expect([...ruleTags([{ tag: "VIP", enabled: true }, { tag: "旧", enabled: false }])]).toEqual(["VIP"]);
  });

  it("put the best way first and the unreachable last", () => {
    const way = (channel: string, state: Reach["state"], best = false): Reach => ({ channel, channel_account_id: null, channel_account_name: null, state, conversation_id: null, detail: "", best });
    const sorted = sortReach([way("wechat", "window_closed"), way("sms", "reachable"), way("web", "stored", true), way("email", "window")]);
    expect(sorted.map((r) => r.channel)).toEqual(["web", "email", "sms", "wechat"]);
    expect(reachable("window_closed")).toBe(false);
  });
});
