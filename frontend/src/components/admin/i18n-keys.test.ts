// Every admin string the views and components ask for exists, in both languages, with the
// same structure; and no message uses vue-i18n's special characters by accident.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { adminMessages as enAdmin } from "@/i18n/admin.en";
import { adminMessages as zhAdmin } from "@/i18n/admin.zh-CN";
import { channelAccountsMessages as enChannels } from "@/i18n/channels.en";
import { channelAccountsMessages as zhChannels } from "@/i18n/channels.zh-CN";
import { customersMessages as enCustomers } from "@/i18n/customers.en";
import { customersMessages as zhCustomers } from "@/i18n/customers.zh-CN";
import { marketingMessages as enMarketing } from "@/i18n/marketing.en";
import { marketingMessages as zhMarketing } from "@/i18n/marketing.zh-CN";
import { orgMessages as enOrg } from "@/i18n/org.en";
import { orgMessages as zhOrg } from "@/i18n/org.zh-CN";
import { webhooksMessages as enWebhooks } from "@/i18n/webhooks.en";
import { webhooksMessages as zhWebhooks } from "@/i18n/webhooks.zh-CN";
import { ADMIN_SECTIONS, PERMISSION_GROUPS, PERMISSIONS, SCOPES } from "@/lib/access";
import { ATTRIBUTE_OPS, CAMPAIGN_STATUSES, CONTACT_CHANNELS, FACTS, SCENARIOS, opKey } from "@/lib/marketing";

import { testI18n } from "./test-helpers";

type Tree = { [key: string]: string | Tree };

// As the app merges them (i18n/zh-CN.ts, en.ts).
const en = { admin: { ...enAdmin.admin, ...enOrg, webhooks: enWebhooks, channelAccounts: enChannels, marketing: enMarketing }, customers: enCustomers };
const zh = { admin: { ...zhAdmin.admin, ...zhOrg, webhooks: zhWebhooks, channelAccounts: zhChannels, marketing: zhMarketing }, customers: zhCustomers };

function leaves(tree: Tree, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === "string" ? [`${prefix}${k}`] : leaves(v, `${prefix}${k}.`)));
}

function lookup(tree: Tree, key: string): unknown {
  return key.split(".").reduce<unknown>((node, part) => (node && typeof node === "object" ? (node as Tree)[part] : undefined), tree);
}

const here = __dirname;
const sources = [here, join(here, "../../views/admin"), join(here, "../workbench"), join(here, "../../views")].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => /\.(vue|ts)$/.test(f) && !f.endsWith(".test.ts"))
    .map((f) => readFileSync(join(dir, f), "utf8")),
);

describe("admin strings", () => {
  it("have the same keys in both languages", () => {
    expect(leaves(en as Tree).sort()).toEqual(leaves(zh as Tree).sort());
  });

  it("cover every static key the admin code asks for", () => {
    const used = new Set<string>();
    for (const text of sources) for (const m of text.matchAll(/\bt\(\s*["']((?:admin|customers)\.[\w.-]+)["']/g)) used.add(m[1] as string);
    expect(used.size).toBeGreaterThan(300);
    const missing = [...used].filter((k) => typeof lookup(zh as Tree, k) !== "string");
    expect(missing).toEqual([]);
  });

  it("cover the keys built from values", () => {
    const sets: Record<string, readonly string[]> = {
      "admin.roles": ["agent", "supervisor", "admin"],
      "admin.statuses": ["online", "away", "offline"],
      "admin.layout.sections": ADMIN_SECTIONS.map((x) => x.path),
      "admin.bases": ["agent", "supervisor", "admin"],
      "admin.permissionGroups": PERMISSION_GROUPS.map((g) => g.key),
      "admin.permissions": PERMISSIONS.flatMap((p) => [`${p}.label`, `${p}.hint`]),
      "admin.scopes": SCOPES.flatMap((x) => [`${x}.label`, `${x}.hint`]),
      "admin.hours.days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      "admin.groups.strategies": ["least_load", "round_robin", "last_agent", "manual"],
      "admin.bot.actions": ["answer", "submenu", "flow", "handoff"],
      "admin.bot.results": ["order", "shipment", "text"],
      "admin.bot.menuErrors": ["tooMany", "label", "labelLong", "id", "idTwice", "entry", "text", "textLong", "children", "flow", "flowMissing", "merchantApi"],
      "admin.hours.errors": ["timezone", "format", "order", "overlap", "holiday", "holidayTwice", "holidays"],
      "admin.tryIt.bands": ["answer", "suggest", "unknown"],
      "admin.kb.import.summary": ["success", "warning", "error"],
      "admin.channelNames": [...new Set(["web", "app", "wechat", "email", "sms", "weibo", "phone", "api", ...CONTACT_CHANNELS])],
      "admin.channelAccounts.guide": ["wechat", "email", "sms", "weibo", "phone", "api", "generic"],
      "admin.channelAccounts.statuses": ["received", "stored", "ignored", "rejected", "pending", "sent", "failed"],
      "admin.channelAccounts.directions": ["inbound", "outbound"],
      "admin.marketing.rules.facts": FACTS,
      "admin.marketing.ops": ATTRIBUTE_OPS.map(opKey),
      "admin.marketing.profile.types": ["text", "number", "select", "date", "checkbox"],
      "admin.marketing.campaigns.statuses": CAMPAIGN_STATUSES,
      "admin.marketing.campaigns.kinds": ["segment", "triggered"],
      "admin.marketing.campaigns.moves": ["start", "pause", "resume", "cancel"],
      "admin.marketing.campaigns.counts": ["pending", "sent", "skipped", "failed", "read", "replied"],
      "admin.marketing.campaigns.deliveryStatuses": ["pending", "sent", "skipped", "failed"],
      "admin.marketing.campaigns.errors": ["name", "template", "segment", "event", "quiet", "schedule"],
      "admin.marketing.campaigns.skipReasons": ["opted_out", "frequency_cap", "unreachable", "cancelled"],
      "admin.marketing.templates.scenarios": SCENARIOS,
      "admin.marketing.templates.problems": ["braces", "unknown", "variable"],
      "admin.marketing.rules.errors": ["value", "key", "days"],
      "customers.reach.states": ["open", "online", "window", "reachable", "stored", "window_closed"],
    };
    for (const [prefix, keys] of Object.entries(sets)) {
      for (const k of keys) expect(typeof lookup(zh as Tree, `${prefix}.${k}`), `${prefix}.${k}`).toBe("string");
    }
  });

  it("compile in vue-i18n in both languages", () => {
    for (const locale of ["en", "zh-CN"] as const) {
      const { global } = testI18n(locale);
      for (const key of leaves(zh as Tree)) {
        const out = global.t(key, { n: 1, max: 2, name: "x", detail: "d", field: "f", value: "v", what: "w", id: 3, q: "q", text: "t", score: "0.5", slots: "s", label: "l", key: "k", email: "e", shortcut: "s", title: "t", question: "q", total: 4, at: "a", prefix: "p", word: "w", channel: "c", min: "1", max2: "2", slot: "s" });
        expect(typeof out, key).toBe("string");
        expect(out, key).not.toBe(key);
      }
    }
  });
});
