// For the admin components' tests: a mount with Element Plus and the admin strings (English,
// so assertions read plainly), attached to the document so teleported poppers can be found.
import { mount, type VueWrapper } from "@vue/test-utils";
import ElementPlus from "element-plus";
import type { Component, DefineComponent } from "vue";
import { createI18n } from "vue-i18n";

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

// As the app merges them (i18n/zh-CN.ts, en.ts).
const en = { admin: { ...enAdmin.admin, ...enOrg, webhooks: enWebhooks, channelAccounts: enChannels, marketing: enMarketing }, customers: enCustomers };
const zh = { admin: { ...zhAdmin.admin, ...zhOrg, webhooks: zhWebhooks, channelAccounts: zhChannels, marketing: zhMarketing }, customers: zhCustomers };

export function testI18n(locale: "en" | "zh-CN" = "en") {
  return createI18n({ legacy: false, locale, fallbackLocale: "en", messages: { en, "zh-CN": zh } });
}

export function mountAdmin(component: Component, options: { props?: Record<string, unknown> } = {}): VueWrapper {
  // The tests pass props by name; DefineComponent (untyped props) lets any component take them.
  return mount(component as DefineComponent, {
    attachTo: document.body,
    props: options.props,
    global: { plugins: [ElementPlus, testI18n()] },
  });
}
