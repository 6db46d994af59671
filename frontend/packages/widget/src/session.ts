// The visitor's session (POST /widget/sessions): anonymous, kept as the same customer by the
// visitor_id in localStorage, or a customer the merchant's server signed in. Only the
// anonymous visitor's id is kept; a signed-in customer is one by their signature.
import type { IdentityInput } from "./api";
import type { Rest } from "./rest";
import type { Store } from "./store";

export interface Session {
  token: string;
  contactId: number;
  verified: boolean;
  until: number;
  identity: Identity | null;
}

export interface Identity {
  user_id: string;
  signature: string;
  name?: string;
  email?: string;
  phone?: string;
  attributes?: Record<string, unknown>;
}

interface SessionOut {
  visitor_token: string;
  contact_id: number;
  visitor_id: string | null;
  verified: boolean;
  expires_in: number;
}

export async function createSession(rest: Rest, store: Store, widgetKey: string, identity: Identity | null): Promise<Session> {
  const key = visitorKey(widgetKey);
  const body: Record<string, unknown> = { widget_key: widgetKey };
  if (identity) body.identity = identity;
  else {
    const visitorId = store.getItem(key);
    if (visitorId) body.visitor_id = visitorId;
  }
  const out = await rest.call<SessionOut>("POST", "/widget/sessions", body);
  if (!identity && out.visitor_id) store.setItem(key, out.visitor_id);
  return {
    token: out.visitor_token,
    contactId: out.contact_id,
    verified: out.verified,
    until: Date.now() + Math.max(60, out.expires_in - 60) * 1000,
    identity,
  };
}

export function visitorKey(widgetKey: string): string {
  return `huiliu.${widgetKey}.visitor`;
}

/** The identity as the server takes it, or what is wrong with it. */
export function toIdentity(input: IdentityInput): Identity | string {
  if (!input || typeof input !== "object") return "pass {userId, signature, …}";
  const userId = typeof input.userId === "number" ? String(input.userId) : input.userId;
  if (typeof userId !== "string" || !userId) return "userId is required";
  if (typeof input.signature !== "string" || !/^[0-9a-f]{64}$/i.test(input.signature)) {
    return "signature must be the 64 hex digits of HMAC-SHA256(identity secret, userId), computed on your server";
  }
  const out: Identity = { user_id: userId, signature: input.signature.toLowerCase() };
  for (const field of ["name", "email", "phone"] as const) {
    const value = input[field];
    if (typeof value === "string" && value) out[field] = value;
  }
  if (input.attributes && typeof input.attributes === "object") out.attributes = input.attributes;
  return out;
}
