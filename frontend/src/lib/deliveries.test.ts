import { describe, expect, it } from "vitest";

import { applyDelivery, mergeDelivery, type DeliveryMap } from "./deliveries";

describe("delivery states", () => {
  it("REST then frames: pending becomes sent", () => {
    const map: DeliveryMap = {};
    applyDelivery(map, 1, "pending", null, "rest");
    applyDelivery(map, 1, "sent", null, "frame");
    expect(map[1]).toMatchObject({ status: "sent", error: null });
  });

  it("a frame that came before the REST page is not undone by the page's older pending", () => {
    const map: DeliveryMap = {};
    applyDelivery(map, 1, "failed", "HTTP 400: unknown user", "frame");
    applyDelivery(map, 1, "pending", null, "rest");
    expect(map[1]).toMatchObject({ status: "failed", error: "HTTP 400: unknown user" });
  });

  it("at the same rank a live frame beats the REST page, and a later frame beats an earlier one", () => {
    const map: DeliveryMap = {};
    applyDelivery(map, 1, "sent", null, "frame");
    applyDelivery(map, 1, "failed", "stale", "rest");
    expect(map[1]!.status).toBe("sent");
    applyDelivery(map, 1, "failed", "gone", "frame");
    expect(map[1]).toMatchObject({ status: "failed", error: "gone" });
  });

  it("a final state is never replaced by pending, whatever the source", () => {
    expect(mergeDelivery({ status: "sent", error: null, source: "rest" }, { status: "pending", error: null, source: "frame" }).status).toBe("sent");
  });

  it("the server's other event statuses count as pending", () => {
    const map: DeliveryMap = {};
    applyDelivery(map, 2, "received", null, "rest");
    expect(map[2]!.status).toBe("pending");
  });

  it("keeps messages apart", () => {
    const map: DeliveryMap = {};
    applyDelivery(map, 1, "sent", null, "frame");
    applyDelivery(map, 2, "failed", "x", "frame");
    expect(map[1]!.status).toBe("sent");
    expect(map[2]!.status).toBe("failed");
  });
});
