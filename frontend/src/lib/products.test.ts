import { describe, expect, it } from "vitest";

import type { Product } from "@/api/types";

import { cardMsgId, productCard, productPrice, sortReasons } from "./products";

const P: Product = {
  product_id: "p1", name: "羽绒服", price: "599.00", currency: "CNY", url: "https://shop.example/p1", image_url: null,
  category: "服装", keywords: [], description: "x".repeat(1200), active: true, updated_at: "2026-12-01T10:00:00Z",
};

describe("products", () => {
  it("shows yuan with ¥ and other currencies after the amount", () => {
    expect(productPrice(P)).toBe("¥599.00");
    expect(productPrice({ price: "12.50", currency: "USD" })).toBe("12.50 USD");
    expect(productPrice({ price: null, currency: "CNY" })).toBeNull();
  });

  it("builds the card the server would, leaving out what the product lacks", () => {
    const card = productCard(P);
    expect(card).toMatchObject({ type: "card", card_type: "product", title: "羽绒服", url: "https://shop.example/p1", price: "¥599.00" });
    expect("image_url" in card).toBe(false);
    expect(card.description).toHaveLength(1000);
    expect(productCard({ ...P, price: null, url: null, description: null })).toEqual({ type: "card", card_type: "product", title: "羽绒服" });
  });

  it("orders reasons strongest first, each once", () => {
    expect(sortReasons(["same_category", "asked", "new_kind", "asked", "viewed"])).toEqual(["asked", "viewed", "same_category", "new_kind"]);
  });

  it("makes distinct message ids", () => {
    expect(cardMsgId()).toMatch(/^card-[0-9a-f]{16}$/);
    expect(cardMsgId()).not.toBe(cardMsgId());
  });
});
