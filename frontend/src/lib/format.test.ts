import { describe, expect, it } from "vitest";

import { duration, sla } from "./format";

describe("sla", () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  it("is none when the agent answered after the customer", () => {
    expect(sla("2026-12-01T09:59:00Z", "2026-12-01T09:59:30Z", now)).toBe("none");
  });
  it("goes ok → warn → late as the customer waits", () => {
    expect(sla("2026-12-01T09:59:30Z", null, now)).toBe("ok");
    expect(sla("2026-12-01T09:58:30Z", "2026-12-01T09:50:00Z", now)).toBe("warn");
    expect(sla("2026-12-01T09:55:00Z", null, now)).toBe("late");
  });
});

describe("duration", () => {
  it("reads in both languages", () => {
    expect(duration(75, "zh-CN")).toBe("1分15秒");
    expect(duration(75, "en")).toBe("1m 15s");
    expect(duration(3 * 3600 + 120, "en")).toBe("3h 2m");
  });
});
