import { describe, expect, it } from "vitest";

import type { BotSettings } from "@/api/types";

import { fromSettings, merchantUrlOk, parseSlots, problemCount, toSettings, validateFlows, validateGeneral } from "./bot-settings";

const SERVER: BotSettings = {
  enabled: true,
  name: "小汇",
  greeting: "您好，我是{name}",
  menu_text: "常见问题",
  menu: [
    { id: "orders", label: "查订单", action: "flow", flow: "order_status", children: [] },
    { id: "faq", label: "常见问题", action: "submenu", children: [{ id: "ship", label: "发货", action: "answer", entry_id: 3, children: [] }] },
  ],
  answer_threshold: 0.6,
  suggest_threshold: 0.25,
  suggest_text: "您是不是想问：",
  unknown_text: "没明白",
  handoff_words: ["人工", "human"],
  handoff_after_unknown: 2,
  handoff_on_unhelpful: true,
  handoff_text: "转接中",
  no_agent_text: "没人",
  handoff_group_id: null,
  merchant_api: { base_url: "https://shop.example.com/api", secret: "s".repeat(20), timeout_s: 3, retries: 2 },
  flows: [
    {
      key: "order_status",
      label: "查询订单状态",
      slots: [{ name: "order_id", prompt: "订单号？", choices: "orders", pattern: "[A-Z]{2}\\d{5,20}", min_length: 1, max_length: 200, invalid: "不对" }],
      confirm: null,
      operation: "order_status",
      result: "order",
      success_text: null,
    },
  ],
};

describe("bot settings draft", () => {
  it("round-trips the server's settings", () => {
    const out = toSettings(fromSettings(SERVER));
    expect(out.menu).toEqual([
      { id: "orders", label: "查订单", action: "flow", flow: "order_status" },
      { id: "faq", label: "常见问题", action: "submenu", children: [{ id: "ship", label: "发货", action: "answer", entry_id: 3 }] },
    ]);
    expect(out.flows).toEqual(SERVER.flows);
    expect(out.merchant_api).toEqual(SERVER.merchant_api);
    expect(problemCount(fromSettings(SERVER), true)).toBe(0);
  });

  it("turns the merchant API off as null, and then the flow button is a problem", () => {
    const d = fromSettings(SERVER);
    d.merchant.on = false;
    expect(toSettings(d).merchant_api).toBeNull();
    expect(problemCount(d, true)).toBe(1);
  });

  it("checks the general fields", () => {
    const d = fromSettings(SERVER);
    d.suggest_threshold = 0.7;
    d.merchant.base_url = "http://shop.example.com";
    d.merchant.secret = "short";
    d.handoff_words.push(" ");
    expect(validateGeneral(d, true)).toEqual(["thresholds", "handoffWords", "merchantUrl", "merchantSecret"]);
    // a supervisor sees the secret masked and cannot save: it is not checked for them
    expect(validateGeneral(d, false)).toEqual(["thresholds", "handoffWords", "merchantUrl"]);
    expect(merchantUrlOk("http://127.0.0.1:8000/demo-shop/x/api")).toBe(true);
    expect(merchantUrlOk("https://a.example")).toBe(true);
    expect(merchantUrlOk("ftp://a.example")).toBe(false);
  });

  it("parses slots JSON with the server's defaults and refuses bad ones", () => {
    expect(parseSlots('[{"name": "address", "prompt": "新地址？"}]')).toEqual({
      ok: true,
      slots: [{ name: "address", prompt: "新地址？", choices: null, pattern: null, min_length: 1, max_length: 200, invalid: "格式不对，请重新输入。" }],
    });
    expect(parseSlots("").ok).toBe(true);
    expect(parseSlots("{").ok).toBe(false);
    expect(parseSlots('{"name": "a"}')).toEqual({ ok: false, error: "not a list" });
    expect(parseSlots('[{"name": "A", "prompt": "x"}]').ok).toBe(false);
    expect(parseSlots('[{"name": "a", "prompt": "x", "colour": 1}]')).toEqual({ ok: false, error: 'slot 1: unknown field "colour"' });
    expect(parseSlots('[{"name": "a", "prompt": "x", "pattern": "("}]').ok).toBe(false);
    expect(parseSlots('[{"name": "a", "prompt": "x"}, {"name": "a", "prompt": "y"}]')).toEqual({ ok: false, error: "a slot name is used twice" });
  });

  it("checks flows: keys, operations, placeholders", () => {
    const d = fromSettings(SERVER);
    const flow = d.flows[0]!;
    d.flows.push({ ...flow });
    flow.confirm = "改到 {address} 吗？";
    flow.operation = "Order Status";
    const keys = validateFlows(d.flows).map((p) => `${p.index}:${p.key}${p.detail ? `:${p.detail}` : ""}`);
    expect(keys).toEqual(["0:operation", "0:placeholder:address", "1:keyTwice"]);
  });
});
