// Product cards in the workbench: the price as the customer sees it and the card a product
// found by hand is sent as — both the way the server builds a recommendation's card
// (huiliu/catalogue/recommend.py), so a card reads the same however the agent picked it.
import type { CardContent } from "@/api/content";
import type { Product, RecommendationReason } from "@/api/types";

/** The order reasons are shown in: the strongest signal first. */
export const REASONS: readonly RecommendationReason[] = ["asked", "viewed", "bought", "same_category"];

/** ¥ for yuan, otherwise the amount and its currency; null when the product has no price. */
export function productPrice(p: Pick<Product, "price" | "currency">): string | null {
  if (p.price === null || p.price === undefined) return null;
  return p.currency === "CNY" ? `¥${p.price}` : `${p.price} ${p.currency}`;
}

/** The card content a product is sent as. */
export function productCard(p: Product): CardContent {
  const card: CardContent = { type: "card", card_type: "product", title: p.name };
  if (p.url) card.url = p.url;
  if (p.image_url) card.image_url = p.image_url;
  const price = productPrice(p);
  if (price !== null) card.price = price;
  if (p.description) card.description = p.description.slice(0, 1000);
  return card;
}

/** The reasons in display order, each once (unknown ones from a newer server last). */
export function sortReasons(reasons: readonly string[]): string[] {
  const rank = (r: string) => {
    const i = (REASONS as readonly string[]).indexOf(r);
    return i < 0 ? REASONS.length : i;
  };
  return [...new Set(reasons)].sort((a, b) => rank(a) - rank(b));
}

/** A client_msg_id for sending a card: resending it after a lost answer stores nothing new. */
export function cardMsgId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `card-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
