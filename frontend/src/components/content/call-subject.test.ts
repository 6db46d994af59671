// The phone channel's call records and an e-mail's subject line in the timeline: rendered
// as text (hostile text stays inert), recordings only from http(s) addresses.
import { describe, expect, it } from "vitest";

import type { Content } from "@/api/content";
import { mountWithApp } from "@/test/mount";

import MessageContent from "./MessageContent.vue";

function render(content: Content) {
  return mountWithApp(MessageContent, { props: { content } });
}

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

describe("call card", () => {
  it("shows direction, status, the parties, wait and talk time, IVR keys, the agent and the recording", () => {
    const w = render({
      type: "call",
      call_id: "c-1",
      direction: "inbound",
      status: "ended",
      caller: "+8613800000000",
      callee: "4008001234",
      wait_s: 12,
      duration_s: 185,
      ivr_keys: "1#2",
      recording_url: "https://pbx.example.com/rec/c-1.mp3",
      agent_name: "小汇",
      queue: "售后",
    });
    const card = w.find("[data-test=call-card]");
    expect(card.attributes("data-status")).toBe("ended");
    expect(card.text()).toContain("呼入");
    expect(card.text()).toContain("已结束");
    expect(w.find("[data-test=call-caller]").text()).toBe("+8613800000000");
    expect(w.find("[data-test=call-callee]").text()).toBe("4008001234");
    expect(card.text()).toContain("1#2");
    expect(card.text()).toContain("小汇");
    expect(card.text()).toContain("售后");
    expect(w.find("[data-test=call-recording]").attributes("src")).toBe("https://pbx.example.com/rec/c-1.mp3");
  });

  it("marks a missed call and leaves out what it does not have", () => {
    const w = render({ type: "call", call_id: "c-2", direction: "inbound", status: "missed", caller: "10086", callee: "4008001234" });
    expect(w.find("[data-test=call-card]").classes()).toContain("call-missed");
    expect(w.text()).toContain("未接");
    expect(w.find("[data-test=call-recording]").exists()).toBe(false);
    expect(w.find("dt").exists()).toBe(false);
  });

  it("keeps hostile text inert and refuses a javascript: recording", () => {
    const w = render({
      type: "call",
      call_id: "c-3",
      direction: "outbound",
      status: "answered",
      caller: HOSTILE,
      callee: HOSTILE,
      agent_name: HOSTILE,
      ivr_keys: HOSTILE,
      recording_url: "javascript:alert(3)",
    });
    expect(w.find("img").exists()).toBe(false);
    expect(w.find("script").exists()).toBe(false);
    expect(w.find("[data-test=call-caller]").text()).toBe(HOSTILE);
    expect(w.find("[data-test=call-recording]").exists()).toBe(false);
    expect(w.html()).not.toContain("javascript:");
  });
});

describe("subject", () => {
  it("shows an e-mail's subject above a text body", () => {
    const w = render({ type: "text", text: "订单还没到", subject: "关于订单 HL0001" });
    const subject = w.find("[data-test=content-subject]");
    expect(subject.text()).toBe("关于订单 HL0001");
    // Above the body: the subject comes first in the content.
    expect(w.find(".content").element.firstElementChild).toBe(subject.element);
    expect(w.find(".text").text()).toBe("订单还没到");
  });

  it("shows a subject above a rich body, as text", () => {
    const w = render({ type: "rich", html: "<p>正文</p>", subject: HOSTILE });
    expect(w.find("[data-test=content-subject]").text()).toBe(HOSTILE);
    expect(w.find("img").exists()).toBe(false);
    expect(w.find("script").exists()).toBe(false);
    expect(w.find(".rich p").text()).toBe("正文");
  });

  it("shows none when there is none", () => {
    const w = render({ type: "text", text: "hi" });
    expect(w.find("[data-test=content-subject]").exists()).toBe(false);
  });
});
